//! Activation functions, for a scalar or entry by entry for a matrix: [`sigmoid`], [`tanh`],
//! [`relu`], [`softplus`] and [`abs`].
//!
//! Each takes a reference and returns an owned value of the same type; the scalar and matrix
//! forms are one generic function over [`Dense`]. Each pullback has the usual unary
//! shape `op_pullback(ḡ, x, y, acc)` and reuses the saved output `y` where that is cheaper or
//! stabler.
//!
//! `sigmoid` and `softplus` never overflow: `σ(±800)` is `1` and `0`, `softplus(800)` is 800
//! and `softplus(-800)` is 0, with finite gradients. `sigmoid` and `tanh` of a matrix of `f64`
//! go through the vectorised loops of [`crate::vmath`] (within 3 ulp of the scalar functions),
//! as do the exponentials of `softplus` and the `σ` of its pullback.
//! `relu` and `abs` take the subgradient 0 at
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
use crate::vmath::VECTORISED_FROM;
#[allow(unused_imports)]
use crate::Differentiable as _;
#[allow(unused_imports)]
use nalgebra::ComplexField as _;
use std::any::TypeId;

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
        $primal:ident = $f:expr $(, on f64 entries $slice:path)?;
        $(#[$pullback_doc:meta])*
        $pullback:ident from $saved:ident = $df:expr;
    )*) => {$(
        $(#[$primal_doc])*
        #[inline]
        pub fn $primal<V: Dense>(x: &V) -> V {
            activations!(@map x, $f $(, $slice)?)
        }

        $(#[$pullback_doc])*
        #[inline]
        #[track_caller]
        pub fn $pullback<V: Dense>(g: &V, x: &V, y: &V, acc: &mut Option<V>) {
            let saved = activations!(@saved $saved, x, y);
            entrywise_pullback(stringify!($primal), g, saved, acc, $df)
        }
    )*};
    // `f` of each entry, through the slice function when there is one.
    (@map $x:ident, $f:expr) => {
        map($x, $f)
    };
    (@map $x:ident, $f:expr, $slice:path) => {
        map_vectorised($x, $f, $slice)
    };
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

/// `f` of every entry; for `f64` entries, at least [`VECTORISED_FROM`] of them, through the
/// vectorised `slice` (within 3 ulp of `f`, see [`crate::vmath`]).
#[inline]
fn map_vectorised<V: Dense>(x: &V, f: impl Fn(V::Scalar) -> V::Scalar, slice: fn(&mut [f64])) -> V {
    let xs = x.entries();
    if xs.len() < VECTORISED_FROM {
        return map(x, f);
    }
    let mut out = crate::workspace::copy_vec(xs);
    crate::vmath::apply(&mut out, slice, f);
    x.with_entries(out)
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
    sigmoid = sigmoid_scalar, on f64 entries crate::vmath::sigmoid_in_place;
    /// `x̄ += ḡ ⊙ y ⊙ (1 − y)` for `y = σ(x)`, from the saved `y`.
    sigmoid_pullback from y = |g, y| g * y * (nalgebra::one::<V::Scalar>() - y);

    /// `tanh x`, entry by entry.
    tanh = |v| v.tanh(), on f64 entries crate::vmath::tanh_in_place;
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

/// `softplus(v) = max(v, 0) + ln(1 + e^(−|v|))`.
#[inline]
fn softplus_scalar<T: Scalar>(v: T) -> T {
    let pos = if v > T::zero() { v } else { T::zero() };
    pos + (-v.abs()).exp().ln_1p()
}

/// [`softplus_scalar`] of each entry, in place, with the exponentials through
/// [`crate::vmath::exp_in_place`] (a block of them at a time; `ln_1p` stays scalar).
fn softplus_in_place(x: &mut [f64]) {
    const BLOCK: usize = 256;
    let mut e = [0.0; BLOCK];
    for chunk in x.chunks_mut(BLOCK) {
        let e = &mut e[..chunk.len()];
        for (e, v) in e.iter_mut().zip(chunk.iter()) {
            *e = -v.abs();
        }
        crate::vmath::exp_in_place(e);
        for (v, e) in chunk.iter_mut().zip(e.iter()) {
            let pos = if *v > 0.0 { *v } else { 0.0 };
            *v = pos + e.ln_1p();
        }
    }
}

/// `ln(1 + eˣ)`, entry by entry, computed stably as `max(x, 0) + ln(1 + e^(−|x|))`.
#[inline]
pub fn softplus<V: Dense>(x: &V) -> V {
    map_vectorised(x, softplus_scalar, softplus_in_place)
}

/// `x̄ += ḡ ⊙ σ(x)` for `y = softplus(x)`; `σ(x)` of a matrix of `f64` through
/// [`crate::vmath::sigmoid`].
#[inline]
#[track_caller]
pub fn softplus_pullback<V: Dense>(g: &V, x: &V, y: &V, acc: &mut Option<V>) {
    let _ = y;
    let xs = x.entries();
    if xs.len() >= VECTORISED_FROM && TypeId::of::<V::Scalar>() == TypeId::of::<f64>() {
        let s = sigmoid(x);
        entrywise_pullback("softplus", g, s.entries(), acc, |g, s| g * s)
    } else {
        entrywise_pullback("softplus", g, xs, acc, |g, x| g * sigmoid_scalar(x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::{DMatrix, DVector};

    #[test]
    fn matrices_of_f64_take_the_vectorised_loops_and_agree_with_the_scalar_functions() {
        let x = DMatrix::from_fn(7, 9, |i, j| (i as f64 - 3.0) * 1.7 + j as f64 * 0.31 - 2.0);
        let (t, s) = (tanh(&x), sigmoid(&x));
        for (k, v) in x.iter().enumerate() {
            assert!((t[k] - v.tanh()).abs() <= 4.0 * f64::EPSILON * v.tanh().abs());
            let sv = sigmoid_scalar(*v);
            assert!((s[k] - sv).abs() <= 4.0 * f64::EPSILON * sv);
        }
        // Fewer than VECTORISED_FROM entries, f32 entries and scalars keep the scalar function.
        let small = DVector::from_vec(vec![0.3, -2.0]);
        assert_eq!(tanh(&small), small.map(f64::tanh));
        let x32 = x.map(|v| v as f32);
        assert_eq!(tanh(&x32), x32.map(f32::tanh));
        assert_eq!(sigmoid(&0.25f64), sigmoid_scalar(0.25));
    }

    #[test]
    fn softplus_of_f64_matrices_takes_the_vectorised_exp_and_agrees_with_the_scalar_form() {
        let x = DMatrix::from_fn(7, 41, |i, j| (i as f64 - 3.0) * 4.1 + j as f64 * 0.37 - 7.0);
        let g = DMatrix::from_fn(7, 41, |i, j| ((i + 2 * j) % 5) as f64 - 2.0);
        let y = softplus(&x);
        let mut x_bar = None;
        softplus_pullback(&g, &x, &y, &mut x_bar);
        let x_bar = x_bar.unwrap();
        for (k, v) in x.iter().enumerate() {
            let sp = softplus_scalar(*v);
            assert!((y[k] - sp).abs() <= 2.0 * f64::EPSILON * sp);
            let want = g[k] * sigmoid_scalar(*v);
            assert!((x_bar[k] - want).abs() <= 4.0 * f64::EPSILON * want.abs());
        }
        let edges = DVector::from_vec(vec![800.0, -800.0, 0.0, -0.0, 1e-300, -40.0, 40.0, 1.0]);
        assert_eq!(softplus(&edges), edges.map(softplus_scalar));
        // f32 entries keep the scalar function.
        let x32 = x.map(|v| v as f32);
        assert_eq!(softplus(&x32), x32.map(softplus_scalar));
    }
}
