use matgrad::grad;
use nalgebra::DVector;

fn double(v: &mut DVector<f64>) {
    *v *= 2.0;
}

#[grad]
fn f(x: &DVector<f64>) -> f64 {
    let mut y = x.clone();
    double(&mut y);
    y.sum()
}

fn main() {}
