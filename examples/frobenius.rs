//! The seed's second worked example, the Frobenius norm: f(X) = ‖XAᵀ − B‖²_F,
//! ∇_X f = 2(XAᵀ − B)A.
//!
//! `cargo run --example frobenius`

use matgrad::{check_gradient, grad};
use nalgebra::DMatrix;

// Shared with the other examples. `seed.rs` and `tests/examples.rs` include this file as a
// module beside their own `support`; naming it `crate::support` makes this example build
// their one `Report`, and leaves this copy unused there.
#[allow(clippy::duplicate_mod)]
#[path = "support/mod.rs"]
mod support;
use crate::support::{self as common, Report};

/// ‖XAᵀ − B‖²_F
#[grad(x)]
pub fn frobenius(x: &DMatrix<f64>, a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    let r = x * a.transpose() - b;
    r.norm_squared()
}

/// Runs the example on seeded data: X is 5×3, A is 4×3, B is 5×4.
pub fn report() -> Report {
    let mut rng = common::rng(2);
    let x = common::random_matrix(&mut rng, 5, 3);
    let a = common::well_conditioned(&mut rng, 4, 3);
    let b = common::random_matrix(&mut rng, 5, 4);

    let (value, grad) = frobenius_grad(&x, &a, &b);
    let closed_form = 2.0 * (&x * a.transpose() - &b) * &a;
    let check = check_gradient(|x| frobenius(x, &a, &b), &x, &grad.x);
    Report::new("frobenius", value, &grad.x, &closed_form, check)
}

/// The seed's closed form, as the notes write it.
pub const SEED_FORM: &str = "∇‖XAᵀ − B‖²_F = 2(XAᵀ − B)A";

/// The derivation `#[grad]` wrote (`FROBENIUS_DERIVATION`) beside the seed's closed form: its last line,
/// the gradient with the intermediates substituted, is the seed's formula in the source's names.
pub fn derivation() -> String {
    crate::support::derivation("frobenius", FROBENIUS_DERIVATION, SEED_FORM)
}

fn main() {
    println!("{}", report());
    println!("\n{}", derivation());
}
