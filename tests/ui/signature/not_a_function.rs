use matgrad::grad;

#[grad]
struct Weights {
    w: f64,
}

fn main() {}
