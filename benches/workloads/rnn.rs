//! A recurrent network hₜ = W tanh(hₜ₋₁) + U xₜ + b, t = 1…T, from a given h₀, with the loss
//! l = Σₜ ‖hₜ‖²; gradients with respect to W (H×H), U (H×I) and b (H).
//!
//! The hand-written gradient is backpropagation through time, the seed's sum over paths
//! evaluated right to left: δ_T = 2h_T, δₜ = 2hₜ + (1 − tanh² hₜ) ⊙ Wᵀδₜ₊₁, then
//! ∂l/∂W = Σₜ δₜ tanh(hₜ₋₁)ᵀ, ∂l/∂U = Σₜ δₜ xₜᵀ, ∂l/∂b = Σₜ δₜ.

use super::{data, flat, t, Parts, Workload};
use matgrad::{grad, tanh};
use nalgebra::{DMatrix, DVector};

twin_with_workspace! {
    #[grad(w, u, b)]
    /// l = Σₜ ‖hₜ‖², hₜ = W tanh(hₜ₋₁) + U xₜ + b over the inputs `xs` = x₁…x_T.
    pub fn rnn / rnn_ws(
        w: &DMatrix<f64>,
        u: &DMatrix<f64>,
        b: &DVector<f64>,
        h0: &DVector<f64>,
        xs: &[DVector<f64>],
    ) -> f64 {
        let mut h = h0.clone();
        let mut l = 0.0;
        for x in xs.iter() {
            h = w * tanh(&h) + u * x + b;
            l += h.norm_squared();
        }
        l
    }
}

/// The value and (∂l/∂W, ∂l/∂U, ∂l/∂b).
pub type RnnOut = (f64, DMatrix<f64>, DMatrix<f64>, DVector<f64>);

/// Backpropagation through time with the steps batched where they can be: U·[x₁…x_T] + b for
/// every step in one `gemm`, each step's W·tanh(hₜ₋₁) by `gemv` in place, the δₜ overwriting
/// the stored hₜ on the way back (one `gemv_tr` per step into one reused buffer), and the
/// three gradients from the stored columns by two `gemm`s (transposes as strided views) and a
/// column sum. Seven allocations whatever T is.
pub fn rnn_hand(
    w: &DMatrix<f64>,
    u: &DMatrix<f64>,
    b: &DVector<f64>,
    h0: &DVector<f64>,
    xs: &[DVector<f64>],
) -> RnnOut {
    let (hd, id, steps) = (h0.len(), u.ncols(), xs.len());
    // X = [x₁ … x_T].
    let mut xm = DMatrix::zeros(id, steps);
    for (mut c, x) in xm.column_iter_mut().zip(xs) {
        c.copy_from(x);
    }
    // Column k of `hs` is h_{k+1}: first U x_{k+1} + b, for all k at once.
    let mut hs = DMatrix::zeros(hd, steps);
    for mut c in hs.column_iter_mut() {
        c.copy_from(b);
    }
    hs.gemm(1.0, u, &xm, 1.0);
    // Column k of `a` is tanh(h_k), k = 0…T−1.
    let mut a = DMatrix::zeros(hd, steps);
    let mut loss = 0.0;
    for k in 0..steps {
        let prev = if k == 0 {
            h0.as_slice()
        } else {
            &hs.as_slice()[(k - 1) * hd..k * hd]
        };
        for (ai, hi) in a.column_mut(k).iter_mut().zip(prev) {
            *ai = hi.tanh();
        }
        let mut hk = hs.column_mut(k);
        hk.gemv(1.0, w, &a.column(k), 1.0);
        loss += hk.norm_squared();
    }
    // δ in place of h: column k becomes δ_{k+1} = ∂l/∂h_{k+1}.
    hs *= 2.0;
    let mut back = DVector::zeros(hd);
    for k in (1..steps).rev() {
        back.gemv_tr(1.0, w, &hs.column(k), 0.0);
        let delta = &mut hs.as_mut_slice()[(k - 1) * hd..k * hd];
        for ((d, ai), bi) in delta.iter_mut().zip(a.column(k).iter()).zip(back.iter()) {
            *d += (1.0 - ai * ai) * bi;
        }
    }
    let mut dw = DMatrix::zeros(hd, hd);
    dw.gemm(1.0, &hs, &t(&a), 0.0);
    let mut du = DMatrix::zeros(hd, id);
    du.gemm(1.0, &hs, &t(&xm), 0.0);
    let db = hs.column_sum();
    (loss, dw, du, db)
}

pub struct Rnn {
    pub w: DMatrix<f64>,
    pub u: DMatrix<f64>,
    pub b: DVector<f64>,
    pub h0: DVector<f64>,
    pub xs: Vec<DVector<f64>>,
}

impl Workload for Rnn {
    const NAME: &'static str = "rnn";
    const DIMS: &'static [&'static str] = &["H", "I", "T"];
    const SIZES: [&'static [usize]; 3] = [&[16, 8, 20], &[64, 32, 50], &[256, 128, 50]];
    type Primal = f64;
    type Generated = (f64, RnnGrad);
    type Hand = RnnOut;

    /// W scaled by 1/√H and U by 1/√I, so the state stays of order one.
    fn new(dims: &[usize]) -> Self {
        let (h, i, steps) = (dims[0], dims[1], dims[2]);
        let xm = data::matrix(5, i, steps, 1.0);
        Rnn {
            w: data::matrix(1, h, h, 1.0 / (h as f64).sqrt()),
            u: data::matrix(2, h, i, 1.0 / (i as f64).sqrt()),
            b: data::vector(3, h, 1.0),
            h0: data::vector(4, h, 1.0),
            xs: xm.column_iter().map(|c| c.into_owned()).collect(),
        }
    }
    fn primal(&self) -> f64 {
        rnn(&self.w, &self.u, &self.b, &self.h0, &self.xs)
    }
    fn generated(&self) -> Self::Generated {
        rnn_grad(&self.w, &self.u, &self.b, &self.h0, &self.xs)
    }
    fn hand(&self) -> Self::Hand {
        rnn_hand(&self.w, &self.u, &self.b, &self.h0, &self.xs)
    }
    fn generated_parts(&self, (value, g): Self::Generated) -> Parts {
        Parts {
            value,
            grads: vec![
                ("w", flat(&g.w)),
                ("u", flat(&g.u)),
                ("b", g.b.as_slice().to_vec()),
            ],
        }
    }
    fn hand_parts(&self, (value, dw, du, db): Self::Hand) -> Parts {
        Parts {
            value,
            grads: vec![
                ("w", flat(&dw)),
                ("u", flat(&du)),
                ("b", db.as_slice().to_vec()),
            ],
        }
    }

    fn with_workspace(&self, ws: &mut matgrad::Workspace) -> Option<f64> {
        Some(rnn_ws_grad_with(ws, &self.w, &self.u, &self.b, &self.h0, &self.xs).0)
    }
    fn with_workspace_parts(&self, ws: &mut matgrad::Workspace) -> Option<Parts> {
        let (value, g) = rnn_ws_grad_with(ws, &self.w, &self.u, &self.b, &self.h0, &self.xs);
        Some(self.generated_parts((
            value,
            RnnGrad {
                w: g.w.clone(),
                u: g.u.clone(),
                b: g.b.clone(),
            },
        )))
    }
}
