use matgrad::grad;
use nalgebra::{DMatrix, DVector};

#[grad(s)]
fn f(s: &DMatrix<f64>, c: &DVector<f64>) -> f64 {
    // `.full_piv_lu()` is the first step `#[grad]` cannot differentiate; the error is there, once.
    let x = s.clone().full_piv_lu().solve(c).unwrap();
    x.norm_squared()
}

fn main() {}
