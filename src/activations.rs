//! Element-wise activations for `#[grad]` code, on floats and on matrices alike, each with a
//! numerically stable derivative rule (attached with [`vjp`](crate::vjp)).
//!
//! Call them as functions, `sigmoid(&u)`, inside `#[grad]` bodies (or anywhere else). For
//! other element-wise functions write `.map(|v| ...)` with the float methods `#[grad]` knows
//! (`.map(f64::tanh)`, `.map(|v| (v + eps).sqrt())`).

use crate::vjp;
use crate::Differentiable;
use autodiff_runtime as runtime;

/// The adjoint a runtime pullback leaves in an empty slot, or zeros.
fn pulled<V: Differentiable>(x: &V, run: impl FnOnce(&mut Option<V>)) -> V {
    let mut acc = None;
    run(&mut acc);
    runtime::finish(acc, x)
}

/// `σ(x) = 1 / (1 + e⁻ˣ)` entry by entry, computed without overflow for large `|x|`.
///
/// ```
/// use autodiff::sigmoid;
/// assert_eq!(sigmoid(&0.0), 0.5);
/// assert!(sigmoid(&-800.0) >= 0.0 && sigmoid(&800.0) == 1.0);
/// ```
#[vjp(sigmoid_rule)]
pub fn sigmoid<V: Differentiable>(x: &V) -> V {
    runtime::sigmoid(x)
}

/// `x̄ = ḡ ⊙ σ(x) ⊙ (1 − σ(x))`, from the saved output.
pub fn sigmoid_rule<V: Differentiable>(x: &V, y: &V, g: &V) -> V {
    pulled(x, |acc| runtime::sigmoid_pullback(g, x, y, acc))
}

/// `tanh x` entry by entry.
#[vjp(tanh_rule)]
pub fn tanh<V: Differentiable>(x: &V) -> V {
    runtime::tanh(x)
}

/// `x̄ = ḡ ⊙ (1 − tanh² x)`, from the saved output.
pub fn tanh_rule<V: Differentiable>(x: &V, y: &V, g: &V) -> V {
    pulled(x, |acc| runtime::tanh_pullback(g, x, y, acc))
}

/// `max(x, 0)` entry by entry.
#[vjp(relu_rule)]
pub fn relu<V: Differentiable>(x: &V) -> V {
    runtime::relu(x)
}

/// `x̄ = ḡ ⊙ [x > 0]` (zero at 0).
pub fn relu_rule<V: Differentiable>(x: &V, y: &V, g: &V) -> V {
    pulled(x, |acc| runtime::relu_pullback(g, x, y, acc))
}

/// `ln(1 + eˣ)` entry by entry, as `max(x, 0) + ln(1 + e^(−|x|))` so it never overflows.
#[vjp(softplus_rule)]
pub fn softplus<V: Differentiable>(x: &V) -> V {
    runtime::softplus(x)
}

/// `x̄ = ḡ ⊙ σ(x)`.
pub fn softplus_rule<V: Differentiable>(x: &V, y: &V, g: &V) -> V {
    pulled(x, |acc| runtime::softplus_pullback(g, x, y, acc))
}

/// `|x|` entry by entry.
#[vjp(abs_rule)]
pub fn abs<V: Differentiable>(x: &V) -> V {
    runtime::abs(x)
}

/// `x̄ = ḡ ⊙ sign(x)` (zero at 0).
pub fn abs_rule<V: Differentiable>(x: &V, y: &V, g: &V) -> V {
    pulled(x, |acc| runtime::abs_pullback(g, x, y, acc))
}
