//! Factorisations: the value `Factored` they all are, `m.cholesky().unwrap()` and what reads
//! it, and the solves shared with `lu()` and `qr()` (in `lu` and `qr`).
//!
//! A factorisation is differentiated as the matrix it factorises: `#[grad]` holds it as a
//! [`Factored`] (the matrix and nalgebra's factors), and its cotangent is that matrix's
//! cotangent. So `c = m.cholesky().unwrap()` passes `c̄` to `m̄` unchanged, and each reading
//! of `c` (`.l()`, `.solve(&b)`, `.determinant()`, `.ln_determinant()`, `.inverse()`) has a
//! pullback into the matrix's cotangent that reuses the factors: solves with them, never an
//! explicit inverse unless the reading is one.
//!
//! **Symmetric matrices.** A Cholesky factorisation reads only the lower triangle of its
//! matrix, which it takes to be symmetric. Its cotangents are the gradients of a function of
//! a symmetric matrix: symmetric, `Ā = ½(G + Gᵀ)` for the unconstrained gradient `G`, exact
//! along every symmetric perturbation of the matrix (as JAX's and PyTorch's are). That is not
//! the derivative of the function nalgebra computes from a non-symmetric matrix (it ignores
//! the upper triangle), so [`cholesky`] panics on a matrix that is not symmetric (up to
//! `√ε` of its largest entry) instead of returning a gradient that would be silently wrong.

#[allow(unused_imports)] // for the documentation's links
use crate::linalg::determinant_pullback;
use crate::linalg::Square;
use crate::shape;
use crate::value::{accumulate, accumulate_with, Differentiable, Scalar};
use nalgebra::{allocator::Allocator, Cholesky, DefaultAllocator, Dim, OMatrix};

/// A factorisation as `#[grad]` differentiates it: the matrix it factorises, with nalgebra's
/// factors `F` (a cotangent has none).
///
/// It dereferences to the factors, so code that reads a factorisation no parameter depends on
/// uses nalgebra's own methods.
#[derive(Clone, Debug)]
pub struct Factored<T: Scalar, R: Dim, C: Dim, F>
where
    DefaultAllocator: Allocator<R, C>,
{
    matrix: OMatrix<T, R, C>,
    factors: Option<F>,
}

impl<T: Scalar, R: Dim, C: Dim, F> Factored<T, R, C, F>
where
    DefaultAllocator: Allocator<R, C>,
{
    /// The factors, present on every value `#[grad]` computes (only cotangents lack them).
    pub(crate) fn factors(&self) -> &F {
        self.factors
            .as_ref()
            .expect("autodiff: a factorisation's cotangent has no factors")
    }

    /// The factorised matrix.
    pub(crate) fn matrix(&self) -> &OMatrix<T, R, C> {
        &self.matrix
    }

    /// The cotangent of a factorisation whose matrix has the cotangent `m`.
    fn cotangent(m: OMatrix<T, R, C>) -> Self {
        Factored {
            matrix: m,
            factors: None,
        }
    }
}

impl<T: Scalar, R: Dim, C: Dim, F> std::ops::Deref for Factored<T, R, C, F>
where
    DefaultAllocator: Allocator<R, C>,
{
    type Target = F;
    fn deref(&self) -> &F {
        self.factors()
    }
}

/// A factorisation of an `R×C` matrix: nalgebra's `Cholesky`, `LU`, `SymmetricEigen`, `SVD`.
pub trait Factorisation<T: Scalar, R: Dim, C: Dim>: Clone
where
    DefaultAllocator: Allocator<R, C>,
{
    /// Whether the factorised matrix is symmetric (square; its cotangents are symmetrised).
    const SYMMETRIC: bool;
}

impl<T: Scalar, D: Dim> Factorisation<T, D, D> for Cholesky<T, D>
where
    DefaultAllocator: Allocator<D, D>,
{
    const SYMMETRIC: bool = true;
}

