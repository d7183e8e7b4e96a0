//! Linear algebra: `.determinant()` and `.try_inverse().unwrap()` of a square matrix or of a
//! factorisation (`lu.determinant()`, `c.inverse()`: [`Square`]).
//!
//! `#[grad]` lowers `x.try_inverse().unwrap()` to [`inverse`], which panics with the
//! matrix's shape when it is singular, as the user's `unwrap` would.

use crate::shape;
use crate::value::{accumulate, Dense, Scalar};
#[allow(unused_imports)]
use crate::Differentiable as _;
use nalgebra::{allocator::Allocator, DefaultAllocator, Dim, DimMin, OMatrix};

/// A square matrix, or a factorisation differentiated as the matrix it factorises: what
/// `.determinant()` and `.try_inverse().unwrap()` (`.inverse()` of a Cholesky factorisation)
/// apply to.
pub trait Square<T: Scalar, D: Dim>: Dense<Scalar = T>
where
    DefaultAllocator: Allocator<D, D>,
{
    /// `(rows, columns)` of the matrix.
    fn square_shape(&self) -> (usize, usize);
    /// `|A|`.
    fn square_determinant(&self) -> T;
    /// `∂|A|/∂A`.
    fn determinant_gradient(&self) -> OMatrix<T, D, D>;
    /// `A⁻¹`, `None` if `A` is singular.
    fn square_inverse(&self) -> Option<OMatrix<T, D, D>>;
    /// `acc += m` for the cotangent `m` of the matrix.
    fn accumulate_square(acc: &mut Option<Self>, m: OMatrix<T, D, D>);
}

impl<T: Scalar, D: DimMin<D, Output = D>> Square<T, D> for OMatrix<T, D, D>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    fn square_shape(&self) -> (usize, usize) {
        self.shape()
    }
    fn square_determinant(&self) -> T {
        self.determinant()
    }
    /// `adj(A)ᵀ`, accurate at and near singular matrices (see [`determinant_pullback`]).
    fn determinant_gradient(&self) -> OMatrix<T, D, D> {
        adjugate(self).transpose()
    }
    fn square_inverse(&self) -> Option<OMatrix<T, D, D>> {
        self.clone().try_inverse()
    }
    fn accumulate_square(acc: &mut Option<Self>, m: OMatrix<T, D, D>) {
        accumulate(acc, m)
    }
}

/// `|X|`, the determinant (through an LU factorisation for a matrix).
///
/// # Panics
/// If `X` is not square.
#[inline]
#[track_caller]
pub fn determinant<T: Scalar, D: Dim, X: Square<T, D>>(x: &X) -> T
where
    DefaultAllocator: Allocator<D, D>,
{
    shape::square("determinant", x.square_shape());
    x.square_determinant()
}

/// `X̄ += ḡ·adj(X)ᵀ` for `s = |X|` (Jacobi's formula; `adj(X)ᵀ = |X|·X⁻ᵀ` when `X` is invertible).
///
/// The transposed adjugate is the matrix of cofactors, defined for every `X`: nonzero at
/// rank n − 1, zero below. `|X|·X⁻ᵀ` would compute it as 0·∞ near a singular `X` (a tiny
/// determinant times a huge, inaccurate inverse), so for a matrix or an LU factorisation it
/// comes instead from a fully pivoted LU factorisation `P·X·Q = L·U`:
/// `adj(X) = |P|·|Q|·Q·adj(U)·L⁻¹·P`, where the adjugate of the triangular `U` is built
/// without dividing by its last pivot. Full pivoting leaves the pivot that vanishes with `|X|`
/// in last place (exactly so at an exactly singular `X`, and in practice near one) and bounds
/// each entry of `U` by its row's pivot, so the gradient stays accurate at, near and far from
/// singular matrices, for the price of one factorisation. A Cholesky factorisation's matrix is
/// positive definite: `|X|·X⁻¹` from its factor.
pub fn determinant_pullback<T: Scalar, D: Dim, X: Square<T, D>>(
    g: &T,
    x: &X,
    _y: &T,
    acc: &mut Option<X>,
) where
    DefaultAllocator: Allocator<D, D>,
{
    let mut adj_t = x.determinant_gradient();
    adj_t *= *g;
    X::accumulate_square(acc, adj_t)
}

