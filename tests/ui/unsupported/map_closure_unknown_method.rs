use matgrad::grad;
use nalgebra::DVector;

#[grad]
fn f(x: &DVector<f64>) -> f64 {
    x.map(|v| v.asinh()).sum()
}

fn main() {}
