use matgrad::grad;
use nalgebra::DMatrix;

#[grad]
fn f(m: &DMatrix<f64>) -> f64 {
    let inv = m.clone().try_inverse().unwrap_or(m.clone());
    inv.sum()
}

fn main() {}
