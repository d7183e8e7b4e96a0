//! `#[grad(.., workspace)]`: `f_grad_with` computes what `f_grad` computes, call after call in
//! one workspace (shapes changing between calls, two functions sharing it), and once warm a
//! call makes no allocation of its own. Allocations are counted per thread by this binary's
//! global allocator, so the tests running beside each other do not count each other's.

mod counting;

use counting::allocations;
use matgrad::{grad, logsumexp_columns, sigmoid, Broadcast, Workspace};
use nalgebra::{DMatrix, DVector, RowDVector};

/// ‖Ax − b‖².
#[grad(x, workspace)]
fn least_squares(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
    let r = a * x - b;
    r.norm_squared()
}

/// ‖b₂ + Wᵀσ(Wx + b₁) − x‖²: a product, its transpose, a `#[vjp]` rule (σ), sums.
#[grad(w, b1, b2, workspace)]
fn autoencoder(w: &DMatrix<f64>, b1: &DVector<f64>, b2: &DVector<f64>, x: &DVector<f64>) -> f64 {
    let u = w * x + b1;
    let v = sigmoid(&u);
    let z = b2 + w.transpose() * v - x;
    z.norm_squared()
}

/// Batch norm's scalar loss ⟨G, γ ⊙ x̂ + β⟩: broadcasts, means, a map, a product of entries.
#[grad(x, gamma, beta, workspace)]
fn batch_norm_loss(
    x: &DMatrix<f64>,
    gamma: &RowDVector<f64>,
    beta: &RowDVector<f64>,
    g: &DMatrix<f64>,
) -> f64 {
    let mu = x.row_mean();
    let xc = x.broadcast_sub(&mu);
    let var = xc.component_mul(&xc).row_mean();
    let std = var.map(|v| (v + 1e-5).sqrt());
    let y = xc
        .broadcast_div(&std)
        .broadcast_mul(gamma)
        .broadcast_add(beta);
    y.dot(g)
}

/// Batch norm itself, matrix-valued: `batch_norm_pullback_with` pulls a cotangent back.
#[grad(x, gamma, beta, workspace)]
fn batch_norm(x: &DMatrix<f64>, gamma: &RowDVector<f64>, beta: &RowDVector<f64>) -> DMatrix<f64> {
    let mu = x.row_mean();
    let xc = x.broadcast_sub(&mu);
    let var = xc.component_mul(&xc).row_mean();
    let std = var.map(|v| (v + 1e-5).sqrt());
    xc.broadcast_div(&std)
        .broadcast_mul(gamma)
        .broadcast_add(beta)
}

/// Softmax cross-entropy of a linear layer: a log-sum-exp, a loop over the labels.
#[grad(w, b, workspace)]
fn classifier(w: &DMatrix<f64>, b: &DVector<f64>, x: &DMatrix<f64>, labels: &[usize]) -> f64 {
    let z = (w * x).broadcast_add(b);
    let lse = logsumexp_columns(&z);
    let mut picked = 0.0;
    for (j, &k) in labels.iter().enumerate() {
        picked += z[(k, j)];
    }
    (lse.sum() - picked) / labels.len() as f64
}

/// An RNN's loss Σₜ ‖hₜ‖², hₜ = W·tanh(hₜ₋₁) + U·xₜ: a loop.
#[grad(w, u, workspace)]
fn rnn(w: &DMatrix<f64>, u: &DMatrix<f64>, h0: &DVector<f64>, xs: &[DVector<f64>]) -> f64 {
    let mut h = h0.clone();
    let mut l = 0.0;
    for x in xs.iter() {
        h = w * matgrad::tanh(&h) + u * x;
        l += h.norm_squared();
    }
    l
}

/// A branch on the data, and `?` on a Cholesky factorisation.
#[grad(s, workspace)]
fn log_det_or_trace(s: &DMatrix<f64>, use_det: bool) -> Option<f64> {
    let c = s.clone().cholesky()?;
    let value = if use_det {
        c.ln_determinant()
    } else {
        s.trace()
    };
    Some(value)
}

fn mat(r: usize, c: usize, seed: u64) -> DMatrix<f64> {
    DMatrix::from_fn(r, c, |i, j| {
        let k = (i * 31 + j * 17) as u64 + seed * 1009;
        ((k.wrapping_mul(2654435761) % 1000) as f64 / 500.0) - 1.0
    })
}

fn vec(n: usize, seed: u64) -> DVector<f64> {
    DVector::from_column_slice(mat(n, 1, seed).as_slice())
}

#[test]
fn least_squares_equals_grad_in_every_call_and_allocates_nothing_once_warm() {
    let mut ws = Workspace::new();
    for &(m, n) in &[(6, 4), (40, 30), (6, 4)] {
        let (a, x, b) = (mat(m, n, 1), vec(n, 2), vec(m, 3));
        let (value, grad) = least_squares_grad(&a, &x, &b);
        for _ in 0..3 {
            let (v, g) = least_squares_grad_with(&mut ws, &a, &x, &b);
            assert_eq!(v, value);
            assert_eq!(g.x, grad.x);
        }
        let (_, count) = allocations(|| least_squares_grad_with(&mut ws, &a, &x, &b).0);
        assert_eq!(count, 0, "{m}×{n}: a warm call allocates");
    }
    assert!(ws.free_buffers() > 0);
}

