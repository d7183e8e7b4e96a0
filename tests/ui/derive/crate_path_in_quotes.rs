use autodiff::Differentiable;

#[derive(Clone, Differentiable)]
#[differentiable(crate = "::autodiff")]
struct Weights {
    w: f64,
}

fn main() {}
