//! Scalar functions: `.sqrt()`, `.ln()`, `.sin()`, `.cos()`, `.ln_1p()`, `.exp_m1()`,
//! `.log2()`, `.log10()`, `.sinh()`, `.cosh()`, `.atan()`, `.recip()`, `.cbrt()` and `.powi(n)` on
//! a float, and of two floats `.powf(p)` and `.hypot(b)`.
//!
//! Each pullback reuses the saved output where that is cheaper or stabler (`sqrt`). `.exp()`,
//! of a float or a matrix, is in `spectral`.

use crate::value::{accumulate_with, Float, Scalar};

/// One entry per scalar function makes its primal, `y = f(x)`, and its pullback,
/// `x̄ += df(ḡ, x, y)` (the pullback's closure names the arguments it reads).
macro_rules! scalar_functions {
    ($(
        $(#[$primal_doc:meta])*
        $primal:ident = $f:expr;
        $(#[$pullback_doc:meta])*
        $pullback:ident = $df:expr;
    )*) => {$(
        $(#[$primal_doc])*
        #[inline]
        pub fn $primal<T: Float>(x: &T) -> T {
            apply($f, *x)
        }

        $(#[$pullback_doc])*
        #[inline]
        pub fn $pullback<T: Float>(g: &T, x: &T, y: &T, acc: &mut Option<T>) {
            let c = contribution($df, *g, *x, *y);
            accumulate_with(acc, || c, |a| *a += c)
        }
    )*};
}

/// `f(x)`, with `f`'s argument typed by the bound.
#[inline(always)]
fn apply<T: Scalar>(f: impl Fn(T) -> T, x: T) -> T {
    f(x)
}

/// `df(ḡ, x, y)`, with `df`'s arguments typed by the bound.
#[inline(always)]
fn contribution<T: Scalar>(df: impl Fn(T, T, T) -> T, g: T, x: T, y: T) -> T {
    df(g, x, y)
}

scalar_functions! {
    /// `√x`.
    sqrt = |x| x.sqrt();
    /// `x̄ += ḡ / (2√x)` for `y = √x`, from the saved `y`.
    sqrt_pullback = |g, _x, y| g / (y + y);

    /// `ln x`.
    ln = |x| x.ln();
    /// `x̄ += ḡ / x` for `y = ln x`.
    ln_pullback = |g, x, _y| g / x;

    /// `sin x`.
    sin = |x| x.sin();
    /// `x̄ += ḡ·cos x` for `y = sin x`.
    sin_pullback = |g, x, _y| g * x.cos();

    /// `cos x`.
    cos = |x| x.cos();
    /// `x̄ -= ḡ·sin x` for `y = cos x`.
    cos_pullback = |g, x, _y| -(g * x.sin());

    /// `ln(1 + x)`, accurate near `x = 0`.
    ln_1p = |x| x.ln_1p();
    /// `x̄ += ḡ / (1 + x)` for `y = ln(1 + x)`.
    ln_1p_pullback = |g, x, _y| g / (T::one() + x);

    /// `eˣ − 1`, accurate near `x = 0`.
    exp_m1 = |x| x.exp_m1();
    /// `x̄ += ḡ·eˣ` for `y = eˣ − 1`.
    exp_m1_pullback = |g, x, _y| g * x.exp();

    /// `log₂ x`.
    log2 = |x| x.log2();
    /// `x̄ += ḡ / (x ln 2)` for `y = log₂ x`.
    log2_pullback = |g, x, _y| g / (x * T::ln_2());

    /// `log₁₀ x`.
    log10 = |x| x.log10();
    /// `x̄ += ḡ / (x ln 10)` for `y = log₁₀ x`.
    log10_pullback = |g, x, _y| g / (x * T::ln_10());

    /// `sinh x`.
    sinh = |x| x.sinh();
    /// `x̄ += ḡ·cosh x` for `y = sinh x`.
    sinh_pullback = |g, x, _y| g * x.cosh();

    /// `cosh x`.
    cosh = |x| x.cosh();
    /// `x̄ += ḡ·sinh x` for `y = cosh x`.
    cosh_pullback = |g, x, _y| g * x.sinh();

    /// `atan x`.
    atan = |x| x.atan();
    /// `x̄ += ḡ / (1 + x²)` for `y = atan x`.
    atan_pullback = |g, x, _y| g / (T::one() + x * x);

    /// `1 / x`.
    recip = |x| x.recip();
    /// `x̄ -= ḡ·y²` for `y = 1 / x`, from the saved `y`.
    recip_pullback = |g, _x, y| -(g * y * y);

    /// `∛x`.
    cbrt = |x| x.cbrt();
    /// `x̄ += ḡ / (3y²)` for `y = ∛x`, from the saved `y` (infinite at `x = 0`).
    cbrt_pullback = |g, _x, y| g / ((y + y + y) * y);
}

/// `xⁿ` for an integer `n`.
#[inline]
pub fn powi<T: Float>(x: &T, n: i32) -> T {
    x.powi(n)
}

/// `x̄ += ḡ·n·xⁿ⁻¹` for `y = xⁿ` (zero for `n = 0`).
#[inline]
pub fn powi_pullback<T: Float>(g: &T, x: &T, n: i32, _y: &T, acc: &mut Option<T>) {
    let c = if n == 0 {
        T::zero()
    } else {
        *g * nalgebra::convert::<f64, T>(n as f64) * x.powi(n - 1)
    };
    accumulate_with(acc, || c, |a| *a += c)
}

/// `xᵖ` for a real exponent `p`.
#[inline]
pub fn powf<T: Float>(x: &T, p: &T) -> T {
    x.powf(*p)
}

/// `x̄ += ḡ·p·xᵖ⁻¹` for `y = xᵖ` (zero for `p = 0`, as in JAX).
#[inline]
pub fn powf_pullback_lhs<T: Float>(g: &T, x: &T, p: &T, acc: &mut Option<T>) {
    let c = if p.is_zero() {
        T::zero()
    } else {
        *g * *p * x.powf(*p - T::one())
    };
    accumulate_with(acc, || c, |a| *a += c)
}

/// `p̄ += ḡ·xᵖ·ln x` for `y = xᵖ` (with `ln 0` taken as 0, as in JAX: zero at `x = 0`).
#[inline]
pub fn powf_pullback_rhs<T: Float>(g: &T, x: &T, p: &T, acc: &mut Option<T>) {
    let ln = if x.is_zero() { T::zero() } else { x.ln() };
    let c = *g * x.powf(*p) * ln;
    accumulate_with(acc, || c, |a| *a += c)
}

/// `√(a² + b²)`, without overflow or underflow in the squares.
#[inline]
pub fn hypot<T: Float>(a: &T, b: &T) -> T {
    a.hypot(*b)
}

/// `ā += ḡ·a/h` for `h = √(a² + b²)` (zero at `h = 0`).
#[inline]
pub fn hypot_pullback_lhs<T: Float>(g: &T, a: &T, b: &T, acc: &mut Option<T>) {
    let c = hypot_share(*g, *a, *b);
    accumulate_with(acc, || c, |s| *s += c)
}

/// `b̄ += ḡ·b/h` for `h = √(a² + b²)` (zero at `h = 0`).
#[inline]
pub fn hypot_pullback_rhs<T: Float>(g: &T, a: &T, b: &T, acc: &mut Option<T>) {
    let c = hypot_share(*g, *b, *a);
    accumulate_with(acc, || c, |s| *s += c)
}

/// `ḡ·u/√(u² + v²)`, zero where both are zero.
#[inline]
fn hypot_share<T: Float>(g: T, u: T, v: T) -> T {
    let h = u.hypot(v);
    if h.is_zero() {
        T::zero()
    } else {
        g * (u / h)
    }
}

/// `x` clamped to `[lo, hi]`: `x.clamp(lo, hi)`.
///
/// # Panics
/// If `lo > hi` or either is NaN, as `f64::clamp` does.
#[inline]
#[track_caller]
pub fn clamp<T: Float>(x: &T, lo: T, hi: T) -> T {
    assert!(
        lo <= hi,
        "matgrad: `clamp(min, max)` needs min <= max, got {lo:e} and {hi:e}"
    );
    x.clamp(lo, hi)
}

/// `x̄ += ḡ` strictly inside `[lo, hi]`, `ḡ/2` at a bound (as `.max(lo).min(hi)` shares a
/// tie, and JAX's `clip`), 0 outside.
#[inline]
pub fn clamp_pullback<T: Float>(g: &T, x: &T, lo: T, hi: T, _y: &T, acc: &mut Option<T>) {
    let slope = if *x > lo && *x < hi {
        T::one()
    } else if *x == lo || *x == hi {
        nalgebra::convert(0.5)
    } else {
        T::zero()
    };
    let c = *g * slope;
    accumulate_with(acc, || c, |a| *a += c)
}
