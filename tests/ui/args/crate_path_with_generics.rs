use matgrad::grad;

#[grad(x, crate = Self)]
fn f(x: f64) -> f64 {
    x * x
}

#[grad(x, crate = matgrad<f64>)]
fn g(x: f64) -> f64 {
    x * x
}

fn main() {}
