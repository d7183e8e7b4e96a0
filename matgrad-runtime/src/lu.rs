//! The LU factorisation with partial pivoting, `m.lu()`: its solves (`lu.solve(&b).unwrap()`,
//! with `A` and, for the pullbacks, with `Aᵀ`), `|A|` and `A⁻¹` for the shared kernels of
//! `factorisations` and `linalg`; its factors `lu.l()` (through [`LowerFactor`]) and `lu.u()`.
//!
//! The readings of `L` and `U` pull back together through
//! `Ā = Pᵀ·L⁻ᵀ·(tril₋₁(Lᵀ·L̄) + triu(Ū·Uᵀ))·U⁻ᵀ` (JAX's `lu` JVP rule, transposed), which is
//! linear in `(L̄, Ū)`, so each reading adds its own part. The permutation `P` is locally
//! constant: `lu.p()` is a constant to `#[grad]`.

use crate::factorisations::{pass_matrix, Factored, Factorisation, Factors};
use crate::linalg::adjugate;
use crate::lower_factor::LowerFactor;
use crate::shape;
use crate::value::Scalar;
#[allow(unused_imports)]
use crate::Differentiable as _;
use nalgebra::{allocator::Allocator, DefaultAllocator, Dim, DimMin, OMatrix, LU};

/// An LU factorisation as `#[grad]` holds it (see [`Factored`]).
pub type Pivoted<T, D> = Factored<T, D, D, LU<T, D, D>>;

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
        // U and the unit lower-triangular L are packed in one matrix: read in place, by the
        // slice kernels (contiguous columns, no per-step view or bounds check).
        let (lu, n) = (self.lu_internal().as_slice(), self.lu_internal().nrows());
        let mut y = b.clone();
        if !crate::dense::triangular_solve(lu, n, false, true, false, y.as_mut_slice()) {
            return None;
        }
        crate::dense::triangular_solve(lu, n, true, true, true, y.as_mut_slice());
        self.p().inv_permute_rows(&mut y);
        Some(y)
    }
    fn determinant(&self) -> T {
        LU::determinant(self)
    }
    fn inverse(&self) -> Option<OMatrix<T, D, D>> {
        LU::try_inverse(self)
    }
    /// `adj(A)ᵀ`, accurate at and near singular matrices (see [`determinant_pullback`](crate::linalg::determinant_pullback)).
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

impl<T: Scalar, D: DimMin<D, Output = D>> LowerFactor<T, D> for LU<T, D, D>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    /// `L`, unit lower triangular, of `P·A = L·U`.
    fn lower(f: &Factored<T, D, D, Self>) -> OMatrix<T, D, D> {
        f.factors().l()
    }
    /// `Ā += Pᵀ·L⁻ᵀ·tril₋₁(Lᵀ·L̄)·U⁻ᵀ`.
    fn lower_pullback(
        g: &OMatrix<T, D, D>,
        f: &Factored<T, D, D, Self>,
        _l: &OMatrix<T, D, D>,
        acc: &mut Option<Factored<T, D, D, Self>>,
    ) {
        Factored::accumulate(acc, factors_pullback(f, Some(g), None))
    }
}

/// `U`, upper triangular, of `P·A = L·U`: `lu.u()`.
pub fn lu_u<T: Scalar, D: DimMin<D, Output = D>>(f: &Pivoted<T, D>) -> OMatrix<T, D, D>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    f.factors().u()
}

/// `Ā += Pᵀ·L⁻ᵀ·triu(Ū·Uᵀ)·U⁻ᵀ` for `U` of `P·A = L·U`.
///
/// # Panics
/// If `U` is singular (the factors are not differentiable there).
#[track_caller]
pub fn lu_u_pullback<T: Scalar, D: DimMin<D, Output = D>>(
    g: &OMatrix<T, D, D>,
    f: &Pivoted<T, D>,
    _u: &OMatrix<T, D, D>,
    acc: &mut Option<Pivoted<T, D>>,
) where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    Factored::accumulate(acc, factors_pullback(f, None, Some(g)))
}

/// `Pᵀ·L⁻ᵀ·(tril₋₁(Lᵀ·L̄) + triu(Ū·Uᵀ))·U⁻ᵀ`, the cotangent of `A` for the cotangents `L̄`
/// and `Ū` (either absent) of the factors of `P·A = L·U` (the transpose of the tangent map
/// `L̇ = L·tril₋₁(F)`, `U̇ = triu(F)·U`, `F = L⁻¹·P·Ȧ·U⁻¹`, as JAX's `lu` JVP).
///
/// # Panics
/// If `U` is singular.
#[track_caller]
fn factors_pullback<T: Scalar, D: DimMin<D, Output = D>>(
    f: &Pivoted<T, D>,
    lbar: Option<&OMatrix<T, D, D>>,
    ubar: Option<&OMatrix<T, D, D>>,
) -> OMatrix<T, D, D>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    let (l, u) = (f.factors().l(), f.factors().u());
    let mut m = u.zeros_like();
    if let Some(lbar) = lbar {
        m = l.tr_mul(lbar);
        m.fill_upper_triangle(T::zero(), 0);
    }
    if let Some(ubar) = ubar {
        let mut v = ubar * u.transpose();
        v.fill_lower_triangle(T::zero(), 1);
        m += v;
    }
    // L⁻ᵀ·M, then (L⁻ᵀ·M)·U⁻ᵀ = (U⁻¹·(L⁻ᵀ·M)ᵀ)ᵀ.
    let x = l
        .tr_solve_lower_triangular(&m)
        .expect("matgrad: L of an LU factorisation has a unit diagonal");
    let mut y = u
        .solve_upper_triangular(&x.transpose())
        .unwrap_or_else(|| {
            panic!(
                "matgrad: the derivative of `lu()`'s `.l()` or `.u()` at a singular {} matrix: U has a zero on its diagonal",
                shape::fmt(f.matrix().shape())
            )
        })
        .transpose();
    f.factors().p().inv_permute_rows(&mut y);
    y
}
