use matgrad::grad;
use nalgebra::DMatrix;

type Mat = DMatrix<f64>;

#[grad]
fn f(x: &Mat, s: f64) -> f64 {
    x.norm_squared() * s
}

fn main() {}
