//! The derivation's snapshot tests: the Unicode and LaTeX texts of the seed examples, a loop,
//! a branch, a call and an operation written through its registry formula, reviewed in
//! `src/math/snapshots/`.

use super::*;
use crate::testing::lowered;

/// The derivation of `source` differentiated in `args`, as Unicode and LaTeX.
fn texts(args: &str, source: &str) -> String {
    let (sig, body, errors) = lowered(args, source);
    assert!(errors.is_empty(), "{errors:?}");
    let d = derive(&body, &sig);
    format!("{}\n\n{}", d.text(Style::Unicode), d.text(Style::Latex))
}

#[test]
fn least_squares() {
    insta::assert_snapshot!(texts(
        "x",
        "fn least_squares(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
            let r = a * x - b;
            r.norm_squared()
        }"
    ));
}

#[test]
fn frobenius() {
    insta::assert_snapshot!(texts(
        "x",
        "fn frobenius(x: &DMatrix<f64>, a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
            let r = x * a.transpose() - b;
            r.norm_squared()
        }"
    ));
}

#[test]
fn prml() {
    insta::assert_snapshot!(texts(
        "w",
        "fn log_likelihood(w: &DMatrix<f64>, phi: &DMatrix<f64>, t: &DMatrix<f64>, beta: f64) -> f64 {
            let constant = t.len() as f64 / 2.0 * (beta / (2.0 * PI)).ln();
            let r = phi * w - t;
            constant - beta / 2.0 * r.norm_squared()
        }"
    ));
}

#[test]
fn batch_norm() {
    insta::assert_snapshot!(texts(
        "x, gamma, beta",
        "fn batch_norm(x: &DMatrix<f64>, gamma: &RowDVector<f64>, beta: &RowDVector<f64>, eps: f64) -> DMatrix<f64> {
            let mu = x.row_mean();
            let centred = x.broadcast_sub(&mu);
            let var = centred.component_mul(&centred).row_mean();
            let xhat = centred.broadcast_div(&var.map(|v| (v + eps).sqrt()));
            xhat.broadcast_mul(gamma).broadcast_add(beta)
        }"
    ));
}

#[test]
fn seed_rnn() {
    insta::assert_snapshot!(texts(
        "w, u, b",
        "fn rnn_loss(w: &DMatrix<f64>, u: &DMatrix<f64>, b: &DVector<f64>, h0: &DVector<f64>, xs: &[DVector<f64>]) -> f64 {
            let mut h = h0.clone();
            let mut l = 0.0;
            for x in xs.iter() {
                h = w * tanh(&h) + u * x + b;
                l += 0.5 * h.norm_squared();
            }
            l
        }"
    ));
}

#[test]
fn seed_autoencoder() {
    insta::assert_snapshot!(texts(
        "w, b1, b2",
        "fn loss_map(w: &DMatrix<f64>, b1: &DVector<f64>, b2: &DVector<f64>, x: &DVector<f64>) -> f64 {
            let u = w * x + b1;
            let v = u.map(|v| 1.0 / (1.0 + (-v).exp()));
            let z = b2 + w.transpose() * v;
            (z - x).norm_squared()
        }"
    ));
}

#[test]
fn rnn_loop() {
    insta::assert_snapshot!(texts(
        "w, u, b",
        "fn rnn(w: &DMatrix<f64>, u: &DMatrix<f64>, b: &DVector<f64>, xs: &[DVector<f64>]) -> f64 {
            let mut h = DVector::zeros(b.len());
            let mut loss = 0.0;
            for x in xs {
                h = (w * h.map(|v| v.tanh()) + u * x + b);
                loss += h.norm_squared();
            }
            loss
        }"
    ));
}

#[test]
fn branch_and_shadowing() {
    insta::assert_snapshot!(texts(
        "x",
        "fn f(x: &DVector<f64>, t: f64) -> f64 {
            let s = x.norm();
            let s = if t > 0.0 { s * t } else { s.exp() };
            let s = s * s;
            s
        }"
    ));
}

#[test]
fn call_and_cited_rule() {
    insta::assert_snapshot!(texts(
        "a",
        "fn f(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
            let c = a.cholesky().unwrap();
            let x = c.solve(b);
            let k = c.l();
            helper(&x, 2.0) + k.sum()
        }"
    ));
}

/// Every name the source writes is the derivation's: none of the generated bindings' names.
#[test]
fn no_generated_name_appears() {
    let t = texts(
        "x",
        "fn f(x: &DMatrix<f64>) -> f64 { let y = x.transpose() * x; (y * 2.0).trace() + y.norm() }",
    );
    assert!(!t.contains("__"), "{t}");
}

#[test]
fn solve_and_log_determinant() {
    insta::assert_snapshot!(texts(
        "a, b",
        "fn f(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
            let c = a.clone().cholesky().unwrap();
            let y = c.solve(b);
            let z = a.solve_lower_triangular(&y).unwrap();
            z.dot(b) + c.ln_determinant()
        }"
    ));
}

#[test]
fn steps_and_powers() {
    insta::assert_snapshot!(texts(
        "s, t",
        "fn f(s: f64, t: f64) -> f64 {
            let p = (s * s + 1.0).powf(t) + s.hypot(t) + s.cbrt();
            p.max(t) + s.clamp(-0.3, 2.0) + (t * t).log10()
        }"
    ));
}
