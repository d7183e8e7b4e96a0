// `workspace` makes `f_grad_with`, a gradient: a function whose value is a matrix has none.
use matgrad::grad;
use nalgebra::DMatrix;

#[grad(x, workspace)]
fn scaled(x: &DMatrix<f64>) -> DMatrix<f64> {
    x * 2.0
}

fn main() {}
