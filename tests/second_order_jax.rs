//! Second order of the worked examples against JAX: the seed's least squares, Frobenius norm,
//! PRML log-likelihood, batch normalisation, RNN and tied autoencoder, the Newton example's
//! logistic loss, and a Gaussian negative log-likelihood (a log-determinant and a solve), a
//! softmax cross-entropy, Σ sin(λᵢ) of a symmetric matrix and Σ sin(σᵢ) of a non-square one,
//! at two sizes each, under `#[grad(.., forward)]` with the bodies of the examples.
//!
//! `f_jvp`, `f_hvp` and `f_hessian` are held to the values JAX computed in float64
//! (`tests/data/second_order_jax.py`, which checks them against finite differences): the
//! value, the gradient, J·v and H·v along the script's direction, and the full Hessian in
//! nalgebra's layout; `f_hessian`'s value and gradient to `f_grad`'s, and its product with the
//! stacked direction to H·v; J·v and H·v also to central differences of `f` and `f_grad`
//! along the direction. `cargo test --test second_order_jax -- --nocapture` prints the worst
//! relative error of each check per function.

mod common;

use common::{assert_value, json_matrix, json_number, reference_data, rel_error};
use matgrad::{grad, log_softmax_rows, sigmoid, softplus, tanh, Broadcast};
use nalgebra::{DMatrix, DVector, Dim, Matrix, RawStorage, RowDVector};
use serde_json::Value;
use std::f64::consts::PI;

/// Against JAX: both are float64 evaluations of the same formulas, apart by rounding only.
const JAX_TOL: f64 = 1e-10;
/// `f_hessian`'s value and gradient against `f_grad`'s, and H (stacked v) against `f_hvp`.
const SAME_TOL: f64 = 1e-12;
/// Central differences along the direction, step [`H`]: J·v against `f`, H·v against `f_grad`.
const JVP_FD_TOL: f64 = 1e-6;
const HVP_FD_TOL: f64 = 1e-5;
const H: f64 = 1e-5;

// ========================================================= the functions, as written there

/// examples/least_squares.rs: ‖Ax − b‖².
#[grad(x, forward)]
fn least_squares(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
    let r = a * x - b;
    r.norm_squared()
}

/// examples/frobenius.rs: ‖XAᵀ − B‖²_F.
#[grad(x, forward)]
fn frobenius(x: &DMatrix<f64>, a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    let r = x * a.transpose() - b;
    r.norm_squared()
}

/// examples/prml.rs: ln p(T | X, W, β) = (NK/2)·ln(β/2π) − (β/2)·‖ΦW − T‖²_F.
#[grad(w, forward)]
fn log_likelihood(w: &DMatrix<f64>, phi: &DMatrix<f64>, t: &DMatrix<f64>, beta: f64) -> f64 {
    let constant = t.len() as f64 / 2.0 * (beta / (2.0 * PI)).ln();
    let r = phi * w - t;
    constant - beta / 2.0 * r.norm_squared()
}

/// tests/fallible.rs's `gaussian_nll_unwrapped`: ½‖L⁻¹(x − μ)‖² + ½ln|S|, S = LLᵀ.
#[grad(s, mu, forward)]
fn gaussian_nll(s: &DMatrix<f64>, mu: &DVector<f64>, x: &DVector<f64>) -> f64 {
    let c = s.clone().cholesky().unwrap();
    let r = x - mu;
    let z = c.l().solve_lower_triangular(&r).unwrap();
    0.5 * z.norm_squared() + 0.5 * c.ln_determinant()
}

/// examples/batchnorm.rs's `batch_norm`.
#[grad(x, gamma, beta, forward)]
fn batch_norm(
    x: &DMatrix<f64>,
    gamma: &RowDVector<f64>,
    beta: &RowDVector<f64>,
    eps: f64,
) -> DMatrix<f64> {
    let mu = x.row_mean();
    let centred = x.broadcast_sub(&mu);
    let var = centred.component_mul(&centred).row_mean();
    let xhat = centred.broadcast_div(&var.map(|v| (v + eps).sqrt()));
    xhat.broadcast_mul(gamma).broadcast_add(beta)
}

/// examples/batchnorm.rs's `Problem::loss`: l = ⟨G, batch_norm(X, γ, β)⟩.
#[grad(x, gamma, beta, forward)]
fn batch_norm_loss(
    x: &DMatrix<f64>,
    gamma: &RowDVector<f64>,
    beta: &RowDVector<f64>,
    eps: f64,
    g: &DMatrix<f64>,
) -> f64 {
    g.dot(&batch_norm(x, gamma, beta, eps))
}

