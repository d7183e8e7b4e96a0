//! Blocks of a matrix, as owned values: `x.rows(i, n)`, `x.columns(j, n)`,
//! `x.view((i, j), (r, c))` and `x.diagonal()`, and the diagonal matrix
//! `DMatrix::from_diagonal(&v)`.
//!
//! nalgebra's `rows`, `columns` and `view` return views that borrow `x`; the generated code
//! computes owned copies, which every operation reads alike. Each pullback adds the block's
//! cotangent into the block of `x̄` it came from.

use crate::shape;
use crate::value::{accumulate, accumulate_with, Dense, Scalar};
#[allow(unused_imports)]
use crate::Differentiable as _;
use nalgebra::{allocator::Allocator, DefaultAllocator, Dim, Dyn, OMatrix, OVector};

/// Panics unless the `rows`×`cols` block at `(i, j)` lies in a matrix of shape `shape`.
#[track_caller]
fn check_block(
    op: &str,
    shape: (usize, usize),
    (i, j): (usize, usize),
    (rows, cols): (usize, usize),
) {
    if i + rows > shape.0 || j + cols > shape.1 {
        panic!(
            "matgrad: `{op}` asks for a {} block at ({i}, {j}) of a {} matrix: it is out of bounds",
            shape::fmt((rows, cols)),
            shape::fmt(shape)
        );
    }
}

/// The `r×c` block at `(i, j)` of `X`, owned.
fn block<T: Scalar, R: Dim, C: Dim>(
    x: &OMatrix<T, R, C>,
    start: (usize, usize),
    size: (usize, usize),
) -> OMatrix<T, Dyn, Dyn>
where
    DefaultAllocator: Allocator<R, C>,
{
    OMatrix::<T, Dyn, Dyn>::from_fn(size.0, size.1, |a, b| x[(start.0 + a, start.1 + b)])
}

