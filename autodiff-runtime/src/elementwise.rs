//! Scalar functions: `.sqrt()`, `.exp()`, `.ln()` and `.powi(n)` on a float.
//!
//! Each pullback reuses the saved output where that is cheaper or stabler (`exp`, `sqrt`).

use crate::value::{accumulate_with, Scalar};

/// `√x`.
#[inline]
pub fn sqrt<T: Scalar>(x: &T) -> T {
    x.sqrt()
}

/// `x̄ += ḡ / (2√x)` for `y = √x`, from the saved `y`.
#[inline]
pub fn sqrt_pullback<T: Scalar>(g: &T, _x: &T, y: &T, acc: &mut Option<T>) {
    let c = *g / (*y + *y);
    accumulate_with(acc, || c, |a| *a += c)
}

/// `eˣ`.
#[inline]
pub fn exp<T: Scalar>(x: &T) -> T {
    x.exp()
}

/// `x̄ += ḡ·eˣ` for `y = eˣ`, from the saved `y`.
#[inline]
pub fn exp_pullback<T: Scalar>(g: &T, _x: &T, y: &T, acc: &mut Option<T>) {
    let c = *g * *y;
    accumulate_with(acc, || c, |a| *a += c)
}

/// `ln x`.
#[inline]
pub fn ln<T: Scalar>(x: &T) -> T {
    x.ln()
}

/// `x̄ += ḡ / x` for `y = ln x`.
#[inline]
pub fn ln_pullback<T: Scalar>(g: &T, x: &T, _y: &T, acc: &mut Option<T>) {
    let c = *g / *x;
    accumulate_with(acc, || c, |a| *a += c)
}

/// `xⁿ` for an integer `n`.
#[inline]
pub fn powi<T: Scalar>(x: &T, n: i32) -> T {
    x.powi(n)
}

/// `x̄ += ḡ·n·xⁿ⁻¹` for `y = xⁿ` (zero for `n = 0`).
#[inline]
pub fn powi_pullback<T: Scalar>(g: &T, x: &T, n: i32, _y: &T, acc: &mut Option<T>) {
    let c = if n == 0 {
        T::zero()
    } else {
        *g * nalgebra::convert::<f64, T>(n as f64) * x.powi(n - 1)
    };
    accumulate_with(acc, || c, |a| *a += c)
}

/// `sin x`.
#[inline]
pub fn sin<T: Scalar>(x: &T) -> T {
    x.sin()
}

/// `x̄ += ḡ·cos x` for `y = sin x`.
#[inline]
pub fn sin_pullback<T: Scalar>(g: &T, x: &T, _y: &T, acc: &mut Option<T>) {
    let c = *g * x.cos();
    accumulate_with(acc, || c, |a| *a += c)
}

/// `cos x`.
#[inline]
pub fn cos<T: Scalar>(x: &T) -> T {
    x.cos()
}

/// `x̄ -= ḡ·sin x` for `y = cos x`.
#[inline]
pub fn cos_pullback<T: Scalar>(g: &T, x: &T, _y: &T, acc: &mut Option<T>) {
    let c = -(*g * x.sin());
    accumulate_with(acc, || c, |a| *a += c)
}
