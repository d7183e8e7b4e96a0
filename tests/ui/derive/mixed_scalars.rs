use matgrad::Differentiable;
use nalgebra::{DMatrix, DVector};

#[derive(Clone, Differentiable)]
struct Layer {
    w: DMatrix<f64>,
    b: DVector<f32>,
}

fn main() {}
