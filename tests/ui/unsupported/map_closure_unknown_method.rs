use autodiff::grad;
use nalgebra::DVector;

#[grad]
fn f(x: &DVector<f64>) -> f64 {
    x.map(|v| v.powf(2.0)).sum()
}

fn main() {}