/// examples/rnn.rs: l = Σₜ ½‖hₜ‖², hₜ = W tanh(hₜ₋₁) + U xₜ + b.
#[grad(w, u, b, forward)]
fn rnn_loss(
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
        l += 0.5 * h.norm_squared();
    }
    l
}

/// examples/autoencoder.rs's `loss`: ‖b₂ + Wᵀσ(Wx + b₁) − x‖².
#[grad(w, b1, b2, forward)]
fn autoencoder(w: &DMatrix<f64>, b1: &DVector<f64>, b2: &DVector<f64>, x: &DVector<f64>) -> f64 {
    let u = w * x + b1;
    let v = sigmoid(&u);
    let z = b2 + w.transpose() * v;
    (z - x).norm_squared()
}

/// examples/autoencoder.rs's `loss_map`: the sigmoid through a closure; JAX's `autoencoder`.
#[grad(w, b1, b2, forward)]
fn autoencoder_map(
    w: &DMatrix<f64>,
    b1: &DVector<f64>,
    b2: &DVector<f64>,
    x: &DVector<f64>,
) -> f64 {
    let u = w * x + b1;
    let v = u.map(|v| 1.0 / (1.0 + (-v).exp()));
    let z = b2 + w.transpose() * v;
    (z - x).norm_squared()
}

/// examples/newton.rs: the regularised mean logistic loss.
#[grad(w, forward)]
fn logistic_loss(w: &DVector<f64>, x: &DMatrix<f64>, y: &DVector<f64>, lambda: f64) -> f64 {
    let margins = (x * w).component_mul(y);
    let losses = softplus(&(-margins));
    losses.mean() + 0.5 * lambda * w.norm_squared()
}

/// The mean cross-entropy of a linear softmax classifier, labels one-hot rows of `y`.
#[grad(w, forward)]
fn softmax_ce(w: &DMatrix<f64>, x: &DMatrix<f64>, y: &DMatrix<f64>) -> f64 {
    let log_p = log_softmax_rows(&(x * w));
    -y.component_mul(&log_p).sum() / x.nrows() as f64
}

/// Σ sin(λᵢ) of a symmetric matrix (tests/spectral.rs).
#[grad(s, forward)]
fn eig_sin(s: &DMatrix<f64>) -> f64 {
    let e = s.clone().symmetric_eigen();
    e.eigenvalues.map(|l| l.sin()).sum()
}

/// Σ sin(σᵢ) of a matrix, square or not.
#[grad(a, forward)]
fn svd_sin(a: &DMatrix<f64>) -> f64 {
    a.singular_values().map(|v| v.sin()).sum()
}

// ========================================================================== the checks

/// A case of the reference data: its inputs, moved by `t` times its direction (the
/// finite differences), and its direction, by name.
struct Case<'a>(&'a Value, f64);

impl Case<'_> {
    fn m(&self, name: &str) -> DMatrix<f64> {
        let x = json_matrix(&self.0["inputs"][name]);
        match self.0["direction"].get(name) {
            Some(d) => x + json_matrix(d) * self.1,
            None => x,
        }
    }
    fn v(&self, name: &str) -> DVector<f64> {
        self.m(name).column(0).into_owned()
    }
    fn r(&self, name: &str) -> RowDVector<f64> {
        self.m(name).row(0).into_owned()
    }
    fn s(&self, name: &str) -> f64 {
        json_number(&self.0["inputs"][name])
    }
    /// The columns of the input `name`.
    fn columns(&self, name: &str) -> Vec<DVector<f64>> {
        self.m(name).column_iter().map(|c| c.into_owned()).collect()
    }
    fn dm(&self, name: &str) -> DMatrix<f64> {
        json_matrix(&self.0["direction"][name])
    }
    fn dv(&self, name: &str) -> DVector<f64> {
        self.dm(name).column(0).into_owned()
    }
    fn dr(&self, name: &str) -> RowDVector<f64> {
        self.dm(name).row(0).into_owned()
    }
}

/// Any nalgebra matrix or vector as a `DMatrix` of its shape.
fn entries<R: Dim, C: Dim, S: RawStorage<f64, R, C>>(m: &Matrix<f64, R, C, S>) -> DMatrix<f64> {
    DMatrix::from_iterator(m.nrows(), m.ncols(), m.iter().copied())
}

