//! The derivations `#[grad]` writes (`F_DERIVATION`, `F_DERIVATION_LATEX`): for each seed
//! example, the derivation with its intermediates substituted states the seed's closed form
//! (written here from the notes, in the source's names), and the batch-norm derivation has a
//! line for each of the seed's path-by-path equations. Loops, branches and calls have their
//! forms. The notation's numbers are held to finite differences in `matgrad-macros-core`
//! (`math::numeric_tests`); the whole texts are reviewed snapshots there (`math::tests`).

#[path = "../examples/support/mod.rs"]
mod support;

#[allow(dead_code)]
#[path = "../examples/least_squares.rs"]
mod least_squares;

#[allow(dead_code)]
#[path = "../examples/frobenius.rs"]
mod frobenius;

#[allow(dead_code)]
#[path = "../examples/prml.rs"]
mod prml;

#[allow(dead_code)]
#[path = "../examples/batchnorm.rs"]
mod batchnorm;

use matgrad::grad;
use nalgebra::{DMatrix, DVector};

/// The lines of a derivation, trimmed.
fn lines(derivation: &str) -> Vec<&str> {
    derivation.lines().map(str::trim).collect()
}

#[track_caller]
fn assert_line(derivation: &str, line: &str) {
    assert!(
        lines(derivation).contains(&line),
        "no line `{line}` in\n{derivation}"
    );
}

#[test]
fn least_squares_states_the_seeds_closed_form() {
    // The seed: ∇ₓ‖Ax − b‖² = 2Aᵀ(Ax − b).
    let d = least_squares::LEAST_SQUARES_DERIVATION;
    assert_line(d, "r = a·x − b");
    assert_line(d, "r̄ = 2·r");
    assert_line(d, "x̄ = aᵀ·r̄");
    assert_line(d, "x̄ = 2·aᵀ·(a·x − b)");
}

#[test]
fn frobenius_states_the_seeds_closed_form() {
    // The seed: ∇‖XAᵀ − B‖²_F = 2(XAᵀ − B)A.
    let d = frobenius::FROBENIUS_DERIVATION;
    assert_line(d, "x̄ = r̄·a");
    assert_line(d, "x̄ = 2·(x·aᵀ − b)·a");
}

#[test]
fn prml_states_the_seeds_closed_form() {
    // The seed: ∇f = −βΦᵀ(ΦW − T), Φ the design matrix `phi`.
    let d = prml::LOG_LIKELIHOOD_DERIVATION;
    assert_line(d, "l = constant − β·‖r‖²/2");
    assert_line(d, "w̄ = −β·φᵀ·(φ·w − t)");
}

#[test]
fn batch_norm_has_a_line_for_each_of_the_seeds_paths() {
    let d = batchnorm::BATCH_NORM_DERIVATION;
    for (_, line, _) in batchnorm::SEED_PATHS {
        assert_line(d, line);
    }
    // The forward equations are the seed's four: μ, σ², x̂, y.
    assert_line(d, "μ = Σᵢ x/m");
    assert_line(d, "var = Σᵢ(centred ⊙ centred)/m");
    assert_line(d, "x̂ = centred ⊘ √(var + ε)");
    assert_line(d, "y = x̂ ⊙ γ + β");
}

#[test]
fn latex_is_an_aligned_block_of_the_same_equations() {
    let d = least_squares::LEAST_SQUARES_DERIVATION_LATEX;
    assert!(
        d.starts_with("\\begin{aligned}") && d.ends_with("\\end{aligned}"),
        "{d}"
    );
    for line in [
        "r &= a x - b",
        "\\bar{r} &= 2 r",
        "\\bar{x} &= 2 a^{\\top} \\left(a x - b\\right)",
    ] {
        assert!(
            lines(d).iter().any(|l| l.starts_with(line)),
            "no `{line}` in\n{d}"
        );
    }
}

#[grad(w)]
fn rnn(w: &DMatrix<f64>, xs: &[DVector<f64>], h0: &DVector<f64>) -> f64 {
    let mut h = h0.clone();
    for x in xs {
        h = (w * &h + x).map(|v| v.tanh());
    }
    h.norm_squared()
}

#[test]
fn a_loop_is_a_recurrence_run_backwards() {
    let d = RNN_DERIVATION;
    for line in [
        "for t = 1, …, T (x in xs):",
        "hₜ = tanh(w·hₜ₋₁ + xₜ)",
        "l = ‖h_T‖²",
        "h̄_T = 2·h_T",
        "for t = T, …, 1:",
        "h̄ₜ₋₁ = wᵀ·(h̄ₜ ⊙ (1 − hₜ ⊙ hₜ))",
        "w̄ = Σₜ((h̄ₜ ⊙ (1 − hₜ ⊙ hₜ))·hₜ₋₁ᵀ)",
    ] {
        assert_line(d, line);
    }
    // The adjoint loop comes after the forward one.
    let at = |l: &str| lines(d).iter().position(|x| *x == l).unwrap();
    assert!(at("for t = 1, …, T (x in xs):") < at("for t = T, …, 1:"));
}

#[grad(x)]
fn piecewise(x: &DVector<f64>, t: f64) -> f64 {
    let s = x.norm_squared();
    if t > 0.0 {
        s * t
    } else {
        s.sin()
    }
}

#[test]
fn a_branch_is_cases() {
    let d = PIECEWISE_DERIVATION;
    assert_line(d, "if t > 0.0:");
    assert_line(d, "otherwise:");
    assert_line(d, "l = s·t");
    assert_line(d, "l = sin(s)");
    assert_line(d, "s̄ = {t if t > 0.0; cos(s) otherwise}");
    assert_line(d, "x̄ = 2·s̄·x");
}

#[grad(x)]
fn outer(x: &DVector<f64>) -> f64 {
    let y = x * 2.0;
    piecewise(&y, 1.0)
}

#[test]
fn a_call_goes_through_the_callees_pullback() {
    assert_line(OUTER_DERIVATION, "x̄ = 2·piecewise_pullback(1)₁");
}

#[allow(dead_code)]
#[path = "../examples/rnn.rs"]
mod rnn_example;

#[allow(dead_code)]
#[path = "../examples/autoencoder.rs"]
mod autoencoder;

#[test]
fn the_seeds_rnn_sums_over_time() {
    // The seed: ∂l/∂W = Σₖ (∂l/∂hₖ) f(hₖ₋₁)ᵀ, f = tanh; ∂l/∂hₖ₋₁ through W and f′.
    let d = rnn_example::RNN_LOSS_DERIVATION;
    assert_line(d, "hₜ = w·tanh(hₜ₋₁) + u·xₜ + b");
    assert_line(d, "w̄ = Σₜ(h̄ₜ·tanh(hₜ₋₁)ᵀ)");
    assert_line(d, "h̄ₜ₋₁ = tanh_pullback(wᵀ·h̄ₜ)₁");
}

#[test]
fn the_seeds_autoencoder_has_both_terms() {
    // The seed: ∇_W = σ(Wx + b₁)(∇_z l)ᵀ + diag(σ′(u)) W ∇_t l xᵀ, u = Wx + b₁.
    let d = autoencoder::LOSS_MAP_DERIVATION;
    assert_line(d, "v = 1 ⊘ (1 + exp(−u))");
    assert_line(d, "z̄ = 2·(z − x)");
    assert_line(d, "v̄ = w·z̄");
    assert_line(d, "ū = v̄ ⊙ (1 ⊘ (1 + exp(−u))² ⊙ exp(−u))");
    assert_line(d, "w̄ = v·z̄ᵀ + ū·xᵀ");
}
