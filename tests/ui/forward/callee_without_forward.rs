use matgrad::grad;
use nalgebra::DVector;

#[grad]
fn helper(x: &DVector<f64>) -> f64 {
    x.norm_squared()
}

#[grad(x, forward)]
fn f(x: &DVector<f64>) -> f64 {
    helper(x) * 2.0
}

fn main() {}
