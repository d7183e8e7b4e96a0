//! Batch normalisation over the rows of X (m×d), y = γ ⊙ x̂ + β with x̂ = (x − μ)/√(σ² + ε)
//! per column, and its pullback: from a cotangent G = ∂l/∂Y (m×d), the cotangents dX, dγ, dβ.
//!
//! The function is matrix-valued, so the generated side is `batch_norm_pullback` and one pull
//! of G; the hand-written side is the seed's computation-graph derivation, simplified (the
//! μ path through σ² vanishes, Σᵢ(xᵢ − μ) = 0):
//!
//!   dβ = Σᵢ Gᵢ,   dγ = Σᵢ Gᵢ ⊙ x̂ᵢ,   dxᵢ = γ/(m√(σ² + ε)) ⊙ (m Gᵢ − dβ − x̂ᵢ ⊙ dγ).

use super::{data, flat, Parts, Workload};
use matgrad::{grad, Broadcast};
use nalgebra::{DMatrix, RowDVector};

/// The ε under the square root.
pub const EPS: f64 = 1e-5;

twin_with_workspace! {
    #[grad(x, gamma, beta)]
    /// y = γ ⊙ (x − μ)/√(σ² + ε) + β, μ and σ² the mean and (population) variance of each column.
    pub fn batch_norm / batch_norm_ws(
        x: &DMatrix<f64>,
        gamma: &RowDVector<f64>,
        beta: &RowDVector<f64>,
        eps: f64,
    ) -> DMatrix<f64> {
        let mu = x.row_mean();
        let xc = x.broadcast_sub(&mu);
        let var = xc.component_mul(&xc).row_mean();
        let std = var.map(|v| (v + eps).sqrt());
        let xhat = xc.broadcast_div(&std);
        xhat.broadcast_mul(gamma).broadcast_add(beta)
    }
}

/// Y and the pullback of G: (Y, dX, dγ, dβ).
pub type BatchNormOut = (DMatrix<f64>, DMatrix<f64>, RowDVector<f64>, RowDVector<f64>);

/// The forward pass and the pullback of `g`, fused column by column (nalgebra stores columns
/// contiguously and every column is independent): mean, variance, then one pass writing Y,
/// x̂ (into dX's column, overwritten next) and the sums dβ, dγ, then one pass for dX. Four
/// allocations, the outputs; no temporaries.
pub fn batch_norm_hand(
    x: &DMatrix<f64>,
    gamma: &RowDVector<f64>,
    beta: &RowDVector<f64>,
    eps: f64,
    g: &DMatrix<f64>,
) -> BatchNormOut {
    let (m, d) = x.shape();
    let mf = m as f64;
    let mut y = DMatrix::zeros(m, d);
    let mut dx = DMatrix::zeros(m, d);
    let mut dgamma = RowDVector::zeros(d);
    let mut dbeta = RowDVector::zeros(d);
    let columns = x
        .as_slice()
        .chunks_exact(m)
        .zip(g.as_slice().chunks_exact(m))
        .zip(y.as_mut_slice().chunks_exact_mut(m))
        .zip(dx.as_mut_slice().chunks_exact_mut(m));
    for (j, (((xj, gj), yj), dxj)) in columns.enumerate() {
        let mu = xj.iter().sum::<f64>() / mf;
        let var = xj.iter().map(|v| (v - mu) * (v - mu)).sum::<f64>() / mf;
        let inv_std = 1.0 / (var + eps).sqrt();
        let (gam, bet) = (gamma[j], beta[j]);
        let (mut db, mut dg) = (0.0, 0.0);
        for (((xi, gi), yi), hi) in xj.iter().zip(gj).zip(yj.iter_mut()).zip(dxj.iter_mut()) {
            let h = (xi - mu) * inv_std;
            *hi = h;
            *yi = gam * h + bet;
            db += gi;
            dg += gi * h;
        }
        let scale = gam * inv_std / mf;
        for (hi, gi) in dxj.iter_mut().zip(gj) {
            *hi = scale * (mf * gi - db - *hi * dg);
        }
        dgamma[j] = dg;
        dbeta[j] = db;
    }
    (y, dx, dgamma, dbeta)
}

pub struct BatchNorm {
    pub x: DMatrix<f64>,
    pub gamma: RowDVector<f64>,
    pub beta: RowDVector<f64>,
    /// The cotangent pulled back.
    pub g: DMatrix<f64>,
}

impl Workload for BatchNorm {
    const NAME: &'static str = "batch_norm";
    const DIMS: &'static [&'static str] = &["m", "d"];
    const SIZES: [&'static [usize]; 3] = [&[32, 16], &[256, 64], &[1024, 256]];
    type Primal = DMatrix<f64>;
    type Generated = (DMatrix<f64>, BatchNormGrad);
    type Hand = BatchNormOut;

    fn new(dims: &[usize]) -> Self {
        let (m, d) = (dims[0], dims[1]);
        BatchNorm {
            x: data::matrix(1, m, d, 1.0),
            gamma: data::row(2, d, 0.5, 1.0),
            beta: data::row(3, d, 1.0, 0.0),
            g: data::matrix(4, m, d, 1.0),
        }
    }
    fn primal(&self) -> DMatrix<f64> {
        batch_norm(&self.x, &self.gamma, &self.beta, EPS)
    }
    fn generated(&self) -> Self::Generated {
        let (y, pullback) = batch_norm_pullback(&self.x, &self.gamma, &self.beta, EPS);
        let grads = pullback(&self.g);
        (y, grads)
    }
    fn hand(&self) -> Self::Hand {
        batch_norm_hand(&self.x, &self.gamma, &self.beta, EPS, &self.g)
    }
    fn generated_parts(&self, (y, g): Self::Generated) -> Parts {
        Parts {
            value: y.dot(&self.g),
            grads: vec![
                ("x", flat(&g.x)),
                ("gamma", g.gamma.as_slice().to_vec()),
                ("beta", g.beta.as_slice().to_vec()),
            ],
        }
    }
    fn hand_parts(&self, (y, dx, dgamma, dbeta): Self::Hand) -> Parts {
        Parts {
            value: y.dot(&self.g),
            grads: vec![
                ("x", flat(&dx)),
                ("gamma", dgamma.as_slice().to_vec()),
                ("beta", dbeta.as_slice().to_vec()),
            ],
        }
    }
    fn with_workspace(&self, ws: &mut matgrad::Workspace) -> Option<f64> {
        let (y, _) =
            batch_norm_ws_pullback_with(ws, &self.x, &self.gamma, &self.beta, EPS, &self.g);
        Some(y[(0, 0)])
    }
    fn with_workspace_parts(&self, ws: &mut matgrad::Workspace) -> Option<Parts> {
        let (y, g) =
            batch_norm_ws_pullback_with(ws, &self.x, &self.gamma, &self.beta, EPS, &self.g);
        Some(self.generated_parts((
            y.clone(),
            BatchNormGrad {
                x: g.x.clone(),
                gamma: g.gamma.clone(),
                beta: g.beta.clone(),
            },
        )))
    }
}
