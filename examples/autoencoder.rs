//! The seed's autoencoder with tied weights: one weight matrix W encodes and, transposed,
//! decodes,
//!
//!   f(W) = l(b₂ + Wᵀσ(Wx + b₁)),   l(z) = ‖z − x‖²,   σ the element-wise sigmoid,
//!
//! with W h×d (h ≠ d), x and b₂ of length d, b₁ of length h. Write u = Wx + b₁ (length h),
//! v = σ(u) and z = t = b₂ + Wᵀv (length d), so ∇_z l = ∇_t l = 2(z − x).
//!
//! The seed treats W as two copies, W_c held constant in the other place, and adds the two
//! gradients:
//!
//!   ∇_W f = σ(Wx + b₁)(∇_z l)ᵀ + diag(σ′(u)) W ∇_t l xᵀ.
//!
//! Read with W h×d, every product is defined and the result is h×d, as ∇_W f must be: the
//! first term is (h×1)(1×d), the decoder's share; the second is (h×h)(h×d)(d×1)(1×d), the
//! encoder's, where W ∇_t l (h×1) is ∂l/∂v carried back through Wᵀ. So the formula is taken
//! exactly as written (with W_c = W once the copies are merged). The steps in the seed's
//! derivation are looser than its result: ∇_{Wᵀ}z is the derivative of a vector with respect
//! to a matrix, meaning "z changes by δWᵀ v", which gives the d×h gradient ∇_z l vᵀ with
//! respect to Wᵀ, transposed into the h×d first term; and (∇_{tᵀ}l W_cᵀ diag(σ′(u)))ᵀ is the
//! 1×h row ∂l/∂uᵀ transposed. The other readings do not fit: ∇_z l σ(u)ᵀ is d×h (the
//! gradient with respect to Wᵀ) and adds to the h×d second term only when h = d, where it is
//! wrong; diag(σ′(u)) Wᵀ ∇_t l is not even defined unless h = d.
//!
//! The biases in the same style: b₂ is added to z, and b₁ to u, so
//!
//!   ∇_{b₂} f = ∇_z l,   ∇_{b₁} f = ∇_u l = diag(σ′(u)) W ∇_t l.
//!
//! σ is `matgrad::sigmoid` (a call with a stable hand-written rule); [`loss_map`] writes it
//! as `.map(|v| 1.0 / (1.0 + (-v).exp()))` instead, differentiated through the closure, and
//! must give the same value and gradients.
//!
//! `cargo run --example autoencoder`

use matgrad::{check_gradient, grad, sigmoid};
use nalgebra::{DMatrix, DVector};

// Shared with the other examples. `seed.rs` and `tests/examples.rs` include this file as a
// module beside their own `support`; naming it `crate::support` makes this example build
// their one `Report`, and leaves this copy unused there.
#[allow(clippy::duplicate_mod)]
#[path = "support/mod.rs"]
mod support;
use crate::support::{self as common, Report};

/// ‖b₂ + Wᵀσ(Wx + b₁) − x‖², with σ = [`matgrad::sigmoid`].
#[grad(w, b1, b2)]
pub fn loss(w: &DMatrix<f64>, b1: &DVector<f64>, b2: &DVector<f64>, x: &DVector<f64>) -> f64 {
    let u = w * x + b1;
    let v = sigmoid(&u);
    let z = b2 + w.transpose() * v;
    (z - x).norm_squared()
}

/// [`loss`] with the sigmoid written element-wise as `1 / (1 + e⁻ᵛ)`.
#[grad(w, b1, b2)]
pub fn loss_map(w: &DMatrix<f64>, b1: &DVector<f64>, b2: &DVector<f64>, x: &DVector<f64>) -> f64 {
    let u = w * x + b1;
    let v = u.map(|v| 1.0 / (1.0 + (-v).exp()));
    let z = b2 + w.transpose() * v;
    (z - x).norm_squared()
}

/// The seed's gradients of [`loss`] with respect to W, b₁ and b₂, in that order.
pub fn closed_form(
    w: &DMatrix<f64>,
    b1: &DVector<f64>,
    b2: &DVector<f64>,
    x: &DVector<f64>,
) -> (DMatrix<f64>, DVector<f64>, DVector<f64>) {
    let sigma = |u: &DVector<f64>| u.map(|v| 1.0 / (1.0 + (-v).exp()));
    let u = w * x + b1;
    let sigma_prime = sigma(&u).map(|s| s * (1.0 - s));
    let z = b2 + w.transpose() * sigma(&u);
    // ∇_z l = ∇_t l for l(z) = ‖z − x‖².
    let dl_dz = 2.0 * (&z - x);
    let du = DMatrix::from_diagonal(&sigma_prime) * w * &dl_dz;
    let dw = sigma(&u) * dl_dz.transpose() + &du * x.transpose();
    (dw, du, dl_dz)
}

/// Seeded random data with a code of `hidden` = h entries and inputs of `input` = d
/// entries: (W, b₁, b₂, x).
pub fn data(
    seed: u64,
    hidden: usize,
    input: usize,
) -> (DMatrix<f64>, DVector<f64>, DVector<f64>, DVector<f64>) {
    let mut rng = common::rng(seed);
    let w = common::random_matrix(&mut rng, hidden, input);
    let b1 = common::random_vector(&mut rng, hidden);
    let b2 = common::random_vector(&mut rng, input);
    let x = common::random_vector(&mut rng, input);
    (w, b1, b2, x)
}

/// Runs the example on the seeded data of [`data`]: the gradients `#[grad]` generated for
/// [`loss`] and for [`loss_map`], with respect to W, b₁ and b₂, each against
/// [`closed_form`] and against finite differences.
pub fn report_at(seed: u64, hidden: usize, input: usize) -> Report {
    let (w, b1, b2, x) = data(seed, hidden, input);
    let (dw, db1, db2) = closed_form(&w, &b1, &b2, &x);
    let (value, g) = loss_grad(&w, &b1, &b2, &x);
    let (_, m) = loss_map_grad(&w, &b1, &b2, &x);
    Report::new(
        "autoencoder",
        value,
        &g.w,
        &dw,
        check_gradient(|w| loss(w, &b1, &b2, &x), &w, &g.w),
    )
    .and(
        &g.b1,
        &db1,
        check_gradient(|b1| loss(&w, b1, &b2, &x), &b1, &g.b1),
    )
    .and(
        &g.b2,
        &db2,
        check_gradient(|b2| loss(&w, &b1, b2, &x), &b2, &g.b2),
    )
    .and(
        &m.w,
        &dw,
        check_gradient(|w| loss_map(w, &b1, &b2, &x), &w, &m.w),
    )
    .and(
        &m.b1,
        &db1,
        check_gradient(|b1| loss_map(&w, b1, &b2, &x), &b1, &m.b1),
    )
    .and(
        &m.b2,
        &db2,
        check_gradient(|b2| loss_map(&w, &b1, b2, &x), &b2, &m.b2),
    )
}

/// Runs the example with a code of h = 3 entries for inputs of d = 5.
pub fn report() -> Report {
    report_at(5, 3, 5)
}

fn main() {
    println!("{}", report());
}
