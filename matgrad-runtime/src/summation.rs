//! Sums and dot products of slices, kept in eight running partial sums: one running sum is a
//! chain of dependent additions (one per four cycles or so), eight independent ones fill the
//! vector units. nalgebra's own `dot` and `norm_squared` do the same.

use crate::value::Scalar;

/// `Σᵢ aᵢ·bᵢ` over two slices of the same length.
#[inline]
pub(crate) fn dot<T: Scalar>(a: &[T], b: &[T]) -> T {
    sum_zip(a, b, |x, y| x * y)
}

/// `Σᵢ f(aᵢ, bᵢ)` over two slices of the same length.
#[inline(always)]
pub(crate) fn sum_zip<T: Scalar>(a: &[T], b: &[T], f: impl Fn(T, T) -> T) -> T {
    debug_assert_eq!(a.len(), b.len());
    let mut acc = [T::zero(); 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += f(x[k], y[k]);
        }
    }
    let mut s = fold(acc);
    for (x, y) in ra.iter().zip(rb) {
        s += f(*x, *y);
    }
    s
}

/// `Σᵢ aᵢ`.
#[inline]
pub(crate) fn sum<T: Scalar>(a: &[T]) -> T {
    let mut acc = [T::zero(); 8];
    let chunks = a.chunks_exact(8);
    let rest = chunks.remainder();
    for x in chunks {
        for k in 0..8 {
            acc[k] += x[k];
        }
    }
    let mut s = fold(acc);
    for x in rest {
        s += *x;
    }
    s
}

/// The eight partial sums added pairwise.
#[inline(always)]
fn fold<T: Scalar>(a: [T; 8]) -> T {
    ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]))
}
