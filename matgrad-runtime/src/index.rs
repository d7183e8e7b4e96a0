//! Reading one entry: `m[(i, j)]` of a matrix and `v[i]` of a vector.

use crate::value::{accumulate_with, Scalar};
#[allow(unused_imports)]
use crate::Differentiable as _;
use nalgebra::{allocator::Allocator, DefaultAllocator, Dim, OMatrix};

/// An index into a matrix: `(row, column)` or a linear index in storage order.
pub trait MatrixIndex: Copy {
    /// The `(row, column)` position in a matrix with `nrows` rows.
    fn position(self, nrows: usize) -> (usize, usize);
}

impl MatrixIndex for (usize, usize) {
    #[inline]
    fn position(self, _nrows: usize) -> (usize, usize) {
        self
    }
}

impl MatrixIndex for usize {
    #[inline]
    fn position(self, nrows: usize) -> (usize, usize) {
        (self % nrows.max(1), self / nrows.max(1))
    }
}

/// `X[idx]`.
///
/// # Panics
/// If the index is out of bounds.
#[inline]
#[track_caller]
pub fn index<T: Scalar, R: Dim, C: Dim, I: MatrixIndex>(x: &OMatrix<T, R, C>, idx: I) -> T
where
    DefaultAllocator: Allocator<R, C>,
{
    let (i, j) = idx.position(x.nrows());
    match x.get((i, j)) {
        Some(v) => *v,
        None => panic!(
            "matgrad: index ({i}, {j}) is out of bounds for a {}×{} matrix",
            x.nrows(),
            x.ncols()
        ),
    }
}

/// `X̄[idx] += ḡ` for `y = X[idx]`.
#[inline]
pub fn index_pullback<T: Scalar, R: Dim, C: Dim, I: MatrixIndex>(
    g: &T,
    x: &OMatrix<T, R, C>,
    idx: I,
    _y: &T,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>,
{
    let pos = idx.position(x.nrows());
    accumulate_with(
        acc,
        || {
            let mut a = x.zeros_like();
            a[pos] = *g;
            a
        },
        |a| a[pos] += *g,
    )
}

/// `X[:, j]`, column `j` as an owned vector.
///
/// # Panics
/// If `j` is out of bounds.
#[inline]
#[track_caller]
pub fn column<T: Scalar, R: Dim, C: Dim>(x: &OMatrix<T, R, C>, j: usize) -> nalgebra::OVector<T, R>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R>,
{
    if j >= x.ncols() {
        panic!(
            "matgrad: column {j} is out of bounds for a {}×{} matrix",
            x.nrows(),
            x.ncols()
        );
    }
    x.column(j).into_owned()
}

/// `X̄[:, j] += ḡ` for `y = X[:, j]`.
#[inline]
pub fn column_pullback<T: Scalar, R: Dim, C: Dim>(
    g: &nalgebra::OVector<T, R>,
    x: &OMatrix<T, R, C>,
    j: usize,
    _y: &nalgebra::OVector<T, R>,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C> + Allocator<R>,
{
    accumulate_with(
        acc,
        || {
            let mut a = x.zeros_like();
            a.column_mut(j).copy_from(g);
            a
        },
        |a| {
            let mut c = a.column_mut(j);
            c += g;
        },
    )
}

/// `X[i, :]`, row `i` as an owned row vector.
///
/// # Panics
/// If `i` is out of bounds.
#[inline]
#[track_caller]
pub fn row<T: Scalar, R: Dim, C: Dim>(x: &OMatrix<T, R, C>, i: usize) -> OMatrix<T, nalgebra::U1, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<nalgebra::U1, C>,
{
    if i >= x.nrows() {
        panic!(
            "matgrad: row {i} is out of bounds for a {}×{} matrix",
            x.nrows(),
            x.ncols()
        );
    }
    x.row(i).into_owned()
}

/// `X̄[i, :] += ḡ` for `y = X[i, :]`.
#[inline]
pub fn row_pullback<T: Scalar, R: Dim, C: Dim>(
    g: &OMatrix<T, nalgebra::U1, C>,
    x: &OMatrix<T, R, C>,
    i: usize,
    _y: &OMatrix<T, nalgebra::U1, C>,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C> + Allocator<nalgebra::U1, C>,
{
    accumulate_with(
        acc,
        || {
            let mut a = x.zeros_like();
            a.row_mut(i).copy_from(g);
            a
        },
        |a| {
            let mut r = a.row_mut(i);
            r += g;
        },
    )
}
