//! Bilinear operations: `*` (scalar·scalar, scalar·matrix, matrix·scalar, matrix·matrix
//! including matrix·vector and row·column), `/` by a scalar, `.dot()` and `.component_mul()`.
//!
//! Each has a left and a right pullback. The matrix product follows the usual pair:
//! `Ā += Ḡ·Bᵀ`, `B̄ += Aᵀ·Ḡ`, accumulated with `gemm` (`beta = 1`) once the slot is filled.

use crate::families::entrywise_binary;
use crate::shape;
use crate::value::{accumulate_with, Dense, Kept, Scalar};
#[allow(unused_imports)]
use crate::Differentiable as _;
use nalgebra::{allocator::Allocator, DefaultAllocator, Dim, Dyn, OMatrix};

// ---------------------------------------------------------------- mul

/// `lhs * rhs`, with its two pullbacks.
///
/// Implemented for scalar·scalar, scalar·matrix, matrix·scalar, and matrix·matrix where the
/// left's column dimension is the right's row dimension (so `DMatrix·DVector`,
/// `RowDVector·DVector`, `DVector·RowDVector`, ... all work).
pub trait MulRule<Rhs>: Sized {
    /// The type of `lhs * rhs`.
    type Output: crate::Differentiable;
    /// `lhs * rhs`.
    fn mul(&self, rhs: &Rhs) -> Self::Output;
    /// `l̄ += ∂(l·r)/∂l applied to ḡ`.
    fn pullback_lhs(g: &Self::Output, lhs: &Self, rhs: &Rhs, acc: &mut Option<Self>);
    /// `r̄ += ∂(l·r)/∂r applied to ḡ`.
    fn pullback_rhs(g: &Self::Output, lhs: &Self, rhs: &Rhs, acc: &mut Option<Rhs>);
    /// [`MulRule::pullback_lhs`] with the cotangent given by value.
    #[inline]
    fn pullback_lhs_reuse_g(g: Self::Output, lhs: &Self, rhs: &Rhs, acc: &mut Option<Self>) {
        Self::pullback_lhs(&g, lhs, rhs, acc);
        g.recycle();
    }
    /// [`MulRule::pullback_rhs`] with the cotangent given by value.
    #[inline]
    fn pullback_rhs_reuse_g(g: Self::Output, lhs: &Self, rhs: &Rhs, acc: &mut Option<Rhs>) {
        Self::pullback_rhs(&g, lhs, rhs, acc);
        g.recycle();
    }
    /// The left pullback of one iteration of a loop, `l̄ += ∂(l·r)/∂l applied to ḡ`, either
    /// applied now or kept in `later` for [`MulRule::pullback_lhs_all`] after the loop. By
    /// default now (a scalar `l`: nothing to gain, and nothing kept).
    #[inline]
    fn pullback_lhs_later<'a>(
        later: &mut Vec<(Self::Output, Kept<'a, Rhs>)>,
        g: Self::Output,
        lhs: &Self,
        rhs: Kept<'a, Rhs>,
        acc: &mut Option<Self>,
    ) {
        let _ = later;
        Self::pullback_lhs(&g, lhs, rhs.get(), acc)
    }
    /// `l̄ += Σₜ ∂(l·rₜ)/∂l applied to ḡₜ`: the left pullbacks of one product over a loop's
    /// iterations, `(ḡₜ, rₜ)` in `pairs`, applied together.
    #[inline]
    fn pullback_lhs_all(
        pairs: &[(Self::Output, Kept<'_, Rhs>)],
        lhs: &Self,
        acc: &mut Option<Self>,
    ) {
        for (g, r) in pairs {
            Self::pullback_lhs(g, lhs, r.get(), acc)
        }
    }
}

/// `s̄ += ⟨G, M⟩` (the sum of the entry-wise product).
#[inline]
fn inner<T: Scalar, R: Dim, C: Dim>(g: &OMatrix<T, R, C>, m: &OMatrix<T, R, C>) -> T
where
    DefaultAllocator: Allocator<R, C>,
{
    g.dot(m)
}

impl<T: Scalar> MulRule<T> for T {
    type Output = T;
    #[inline]
    fn mul(&self, rhs: &T) -> T {
        *self * *rhs
    }
    #[inline]
    fn pullback_lhs(g: &T, _lhs: &T, rhs: &T, acc: &mut Option<T>) {
        accumulate_with(acc, || *g * *rhs, |a| *a += *g * *rhs)
    }
    #[inline]
    fn pullback_rhs(g: &T, lhs: &T, _rhs: &T, acc: &mut Option<T>) {
        accumulate_with(acc, || *g * *lhs, |a| *a += *g * *lhs)
    }
}

impl<T: Scalar, R: Dim, C: Dim> MulRule<OMatrix<T, R, C>> for T
where
    DefaultAllocator: Allocator<R, C>,
{
    type Output = OMatrix<T, R, C>;
    #[inline]
    fn mul(&self, rhs: &OMatrix<T, R, C>) -> OMatrix<T, R, C> {
        rhs * *self
    }
    /// `s̄ += ⟨Ḡ, M⟩`.
    #[inline]
    fn pullback_lhs(g: &Self::Output, _lhs: &T, rhs: &OMatrix<T, R, C>, acc: &mut Option<T>) {
        let c = inner(g, rhs);
        accumulate_with(acc, || c, |a| *a += c)
    }
    /// `M̄ += s·Ḡ`.
    #[inline]
    fn pullback_rhs(
        g: &Self::Output,
        lhs: &T,
        _rhs: &OMatrix<T, R, C>,
        acc: &mut Option<OMatrix<T, R, C>>,
    ) {
        accumulate_with(acc, || g * *lhs, |a| a.axpy(*lhs, g))
    }
    /// `M̄ += s·Ḡ`, scaling `Ḡ`'s buffer in place when the slot is empty.
    #[inline]
    fn pullback_rhs_reuse_g(
        mut g: Self::Output,
        lhs: &T,
        _rhs: &OMatrix<T, R, C>,
        acc: &mut Option<OMatrix<T, R, C>>,
    ) {
        match acc {
            None => {
                g *= *lhs;
                *acc = Some(g);
            }
            Some(a) => a.axpy(*lhs, &g),
        }
    }
}

impl<T: Scalar, R: Dim, C: Dim> MulRule<T> for OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    type Output = OMatrix<T, R, C>;
    #[inline]
    fn mul(&self, rhs: &T) -> OMatrix<T, R, C> {
        self * *rhs
    }
    /// `M̄ += s·Ḡ`.
    #[inline]
    fn pullback_lhs(g: &Self::Output, _lhs: &Self, rhs: &T, acc: &mut Option<Self>) {
        accumulate_with(acc, || g * *rhs, |a| a.axpy(*rhs, g))
    }
    /// `s̄ += ⟨Ḡ, M⟩`.
    #[inline]
    fn pullback_rhs(g: &Self::Output, lhs: &Self, _rhs: &T, acc: &mut Option<T>) {
        let c = inner(g, lhs);
        accumulate_with(acc, || c, |a| *a += c)
    }
    /// `M̄ += s·Ḡ`, scaling `Ḡ`'s buffer in place when the slot is empty.
    #[inline]
    fn pullback_lhs_reuse_g(mut g: Self::Output, _lhs: &Self, rhs: &T, acc: &mut Option<Self>) {
        match acc {
            None => {
                g *= *rhs;
                *acc = Some(g);
            }
            Some(a) => a.axpy(*rhs, &g),
        }
    }
}

impl<T: Scalar, R1: Dim, C1: Dim, C2: Dim> MulRule<OMatrix<T, C1, C2>> for OMatrix<T, R1, C1>
where
    DefaultAllocator: Allocator<R1, C1>
        + Allocator<C1, C2>
        + Allocator<R1, C2>
        + Allocator<C2, C1>
        + Allocator<R1, Dyn>
        + Allocator<C1, Dyn>,
{
    type Output = OMatrix<T, R1, C2>;
    #[inline]
    #[track_caller]
    fn mul(&self, rhs: &OMatrix<T, C1, C2>) -> OMatrix<T, R1, C2> {
        shape::multipliable(self.shape(), rhs.shape());
        let mut y = None;
        crate::transposed::acc_nn(&mut y, self, rhs);
        y.unwrap_or_else(|| {
            crate::workspace::zeros_generic(self.shape_generic().0, rhs.shape_generic().1)
        })
    }
    /// `Ā += Ḡ·Bᵀ` (Bᵀ a strided view: no transpose is materialised).
    #[inline]
    fn pullback_lhs(
        g: &Self::Output,
        _lhs: &Self,
        rhs: &OMatrix<T, C1, C2>,
        acc: &mut Option<Self>,
    ) {
        crate::transposed::acc_nt(acc, g, rhs)
    }
    /// `B̄ += Aᵀ·Ḡ` (blocked `gemm` with Aᵀ a strided view for large products).
    #[inline]
    fn pullback_rhs(
        g: &Self::Output,
        lhs: &Self,
        _rhs: &OMatrix<T, C1, C2>,
        acc: &mut Option<OMatrix<T, C1, C2>>,
    ) {
        crate::transposed::acc_tn(acc, lhs, g)
    }
    /// Kept for [`MulRule::pullback_lhs_all`]: the rank-one (or thin) updates of a loop
    /// become one product after it.
    #[inline]
    fn pullback_lhs_later<'a>(
        later: &mut Vec<(OMatrix<T, R1, C2>, Kept<'a, OMatrix<T, C1, C2>>)>,
        g: OMatrix<T, R1, C2>,
        _lhs: &Self,
        rhs: Kept<'a, OMatrix<T, C1, C2>>,
        _acc: &mut Option<Self>,
    ) {
        later.push((g, rhs))
    }
    /// `Ā += Σₜ Ḡₜ·Bₜᵀ = [Ḡ₁ … Ḡ_T]·[B₁ … B_T]ᵀ`: one product of the cotangents and operands
    /// set side by side, where the loop made T rank-one updates (`W·hₜ` in a recurrence).
    fn pullback_lhs_all(
        pairs: &[(OMatrix<T, R1, C2>, Kept<'_, OMatrix<T, C1, C2>>)],
        lhs: &Self,
        acc: &mut Option<Self>,
    ) {
        let Some((g0, r0)) = pairs.first() else {
            return;
        };
        let (gs, rs) = (g0.shape(), r0.get().shape());
        let same = pairs
            .iter()
            .all(|(g, r)| g.shape() == gs && r.get().shape() == rs);
        if pairs.len() == 1 || !same {
            for (g, r) in pairs {
                Self::pullback_lhs(g, lhs, r.get(), acc)
            }
            return;
        }
        let width = Dyn(gs.1 * pairs.len());
        let mut g: OMatrix<T, R1, Dyn> =
            crate::workspace::zeros_generic(g0.shape_generic().0, width);
        let mut r: OMatrix<T, C1, Dyn> =
            crate::workspace::zeros_generic(r0.get().shape_generic().0, width);
        let (gn, rn) = (g0.len(), r0.get().len());
        let columns = g.as_mut_slice().chunks_exact_mut(gn.max(1));
        for ((gt, rt), (g, r)) in columns
            .zip(r.as_mut_slice().chunks_exact_mut(rn.max(1)))
            .zip(pairs)
        {
            gt.copy_from_slice(g.as_slice());
            rt.copy_from_slice(r.get().as_slice());
        }
        crate::transposed::acc_nt(acc, &g, &r);
        crate::Differentiable::recycle(g);
        crate::Differentiable::recycle(r);
    }
}

/// `lhs * rhs`.
///
/// # Panics
/// If the left's column count differs from the right's row count.
///
/// # Example
/// ```
/// use nalgebra::{dmatrix, dvector};
/// let y = matgrad_runtime::mul(&dmatrix![1.0, 2.0; 3.0, 4.0], &dvector![1.0, 1.0]);
/// assert_eq!(y, dvector![3.0, 7.0]);
/// ```
#[inline]
#[track_caller]
pub fn mul<L: MulRule<R>, R>(lhs: &L, rhs: &R) -> L::Output {
    lhs.mul(rhs)
}

/// `l̄ += ḡ·rᵀ` (or its scalar forms) for `y = l·r`.
#[inline]
pub fn mul_pullback_lhs<L: MulRule<R>, R>(g: &L::Output, lhs: &L, rhs: &R, acc: &mut Option<L>) {
    L::pullback_lhs(g, lhs, rhs, acc)
}

/// `r̄ += lᵀ·ḡ` (or its scalar forms) for `y = l·r`.
#[inline]
pub fn mul_pullback_rhs<L: MulRule<R>, R>(g: &L::Output, lhs: &L, rhs: &R, acc: &mut Option<R>) {
    L::pullback_rhs(g, lhs, rhs, acc)
}

/// The left pullback of `y = l·r` in one iteration of a loop: for a matrix `l`, `(ḡ, r)` kept
/// in `later` for [`mul_pullback_lhs_all`] after the loop; for a scalar, applied now.
#[inline]
pub fn mul_pullback_lhs_later<'a, L: MulRule<R>, R>(
    later: &mut Vec<(L::Output, Kept<'a, R>)>,
    g: L::Output,
    lhs: &L,
    rhs: Kept<'a, R>,
    acc: &mut Option<L>,
) {
    L::pullback_lhs_later(later, g, lhs, rhs, acc)
}

/// `l̄ += Σₜ ḡₜ·rₜᵀ` for the products `yₜ = l·rₜ` of a loop's iterations, `(ḡₜ, rₜ)` in
/// `pairs`: for matrices, one matrix product instead of T rank-one updates.
#[inline]
pub fn mul_pullback_lhs_all<L: MulRule<R>, R>(
    pairs: &[(L::Output, Kept<'_, R>)],
    lhs: &L,
    acc: &mut Option<L>,
) {
    L::pullback_lhs_all(pairs, lhs, acc)
}

// ---------------------------------------------------------------- div

/// `x / s`: a scalar or a matrix divided by a scalar.
///
/// The pullbacks are `x̄ += ḡ / s` and `s̄ -= ⟨ḡ, x⟩ / s²`.
#[inline]
pub fn div<V: Dense>(x: &V, s: &V::Scalar) -> V {
    let inv = nalgebra::one::<V::Scalar>() / *s;
    x.map_entries(|_, v| v * inv)
}

/// `x̄ += ḡ / s` for `y = x / s`.
#[inline]
pub fn div_pullback_lhs<V: Dense>(g: &V, _x: &V, s: &V::Scalar, acc: &mut Option<V>) {
    let inv = nalgebra::one::<V::Scalar>() / *s;
    accumulate_with(acc, || g.scaled(inv), |a| a.axpy(inv, g))
}

/// `s̄ -= ⟨ḡ, x⟩ / s²` for `y = x / s`.
#[inline]
pub fn div_pullback_rhs<V: Dense>(g: &V, x: &V, s: &V::Scalar, acc: &mut Option<V::Scalar>) {
    let c = -dot(g, x) / (*s * *s);
    accumulate_with(acc, || c, |a| *a += c)
}

// ---------------------------------------------------------------- dot

/// `⟨x, y⟩ = Σᵢ xᵢ·yᵢ` for two matrices (or vectors) of one shape.
///
/// # Panics
/// If the shapes differ.
#[inline]
#[track_caller]
pub fn dot<V: Dense>(x: &V, y: &V) -> V::Scalar {
    shape::same("dot", x.shape(), y.shape());
    crate::summation::dot(x.entries(), y.entries())
}

/// `x̄ += ḡ·y` for `s = ⟨x, y⟩`.
#[inline]
pub fn dot_pullback_lhs<V: Dense>(g: &V::Scalar, _x: &V, y: &V, acc: &mut Option<V>) {
    accumulate_with(acc, || y.scaled(*g), |a| a.axpy(*g, y))
}

/// `ȳ += ḡ·x` for `s = ⟨x, y⟩`.
#[inline]
pub fn dot_pullback_rhs<V: Dense>(g: &V::Scalar, x: &V, _y: &V, acc: &mut Option<V>) {
    accumulate_with(acc, || x.scaled(*g), |a| a.axpy(*g, x))
}

// ---------------------------------------------------------------- component_mul

entrywise_binary! {
    /// `x ⊙ y`, the entry-wise (Hadamard) product.
    ///
    /// # Panics
    /// If the shapes differ.
    component_mul("component_mul") = |a, b| a * b,
        in component_mul_reuse_lhs, component_mul_reuse_rhs;
}

/// `x̄ += ḡ ⊙ y` for `z = x ⊙ y`.
#[inline]
pub fn component_mul_pullback_lhs<V: Dense>(g: &V, _x: &V, y: &V, acc: &mut Option<V>) {
    hadamard_acc(g, y, acc)
}

/// `ȳ += ḡ ⊙ x` for `z = x ⊙ y`.
#[inline]
pub fn component_mul_pullback_rhs<V: Dense>(g: &V, x: &V, _y: &V, acc: &mut Option<V>) {
    hadamard_acc(g, x, acc)
}

/// `acc += g ⊙ other`.
#[inline]
fn hadamard_acc<V: Dense>(g: &V, other: &V, acc: &mut Option<V>) {
    accumulate_with(
        acc,
        || component_mul(g, other),
        |a| {
            shape::same("component_mul", a.shape(), g.shape());
            for ((a, gi), o) in a
                .entries_mut()
                .iter_mut()
                .zip(g.entries())
                .zip(other.entries())
            {
                *a += *gi * *o;
            }
        },
    )
}

// ---------------------------------------------------------------- owned cotangents

/// [`mul_pullback_lhs`] with the cotangent given by value: for `M·s` its buffer becomes `M̄`.
#[inline]
pub fn mul_pullback_lhs_reuse_g<L: MulRule<R>, R>(
    g: L::Output,
    lhs: &L,
    rhs: &R,
    acc: &mut Option<L>,
) {
    L::pullback_lhs_reuse_g(g, lhs, rhs, acc)
}

/// [`mul_pullback_rhs`] with the cotangent given by value: for `s·M` its buffer becomes `M̄`.
#[inline]
pub fn mul_pullback_rhs_reuse_g<L: MulRule<R>, R>(
    g: L::Output,
    lhs: &L,
    rhs: &R,
    acc: &mut Option<R>,
) {
    L::pullback_rhs_reuse_g(g, lhs, rhs, acc)
}

/// [`div_pullback_lhs`] with the cotangent given by value.
#[inline]
pub fn div_pullback_lhs_reuse_g<V: Dense>(g: V, _x: &V, s: &V::Scalar, acc: &mut Option<V>) {
    let inv = nalgebra::one::<V::Scalar>() / *s;
    crate::componentwise::entrywise_reuse_g("/", g, acc, |_, gi| gi * inv)
}

/// [`component_mul_pullback_lhs`] with the cotangent given by value.
#[inline]
#[track_caller]
pub fn component_mul_pullback_lhs_reuse_g<V: Dense>(g: V, _x: &V, y: &V, acc: &mut Option<V>) {
    shape::same("component_mul", g.shape(), y.shape());
    let ys = y.entries();
    crate::componentwise::entrywise_reuse_g("component_mul", g, acc, |i, gi| gi * ys[i])
}

/// [`component_mul_pullback_rhs`] with the cotangent given by value.
#[inline]
#[track_caller]
pub fn component_mul_pullback_rhs_reuse_g<V: Dense>(g: V, x: &V, _y: &V, acc: &mut Option<V>) {
    shape::same("component_mul", g.shape(), x.shape());
    let xs = x.entries();
    crate::componentwise::entrywise_reuse_g("component_mul", g, acc, |i, gi| gi * xs[i])
}

// ---------------------------------------------------------------- owned left operands

/// [`div`] computed in `x`'s buffer.
#[inline]
pub fn div_reuse_lhs<V: Dense>(mut x: V, s: &V::Scalar) -> V {
    let inv = nalgebra::one::<V::Scalar>() / *s;
    for v in x.entries_mut() {
        *v *= inv;
    }
    x
}
