use autodiff::grad;
use nalgebra::DVector;

#[grad]
fn f(x: &DVector<f64>) -> f64 {
    x.abs().sum()
}

fn main() {}
