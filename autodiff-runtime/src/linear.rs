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
    let mut y = lhs.clone();
    y.add_assign(rhs);
    y
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
    let mut y = lhs.clone();
    y.axpy(-nalgebra::one::<V::Elem>(), rhs);
    y
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

// ---------------------------------------------------------------- owned cotangents
//
// The reverse sweep hands the last pullback of an operation its cotangent by value: these
// variants move it into an empty slot (or add it in place) instead of copying it.

/// [`add_pullback_lhs`] with the cotangent given by value.
#[inline]
pub fn add_pullback_lhs_owned<V: Differentiable>(g: V, _lhs: &V, _rhs: &V, acc: &mut Option<V>) {
    crate::value::accumulate(acc, g)
}

/// [`add_pullback_rhs`] with the cotangent given by value.
#[inline]
pub fn add_pullback_rhs_owned<V: Differentiable>(g: V, _lhs: &V, _rhs: &V, acc: &mut Option<V>) {
    crate::value::accumulate(acc, g)
}

/// [`sub_pullback_lhs`] with the cotangent given by value.
#[inline]
pub fn sub_pullback_lhs_owned<V: Differentiable>(g: V, _lhs: &V, _rhs: &V, acc: &mut Option<V>) {
    crate::value::accumulate(acc, g)
}

/// [`sub_pullback_rhs`] with the cotangent given by value.
#[inline]
pub fn sub_pullback_rhs_owned<V: Differentiable>(g: V, _lhs: &V, _rhs: &V, acc: &mut Option<V>) {
    crate::componentwise::entrywise_owned("-", g, acc, |_, gi| -gi)
}

/// [`neg_pullback`] with the cotangent given by value.
#[inline]
pub fn neg_pullback_owned<V: Differentiable>(g: V, _x: &V, _y: &V, acc: &mut Option<V>) {
    crate::componentwise::entrywise_owned("-", g, acc, |_, gi| -gi)
}
