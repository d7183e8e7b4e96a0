// A struct parameter whose type does not implement `Differentiable`: the error names the
// trait to derive.
use matgrad::grad;
use nalgebra::{DMatrix, DVector};

#[derive(Clone)]
pub struct Model {
    pub w: DMatrix<f64>,
}

#[grad(p)]
fn loss(p: &Model, x: &DVector<f64>) -> f64 {
    (&p.w * x).norm_squared()
}

fn main() {}
