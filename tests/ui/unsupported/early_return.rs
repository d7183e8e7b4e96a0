use matgrad::grad;

#[grad]
fn f(x: f64, y: f64) -> f64 {
    let z = x * y;
    return z;
    z * 2.0
}

fn main() {}
