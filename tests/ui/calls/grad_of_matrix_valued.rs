use matgrad::grad;
use nalgebra::DVector;

#[grad]
fn double(x: &DVector<f64>) -> DVector<f64> {
    x * 2.0
}

fn main() {
    let x = DVector::from_element(3, 1.0);
    let _ = double_grad(&x);
}