/// What the pullbacks need of a factorisation `A = …` that solves: solves with `A` and `Aᵀ`,
/// `|A|`, `A⁻¹`.
pub trait Factors<T: Scalar, D: Dim>: Factorisation<T, D, D>
where
    DefaultAllocator: Allocator<D, D>,
{
    /// `A⁻¹·B`, `None` if `A` is singular.
    fn solve<C: Dim>(&self, b: &OMatrix<T, D, C>) -> Option<OMatrix<T, D, C>>
    where
        DefaultAllocator: Allocator<D, C>;
    /// `A⁻ᵀ·B`, `None` if `A` is singular.
    fn solve_transposed<C: Dim>(&self, b: &OMatrix<T, D, C>) -> Option<OMatrix<T, D, C>>
    where
        DefaultAllocator: Allocator<D, C>;
    /// `|A|`.
    fn determinant(&self) -> T;
    /// `A⁻¹`, `None` if `A` is singular.
    fn inverse(&self) -> Option<OMatrix<T, D, D>>;
    /// `∂|A|/∂A` for the factorised `a`.
    fn determinant_gradient(&self, a: &OMatrix<T, D, D>) -> OMatrix<T, D, D>;
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
    fn solve_transposed<C: Dim>(&self, b: &OMatrix<T, D, C>) -> Option<OMatrix<T, D, C>>
    where
        DefaultAllocator: Allocator<D, C>,
    {
        Some(Cholesky::solve(self, b))
    }
    fn determinant(&self) -> T {
        Cholesky::determinant(self)
    }
    /// `A⁻¹ = L⁻ᵀ·L⁻¹`: one triangular solve for `L⁻¹` and one product (nalgebra's
    /// `Cholesky::inverse` solves the identity twice, by `L` and by `Lᵀ`).
    fn inverse(&self) -> Option<OMatrix<T, D, D>> {
        let l = self.l_dirty();
        let mut l_inv = l.clone();
        l_inv.fill_with_identity();
        l.solve_lower_triangular_mut(&mut l_inv);
        Some(l_inv.tr_mul(&l_inv))
    }
    /// `|A|·A⁻¹`, never singular: `A` is positive definite.
    fn determinant_gradient(&self, _a: &OMatrix<T, D, D>) -> OMatrix<T, D, D> {
        let inv = Factors::inverse(self).expect("a positive-definite matrix is invertible");
        inv * Cholesky::determinant(self)
    }
}

impl<T: Scalar, R: Dim, C: Dim, F: Factorisation<T, R, C>> Factored<T, R, C, F>
where
    DefaultAllocator: Allocator<R, C>,
{
    /// The factorisation `factors` of `matrix`.
    pub(crate) fn new(matrix: OMatrix<T, R, C>, factors: F) -> Self {
        Factored {
            matrix,
            factors: Some(factors),
        }
    }

    /// `self += m` for the cotangent `m` of the matrix (symmetrised for a symmetric one).
    pub(crate) fn accumulate(acc: &mut Option<Self>, mut m: OMatrix<T, R, C>) {
        if F::SYMMETRIC {
            symmetrise(&mut m);
        }
        accumulate(acc, Factored::cotangent(m))
    }
}

/// `M ← ½(M + Mᵀ)` for a square `M`.
pub(crate) fn symmetrise<T: Scalar, R: Dim, C: Dim>(m: &mut OMatrix<T, R, C>)
where
    DefaultAllocator: Allocator<R, C>,
{
    assert_eq!(
        m.nrows(),
        m.ncols(),
        "autodiff: symmetrising a matrix that is not square"
    );
    let half: T = nalgebra::convert(0.5);
    for j in 0..m.ncols() {
        for i in j + 1..m.nrows() {
            let s = (m[(i, j)] + m[(j, i)]) * half;
            m[(i, j)] = s;
            m[(j, i)] = s;
        }
    }
}

