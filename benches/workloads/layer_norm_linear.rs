//! Layer normalisation of each column of X (D×N: one sample per column, normalised over its
//! D features), scaled by γ and shifted by β (per feature, D each), followed by a linear map
//! Y = W·LN(X) (W M×D), and the loss l = ½‖Y − T‖²; gradients with respect to γ, β and W.
//!
//! The hand-written gradient: with H = γ ⊙ X̂ + β and R = W·H − T, ∂l/∂W = R·Hᵀ,
//! H̄ = Wᵀ·R, ∂l/∂γ = Σⱼ H̄ⱼ ⊙ x̂ⱼ, ∂l/∂β = Σⱼ H̄ⱼ (X is an input, not a parameter, so X̂ is
//! a constant of the gradient).

use super::{data, flat, gemm_tn, t, Parts, Workload};
use matgrad::{grad, Broadcast};
use nalgebra::{DMatrix, DVector};

/// The ε under the square root.
pub const EPS: f64 = 1e-5;

twin_with_workspace! {
    #[grad(gamma, beta, w)]
    /// l = ½‖W·(γ ⊙ X̂ + β) − T‖², X̂ each column of X centred and scaled to unit variance.
    pub fn layer_norm_linear / layer_norm_linear_ws(
        gamma: &DVector<f64>,
        beta: &DVector<f64>,
        w: &DMatrix<f64>,
        x: &DMatrix<f64>,
        t: &DMatrix<f64>,
        eps: f64,
    ) -> f64 {
        let mu = x.row_mean();
        let xc = x.broadcast_sub(&mu);
        let var = xc.component_mul(&xc).row_mean();
        let xhat = xc.broadcast_div(&var.map(|v| (v + eps).sqrt()));
        let h = xhat.broadcast_mul(gamma).broadcast_add(beta);
        let y = w * h;
        0.5 * (y - t).norm_squared()
    }
}

/// The value and (∂l/∂γ, ∂l/∂β, ∂l/∂W).
pub type LayerNormLinearOut = (f64, DVector<f64>, DVector<f64>, DMatrix<f64>);

/// X̂ column by column in one buffer, H = γ ⊙ X̂ + β in another, R = W·H − T by one `gemm`
/// into a copy of T, ∂l/∂W = R·Hᵀ and H̄ = Wᵀ·R (into H's buffer, H read for the last time
/// just before) by `gemm` with strided transposes, then ∂l/∂γ and ∂l/∂β in one pass. Six
/// buffers of its own (X̂, H, R and the three gradients; the products' packing buffers aside).
pub fn layer_norm_linear_hand(
    gamma: &DVector<f64>,
    beta: &DVector<f64>,
    w: &DMatrix<f64>,
    x: &DMatrix<f64>,
    tgt: &DMatrix<f64>,
    eps: f64,
) -> LayerNormLinearOut {
    let (d, n) = x.shape();
    let df = d as f64;
    let mut xhat = DMatrix::zeros(d, n);
    let mut h = DMatrix::zeros(d, n);
    let columns = x
        .as_slice()
        .chunks_exact(d)
        .zip(xhat.as_mut_slice().chunks_exact_mut(d))
        .zip(h.as_mut_slice().chunks_exact_mut(d));
    for ((xj, xhj), hj) in columns {
        let mu = xj.iter().sum::<f64>() / df;
        let var = xj.iter().map(|v| (v - mu) * (v - mu)).sum::<f64>() / df;
        let inv_std = 1.0 / (var + eps).sqrt();
        for (i, ((xi, xh), hi)) in xj.iter().zip(xhj.iter_mut()).zip(hj.iter_mut()).enumerate() {
            *xh = (xi - mu) * inv_std;
            *hi = gamma[i] * *xh + beta[i];
        }
    }
    let mut r = tgt.clone();
    r.gemm(1.0, w, &h, -1.0);
    let loss = 0.5 * r.norm_squared();
    let mut dw = DMatrix::zeros(w.nrows(), d);
    dw.gemm(1.0, &r, &t(&h), 0.0);
    let hbar = &mut h;
    gemm_tn(hbar, 1.0, w, &r, 0.0);
    let mut dgamma = DVector::zeros(d);
    let mut dbeta = DVector::zeros(d);
    for (hj, xhj) in hbar
        .as_slice()
        .chunks_exact(d)
        .zip(xhat.as_slice().chunks_exact(d))
    {
        for (i, (g, xh)) in hj.iter().zip(xhj).enumerate() {
            dgamma[i] += g * xh;
            dbeta[i] += g;
        }
    }
    (loss, dgamma, dbeta, dw)
}

