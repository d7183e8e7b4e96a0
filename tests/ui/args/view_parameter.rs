use matgrad::grad;
use nalgebra::DMatrixView;

#[grad]
fn f(x: DMatrixView<f64>, s: f64) -> f64 {
    x.norm_squared() * s
}

fn main() {}
