use matgrad::grad;
use nalgebra::DVector;

// `checkpoint` needs a `for` loop at the function's top level; this one's is inside an `if`.
#[grad(x, checkpoint)]
fn f(x: &DVector<f64>, n: usize) -> f64 {
    let mut y = x.clone();
    if n > 0 {
        for _ in 0..n {
            y = y.map(|v| v.sin());
        }
    }
    y.sum()
}

fn main() {}
