use matgrad::grad;

trait Loss {
    fn loss(x: f64) -> f64;
}

struct Model;

impl Loss for Model {
    #[grad]
    fn loss(x: f64) -> f64 {
        x * x
    }
}

fn main() {}
