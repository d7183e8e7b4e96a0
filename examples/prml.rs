//! The seed's third worked example, from PRML (Bishop, §3.1.5): the log-likelihood of a
//! linear model with K targets,
//!
//!   f(W) = ln p(T | X, W, β) = (NK/2)·ln(β/2π) − (β/2)·‖ΦW − T‖²_F,
//!   ∇_W f = −βΦᵀ(ΦW − T),
//!
//! where Φ is the N×M design matrix (row n is φ(xₙ)ᵀ), W is M×K and T is N×K.
//!
//! The seed derives the gradient twice. The F-norm derivation ends with −βΦᵀ(ΦW − T), the
//! right answer, used below. The "inner product" derivation ends with −βΦᵀ(ΦᵀW − T): a
//! typo, as ΦᵀW is not even defined when N ≠ M; its previous line,
//! −β Σₙ φ(xₙ)(φ(xₙ)ᵀW − tₙᵀ), is −βΦᵀ(ΦW − T) as well.
//!
//! `cargo run --example prml`

use matgrad::{check_gradient, grad};
use nalgebra::DMatrix;
use std::f64::consts::PI;

// Shared with the other examples. `seed.rs` and `tests/examples.rs` include this file as a
// module beside their own `support`; naming it `crate::support` makes this example build
// their one `Report`, and leaves this copy unused there.
#[allow(clippy::duplicate_mod)]
#[path = "support/mod.rs"]
mod support;
use crate::support::{self as common, Report};

/// ln p(T | X, W, β) = (NK/2)·ln(β/2π) − (β/2)·‖ΦW − T‖²_F
#[grad(w)]
pub fn log_likelihood(w: &DMatrix<f64>, phi: &DMatrix<f64>, t: &DMatrix<f64>, beta: f64) -> f64 {
    let constant = t.len() as f64 / 2.0 * (beta / (2.0 * PI)).ln();
    let r = phi * w - t;
    constant - beta / 2.0 * r.norm_squared()
}

/// Runs the example on seeded data: N = 9 samples, M = 4 basis functions, K = 2 targets,
/// noise precision β = 2.5.
pub fn report() -> Report {
    let mut rng = common::rng(3);
    let phi = common::well_conditioned(&mut rng, 9, 4);
    let w = common::random_matrix(&mut rng, 4, 2);
    let t = common::random_matrix(&mut rng, 9, 2);
    let beta = 2.5;

    let (value, grad) = log_likelihood_grad(&w, &phi, &t, beta);
    let closed_form = -beta * phi.transpose() * (&phi * &w - &t);
    let check = check_gradient(|w| log_likelihood(w, &phi, &t, beta), &w, &grad.w);
    Report::new("prml", value, &grad.w, &closed_form, check)
}

/// The seed's closed form, as the notes write it.
pub const SEED_FORM: &str = "∇f = −βΦᵀ(ΦW − T)";

/// The derivation `#[grad]` wrote (`LOG_LIKELIHOOD_DERIVATION`) beside the seed's closed form: its last line,
/// the gradient with the intermediates substituted, is the seed's formula in the source's names.
pub fn derivation() -> String {
    crate::support::derivation("prml", LOG_LIKELIHOOD_DERIVATION, SEED_FORM)
}

fn main() {
    println!("{}", report());
    println!("\n{}", derivation());
}
