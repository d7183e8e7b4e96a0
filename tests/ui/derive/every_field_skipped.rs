use matgrad::Differentiable;

#[derive(Clone, Differentiable)]
struct Config {
    #[differentiable(skip)]
    name: String,
    #[differentiable(skip)]
    steps: usize,
}

fn main() {}
