use matgrad::grad;
use nalgebra::DVector;

#[grad]
fn f(x: &DVector<f64>) -> f64 {
    let mut y = x.clone();
    y.scale_mut(2.0);
    y.sum()
}

fn main() {}