pub struct LayerNormLinear {
    pub gamma: DVector<f64>,
    pub beta: DVector<f64>,
    pub w: DMatrix<f64>,
    pub x: DMatrix<f64>,
    pub t: DMatrix<f64>,
}

impl Workload for LayerNormLinear {
    const NAME: &'static str = "layer_norm_linear";
    const DIMS: &'static [&'static str] = &["D", "M", "N"];
    const SIZES: [&'static [usize]; 3] = [&[16, 8, 32], &[64, 32, 128], &[256, 128, 128]];
    type Primal = f64;
    type Generated = (f64, LayerNormLinearGrad);
    type Hand = LayerNormLinearOut;

    /// γ around 1, W scaled by 1/√D.
    fn new(dims: &[usize]) -> Self {
        let (d, m, n) = (dims[0], dims[1], dims[2]);
        LayerNormLinear {
            gamma: data::vector(1, d, 0.5).add_scalar(1.0),
            beta: data::vector(2, d, 1.0),
            w: data::matrix(3, m, d, 1.0 / (d as f64).sqrt()),
            x: data::matrix(4, d, n, 1.0),
            t: data::matrix(5, m, n, 1.0),
        }
    }
    fn primal(&self) -> f64 {
        layer_norm_linear(&self.gamma, &self.beta, &self.w, &self.x, &self.t, EPS)
    }
    fn generated(&self) -> Self::Generated {
        layer_norm_linear_grad(&self.gamma, &self.beta, &self.w, &self.x, &self.t, EPS)
    }
    fn hand(&self) -> Self::Hand {
        layer_norm_linear_hand(&self.gamma, &self.beta, &self.w, &self.x, &self.t, EPS)
    }
    fn generated_parts(&self, (value, g): Self::Generated) -> Parts {
        Parts {
            value,
            grads: vec![
                ("gamma", g.gamma.as_slice().to_vec()),
                ("beta", g.beta.as_slice().to_vec()),
                ("w", flat(&g.w)),
            ],
        }
    }
    fn hand_parts(&self, (value, dgamma, dbeta, dw): Self::Hand) -> Parts {
        Parts {
            value,
            grads: vec![
                ("gamma", dgamma.as_slice().to_vec()),
                ("beta", dbeta.as_slice().to_vec()),
                ("w", flat(&dw)),
            ],
        }
    }

    fn with_workspace(&self, ws: &mut matgrad::Workspace) -> Option<f64> {
        Some(
            layer_norm_linear_ws_grad_with(
                ws,
                &self.gamma,
                &self.beta,
                &self.w,
                &self.x,
                &self.t,
                EPS,
            )
            .0,
        )
    }
    fn with_workspace_parts(&self, ws: &mut matgrad::Workspace) -> Option<Parts> {
        let (value, g) = layer_norm_linear_ws_grad_with(
            ws,
            &self.gamma,
            &self.beta,
            &self.w,
            &self.x,
            &self.t,
            EPS,
        );
        Some(self.generated_parts((
            value,
            LayerNormLinearGrad {
                gamma: g.gamma.clone(),
                beta: g.beta.clone(),
                w: g.w.clone(),
            },
        )))
    }
}
