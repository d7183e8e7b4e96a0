use matgrad::grad;

#[grad(x, x)]
fn f(x: f64) -> f64 {
    x * x
}

fn main() {}
