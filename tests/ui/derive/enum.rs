use matgrad::Differentiable;

#[derive(Clone, Differentiable)]
enum Params {
    Linear(f64),
    Quadratic(f64, f64),
}

fn main() {}
