//! Maxima and minima: the largest or smallest entry of a matrix (`m.max()`, `m.min()`) and
//! the larger or smaller of two floats (`a.max(b)`, `f64::max(a, b)`).
//!
//! At a tie the cotangent is shared equally among the tied entries or operands, as JAX does
//! (`_reduce_chooser_jvp_rule` for reductions, `_balanced_eq` for `lax.max`) and PyTorch
//! (`evenly_distribute_backward` for `max()`, ½ each for `maximum` at `a == b`): a valid
//! subgradient, symmetric in the operands. Away from ties the derivative is exact. A NaN is
//! never the maximum of nalgebra's or `f64::max`, so it receives no cotangent.

use crate::value::{accumulate_with, Scalar};
use nalgebra::{allocator::Allocator, DefaultAllocator, Dim, OMatrix};

/// The largest entry, as nalgebra's `m.max()` computes it.
#[inline]
pub fn max_entry<T: Scalar, R: Dim, C: Dim>(x: &OMatrix<T, R, C>) -> T
where
    DefaultAllocator: Allocator<R, C>,
{
    x.max()
}

/// `x̄ᵢ += ḡ/k` at the `k` entries equal to the maximum `y`.
#[inline]
pub fn max_entry_pullback<T: Scalar, R: Dim, C: Dim>(
    g: &T,
    x: &OMatrix<T, R, C>,
    y: &T,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>,
{
    chosen_entries_pullback(*g, x, *y, acc)
}

/// The smallest entry, as nalgebra's `m.min()` computes it.
#[inline]
pub fn min_entry<T: Scalar, R: Dim, C: Dim>(x: &OMatrix<T, R, C>) -> T
where
    DefaultAllocator: Allocator<R, C>,
{
    x.min()
}

/// `x̄ᵢ += ḡ/k` at the `k` entries equal to the minimum `y`.
#[inline]
pub fn min_entry_pullback<T: Scalar, R: Dim, C: Dim>(
    g: &T,
    x: &OMatrix<T, R, C>,
    y: &T,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>,
{
    chosen_entries_pullback(*g, x, *y, acc)
}

/// `x̄ᵢ += ḡ/k` at the `k` entries of `x` equal to `chosen` (none if there is none).
fn chosen_entries_pullback<T: Scalar, R: Dim, C: Dim>(
    g: T,
    x: &OMatrix<T, R, C>,
    chosen: T,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>,
{
    let k = x.iter().filter(|&&v| v == chosen).count();
    let share = if k == 0 {
        T::zero()
    } else {
        g / nalgebra::convert::<f64, T>(k as f64)
    };
    let part = |v: T| if v == chosen { share } else { T::zero() };
    accumulate_with(
        acc,
        || x.map(part),
        |a| {
            for (ai, &v) in a.iter_mut().zip(x.iter()) {
                *ai += part(v);
            }
        },
    )
}

/// The larger of two floats: `a.max(b)`.
#[inline]
pub fn max<T: Scalar>(a: &T, b: &T) -> T {
    a.max(*b)
}

/// `ā += ḡ` where `a > b`, `ḡ/2` where `a = b`.
#[inline]
pub fn max_pullback_lhs<T: Scalar>(g: &T, a: &T, b: &T, acc: &mut Option<T>) {
    add_share(*g, a, b, acc)
}

/// `b̄ += ḡ` where `b > a`, `ḡ/2` where `a = b`.
#[inline]
pub fn max_pullback_rhs<T: Scalar>(g: &T, a: &T, b: &T, acc: &mut Option<T>) {
    add_share(*g, b, a, acc)
}

/// The smaller of two floats: `a.min(b)`.
#[inline]
pub fn min<T: Scalar>(a: &T, b: &T) -> T {
    a.min(*b)
}

/// `ā += ḡ` where `a < b`, `ḡ/2` where `a = b`.
#[inline]
pub fn min_pullback_lhs<T: Scalar>(g: &T, a: &T, b: &T, acc: &mut Option<T>) {
    add_share(*g, b, a, acc)
}

/// `b̄ += ḡ` where `b < a`, `ḡ/2` where `a = b`.
#[inline]
pub fn min_pullback_rhs<T: Scalar>(g: &T, a: &T, b: &T, acc: &mut Option<T>) {
    add_share(*g, a, b, acc)
}

/// `slot += ḡ` if `winner > loser`, `ḡ/2` at a tie, nothing otherwise (`min` passes its
/// operands the other way round).
fn add_share<T: Scalar>(g: T, winner: &T, loser: &T, acc: &mut Option<T>) {
    let c = if winner > loser {
        g
    } else if winner == loser {
        g * nalgebra::convert::<f64, T>(0.5)
    } else {
        T::zero()
    };
    accumulate_with(acc, || c, |a| *a += c)
}
