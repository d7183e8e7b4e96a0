//! Activation functions, for a scalar or entry by entry for a matrix: [`sigmoid`], [`tanh`],
//! [`relu`], [`softplus`] and [`abs`].
//!
//! Each takes a reference and returns an owned value of the same type; the scalar and matrix
//! forms are one generic function over [`Dense`]. Each pullback has the usual unary
//! shape `op_pullback(ḡ, x, y, acc)` and reuses the saved output `y` where that is cheaper or
//! stabler.
//!
//! `sigmoid` and `softplus` never overflow: `σ(±800)` is `1` and `0`, `softplus(800)` is 800
//! and `softplus(-800)` is 0, with finite gradients. `relu` and `abs` take the subgradient 0 at
//! 0, so their gradients are never NaN.
//!
//! # Example
//! ```
//! use matgrad_runtime::{relu, sigmoid, sigmoid_pullback};
//! use nalgebra::dvector;
//!
//! assert_eq!(sigmoid(&0.0), 0.5);
//! assert_eq!(relu(&dvector![-1.0, 2.0]), dvector![0.0, 2.0]);
//! let x = dvector![0.0, 800.0];
//! let y = sigmoid(&x);
//! let mut x_bar = None;
//! sigmoid_pullback(&dvector![1.0, 1.0], &x, &y, &mut x_bar); // x̄ += ḡ·σ(1 − σ)
//! assert_eq!(x_bar.unwrap(), dvector![0.25, 0.0]);
//! ```

use crate::componentwise::entrywise_acc;
use crate::value::{map, Dense, Scalar};
#[allow(unused_imports)]
use crate::Differentiable as _;
#[allow(unused_imports)]
use nalgebra::ComplexField as _;

/// `σ(v) = 1 / (1 + e⁻ᵛ)`, as `eᵛ / (1 + eᵛ)` for `v < 0` so that no exponential overflows.
#[inline]
fn sigmoid_scalar<T: Scalar>(v: T) -> T {
    if v >= T::zero() {
        T::one() / (T::one() + (-v).exp())
    } else {
        let e = v.exp();
        e / (T::one() + e)
    }
}

/// One entry per activation makes its primal, `yₛ = f(xₛ)` entry by entry, and its pullback,
/// `x̄ₛ += df(ḡₛ, vₛ)` with `v` the saved input `x` or output `y`, named after `from`.
macro_rules! activations {
    ($(
        $(#[$primal_doc:meta])*
        $primal:ident = $f:expr;
        $(#[$pullback_doc:meta])*
        $pullback:ident from $saved:ident = $df:expr;
    )*) => {$(
        $(#[$primal_doc])*
        #[inline]
        pub fn $primal<V: Dense>(x: &V) -> V {
            map(x, $f)
        }

        $(#[$pullback_doc])*
        #[inline]
        #[track_caller]
        pub fn $pullback<V: Dense>(g: &V, x: &V, y: &V, acc: &mut Option<V>) {
            let saved = activations!(@saved $saved, x, y);
            entrywise_pullback(stringify!($primal), g, saved, acc, $df)
        }
    )*};
    // The entries of the saved value; the other argument is not read.
    (@saved x, $x:ident, $y:ident) => {{
        let _ = $y;
        $x.entries()
    }};
    (@saved y, $x:ident, $y:ident) => {{
        let _ = $x;
        $y.entries()
    }};
}

/// `accₛ += df(ḡₛ, savedₛ)` for every entry (see [`entrywise_acc`]).
#[inline(always)]
#[track_caller]
fn entrywise_pullback<V: Dense>(
    op: &str,
    g: &V,
    saved: &[V::Scalar],
    acc: &mut Option<V>,
    df: impl Fn(V::Scalar, V::Scalar) -> V::Scalar,
) {
    entrywise_acc(op, g, acc, |i, gi| df(gi, saved[i]))
}

activations! {
    /// `σ(x) = 1 / (1 + e⁻ˣ)`, entry by entry; numerically stable (`eˣ / (1 + eˣ)` for `x < 0`).
    sigmoid = sigmoid_scalar;
    /// `x̄ += ḡ ⊙ y ⊙ (1 − y)` for `y = σ(x)`, from the saved `y`.
    sigmoid_pullback from y = |g, y| g * y * (nalgebra::one::<V::Scalar>() - y);

    /// `tanh x`, entry by entry.
    tanh = |v| v.tanh();
    /// `x̄ += ḡ ⊙ (1 − y²)` for `y = tanh x`, from the saved `y`.
    tanh_pullback from y = |g, y| g * (nalgebra::one::<V::Scalar>() - y * y);

    /// `max(x, 0)`, entry by entry (NaN stays NaN).
    relu = |v| {
        if v < nalgebra::zero::<V::Scalar>() {
            nalgebra::zero::<V::Scalar>()
        } else {
            v
        }
    };
    /// `x̄ += ḡ` where `x > 0` (nothing elsewhere, including at exactly 0) for `y = max(x, 0)`.
    relu_pullback from x = |g, x| {
        if x > nalgebra::zero::<V::Scalar>() {
            g
        } else {
            nalgebra::zero::<V::Scalar>()
        }
    };

    /// `ln(1 + eˣ)`, entry by entry, computed stably as `max(x, 0) + ln(1 + e^(−|x|))`.
    softplus = |v| {
        let zero = nalgebra::zero::<V::Scalar>();
        let pos = if v > zero { v } else { zero };
        pos + (-v.abs()).exp().ln_1p()
    };
    /// `x̄ += ḡ ⊙ σ(x)` for `y = softplus(x)`.
    softplus_pullback from x = |g, x| g * sigmoid_scalar(x);

    /// `|x|`, entry by entry.
    abs = |v| v.abs();
    /// `x̄ += ḡ ⊙ sign(x)` for `y = |x|`, with `sign(0) = 0`.
    abs_pullback from x = |g, x| {
        let zero = nalgebra::zero::<V::Scalar>();
        if x > zero {
            g
        } else if x < zero {
            -g
        } else {
            zero
        }
    };
}
