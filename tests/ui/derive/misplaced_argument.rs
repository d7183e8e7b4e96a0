use matgrad::Differentiable;
use nalgebra::DMatrix;

#[derive(Clone, Differentiable)]
#[differentiable(skip)]
struct Layer {
    #[differentiable(crate = ::matgrad)]
    w: DMatrix<f64>,
    b: f64,
}

fn main() {}
