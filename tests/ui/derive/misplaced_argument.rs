use autodiff::Differentiable;
use nalgebra::DMatrix;

#[derive(Clone, Differentiable)]
#[differentiable(skip)]
struct Layer {
    #[differentiable(crate = ::autodiff)]
    w: DMatrix<f64>,
    b: f64,
}

fn main() {}
