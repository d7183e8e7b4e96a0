// An iterator adaptor the macro does not rewrite (`.skip(1)`) over a collection inside a
// parameter: the collection is read where no derivative flows, a compile error on it
// (`.iter()`, `.iter().rev()`, `.iter().enumerate()` and `.iter().zip(..)` are rewritten).
use matgrad::{grad, Differentiable};
use nalgebra::{DMatrix, DVector};

#[derive(Clone, Debug, Differentiable)]
pub struct Mlp {
    pub layers: Vec<DMatrix<f64>>,
}

#[grad(p)]
fn loss(p: &Mlp, x: &DVector<f64>) -> f64 {
    let mut h = x.clone();
    for w in p.layers.iter().skip(1) {
        h = w * h;
    }
    h.norm_squared()
}

fn main() {}