/// `adj(X)`, the matrix with `adj(X)·X = |X|·I`, from `P·X·Q = L·U` (see
/// [`determinant_pullback`]).
pub(crate) fn adjugate<T: Scalar, D: DimMin<D, Output = D>>(
    x: &OMatrix<T, D, D>,
) -> OMatrix<T, D, D>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    let n = x.nrows();
    let lu = x.clone().full_piv_lu();
    let u = lu.u();
    let mut adj = u.clone();
    adj.fill(T::zero());
    // Full pivoting stops at the first zero pivot, leaving the rest of U zero: two zero
    // pivots mean rank n − 2 or less, where every cofactor vanishes.
    if (0..n).filter(|&i| u[(i, i)] == T::zero()).count() >= 2 {
        return adj;
    }
    // Column j of adj(U) = |U|·U⁻¹ solves U·z = |U|·eⱼ: zⱼ = Πᵢ≠ⱼ uᵢᵢ, then back
    // substitution, which divides only by the pivots before j (never zero here).
    for j in 0..n {
        adj[(j, j)] = (0..n)
            .filter(|&i| i != j)
            .fold(T::one(), |p, i| p * u[(i, i)]);
        for k in (0..j).rev() {
            let s = (k + 1..=j).fold(T::zero(), |s, m| s + u[(k, m)] * adj[(m, j)]);
            adj[(k, j)] = -s / u[(k, k)];
        }
    }
    // adj(L) = L⁻¹ (L has a unit diagonal): adj(U)·L⁻¹ from Lᵀ·(adj(U)·L⁻¹)ᵀ = adj(U)ᵀ.
    let mut adj = lu
        .l()
        .tr_solve_lower_triangular(&adj.transpose())
        .expect("L has a unit diagonal")
        .transpose();
    lu.q().inv_permute_rows(&mut adj);
    lu.p().inv_permute_columns(&mut adj);
    adj * (lu.p().determinant::<T>() * lu.q().determinant::<T>())
}

/// `X⁻¹`: `x.try_inverse().unwrap()`, `c.inverse()`.
///
/// # Panics
/// If `X` is not square or is singular.
#[inline]
#[track_caller]
pub fn inverse<T: Scalar, D: Dim, X: Square<T, D>>(x: &X) -> OMatrix<T, D, D>
where
    DefaultAllocator: Allocator<D, D>,
{
    match inverse_checked(x) {
        Some(inv) => inv,
        None => panic!(
            "matgrad: `try_inverse().unwrap()` on a singular {} matrix",
            shape::fmt(x.square_shape())
        ),
    }
}

/// `X⁻¹`, or `None` where `X` is singular: the `Option` of `x.try_inverse()`, for the user's
/// `.expect(msg)`.
///
/// # Panics
/// If `X` is not square.
#[inline]
#[track_caller]
pub fn inverse_checked<T: Scalar, D: Dim, X: Square<T, D>>(x: &X) -> Option<OMatrix<T, D, D>>
where
    DefaultAllocator: Allocator<D, D>,
{
    shape::square("try_inverse", x.square_shape());
    x.square_inverse()
}

/// `X̄ -= Yᵀ·Ḡ·Yᵀ` for `Y = X⁻¹` (symmetrised for a Cholesky factorisation).
pub fn inverse_pullback<T: Scalar, D: Dim, X: Square<T, D>>(
    g: &OMatrix<T, D, D>,
    _x: &X,
    y: &OMatrix<T, D, D>,
    acc: &mut Option<X>,
) where
    DefaultAllocator: Allocator<D, D>,
{
    let yt = y.transpose();
    let ytg = &yt * g;
    X::accumulate_square(acc, -(&ytg * &yt))
}
