use matgrad::grad;

#[grad]
fn f(x: f64) -> f64 {
    let mut acc = x;
    let mut add = |t: f64| acc = acc * t;
    add(3.0);
    acc
}

fn main() {}
