use autodiff::grad;
use nalgebra::DMatrix;

#[grad]
fn f(x: &DMatrix<f64>) -> f64 {
    // The singular value decomposition has no derivative rule yet.
    let svd = x.clone().svd(true, true);
    svd.singular_values.sum()
}

fn main() {}
