use autodiff::grad;
use nalgebra::{DMatrix, DVector};

#[grad]
fn f(a: &DMatrix<f64>, x: &DVector<f64>) -> DVector<f64> {
    a * x
}

fn main() {}
