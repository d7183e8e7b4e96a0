use matgrad::Differentiable;
use nalgebra::DMatrix;

#[derive(Differentiable)]
struct Layer {
    w: DMatrix<f64>,
}

fn main() {}
