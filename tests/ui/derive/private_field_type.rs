use matgrad::Differentiable;
use nalgebra::DMatrix;

mod model {
    use super::*;

    #[derive(Clone, Differentiable)]
    struct Layer {
        w: DMatrix<f64>,
    }

    #[derive(Clone, Differentiable)]
    pub struct Model {
        layers: Vec<Layer>,
    }
}

fn main() {}
