//! A linear classifier layer with the softmax cross-entropy: logits Z = W·X + b for a batch of
//! N columns X (D×N), W C×D, b C, and the loss l = (1/N) Σⱼ (logsumexp(zⱼ) − z_{yⱼ,j}) with
//! the labels yⱼ given as indices; gradients with respect to W and b.
//!
//! The hand-written gradient is the textbook one: with P the column-wise softmax of Z and Y
//! the one-hot labels, Z̄ = (P − Y)/N, ∂l/∂W = Z̄·Xᵀ, ∂l/∂b = Σⱼ z̄ⱼ.

use super::{data, flat, t, Parts, Workload};
use matgrad::{grad, logsumexp_columns, Broadcast};
use nalgebra::{DMatrix, DVector};

twin_with_workspace! {
    #[grad(w, b)]
    /// l = (1/N) Σⱼ (logsumexp(zⱼ) − z_{yⱼ,j}), Z = W·X + b.
    pub fn classifier / classifier_ws(w: &DMatrix<f64>, b: &DVector<f64>, x: &DMatrix<f64>, labels: &[usize]) -> f64 {
        let z = (w * x).broadcast_add(b);
        let lse = logsumexp_columns(&z);
        let mut picked = 0.0;
        for (j, &k) in labels.iter().enumerate() {
            picked += z[(k, j)];
        }
        (lse.sum() - picked) / labels.len() as f64
    }
}

/// The value and (∂l/∂W, ∂l/∂b).
pub type ClassifierOut = (f64, DMatrix<f64>, DVector<f64>);

/// Z = b + W·X by one `gemm` into columns of b; then, column by column, the log-sum-exp from
/// the column's largest entry and Z̄ = (softmax − one-hot)/N written over Z, summed into b̄ on
/// the way; ∂l/∂W = Z̄·Xᵀ by one `gemm` (Xᵀ a strided view). Three buffers of its own (Z and the
/// two gradients; the products' packing buffers aside).
pub fn classifier_hand(
    w: &DMatrix<f64>,
    b: &DVector<f64>,
    x: &DMatrix<f64>,
    labels: &[usize],
) -> ClassifierOut {
    let (c, n) = (w.nrows(), x.ncols());
    let inv_n = 1.0 / n as f64;
    let mut z = DMatrix::zeros(c, n);
    for mut col in z.column_iter_mut() {
        col.copy_from(b);
    }
    z.gemm(1.0, w, x, 1.0);
    let mut loss = 0.0;
    let mut db = DVector::zeros(c);
    for (zj, &k) in z.as_mut_slice().chunks_exact_mut(c).zip(labels) {
        let m = zj.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let picked = zj[k] - m;
        let mut s = 0.0;
        for v in zj.iter_mut() {
            *v = (*v - m).exp();
            s += *v;
        }
        loss += s.ln() - picked;
        let scale = inv_n / s;
        for (v, dbi) in zj.iter_mut().zip(db.iter_mut()) {
            *v *= scale;
            *dbi += *v;
        }
        zj[k] -= inv_n;
        db[k] -= inv_n;
    }
    let mut dw = DMatrix::zeros(c, x.nrows());
    dw.gemm(1.0, &z, &t(x), 0.0);
    (loss * inv_n, dw, db)
}

pub struct Classifier {
    pub w: DMatrix<f64>,
    pub b: DVector<f64>,
    pub x: DMatrix<f64>,
    pub labels: Vec<usize>,
}

/// The labels of a batch of `n` among `classes`: ⌊(entry + ½)·C⌋ of input `seed`.
pub fn labels(seed: u64, n: usize, classes: usize) -> Vec<usize> {
    (0..n)
        .map(|j| (((data::entry(seed, j) + 0.5) * classes as f64) as usize).min(classes - 1))
        .collect()
}

impl Workload for Classifier {
    const NAME: &'static str = "classifier";
    const DIMS: &'static [&'static str] = &["C", "D", "N"];
    const SIZES: [&'static [usize]; 3] = [&[10, 16, 32], &[10, 64, 256], &[10, 784, 256]];
    type Primal = f64;
    type Generated = (f64, ClassifierGrad);
    type Hand = ClassifierOut;

    /// W scaled by 1/√D, so the logits are of order one.
    fn new(dims: &[usize]) -> Self {
        let (c, d, n) = (dims[0], dims[1], dims[2]);
        Classifier {
            w: data::matrix(1, c, d, 1.0 / (d as f64).sqrt()),
            b: data::vector(2, c, 1.0),
            x: data::matrix(3, d, n, 1.0),
            labels: labels(4, n, c),
        }
    }
    fn primal(&self) -> f64 {
        classifier(&self.w, &self.b, &self.x, &self.labels)
    }
    fn generated(&self) -> Self::Generated {
        classifier_grad(&self.w, &self.b, &self.x, &self.labels)
    }
    fn hand(&self) -> Self::Hand {
        classifier_hand(&self.w, &self.b, &self.x, &self.labels)
    }
    fn generated_parts(&self, (value, g): Self::Generated) -> Parts {
        Parts {
            value,
            grads: vec![("w", flat(&g.w)), ("b", g.b.as_slice().to_vec())],
        }
    }
    fn hand_parts(&self, (value, dw, db): Self::Hand) -> Parts {
        Parts {
            value,
            grads: vec![("w", flat(&dw)), ("b", db.as_slice().to_vec())],
        }
    }

    fn with_workspace(&self, ws: &mut matgrad::Workspace) -> Option<f64> {
        Some(classifier_ws_grad_with(ws, &self.w, &self.b, &self.x, &self.labels).0)
    }
    fn with_workspace_parts(&self, ws: &mut matgrad::Workspace) -> Option<Parts> {
        let (value, g) = classifier_ws_grad_with(ws, &self.w, &self.b, &self.x, &self.labels);
        Some(self.generated_parts((
            value,
            ClassifierGrad {
                w: g.w.clone(),
                b: g.b.clone(),
            },
        )))
    }
}
