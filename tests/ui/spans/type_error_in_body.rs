use matgrad::grad;
use nalgebra::{DMatrix, DVector};

#[grad]
fn f(a: &DMatrix<f64>, x: &DVector<f32>) -> f64 {
    let y = a * x;
    y.norm_squared()
}

fn main() {}