/// Matrices stacked column-major into one vector: the layout of `f_hessian`.
fn stack(ms: &[DMatrix<f64>]) -> DVector<f64> {
    DVector::from_iterator(
        ms.iter().map(|m| m.len()).sum(),
        ms.iter().flat_map(|m| m.iter().copied()),
    )
}

/// `|a − b| / max(|a|, |b|)` (0 when both are 0).
fn rel(a: f64, b: f64) -> f64 {
    let scale = a.abs().max(b.abs());
    if scale > 0.0 {
        (a - b).abs() / scale
    } else {
        0.0
    }
}

/// What a function's companions returned at a case, each parameter's entries as a matrix.
struct Got {
    value: f64,
    grad: (f64, Vec<DMatrix<f64>>),
    jvp: (f64, f64),
    hvp: (f64, Vec<DMatrix<f64>>, Vec<DMatrix<f64>>),
    hessian: (f64, Vec<DMatrix<f64>>, DMatrix<f64>),
}

/// `got!(f, f_grad, f_jvp, f_hvp, f_hessian; (arguments); (directions); parameters)`.
macro_rules! got {
    ($f:ident, $g:ident, $j:ident, $hv:ident, $h:ident;
     ($($a:expr),*); ($($d:expr),*); $($p:ident),+) => {{
        let (v, g) = $g($($a),*);
        let (hv_v, hv_g, hv) = $hv($($a),*, $($d),*);
        let (h_v, h_g, h) = $h($($a),*);
        Got {
            value: $f($($a),*),
            grad: (v, vec![$(entries(&g.$p)),+]),
            jvp: $j($($a),*, $($d),*),
            hvp: (hv_v, vec![$(entries(&hv_g.$p)),+], vec![$(entries(&hv.$p)),+]),
            hessian: (h_v, vec![$(entries(&h_g.$p)),+], h),
        }
    }};
}

/// The worst relative error of each check over a function's cases.
#[derive(Debug, Default)]
struct Worst {
    value: f64,
    grad: f64,
    jvp: f64,
    hvp: f64,
    hessian: f64,
    hessian_vs_grad: f64,
    hessian_times_v: f64,
    jvp_fd: f64,
    hvp_fd: f64,
}

/// The worst relative error of each matrix against the reference's of the same parameter.
fn worst_of(got: &[DMatrix<f64>], reference: &Value, params: &[&str]) -> f64 {
    let errors = got.iter().zip(params).map(|(g, p)| {
        let r = json_matrix(&reference[*p]);
        assert_eq!(g.shape(), r.shape(), "the shape of {p}");
        rel_error(g, &r)
    });
    errors.fold(0.0, f64::max)
}

