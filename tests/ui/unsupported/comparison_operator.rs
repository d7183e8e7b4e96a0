use matgrad::grad;

#[grad]
fn f(x: f64) -> f64 {
    let big = x > 1.0;
    assert!(big);
    x * 2.0
}

fn main() {}
