//! Helpers of the forward companions (`f_jvp`, `f_hvp`, `f_hessian`, `f_jacobian`): the
//! constants the tangent rules build (of an operand's shape, or piecewise constant in it:
//! a sign, the weights of a maximum), and the unit directions and matrix assembly of the
//! Hessian and Jacobian drivers.

use crate::extrema::{
    amax_entry_pullback, amin_entry_pullback, max_entry_pullback, max_pullback_lhs,
    min_entry_pullback, min_pullback_lhs,
};
use crate::value::{AsValue, Dense, Scalar};
use crate::{Cotangent, Differentiable};
use nalgebra::{allocator::Allocator, DefaultAllocator, Dim, OMatrix};

/// A value of the shape of `x` with every entry `c`.
pub fn filled_like<V: Dense, A: AsValue<V> + ?Sized>(x: &A, c: f64) -> V {
    let c: V::Scalar = nalgebra::convert(c);
    x.as_value().map_entries(|_, _| c)
}

/// sign(xᵢ) entry by entry, 0 at 0: the derivative of `|x|` (piecewise constant).
pub fn sign_of<V: Dense, A: AsValue<V> + ?Sized>(x: &A) -> V {
    let zero: V::Scalar = nalgebra::convert(0.0);
    x.as_value().map_entries(|_, v| {
        if v == zero {
            zero
        } else {
            nalgebra::ComplexField::signum(v)
        }
    })
}

/// `n − 1`: the exponent of the derivative n·xⁿ⁻¹ of `xⁿ`; 0 for n = 0, whose derivative
/// n·x⁰ is then 0 everywhere (not 0·x⁻¹, which is NaN at 0).
pub fn powi_factor<T: Scalar, A: AsValue<T> + ?Sized>(_x: &A, n: i32) -> i32 {
    if n == 0 {
        0
    } else {
        n - 1
    }
}

/// `n` as a float of the type of `x`.
pub fn powi_exponent<T: Scalar, A: AsValue<T> + ?Sized>(_x: &A, n: i32) -> T {
    nalgebra::convert(f64::from(n))
}

/// The slope of `x.clamp(lo, hi)`: 1 inside, ½ at a bound (as the pullback), 0 outside.
pub fn clamp_weight<T: Scalar, A: AsValue<T> + ?Sized>(x: &A, lo: T, hi: T) -> T {
    let x = *x.as_value();
    if x > lo && x < hi {
        T::one()
    } else if x == lo || x == hi {
        nalgebra::convert(0.5)
    } else {
        T::zero()
    }
}

/// ∂ max(a, b)/∂a: 1 where `a > b`, ½ at a tie, else 0.
pub fn max_weight<T: Scalar>(a: &T, b: &T) -> T {
    let mut w = None;
    max_pullback_lhs(&T::one(), a, b, &mut w);
    w.unwrap_or_else(T::zero)
}

/// ∂ min(a, b)/∂a: 1 where `a < b`, ½ at a tie, else 0.
pub fn min_weight<T: Scalar>(a: &T, b: &T) -> T {
    let mut w = None;
    min_pullback_lhs(&T::one(), a, b, &mut w);
    w.unwrap_or_else(T::zero)
}

