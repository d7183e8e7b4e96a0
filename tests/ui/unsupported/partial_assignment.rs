use matgrad::grad;
use nalgebra::DMatrix;

#[grad]
fn f(m: &DMatrix<f64>) -> f64 {
    let mut c = m.clone();
    c[(0, 0)] = 1.0;
    c.sum()
}

fn main() {}
