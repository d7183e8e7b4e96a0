//! The Cholesky factorisation `m.cholesky().unwrap()` and its own readings: `.l()`,
//! `.ln_determinant()`, and the solves, determinant and inverse the shared kernels of
//! `factorisations` and `linalg` take from it.
//!
//! It takes its matrix as symmetric (see `factorisations`, "Symmetric matrices"): its
//! cotangents are symmetric, and [`cholesky`] panics on a matrix that is not symmetric.

use crate::factorisations::{pass_matrix, Factored, Factorisation, Factors};
use crate::shape;
use crate::value::Scalar;
#[allow(unused_imports)]
use crate::Differentiable as _;
use nalgebra::{allocator::Allocator, Cholesky, DefaultAllocator, Dim, OMatrix};

impl<T: Scalar, D: Dim> Factorisation<T, D, D> for Cholesky<T, D>
where
    DefaultAllocator: Allocator<D, D>,
{
    const SYMMETRIC: bool = true;
}

impl<T: Scalar, D: Dim> Factors<T, D> for Cholesky<T, D>
where
    DefaultAllocator: Allocator<D, D>,
{
    fn solve<C: Dim>(&self, b: &OMatrix<T, D, C>) -> Option<OMatrix<T, D, C>>
    where
        DefaultAllocator: Allocator<D, C>,
    {
        Some(Cholesky::solve(self, b))
    }
    /// `A⁻ᵀ·B = A⁻¹·B` (for the pullbacks): by `L` then `Lᵀ`, as nalgebra's solve, with the
    /// slice kernels (no per-step view and bounds checks).
    fn solve_transposed<C: Dim>(&self, b: &OMatrix<T, D, C>) -> Option<OMatrix<T, D, C>>
    where
        DefaultAllocator: Allocator<D, C>,
    {
        let (l, n) = (self.l_dirty().as_slice(), self.l_dirty().nrows());
        let mut y = b.clone();
        let ok = crate::dense::triangular_solve(l, n, true, false, false, y.as_mut_slice())
            && crate::dense::triangular_solve(l, n, true, true, false, y.as_mut_slice());
        ok.then_some(y)
    }
    fn determinant(&self) -> T {
        Cholesky::determinant(self)
    }
    /// `A⁻¹ = L⁻ᵀ·L⁻¹`, as LAPACK's `dpotri`: `L⁻¹` by blocks (its zeros skipped, its work
    /// in products), then the lower half of `L⁻ᵀ·L⁻¹` by blocks, mirrored (exactly symmetric).
    /// About `2n³/3` flops, against `3n³` for a solve of the identity and a full product
    /// (nalgebra's `Cholesky::inverse` solves the identity twice, by `L` and by `Lᵀ`).
    fn inverse(&self) -> Option<OMatrix<T, D, D>> {
        let l = self.l_dirty();
        let n = l.nrows();
        let l_inv = crate::dense::lower_inverse(l.as_slice(), n);
        let (r, c) = l.shape_generic();
        Some(OMatrix::from_vec_generic(
            r,
            c,
            crate::dense::lower_gram(&l_inv, n),
        ))
    }
    /// `|A|·A⁻¹`, never singular: `A` is positive definite.
    fn determinant_gradient(&self, _a: &OMatrix<T, D, D>) -> OMatrix<T, D, D> {
        let inv = Factors::inverse(self).expect("a positive-definite matrix is invertible");
        inv * Cholesky::determinant(self)
    }
}

/// `A = L·Lᵀ`, the Cholesky factorisation of a symmetric positive-definite `A`.
///
/// # Panics
/// If `A` is not square, not symmetric (up to `√ε` of its largest entry: see the module
/// documentation) or not positive definite, as the user's `unwrap` would.
#[track_caller]
pub fn cholesky<T: Scalar, D: Dim>(a: &OMatrix<T, D, D>) -> Factored<T, D, D, Cholesky<T, D>>
where
    DefaultAllocator: Allocator<D, D>,
{
    match cholesky_checked(a) {
        Some(c) => c,
        None => panic!(
            "matgrad: `cholesky().unwrap()` on a {} matrix that is not positive definite",
            shape::fmt(a.shape())
        ),
    }
}

/// `A = L·Lᵀ`, or `None` where `A` is not positive definite: the `Option` of
/// `A.cholesky()`, for the user's `.expect(msg)`.
///
/// # Panics
/// If `A` is not square or not symmetric (up to `√ε` of its largest entry).
#[track_caller]
pub fn cholesky_checked<T: Scalar, D: Dim>(
    a: &OMatrix<T, D, D>,
) -> Option<Factored<T, D, D, Cholesky<T, D>>>
where
    DefaultAllocator: Allocator<D, D>,
{
    shape::square("cholesky", a.shape());
    check_symmetric("cholesky", a);
    Cholesky::new(a.clone()).map(|c| Factored::new(a.clone(), c))
}

