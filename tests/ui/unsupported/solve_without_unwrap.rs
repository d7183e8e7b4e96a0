use matgrad::grad;
use nalgebra::{DMatrix, DVector};

#[grad(s)]
fn f(s: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    // `lu.solve(b)` returns an `Option`; `#[grad]` differentiates it unwrapped (or expected).
    let lu = s.clone().lu();
    let x = lu.solve(b).unwrap_or_else(|| b.clone());
    x.norm_squared()
}

#[grad(s)]
fn g(s: &DMatrix<f64>) -> f64 {
    let c = s.clone().cholesky().ok_or("not positive definite").unwrap();
    c.ln_determinant()
}

fn main() {}
