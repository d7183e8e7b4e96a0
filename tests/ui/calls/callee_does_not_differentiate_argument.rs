use matgrad::grad;
use nalgebra::DVector;

#[grad(x)]
fn helper(x: &DVector<f64>, w: f64) -> f64 {
    x.norm_squared() * w
}

#[grad]
fn loss(x: &DVector<f64>, w: f64) -> f64 {
    helper(x, w) + w
}

fn main() {}
