// A differentiable field read where no derivative can flow (a loop's range through a cast)
// would silently drop its gradient: a compile error on the field.
use matgrad::{grad, Differentiable};
use nalgebra::{DMatrix, DVector};

#[derive(Clone, Differentiable)]
pub struct Model {
    pub w: DMatrix<f64>,
    pub steps: f64,
}

#[grad(p)]
fn loss(p: &Model, x: &DVector<f64>) -> f64 {
    let mut h = x.clone();
    for _ in 0..(p.steps as usize) {
        h = &p.w * &h;
    }
    h.norm_squared()
}

fn main() {}
