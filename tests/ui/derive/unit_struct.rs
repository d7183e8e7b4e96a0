use matgrad::Differentiable;

#[derive(Clone, Differentiable)]
struct Nothing;

fn main() {}
