//! A tied-weight autoencoder, l = ‖b₂ + Wᵀσ(Wx + b₁) − x‖² with σ the logistic sigmoid;
//! gradients with respect to W (h×d), b₁ (h) and b₂ (d).
//!
//! The seed's two terms, with z = b₂ + Wᵀv − x, v = σ(u), u = Wx + b₁ and ∂l/∂z = 2z:
//!
//!   ∂l/∂W = v (∂l/∂z)ᵀ + (σ′(u) ⊙ W ∂l/∂z) xᵀ,   ∂l/∂b₁ = σ′(u) ⊙ W ∂l/∂z,   ∂l/∂b₂ = ∂l/∂z.

use super::{data, flat, Parts, Workload};
use matgrad::{grad, sigmoid};
use nalgebra::{DMatrix, DVector};

twin_with_workspace! {
    #[grad(w, b1, b2)]
    /// ‖b₂ + Wᵀσ(Wx + b₁) − x‖².
    pub fn autoencoder / autoencoder_ws(
        w: &DMatrix<f64>,
        b1: &DVector<f64>,
        b2: &DVector<f64>,
        x: &DVector<f64>,
    ) -> f64 {
        let u = w * x + b1;
        let v = sigmoid(&u);
        let z = b2 + w.transpose() * v - x;
        z.norm_squared()
    }
}

/// The value and (∂l/∂W, ∂l/∂b₁, ∂l/∂b₂).
pub type AutoencoderOut = (f64, DMatrix<f64>, DVector<f64>, DVector<f64>);

/// σ(u), stable for large |u| (the same formula as `matgrad::sigmoid`).
#[inline]
fn logistic(u: f64) -> f64 {
    if u >= 0.0 {
        1.0 / (1.0 + (-u).exp())
    } else {
        let e = u.exp();
        e / (1.0 + e)
    }
}

/// v = σ(Wx + b₁) by `gemv` into a copy of b₁, then σ in place; z by `gemv_tr` (no Wᵀ), and
/// 2z is ∂l/∂b₂ in place; s = σ′(u) ⊙ W·2z by `gemv` then in place, which is ∂l/∂b₁; ∂l/∂W,
/// the rank-two update v·(2z)ᵀ + s·xᵀ, in one pass over its columns. Four allocations
/// (v, and the three gradients).
pub fn autoencoder_hand(
    w: &DMatrix<f64>,
    b1: &DVector<f64>,
    b2: &DVector<f64>,
    x: &DVector<f64>,
) -> AutoencoderOut {
    let (h, d) = w.shape();
    let mut v = b1.clone();
    v.gemv(1.0, w, x, 1.0);
    v.apply(|u| *u = logistic(*u));
    let mut z = b2 - x;
    z.gemv_tr(1.0, w, &v, 1.0);
    let value = z.norm_squared();
    z *= 2.0;
    let mut s = DVector::zeros(h);
    s.gemv(1.0, w, &z, 0.0);
    s.zip_apply(&v, |si, vi| *si *= vi * (1.0 - vi));
    let mut dw = DMatrix::zeros(h, d);
    let columns = dw
        .as_mut_slice()
        .chunks_exact_mut(h)
        .zip(z.iter())
        .zip(x.iter());
    for ((col, gj), xj) in columns {
        for ((o, vi), si) in col.iter_mut().zip(v.iter()).zip(s.iter()) {
            *o = vi * gj + si * xj;
        }
    }
    (value, dw, s, z)
}

pub struct Autoencoder {
    pub w: DMatrix<f64>,
    pub b1: DVector<f64>,
    pub b2: DVector<f64>,
    pub x: DVector<f64>,
}

impl Workload for Autoencoder {
    const NAME: &'static str = "autoencoder";
    const DIMS: &'static [&'static str] = &["h", "d"];
    const SIZES: [&'static [usize]; 3] = [&[16, 64], &[64, 784], &[256, 2048]];
    type Primal = f64;
    type Generated = (f64, AutoencoderGrad);
    type Hand = AutoencoderOut;

    /// W scaled by 1/√d so Wx is of order one.
    fn new(dims: &[usize]) -> Self {
        let (h, d) = (dims[0], dims[1]);
        Autoencoder {
            w: data::matrix(1, h, d, 1.0 / (d as f64).sqrt()),
            b1: data::vector(2, h, 0.1),
            b2: data::vector(3, d, 0.1),
            x: data::vector(4, d, 1.0),
        }
    }
    fn primal(&self) -> f64 {
        autoencoder(&self.w, &self.b1, &self.b2, &self.x)
    }
    fn generated(&self) -> Self::Generated {
        autoencoder_grad(&self.w, &self.b1, &self.b2, &self.x)
    }
    fn hand(&self) -> Self::Hand {
        autoencoder_hand(&self.w, &self.b1, &self.b2, &self.x)
    }
    fn generated_parts(&self, (value, g): Self::Generated) -> Parts {
        Parts {
            value,
            grads: vec![
                ("w", flat(&g.w)),
                ("b1", g.b1.as_slice().to_vec()),
                ("b2", g.b2.as_slice().to_vec()),
            ],
        }
    }
    fn hand_parts(&self, (value, dw, db1, db2): Self::Hand) -> Parts {
        Parts {
            value,
            grads: vec![
                ("w", flat(&dw)),
                ("b1", db1.as_slice().to_vec()),
                ("b2", db2.as_slice().to_vec()),
            ],
        }
    }

    fn with_workspace(&self, ws: &mut matgrad::Workspace) -> Option<f64> {
        Some(autoencoder_ws_grad_with(ws, &self.w, &self.b1, &self.b2, &self.x).0)
    }
    fn with_workspace_parts(&self, ws: &mut matgrad::Workspace) -> Option<Parts> {
        let (value, g) = autoencoder_ws_grad_with(ws, &self.w, &self.b1, &self.b2, &self.x);
        Some(self.generated_parts((
            value,
            AutoencoderGrad {
                w: g.w.clone(),
                b1: g.b1.clone(),
                b2: g.b2.clone(),
            },
        )))
    }
}
