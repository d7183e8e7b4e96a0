use matgrad::grad;
use nalgebra::DVector;

#[grad(x)]
fn f(x: &mut DVector<f64>) -> f64 {
    x.norm_squared()
}

fn main() {}
