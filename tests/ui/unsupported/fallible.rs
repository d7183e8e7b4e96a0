use matgrad::grad;
use nalgebra::{DMatrix, DVector};

// A fallible function ends with `Some(value)`: the value to differentiate.
#[grad]
fn ends_otherwise(x: &DVector<f64>) -> Option<f64> {
    let n = x.norm();
    if n > 0.0 { Some(n) } else { None }
}

// `?` on a value that depends on a differentiated parameter: reported at the first construct
// `#[grad]` cannot differentiate.
#[grad]
fn tries_a_value(x: &DVector<f64>) -> Option<f64> {
    let n = (x.norm() > 1.0).then_some(x.norm())?;
    Some(n * 2.0)
}

// `Result` ends with `Ok(value)`.
#[grad]
fn ends_with_some(s: &DMatrix<f64>) -> Result<f64, String> {
    let c = s.clone().cholesky().ok_or("indefinite".to_string())?;
    Some(c.ln_determinant())
}

fn main() {}
