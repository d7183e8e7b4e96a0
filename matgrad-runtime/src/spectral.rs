//! Spectral functions: `s.symmetric_eigen()` with its `.eigenvalues` and `.eigenvectors`,
//! `s.symmetric_eigenvalues()`, and the matrix exponential `a.exp()` (beside `x.exp()` of a
//! float: [`Exponential`]).
//!
//! An eigendecomposition is a [`Factored`] value like a Cholesky factorisation, and takes its
//! matrix as symmetric in the same way (its gradient is symmetric; the derivative code panics
//! on a matrix that is not symmetric: see `factorisations`).
//!
//! **Repeated eigenvalues.** With `A = V·Λ·Vᵀ`, `dV = V·(F ∘ Vᵀ·dA·V)` where
//! `Fᵢⱼ = 1/(λⱼ − λᵢ)`: the eigenvectors are not differentiable where two eigenvalues meet,
//! and their pullback grows as the inverse of the gap near there (JAX's and PyTorch's do the
//! same, and return infinities or NaN at an exact tie). Here a pair of eigenvalues equal to
//! rounding (within `√ε·max|λ|`: closer than that, the computed eigenvectors are noise of the
//! size of the coupling) is not coupled, `Fᵢⱼ = 0`, as TensorFlow's `self_adjoint_eig`
//! gradient does. That is the gradient wherever the function weighs the tied eigenvectors
//! alike and locally constantly: functions of the eigenvalues alone (their pullback
//! `Ā += V·diag(λ̄)·Vᵀ` is exact at ties), the projector onto a whole eigenspace, top-k
//! subspaces that a tie does not straddle. A function that weighs them by their eigenvalue,
//! such as `Σᵢ λᵢ·(vᵢᵀd)² = dᵀ·A·d`, is differentiable at the tie but its gradient there
//! needs the limit of the coupling (`0/0`), which the decomposition does not give: the
//! pullback leaves that term out (and JAX and PyTorch return NaN).

use crate::cholesky::check_symmetric;
use crate::factorisations::{pass_matrix, Factored, Factorisation};
use crate::shape;
use crate::value::{accumulate, accumulate_with, Dense, Float, Scalar};
#[allow(unused_imports)]
use crate::Differentiable as _;
use nalgebra::{
    allocator::Allocator, DefaultAllocator, Dim, DimDiff, DimMin, DimSub, OMatrix, OVector,
    SymmetricEigen, U1,
};

impl<T: Scalar, D: Dim> Factorisation<T, D, D> for SymmetricEigen<T, D>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    const SYMMETRIC: bool = true;
}

/// `A = V·Λ·Vᵀ`, the eigendecomposition of a symmetric `A`: `a.symmetric_eigen()`.
///
/// # Panics
/// If `A` is not square or not symmetric (see the module documentation).
#[track_caller]
pub fn symmetric_eigen<T: Scalar, D: DimSub<U1>>(
    a: &OMatrix<T, D, D>,
) -> Factored<T, D, D, SymmetricEigen<T, D>>
where
    DefaultAllocator: Allocator<D, D> + Allocator<DimDiff<D, U1>> + Allocator<D>,
{
    shape::square("symmetric_eigen", a.shape());
    check_symmetric("symmetric_eigen", a);
    Factored::new(a.clone(), SymmetricEigen::new(a.clone()))
}

/// `Ā += Ē`: the decomposition's cotangent is its matrix's.
pub fn symmetric_eigen_pullback<T: Scalar, D: DimSub<U1>>(
    g: &Factored<T, D, D, SymmetricEigen<T, D>>,
    _a: &OMatrix<T, D, D>,
    _y: &Factored<T, D, D, SymmetricEigen<T, D>>,
    acc: &mut Option<OMatrix<T, D, D>>,
) where
    DefaultAllocator: Allocator<D, D> + Allocator<DimDiff<D, U1>> + Allocator<D>,
{
    pass_matrix(g, acc)
}

/// `λ`: `e.eigenvalues`.
pub fn eigenvalues<T: Scalar, D: Dim>(e: &Factored<T, D, D, SymmetricEigen<T, D>>) -> OVector<T, D>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    e.factors().eigenvalues.clone()
}

/// `Ā += V·diag(λ̄)·Vᵀ` for the eigenvalues `λ` of `A = V·Λ·Vᵀ`.
pub fn eigenvalues_pullback<T: Scalar, D: Dim>(
    g: &OVector<T, D>,
    e: &Factored<T, D, D, SymmetricEigen<T, D>>,
    _y: &OVector<T, D>,
    acc: &mut Option<Factored<T, D, D, SymmetricEigen<T, D>>>,
) where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    Factored::accumulate(acc, spectral_sum(&e.factors().eigenvectors, g))
}

/// `V·diag(d)·Vᵀ`.
fn spectral_sum<T: Scalar, D: Dim>(v: &OMatrix<T, D, D>, d: &OVector<T, D>) -> OMatrix<T, D, D>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    let mut vd = v.clone();
    for (j, mut col) in vd.column_iter_mut().enumerate() {
        col *= d[j];
    }
    vd * v.transpose()
}

/// `V`: `e.eigenvectors`, column `i` the eigenvector of `λᵢ`.
pub fn eigenvectors<T: Scalar, D: Dim>(
    e: &Factored<T, D, D, SymmetricEigen<T, D>>,
) -> OMatrix<T, D, D>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    e.factors().eigenvectors.clone()
}

