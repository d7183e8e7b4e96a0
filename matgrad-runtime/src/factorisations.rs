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
//! the upper triangle), so [`cholesky`](crate::cholesky::cholesky) panics on a matrix that
//! is not symmetric (up to `√ε` of its largest entry) instead of returning a gradient that
//! would be silently wrong.

#[allow(unused_imports)] // for the documentation's links
use crate::linalg::determinant_pullback;
use crate::linalg::Square;
use crate::shape;
use crate::value::{accumulate, accumulate_with, Dense, Scalar};
#[allow(unused_imports)]
use crate::Differentiable as _;
use nalgebra::{allocator::Allocator, DefaultAllocator, Dim, OMatrix};

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
    pub(crate) matrix: OMatrix<T, R, C>,
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
            .expect("matgrad: a factorisation's cotangent has no factors")
    }

    /// The factorised matrix.
    pub(crate) fn matrix(&self) -> &OMatrix<T, R, C> {
        &self.matrix
    }

    /// The cotangent of a factorisation whose matrix has the cotangent `m`.
    pub(crate) fn cotangent(m: OMatrix<T, R, C>) -> Self {
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
        "matgrad: symmetrising a matrix that is not square"
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

impl<T: Scalar, R: Dim, C: Dim, F: Clone> crate::Differentiable for Factored<T, R, C, F>
where
    DefaultAllocator: Allocator<R, C>,
{
    type Scalar = T;
    fn visit<'a>(&'a self, f: &mut dyn FnMut(crate::Leaf<'a, T>)) {
        self.matrix.visit(f);
    }
    fn visit_mut<'a>(&'a mut self, f: &mut dyn FnMut(crate::LeafMut<'a, T>)) {
        self.matrix.visit_mut(f);
    }
    fn visit_named<'a>(&'a self, path: &mut String, f: &mut dyn FnMut(&str, crate::Leaf<'a, T>)) {
        self.matrix.visit_named(path, f);
    }
    fn zeros_like(&self) -> Self {
        Factored::cotangent(self.matrix.zeros_like())
    }
    fn add_assign(&mut self, other: &Self) {
        crate::Differentiable::add_assign(&mut self.matrix, &other.matrix);
    }
    fn axpy(&mut self, a: T, x: &Self) {
        crate::Differentiable::axpy(&mut self.matrix, a, &x.matrix);
    }
    fn scaled(&self, a: T) -> Self {
        Factored::cotangent(crate::Differentiable::scaled(&self.matrix, a))
    }
}

impl<T: Scalar, R: Dim, C: Dim, F: Clone> Dense for Factored<T, R, C, F>
where
    DefaultAllocator: Allocator<R, C>,
{
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

/// `Ā += F̄`: a factorisation's cotangent is its matrix's.
pub(crate) fn pass_matrix<T: Scalar, R: Dim, C: Dim, F>(
    g: &Factored<T, R, C, F>,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>,
{
    accumulate_with(acc, || g.matrix.clone(), |a| *a += &g.matrix)
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
    match solve_checked(f, b) {
        Some(x) => x,
        None => panic!(
            "matgrad: `solve(..).unwrap()` with a singular {} matrix",
            shape::fmt(f.matrix.shape())
        ),
    }
}

/// `C⁻¹·B`, or `None` where the matrix is singular: the `Option` of `lu.solve(&b)` or
/// `qr.solve(&b)`, for the user's `.expect(msg)`.
///
/// # Panics
/// If `B` has not as many rows as the matrix.
#[track_caller]
pub fn solve_checked<T: Scalar, D: Dim, C: Dim, F: Factors<T, D>>(
    f: &Factored<T, D, D, F>,
    b: &OMatrix<T, D, C>,
) -> Option<OMatrix<T, D, C>>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D, C>,
{
    shape::solvable("solve", f.matrix.shape(), b.shape());
    f.factors().solve(b)
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
    add_solve_matrix_part(f, solve_transposed(f, g), x, acc)
}

/// `Ā −= u·Xᵀ` (symmetrised for a Cholesky factorisation) for `u = A⁻ᵀ·Ḡ`.
fn add_solve_matrix_part<T: Scalar, D: Dim, C: Dim, F: Factors<T, D>>(
    f: &Factored<T, D, D, F>,
    mut u: OMatrix<T, D, C>,
    x: &OMatrix<T, D, C>,
    acc: &mut Option<Factored<T, D, D, F>>,
) where
    DefaultAllocator: Allocator<D, D> + Allocator<D, C> + Allocator<C, D>,
{
    if F::SYMMETRIC {
        // The symmetrised −½(u·xᵀ + x·uᵀ) added to the lower triangle in place (no n×n
        // temporary), then mirrored: the slot is symmetric, as every contribution to a
        // symmetric factorisation's cotangent is symmetrised.
        let (n, k) = x.shape();
        let half: T = nalgebra::convert(0.5);
        let slot = acc.get_or_insert_with(|| {
            let (r, c) = f.matrix.shape_generic();
            Factored::cotangent(OMatrix::zeros_generic(r, c))
        });
        let m = slot.matrix.as_mut_slice();
        crate::dense::add_product_triangle(m, n, -half, u.as_slice(), x.as_slice(), k, true);
        crate::dense::add_product_triangle(m, n, -half, x.as_slice(), u.as_slice(), k, true);
        crate::dense::mirror_lower(m, n);
    } else {
        // Ā += (−u)·xᵀ: a rank-k update of the slot (gemm, xᵀ a strided view), no n×n
        // temporary.
        u.neg_mut();
        let mut m = acc.take().map(|a| a.matrix);
        crate::transposed::acc_nt(&mut m, &u, x);
        *acc = m.map(Factored::cotangent);
    }
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

/// Both pullbacks with one transposed solve: `u = A⁻ᵀ·Ḡ`, `Ā −= u·Xᵀ` (symmetrised for a
/// Cholesky factorisation), `B̄ += u`.
pub fn solve_pullback_both<T: Scalar, D: Dim, C: Dim, F: Factors<T, D>>(
    g: &OMatrix<T, D, C>,
    f: &Factored<T, D, D, F>,
    _b: &OMatrix<T, D, C>,
    x: &OMatrix<T, D, C>,
    acc_f: &mut Option<Factored<T, D, D, F>>,
    acc_b: &mut Option<OMatrix<T, D, C>>,
) where
    DefaultAllocator: Allocator<D, D> + Allocator<D, C> + Allocator<C, D>,
{
    let u = solve_transposed(f, g);
    accumulate_with(acc_b, || u.clone(), |a| *a += &u);
    add_solve_matrix_part(f, u, x, acc_f)
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
        .expect("matgrad: the factorised matrix was invertible in the forward sweep")
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
