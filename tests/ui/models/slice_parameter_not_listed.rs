// A slice of matrices is a constant under a bare `#[grad]` (as the input sequence of an RNN
// is); named in `#[grad(..)]`, it is differentiated. Here it is named, but mutably borrowed.
use matgrad::grad;
use nalgebra::DMatrix;

#[grad(ws)]
fn loss(ws: &mut [DMatrix<f64>]) -> f64 {
    ws[0].norm_squared()
}

fn main() {}
