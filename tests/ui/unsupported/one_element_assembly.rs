use matgrad::grad;
use nalgebra::{DMatrix, DVector};

#[grad]
fn f(a: &DVector<f64>) -> f64 {
    // `from_columns` of one value: take it as a block instead.
    DMatrix::from_columns(&[a.clone()]).sum()
}

fn main() {}
