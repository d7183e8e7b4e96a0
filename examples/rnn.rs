//! The seed's RNN example: a recurrent network with state equation
//!
//!   hₜ = W f(hₜ₋₁) + U xₜ + b,   f = tanh,   t = 1, …, T,
//!
//! from a given h₀, with the loss l = Σₜ lₜ, lₜ = ½‖hₜ‖². W is H×H, U is H×I (H ≠ I), b has
//! length H and each input xₜ length I.
//!
//! The seed differentiates one term lₜ through every step k ≤ t that W enters:
//!
//!   ∂lₜ/∂W = Σₖ₌₁ᵗ (∂lₜ/∂hₖ) f(hₖ₋₁)ᵀ,
//!   ∂lₜ/∂hₖᵀ = ∂lₜ/∂hₜᵀ · ∂hₜ/∂hₜ₋₁ᵀ ⋯ ∂hₖ₊₁/∂hₖᵀ
//!            = ∂lₜ/∂hₜᵀ · W diag(f′(hₜ₋₁)) ⋯ W diag(f′(hₖ)),
//!
//! with ∂lₜ/∂hₜ = hₜ here. (The seed's last line writes the summand as f(hₖ₋₁) ∂lₜ/∂hₖᵀ, the
//! transpose of the line before it; (∂lₜ/∂hₖ) f(hₖ₋₁)ᵀ is the one whose (i, j) entry is
//! ∂lₜ/∂Wᵢⱼ, as hₖ's i-th entry gains Wᵢⱼ f(hₖ₋₁)ⱼ. The two agree only when the sum is
//! symmetric, which it is not in general.)
//!
//! U and b enter step k as U xₖ and b, in the same place as W f(hₖ₋₁), so in the same style
//!
//!   ∂lₜ/∂U = Σₖ₌₁ᵗ (∂lₜ/∂hₖ) xₖᵀ,   ∂lₜ/∂b = Σₖ₌₁ᵗ ∂lₜ/∂hₖ.
//!
//! [`closed_form`] evaluates these literally, the Jacobian products included: O(T²) products
//! of H×H matrices, fine at the small T used here. `#[grad]` gets the same gradients from one
//! backward pass over the loop.
//!
//! `cargo run --example rnn`

use matgrad::{check_gradient, grad, tanh};
use nalgebra::{DMatrix, DVector};

// Shared with the other examples. `seed.rs` and `tests/examples.rs` include this file as a
// module beside their own `support`; naming it `crate::support` makes this example build
// their one `Report`, and leaves this copy unused there.
#[allow(clippy::duplicate_mod)]
#[path = "support/mod.rs"]
mod support;
use crate::support::{self as common, Report};

/// l = Σₜ ½‖hₜ‖², hₜ = W tanh(hₜ₋₁) + U xₜ + b, over the inputs `xs` = x₁, …, x_T from `h0`.
#[grad(w, u, b)]
pub fn rnn_loss(
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

/// The seed's gradients of [`rnn_loss`] with respect to W, U and b, in that order, evaluated
/// as the seed writes them: for every t and every k ≤ t, the row ∂lₜ/∂hₖᵀ as ∂lₜ/∂hₜᵀ times
/// the product of the Jacobians W diag(f′(hⱼ)), j = t−1 down to k.
pub fn closed_form(
    w: &DMatrix<f64>,
    u: &DMatrix<f64>,
    b: &DVector<f64>,
    h0: &DVector<f64>,
    xs: &[DVector<f64>],
) -> (DMatrix<f64>, DMatrix<f64>, DVector<f64>) {
    let f = |h: &DVector<f64>| h.map(f64::tanh);
    let f_prime = |h: &DVector<f64>| h.map(|v| 1.0 - v.tanh().powi(2));
    // hs[k] = hₖ, k = 0, …, T.
    let mut hs = vec![h0.clone()];
    for x in xs {
        let h = w * f(&hs[hs.len() - 1]) + u * x + b;
        hs.push(h);
    }
    let steps = xs.len();
    let n = h0.len();
    let (mut dw, mut du, mut db) = (
        DMatrix::zeros(n, n),
        DMatrix::zeros(u.nrows(), u.ncols()),
        DVector::zeros(n),
    );
    for t in 1..=steps {
        // ∂lₜ/∂hₜᵀ for lₜ = ½‖hₜ‖².
        let dl_dht = hs[t].transpose();
        // ∂hₜ/∂hₜ₋₁ᵀ ⋯ ∂hₖ₊₁/∂hₖᵀ, starting from the empty product at k = t.
        let mut jacobians = DMatrix::identity(n, n);
        for k in (1..=t).rev() {
            if k < t {
                jacobians *= w * DMatrix::from_diagonal(&f_prime(&hs[k]));
            }
            let dl_dhk = (&dl_dht * &jacobians).transpose();
            dw += &dl_dhk * f(&hs[k - 1]).transpose();
            du += &dl_dhk * xs[k - 1].transpose();
            db += &dl_dhk;
        }
    }
    (dw, du, db)
}

/// Seeded random data for a network with `hidden` = H state entries, `input` = I input
/// entries and `steps` = T inputs: (W, U, b, h₀, x₁…x_T). W is scaled by 1/√H so the state
/// stays of order one and tanh is not saturated.
#[allow(clippy::type_complexity)]
pub fn data(
    seed: u64,
    hidden: usize,
    input: usize,
    steps: usize,
) -> (
    DMatrix<f64>,
    DMatrix<f64>,
    DVector<f64>,
    DVector<f64>,
    Vec<DVector<f64>>,
) {
    let mut rng = common::rng(seed);
    let w = common::random_matrix(&mut rng, hidden, hidden) / (hidden as f64).sqrt();
    let u = common::random_matrix(&mut rng, hidden, input);
    let b = common::random_vector(&mut rng, hidden);
    let h0 = common::random_vector(&mut rng, hidden);
    let xs = (0..steps)
        .map(|_| common::random_vector(&mut rng, input))
        .collect();
    (w, u, b, h0, xs)
}

/// Runs the example on the seeded data of [`data`]: the generated gradients with respect to
/// W, U and b against [`closed_form`] and against finite differences.
pub fn report_at(seed: u64, hidden: usize, input: usize, steps: usize) -> Report {
    let (w, u, b, h0, xs) = data(seed, hidden, input, steps);
    let (value, grad) = rnn_loss_grad(&w, &u, &b, &h0, &xs);
    let (dw, du, db) = closed_form(&w, &u, &b, &h0, &xs);
    let check_w = check_gradient(|w| rnn_loss(w, &u, &b, &h0, &xs), &w, &grad.w);
    let check_u = check_gradient(|u| rnn_loss(&w, u, &b, &h0, &xs), &u, &grad.u);
    let check_b = check_gradient(|b| rnn_loss(&w, &u, b, &h0, &xs), &b, &grad.b);
    Report::new("rnn", value, &grad.w, &dw, check_w)
        .and(&grad.u, &du, check_u)
        .and(&grad.b, &db, check_b)
}

/// Runs the example with H = 4 state entries, I = 3 input entries and T = 6 steps.
pub fn report() -> Report {
    report_at(4, 4, 3, 6)
}

fn main() {
    println!("{}", report());
}
