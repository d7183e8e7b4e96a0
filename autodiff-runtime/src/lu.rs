//! The LU factorisation with partial pivoting, `m.lu()`: its solves (`lu.solve(&b).unwrap()`,
//! with `A` and, for the pullbacks, with `Aᵀ`), `|A|` and `A⁻¹` for the shared kernels of
//! `factorisations` and `linalg`.

use crate::factorisations::{pass_matrix, Factored, Factorisation, Factors};
use crate::linalg::adjugate;
use crate::shape;
use crate::value::Scalar;
use nalgebra::{allocator::Allocator, DefaultAllocator, Dim, DimMin, OMatrix, LU};

impl<T: Scalar, D: DimMin<D, Output = D>> Factorisation<T, D, D> for LU<T, D, D>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    const SYMMETRIC: bool = false;
}

impl<T: Scalar, D: DimMin<D, Output = D>> Factors<T, D> for LU<T, D, D>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    fn solve<C: Dim>(&self, b: &OMatrix<T, D, C>) -> Option<OMatrix<T, D, C>>
    where
        DefaultAllocator: Allocator<D, C>,
    {
        LU::solve(self, b)
    }
    /// `P·A = L·U`, so `Aᵀ = Uᵀ·Lᵀ·P` and `Aᵀ·y = b` is `y = P⁻¹·L⁻ᵀ·U⁻ᵀ·b`.
    fn solve_transposed<C: Dim>(&self, b: &OMatrix<T, D, C>) -> Option<OMatrix<T, D, C>>
    where
        DefaultAllocator: Allocator<D, C>,
    {
        // U and the unit lower-triangular L are packed in one matrix: read in place.
        let lu = self.lu_internal();
        let mut y = lu.tr_solve_upper_triangular(b)?;
        let n = lu.nrows();
        for c in 0..y.ncols() {
            for i in (0..n).rev() {
                let s = (i + 1..n).fold(y[(i, c)], |s, k| s - lu[(k, i)] * y[(k, c)]);
                y[(i, c)] = s;
            }
        }
        self.p().inv_permute_rows(&mut y);
        Some(y)
    }
    fn determinant(&self) -> T {
        LU::determinant(self)
    }
    fn inverse(&self) -> Option<OMatrix<T, D, D>> {
        LU::try_inverse(self)
    }
    /// `adj(A)ᵀ`, accurate at and near singular matrices (see [`determinant_pullback`]).
    fn determinant_gradient(&self, a: &OMatrix<T, D, D>) -> OMatrix<T, D, D> {
        adjugate(a).transpose()
    }
}

/// `P·A = L·U`, the LU factorisation with partial pivoting.
///
/// # Panics
/// If `A` is not square.
#[track_caller]
pub fn lu<T: Scalar, D: DimMin<D, Output = D>>(
    a: &OMatrix<T, D, D>,
) -> Factored<T, D, D, LU<T, D, D>>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    shape::square("lu", a.shape());
    Factored::new(a.clone(), LU::new(a.clone()))
}

/// `Ā += F̄` for `F = lu(A)`: the factorisation's cotangent is its matrix's.
pub fn lu_pullback<T: Scalar, D: DimMin<D, Output = D>>(
    g: &Factored<T, D, D, LU<T, D, D>>,
    _a: &OMatrix<T, D, D>,
    _y: &Factored<T, D, D, LU<T, D, D>>,
    acc: &mut Option<OMatrix<T, D, D>>,
) where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    pass_matrix(g, acc)
}
