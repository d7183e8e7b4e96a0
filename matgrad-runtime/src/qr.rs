//! The QR factorisation `A = Q·R` (Householder, thin: `Q` is `m×k`, `R` is `k×n`,
//! `k = min(m, n)`): `a.qr()` read by `.q()`, `.r()` and, for a square `A`,
//! `.solve(&b).unwrap()` and `.try_inverse().unwrap()`.
//!
//! For `m ≥ n` the readings of `Q` and `R` pull back together through
//! `Ā = (Q̄ + Q·copyltu(M))·R⁻ᵀ` with `M = R·R̄ᵀ − Q̄ᵀ·Q` and `copyltu(M)` the symmetric
//! matrix with `M`'s lower triangle (Walter & Lehmann 2018, "Algorithmic differentiation of
//! linear algebra functions with application in optimum experimental design", eq. 3.9; PyTorch's
//! `linalg_qr_backward`), which is linear in `(Q̄, R̄)`, so each reading adds its own part. A
//! wide `A = [X | Y]` (`m < n`, `X` square) is `Q·[R₁ | R₂]` with `Q·R₁ = X` and `R₂ = Qᵀ·Y`
//! (JAX's `qr_jvp_rule`), so `Ȳ = Q·R̄₂` and `X̄` is the square rule's of `Q̄ + Y·R̄₂ᵀ` and `R̄₁`.
//! A singular `R` (`R₁`) panics in the pullback, naming it, rather than return a wrong
//! gradient. The readings of a `col_piv_qr()` (`A·P = Q·R`, `P` locally constant) are these
//! of `A·P`, their cotangent permuted back (`Ā = B̄·Pᵀ`, in `colpiv`).

use crate::factorisations::{Factored, Factorisation, Factors};
use crate::linalg::adjugate;
use crate::shape;
use crate::value::{Dense, Scalar};
#[allow(unused_imports)]
use crate::Differentiable as _;
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
    /// `Aᵀ·y = b` with `A = Q·R`: `y = Q·R⁻ᵀ·b`, `Q` applied as its reflections (O(n²) per
    /// column of `b`), never formed (O(n³)).
    fn solve_transposed<C: Dim>(&self, b: &OMatrix<T, D, C>) -> Option<OMatrix<T, D, C>>
    where
        DefaultAllocator: Allocator<D, C>,
    {
        let r = self.r();
        let mut y = b.clone();
        if !crate::dense::triangular_solve(
            r.as_slice(),
            r.nrows(),
            false,
            true,
            false,
            y.as_mut_slice(),
        ) {
            return None;
        }
        // Q = H₀·…·Hₙ₋₁, the reflections stored in the packed factorisation (see
        // `dense::apply_householder_q`); a zero column made R singular, returned above.
        let qr = self.qr_internal();
        let (m, reflections) = qr.shape();
        crate::dense::apply_householder_q(qr.as_slice(), m, reflections, y.as_mut_slice());
        Some(y)
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

/// A factorisation `A·P = Q·R` read by `.q()` and `.r()`: `qr()` (`P = I`) and
/// `col_piv_qr()` (`P` a column permutation, locally constant).
pub trait Orthogonal<T: Scalar, R: DimMin<C>, C: Dim>: Factorisation<T, R, C>
where
    DefaultAllocator: Allocator<R, C>
        + Allocator<R>
        + Allocator<DimMinimum<R, C>>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>, C>,
{
    /// `Q`, `m×k` with orthonormal columns.
    fn factor_q(&self) -> OMatrix<T, R, DimMinimum<R, C>>;
    /// `R`, `k×n` upper triangular (trapezoidal).
    fn factor_r(&self) -> OMatrix<T, DimMinimum<R, C>, C>;
    /// `B̄ ← B̄·Pᵀ`: the cotangent of `A` from that of `B = A·P`.
    fn unpermute_columns(&self, b: &mut DMatrix<T>);
}

impl<T: Scalar, R: DimMin<C>, C: Dim> Orthogonal<T, R, C> for QR<T, R, C>
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
    /// `P = I`: nothing to do.
    fn unpermute_columns(&self, _b: &mut DMatrix<T>) {}
}

/// `Q`, `m×k` with orthonormal columns: `f.q()` of a `qr()` or a `col_piv_qr()`.
pub fn qr_q<T: Scalar, R: DimMin<C>, C: Dim, F: Orthogonal<T, R, C>>(
    f: &Factored<T, R, C, F>,
) -> OMatrix<T, R, DimMinimum<R, C>>
where
    DefaultAllocator: Allocator<R, C>
        + Allocator<R>
        + Allocator<DimMinimum<R, C>>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>, C>,
{
    f.factors().factor_q()
}

/// `R`, `k×n` upper triangular: `f.r()` of a `qr()` or a `col_piv_qr()`.
pub fn qr_r<T: Scalar, R: DimMin<C>, C: Dim, F: Orthogonal<T, R, C>>(
    f: &Factored<T, R, C, F>,
) -> OMatrix<T, DimMinimum<R, C>, C>
where
    DefaultAllocator: Allocator<R, C>
        + Allocator<R>
        + Allocator<DimMinimum<R, C>>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>, C>,
{
    f.factors().factor_r()
}

