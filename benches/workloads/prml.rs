//! PRML's sum of squares ½‖T − ΦW‖²_F, gradient with respect to W: Φᵀ(ΦW − T). Φ is N×M
//! (the design matrix), W is M×K, T is N×K. (The log-likelihood is const − β times this.)

use super::{data, flat, gemm_tn, Parts, Workload};
use matgrad::grad;
use nalgebra::DMatrix;

twin_with_workspace! {
    #[grad(w)]
    /// ½‖T − ΦW‖²_F.
    pub fn prml / prml_ws(phi: &DMatrix<f64>, w: &DMatrix<f64>, t: &DMatrix<f64>) -> f64 {
        0.5 * (t - phi * w).norm_squared()
    }
}

/// The closed form Φᵀ(ΦW − T): R = ΦW − T by one `gemm` into a copy of T, the gradient by one
/// `gemm` with Φᵀ as a strided view ([`gemm_tn`]). Two allocations (R and the gradient).
pub fn prml_hand(phi: &DMatrix<f64>, w: &DMatrix<f64>, tgt: &DMatrix<f64>) -> (f64, DMatrix<f64>) {
    let mut r = tgt.clone();
    r.gemm(1.0, phi, w, -1.0);
    let value = 0.5 * r.norm_squared();
    let mut g = DMatrix::zeros(w.nrows(), w.ncols());
    gemm_tn(&mut g, 1.0, phi, &r, 0.0);
    (value, g)
}

pub struct Prml {
    pub phi: DMatrix<f64>,
    pub w: DMatrix<f64>,
    pub t: DMatrix<f64>,
}

impl Workload for Prml {
    const NAME: &'static str = "prml";
    const DIMS: &'static [&'static str] = &["N", "M", "K"];
    const SIZES: [&'static [usize]; 3] = [&[32, 8, 2], &[1000, 64, 10], &[10000, 256, 10]];
    type Primal = f64;
    type Generated = (f64, PrmlGrad);
    type Hand = (f64, DMatrix<f64>);

    fn new(dims: &[usize]) -> Self {
        let (n, m, k) = (dims[0], dims[1], dims[2]);
        Prml {
            phi: data::matrix(1, n, m, 1.0),
            w: data::matrix(2, m, k, 1.0),
            t: data::matrix(3, n, k, 1.0),
        }
    }
    fn primal(&self) -> f64 {
        prml(&self.phi, &self.w, &self.t)
    }
    fn generated(&self) -> Self::Generated {
        prml_grad(&self.phi, &self.w, &self.t)
    }
    fn hand(&self) -> Self::Hand {
        prml_hand(&self.phi, &self.w, &self.t)
    }
    fn generated_parts(&self, (value, g): Self::Generated) -> Parts {
        Parts {
            value,
            grads: vec![("w", flat(&g.w))],
        }
    }
    fn hand_parts(&self, (value, w): Self::Hand) -> Parts {
        Parts {
            value,
            grads: vec![("w", flat(&w))],
        }
    }

    fn with_workspace(&self, ws: &mut matgrad::Workspace) -> Option<f64> {
        Some(prml_ws_grad_with(ws, &self.phi, &self.w, &self.t).0)
    }
    fn with_workspace_parts(&self, ws: &mut matgrad::Workspace) -> Option<Parts> {
        let (value, g) = prml_ws_grad_with(ws, &self.phi, &self.w, &self.t);
        Some(self.generated_parts((value, PrmlGrad { w: g.w.clone() })))
    }
}
