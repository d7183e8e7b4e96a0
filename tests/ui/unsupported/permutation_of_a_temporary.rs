use matgrad::grad;
use nalgebra::DMatrix;

// `lu.p()` is a constant of a local bound to `m.lu()`; of anything else it is not recognised.
#[grad]
fn f(m: &DMatrix<f64>) -> f64 {
    m.sum() * m.clone().lu().p().determinant::<f64>()
}

fn main() {}
