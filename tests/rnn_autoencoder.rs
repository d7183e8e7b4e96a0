//! The seed's RNN and tied-weight autoencoder examples (`examples/rnn.rs`,
//! `examples/autoencoder.rs`) as tests, on several shapes: each generated gradient must match
//! the seed's formula, evaluated by hand in the example, to 1e-9 relative and central finite
//! differences to 1e-6.

#[path = "../examples/support/mod.rs"]
mod support;

#[allow(dead_code)]
#[path = "../examples/rnn.rs"]
mod rnn;

#[allow(dead_code)]
#[path = "../examples/autoencoder.rs"]
mod autoencoder;

use support::{relative_difference, Report};

/// (H, I, T): state entries, input entries, steps. H ≠ I except in the 1×1 case.
const RNN_SHAPES: &[(usize, usize, usize)] = &[
    (1, 1, 1),
    (1, 3, 4),
    (2, 3, 5),
    (4, 3, 6),
    (5, 2, 10),
    (3, 6, 3),
];

/// (h, d): code entries, input entries.
const AUTOENCODER_SHAPES: &[(usize, usize)] = &[(1, 1), (1, 4), (3, 5), (5, 3), (2, 7), (6, 6)];

#[track_caller]
fn assert_agrees(at: &str, report: Report) {
    assert!(
        report.vs_closed_form < 1e-9,
        "{at}: the generated gradient is {:e} from the seed's formula\n{report}",
        report.vs_closed_form
    );
    assert!(
        report.vs_finite_differences < 1e-6,
        "{at}: the generated gradient is {:e} from finite differences\n{report}",
        report.vs_finite_differences
    );
    assert!(report.value.is_finite(), "{at}: value {}", report.value);
}

#[test]
fn rnn_matches_the_seed_and_finite_differences() {
    for (seed, &(h, i, t)) in RNN_SHAPES.iter().enumerate() {
        let at = format!("rnn H = {h}, I = {i}, T = {t}");
        assert_agrees(&at, rnn::report_at(seed as u64, h, i, t));
    }
}

#[test]
fn rnn_report() {
    let report = rnn::report();
    assert_eq!(report.name, "rnn");
    assert_agrees("rnn::report", report);
}

/// The generated value is the original function's, and the closed form's gradients are not
/// trivially zero (so agreeing with them means something).
#[test]
fn rnn_value_and_nonzero_gradients() {
    let (w, u, b, h0, xs) = rnn::data(11, 4, 3, 6);
    let (value, grad) = rnn::rnn_loss_grad(&w, &u, &b, &h0, &xs);
    assert_eq!(value, rnn::rnn_loss(&w, &u, &b, &h0, &xs));
    let (dw, du, db) = rnn::closed_form(&w, &u, &b, &h0, &xs);
    assert!(dw.amax() > 0.1 && du.amax() > 0.1 && db.amax() > 0.1);
    assert_eq!(grad.w.shape(), (4, 4));
    assert_eq!(grad.u.shape(), (4, 3));
    assert_eq!(grad.b.len(), 4);
}

/// The seed's last line for ∂lₜ/∂W, Σₖ f(hₖ₋₁) ∂lₜ/∂hₖᵀ, is the transpose of the right
/// answer; the example uses the line before it. Check that the two really differ, so the
/// comparison above would catch a transposed formula.
#[test]
fn rnn_transposed_summand_is_wrong() {
    let (w, u, b, h0, xs) = rnn::data(12, 4, 3, 6);
    let (_, grad) = rnn::rnn_loss_grad(&w, &u, &b, &h0, &xs);
    let (dw, _, _) = rnn::closed_form(&w, &u, &b, &h0, &xs);
    assert!(relative_difference(&grad.w, &dw) < 1e-9);
    assert!(relative_difference(&grad.w, &dw.transpose()) > 1e-3);
}

/// No inputs: the loss is zero and so is every gradient.
#[test]
fn rnn_without_steps() {
    let (w, u, b, h0, xs) = rnn::data(13, 3, 2, 0);
    let (value, grad) = rnn::rnn_loss_grad(&w, &u, &b, &h0, &xs);
    assert_eq!(value, 0.0);
    assert_eq!(grad.w.amax(), 0.0);
    assert_eq!(grad.u.amax(), 0.0);
    assert_eq!(grad.b.amax(), 0.0);
    assert_agrees("rnn T = 0", rnn::report_at(13, 3, 2, 0));
}

#[test]
fn autoencoder_matches_the_seed_and_finite_differences() {
    for (seed, &(h, d)) in AUTOENCODER_SHAPES.iter().enumerate() {
        let at = format!("autoencoder h = {h}, d = {d}");
        assert_agrees(&at, autoencoder::report_at(100 + seed as u64, h, d));
    }
}

#[test]
fn autoencoder_report() {
    let report = autoencoder::report();
    assert_eq!(report.name, "autoencoder");
    assert_agrees("autoencoder::report", report);
}

/// `sigmoid(&u)` and `.map(|v| 1.0 / (1.0 + (-v).exp()))` give the same value and the same
/// gradients.
#[test]
fn autoencoder_sigmoid_call_and_map_agree() {
    for (seed, &(h, d)) in AUTOENCODER_SHAPES.iter().enumerate() {
        let at = format!("h = {h}, d = {d}");
        let (w, b1, b2, x) = autoencoder::data(200 + seed as u64, h, d);
        let (v_call, g_call) = autoencoder::loss_grad(&w, &b1, &b2, &x);
        let (v_map, g_map) = autoencoder::loss_map_grad(&w, &b1, &b2, &x);
        assert_eq!(v_call, autoencoder::loss(&w, &b1, &b2, &x), "{at}");
        assert_eq!(v_map, autoencoder::loss_map(&w, &b1, &b2, &x), "{at}");
        assert!(
            (v_call - v_map).abs() <= 1e-12 * v_call.abs().max(1.0),
            "{at}"
        );
        assert!(relative_difference(&g_map.w, &g_call.w) < 1e-12, "{at}");
        assert!(relative_difference(&g_map.b1, &g_call.b1) < 1e-12, "{at}");
        assert!(relative_difference(&g_map.b2, &g_call.b2) < 1e-12, "{at}");
    }
}

/// Both terms of the seed's ∇_W matter: neither alone is the gradient.
#[test]
fn autoencoder_needs_both_terms() {
    let (w, b1, b2, x) = autoencoder::data(300, 3, 5);
    let (_, g) = autoencoder::loss_grad(&w, &b1, &b2, &x);
    let (dw, db1, db2) = autoencoder::closed_form(&w, &b1, &b2, &x);
    let u = &w * &x + &b1;
    let v = u.map(|v| 1.0 / (1.0 + (-v).exp()));
    // The decoder's term σ(u)(∇_z l)ᵀ and the encoder's diag(σ′(u)) W ∇_t l xᵀ = ∇b₁ xᵀ.
    let decoder = &v * db2.transpose();
    let encoder = &db1 * x.transpose();
    assert!(relative_difference(&(&decoder + &encoder), &dw) < 1e-12);
    assert!(relative_difference(&g.w, &decoder) > 1e-3);
    assert!(relative_difference(&g.w, &encoder) > 1e-3);
}

#[test]
fn the_table_says_all_agree() {
    let table = support::table(&[rnn::report(), autoencoder::report()]);
    assert!(table.contains("\nall 2 agree"), "{table}");
}
