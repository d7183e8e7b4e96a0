use matgrad::grad;
use nalgebra::DVector;

fn square(v: f64) -> f64 {
    v * v
}

#[grad]
fn f(x: &DVector<f64>) -> f64 {
    x.map(square).sum()
}

fn main() {}