/// Runs `run` (the companions of the function `name`) on every case of the reference data's
/// function `reference`, and checks them against JAX, finite differences and one another.
fn check(name: &str, reference: &str, run: fn(&Case) -> Got) {
    let data = reference_data("second_order_jax");
    let f = &data["functions"][reference];
    let params: Vec<&str> = f["params"]
        .as_array()
        .expect("params")
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let cases = f["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 2, "{reference}: two sizes");
    let mut w = Worst::default();
    for (k, c) in cases.iter().enumerate() {
        let got = run(&Case(c, 0.0));
        let (up, down) = (run(&Case(c, H)), run(&Case(c, -H)));
        let fd = (up.value - down.value) / (2.0 * H);
        w.jvp_fd = w.jvp_fd.max(rel(got.jvp.1, fd));
        for ((u, d), hv) in up.grad.1.iter().zip(&down.grad.1).zip(&got.hvp.2) {
            w.hvp_fd = w.hvp_fd.max(rel_error(hv, &((u - d) / (2.0 * H))));
        }
        let what = format!("{name}, case {k}");
        for v in [got.grad.0, got.jvp.0, got.hvp.0, got.hessian.0] {
            assert_value(&what, v, got.value);
        }
        w.value = w.value.max(rel(got.value, json_number(&c["value"])));
        w.grad = w.grad.max(worst_of(&got.grad.1, &c["grad"], &params));
        w.grad = w.grad.max(worst_of(&got.hvp.1, &c["grad"], &params));
        w.jvp = w.jvp.max(rel(got.jvp.1, json_number(&c["jvp"])));
        w.hvp = w.hvp.max(worst_of(&got.hvp.2, &c["hvp"], &params));
        let (h_value, h_grad, h) = &got.hessian;
        if !c["hessian"].is_null() {
            w.hessian = w.hessian.max(rel_error(h, &json_matrix(&c["hessian"])));
        }
        let vs_grad = h_grad.iter().zip(&got.grad.1).map(|(a, b)| rel_error(a, b));
        w.hessian_vs_grad =
            vs_grad.fold(w.hessian_vs_grad.max(rel(*h_value, got.grad.0)), f64::max);
        let v = stack(
            &params
                .iter()
                .map(|p| json_matrix(&c["direction"][*p]))
                .collect::<Vec<_>>(),
        );
        w.hessian_times_v = w
            .hessian_times_v
            .max(rel_error(&(h * v), &stack(&got.hvp.2)));
    }
    println!("{name}: {w:?}");
    let against_jax = [w.value, w.grad, w.jvp, w.hvp, w.hessian];
    assert!(
        against_jax.iter().all(|e| *e <= JAX_TOL),
        "{name} against JAX: {w:?}"
    );
    let internal = [w.hessian_vs_grad, w.hessian_times_v];
    assert!(
        internal.iter().all(|e| *e <= SAME_TOL),
        "{name}, companions: {w:?}"
    );
    assert!(
        w.jvp_fd <= JVP_FD_TOL && w.hvp_fd <= HVP_FD_TOL,
        "{name} against finite differences: {w:?}"
    );
}

#[test]
fn least_squares_matches_jax() {
    check("least_squares", "least_squares", |c| {
        let (a, x, b) = (c.m("a"), c.v("x"), c.v("b"));
        got!(least_squares, least_squares_grad, least_squares_jvp, least_squares_hvp,
             least_squares_hessian; (&a, &x, &b); (&c.dv("x")); x)
    });
}

#[test]
fn frobenius_matches_jax() {
    check("frobenius", "frobenius", |c| {
        let (x, a, b) = (c.m("x"), c.m("a"), c.m("b"));
        got!(frobenius, frobenius_grad, frobenius_jvp, frobenius_hvp, frobenius_hessian;
             (&x, &a, &b); (&c.dm("x")); x)
    });
}

#[test]
fn log_likelihood_matches_jax() {
    check("log_likelihood", "log_likelihood", |c| {
        let (w, phi, t, beta) = (c.m("w"), c.m("phi"), c.m("t"), c.s("beta"));
        got!(log_likelihood, log_likelihood_grad, log_likelihood_jvp, log_likelihood_hvp,
             log_likelihood_hessian; (&w, &phi, &t, beta); (&c.dm("w")); w)
    });
}

#[test]
fn gaussian_nll_matches_jax() {
    check("gaussian_nll", "gaussian_nll", |c| {
        let (s, mu, x) = (c.m("s"), c.v("mu"), c.v("x"));
        got!(gaussian_nll, gaussian_nll_grad, gaussian_nll_jvp, gaussian_nll_hvp,
             gaussian_nll_hessian; (&s, &mu, &x); (&c.dm("s"), &c.dv("mu")); s, mu)
    });
}

#[test]
fn batch_norm_loss_matches_jax() {
    check("batch_norm_loss", "batch_norm_loss", |c| {
        let (x, gamma, beta, eps, g) = (c.m("x"), c.r("gamma"), c.r("beta"), c.s("eps"), c.m("g"));
        let d = (c.dm("x"), c.dr("gamma"), c.dr("beta"));
        got!(batch_norm_loss, batch_norm_loss_grad, batch_norm_loss_jvp, batch_norm_loss_hvp,
             batch_norm_loss_hessian; (&x, &gamma, &beta, eps, &g); (&d.0, &d.1, &d.2);
             x, gamma, beta)
    });
}

#[test]
fn rnn_loss_matches_jax() {
    check("rnn_loss", "rnn_loss", |c| {
        let (w, u, b, h0, xs) = (c.m("w"), c.m("u"), c.v("b"), c.v("h0"), c.columns("xs"));
        let d = (c.dm("w"), c.dm("u"), c.dv("b"));
        got!(rnn_loss, rnn_loss_grad, rnn_loss_jvp, rnn_loss_hvp, rnn_loss_hessian;
             (&w, &u, &b, &h0, &xs); (&d.0, &d.1, &d.2); w, u, b)
    });
}

#[test]
fn autoencoder_matches_jax() {
    check("autoencoder", "autoencoder", |c| {
        let (w, b1, b2, x) = (c.m("w"), c.v("b1"), c.v("b2"), c.v("x"));
        let d = (c.dm("w"), c.dv("b1"), c.dv("b2"));
        got!(autoencoder, autoencoder_grad, autoencoder_jvp, autoencoder_hvp,
             autoencoder_hessian; (&w, &b1, &b2, &x); (&d.0, &d.1, &d.2); w, b1, b2)
    });
    check("autoencoder_map", "autoencoder", |c| {
        let (w, b1, b2, x) = (c.m("w"), c.v("b1"), c.v("b2"), c.v("x"));
        let d = (c.dm("w"), c.dv("b1"), c.dv("b2"));
        got!(autoencoder_map, autoencoder_map_grad, autoencoder_map_jvp, autoencoder_map_hvp,
             autoencoder_map_hessian; (&w, &b1, &b2, &x); (&d.0, &d.1, &d.2); w, b1, b2)
    });
}

#[test]
fn logistic_loss_matches_jax() {
    check("logistic_loss", "logistic_loss", |c| {
        let (w, x, y, lambda) = (c.v("w"), c.m("x"), c.v("y"), c.s("lambda"));
        got!(logistic_loss, logistic_loss_grad, logistic_loss_jvp, logistic_loss_hvp,
             logistic_loss_hessian; (&w, &x, &y, lambda); (&c.dv("w")); w)
    });
}

#[test]
fn softmax_ce_matches_jax() {
    check("softmax_ce", "softmax_ce", |c| {
        let (w, x, y) = (c.m("w"), c.m("x"), c.m("y"));
        got!(softmax_ce, softmax_ce_grad, softmax_ce_jvp, softmax_ce_hvp, softmax_ce_hessian;
             (&w, &x, &y); (&c.dm("w")); w)
    });
}

#[test]
fn eig_sin_matches_jax() {
    check("eig_sin", "eig_sin", |c| {
        let s = c.m("s");
        got!(eig_sin, eig_sin_grad, eig_sin_jvp, eig_sin_hvp, eig_sin_hessian;
             (&s); (&c.dm("s")); s)
    });
}

#[test]
fn svd_sin_matches_jax() {
    check("svd_sin", "svd_sin", |c| {
        let a = c.m("a");
        got!(svd_sin, svd_sin_grad, svd_sin_jvp, svd_sin_hvp, svd_sin_hessian;
             (&a); (&c.dm("a")); a)
    });
}

/// The matrix-valued `batch_norm`: its value and J·v against JAX's, and J·v against its
/// Jacobian times the stacked direction.
#[test]
fn batch_norm_jvp_matches_jax() {
    let data = reference_data("second_order_jax");
    let (mut value, mut jvp, mut jacobian, mut fd) = (0.0_f64, 0.0_f64, 0.0_f64, 0.0_f64);
    for c in data["functions"]["batch_norm"]["cases"]
        .as_array()
        .expect("cases")
    {
        let at = |t| {
            let c = Case(c, t);
            batch_norm(&c.m("x"), &c.r("gamma"), &c.r("beta"), c.s("eps"))
        };
        let c = Case(c, 0.0);
        let (x, gamma, beta, eps) = (c.m("x"), c.r("gamma"), c.r("beta"), c.s("eps"));
        let d = (c.dm("x"), c.dr("gamma"), c.dr("beta"));
        let (y, ydot) = batch_norm_jvp(&x, &gamma, &beta, eps, &d.0, &d.1, &d.2);
        assert_eq!(y, batch_norm(&x, &gamma, &beta, eps));
        value = value.max(rel_error(&y, &json_matrix(&c.0["value"])));
        jvp = jvp.max(rel_error(&ydot, &json_matrix(&c.0["jvp"])));
        let (_, j) = batch_norm_jacobian(&x, &gamma, &beta, eps);
        let v = stack(&[d.0, entries(&d.1), entries(&d.2)]);
        jacobian = jacobian.max(rel_error(&(j * v), &stack(std::slice::from_ref(&ydot))));
        fd = fd.max(rel_error(&ydot, &((at(H) - at(-H)) / (2.0 * H))));
    }
    println!("batch_norm: value {value:e}, jvp {jvp:e}, J·v vs jvp {jacobian:e}, fd {fd:e}");
    assert!(value <= JAX_TOL && jvp <= JAX_TOL && jacobian <= SAME_TOL && fd <= JVP_FD_TOL);
}