impl<T: Scalar, R: Dim, C: Dim, F: Clone> Differentiable for Factored<T, R, C, F>
where
    DefaultAllocator: Allocator<R, C>,
{
    type Elem = T;
    fn zeros_like(&self) -> Self {
        Factored::cotangent(self.matrix.zeros_like())
    }
    fn add_assign(&mut self, other: &Self) {
        self.matrix.add_assign(&other.matrix);
    }
    fn axpy(&mut self, a: T, x: &Self) {
        Differentiable::axpy(&mut self.matrix, a, &x.matrix);
    }
    fn scaled(&self, a: T) -> Self {
        Factored::cotangent(self.matrix.scaled(a))
    }
    fn shape(&self) -> (usize, usize) {
        self.matrix.shape()
    }
    fn entry(&self, i: usize) -> T {
        self.matrix.entry(i)
    }
    fn entry_mut(&mut self, i: usize) -> &mut T {
        self.matrix.entry_mut(i)
    }
    fn entries(&self) -> &[T] {
        self.matrix.entries()
    }
    fn entries_mut(&mut self) -> &mut [T] {
        self.matrix.entries_mut()
    }
    fn map_entries(&self, f: impl FnMut(usize, T) -> T) -> Self {
        Factored::cotangent(self.matrix.map_entries(f))
    }
    fn zip_entries(&self, other: &Self, f: impl Fn(T, T) -> T) -> Self {
        Factored::cotangent(self.matrix.zip_entries(&other.matrix, f))
    }
    fn with_entries(&self, entries: Vec<T>) -> Self {
        Factored::cotangent(self.matrix.with_entries(entries))
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
    shape::square("cholesky", a.shape());
    check_symmetric("cholesky", a);
    match Cholesky::new(a.clone()) {
        Some(c) => Factored {
            matrix: a.clone(),
            factors: Some(c),
        },
        None => panic!(
            "autodiff: `cholesky().unwrap()` on a {} matrix that is not positive definite",
            shape::fmt(a.shape())
        ),
    }
}

/// Panics unless `A`, the matrix of the factorisation `op`, is symmetric up to `√ε·max|Aᵢⱼ|`.
#[track_caller]
pub(crate) fn check_symmetric<T: Scalar, D: Dim>(op: &str, a: &OMatrix<T, D, D>)
where
    DefaultAllocator: Allocator<D, D>,
{
    let tol = T::EPSILON.sqrt() * a.amax();
    for j in 0..a.ncols() {
        for i in j + 1..a.nrows() {
            if (a[(i, j)] - a[(j, i)]).abs() > tol {
                panic!(
                    "autodiff: `{op}()` of a {} matrix that is not symmetric: entry ({i}, {j}) is {:e}, \
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

/// `Ā += F̄`: a factorisation's cotangent is its matrix's.
pub(crate) fn pass_matrix<T: Scalar, R: Dim, C: Dim, F>(
    g: &Factored<T, R, C, F>,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>,
{
    accumulate_with(acc, || g.matrix.clone(), |a| *a += &g.matrix)
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
    l.tr_solve_lower_triangular(b)
        .expect("autodiff: a Cholesky factor has a positive diagonal")
}

/// `A⁻¹·B` for a factorised `A`: `c.solve(&b)` and `lu.solve(&b).unwrap()`.
///
/// # Panics
/// If `B` does not have as many rows as `A`, or `A` is singular (as the user's `unwrap`
/// would).
#[track_caller]
pub fn solve<T: Scalar, D: Dim, C: Dim, F: Factors<T, D>>(
    f: &Factored<T, D, D, F>,
    b: &OMatrix<T, D, C>,
) -> OMatrix<T, D, C>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D, C>,
{
    shape::solvable("solve", f.matrix.shape(), b.shape());
    match f.factors().solve(b) {
        Some(x) => x,
        None => panic!(
            "autodiff: `solve(..).unwrap()` with a singular {} matrix",
            shape::fmt(f.matrix.shape())
        ),
    }
}

/// `Ā −= A⁻ᵀ·Ḡ·Xᵀ` for `X = A⁻¹·B` (symmetrised for a Cholesky factorisation).
pub fn solve_pullback_lhs<T: Scalar, D: Dim, C: Dim, F: Factors<T, D>>(
    g: &OMatrix<T, D, C>,
    f: &Factored<T, D, D, F>,
    _b: &OMatrix<T, D, C>,
    x: &OMatrix<T, D, C>,
    acc: &mut Option<Factored<T, D, D, F>>,
) where
    DefaultAllocator: Allocator<D, D> + Allocator<D, C> + Allocator<C, D>,
{
    let u = solve_transposed(f, g);
    Factored::accumulate(acc, -(u * x.transpose()))
}

/// `B̄ += A⁻ᵀ·Ḡ` for `X = A⁻¹·B`.
pub fn solve_pullback_rhs<T: Scalar, D: Dim, C: Dim, F: Factors<T, D>>(
    g: &OMatrix<T, D, C>,
    f: &Factored<T, D, D, F>,
    _b: &OMatrix<T, D, C>,
    _x: &OMatrix<T, D, C>,
    acc: &mut Option<OMatrix<T, D, C>>,
) where
    DefaultAllocator: Allocator<D, D> + Allocator<D, C>,
{
    let u = solve_transposed(f, g);
    accumulate(acc, u)
}

/// `A⁻ᵀ·G` (the forward solve succeeded, so `A` is invertible).
fn solve_transposed<T: Scalar, D: Dim, C: Dim, F: Factors<T, D>>(
    f: &Factored<T, D, D, F>,
    g: &OMatrix<T, D, C>,
) -> OMatrix<T, D, C>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D, C>,
{
    f.factors()
        .solve_transposed(g)
        .expect("autodiff: the factorised matrix was invertible in the forward sweep")
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
    inv *= *g;
    Factored::accumulate(acc, inv)
}

impl<T: Scalar, D: Dim, F: Factors<T, D>> Square<T, D> for Factored<T, D, D, F>
where
    DefaultAllocator: Allocator<D, D>,
{
    fn square_shape(&self) -> (usize, usize) {
        self.matrix.shape()
    }
    fn square_determinant(&self) -> T {
        self.factors().determinant()
    }
    fn determinant_gradient(&self) -> OMatrix<T, D, D> {
        self.factors().determinant_gradient(&self.matrix)
    }
    fn square_inverse(&self) -> Option<OMatrix<T, D, D>> {
        self.factors().inverse()
    }
    fn accumulate_square(acc: &mut Option<Self>, m: OMatrix<T, D, D>) {
        Factored::accumulate(acc, m)
    }
}
