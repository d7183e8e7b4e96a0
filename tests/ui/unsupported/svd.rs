use matgrad::grad;
use nalgebra::DMatrix;

#[grad]
fn f(x: &DMatrix<f64>) -> f64 {
    // `svd.u` holds an `Option`: `#[grad]` reads it as `svd.u.unwrap()`.
    let svd = x.clone().svd(true, true);
    let u = svd.u.as_ref().unwrap();
    u.sum()
}

fn main() {}