/// `X̄[block] += Ḡ` for the `Ḡ`-shaped block at `(i, j)`.
fn add_block<T: Scalar, R: Dim, C: Dim, V: Dense<Scalar = T>>(
    g: &V,
    x: &OMatrix<T, R, C>,
    (i, j): (usize, usize),
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>,
{
    let (rows, cols) = g.shape();
    let add = |a: &mut OMatrix<T, R, C>| {
        for b in 0..cols {
            for r in 0..rows {
                a[(i + r, j + b)] += g.entry(r + b * rows);
            }
        }
    };
    accumulate_with(
        acc,
        || {
            let mut a = x.zeros_like();
            add(&mut a);
            a
        },
        add,
    )
}

/// `X̄ += Ḡ`'s `X`-shaped block at `(i, j)`: the pullback of one operand of an assembly.
fn add_part<T: Scalar, R: Dim, C: Dim, G: std::ops::Index<(usize, usize), Output = T>>(
    g: &G,
    x: &OMatrix<T, R, C>,
    (i, j): (usize, usize),
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>,
{
    let r = x.nrows();
    accumulate(acc, x.map_entries(|s, _| g[(i + s % r, j + s / r)]))
}

/// Rows `i..i + n` of `X`: `x.rows(i, n)`.
///
/// # Panics
/// If they are not all rows of `X`.
#[track_caller]
pub fn rows<T: Scalar, R: Dim, C: Dim>(
    x: &OMatrix<T, R, C>,
    i: usize,
    n: usize,
) -> OMatrix<T, Dyn, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<Dyn, C>,
{
    check_block("rows", x.shape(), (i, 0), (n, x.ncols()));
    x.rows(i, n).into_owned()
}

/// `X̄[i..i + n, :] += Ḡ`.
pub fn rows_pullback<T: Scalar, R: Dim, C: Dim>(
    g: &OMatrix<T, Dyn, C>,
    x: &OMatrix<T, R, C>,
    i: usize,
    _n: usize,
    _y: &OMatrix<T, Dyn, C>,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C> + Allocator<Dyn, C>,
{
    add_block(g, x, (i, 0), acc)
}

/// Columns `j..j + n` of `X`: `x.columns(j, n)`.
///
/// # Panics
/// If they are not all columns of `X`.
#[track_caller]
pub fn columns<T: Scalar, R: Dim, C: Dim>(
    x: &OMatrix<T, R, C>,
    j: usize,
    n: usize,
) -> OMatrix<T, R, Dyn>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R, Dyn>,
{
    check_block("columns", x.shape(), (0, j), (x.nrows(), n));
    x.columns(j, n).into_owned()
}

/// `X̄[:, j..j + n] += Ḡ`.
pub fn columns_pullback<T: Scalar, R: Dim, C: Dim>(
    g: &OMatrix<T, R, Dyn>,
    x: &OMatrix<T, R, C>,
    j: usize,
    _n: usize,
    _y: &OMatrix<T, R, Dyn>,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C> + Allocator<R, Dyn>,
{
    add_block(g, x, (0, j), acc)
}

/// The `r×c` block at `(i, j)`: `x.view((i, j), (r, c))`.
///
/// # Panics
/// If the block is not inside `X`.
#[track_caller]
pub fn view<T: Scalar, R: Dim, C: Dim>(
    x: &OMatrix<T, R, C>,
    start: (usize, usize),
    size: (usize, usize),
) -> OMatrix<T, Dyn, Dyn>
where
    DefaultAllocator: Allocator<R, C>,
{
    check_block("view", x.shape(), start, size);
    block(x, start, size)
}

/// `X̄[i..i + r, j..j + c] += Ḡ`.
pub fn view_pullback<T: Scalar, R: Dim, C: Dim>(
    g: &OMatrix<T, Dyn, Dyn>,
    x: &OMatrix<T, R, C>,
    start: (usize, usize),
    _size: (usize, usize),
    _y: &OMatrix<T, Dyn, Dyn>,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C> + Allocator<Dyn, Dyn>,
{
    add_block(g, x, start, acc)
}

/// The diagonal `(X₀₀, X₁₁, …)` of a square `X` as a column: `x.diagonal()`.
///
/// # Panics
/// If `X` is not square.
#[track_caller]
pub fn diagonal<T: Scalar, D: Dim>(x: &OMatrix<T, D, D>) -> OVector<T, D>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    shape::square("diagonal", x.shape());
    x.diagonal()
}

/// `X̄ᵢᵢ += ḡᵢ`.
pub fn diagonal_pullback<T: Scalar, D: Dim>(
    g: &OVector<T, D>,
    x: &OMatrix<T, D, D>,
    _y: &OVector<T, D>,
    acc: &mut Option<OMatrix<T, D, D>>,
) where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    let add = |a: &mut OMatrix<T, D, D>| {
        for (k, v) in g.iter().enumerate() {
            a[(k, k)] += *v;
        }
    };
    accumulate_with(
        acc,
        || {
            let mut a = x.zeros_like();
            add(&mut a);
            a
        },
        add,
    )
}

/// The square matrix with `v` on its diagonal: `DMatrix::from_diagonal(&v)`.
pub fn from_diagonal<T: Scalar, D: Dim>(v: &OVector<T, D>) -> OMatrix<T, D, D>
where
    DefaultAllocator: Allocator<D> + Allocator<D, D>,
{
    OMatrix::from_diagonal(v)
}

/// `v̄ᵢ += Ḡᵢᵢ`.
pub fn from_diagonal_pullback<T: Scalar, D: Dim>(
    g: &OMatrix<T, D, D>,
    _v: &OVector<T, D>,
    _y: &OMatrix<T, D, D>,
    acc: &mut Option<OVector<T, D>>,
) where
    DefaultAllocator: Allocator<D> + Allocator<D, D>,
{
    let d = g.diagonal();
    accumulate(acc, d)
}

/// `[A B]`, the columns of `B` after those of `A`: `Type::from_columns(&[a, b, ..])` folds
/// into it from the left.
///
/// # Panics
/// If `A` and `B` have different numbers of rows.
#[track_caller]
pub fn hstack<T: Scalar, R: Dim, C1: Dim, C2: Dim>(
    a: &OMatrix<T, R, C1>,
    b: &OMatrix<T, R, C2>,
) -> OMatrix<T, R, Dyn>
where
    DefaultAllocator: Allocator<R, C1> + Allocator<R, C2> + Allocator<R, Dyn>,
{
    if a.nrows() != b.nrows() {
        panic!(
            "matgrad: `from_columns` (or a row of `stack!`) needs blocks of as many rows, got a {} block and a {} one",
            shape::fmt(a.shape()),
            shape::fmt(b.shape())
        );
    }
    let c1 = a.ncols();
    OMatrix::from_fn_generic(a.shape_generic().0, Dyn(c1 + b.ncols()), |i, j| {
        if j < c1 {
            a[(i, j)]
        } else {
            b[(i, j - c1)]
        }
    })
}

/// `Ā += Ḡ[:, ..a's columns]`.
pub fn hstack_pullback_lhs<T: Scalar, R: Dim, C1: Dim, C2: Dim>(
    g: &OMatrix<T, R, Dyn>,
    a: &OMatrix<T, R, C1>,
    _b: &OMatrix<T, R, C2>,
    acc: &mut Option<OMatrix<T, R, C1>>,
) where
    DefaultAllocator: Allocator<R, C1> + Allocator<R, C2> + Allocator<R, Dyn>,
{
    add_part(g, a, (0, 0), acc)
}

/// `B̄ += Ḡ[:, a's columns..]`.
pub fn hstack_pullback_rhs<T: Scalar, R: Dim, C1: Dim, C2: Dim>(
    g: &OMatrix<T, R, Dyn>,
    a: &OMatrix<T, R, C1>,
    b: &OMatrix<T, R, C2>,
    acc: &mut Option<OMatrix<T, R, C2>>,
) where
    DefaultAllocator: Allocator<R, C1> + Allocator<R, C2> + Allocator<R, Dyn>,
{
    add_part(g, b, (0, a.ncols()), acc)
}

/// `[A; B]`, the rows of `B` under those of `A`: `Type::from_rows(&[a, b, ..])` folds into it
/// from the left.
///
/// # Panics
/// If `A` and `B` have different numbers of columns.
#[track_caller]
pub fn vstack<T: Scalar, R1: Dim, R2: Dim, C: Dim>(
    a: &OMatrix<T, R1, C>,
    b: &OMatrix<T, R2, C>,
) -> OMatrix<T, Dyn, C>
where
    DefaultAllocator: Allocator<R1, C> + Allocator<R2, C> + Allocator<Dyn, C>,
{
    if a.ncols() != b.ncols() {
        panic!(
            "matgrad: `from_rows` (or the rows of `stack!`) needs blocks of as many columns, got a {} block and a {} one",
            shape::fmt(a.shape()),
            shape::fmt(b.shape())
        );
    }
    let r1 = a.nrows();
    OMatrix::from_fn_generic(Dyn(r1 + b.nrows()), a.shape_generic().1, |i, j| {
        if i < r1 {
            a[(i, j)]
        } else {
            b[(i - r1, j)]
        }
    })
}

/// `Ā += Ḡ[..a's rows, :]`.
pub fn vstack_pullback_lhs<T: Scalar, R1: Dim, R2: Dim, C: Dim>(
    g: &OMatrix<T, Dyn, C>,
    a: &OMatrix<T, R1, C>,
    _b: &OMatrix<T, R2, C>,
    acc: &mut Option<OMatrix<T, R1, C>>,
) where
    DefaultAllocator: Allocator<R1, C> + Allocator<R2, C> + Allocator<Dyn, C>,
{
    add_part(g, a, (0, 0), acc)
}

/// `B̄ += Ḡ[a's rows.., :]`.
pub fn vstack_pullback_rhs<T: Scalar, R1: Dim, R2: Dim, C: Dim>(
    g: &OMatrix<T, Dyn, C>,
    a: &OMatrix<T, R1, C>,
    b: &OMatrix<T, R2, C>,
    acc: &mut Option<OMatrix<T, R2, C>>,
) where
    DefaultAllocator: Allocator<R1, C> + Allocator<R2, C> + Allocator<Dyn, C>,
{
    add_part(g, b, (a.nrows(), 0), acc)
}

/// `X̄[i..i + N, :] += Ḡ` for `y = x.fixed_rows::<N>(i)` (the forward value is the user's
/// view, owned).
pub fn fixed_rows_pullback<T: Scalar, R: Dim, C: Dim, V: Dense<Scalar = T>>(
    g: &V,
    x: &OMatrix<T, R, C>,
    i: usize,
    _y: &V,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>,
{
    add_block(g, x, (i, 0), acc)
}

/// `X̄[:, j..j + N] += Ḡ` for `y = x.fixed_columns::<N>(j)`.
pub fn fixed_columns_pullback<T: Scalar, R: Dim, C: Dim, V: Dense<Scalar = T>>(
    g: &V,
    x: &OMatrix<T, R, C>,
    j: usize,
    _y: &V,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>,
{
    add_block(g, x, (0, j), acc)
}

/// `X̄[i..i + R, j..j + C] += Ḡ` for `y = x.fixed_view::<R, C>(i, j)`.
pub fn fixed_view_pullback<T: Scalar, R: Dim, C: Dim, V: Dense<Scalar = T>>(
    g: &V,
    x: &OMatrix<T, R, C>,
    i: usize,
    j: usize,
    _y: &V,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>,
{
    add_block(g, x, (i, j), acc)
}
