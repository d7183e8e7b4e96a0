use matgrad::grad;
use nalgebra::DVector;

// The reverse sweep replays the checkpointed loop, which reads `c` as it was before `fill`.
#[grad(x, checkpoint)]
fn f(x: &DVector<f64>, n: usize) -> f64 {
    let mut c = DVector::from_element(x.len(), 0.5);
    let mut y = x.clone();
    for _ in 0..n {
        y = y.component_mul(&c);
    }
    c.fill(2.0);
    y.sum() + c.sum()
}

fn main() {}
