use matgrad::grad;
use nalgebra::DVector;

#[grad]
fn f(x: &DVector<f64>) -> f64 {
    x.camax() * 2.0
}

fn main() {}
