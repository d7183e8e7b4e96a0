//! The derivation's unit and snapshot tests.

use super::*;
use crate::testing::lowered;

/// The Unicode derivation of `source` differentiated in `args`.
fn derivation(args: &str, source: &str) -> Derivation {
    let (sig, body, errors) = lowered(args, source);
    assert!(errors.is_empty(), "{errors:?}");
    derive(&body, &sig)
}

#[test]
fn scratch() {
    for (args, src) in [
        ("x", "fn least_squares(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 { let r = a * x - b; r.norm_squared() }"),
        ("x", "fn frobenius(x: &DMatrix<f64>, a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 { let r = x * a.transpose() - b; r.norm_squared() }"),
        ("w", "fn log_likelihood(w: &DMatrix<f64>, phi: &DMatrix<f64>, t: &DMatrix<f64>, beta: f64) -> f64 { let constant = t.len() as f64 / 2.0 * (beta / (2.0 * PI)).ln(); let r = phi * w - t; constant - beta / 2.0 * r.norm_squared() }"),
        ("x, gamma, beta", "fn batch_norm(x: &DMatrix<f64>, gamma: &RowDVector<f64>, beta: &RowDVector<f64>, eps: f64) -> DMatrix<f64> { let mu = x.row_mean(); let centred = x.broadcast_sub(&mu); let var = centred.component_mul(&centred).row_mean(); let xhat = centred.broadcast_div(&var.map(|v| (v + eps).sqrt())); xhat.broadcast_mul(gamma).broadcast_add(beta) }"),
        ("x", "fn f(x: &DMatrix<f64>, xs: &[DVector<f64>], t: f64) -> f64 { let mut h = x.column(0).into_owned(); for u in xs { h = (x * &h + u).map(|v| v.tanh()); } let mut s = h.norm(); if t > 0.0 { s = s * 2.0; } else { s = s.sin(); } s }"),
        ("x, w", "fn f(x: &DVector<f64>, w: &DVector<f64>) -> f64 { let s = x.norm(); let y = x / s; y.dot(w) + s.powi(3) + s.recip() + s.sqrt() }"),
    ] {
        let d = derivation(args, src);
        println!("{}\n--- inlined\n{}\n--- latex\n{}\n=====", d.text(Style::Unicode), d.inlined_text(Style::Unicode), d.text(Style::Latex));
    }
}
