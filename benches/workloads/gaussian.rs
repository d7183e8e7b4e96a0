//! A Gaussian's negative log-likelihood of n samples X (d×n, one per column), with mean μ and
//! covariance Σ = L·Lᵀ + εI from a factor L (d×d, unconstrained):
//! −ln p = ½ Σᵢ (xᵢ − μ)ᵀ Σ⁻¹ (xᵢ − μ) + (n/2) ln det Σ + (nd/2) ln 2π, through a Cholesky
//! factorisation, a triangular solve and its log-determinant; gradients with respect to μ and L.
//!
//! The hand-written gradient: with Σ = C·Cᵀ (Cholesky) and W = Σ⁻¹(X − μ1ᵀ),
//! ∂/∂μ = −Σᵢ wᵢ, ∂/∂Σ = ½(n Σ⁻¹ − W·Wᵀ), ∂/∂L = 2 (∂/∂Σ)·L = (n Σ⁻¹ − W·Wᵀ)·L.

use super::{data, flat, t, Parts, Workload};
use matgrad::{grad, Broadcast};
use nalgebra::{DMatrix, DVector};

/// The ε added to the diagonal of L·Lᵀ.
pub const EPS: f64 = 1e-3;

twin_with_workspace! {
    #[grad(mu, l)]
    /// −ln p(X | μ, L·Lᵀ + εI).
    pub fn gaussian / gaussian_ws(mu: &DVector<f64>, l: &DMatrix<f64>, x: &DMatrix<f64>, eps: f64) -> f64 {
        let (d, n) = x.shape();
        let sigma = l * l.transpose() + DMatrix::identity(d, d) * eps;
        let c = sigma.cholesky().unwrap();
        let z = c.l().solve_lower_triangular(&x.broadcast_sub(mu)).unwrap();
        let log_2pi = (2.0 * std::f64::consts::PI).ln();
        0.5 * z.norm_squared() + 0.5 * n as f64 * (c.ln_determinant() + d as f64 * log_2pi)
    }
}

/// The value and (∂/∂μ, ∂/∂L).
pub type GaussianOut = (f64, DVector<f64>, DMatrix<f64>);

/// Σ = L·Lᵀ + εI by one `gemm` (Lᵀ a strided view) into a scaled identity, nalgebra's
/// Cholesky in place and Σ⁻¹ from it (d×d), so that the work on the n samples is all `gemm`
/// (nalgebra's triangular solves go column by column, unblocked): W = Σ⁻¹(X − μ1ᵀ), the
/// quadratic term ⟨X − μ1ᵀ, W⟩, G = n·Σ⁻¹ − W·Wᵀ over Σ⁻¹'s buffer, ∂/∂L = G·L. Six
/// buffers of its own (Σ, Σ⁻¹, X − μ1ᵀ, W and the two gradients; the products' packing
/// buffers and nalgebra's inside `inverse` aside).
pub fn gaussian_hand(
    mu: &DVector<f64>,
    l: &DMatrix<f64>,
    x: &DMatrix<f64>,
    eps: f64,
) -> GaussianOut {
    let (d, n) = x.shape();
    let nf = n as f64;
    let mut sigma = DMatrix::identity(d, d) * eps;
    sigma.gemm(1.0, l, &t(l), 1.0);
    let chol = sigma.cholesky().expect("L·Lᵀ + εI is positive definite");
    let mut g = chol.inverse();
    let mut xc = x.clone();
    for mut col in xc.column_iter_mut() {
        col -= mu;
    }
    let mut w = DMatrix::zeros(d, n);
    w.gemm(1.0, &g, &xc, 0.0);
    let log_2pi = (2.0 * std::f64::consts::PI).ln();
    let value = 0.5 * xc.dot(&w) + 0.5 * nf * (chol.ln_determinant() + d as f64 * log_2pi);
    let dmu = -w.column_sum();
    g.gemm(-1.0, &w, &t(&w), nf);
    let mut dl = DMatrix::zeros(d, d);
    dl.gemm(1.0, &g, l, 0.0);
    (value, dmu, dl)
}

pub struct Gaussian {
    pub mu: DVector<f64>,
    pub l: DMatrix<f64>,
    pub x: DMatrix<f64>,
}

impl Workload for Gaussian {
    const NAME: &'static str = "gaussian";
    const DIMS: &'static [&'static str] = &["d", "n"];
    const SIZES: [&'static [usize]; 3] = [&[4, 32], &[32, 256], &[64, 512]];
    type Primal = f64;
    type Generated = (f64, GaussianGrad);
    type Hand = GaussianOut;

    /// L = I + a random matrix scaled by ½/√d, so Σ is well conditioned.
    fn new(dims: &[usize]) -> Self {
        let (d, n) = (dims[0], dims[1]);
        Gaussian {
            mu: data::vector(1, d, 0.2),
            l: data::matrix(2, d, d, 0.5 / (d as f64).sqrt()) + DMatrix::identity(d, d),
            x: data::matrix(3, d, n, 1.0),
        }
    }
    fn primal(&self) -> f64 {
        gaussian(&self.mu, &self.l, &self.x, EPS)
    }
    fn generated(&self) -> Self::Generated {
        gaussian_grad(&self.mu, &self.l, &self.x, EPS)
    }
    fn hand(&self) -> Self::Hand {
        gaussian_hand(&self.mu, &self.l, &self.x, EPS)
    }
    fn generated_parts(&self, (value, g): Self::Generated) -> Parts {
        Parts {
            value,
            grads: vec![("mu", g.mu.as_slice().to_vec()), ("l", flat(&g.l))],
        }
    }
    fn hand_parts(&self, (value, dmu, dl): Self::Hand) -> Parts {
        Parts {
            value,
            grads: vec![("mu", dmu.as_slice().to_vec()), ("l", flat(&dl))],
        }
    }

    fn with_workspace(&self, ws: &mut matgrad::Workspace) -> Option<f64> {
        Some(gaussian_ws_grad_with(ws, &self.mu, &self.l, &self.x, EPS).0)
    }
    fn with_workspace_parts(&self, ws: &mut matgrad::Workspace) -> Option<Parts> {
        let (value, g) = gaussian_ws_grad_with(ws, &self.mu, &self.l, &self.x, EPS);
        Some(self.generated_parts((
            value,
            GaussianGrad {
                mu: g.mu.clone(),
                l: g.l.clone(),
            },
        )))
    }
}
