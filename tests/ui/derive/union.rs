use matgrad::Differentiable;

#[derive(Clone, Copy, Differentiable)]
union Bits {
    wide: f64,
    narrow: f32,
}

fn main() {}
