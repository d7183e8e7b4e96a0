use matgrad::{grad, vjp};

#[vjp(square_rule)]
fn square(x: f64) -> f64 {
    x * x
}

fn square_rule(x: &f64, _y: &f64, g: &f64) -> f64 {
    2.0 * x * g
}

#[grad(x, forward)]
fn f(x: f64) -> f64 {
    square(x) + x
}

fn main() {}
