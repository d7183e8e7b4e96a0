//! The QR factorisation `A = Q·R` (Householder, thin: `Q` is `m×k`, `R` is `k×n`,
//! `k = min(m, n)`): `a.qr()` read by `.q()`, `.r()` and, for a square `A`,
//! `.solve(&b).unwrap()` and `.try_inverse().unwrap()`.
//!
//! For `m ≥ n` the readings of `Q` and `R` pull back together through
//! `Ā = (Q̄ + Q·copyltu(M))·R⁻ᵀ` with `M = R·R̄ᵀ − Q̄ᵀ·Q` and `copyltu(M)` the symmetric
//! matrix with `M`'s lower triangle (Walter & Lehmann 2018, "Algorithmic differentiation of
//! linear algebra functions with application in optimum experimental design", eq. 3.9; PyTorch's
//! `linalg_qr_backward`), which is linear in `(Q̄, R̄)`, so each reading adds its own part. A
//! wide `A` (`m < n`) or a singular `R` panics in the pullback, naming it, rather than return a
//! wrong gradient.

use crate::factorisations::{Factored, Factorisation, Factors};
use crate::linalg::adjugate;
use crate::shape;
use crate::value::{Differentiable, Scalar};
use nalgebra::{
    allocator::Allocator, DMatrix, DefaultAllocator, Dim, DimMin, DimMinimum, OMatrix, QR,
};

/// The factorisation of a matrix as `#[grad]` holds it (see [`Factored`]).
pub type Orthogonalised<T, R, C> = Factored<T, R, C, QR<T, R, C>>;

impl<T: Scalar, R: DimMin<C>, C: Dim> Factorisation<T, R, C> for QR<T, R, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R> + Allocator<DimMinimum<R, C>>,
{
    const SYMMETRIC: bool = false;
}

impl<T: Scalar, D: DimMin<D, Output = D>> Factors<T, D> for QR<T, D, D>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    fn solve<C: Dim>(&self, b: &OMatrix<T, D, C>) -> Option<OMatrix<T, D, C>>
    where
        DefaultAllocator: Allocator<D, C>,
    {
        QR::solve(self, b)
    }
    /// `Aᵀ·y = b` with `A = Q·R`: `y = Q·R⁻ᵀ·b`.
    fn solve_transposed<C: Dim>(&self, b: &OMatrix<T, D, C>) -> Option<OMatrix<T, D, C>>
    where
        DefaultAllocator: Allocator<D, C>,
    {
        let z = self.r().tr_solve_upper_triangular(b)?;
        Some(self.q() * z)
    }
    fn determinant(&self) -> T {
        let r = self.r();
        (0..r.nrows()).fold(self.q().determinant(), |d, i| d * r[(i, i)])
    }
    fn inverse(&self) -> Option<OMatrix<T, D, D>> {
        QR::try_inverse(self)
    }
    fn determinant_gradient(&self, a: &OMatrix<T, D, D>) -> OMatrix<T, D, D> {
        adjugate(a).transpose()
    }
}

/// `A = Q·R`: `a.qr()`.
pub fn qr<T: Scalar, R: DimMin<C>, C: Dim>(a: &OMatrix<T, R, C>) -> Orthogonalised<T, R, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R> + Allocator<DimMinimum<R, C>>,
{
    Factored::new(a.clone(), QR::new(a.clone()))
}

