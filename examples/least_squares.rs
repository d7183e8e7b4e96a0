//! The seed's first worked example, least squares: f(x) = ‖Ax − b‖², ∇ₓf = 2Aᵀ(Ax − b).
//!
//! `cargo run --example least_squares`

use matgrad::{check_gradient, grad};
use nalgebra::{DMatrix, DVector};

// Shared with the other examples. `seed.rs` and `tests/examples.rs` include this file as a
// module beside their own `support`; naming it `crate::support` makes this example build
// their one `Report`, and leaves this copy unused there.
#[allow(clippy::duplicate_mod)]
#[path = "support/mod.rs"]
mod support;
use crate::support::{self as common, Report};

/// ‖Ax − b‖²
#[grad(x)]
pub fn least_squares(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
    let r = a * x - b;
    r.norm_squared()
}

/// Runs the example on seeded data: A is 7×4, so the system is overdetermined.
pub fn report() -> Report {
    let mut rng = common::rng(1);
    let a = common::well_conditioned(&mut rng, 7, 4);
    let x = common::random_vector(&mut rng, 4);
    let b = common::random_vector(&mut rng, 7);

    let (value, grad) = least_squares_grad(&a, &x, &b);
    let closed_form = 2.0 * a.transpose() * (&a * &x - &b);
    let check = check_gradient(|x| least_squares(&a, x, &b), &x, &grad.x);
    Report::new("least_squares", value, &grad.x, &closed_form, check)
}

/// The seed's closed form, as the notes write it.
pub const SEED_FORM: &str = "∇ₓ‖Ax − b‖² = 2Aᵀ(Ax − b)";

/// The derivation `#[grad]` wrote (`LEAST_SQUARES_DERIVATION`) beside the seed's closed form: its last line,
/// the gradient with the intermediates substituted, is the seed's formula in the source's names.
pub fn derivation() -> String {
    crate::support::derivation("least_squares", LEAST_SQUARES_DERIVATION, SEED_FORM)
}

fn main() {
    println!("{}", report());
    println!("\n{}", derivation());
}
