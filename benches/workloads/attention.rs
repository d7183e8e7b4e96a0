//! Single-head attention over the N columns of X (D×N): Q = W_q·X, K = W_k·X, V = W_v·X
//! (each d×N), S = KᵀQ/√d, A the column-wise softmax of S (column j: how query j weighs the
//! keys), O = V·A, and the loss l = ½‖O‖²; gradients with respect to W_q, W_k and W_v.
//!
//! The hand-written gradient: Ō = O, V̄ = Ō·Aᵀ, Ā = Vᵀ·Ō, S̄ = A ⊙ (Ā − 1·(Σᵢ A ⊙ Ā)) column by
//! column (the softmax's pullback), Q̄ = K·S̄/√d, K̄ = Q·S̄ᵀ/√d, then ∂l/∂W = W̄·Xᵀ for each.

use super::{data, flat, gemm_tn, t, Parts, Workload};
use matgrad::{grad, softmax_columns};
use nalgebra::DMatrix;

twin_with_workspace! {
    #[grad(wq, wk, wv)]
    /// l = ½‖V·softmax_columns(KᵀQ/√d)‖², Q = W_q·X, K = W_k·X, V = W_v·X.
    pub fn attention / attention_ws(wq: &DMatrix<f64>, wk: &DMatrix<f64>, wv: &DMatrix<f64>, x: &DMatrix<f64>) -> f64 {
        let q = wq * x;
        let k = wk * x;
        let v = wv * x;
        let s = k.transpose() * &q / (q.nrows() as f64).sqrt();
        let a = softmax_columns(&s);
        let o = v * a;
        0.5 * o.norm_squared()
    }
}

/// The value and (∂l/∂W_q, ∂l/∂W_k, ∂l/∂W_v).
pub type AttentionOut = (f64, DMatrix<f64>, DMatrix<f64>, DMatrix<f64>);

/// Every product by `gemm` into its buffer (transposes as strided views), the softmax and its
/// pullback column by column in place; after V̄ and Ā are made, O's buffer takes Q̄ and V's
/// takes K̄. Ten buffers of its own (Q, K, V, S, O, Ā, V̄ and the three gradients; the products'
/// packing buffers aside).
pub fn attention_hand(
    wq: &DMatrix<f64>,
    wk: &DMatrix<f64>,
    wv: &DMatrix<f64>,
    x: &DMatrix<f64>,
) -> AttentionOut {
    let (d, dx, n) = (wq.nrows(), x.nrows(), x.ncols());
    let scale = 1.0 / (d as f64).sqrt();
    let mut q = DMatrix::zeros(d, n);
    q.gemm(1.0, wq, x, 0.0);
    let mut k = DMatrix::zeros(d, n);
    k.gemm(1.0, wk, x, 0.0);
    let mut v = DMatrix::zeros(wv.nrows(), n);
    v.gemm(1.0, wv, x, 0.0);
    // S, then A in its place.
    let mut a = DMatrix::zeros(n, n);
    gemm_tn(&mut a, scale, &k, &q, 0.0);
    for col in a.as_mut_slice().chunks_exact_mut(n) {
        let m = col.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut s = 0.0;
        for e in col.iter_mut() {
            *e = (*e - m).exp();
            s += *e;
        }
        let inv = 1.0 / s;
        col.iter_mut().for_each(|e| *e *= inv);
    }
    let mut o = DMatrix::zeros(wv.nrows(), n);
    o.gemm(1.0, &v, &a, 0.0);
    let loss = 0.5 * o.norm_squared();
    // Ō = O: V̄ = O·Aᵀ, Ā = Vᵀ·O.
    let mut vbar = DMatrix::zeros(wv.nrows(), n);
    vbar.gemm(1.0, &o, &t(&a), 0.0);
    let mut sbar = DMatrix::zeros(n, n);
    gemm_tn(&mut sbar, 1.0, &v, &o, 0.0);
    // S̄ = A ⊙ (Ā − ⟨aⱼ, āⱼ⟩) column by column, with the 1/√d of S folded in.
    for (sj, aj) in sbar
        .as_mut_slice()
        .chunks_exact_mut(n)
        .zip(a.as_slice().chunks_exact(n))
    {
        let dot: f64 = sj.iter().zip(aj).map(|(g, p)| g * p).sum();
        for (g, p) in sj.iter_mut().zip(aj) {
            *g = scale * p * (*g - dot);
        }
    }
    // Q̄ = K·S̄ into O's buffer, K̄ = Q·S̄ᵀ into V's.
    let (qbar, kbar) = (&mut o, &mut v);
    qbar.gemm(1.0, &k, &sbar, 0.0);
    kbar.gemm(1.0, &q, &t(&sbar), 0.0);
    let mut dwq = DMatrix::zeros(d, dx);
    dwq.gemm(1.0, qbar, &t(x), 0.0);
    let mut dwk = DMatrix::zeros(d, dx);
    dwk.gemm(1.0, kbar, &t(x), 0.0);
    let mut dwv = DMatrix::zeros(wv.nrows(), dx);
    dwv.gemm(1.0, &vbar, &t(x), 0.0);
    (loss, dwq, dwk, dwv)
}