macro_rules! chooser_weights {
    ($($(#[$doc:meta])* $name:ident = $pullback:ident of $primal:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name<T: Scalar, R: Dim, C: Dim>(x: &OMatrix<T, R, C>) -> OMatrix<T, R, C>
        where
            DefaultAllocator: Allocator<R, C>,
        {
            let mut w = None;
            $pullback(&T::one(), x, &x.$primal(), &mut w);
            w.unwrap_or_else(|| x.map(|_| T::zero()))
        }
    )*};
}

chooser_weights! {
    /// ∂ max(x)/∂x: 1/k at the k largest entries.
    max_entry_weights = max_entry_pullback of max;
    /// ∂ min(x)/∂x: 1/k at the k smallest entries.
    min_entry_weights = min_entry_pullback of min;
    /// ∂ amax(x)/∂x: sign(xᵢ)/k at the k entries of largest absolute value.
    max_abs_weights = amax_entry_pullback of amax;
    /// ∂ amin(x)/∂x: sign(xᵢ)/k at the k entries of smallest absolute value.
    min_abs_weights = amin_entry_pullback of amin;
}

/// The number of entries of `x` over all its leaves.
pub fn entries_of<V: ?Sized + Cotangent>(x: &V) -> usize {
    x.cotangent_entries()
}

/// A value of the shape of `x`, zero but for a one at entry `k − offset` (in
/// [`Differentiable::to_flat`]'s order) if that is one of its entries: the `k`-th unit
/// direction of a list of parameters, this one's entries starting at `offset`.
pub fn unit_like<V: ?Sized + Cotangent>(x: &V, k: usize, offset: usize) -> V::Of {
    let mut u = x.zero_cotangent();
    let mut start = offset;
    u.visit_mut(&mut |leaf| {
        if let Some(i) = k.checked_sub(start).filter(|&i| i < leaf.entries.len()) {
            leaf.entries[i] = nalgebra::convert(1.0);
        }
        start += leaf.entries.len();
    });
    u
}

/// Writes the entries of `v` (in [`Differentiable::to_flat`]'s order) into column `col` of
/// `m` from row `offset`.
pub fn write_column<V: Differentiable>(
    m: &mut DMatrix<V::Scalar>,
    col: usize,
    offset: usize,
    v: &V,
) {
    let mut i = offset;
    v.visit(&mut |leaf| {
        for &e in leaf.entries {
            m[(i, col)] = e;
            i += 1;
        }
    });
}

/// Writes the entries of `v` (in [`Differentiable::to_flat`]'s order) into row `row` of `m`
/// from column `offset`.
pub fn write_row<V: Differentiable>(m: &mut DMatrix<V::Scalar>, row: usize, offset: usize, v: &V) {
    let mut j = offset;
    v.visit(&mut |leaf| {
        for &e in leaf.entries {
            m[(row, j)] = e;
            j += 1;
        }
    });
}

/// An `r × c` matrix of zeros of the element type of `like`.
pub fn zero_matrix<V: Differentiable>(_like: &V, r: usize, c: usize) -> DMatrix<V::Scalar> {
    DMatrix::zeros(r, c)
}
pub use nalgebra::DMatrix;

/// The direction of a constant argument of a called function: a zero of the parameter's
/// type where the callee differentiates it, `()` where it does not.
pub trait ZeroDirection<A: ?Sized> {
    /// The zero direction for the argument `a`.
    fn zero_direction(a: &A) -> Self;
}

impl<A: ?Sized> ZeroDirection<A> for () {
    fn zero_direction(_: &A) {}
}

impl<V: Dense, A: AsValue<V> + ?Sized> ZeroDirection<A> for V {
    fn zero_direction(a: &A) -> V {
        a.as_value().zeros_like()
    }
}

/// The zero direction of the argument `a` (see [`ZeroDirection`]).
pub fn zero_direction<A: ?Sized, D: ZeroDirection<A>>(a: &A) -> D {
    D::zero_direction(a)
}

/// The bound of the stand-in `tangent_vjp` of a function without forward companions:
/// implemented by nothing, so calling it from forward-mode code is this error.
#[diagnostic::on_unimplemented(
    message = "`{F}` has no tangent, so the forward companions of a function calling it cannot be generated",
    label = "called here in forward mode",
    note = "write `#[grad(.., forward)]` on `{F}`; for a function with a hand-written `#[vjp(rule)]`, add `#[jvp(tangent)]` after it, with a tangent rule of its own"
)]
pub trait HasTangent<F> {}

/// 1/x entry-wise, 0 where x = 0: the factor of the tangents of ‖x‖ and `hypot`.
pub fn recip_or_zero<V: Dense>(x: &V) -> V {
    let zero: V::Scalar = nalgebra::convert(0.0);
    let one: V::Scalar = nalgebra::convert(1.0);
    x.map_entries(|_, v| if v == zero { zero } else { one / v })
}

/// `x̄ −= ḡ ⊙ y²` with y = 1/x (0 where x = 0, as y is).
pub fn recip_or_zero_pullback<V: Dense>(g: &V, _x: &V, y: &V, acc: &mut Option<V>) {
    crate::value::accumulate(acc, y.zip_entries(g, |r, g| -(g * r * r)));
}

/// y·ln a entry-wise, 0 where y = 0 (`xlogy`): the tangent aᵇ·ln a of aᵇ along b, 0 at
/// a = 0 where aᵇ = 0.
pub fn xlogy<V: Dense>(y: &V, a: &V) -> V {
    let zero: V::Scalar = nalgebra::convert(0.0);
    y.zip_entries(a, |y, a| {
        if y == zero {
            zero
        } else {
            y * nalgebra::ComplexField::ln(a)
        }
    })
}

