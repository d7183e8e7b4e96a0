use autodiff::grad;
use nalgebra::{DMatrix, DVector};

#[grad(s)]
fn f(s: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    // `lu.solve(b)` returns an `Option`; `#[grad]` differentiates it unwrapped.
    let lu = s.clone().lu();
    let x = lu.solve(b).expect("an invertible matrix");
    x.norm_squared()
}

#[grad(s)]
fn g(s: &DMatrix<f64>) -> f64 {
    let c = s.clone().cholesky().expect("a positive-definite matrix");
    c.ln_determinant()
}

fn main() {}