/// `Ā += V·(F ∘ Vᵀ·V̄)·Vᵀ`, `Fᵢⱼ = 1/(λⱼ − λᵢ)` off the diagonal and between distinct
/// eigenvalues, 0 elsewhere (symmetrised; see the module documentation on ties).
pub fn eigenvectors_pullback<T: Scalar, D: Dim>(
    g: &OMatrix<T, D, D>,
    e: &Factored<T, D, D, SymmetricEigen<T, D>>,
    _y: &OMatrix<T, D, D>,
    acc: &mut Option<Factored<T, D, D, SymmetricEigen<T, D>>>,
) where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    let (v, lambda) = (&e.factors().eigenvectors, &e.factors().eigenvalues);
    let n = lambda.len();
    // Eigenvalues closer than this are equal to rounding: their eigenvectors are determined
    // only to a rotation of about ε‖A‖/gap, which the division would amplify.
    let tie = T::EPSILON.sqrt() * lambda.amax();
    let mut x = v.tr_mul(g);
    for j in 0..n {
        for i in 0..n {
            let gap = lambda[j] - lambda[i];
            x[(i, j)] = if i == j || gap.abs() <= tie {
                T::zero()
            } else {
                x[(i, j)] / gap
            };
        }
    }
    Factored::accumulate(acc, v * x * v.transpose())
}

/// `λ` of a symmetric `A`, without the eigenvectors: `a.symmetric_eigenvalues()`.
///
/// # Panics
/// If `A` is not square or not symmetric.
#[track_caller]
pub fn symmetric_eigenvalues<T: Scalar, D: DimSub<U1>>(a: &OMatrix<T, D, D>) -> OVector<T, D>
where
    DefaultAllocator: Allocator<D, D> + Allocator<DimDiff<D, U1>> + Allocator<D>,
{
    shape::square("symmetric_eigenvalues", a.shape());
    check_symmetric("symmetric_eigenvalues", a);
    a.symmetric_eigenvalues()
}

/// `Ā += V·diag(λ̄)·Vᵀ`, the eigenvectors computed here (the forward sweep kept none).
///
/// # Panics
/// If the decomposition with eigenvectors does not give the forward sweep's eigenvalues in
/// the same order (nalgebra computes both with one algorithm, so it does).
pub fn symmetric_eigenvalues_pullback<T: Scalar, D: DimSub<U1>>(
    g: &OVector<T, D>,
    a: &OMatrix<T, D, D>,
    y: &OVector<T, D>,
    acc: &mut Option<OMatrix<T, D, D>>,
) where
    DefaultAllocator: Allocator<D, D> + Allocator<DimDiff<D, U1>> + Allocator<D>,
{
    let e = SymmetricEigen::new(a.clone());
    let tol = T::EPSILON.sqrt() * (T::one() + y.amax());
    assert!(
        (&e.eigenvalues - y).amax() <= tol,
        "matgrad: `symmetric_eigenvalues()` and `symmetric_eigen()` ordered the eigenvalues differently"
    );
    let m = spectral_sum(&e.eigenvectors, g);
    accumulate(acc, m)
}

/// `eˣ` of a float, or the matrix exponential `e^A = Σₖ Aᵏ/k!` of a square matrix, as
/// nalgebra's `.exp()` computes each.
pub trait Exponential: Sized {
    /// `eˣ`, or `e^A`.
    fn exponential(&self) -> Self;
    /// `x̄ += ḡ·y` for a float; for a matrix `Ā += L(Aᵀ, Ḡ)`, the Fréchet derivative of the
    /// exponential at `Aᵀ` in the direction `Ḡ`: the upper right block of
    /// `exp([[Aᵀ, Ḡ], [0, Aᵀ]])` (Najfeld & Havel 1995; Higham, "Functions of Matrices",
    /// eq. 10.15).
    fn exponential_pullback(g: &Self, x: &Self, y: &Self, acc: &mut Option<Self>);
}

impl<T: Float> Exponential for T {
    fn exponential(&self) -> T {
        self.exp()
    }
    fn exponential_pullback(g: &T, _x: &T, y: &T, acc: &mut Option<T>) {
        let c = *g * *y;
        accumulate_with(acc, || c, |a| *a += c)
    }
}

impl<T: Scalar, D: DimMin<D, Output = D>> Exponential for OMatrix<T, D, D>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    #[track_caller]
    fn exponential(&self) -> Self {
        shape::square("exp", self.shape());
        self.exp()
    }
    fn exponential_pullback(g: &Self, x: &Self, _y: &Self, acc: &mut Option<Self>) {
        let n = x.nrows();
        let block = nalgebra::DMatrix::<T>::from_fn(2 * n, 2 * n, |i, j| match (i < n, j < n) {
            (true, true) => x[(j, i)],
            (false, false) => x[(j - n, i - n)],
            (true, false) => g[(i, j - n)],
            (false, true) => T::zero(),
        });
        let e = dynamic_exp(&block);
        let d = x.map_entries(|s, _| e[(s % n, n + s / n)]);
        accumulate(acc, d)
    }
}

/// `e^M` of a dynamic matrix (outside the impl above, whose bounds hide nalgebra's).
fn dynamic_exp<T: Scalar>(m: &nalgebra::DMatrix<T>) -> nalgebra::DMatrix<T> {
    m.exp()
}

/// `eˣ` of a float, `e^A` of a square matrix: `x.exp()`.
#[inline]
#[track_caller]
pub fn exp<X: Exponential>(x: &X) -> X {
    x.exponential()
}

/// `x̄ += ḡ·eˣ` from the saved `y = eˣ`; `Ā += L(Aᵀ, Ḡ)` for `y = e^A`.
#[inline]
pub fn exp_pullback<X: Exponential>(g: &X, x: &X, y: &X, acc: &mut Option<X>) {
    X::exponential_pullback(g, x, y, acc)
}
