use autodiff::grad;
use nalgebra::{DMatrix, DVector};

#[grad(s)]
fn f(s: &DMatrix<f64>, c: &DVector<f64>) -> f64 {
    // `.col_piv_qr()` is the first step `#[grad]` cannot differentiate; the error is there, once.
    let x = s.clone().col_piv_qr().solve(c).unwrap();
    x.norm_squared()
}

fn main() {}
