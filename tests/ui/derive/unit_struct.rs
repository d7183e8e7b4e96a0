use autodiff::Differentiable;

#[derive(Clone, Differentiable)]
struct Nothing;

fn main() {}
