use autodiff::grad;
use nalgebra::DVector;

#[grad]
fn f(x: &DVector<f64>, s: f64) -> f64 {
    x.map(|v| v * s).sum()
}

fn main() {}
