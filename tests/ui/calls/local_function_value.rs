use matgrad::grad;

fn square(t: f64) -> f64 {
    t * t
}

#[grad]
fn f(x: f64) -> f64 {
    let g: fn(f64) -> f64 = square;
    g(x)
}

fn main() {}
