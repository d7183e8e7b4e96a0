//! Activation functions, for a scalar or entry by entry for a matrix: [`sigmoid`], [`tanh`],
//! [`relu`], [`softplus`] and [`abs`]; and, for matrices, the entry-wise [`elementwise_exp`]
//! and [`elementwise_ln`] (for a scalar, use [`exp`](crate::exp) and [`ln`](crate::ln)).
//!
//! Each takes a reference and returns an owned value of the same type; the scalar and matrix
//! forms are one generic function over [`Differentiable`]. Each pullback has the usual unary
//! shape `op_pullback(ḡ, x, y, acc)` and reuses the saved output `y` where that is cheaper or
//! stabler.
//!
//! `sigmoid` and `softplus` never overflow: `σ(±800)` is `1` and `0`, `softplus(800)` is 800
//! and `softplus(-800)` is 0, with finite gradients. `relu` and `abs` take the subgradient 0 at
//! 0, so their gradients are never NaN.
//!
//! # Example
//! ```
//! use autodiff_runtime::{relu, sigmoid, sigmoid_pullback};
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
use crate::value::{Differentiable, Scalar};
#[allow(unused_imports)]
use nalgebra::ComplexField as _;
use nalgebra::{allocator::Allocator, DefaultAllocator, Dim, OMatrix};

/// `f` applied to every entry of `x`.
#[inline]
fn map_entries<V: Differentiable>(x: &V, f: impl FnMut(V::Elem) -> V::Elem) -> V {
    crate::value::map(x, f)
}

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

// ---------------------------------------------------------------- sigmoid

/// `σ(x) = 1 / (1 + e⁻ˣ)`, entry by entry; numerically stable (`eˣ / (1 + eˣ)` for `x < 0`).
#[inline]
pub fn sigmoid<V: Differentiable>(x: &V) -> V {
    map_entries(x, sigmoid_scalar)
}

/// `x̄ += ḡ ⊙ y ⊙ (1 − y)` for `y = σ(x)`, from the saved `y`.
#[inline]
#[track_caller]
pub fn sigmoid_pullback<V: Differentiable>(g: &V, _x: &V, y: &V, acc: &mut Option<V>) {
    let ys = y.entries();
    entrywise_acc("sigmoid", g, acc, |i, gi| {
        let yi = ys[i];
        gi * yi * (nalgebra::one::<V::Elem>() - yi)
    })
}

// ---------------------------------------------------------------- tanh

/// `tanh x`, entry by entry.
#[inline]
pub fn tanh<V: Differentiable>(x: &V) -> V {
    map_entries(x, |v| v.tanh())
}

/// `x̄ += ḡ ⊙ (1 − y²)` for `y = tanh x`, from the saved `y`.
#[inline]
#[track_caller]
pub fn tanh_pullback<V: Differentiable>(g: &V, _x: &V, y: &V, acc: &mut Option<V>) {
    let ys = y.entries();
    entrywise_acc("tanh", g, acc, |i, gi| {
        let yi = ys[i];
        gi * (nalgebra::one::<V::Elem>() - yi * yi)
    })
}

// ---------------------------------------------------------------- relu

/// `max(x, 0)`, entry by entry (NaN stays NaN).
#[inline]
pub fn relu<V: Differentiable>(x: &V) -> V {
    map_entries(x, |v| {
        if v < nalgebra::zero::<V::Elem>() {
            nalgebra::zero::<V::Elem>()
        } else {
            v
        }
    })
}

/// `x̄ += ḡ` where `x > 0` (nothing elsewhere, including at exactly 0) for `y = max(x, 0)`.
#[inline]
#[track_caller]
pub fn relu_pullback<V: Differentiable>(g: &V, x: &V, _y: &V, acc: &mut Option<V>) {
    let xs = x.entries();
    entrywise_acc("relu", g, acc, |i, gi| {
        if xs[i] > nalgebra::zero::<V::Elem>() {
            gi
        } else {
            nalgebra::zero::<V::Elem>()
        }
    })
}

// ---------------------------------------------------------------- softplus

/// `ln(1 + eˣ)`, entry by entry, computed stably as `max(x, 0) + ln(1 + e^(−|x|))`.
#[inline]
pub fn softplus<V: Differentiable>(x: &V) -> V {
    map_entries(x, |v| {
        let zero = nalgebra::zero::<V::Elem>();
        let pos = if v > zero { v } else { zero };
        pos + (-v.abs()).exp().ln_1p()
    })
}

/// `x̄ += ḡ ⊙ σ(x)` for `y = softplus(x)`.
#[inline]
#[track_caller]
pub fn softplus_pullback<V: Differentiable>(g: &V, x: &V, _y: &V, acc: &mut Option<V>) {
    let xs = x.entries();
    entrywise_acc("softplus", g, acc, |i, gi| gi * sigmoid_scalar(xs[i]))
}

// ---------------------------------------------------------------- abs

/// `|x|`, entry by entry.
#[inline]
pub fn abs<V: Differentiable>(x: &V) -> V {
    map_entries(x, |v| v.abs())
}

/// `x̄ += ḡ ⊙ sign(x)` for `y = |x|`, with `sign(0) = 0`.
#[inline]
#[track_caller]
pub fn abs_pullback<V: Differentiable>(g: &V, x: &V, _y: &V, acc: &mut Option<V>) {
    let xs = x.entries();
    entrywise_acc("abs", g, acc, |i, gi| {
        let (xi, zero) = (xs[i], nalgebra::zero::<V::Elem>());
        if xi > zero {
            gi
        } else if xi < zero {
            -gi
        } else {
            zero
        }
    })
}

// ---------------------------------------------------------------- exp, ln

/// `eˣ` entry by entry, for a matrix.
#[inline]
pub fn elementwise_exp<T: Scalar, R: Dim, C: Dim>(x: &OMatrix<T, R, C>) -> OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    x.map(|v| v.exp())
}

/// `x̄ += ḡ ⊙ y` for `y = eˣ` (entry by entry), from the saved `y`.
#[inline]
#[track_caller]
pub fn elementwise_exp_pullback<T: Scalar, R: Dim, C: Dim>(
    g: &OMatrix<T, R, C>,
    _x: &OMatrix<T, R, C>,
    y: &OMatrix<T, R, C>,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>,
{
    entrywise_acc("elementwise_exp", g, acc, |i, gi| gi * y[i])
}

/// `ln x` entry by entry, for a matrix.
#[inline]
pub fn elementwise_ln<T: Scalar, R: Dim, C: Dim>(x: &OMatrix<T, R, C>) -> OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    x.map(|v| v.ln())
}

/// `x̄ += ḡ ⊘ x` for `y = ln x` (entry by entry).
#[inline]
#[track_caller]
pub fn elementwise_ln_pullback<T: Scalar, R: Dim, C: Dim>(
    g: &OMatrix<T, R, C>,
    x: &OMatrix<T, R, C>,
    _y: &OMatrix<T, R, C>,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>,
{
    entrywise_acc("elementwise_ln", g, acc, |i, gi| gi / x[i])
}