/// `Ā += F̄`: the factorisation's cotangent is its matrix's.
pub fn qr_pullback<T: Scalar, R: DimMin<C>, C: Dim>(
    g: &Orthogonalised<T, R, C>,
    _a: &OMatrix<T, R, C>,
    _y: &Orthogonalised<T, R, C>,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C> + Allocator<R> + Allocator<DimMinimum<R, C>>,
{
    crate::factorisations::pass_matrix(g, acc)
}

/// `Q`, `m×k` with orthonormal columns: `f.q()`.
pub fn qr_q<T: Scalar, R: DimMin<C>, C: Dim>(
    f: &Orthogonalised<T, R, C>,
) -> OMatrix<T, R, DimMinimum<R, C>>
where
    DefaultAllocator: Allocator<R, C>
        + Allocator<R>
        + Allocator<DimMinimum<R, C>>
        + Allocator<R, DimMinimum<R, C>>,
{
    f.factors().q()
}

/// `R`, `k×n` upper triangular: `f.r()`.
pub fn qr_r<T: Scalar, R: DimMin<C>, C: Dim>(
    f: &Orthogonalised<T, R, C>,
) -> OMatrix<T, DimMinimum<R, C>, C>
where
    DefaultAllocator: Allocator<R, C>
        + Allocator<R>
        + Allocator<DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>, C>,
{
    f.factors().r()
}

/// `Ā += (Q̄ + Q·copyltu(M))·R⁻ᵀ`, `M = R·R̄ᵀ − Q̄ᵀ·Q`, for the cotangents `q̄` of `Q` and `r̄`
/// of `R` (either zero), as dynamic matrices.
///
/// # Panics
/// If `A` is wide (`m < n`) or `R` is singular.
#[track_caller]
fn pullback<T: Scalar>(
    q: &DMatrix<T>,
    r: &DMatrix<T>,
    qbar: &DMatrix<T>,
    rbar: &DMatrix<T>,
) -> DMatrix<T> {
    let (m, n) = (q.nrows(), r.ncols());
    if m < n {
        panic!(
            "autodiff: the derivative of `qr()` of a wide {} matrix is not implemented; factorise its transpose",
            shape::fmt((m, n))
        );
    }
    let mut mm = r * rbar.transpose() - qbar.tr_mul(q);
    for j in 0..n {
        for i in 0..j {
            mm[(i, j)] = mm[(j, i)];
        }
    }
    let lhs = qbar + q * mm;
    // (lhs·R⁻ᵀ)ᵀ = R⁻¹·lhsᵀ
    let solved = r
        .solve_upper_triangular(&lhs.transpose())
        .unwrap_or_else(|| {
            panic!(
            "autodiff: the derivative of `qr()` of a {} matrix of rank below {n}: R is singular",
            shape::fmt((m, n))
        )
        });
    solved.transpose()
}

/// `Q` and `R` of the factorisation as dynamic matrices.
fn parts<T: Scalar, R: DimMin<C>, C: Dim>(f: &Orthogonalised<T, R, C>) -> (DMatrix<T>, DMatrix<T>)
where
    DefaultAllocator: Allocator<R, C>
        + Allocator<R>
        + Allocator<DimMinimum<R, C>>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>, C>,
{
    let (q, r) = (f.factors().q(), f.factors().r());
    (
        DMatrix::from_fn(q.nrows(), q.ncols(), |i, j| q[(i, j)]),
        DMatrix::from_fn(r.nrows(), r.ncols(), |i, j| r[(i, j)]),
    )
}

/// `Ā += (Q̄ − Q·copyltu(Q̄ᵀ·Q))·R⁻ᵀ`.
pub fn qr_q_pullback<T: Scalar, R: DimMin<C>, C: Dim>(
    g: &OMatrix<T, R, DimMinimum<R, C>>,
    f: &Orthogonalised<T, R, C>,
    _y: &OMatrix<T, R, DimMinimum<R, C>>,
    acc: &mut Option<Orthogonalised<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>
        + Allocator<R>
        + Allocator<DimMinimum<R, C>>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>, C>,
{
    let (q, r) = parts(f);
    let qbar = DMatrix::from_fn(g.nrows(), g.ncols(), |i, j| g[(i, j)]);
    let m = pullback(&q, &r, &qbar, &DMatrix::zeros(r.nrows(), r.ncols()));
    Factored::accumulate(acc, f.matrix().with_entries(m.as_slice().to_vec()))
}

/// `Ā += Q·copyltu(R·R̄ᵀ)·R⁻ᵀ`.
pub fn qr_r_pullback<T: Scalar, R: DimMin<C>, C: Dim>(
    g: &OMatrix<T, DimMinimum<R, C>, C>,
    f: &Orthogonalised<T, R, C>,
    _y: &OMatrix<T, DimMinimum<R, C>, C>,
    acc: &mut Option<Orthogonalised<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>
        + Allocator<R>
        + Allocator<DimMinimum<R, C>>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>, C>,
{
    let (q, r) = parts(f);
    let rbar = DMatrix::from_fn(g.nrows(), g.ncols(), |i, j| g[(i, j)]);
    let m = pullback(&q, &r, &DMatrix::zeros(q.nrows(), q.ncols()), &rbar);
    Factored::accumulate(acc, f.matrix().with_entries(m.as_slice().to_vec()))
}