/// `Ā += (Q̄ + Q·copyltu(M))·R⁻ᵀ`, `M = R·R̄ᵀ − Q̄ᵀ·Q`, for the cotangents `q̄` of `Q` and `r̄`
/// of `R` (either zero), as dynamic matrices; for a wide `A = [X | Y]` (`m < n`), with
/// `R = [R₁ | R₂]`, `Q·R₁ = X` and `R₂ = Qᵀ·Y` (JAX's `qr` JVP rule, transposed):
/// `X̄ = (the same, of Q̄ + Y·R̄₂ᵀ and R̄₁)`, `Ȳ = Q·R̄₂`.
///
/// # Panics
/// If `R` (`R₁`) is singular.
#[track_caller]
fn pullback<T: Scalar>(
    q: &DMatrix<T>,
    r: &DMatrix<T>,
    qbar: &DMatrix<T>,
    rbar: &DMatrix<T>,
) -> DMatrix<T> {
    let (m, n) = (q.nrows(), r.ncols());
    if m >= n {
        return tall_pullback(q, r, qbar, rbar, n);
    }
    let (r1, r2) = (r.columns(0, m), r.columns(m, n - m));
    let rbar2 = rbar.columns(m, n - m);
    let y = q * r2;
    let qbar1 = qbar + y * rbar2.transpose();
    let xbar = tall_pullback(
        q,
        &r1.into_owned(),
        &qbar1,
        &rbar.columns(0, m).into_owned(),
        n,
    );
    let ybar = q * rbar2;
    let mut out = DMatrix::zeros(m, n);
    out.columns_mut(0, m).copy_from(&xbar);
    out.columns_mut(m, n - m).copy_from(&ybar);
    out
}

/// `(Q̄ + Q·copyltu(M))·R⁻ᵀ`, `M = R·R̄ᵀ − Q̄ᵀ·Q`, for a tall or square `Q·R` (of the first
/// columns of an `m×n` matrix).
#[track_caller]
fn tall_pullback<T: Scalar>(
    q: &DMatrix<T>,
    r: &DMatrix<T>,
    qbar: &DMatrix<T>,
    rbar: &DMatrix<T>,
    n: usize,
) -> DMatrix<T> {
    let (m, k) = (q.nrows(), r.ncols());
    let mut mm = r * rbar.transpose() - qbar.tr_mul(q);
    for j in 0..k {
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
                "matgrad: the derivative of `qr()` of a {} matrix whose first {k} columns have rank below {k}: R is singular",
                shape::fmt((m, n))
            )
        });
    solved.transpose()
}

/// `Q` and `R` of the factorisation as dynamic matrices.
fn parts<T: Scalar, R: DimMin<C>, C: Dim, F: Orthogonal<T, R, C>>(
    f: &Factored<T, R, C, F>,
) -> (DMatrix<T>, DMatrix<T>)
where
    DefaultAllocator: Allocator<R, C>
        + Allocator<R>
        + Allocator<DimMinimum<R, C>>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>, C>,
{
    let (q, r) = (f.factors().factor_q(), f.factors().factor_r());
    (
        DMatrix::from_fn(q.nrows(), q.ncols(), |i, j| q[(i, j)]),
        DMatrix::from_fn(r.nrows(), r.ncols(), |i, j| r[(i, j)]),
    )
}

/// `Ā += (the pullback of Q̄ and R̄)·Pᵀ` into the factorisation's cotangent.
fn add_pullback<T: Scalar, R: DimMin<C>, C: Dim, F: Orthogonal<T, R, C>>(
    f: &Factored<T, R, C, F>,
    qbar: Option<DMatrix<T>>,
    rbar: Option<DMatrix<T>>,
    acc: &mut Option<Factored<T, R, C, F>>,
) where
    DefaultAllocator: Allocator<R, C>
        + Allocator<R>
        + Allocator<DimMinimum<R, C>>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>, C>,
{
    let (q, r) = parts(f);
    let qbar = qbar.unwrap_or_else(|| DMatrix::zeros(q.nrows(), q.ncols()));
    let rbar = rbar.unwrap_or_else(|| DMatrix::zeros(r.nrows(), r.ncols()));
    let mut m = pullback(&q, &r, &qbar, &rbar);
    f.factors().unpermute_columns(&mut m);
    Factored::accumulate(acc, f.matrix().with_entries(m.as_slice().to_vec()))
}

/// `Ā += (Q̄ − Q·copyltu(Q̄ᵀ·Q))·R⁻ᵀ·Pᵀ` (wide: see the module documentation).
pub fn qr_q_pullback<T: Scalar, R: DimMin<C>, C: Dim, F: Orthogonal<T, R, C>>(
    g: &OMatrix<T, R, DimMinimum<R, C>>,
    f: &Factored<T, R, C, F>,
    _y: &OMatrix<T, R, DimMinimum<R, C>>,
    acc: &mut Option<Factored<T, R, C, F>>,
) where
    DefaultAllocator: Allocator<R, C>
        + Allocator<R>
        + Allocator<DimMinimum<R, C>>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>, C>,
{
    let qbar = DMatrix::from_fn(g.nrows(), g.ncols(), |i, j| g[(i, j)]);
    add_pullback(f, Some(qbar), None, acc)
}

/// `Ā += Q·copyltu(R·R̄ᵀ)·R⁻ᵀ·Pᵀ` (wide: see the module documentation).
pub fn qr_r_pullback<T: Scalar, R: DimMin<C>, C: Dim, F: Orthogonal<T, R, C>>(
    g: &OMatrix<T, DimMinimum<R, C>, C>,
    f: &Factored<T, R, C, F>,
    _y: &OMatrix<T, DimMinimum<R, C>, C>,
    acc: &mut Option<Factored<T, R, C, F>>,
) where
    DefaultAllocator: Allocator<R, C>
        + Allocator<R>
        + Allocator<DimMinimum<R, C>>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>, C>,
{
    let rbar = DMatrix::from_fn(g.nrows(), g.ncols(), |i, j| g[(i, j)]);
    add_pullback(f, None, Some(rbar), acc)
}
