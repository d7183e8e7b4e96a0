use autodiff::grad;

#[grad]
fn f(x: f64) -> f64 {
    let square = |t: f64| t * x;
    square(3.0)
}

fn main() {}
