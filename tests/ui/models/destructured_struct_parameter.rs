// Destructuring a struct parameter (or a tuple of its fields) would bind parts no adjoint
// reaches: errors that say to bind it whole or read the fields where they are used.
use matgrad::{grad, Differentiable};
use nalgebra::{DMatrix, DVector};

#[derive(Clone, Debug, Differentiable)]
pub struct Layer {
    pub w: DMatrix<f64>,
    pub b: DVector<f64>,
}

#[grad(l)]
fn destructured(l: &Layer, x: &DVector<f64>) -> f64 {
    let Layer { w, b } = l;
    (w * x + b).norm_squared()
}

#[grad(l)]
fn tupled(l: &Layer, x: &DVector<f64>) -> f64 {
    let (w, b) = (&l.w, &l.b);
    (w * x + b).norm_squared()
}

fn main() {}
