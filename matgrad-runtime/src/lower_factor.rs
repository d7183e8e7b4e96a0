//! `.l()`, the lower-triangular factor of a `cholesky()` (`A = L·Lᵀ`) or of an `lu()`
//! (`P·A = L·U`): one reading of the registry, whose kernels dispatch on the factorisation
//! through [`LowerFactor`].

use crate::cholesky::{cholesky_l, cholesky_l_pullback};
use crate::factorisations::{Factored, Factorisation};
use crate::value::Scalar;
use nalgebra::{allocator::Allocator, Cholesky, DefaultAllocator, Dim, OMatrix};

/// A factorisation with a lower-triangular factor `L`, and the pullback of reading it.
pub trait LowerFactor<T: Scalar, D: Dim>: Factorisation<T, D, D>
where
    DefaultAllocator: Allocator<D, D>,
{
    /// `L` of the factorisation `f`.
    fn lower(f: &Factored<T, D, D, Self>) -> OMatrix<T, D, D>;
    /// `Ā += ∂⟨L̄, L⟩/∂A` for the cotangent `g` of `l = L`.
    fn lower_pullback(
        g: &OMatrix<T, D, D>,
        f: &Factored<T, D, D, Self>,
        l: &OMatrix<T, D, D>,
        acc: &mut Option<Factored<T, D, D, Self>>,
    );
}

impl<T: Scalar, D: Dim> LowerFactor<T, D> for Cholesky<T, D>
where
    DefaultAllocator: Allocator<D, D>,
{
    fn lower(f: &Factored<T, D, D, Self>) -> OMatrix<T, D, D> {
        cholesky_l(f)
    }
    fn lower_pullback(
        g: &OMatrix<T, D, D>,
        f: &Factored<T, D, D, Self>,
        l: &OMatrix<T, D, D>,
        acc: &mut Option<Factored<T, D, D, Self>>,
    ) {
        cholesky_l_pullback(g, f, l, acc)
    }
}

/// `L` of a `cholesky()` or of an `lu()` (unit diagonal): `f.l()`.
pub fn lower_factor<T: Scalar, D: Dim, F: LowerFactor<T, D>>(
    f: &Factored<T, D, D, F>,
) -> OMatrix<T, D, D>
where
    DefaultAllocator: Allocator<D, D>,
{
    F::lower(f)
}

/// `Ā += L⁻ᵀ·½(Φ + Φᵀ)·L⁻¹`, `Φ` the lower triangle of `Lᵀ·L̄` with its diagonal halved, for a
/// `cholesky()`; `Ā += Pᵀ·L⁻ᵀ·tril₋₁(Lᵀ·L̄)·U⁻ᵀ` for an `lu()` (see [`crate::lu_u_pullback`]).
pub fn lower_factor_pullback<T: Scalar, D: Dim, F: LowerFactor<T, D>>(
    g: &OMatrix<T, D, D>,
    f: &Factored<T, D, D, F>,
    l: &OMatrix<T, D, D>,
    acc: &mut Option<Factored<T, D, D, F>>,
) where
    DefaultAllocator: Allocator<D, D>,
{
    F::lower_pullback(g, f, l, acc)
}
