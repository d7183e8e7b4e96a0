//! Reductions of a matrix to a scalar: `.sum()`, `.norm_squared()`, `.norm()`, `.trace()`.

use crate::shape;
use crate::value::{accumulate_with, Differentiable, Scalar};
use nalgebra::{allocator::Allocator, ComplexField as _, DefaultAllocator, Dim, OMatrix};

/// `Σᵢⱼ xᵢⱼ`.
#[inline]
pub fn sum<V: Differentiable>(x: &V) -> V::Elem {
    let mut s = nalgebra::zero::<V::Elem>();
    for i in 0..x.len() {
        s += x.entry(i);
    }
    s
}

/// `x̄ += ḡ·𝟙` (every entry gains ḡ) for `s = Σ x`.
#[inline]
pub fn sum_pullback<V: Differentiable>(g: &V::Elem, x: &V, _y: &V::Elem, acc: &mut Option<V>) {
    add_constant(acc, x, *g)
}

/// `acc += c` in every entry, with `like` giving the shape when `acc` is empty.
fn add_constant<V: Differentiable>(acc: &mut Option<V>, like: &V, c: V::Elem) {
    let bump = |a: &mut V| {
        for i in 0..a.len() {
            *a.entry_mut(i) += c;
        }
    };
    accumulate_with(
        acc,
        || {
            let mut a = like.zeros_like();
            bump(&mut a);
            a
        },
        bump,
    )
}

/// `‖x‖² = Σᵢⱼ xᵢⱼ²` (squared Frobenius norm for a matrix).
#[inline]
pub fn norm_squared<V: Differentiable>(x: &V) -> V::Elem {
    crate::dot(x, x)
}

/// `x̄ += 2ḡ·x` for `s = ‖x‖²`.
#[inline]
pub fn norm_squared_pullback<V: Differentiable>(
    g: &V::Elem,
    x: &V,
    _y: &V::Elem,
    acc: &mut Option<V>,
) {
    let c = *g + *g;
    accumulate_with(acc, || x.scaled(c), |a| a.axpy(c, x))
}

/// `‖x‖ = √(Σᵢⱼ xᵢⱼ²)` (Frobenius norm for a matrix).
#[inline]
pub fn norm<V: Differentiable>(x: &V) -> V::Elem {
    norm_squared(x).sqrt()
}

/// `x̄ += ḡ·x/‖x‖` for `s = ‖x‖`; zero at `x = 0`, where the norm has no derivative.
#[inline]
pub fn norm_pullback<V: Differentiable>(g: &V::Elem, x: &V, y: &V::Elem, acc: &mut Option<V>) {
    if *y == nalgebra::zero::<V::Elem>() {
        accumulate_with(acc, || x.zeros_like(), |_| {});
        return;
    }
    let c = *g / *y;
    accumulate_with(acc, || x.scaled(c), |a| a.axpy(c, x))
}

/// `tr X = Σᵢ Xᵢᵢ`.
///
/// # Panics
/// If `X` is not square.
#[inline]
#[track_caller]
pub fn trace<T: Scalar, R: Dim, C: Dim>(x: &OMatrix<T, R, C>) -> T
where
    DefaultAllocator: Allocator<R, C>,
{
    shape::square("trace", x.shape());
    (0..x.nrows()).fold(T::zero(), |s, i| s + x[(i, i)])
}

/// `X̄ += ḡ·I` for `s = tr X`.
#[inline]
pub fn trace_pullback<T: Scalar, R: Dim, C: Dim>(
    g: &T,
    x: &OMatrix<T, R, C>,
    _y: &T,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>,
{
    shape::square("trace", x.shape());
    let bump = |a: &mut OMatrix<T, R, C>| {
        for i in 0..a.nrows().min(a.ncols()) {
            a[(i, i)] += *g;
        }
    };
    accumulate_with(
        acc,
        || {
            let mut a = x.zeros_like();
            bump(&mut a);
            a
        },
        bump,
    )
}