/// `ȳ += ḡ·ln a`, 0 where y = 0.
pub fn xlogy_pullback_lhs<V: Dense>(g: &V, y: &V, a: &V, acc: &mut Option<V>) {
    let zero: V::Scalar = nalgebra::convert(0.0);
    let d = g.map_entries(|i, g| {
        if y.entry(i) == zero {
            zero
        } else {
            g * nalgebra::ComplexField::ln(a.entry(i))
        }
    });
    crate::value::accumulate(acc, d);
}

/// `ā += ḡ·y/a`, 0 where y = 0.
pub fn xlogy_pullback_rhs<V: Dense>(g: &V, y: &V, a: &V, acc: &mut Option<V>) {
    let zero: V::Scalar = nalgebra::convert(0.0);
    let d = g.map_entries(|i, g| {
        if y.entry(i) == zero {
            zero
        } else {
            g * y.entry(i) / a.entry(i)
        }
    });
    crate::value::accumulate(acc, d);
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::dvector;

    /// Central difference of the scalar function `f` at `x`.
    fn fd(f: impl Fn(f64) -> f64, x: f64) -> f64 {
        let h = 1e-6;
        (f(x + h) - f(x - h)) / (2.0 * h)
    }

    #[test]
    fn recip_or_zero_is_the_reciprocal_away_from_zero_and_zero_at_it() {
        let x = dvector![2.0, -0.5, 0.0];
        let y = recip_or_zero(&x);
        assert_eq!(y, dvector![0.5, -2.0, 0.0]);
        let mut acc = None;
        recip_or_zero_pullback(&dvector![1.0, 1.0, 1.0], &x, &y, &mut acc);
        let g = acc.unwrap();
        for i in 0..2 {
            assert!((g[i] - fd(|t| 1.0 / t, x[i])).abs() < 1e-6);
        }
        assert_eq!(g[2], 0.0);
    }

    #[test]
    fn xlogy_and_its_pullbacks_match_finite_differences_and_vanish_at_y_zero() {
        let (y, a) = (1.3, 0.7);
        assert_eq!(xlogy(&y, &a), 1.3 * 0.7f64.ln());
        assert_eq!(xlogy(&0.0, &0.0), 0.0);
        let (mut dy, mut da) = (None, None);
        xlogy_pullback_lhs(&1.0, &y, &a, &mut dy);
        xlogy_pullback_rhs(&1.0, &y, &a, &mut da);
        assert!((dy.unwrap() - fd(|t| t * a.ln(), y)).abs() < 1e-6);
        assert!((da.unwrap() - fd(|t| y * t.ln(), a)).abs() < 1e-6);
        let (mut dy, mut da) = (None, None);
        xlogy_pullback_lhs(&1.0, &0.0, &0.0, &mut dy);
        xlogy_pullback_rhs(&1.0, &0.0, &0.0, &mut da);
        assert_eq!((dy, da), (Some(0.0), Some(0.0)));
    }

    #[test]
    fn unit_directions_and_matrix_assembly_follow_storage_order() {
        let x = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]);
        // Entry 1 in storage (column-major) order is (1, 0).
        assert_eq!(unit_like(&x, 4, 3)[(1, 0)], 1.0);
        assert_eq!(unit_like(&x, 2, 3), DMatrix::zeros(2, 2));
        let mut m = DMatrix::zeros(5, 5);
        write_column(&mut m, 4, 1, &x);
        assert_eq!(m.column(4).as_slice(), &[0.0, 1.0, 3.0, 2.0, 4.0]);
        write_row(&mut m, 0, 0, &2.5);
        assert_eq!(m[(0, 0)], 2.5);
    }

    #[test]
    fn piecewise_factors_are_the_pullbacks_at_a_unit_cotangent() {
        assert_eq!(max_weight(&2.0, &1.0), 1.0);
        assert_eq!(max_weight(&1.0, &1.0), 0.5);
        assert_eq!(min_weight(&2.0, &1.0), 0.0);
        assert_eq!(
            max_entry_weights(&dvector![1.0, 3.0, 3.0]),
            dvector![0.0, 0.5, 0.5]
        );
        assert_eq!(sign_of(&dvector![-2.0, 0.0, 1.0]), dvector![-1.0, 0.0, 1.0]);
        assert_eq!(clamp_weight(&1.0, 0.0, 1.0), 0.5);
        assert_eq!(powi_factor(&1.0, 0), 0);
        assert_eq!(powi_factor(&1.0, 3), 2);
    }
}
