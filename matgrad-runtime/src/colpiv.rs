//! The QR factorisation with column pivoting `A·P = Q·R`, `m.col_piv_qr()`: read by `.q()`
//! and `.r()` (the kernels of `qr`, through [`Orthogonal`]) and, for a square `A`,
//! `.solve(&b).unwrap()`, `.determinant()` and `.try_inverse().unwrap()` (the shared kernels
//! of `factorisations` and `linalg`, through [`Factors`]).
//!
//! The permutation `P` is piecewise constant in `A` (a choice of pivots), so where it does not
//! change the readings are those of `qr(B)` with `B = A·P`, and `Ā = B̄·Pᵀ`; `cpqr.p()` is a
//! constant to `#[grad]`.

use crate::factorisations::{pass_matrix, Factored, Factorisation, Factors};
use crate::linalg::adjugate;
use crate::qr::Orthogonal;
use crate::value::Scalar;
use nalgebra::{
    allocator::Allocator, ColPivQR, DMatrix, DefaultAllocator, Dim, DimMin, DimMinimum, OMatrix,
};

impl<T: Scalar, R: DimMin<C>, C: Dim> Factorisation<T, R, C> for ColPivQR<T, R, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R> + Allocator<DimMinimum<R, C>>,
{
    const SYMMETRIC: bool = false;
}

impl<T: Scalar, R: DimMin<C>, C: Dim> Orthogonal<T, R, C> for ColPivQR<T, R, C>
where
    DefaultAllocator: Allocator<R, C>
        + Allocator<R>
        + Allocator<DimMinimum<R, C>>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>, C>,
{
    fn factor_q(&self) -> OMatrix<T, R, DimMinimum<R, C>> {
        self.q()
    }
    fn factor_r(&self) -> OMatrix<T, DimMinimum<R, C>, C> {
        self.r()
    }
    /// `B̄·Pᵀ`: nalgebra's `P` swaps columns in sequence (`A·P` is `p.permute_columns(A)`), so
    /// `Pᵀ` undoes the swaps in reverse.
    fn unpermute_columns(&self, b: &mut DMatrix<T>) {
        self.p().inv_permute_columns(b);
    }
}

impl<T: Scalar, D: DimMin<D, Output = D>> Factors<T, D> for ColPivQR<T, D, D>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    fn solve<C: Dim>(&self, b: &OMatrix<T, D, C>) -> Option<OMatrix<T, D, C>>
    where
        DefaultAllocator: Allocator<D, C>,
    {
        ColPivQR::solve(self, b)
    }
    /// `Aᵀ·y = b` with `A = Q·R·Pᵀ`: `y = Q·R⁻ᵀ·Pᵀ·b` (`Pᵀ·b` is `p.permute_rows(b)`).
    fn solve_transposed<C: Dim>(&self, b: &OMatrix<T, D, C>) -> Option<OMatrix<T, D, C>>
    where
        DefaultAllocator: Allocator<D, C>,
    {
        let mut pb = b.clone();
        self.p().permute_rows(&mut pb);
        let z = self.r().tr_solve_upper_triangular(&pb)?;
        Some(self.q() * z)
    }
    /// nalgebra's `ColPivQR::determinant`, `Πᵢ dᵢ·|P|` with `dᵢ` the signed diagonal of its
    /// Householder form: `s·|A|` with a sign `s` (see [`determinant_gradient`](Self::determinant_gradient)).
    fn determinant(&self) -> T {
        ColPivQR::determinant(self)
    }
    fn inverse(&self) -> Option<OMatrix<T, D, D>> {
        ColPivQR::try_inverse(self)
    }
    /// `s·adj(A)ᵀ`: nalgebra's determinant is `s·|A|` with `s = ±1` fixed by the factors (it
    /// leaves out the sign of the reflections), `|A| = |Q|·Πᵢ Rᵢᵢ·|P|`.
    ///
    /// # Panics
    /// If `A` is exactly singular (a zero pivot): `s` is not defined there.
    #[track_caller]
    fn determinant_gradient(&self, a: &OMatrix<T, D, D>) -> OMatrix<T, D, D> {
        let r = self.r();
        let det = (0..r.nrows()).fold(self.q().determinant(), |d, i| d * r[(i, i)]);
        let theirs = ColPivQR::determinant(self);
        if theirs == T::zero() || det == T::zero() {
            panic!(
                "matgrad: the derivative of `col_piv_qr().determinant()` at an exactly singular {} matrix",
                crate::shape::fmt(a.shape())
            );
        }
        let s = if (theirs > T::zero()) == (det * self.p().determinant::<T>() > T::zero()) {
            T::one()
        } else {
            -T::one()
        };
        adjugate(a).transpose() * s
    }
}

/// `A·P = Q·R`, the QR factorisation with column pivoting: `a.col_piv_qr()`.
pub fn col_piv_qr<T: Scalar, R: DimMin<C>, C: Dim>(
    a: &OMatrix<T, R, C>,
) -> Factored<T, R, C, ColPivQR<T, R, C>>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R> + Allocator<DimMinimum<R, C>>,
{
    Factored::new(a.clone(), ColPivQR::new(a.clone()))
}

/// `Ā += F̄`: the factorisation's cotangent is its matrix's.
pub fn col_piv_qr_pullback<T: Scalar, R: DimMin<C>, C: Dim>(
    g: &Factored<T, R, C, ColPivQR<T, R, C>>,
    _a: &OMatrix<T, R, C>,
    _y: &Factored<T, R, C, ColPivQR<T, R, C>>,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C> + Allocator<R> + Allocator<DimMinimum<R, C>>,
{
    pass_matrix(g, acc)
}
