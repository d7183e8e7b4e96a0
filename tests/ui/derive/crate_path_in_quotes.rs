use matgrad::Differentiable;

#[derive(Clone, Differentiable)]
#[differentiable(crate = "::matgrad")]
struct Weights {
    w: f64,
}

fn main() {}
