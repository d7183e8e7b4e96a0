use matgrad::grad;
use nalgebra::DVector;

#[grad(x, n)]
fn f(x: &DVector<f64>, n: usize) -> f64 {
    x.norm_squared() / (n as f64)
}

fn main() {}
