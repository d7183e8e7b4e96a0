//! Linear operations: `+`, `-`, unary `-`, `.add_scalar(a)` and `.transpose()`. Their
//! pullbacks only move, negate, sum or transpose the cotangent.

use crate::families::entrywise_binary;
use crate::shape;
use crate::value::{accumulate_with, Dense};
#[allow(unused_imports)]
use crate::Differentiable as _;
use nalgebra::{allocator::Allocator, DefaultAllocator, Dim, OMatrix};

// ---------------------------------------------------------------- add and sub
//
// Their pullbacks pass the cotangent through: see the end of the file.

entrywise_binary! {
    /// `lhs + rhs` for two scalars or two matrices of one shape.
    ///
    /// # Panics
    /// If the shapes differ.
    add("+") = |a, b| a + b, in add_reuse_lhs, add_reuse_rhs;
    /// `lhs - rhs` for two scalars or two matrices of one shape.
    ///
    /// # Panics
    /// If the shapes differ.
    sub("-") = |a, b| a - b, in sub_reuse_lhs, sub_reuse_rhs;
}

// ---------------------------------------------------------------- add_scalar

/// `x + a·𝟙`: `a` added to every entry (nalgebra's `x.add_scalar(a)`).
#[inline]
pub fn add_scalar<V: Dense>(x: &V, a: &V::Scalar) -> V {
    x.map_entries(|_, v| v + *a)
}

/// `x̄ += ḡ` for `y = x + a·𝟙`.
#[inline]
#[track_caller]
pub fn add_scalar_pullback_lhs<V: Dense>(g: &V, _x: &V, _a: &V::Scalar, acc: &mut Option<V>) {
    pass_through(g, acc)
}

/// `ā += Σ ḡ` for `y = x + a·𝟙`.
#[inline]
pub fn add_scalar_pullback_rhs<V: Dense>(
    g: &V,
    _x: &V,
    _a: &V::Scalar,
    acc: &mut Option<V::Scalar>,
) {
    let c = crate::summation::sum(g.entries());
    accumulate_with(acc, || c, |s| *s += c)
}

// ---------------------------------------------------------------- neg

/// `-x`.
#[inline]
pub fn neg<V: Dense>(x: &V) -> V {
    x.scaled(-nalgebra::one::<V::Scalar>())
}

/// [`neg`] computed in `x`'s buffer.
#[inline]
pub fn neg_reuse<V: Dense>(mut x: V) -> V {
    for v in x.entries_mut() {
        *v = -*v;
    }
    x
}

// ---------------------------------------------------------------- transpose

/// `xᵀ` for a matrix or vector.
#[inline]
pub fn transpose<T, R, C>(x: &OMatrix<T, R, C>) -> OMatrix<T, C, R>
where
    T: crate::Scalar,
    R: Dim,
    C: Dim,
    DefaultAllocator: Allocator<R, C> + Allocator<C, R>,
{
    x.transpose()
}

/// `x̄ += ḡᵀ` for `y = xᵀ`.
#[inline]
pub fn transpose_pullback<T, R, C>(
    g: &OMatrix<T, C, R>,
    _x: &OMatrix<T, R, C>,
    _y: &OMatrix<T, C, R>,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    T: crate::Scalar,
    R: Dim,
    C: Dim,
    DefaultAllocator: Allocator<R, C> + Allocator<C, R>,
{
    accumulate_with(
        acc,
        || g.transpose(),
        |a| {
            shape::same("transpose", a.shape(), (g.ncols(), g.nrows()));
            for j in 0..g.ncols() {
                for i in 0..g.nrows() {
                    a[(j, i)] += g[(i, j)];
                }
            }
        },
    )
}

// ---------------------------------------------------------------- cotangents passed through
//
// `+`, `-` and unary `-` pass their cotangent through (negated for a subtracted operand) and
// read neither operand, so the reverse sweep calls these, and the operands need not be kept.

/// `slot += ḡ` (the pullback of either operand of `+`, and of the left of `-`).
#[inline]
#[track_caller]
pub fn pass_through_reuse_g<V: Dense>(g: V, slot: &mut Option<V>) {
    crate::value::accumulate(slot, g)
}

/// `slot += ḡ`, from a borrowed cotangent that another pullback still reads.
#[inline]
#[track_caller]
pub fn pass_through<V: Dense>(g: &V, slot: &mut Option<V>) {
    accumulate_with(slot, || g.clone_pooled(), |a| a.add_assign(g))
}

/// `slot -= ḡ` (the pullback of the right operand of `-`, and of unary `-`).
#[inline]
#[track_caller]
pub fn pass_negated_reuse_g<V: Dense>(g: V, slot: &mut Option<V>) {
    crate::componentwise::entrywise_reuse_g("-", g, slot, |_, gi| -gi)
}

/// `slot -= ḡ`, from a borrowed cotangent that another pullback still reads.
#[inline]
#[track_caller]
pub fn pass_negated<V: Dense>(g: &V, slot: &mut Option<V>) {
    accumulate_with(
        slot,
        || neg(g),
        |a| a.axpy(-nalgebra::one::<V::Scalar>(), g),
    )
}
