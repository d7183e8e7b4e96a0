use matgrad::grad;
use nalgebra::{stack, DMatrix};

#[grad(a)]
fn f(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    // nalgebra infers a zero block's shape from its row and column; `#[grad]` needs it written.
    let m = stack![a, 0; b, b];
    m.sum()
}

#[grad(a)]
fn g(a: &DMatrix<f64>) -> f64 {
    let m = stack![a];
    m.sum()
}

#[grad(a)]
fn h(a: &DMatrix<f64>) -> f64 {
    let m = stack![a, a;; a];
    m.sum()
}

fn main() {}
