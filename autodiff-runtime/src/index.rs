//! Reading one entry: `m[(i, j)]` of a matrix and `v[i]` of a vector.

use crate::value::{accumulate_with, Differentiable, Scalar};
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
            "autodiff: index ({i}, {j}) is out of bounds for a {}×{} matrix",
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
