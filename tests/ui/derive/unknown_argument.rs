use matgrad::Differentiable;
use nalgebra::DMatrix;

#[derive(Clone, Differentiable)]
#[differentiable(scalar = f64)]
struct Layer {
    w: DMatrix<f64>,
    #[differentiable(skipped)]
    name: String,
}

fn main() {}
