//! The Frobenius norm ‖XAᵀ − B‖²_F, gradient with respect to X: 2(XAᵀ − B)A. All n×n.

use super::{data, flat, t, Parts, Workload};
use matgrad::grad;
use nalgebra::DMatrix;

twin_with_workspace! {
    #[grad(x)]
    /// ‖XAᵀ − B‖²_F.
    pub fn frobenius / frobenius_ws(x: &DMatrix<f64>, a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
        (x * a.transpose() - b).norm_squared()
    }
}

/// The seed's closed form 2(XAᵀ − B)A: R = XAᵀ − B by one `gemm` into a copy of B with Aᵀ as
/// a strided view, the gradient by one `gemm`. Two allocations (R and the gradient).
pub fn frobenius_hand(x: &DMatrix<f64>, a: &DMatrix<f64>, b: &DMatrix<f64>) -> (f64, DMatrix<f64>) {
    let mut r = b.clone();
    r.gemm(1.0, x, &t(a), -1.0);
    let value = r.norm_squared();
    let mut g = DMatrix::zeros(x.nrows(), x.ncols());
    g.gemm(2.0, &r, a, 0.0);
    (value, g)
}

pub struct Frobenius {
    pub x: DMatrix<f64>,
    pub a: DMatrix<f64>,
    pub b: DMatrix<f64>,
}

impl Workload for Frobenius {
    const NAME: &'static str = "frobenius";
    const DIMS: &'static [&'static str] = &["n"];
    const SIZES: [&'static [usize]; 3] = [&[16], &[128], &[512]];
    type Primal = f64;
    type Generated = (f64, FrobeniusGrad);
    type Hand = (f64, DMatrix<f64>);

    fn new(dims: &[usize]) -> Self {
        let n = dims[0];
        Frobenius {
            x: data::matrix(1, n, n, 1.0),
            a: data::matrix(2, n, n, 1.0),
            b: data::matrix(3, n, n, 1.0),
        }
    }
    fn primal(&self) -> f64 {
        frobenius(&self.x, &self.a, &self.b)
    }
    fn generated(&self) -> Self::Generated {
        frobenius_grad(&self.x, &self.a, &self.b)
    }
    fn hand(&self) -> Self::Hand {
        frobenius_hand(&self.x, &self.a, &self.b)
    }
    fn generated_parts(&self, (value, g): Self::Generated) -> Parts {
        Parts {
            value,
            grads: vec![("x", flat(&g.x))],
        }
    }
    fn hand_parts(&self, (value, x): Self::Hand) -> Parts {
        Parts {
            value,
            grads: vec![("x", flat(&x))],
        }
    }

    fn with_workspace(&self, ws: &mut matgrad::Workspace) -> Option<f64> {
        Some(frobenius_ws_grad_with(ws, &self.x, &self.a, &self.b).0)
    }
    fn with_workspace_parts(&self, ws: &mut matgrad::Workspace) -> Option<Parts> {
        let (value, g) = frobenius_ws_grad_with(ws, &self.x, &self.a, &self.b);
        Some(self.generated_parts((value, FrobeniusGrad { x: g.x.clone() })))
    }
}
