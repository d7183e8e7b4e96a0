//! The workloads of `benches/workloads/` with `#[grad(.., forward)]`, for the second-order
//! benchmarks (`benches/second_order.rs`): the same bodies as `least_squares.rs`,
//! `frobenius.rs`, ..., copied so that `tests/bench_workloads.rs` and `benches/gradients.rs`,
//! which include `workloads/mod.rs`, do not compile the forward companions (only
//! `benches/second_order.rs` declares this module). `_grad` and the primal are generated as
//! without `forward`. Plus the function of the full-Hessian comparison, [`logistic_loss`].

use matgrad::{grad, sigmoid, softplus, tanh, Broadcast};
use nalgebra::{DMatrix, DVector, RowDVector};

/// ‖Ax − b‖² (`least_squares.rs`).
#[grad(x, forward)]
pub fn least_squares(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
    let r = a * x - b;
    r.norm_squared()
}

/// ‖XAᵀ − B‖²_F (`frobenius.rs`).
#[grad(x, forward)]
pub fn frobenius(x: &DMatrix<f64>, a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    (x * a.transpose() - b).norm_squared()
}

/// ½‖T − ΦW‖²_F (`prml.rs`).
#[grad(w, forward)]
pub fn prml(phi: &DMatrix<f64>, w: &DMatrix<f64>, t: &DMatrix<f64>) -> f64 {
    0.5 * (t - phi * w).norm_squared()
}

/// y = γ ⊙ (x − μ)/√(σ² + ε) + β (`batch_norm.rs`): matrix-valued, so `_jvp` only.
#[grad(x, gamma, beta, forward)]
pub fn batch_norm(
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

/// l = Σₜ ‖hₜ‖², hₜ = W tanh(hₜ₋₁) + U xₜ + b (`rnn.rs`).
#[grad(w, u, b, forward)]
pub fn rnn(
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

/// ‖b₂ + Wᵀσ(Wx + b₁) − x‖² (`autoencoder.rs`).
#[grad(w, b1, b2, forward)]
pub fn autoencoder(
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

/// The regularised mean logistic loss of `examples/newton.rs`,
/// L(w) = (1/n)·Σᵢ softplus(−yᵢ·xᵢᵀw) + (λ/2)·‖w‖², yᵢ ∈ {−1, +1}: the function of the
/// full Hessian at d = 100 (X is n×d).
#[grad(w, forward)]
pub fn logistic_loss(w: &DVector<f64>, x: &DMatrix<f64>, y: &DVector<f64>, lambda: f64) -> f64 {
    let margins = (x * w).component_mul(y);
    let losses = softplus(&(-margins));
    losses.mean() + 0.5 * lambda * w.norm_squared()
}
