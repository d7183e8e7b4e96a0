// A parameter of the user's own type under a bare `#[grad]`: the macro cannot tell from the
// type's name that it is differentiable, so it asks for the parameters to be named.
use matgrad::{grad, Differentiable};
use nalgebra::{DMatrix, DVector};

#[derive(Clone, Differentiable)]
pub struct Model {
    pub w: DMatrix<f64>,
}

#[grad]
fn loss(p: &Model, x: &DVector<f64>) -> f64 {
    (&p.w * x).norm_squared()
}

fn main() {}