#[test]
fn the_gradient_is_lent_until_the_next_call_and_its_buffers_are_reused() {
    let (a, b) = (mat(8, 5, 4), vec(8, 5));
    let mut ws = Workspace::new();
    let first = least_squares_grad_with(&mut ws, &a, &vec(5, 6), &b)
        .1
        .x
        .clone();
    let second = least_squares_grad_with(&mut ws, &a, &vec(5, 7), &b)
        .1
        .x
        .clone();
    assert_ne!(first, second);
    assert_eq!(second, least_squares_grad(&a, &vec(5, 7), &b).1.x);
}

#[test]
fn autoencoder_and_batch_norm_share_a_workspace() {
    let (w, b1, b2, x) = (mat(7, 12, 8), vec(7, 9), vec(12, 10), vec(12, 11));
    let (xb, gamma, beta, g) = (
        mat(9, 4, 12),
        RowDVector::from_fn(4, |_, j| 1.0 + j as f64 / 4.0),
        RowDVector::from_fn(4, |_, j| j as f64 - 1.5),
        mat(9, 4, 13),
    );
    let (ae_value, ae_grad) = autoencoder_grad(&w, &b1, &b2, &x);
    let (bn_value, bn_grad) = batch_norm_loss_grad(&xb, &gamma, &beta, &g);
    let mut ws = Workspace::new();
    for _ in 0..3 {
        let (v, got) = autoencoder_grad_with(&mut ws, &w, &b1, &b2, &x);
        assert_eq!(v, ae_value);
        assert_eq!(*got, ae_grad);
        let (v, got) = batch_norm_loss_grad_with(&mut ws, &xb, &gamma, &beta, &g);
        assert_eq!(v, bn_value);
        assert_eq!(*got, bn_grad);
    }
    // Fewer allocations than `_grad`'s: what σ's `#[vjp]` rule reads (`u`, lent to a call)
    // is not recycled, and is allocated again.
    let (_, with) = allocations(|| autoencoder_grad_with(&mut ws, &w, &b1, &b2, &x).0);
    let (_, without) = allocations(|| autoencoder_grad(&w, &b1, &b2, &x).0);
    assert!(
        with < without,
        "{with} allocations with a workspace, {without} without"
    );
}

#[test]
fn a_matrix_valued_function_pulls_back_in_the_workspace_without_allocating() {
    let mut ws = Workspace::new();
    for &(m, d) in &[(9, 4), (30, 7)] {
        let x = mat(m, d, 30);
        let gamma = RowDVector::from_fn(d, |_, j| 1.0 + j as f64 / 4.0);
        let beta = RowDVector::from_fn(d, |_, j| j as f64 - 1.5);
        let g = mat(m, d, 31);
        let (y, pullback) = batch_norm_pullback(&x, &gamma, &beta);
        let want = pullback(&g);
        for _ in 0..3 {
            let (got_y, got) = batch_norm_pullback_with(&mut ws, &x, &gamma, &beta, &g);
            assert_eq!(*got_y, y);
            assert_eq!(*got, want);
        }
        let (_, count) =
            allocations(|| batch_norm_pullback_with(&mut ws, &x, &gamma, &beta, &g).0[(0, 0)]);
        assert_eq!(count, 0, "{m}×{d}: a warm call allocates");
    }
}

#[test]
fn the_workspace_holds_a_bounded_number_of_buffers_call_after_call() {
    let (w, b, x) = (mat(4, 6, 50), vec(4, 51), mat(6, 9, 52));
    let labels: Vec<usize> = (0..9).map(|j| j % 4).collect();
    let (value, grad) = classifier_grad(&w, &b, &x, &labels);
    let mut ws = Workspace::new();
    let mut held = Vec::new();
    for _ in 0..40 {
        let (v, g) = classifier_grad_with(&mut ws, &w, &b, &x, &labels);
        assert_eq!(v, value);
        assert_eq!(*g, grad);
        held.push(ws.free_buffers());
    }
    assert!(
        held[39] <= held[9],
        "the free buffers grow from call to call: {held:?}"
    );
}

#[test]
fn a_loop_and_a_fallible_branch_give_grad_s_results() {
    let (w, u, h0) = (mat(5, 5, 14) * 0.3, mat(5, 3, 15), vec(5, 16));
    let xs: Vec<DVector<f64>> = (0..6).map(|t| vec(3, 17 + t)).collect();
    let (value, grad) = rnn_grad(&w, &u, &h0, &xs);
    let mut ws = Workspace::new();
    for _ in 0..3 {
        let (v, g) = rnn_grad_with(&mut ws, &w, &u, &h0, &xs);
        assert_eq!(v, value);
        assert_eq!(*g, grad);
    }
    // No allocation per step: a loop's tape and deferred products go back to the workspace.
    let steps = |t: usize| -> u64 {
        let xs: Vec<DVector<f64>> = (0..t).map(|k| vec(3, 40 + k as u64)).collect();
        let mut ws = Workspace::new();
        for _ in 0..2 {
            rnn_grad_with(&mut ws, &w, &u, &h0, &xs);
        }
        allocations(|| rnn_grad_with(&mut ws, &w, &u, &h0, &xs).0).1
    };
    assert_eq!(
        steps(5),
        steps(40),
        "allocations per call grow with the steps"
    );
    let a = mat(4, 4, 23);
    let s = &a * a.transpose() + DMatrix::identity(4, 4);
    for use_det in [true, false, true] {
        let (value, grad) = log_det_or_trace_grad(&s, use_det).expect("positive definite");
        let (v, g) = log_det_or_trace_grad_with(&mut ws, &s, use_det).expect("positive definite");
        assert_eq!(v, value);
        assert_eq!(*g, grad);
    }
    let not_definite = -DMatrix::<f64>::identity(3, 3);
    assert!(log_det_or_trace_grad_with(&mut ws, &not_definite, true).is_none());
}
