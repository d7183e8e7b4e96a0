//! Linear algebra: `.determinant()` and `.try_inverse().unwrap()`.
//!
//! `#[grad]` lowers `x.try_inverse().unwrap()` to [`inverse`], which panics with the
//! matrix's shape when it is singular, as the user's `unwrap` would.

use crate::shape;
use crate::value::{accumulate_with, Scalar};
use nalgebra::{allocator::Allocator, DefaultAllocator, Dim, DimMin, OMatrix};

/// `|X|`, the determinant (through an LU factorisation).
///
/// # Panics
/// If `X` is not square.
#[inline]
#[track_caller]
pub fn determinant<T: Scalar, D: DimMin<D, Output = D>>(x: &OMatrix<T, D, D>) -> T
where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    shape::square("determinant", x.shape());
    x.determinant()
}

/// `X̄ += ḡ·|X|·X⁻ᵀ` for `s = |X|` (Jacobi's formula).
///
/// At a singular `X` the inverse does not exist; the gradient is then the transposed
/// adjugate, computed from cofactors.
pub fn determinant_pullback<T: Scalar, D: DimMin<D, Output = D>>(
    g: &T,
    x: &OMatrix<T, D, D>,
    y: &T,
    acc: &mut Option<OMatrix<T, D, D>>,
) where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    let contribution = match x.clone().try_inverse() {
        Some(inv) if *y != T::zero() => inv.transpose() * (*g * *y),
        _ => cofactors(x) * *g,
    };
    accumulate_with(acc, || contribution.clone(), |a| *a += &contribution)
}

/// The cofactor matrix `Cᵢⱼ = (-1)^(i+j)·|X without row i and column j|`.
fn cofactors<T: Scalar, D: DimMin<D, Output = D>>(x: &OMatrix<T, D, D>) -> OMatrix<T, D, D>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    let n = x.nrows();
    let mut c = x.clone();
    if n == 1 {
        c[(0, 0)] = T::one();
        return c;
    }
    let dyn_x = nalgebra::DMatrix::from_fn(n, n, |i, j| x[(i, j)]);
    for i in 0..n {
        for j in 0..n {
            let minor = dyn_x.clone().remove_row(i).remove_column(j);
            let sign = if (i + j) % 2 == 0 {
                T::one()
            } else {
                -T::one()
            };
            c[(i, j)] = sign * minor.determinant();
        }
    }
    c
}

/// `X⁻¹`.
///
/// # Panics
/// If `X` is not square or is singular.
#[inline]
#[track_caller]
pub fn inverse<T: Scalar, D: Dim>(x: &OMatrix<T, D, D>) -> OMatrix<T, D, D>
where
    DefaultAllocator: Allocator<D, D>,
{
    shape::square("try_inverse", x.shape());
    match x.clone().try_inverse() {
        Some(inv) => inv,
        None => panic!(
            "autodiff: `try_inverse().unwrap()` on a singular {} matrix",
            shape::fmt(x.shape())
        ),
    }
}

/// `X̄ -= Yᵀ·Ḡ·Yᵀ` for `Y = X⁻¹`.
pub fn inverse_pullback<T: Scalar, D: Dim>(
    g: &OMatrix<T, D, D>,
    _x: &OMatrix<T, D, D>,
    y: &OMatrix<T, D, D>,
    acc: &mut Option<OMatrix<T, D, D>>,
) where
    DefaultAllocator: Allocator<D, D>,
{
    let yt = y.transpose();
    let ytg = &yt * g;
    accumulate_with(
        acc,
        || -(&ytg * &yt),
        |a| a.gemm(-T::one(), &ytg, &yt, T::one()),
    )
}
