use matgrad::grad;
use nalgebra::DVector;

#[grad(x, workspace, workspace)]
fn energy(x: &DVector<f64>) -> f64 {
    x.norm_squared()
}

fn main() {}
