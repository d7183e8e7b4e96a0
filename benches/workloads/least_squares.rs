//! Least squares, ‖Ax − b‖², gradient with respect to x: 2Aᵀ(Ax − b). A is n×n.

use super::{data, Parts, Workload};
use matgrad::grad;
use nalgebra::{DMatrix, DVector};

twin_with_workspace! {
    #[grad(x)]
    /// ‖Ax − b‖².
    pub fn least_squares / least_squares_ws(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
        let r = a * x - b;
        r.norm_squared()
    }
}

/// The seed's closed form 2Aᵀ(Ax − b): r = Ax − b by one `gemv` into a copy of b, the
/// gradient by one `gemv_tr`. Two allocations (r and the gradient).
pub fn least_squares_hand(
    a: &DMatrix<f64>,
    x: &DVector<f64>,
    b: &DVector<f64>,
) -> (f64, DVector<f64>) {
    let mut r = b.clone();
    r.gemv(1.0, a, x, -1.0);
    let value = r.norm_squared();
    let mut g = DVector::zeros(a.ncols());
    g.gemv_tr(2.0, a, &r, 0.0);
    (value, g)
}

pub struct LeastSquares {
    pub a: DMatrix<f64>,
    pub x: DVector<f64>,
    pub b: DVector<f64>,
}

impl Workload for LeastSquares {
    const NAME: &'static str = "least_squares";
    const DIMS: &'static [&'static str] = &["n"];
    const SIZES: [&'static [usize]; 3] = [&[16], &[128], &[512]];
    type Primal = f64;
    type Generated = (f64, LeastSquaresGrad);
    type Hand = (f64, DVector<f64>);

    fn new(dims: &[usize]) -> Self {
        let n = dims[0];
        LeastSquares {
            a: data::matrix(1, n, n, 1.0),
            x: data::vector(2, n, 1.0),
            b: data::vector(3, n, 1.0),
        }
    }
    fn primal(&self) -> f64 {
        least_squares(&self.a, &self.x, &self.b)
    }
    fn generated(&self) -> Self::Generated {
        least_squares_grad(&self.a, &self.x, &self.b)
    }
    fn hand(&self) -> Self::Hand {
        least_squares_hand(&self.a, &self.x, &self.b)
    }
    fn generated_parts(&self, (value, g): Self::Generated) -> Parts {
        Parts {
            value,
            grads: vec![("x", g.x.as_slice().to_vec())],
        }
    }
    fn hand_parts(&self, (value, x): Self::Hand) -> Parts {
        Parts {
            value,
            grads: vec![("x", x.as_slice().to_vec())],
        }
    }

    fn with_workspace(&self, ws: &mut matgrad::Workspace) -> Option<f64> {
        Some(least_squares_ws_grad_with(ws, &self.a, &self.x, &self.b).0)
    }
    fn with_workspace_parts(&self, ws: &mut matgrad::Workspace) -> Option<Parts> {
        let (value, g) = least_squares_ws_grad_with(ws, &self.a, &self.x, &self.b);
        Some(self.generated_parts((value, LeastSquaresGrad { x: g.x.clone() })))
    }
}
