use matgrad::grad;

#[grad]
fn f(x: f64, y: f64) -> f64 {
    f64::atan2(x, y) * 2.0
}

fn main() {}
