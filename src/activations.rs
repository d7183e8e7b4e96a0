//! Element-wise activations for `#[grad]` code, on floats and on matrices alike, each with a
//! numerically stable derivative rule (attached with [`vjp`](crate::vjp)) and tangent rule
//! (attached with [`jvp`](crate::jvp), for `#[grad(.., forward)]` code and second order).
//!
//! Call them as functions, `sigmoid(&u)`, inside `#[grad]` bodies (or anywhere else). For
//! other element-wise functions write `.map(|v| ...)` with the float methods `#[grad]` knows
//! (`.map(f64::tanh)`, `.map(|v| (v + eps).sqrt())`).

use crate::Dense;
use crate::{jvp, vjp};
use matgrad_runtime as runtime;

/// The adjoint a runtime pullback leaves in an empty slot, or zeros.
fn pulled<V: Dense>(x: &V, run: impl FnOnce(&mut Option<V>)) -> V {
    let mut acc = None;
    run(&mut acc);
    runtime::finish(acc, x)
}

/// `σ(x) = 1 / (1 + e⁻ˣ)` entry by entry, computed without overflow for large `|x|`.
///
/// ```
/// use matgrad::sigmoid;
/// assert_eq!(sigmoid(&0.0), 0.5);
/// assert!(sigmoid(&-800.0) >= 0.0 && sigmoid(&800.0) == 1.0);
/// ```
#[vjp(sigmoid_rule)]
#[jvp(sigmoid_tangent)]
pub fn sigmoid<V: Dense>(x: &V) -> V {
    runtime::sigmoid(x)
}

/// `x̄ = ḡ ⊙ σ(x) ⊙ (1 − σ(x))`, from the saved output.
pub fn sigmoid_rule<V: Dense>(x: &V, y: &V, g: &V) -> V {
    pulled(x, |acc| runtime::sigmoid_pullback(g, x, y, acc))
}

/// `ẏ = σ(x) ⊙ (1 − σ(x)) ⊙ ẋ`: the tangent of [`sigmoid`].
#[doc(hidden)]
#[vjp(sigmoid_tangent_rule)]
pub fn sigmoid_tangent<V: Dense>(x: &V, dx: &V) -> V {
    runtime::sigmoid_tangent(x, dx)
}

/// `(x̄, ẋ̄) = (ḡ ⊙ ẋ ⊙ s(1 − s)(1 − 2s), ḡ ⊙ s(1 − s))` for `s = σ(x)`.
#[doc(hidden)]
pub fn sigmoid_tangent_rule<V: Dense>(x: &V, dx: &V, _y: &V, g: &V) -> (V, V) {
    runtime::sigmoid_tangent_pullback(g, x, dx)
}

/// `tanh x` entry by entry.
#[vjp(tanh_rule)]
#[jvp(tanh_tangent)]
pub fn tanh<V: Dense>(x: &V) -> V {
    runtime::tanh(x)
}

/// `x̄ = ḡ ⊙ (1 − tanh² x)`, from the saved output.
pub fn tanh_rule<V: Dense>(x: &V, y: &V, g: &V) -> V {
    pulled(x, |acc| runtime::tanh_pullback(g, x, y, acc))
}

/// `ẏ = (1 − tanh² x) ⊙ ẋ`: the tangent of [`tanh`].
#[doc(hidden)]
#[vjp(tanh_tangent_rule)]
pub fn tanh_tangent<V: Dense>(x: &V, dx: &V) -> V {
    runtime::tanh_tangent(x, dx)
}

/// `(x̄, ẋ̄) = (−2ḡ ⊙ ẋ ⊙ t(1 − t²), ḡ ⊙ (1 − t²))` for `t = tanh x`.
#[doc(hidden)]
pub fn tanh_tangent_rule<V: Dense>(x: &V, dx: &V, _y: &V, g: &V) -> (V, V) {
    runtime::tanh_tangent_pullback(g, x, dx)
}

/// `max(x, 0)` entry by entry.
#[vjp(relu_rule)]
#[jvp(relu_tangent)]
pub fn relu<V: Dense>(x: &V) -> V {
    runtime::relu(x)
}

/// `x̄ = ḡ ⊙ [x > 0]` (zero at 0).
pub fn relu_rule<V: Dense>(x: &V, y: &V, g: &V) -> V {
    pulled(x, |acc| runtime::relu_pullback(g, x, y, acc))
}

/// `ẏ = [x > 0] ⊙ ẋ` (zero at 0): the tangent of [`relu`].
#[doc(hidden)]
#[vjp(relu_tangent_rule)]
pub fn relu_tangent<V: Dense>(x: &V, dx: &V) -> V {
    runtime::relu_tangent(x, dx)
}

/// `(x̄, ẋ̄) = (0, ḡ ⊙ [x > 0])`.
#[doc(hidden)]
pub fn relu_tangent_rule<V: Dense>(x: &V, dx: &V, _y: &V, g: &V) -> (V, V) {
    runtime::relu_tangent_pullback(g, x, dx)
}

/// `ln(1 + eˣ)` entry by entry, as `max(x, 0) + ln(1 + e^(−|x|))` so it never overflows.
#[vjp(softplus_rule)]
#[jvp(softplus_tangent)]
pub fn softplus<V: Dense>(x: &V) -> V {
    runtime::softplus(x)
}

/// `x̄ = ḡ ⊙ σ(x)`.
pub fn softplus_rule<V: Dense>(x: &V, y: &V, g: &V) -> V {
    pulled(x, |acc| runtime::softplus_pullback(g, x, y, acc))
}

/// `ẏ = σ(x) ⊙ ẋ`: the tangent of [`softplus`].
#[doc(hidden)]
#[vjp(softplus_tangent_rule)]
pub fn softplus_tangent<V: Dense>(x: &V, dx: &V) -> V {
    runtime::softplus_tangent(x, dx)
}

/// `(x̄, ẋ̄) = (ḡ ⊙ ẋ ⊙ σ(1 − σ), ḡ ⊙ σ)` for `σ = σ(x)`.
#[doc(hidden)]
pub fn softplus_tangent_rule<V: Dense>(x: &V, dx: &V, _y: &V, g: &V) -> (V, V) {
    runtime::softplus_tangent_pullback(g, x, dx)
}

/// `|x|` entry by entry.
#[vjp(abs_rule)]
#[jvp(abs_tangent)]
pub fn abs<V: Dense>(x: &V) -> V {
    runtime::abs(x)
}

/// `x̄ = ḡ ⊙ sign(x)` (zero at 0).
pub fn abs_rule<V: Dense>(x: &V, y: &V, g: &V) -> V {
    pulled(x, |acc| runtime::abs_pullback(g, x, y, acc))
}

/// `ẏ = sign(x) ⊙ ẋ` (zero at 0): the tangent of [`abs`].
#[doc(hidden)]
#[vjp(abs_tangent_rule)]
pub fn abs_tangent<V: Dense>(x: &V, dx: &V) -> V {
    runtime::abs_tangent(x, dx)
}

/// `(x̄, ẋ̄) = (0, ḡ ⊙ sign(x))`.
#[doc(hidden)]
pub fn abs_tangent_rule<V: Dense>(x: &V, dx: &V, _y: &V, g: &V) -> (V, V) {
    runtime::abs_tangent_pullback(g, x, dx)
}
