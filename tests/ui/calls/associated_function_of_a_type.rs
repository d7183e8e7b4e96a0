use matgrad::grad;
use nalgebra::DVector;

// A type's associated function reading a differentiated value has no derivative rule.
#[grad]
fn f(w: f64) -> f64 {
    DVector::<f64>::from_element(3, w).sum()
}

fn main() {}
