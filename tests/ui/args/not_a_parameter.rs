use matgrad::grad;
use nalgebra::DVector;

#[grad(x, z)]
fn f(x: &DVector<f64>, y: f64) -> f64 {
    x.norm_squared() * y
}

fn main() {
    // The original function is still emitted: only the attribute's error is reported.
    let _ = f(&DVector::zeros(2), 1.0);
}
