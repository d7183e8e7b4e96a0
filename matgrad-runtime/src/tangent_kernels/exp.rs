//! [`exp_tangent`]: `ẋ·eˣ` of a float, the Fréchet derivative `L(A, Ȧ)` of the matrix
//! exponential of a square matrix (Higham's block formula), with its pullbacks.

use crate::value::{accumulate, accumulate_with, Dense, Float, Scalar};
#[allow(unused_imports)]
use crate::Differentiable as _;
use nalgebra::{allocator::Allocator, DMatrix, DefaultAllocator, Dim, DimMin, OMatrix};

/// The tangent of `eˣ` of a float or of a square matrix, with its two pullbacks.
pub trait ExponentialTangent: Sized {
    /// `ẋ·eˣ`, or `L(A, Ȧ)`.
    fn exp_tangent(&self, d: &Self) -> Self;
    /// `x̄ += ∂⟨ḡ, exp_tangent(x, d)⟩/∂x`.
    fn pullback_point(g: &Self, x: &Self, d: &Self, acc: &mut Option<Self>);
    /// `d̄ += ∂⟨ḡ, exp_tangent(x, d)⟩/∂d`.
    fn pullback_direction(g: &Self, x: &Self, d: &Self, acc: &mut Option<Self>);
}

impl<T: Float> ExponentialTangent for T {
    fn exp_tangent(&self, d: &T) -> T {
        *d * self.exp()
    }
    /// `x̄ += ḡ·ẋ·eˣ`.
    fn pullback_point(g: &T, x: &T, d: &T, acc: &mut Option<T>) {
        let c = *g * *d * x.exp();
        accumulate_with(acc, || c, |a| *a += c)
    }
    /// `ẋ̄ += ḡ·eˣ`.
    fn pullback_direction(g: &T, x: &T, _d: &T, acc: &mut Option<T>) {
        let c = *g * x.exp();
        accumulate_with(acc, || c, |a| *a += c)
    }
}

impl<T: Scalar, D: DimMin<D, Output = D>> ExponentialTangent for OMatrix<T, D, D>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    /// `L(A, E)`: the upper right block of `exp([[A, E], [0, A]])`.
    #[track_caller]
    fn exp_tangent(&self, d: &Self) -> Self {
        crate::shape::square("exp", self.shape());
        self.with_entries(frechet(&dynamic(self), &dynamic(d)).as_slice().to_vec())
    }
    /// `Ā += N₁₁ + N₂₂` with `N = L(Mᵀ, [[0, Ḡ], [0, 0]])`, `M = [[A, E], [0, A]]`: the
    /// tangent is the upper right block of `exp(M)`, whose pullback is `L(Mᵀ, ·)`.
    fn pullback_point(g: &Self, x: &Self, d: &Self, acc: &mut Option<Self>) {
        let n = x.nrows();
        let m = block(&dynamic(x), &dynamic(d));
        let mut gg = DMatrix::zeros(2 * n, 2 * n);
        gg.view_mut((0, n), (n, n)).copy_from(&dynamic(g));
        let big = frechet(&m.transpose(), &gg);
        let a = big.view((0, 0), (n, n)) + big.view((n, n), (n, n));
        accumulate(acc, x.with_entries(a.as_slice().to_vec()))
    }
    /// `Ē += L(Aᵀ, Ḡ)`: the Fréchet derivative is linear in its direction, its adjoint is
    /// the derivative at `Aᵀ`.
    fn pullback_direction(g: &Self, x: &Self, _d: &Self, acc: &mut Option<Self>) {
        let e = frechet(&dynamic(x).transpose(), &dynamic(g));
        accumulate(acc, x.with_entries(e.as_slice().to_vec()))
    }
}

/// A matrix as a dynamic one.
fn dynamic<T: Scalar, R: Dim, C: Dim>(x: &OMatrix<T, R, C>) -> DMatrix<T>
where
    DefaultAllocator: Allocator<R, C>,
{
    DMatrix::from_column_slice(x.nrows(), x.ncols(), x.as_slice())
}

/// `[[A, E], [0, A]]`.
fn block<T: Scalar>(a: &DMatrix<T>, e: &DMatrix<T>) -> DMatrix<T> {
    let n = a.nrows();
    let mut m = DMatrix::zeros(2 * n, 2 * n);
    m.view_mut((0, 0), (n, n)).copy_from(a);
    m.view_mut((n, n), (n, n)).copy_from(a);
    m.view_mut((0, n), (n, n)).copy_from(e);
    m
}

/// `L(A, E)`, the Fréchet derivative of the exponential at `A` in the direction `E`: the upper
/// right block of `exp([[A, E], [0, A]])` (Higham, "Functions of Matrices", eq. 10.15).
fn frechet<T: Scalar>(a: &DMatrix<T>, e: &DMatrix<T>) -> DMatrix<T> {
    let n = a.nrows();
    block(a, e).exp().view((0, n), (n, n)).into_owned()
}

/// `ẋ·eˣ` of a float; `L(A, Ȧ)` of a square matrix, the derivative of its exponential.
///
/// # Panics
/// If the matrix is not square.
#[track_caller]
pub fn exp_tangent<X: ExponentialTangent>(x: &X, d: &X) -> X {
    x.exp_tangent(d)
}

/// `x̄ += ḡ·ẋ·eˣ`; of a matrix, `Ā += N₁₁ + N₂₂`, `N = L(Mᵀ, [[0, Ḡ], [0, 0]])`,
/// `M = [[A, Ȧ], [0, A]]`.
pub fn exp_tangent_pullback_lhs<X: ExponentialTangent>(g: &X, x: &X, d: &X, acc: &mut Option<X>) {
    X::pullback_point(g, x, d, acc)
}

/// `ẋ̄ += ḡ·eˣ`; of a matrix, `Ǡ += L(Aᵀ, Ḡ)`.
pub fn exp_tangent_pullback_rhs<X: ExponentialTangent>(g: &X, x: &X, d: &X, acc: &mut Option<X>) {
    X::pullback_direction(g, x, d, acc)
}
