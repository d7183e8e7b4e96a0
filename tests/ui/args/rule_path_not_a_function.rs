use matgrad::vjp;

#[vjp(self)]
fn f(x: f64) -> f64 {
    x * x
}

#[vjp(Fn(f64) -> f64)]
fn g(x: f64) -> f64 {
    x * x
}

fn main() {}
