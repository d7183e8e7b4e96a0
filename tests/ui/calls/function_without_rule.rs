use matgrad::grad;
use nalgebra::DVector;

fn helper(v: &DVector<f64>) -> f64 {
    v.sum()
}

#[grad]
fn f(x: &DVector<f64>) -> f64 {
    helper(x) * 2.0
}

fn main() {}