pub struct Attention {
    pub wq: DMatrix<f64>,
    pub wk: DMatrix<f64>,
    pub wv: DMatrix<f64>,
    pub x: DMatrix<f64>,
}

impl Workload for Attention {
    const NAME: &'static str = "attention";
    const DIMS: &'static [&'static str] = &["D", "d", "N"];
    const SIZES: [&'static [usize]; 3] = [&[16, 8, 16], &[64, 32, 64], &[128, 64, 128]];
    type Primal = f64;
    type Generated = (f64, AttentionGrad);
    type Hand = AttentionOut;

    /// The weights scaled by 1/√D, so Q, K and V are of order one.
    fn new(dims: &[usize]) -> Self {
        let (dx, d, n) = (dims[0], dims[1], dims[2]);
        let s = 1.0 / (dx as f64).sqrt();
        Attention {
            wq: data::matrix(1, d, dx, s),
            wk: data::matrix(2, d, dx, s),
            wv: data::matrix(3, d, dx, s),
            x: data::matrix(4, dx, n, 1.0),
        }
    }
    fn primal(&self) -> f64 {
        attention(&self.wq, &self.wk, &self.wv, &self.x)
    }
    fn generated(&self) -> Self::Generated {
        attention_grad(&self.wq, &self.wk, &self.wv, &self.x)
    }
    fn hand(&self) -> Self::Hand {
        attention_hand(&self.wq, &self.wk, &self.wv, &self.x)
    }
    fn generated_parts(&self, (value, g): Self::Generated) -> Parts {
        Parts {
            value,
            grads: vec![
                ("wq", flat(&g.wq)),
                ("wk", flat(&g.wk)),
                ("wv", flat(&g.wv)),
            ],
        }
    }
    fn hand_parts(&self, (value, dwq, dwk, dwv): Self::Hand) -> Parts {
        Parts {
            value,
            grads: vec![("wq", flat(&dwq)), ("wk", flat(&dwk)), ("wv", flat(&dwv))],
        }
    }

    fn with_workspace(&self, ws: &mut matgrad::Workspace) -> Option<f64> {
        Some(attention_ws_grad_with(ws, &self.wq, &self.wk, &self.wv, &self.x).0)
    }
    fn with_workspace_parts(&self, ws: &mut matgrad::Workspace) -> Option<Parts> {
        let (value, g) = attention_ws_grad_with(ws, &self.wq, &self.wk, &self.wv, &self.x);
        Some(self.generated_parts((
            value,
            AttentionGrad {
                wq: g.wq.clone(),
                wk: g.wk.clone(),
                wv: g.wv.clone(),
            },
        )))
    }
}
