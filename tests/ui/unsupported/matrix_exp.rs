use autodiff::grad;
use nalgebra::DMatrix;

#[grad]
fn f(x: &DMatrix<f64>) -> f64 {
    // `.exp()` is the float function: a matrix's entries need `.map(f64::exp)`.
    x.exp().sum()
}

fn main() {}
