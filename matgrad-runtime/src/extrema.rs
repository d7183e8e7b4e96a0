//! Maxima and minima: the largest or smallest entry of a matrix (`m.max()`, `m.min()`), the
//! largest or smallest absolute value of its entries (`m.amax()`, `m.amin()`), and the larger
//! or smaller of two floats (`a.max(b)`, `f64::max(a, b)`).
//!
//! At a tie the cotangent is shared equally among the tied entries or operands, as JAX does
//! (`_reduce_chooser_jvp_rule` for reductions, `_balanced_eq` for `lax.max`) and PyTorch
//! (`evenly_distribute_backward` for `max()`, ½ each for `maximum` at `a == b`): a valid
//! subgradient, symmetric in the operands. Away from ties the derivative is exact. A NaN is
//! never the maximum of nalgebra's or `f64::max`, so it receives no cotangent.

use crate::families::matrix_functions;
use crate::value::{accumulate_with, Scalar};
use nalgebra::{allocator::Allocator, DefaultAllocator, Dim, OMatrix};

matrix_functions! {
    /// The largest entry, as nalgebra's `m.max()` computes it.
    max_entry(x) -> T { x.max() }
    /// `x̄ᵢ += ḡ/k` at the `k` entries equal to the maximum `y`.
    max_entry_pullback(g, x, y, acc) { chosen_entries_pullback(*g, x, *y, acc) }

    /// The smallest entry, as nalgebra's `m.min()` computes it.
    min_entry(x) -> T { x.min() }
    /// `x̄ᵢ += ḡ/k` at the `k` entries equal to the minimum `y`.
    min_entry_pullback(g, x, y, acc) { chosen_entries_pullback(*g, x, *y, acc) }

    /// The largest absolute value of the entries, as nalgebra's `m.amax()` computes it.
    amax_entry(x) -> T { x.amax() }
    /// `x̄ᵢ += sign(xᵢ)·ḡ/k` at the `k` entries whose absolute value is the maximum `y`.
    amax_entry_pullback(g, x, y, acc) { chosen_abs_pullback(*g, x, *y, acc) }

    /// The smallest absolute value of the entries, as nalgebra's `m.amin()` computes it.
    amin_entry(x) -> T { x.amin() }
    /// `x̄ᵢ += sign(xᵢ)·ḡ/k` at the `k` entries whose absolute value is the minimum `y` (0
    /// where `xᵢ = 0`, as `|x|` has it).
    amin_entry_pullback(g, x, y, acc) { chosen_abs_pullback(*g, x, *y, acc) }
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
    shared_pullback(g, x, chosen, |v| v, |_| T::one(), acc)
}

/// `x̄ᵢ += sign(xᵢ)·ḡ/k` at the `k` entries of `x` with `|xᵢ| = chosen`: the chosen entries'
/// pullback composed with that of `|x|` (sign 0 at 0, as our `.abs()` has it; JAX's is 1).
fn chosen_abs_pullback<T: Scalar, R: Dim, C: Dim>(
    g: T,
    x: &OMatrix<T, R, C>,
    chosen: T,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>,
{
    let sign = |v: T| if v.is_zero() { v } else { v.signum() };
    shared_pullback(g, x, chosen, |v| v.abs(), sign, acc)
}

/// `x̄ᵢ += slope(xᵢ)·ḡ/k` at the `k` entries of `x` with `key(xᵢ) = chosen`.
fn shared_pullback<T: Scalar, R: Dim, C: Dim>(
    g: T,
    x: &OMatrix<T, R, C>,
    chosen: T,
    key: impl Fn(T) -> T,
    slope: impl Fn(T) -> T,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>,
{
    let k = x.iter().filter(|&&v| key(v) == chosen).count();
    let share = if k == 0 {
        T::zero()
    } else {
        g / nalgebra::convert::<f64, T>(k as f64)
    };
    let part = |v: T| {
        if key(v) == chosen {
            share * slope(v)
        } else {
            T::zero()
        }
    };
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

/// One entry per choice between two floats makes its primal, `f(a, b)`, and its two
/// pullbacks: `ḡ` to the operand chosen (`chosen(a, b)` for `a`, `chosen(b, a)` for `b`), half
/// of it to each at a tie, nothing to the other.
macro_rules! choices {
    ($(
        $(#[$primal_doc:meta])*
        $primal:ident = $f:expr, chosen $chosen:expr;
        $(#[$lhs_doc:meta])*
        $lhs:ident;
        $(#[$rhs_doc:meta])*
        $rhs:ident;
    )*) => {$(
        $(#[$primal_doc])*
        #[inline]
        pub fn $primal<T: Scalar>(a: &T, b: &T) -> T {
            apply(*a, *b, $f)
        }

        $(#[$lhs_doc])*
        #[inline]
        pub fn $lhs<T: Scalar>(g: &T, a: &T, b: &T, acc: &mut Option<T>) {
            add_share(*g, apply(*a, *b, $chosen), a == b, acc)
        }

        $(#[$rhs_doc])*
        #[inline]
        pub fn $rhs<T: Scalar>(g: &T, a: &T, b: &T, acc: &mut Option<T>) {
            add_share(*g, apply(*b, *a, $chosen), a == b, acc)
        }
    )*};
}

/// `f(a, b)`, with `f`'s arguments typed by the bound.
#[inline(always)]
fn apply<T: Scalar, U>(a: T, b: T, f: impl Fn(T, T) -> U) -> U {
    f(a, b)
}

choices! {
    /// The larger of two floats: `a.max(b)`.
    max = |a, b| a.max(b), chosen |a, b| a > b;
    /// `ā += ḡ` where `a > b`, `ḡ/2` where `a = b`.
    max_pullback_lhs;
    /// `b̄ += ḡ` where `b > a`, `ḡ/2` where `a = b`.
    max_pullback_rhs;

    /// The smaller of two floats: `a.min(b)`.
    min = |a, b| a.min(b), chosen |a, b| a < b;
    /// `ā += ḡ` where `a < b`, `ḡ/2` where `a = b`.
    min_pullback_lhs;
    /// `b̄ += ḡ` where `b < a`, `ḡ/2` where `a = b`.
    min_pullback_rhs;
}

/// `slot += ḡ` if the operand is chosen, `ḡ/2` at a tie, nothing otherwise.
fn add_share<T: Scalar>(g: T, chosen: bool, tie: bool, acc: &mut Option<T>) {
    let c = if chosen {
        g
    } else if tie {
        g * nalgebra::convert::<f64, T>(0.5)
    } else {
        T::zero()
    };
    accumulate_with(acc, || c, |a| *a += c)
}