/// Panics unless `A`, the matrix of the factorisation `op`, is symmetric up to `√ε·max|Aᵢⱼ|`.
#[track_caller]
pub(crate) fn check_symmetric<T: Scalar, D: Dim>(op: &str, a: &OMatrix<T, D, D>)
where
    DefaultAllocator: Allocator<D, D>,
{
    // One pass over the pairs (i, j), (j, i) for an exactly symmetric matrix (the usual case:
    // one built symmetric), with no maximum to carry from entry to entry; otherwise one pass
    // for both the largest entry (the tolerance) and the largest asymmetry, and the offending
    // entry looked for again only to report it.
    let n = a.nrows();
    let s = a.as_slice();
    if (0..n).all(|j| (j + 1..n).all(|i| s[j * n + i] == s[i * n + j])) {
        return;
    }
    let (mut amax, mut worst) = (T::zero(), T::zero());
    for j in 0..n {
        amax = amax.max(s[j * n + j].abs());
        for i in j + 1..n {
            let (x, y) = (s[j * n + i], s[i * n + j]);
            amax = amax.max(x.abs()).max(y.abs());
            let d = (x - y).abs();
            if d > worst {
                worst = d;
            }
        }
    }
    let tol = T::EPSILON.sqrt() * amax;
    if worst <= tol {
        return;
    }
    for j in 0..n {
        for i in j + 1..n {
            if (a[(i, j)] - a[(j, i)]).abs() > tol {
                panic!(
                    "matgrad: `{op}()` of a {} matrix that is not symmetric: entry ({i}, {j}) is {:e}, \
                     entry ({j}, {i}) is {:e}; its gradient is that of a function of a symmetric matrix, \
                     so symmetrise it first, e.g. `(&m + m.transpose()) * 0.5`",
                    shape::fmt(a.shape()),
                    a[(i, j)],
                    a[(j, i)]
                );
            }
        }
    }
}

/// `Ā += C̄` for `C = cholesky(A)`: the factorisation's cotangent is its matrix's.
pub fn cholesky_pullback<T: Scalar, D: Dim>(
    g: &Factored<T, D, D, Cholesky<T, D>>,
    _a: &OMatrix<T, D, D>,
    _y: &Factored<T, D, D, Cholesky<T, D>>,
    acc: &mut Option<OMatrix<T, D, D>>,
) where
    DefaultAllocator: Allocator<D, D>,
{
    pass_matrix(g, acc)
}

/// `L` of `A = L·Lᵀ`: `c.l()`.
pub fn cholesky_l<T: Scalar, D: Dim>(c: &Factored<T, D, D, Cholesky<T, D>>) -> OMatrix<T, D, D>
where
    DefaultAllocator: Allocator<D, D>,
{
    c.factors().l()
}

/// `Ā += L⁻ᵀ·½(Φ + Φᵀ)·L⁻¹` with `Φ = Φ(Lᵀ·L̄)`, the lower triangle with its diagonal
/// halved, for `L = chol(A)` (Murray 2016, "Differentiation of the Cholesky decomposition",
/// eq. 10, symmetrised as PyTorch's `cholesky_backward`).
pub fn cholesky_l_pullback<T: Scalar, D: Dim>(
    g: &OMatrix<T, D, D>,
    _c: &Factored<T, D, D, Cholesky<T, D>>,
    l: &OMatrix<T, D, D>,
    acc: &mut Option<Factored<T, D, D, Cholesky<T, D>>>,
) where
    DefaultAllocator: Allocator<D, D>,
{
    let half: T = nalgebra::convert(0.5);
    let mut phi = l.tr_mul(g);
    for j in 0..phi.ncols() {
        phi[(j, j)] *= half;
        for i in 0..j {
            phi[(i, j)] = T::zero();
        }
    }
    let mut m = &phi + phi.transpose();
    m *= half;
    // L⁻ᵀ·M·L⁻¹ = L⁻ᵀ·(L⁻ᵀ·M)ᵀ, M symmetric: two triangular solves.
    let y = tr_solve_lower(l, &m);
    let abar = tr_solve_lower(l, &y.transpose());
    Factored::accumulate(acc, abar)
}

/// `L⁻ᵀ·B` for an invertible lower-triangular `L` (a Cholesky factor).
fn tr_solve_lower<T: Scalar, D: Dim>(l: &OMatrix<T, D, D>, b: &OMatrix<T, D, D>) -> OMatrix<T, D, D>
where
    DefaultAllocator: Allocator<D, D>,
{
    crate::tr_solve_lower_triangular_checked(l, b)
        .expect("matgrad: a Cholesky factor has a positive diagonal")
}

/// `ln |A|` of a Cholesky factorisation: `2·Σᵢ ln Lᵢᵢ`.
pub fn ln_determinant<T: Scalar, D: Dim>(c: &Factored<T, D, D, Cholesky<T, D>>) -> T
where
    DefaultAllocator: Allocator<D, D>,
{
    c.factors().ln_determinant()
}

/// `Ā += ḡ·A⁻¹` for `y = ln |A|`, `A` symmetric positive definite.
pub fn ln_determinant_pullback<T: Scalar, D: Dim>(
    g: &T,
    c: &Factored<T, D, D, Cholesky<T, D>>,
    _y: &T,
    acc: &mut Option<Factored<T, D, D, Cholesky<T, D>>>,
) where
    DefaultAllocator: Allocator<D, D>,
{
    let mut inv = Factors::inverse(c.factors()).expect("a positive-definite matrix is invertible");
    // A⁻¹ is exactly symmetric (`Factors::inverse`): no symmetrisation pass.
    match acc {
        Some(a) => crate::Differentiable::axpy(&mut a.matrix, *g, &inv),
        None => {
            inv *= *g;
            *acc = Some(Factored::cotangent(inv));
        }
    }
}
