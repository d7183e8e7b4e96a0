//! Linear operations: `+`, `-`, unary `-` and `.transpose()`. Their pullbacks only move,
//! negate or transpose the cotangent.

use crate::shape;
use crate::value::{accumulate_with, Differentiable};
use nalgebra::{allocator::Allocator, DefaultAllocator, Dim, OMatrix};

// ---------------------------------------------------------------- add and sub

/// `lhs + rhs` for two scalars or two matrices of one shape.
///
/// # Panics
/// If the shapes differ.
#[inline]
#[track_caller]
pub fn add<V: Differentiable>(lhs: &V, rhs: &V) -> V {
    shape::same("+", lhs.shape(), rhs.shape());
    lhs.zip_entries(rhs, |a, b| a + b)
}

/// `l̄ += ḡ` for `y = l + r`.
#[inline]
pub fn add_pullback_lhs<V: Differentiable>(g: &V, _lhs: &V, _rhs: &V, acc: &mut Option<V>) {
    accumulate_with(acc, || g.clone(), |a| a.add_assign(g))
}

/// `r̄ += ḡ` for `y = l + r`.
#[inline]
pub fn add_pullback_rhs<V: Differentiable>(g: &V, _lhs: &V, _rhs: &V, acc: &mut Option<V>) {
    accumulate_with(acc, || g.clone(), |a| a.add_assign(g))
}

/// `lhs - rhs` for two scalars or two matrices of one shape.
///
/// # Panics
/// If the shapes differ.
#[inline]
#[track_caller]
pub fn sub<V: Differentiable>(lhs: &V, rhs: &V) -> V {
    shape::same("-", lhs.shape(), rhs.shape());
    lhs.zip_entries(rhs, |a, b| a - b)
}

/// `l̄ += ḡ` for `y = l - r`.
#[inline]
pub fn sub_pullback_lhs<V: Differentiable>(g: &V, _lhs: &V, _rhs: &V, acc: &mut Option<V>) {
    accumulate_with(acc, || g.clone(), |a| a.add_assign(g))
}

/// `r̄ -= ḡ` for `y = l - r`.
#[inline]
pub fn sub_pullback_rhs<V: Differentiable>(g: &V, _lhs: &V, _rhs: &V, acc: &mut Option<V>) {
    accumulate_with(acc, || neg(g), |a| a.axpy(-nalgebra::one::<V::Elem>(), g))
}

// ---------------------------------------------------------------- neg

/// `-x`.
#[inline]
pub fn neg<V: Differentiable>(x: &V) -> V {
    x.scaled(-nalgebra::one::<V::Elem>())
}

/// `x̄ -= ḡ` for `y = -x`.
#[inline]
pub fn neg_pullback<V: Differentiable>(g: &V, _x: &V, _y: &V, acc: &mut Option<V>) {
    accumulate_with(acc, || neg(g), |a| a.axpy(-nalgebra::one::<V::Elem>(), g))
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

// ---------------------------------------------------------------- owned left operands

/// [`add`] computed in `lhs`'s buffer (a temporary nothing else reads).
#[inline]
#[track_caller]
pub fn add_reuse_lhs<V: Differentiable>(mut lhs: V, rhs: &V) -> V {
    shape::same("+", lhs.shape(), rhs.shape());
    lhs.add_assign(rhs);
    lhs
}

/// [`sub`] computed in `lhs`'s buffer.
#[inline]
#[track_caller]
pub fn sub_reuse_lhs<V: Differentiable>(mut lhs: V, rhs: &V) -> V {
    shape::same("-", lhs.shape(), rhs.shape());
    for (a, b) in lhs.entries_mut().iter_mut().zip(rhs.entries()) {
        *a -= *b;
    }
    lhs
}

/// [`add`] computed in `rhs`'s buffer.
#[inline]
#[track_caller]
pub fn add_reuse_rhs<V: Differentiable>(lhs: &V, mut rhs: V) -> V {
    shape::same("+", lhs.shape(), rhs.shape());
    rhs.add_assign(lhs);
    rhs
}

/// [`sub`] computed in `rhs`'s buffer.
#[inline]
#[track_caller]
pub fn sub_reuse_rhs<V: Differentiable>(lhs: &V, mut rhs: V) -> V {
    shape::same("-", lhs.shape(), rhs.shape());
    for (b, a) in rhs.entries_mut().iter_mut().zip(lhs.entries()) {
        *b = *a - *b;
    }
    rhs
}

/// [`neg`] computed in `x`'s buffer.
#[inline]
pub fn neg_reuse<V: Differentiable>(mut x: V) -> V {
    for v in x.entries_mut() {
        *v = -*v;
    }
    x
}

// ---------------------------------------------------------------- cotangents passed through
//
// `+`, `-` and unary `-` pass their cotangent through (negated for a subtracted operand) and
// read neither operand, so the reverse sweep calls these, and the operands need not be kept.

/// `slot += ḡ` (the pullback of either operand of `+`, and of the left of `-`).
#[inline]
#[track_caller]
pub fn pass_through_reuse_g<V: Differentiable>(g: V, slot: &mut Option<V>) {
    crate::value::accumulate(slot, g)
}

/// `slot += ḡ`, from a borrowed cotangent that another pullback still reads.
#[inline]
#[track_caller]
pub fn pass_through<V: Differentiable>(g: &V, slot: &mut Option<V>) {
    accumulate_with(slot, || g.clone(), |a| a.add_assign(g))
}

/// `slot -= ḡ` (the pullback of the right operand of `-`, and of unary `-`).
#[inline]
#[track_caller]
pub fn pass_negated_reuse_g<V: Differentiable>(g: V, slot: &mut Option<V>) {
    crate::componentwise::entrywise_reuse_g("-", g, slot, |_, gi| -gi)
}

/// `slot -= ḡ`, from a borrowed cotangent that another pullback still reads.
#[inline]
#[track_caller]
pub fn pass_negated<V: Differentiable>(g: &V, slot: &mut Option<V>) {
    accumulate_with(slot, || neg(g), |a| a.axpy(-nalgebra::one::<V::Elem>(), g))
}
