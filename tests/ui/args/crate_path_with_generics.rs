use autodiff::grad;

#[grad(x, crate = Self)]
fn f(x: f64) -> f64 {
    x * x
}

#[grad(x, crate = autodiff<f64>)]
fn g(x: f64) -> f64 {
    x * x
}

fn main() {}
