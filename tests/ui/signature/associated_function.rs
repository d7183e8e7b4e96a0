use matgrad::grad;

struct Model;

impl Model {
    #[grad]
    fn loss(x: f64) -> f64 {
        x * x
    }
}

fn main() {}
