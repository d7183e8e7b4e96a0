use matgrad::grad;

struct Model {
    scale: f64,
}

impl Model {
    #[grad(x)]
    fn loss(&self, x: f64) -> f64 {
        x * self.scale
    }
}

fn main() {}
