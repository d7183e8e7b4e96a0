//! Broadcasting, which nalgebra does not have: a `1×n` row applied to every row of an `m×n`
//! matrix, or an `m×1` column applied to every column, with `+`, `-`, `⊙` and `⊘`.
//!
//! Users call the methods of [`Broadcast`] in their primal code (`x.broadcast_sub(&mu)`);
//! `#[grad]` lowers them to the free functions [`broadcast_add`], [`broadcast_sub`],
//! [`broadcast_mul`] and [`broadcast_div`] and their pullbacks. The pullback with respect to
//! the broadcast operand sums the contributions of every row (or column) it was applied to.

use crate::shape;
use crate::value::{accumulate_with, Differentiable, Scalar};
use nalgebra::{allocator::Allocator, Const, DefaultAllocator, Dim, Dyn, OMatrix, OVector, U1};

/// Element-wise `+`, `-`, `⊙`, `⊘` of a matrix with a row or a column vector broadcast over it.
///
/// With `Rhs` a row vector (`1×n`, such as `RowDVector<T>`), the row is applied to every row
/// of the `m×n` matrix: `yᵢⱼ = xᵢⱼ ∘ rⱼ`. With `Rhs` a column vector (`m×1`, such as
/// `DVector<T>`), the column is applied to every column: `yᵢⱼ = xᵢⱼ ∘ rᵢ`. The result has the
/// matrix's shape and type.
///
/// Implemented for every owned nalgebra matrix with a row vector, and with a column vector
/// when at least one of the matrix's dimensions is dynamic (so for `DMatrix<T>` with both
/// `RowDVector<T>` and `DVector<T>`). `#[grad]` differentiates these methods with respect to
/// both operands.
///
/// # Panics
/// If the vector's length does not match the matrix: a row needs as many columns as the
/// matrix, a column as many rows. The message names the operation and both shapes.
///
/// # Example
///
/// Standardising the columns of a data matrix (one sample per row):
///
/// ```
/// use autodiff_runtime::Broadcast;
/// use nalgebra::{dmatrix, dvector, RowDVector};
///
/// let x = dmatrix![1.0, 10.0;
///                  3.0, 30.0];
/// let mu: RowDVector<f64> = x.row_mean(); // [2, 20], the mean of each column
/// let sd = x.row_variance().map(f64::sqrt); // [1, 10]
/// let z = x.broadcast_sub(&mu).broadcast_div(&sd);
/// assert_eq!(z, dmatrix![-1.0, -1.0;
///                         1.0,  1.0]);
///
/// // A column applies to every column instead: here it scales each row.
/// let w = dvector![2.0, 0.5];
/// assert_eq!(x.broadcast_mul(&w), dmatrix![2.0, 20.0;
///                                          1.5, 15.0]);
/// ```
pub trait Broadcast<Rhs>: Differentiable
where
    Rhs: Differentiable<Elem = Self::Elem>,
{
    /// `self + rhs`, with `rhs` applied to every row (a row vector) or column (a column vector).
    ///
    /// # Panics
    /// If the shapes do not fit.
    #[track_caller]
    fn broadcast_add(&self, rhs: &Rhs) -> Self {
        zip("broadcast_add", self, rhs, |a, b| a + b)
    }

    /// `self - rhs`, with `rhs` applied to every row (a row vector) or column (a column vector).
    ///
    /// # Panics
    /// If the shapes do not fit.
    #[track_caller]
    fn broadcast_sub(&self, rhs: &Rhs) -> Self {
        zip("broadcast_sub", self, rhs, |a, b| a - b)
    }

    /// `self ⊙ rhs` (entry by entry), with `rhs` applied to every row (a row vector) or column
    /// (a column vector).
    ///
    /// # Panics
    /// If the shapes do not fit.
    #[track_caller]
    fn broadcast_mul(&self, rhs: &Rhs) -> Self {
        zip("broadcast_mul", self, rhs, |a, b| a * b)
    }

    /// `self ⊘ rhs` (entry by entry), with `rhs` applied to every row (a row vector) or column
    /// (a column vector).
    ///
    /// # Panics
    /// If the shapes do not fit.
    #[track_caller]
    fn broadcast_div(&self, rhs: &Rhs) -> Self {
        zip("broadcast_div", self, rhs, |a, b| a / b)
    }

    /// Panics, naming `op` and both shapes, unless `rhs` can be broadcast over `self`.
    #[doc(hidden)]
    #[track_caller]
    fn broadcast_check(&self, rhs: &Rhs, op: &str);

    /// Whether the operand is a row applied to every row (its entry `j` meets column `j`),
    /// rather than a column applied to every column (its entry `i` meets row `i`).
    #[doc(hidden)]
    fn broadcast_rows(&self) -> bool;
}

/// Calls `f(oₛ, aₛ, r_k(s))` for every entry `s` of `out` (storage order, `m` rows) with the
/// entry `k(s)` of the broadcast operand `r` it meets: column `j` meets `r[j]` (`rows`) or
/// entry `i` meets `r[i]`. Column by column over slices, so the loops vectorise.
#[inline(always)]
fn zip_columns<T: Scalar>(
    rows: bool,
    m: usize,
    out: &mut [T],
    a: &[T],
    r: &[T],
    f: impl Fn(&mut T, T, T),
) {
    if m == 0 {
        return;
    }
    for (j, (oc, ac)) in out.chunks_exact_mut(m).zip(a.chunks_exact(m)).enumerate() {
        if rows {
            let rj = r[j];
            for (o, x) in oc.iter_mut().zip(ac) {
                f(o, *x, rj);
            }
        } else {
            for ((o, x), ri) in oc.iter_mut().zip(ac).zip(r) {
                f(o, *x, *ri);
            }
        }
    }
}

/// `oₛ = f(oₛ, lₛ, r_k(s))` (`out` holds ḡ) or `oₛ += f(ḡₛ, lₛ, r_k(s))`, for the pullbacks
/// to the matrix operand.
#[inline(always)]
fn pull_columns<T: Scalar>(
    rows: bool,
    m: usize,
    out: &mut [T],
    g: Option<&[T]>,
    l: &[T],
    r: &[T],
    f: impl Fn(T, T, T) -> T,
) {
    match g {
        None => zip_columns(rows, m, out, l, r, |o, l, r| *o = f(*o, l, r)),
        Some(g) => {
            if m == 0 {
                return;
            }
            for (j, ((oc, gc), lc)) in out
                .chunks_exact_mut(m)
                .zip(g.chunks_exact(m))
                .zip(l.chunks_exact(m))
                .enumerate()
            {
                if rows {
                    let rj = r[j];
                    for ((o, gi), li) in oc.iter_mut().zip(gc).zip(lc) {
                        *o += f(*gi, *li, rj);
                    }
                } else {
                    for (((o, gi), li), ri) in oc.iter_mut().zip(gc).zip(lc).zip(r) {
                        *o += f(*gi, *li, *ri);
                    }
                }
            }
        }
    }
}

/// A row applied to every row: `yᵢⱼ = xᵢⱼ ∘ rⱼ`.
impl<T: Scalar, R: Dim, C: Dim> Broadcast<OMatrix<T, U1, C>> for OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<U1, C>,
{
    #[inline]
    #[track_caller]
    fn broadcast_check(&self, rhs: &OMatrix<T, U1, C>, op: &str) {
        shape::broadcastable(op, "row", self.shape(), rhs.shape())
    }
    #[inline]
    fn broadcast_rows(&self) -> bool {
        true
    }
}

/// A column applied to every column, `yᵢⱼ = xᵢⱼ ∘ rᵢ`, for matrices with a dynamic number of
/// columns (`DMatrix`, `OMatrix<T, U3, Dyn>`, ...).
impl<T: Scalar, R: Dim> Broadcast<OVector<T, R>> for OMatrix<T, R, Dyn>
where
    DefaultAllocator: Allocator<R, Dyn> + Allocator<R>,
{
    #[inline]
    #[track_caller]
    fn broadcast_check(&self, rhs: &OVector<T, R>, op: &str) {
        shape::broadcastable(op, "column", self.shape(), rhs.shape())
    }
    #[inline]
    fn broadcast_rows(&self) -> bool {
        false
    }
}

/// A column applied to every column, `yᵢⱼ = xᵢⱼ ∘ rᵢ`, for matrices with a dynamic number of
/// rows and a static number of columns (`OMatrix<T, Dyn, U3>`, ...).
///
/// (A matrix with both dimensions static has no column broadcast: with one row and one column
/// its row and column vectors are the same type, and the two rules would overlap.)
impl<T: Scalar, const N: usize> Broadcast<OVector<T, Dyn>> for OMatrix<T, Dyn, Const<N>>
where
    DefaultAllocator: Allocator<Dyn, Const<N>> + Allocator<Dyn>,
{
    #[inline]
    #[track_caller]
    fn broadcast_check(&self, rhs: &OVector<T, Dyn>, op: &str) {
        shape::broadcastable(op, "column", self.shape(), rhs.shape())
    }
    #[inline]
    fn broadcast_rows(&self) -> bool {
        false
    }
}

/// `yₛ = f(lₛ, r_k(s))` for every entry `s` of `l`.
#[inline]
#[track_caller]
fn zip<L, R>(op: &str, l: &L, r: &R, f: impl Fn(L::Elem, L::Elem) -> L::Elem) -> L
where
    L: Broadcast<R>,
    R: Differentiable<Elem = L::Elem>,
{
    l.broadcast_check(r, op);
    let (rows, m) = (l.broadcast_rows(), l.shape().0);
    let rs = r.entries();
    let mut out = Vec::with_capacity(l.len());
    if m > 0 {
        for (j, col) in l.entries().chunks_exact(m).enumerate() {
            if rows {
                let rj = rs[j];
                out.extend(col.iter().map(|x| f(*x, rj)));
            } else {
                out.extend(col.iter().zip(rs).map(|(x, ri)| f(*x, *ri)));
            }
        }
    }
    l.with_entries(out)
}

/// [`zip`] reusing `l`'s buffer.
#[inline]
#[track_caller]
fn zip_reuse_lhs<L, R>(op: &str, mut l: L, r: &R, f: impl Fn(L::Elem, L::Elem) -> L::Elem) -> L
where
    L: Broadcast<R>,
    R: Differentiable<Elem = L::Elem>,
{
    l.broadcast_check(r, op);
    let (rows, m) = (l.broadcast_rows(), l.shape().0);
    let ys = l.entries_mut();
    if m > 0 {
        for (j, col) in ys.chunks_exact_mut(m).enumerate() {
            if rows {
                let rj = r.entries()[j];
                col.iter_mut().for_each(|y| *y = f(*y, rj));
            } else {
                for (y, ri) in col.iter_mut().zip(r.entries()) {
                    *y = f(*y, *ri);
                }
            }
        }
    }
    l
}

/// `l̄ₛ += f(ḡₛ, lₛ, r_k(s))` for every entry `s` of `l`.
#[inline]
#[track_caller]
fn pull_lhs<L, R>(
    op: &str,
    g: &L,
    l: &L,
    r: &R,
    acc: &mut Option<L>,
    f: impl Fn(L::Elem, L::Elem, L::Elem) -> L::Elem,
) where
    L: Broadcast<R>,
    R: Differentiable<Elem = L::Elem>,
{
    l.broadcast_check(r, op);
    shape::same(op, g.shape(), l.shape());
    let (gs, ls, rs) = (g.entries(), l.entries(), r.entries());
    let (rows, m) = (l.broadcast_rows(), l.shape().0);
    accumulate_with(
        acc,
        || {
            let mut out = Vec::with_capacity(l.len());
            if m > 0 {
                let columns = gs.chunks_exact(m).zip(ls.chunks_exact(m));
                for (j, (gc, lc)) in columns.enumerate() {
                    if rows {
                        let rj = rs[j];
                        out.extend(gc.iter().zip(lc).map(|(g, l)| f(*g, *l, rj)));
                    } else {
                        let terms = gc.iter().zip(lc).zip(rs);
                        out.extend(terms.map(|((g, l), r)| f(*g, *l, *r)));
                    }
                }
            }
            l.with_entries(out)
        },
        |a| {
            shape::same(op, a.shape(), l.shape());
            pull_columns(rows, m, a.entries_mut(), Some(gs), ls, rs, &f);
        },
    )
}

/// `r̄ₖ += Σ_{s: k(s) = k} f(ḡₛ, lₛ, rₖ)`: the contributions of every row (or column) the
/// operand was applied to, summed.
#[inline]
#[track_caller]
fn pull_rhs<L, R>(
    op: &str,
    g: &L,
    l: &L,
    r: &R,
    acc: &mut Option<R>,
    f: impl Fn(L::Elem, L::Elem, L::Elem) -> L::Elem,
) where
    L: Broadcast<R>,
    R: Differentiable<Elem = L::Elem>,
{
    l.broadcast_check(r, op);
    shape::same(op, g.shape(), l.shape());
    let (gs, ls, rs) = (g.entries(), l.entries(), r.entries());
    let (m, n) = l.shape();
    let bump = |a: &mut R| {
        shape::same(op, a.shape(), r.shape());
        let out = a.entries_mut();
        if m == 0 {
            return;
        }
        let columns = gs.chunks_exact(m).zip(ls.chunks_exact(m));
        if l.broadcast_rows() {
            // Entry j sums column j: eight partial sums, not one chain of additions.
            for (j, (gc, lc)) in columns.enumerate().take(n) {
                let rj = rs[j];
                out[j] += crate::summation::sum_zip(gc, lc, |g, l| f(g, l, rj));
            }
        } else {
            // Entry i gathers row i: one column at a time, added to all of them at once.
            for (gc, lc) in columns {
                for (((o, gi), li), ri) in out.iter_mut().zip(gc).zip(lc).zip(rs) {
                    *o += f(*gi, *li, *ri);
                }
            }
        }
    };
    accumulate_with(
        acc,
        || {
            let mut a = r.zeros_like();
            bump(&mut a);
            a
        },
        bump,
    )
}

// ---------------------------------------------------------------- add

/// `l + r` with the row or column `r` broadcast over the matrix `l`: see [`Broadcast`].
///
/// # Panics
/// If the shapes do not fit.
#[inline]
#[track_caller]
pub fn broadcast_add<L, R>(lhs: &L, rhs: &R) -> L
where
    L: Broadcast<R>,
    R: Differentiable<Elem = L::Elem>,
{
    lhs.broadcast_add(rhs)
}

/// `l̄ += ḡ` for `y = l + r` (broadcast).
#[inline]
#[track_caller]
pub fn broadcast_add_pullback_lhs<L, R>(g: &L, lhs: &L, rhs: &R, acc: &mut Option<L>)
where
    L: Broadcast<R>,
    R: Differentiable<Elem = L::Elem>,
{
    pull_lhs("broadcast_add", g, lhs, rhs, acc, |g, _, _| g)
}

/// `r̄ += Σ ḡ` over the broadcast axis for `y = l + r` (broadcast): for a row `r`, the sum of
/// the rows of `ḡ`; for a column, the sum of its columns.
#[inline]
#[track_caller]
pub fn broadcast_add_pullback_rhs<L, R>(g: &L, lhs: &L, rhs: &R, acc: &mut Option<R>)
where
    L: Broadcast<R>,
    R: Differentiable<Elem = L::Elem>,
{
    pull_rhs("broadcast_add", g, lhs, rhs, acc, |g, _, _| g)
}

// ---------------------------------------------------------------- sub

/// `l - r` with the row or column `r` broadcast over the matrix `l`: see [`Broadcast`].
///
/// # Panics
/// If the shapes do not fit.
#[inline]
#[track_caller]
pub fn broadcast_sub<L, R>(lhs: &L, rhs: &R) -> L
where
    L: Broadcast<R>,
    R: Differentiable<Elem = L::Elem>,
{
    lhs.broadcast_sub(rhs)
}

/// `l̄ += ḡ` for `y = l - r` (broadcast).
#[inline]
#[track_caller]
pub fn broadcast_sub_pullback_lhs<L, R>(g: &L, lhs: &L, rhs: &R, acc: &mut Option<L>)
where
    L: Broadcast<R>,
    R: Differentiable<Elem = L::Elem>,
{
    pull_lhs("broadcast_sub", g, lhs, rhs, acc, |g, _, _| g)
}

/// `r̄ -= Σ ḡ` over the broadcast axis for `y = l - r` (broadcast).
#[inline]
#[track_caller]
pub fn broadcast_sub_pullback_rhs<L, R>(g: &L, lhs: &L, rhs: &R, acc: &mut Option<R>)
where
    L: Broadcast<R>,
    R: Differentiable<Elem = L::Elem>,
{
    pull_rhs("broadcast_sub", g, lhs, rhs, acc, |g, _, _| -g)
}

// ---------------------------------------------------------------- mul

/// `l ⊙ r` (entry by entry) with the row or column `r` broadcast over the matrix `l`: see
/// [`Broadcast`].
///
/// # Panics
/// If the shapes do not fit.
#[inline]
#[track_caller]
pub fn broadcast_mul<L, R>(lhs: &L, rhs: &R) -> L
where
    L: Broadcast<R>,
    R: Differentiable<Elem = L::Elem>,
{
    lhs.broadcast_mul(rhs)
}

/// `l̄ += ḡ ⊙ r` (`r` broadcast) for `y = l ⊙ r` (broadcast).
#[inline]
#[track_caller]
pub fn broadcast_mul_pullback_lhs<L, R>(g: &L, lhs: &L, rhs: &R, acc: &mut Option<L>)
where
    L: Broadcast<R>,
    R: Differentiable<Elem = L::Elem>,
{
    pull_lhs("broadcast_mul", g, lhs, rhs, acc, |g, _, r| g * r)
}

/// `r̄ += Σ ḡ ⊙ l` over the broadcast axis for `y = l ⊙ r` (broadcast).
#[inline]
#[track_caller]
pub fn broadcast_mul_pullback_rhs<L, R>(g: &L, lhs: &L, rhs: &R, acc: &mut Option<R>)
where
    L: Broadcast<R>,
    R: Differentiable<Elem = L::Elem>,
{
    pull_rhs("broadcast_mul", g, lhs, rhs, acc, |g, l, _| g * l)
}

// ---------------------------------------------------------------- div

/// `l ⊘ r` (entry by entry) with the row or column `r` broadcast over the matrix `l`: see
/// [`Broadcast`].
///
/// # Panics
/// If the shapes do not fit.
#[inline]
#[track_caller]
pub fn broadcast_div<L, R>(lhs: &L, rhs: &R) -> L
where
    L: Broadcast<R>,
    R: Differentiable<Elem = L::Elem>,
{
    lhs.broadcast_div(rhs)
}

/// `l̄ += ḡ ⊘ r` (`r` broadcast) for `y = l ⊘ r` (broadcast).
#[inline]
#[track_caller]
pub fn broadcast_div_pullback_lhs<L, R>(g: &L, lhs: &L, rhs: &R, acc: &mut Option<L>)
where
    L: Broadcast<R>,
    R: Differentiable<Elem = L::Elem>,
{
    pull_lhs("broadcast_div", g, lhs, rhs, acc, |g, _, r| g / r)
}

/// `r̄ -= Σ ḡ ⊙ l ⊘ r²` over the broadcast axis for `y = l ⊘ r` (broadcast).
#[inline]
#[track_caller]
pub fn broadcast_div_pullback_rhs<L, R>(g: &L, lhs: &L, rhs: &R, acc: &mut Option<R>)
where
    L: Broadcast<R>,
    R: Differentiable<Elem = L::Elem>,
{
    pull_rhs("broadcast_div", g, lhs, rhs, acc, |g, l, r| {
        -(g * l) / (r * r)
    })
}

// ---------------------------------------------------------------- owned cotangents

/// `l̄ₛ += f(ḡₛ, lₛ, r_k(s))` with `ḡ` given by value: an empty slot takes its buffer.
#[inline]
#[track_caller]
fn pull_lhs_reuse_g<L, R>(
    op: &str,
    g: L,
    l: &L,
    r: &R,
    acc: &mut Option<L>,
    f: impl Fn(L::Elem, L::Elem, L::Elem) -> L::Elem,
) where
    L: Broadcast<R>,
    R: Differentiable<Elem = L::Elem>,
{
    l.broadcast_check(r, op);
    shape::same(op, g.shape(), l.shape());
    let (ls, rs) = (l.entries(), r.entries());
    let (rows, m) = (l.broadcast_rows(), l.shape().0);
    match acc {
        None => {
            let mut g = g;
            pull_columns(rows, m, g.entries_mut(), None, ls, rs, f);
            *acc = Some(g);
        }
        Some(a) => {
            shape::same(op, a.shape(), l.shape());
            pull_columns(rows, m, a.entries_mut(), Some(g.entries()), ls, rs, f);
        }
    }
}

/// [`broadcast_add_pullback_lhs`] with the cotangent given by value.
#[inline]
#[track_caller]
pub fn broadcast_add_pullback_lhs_reuse_g<L, R>(g: L, lhs: &L, rhs: &R, acc: &mut Option<L>)
where
    L: Broadcast<R>,
    R: Differentiable<Elem = L::Elem>,
{
    lhs.broadcast_check(rhs, "broadcast_add");
    shape::same("broadcast_add", g.shape(), lhs.shape());
    crate::value::accumulate(acc, g)
}

/// [`broadcast_sub_pullback_lhs`] with the cotangent given by value.
#[inline]
#[track_caller]
pub fn broadcast_sub_pullback_lhs_reuse_g<L, R>(g: L, lhs: &L, rhs: &R, acc: &mut Option<L>)
where
    L: Broadcast<R>,
    R: Differentiable<Elem = L::Elem>,
{
    lhs.broadcast_check(rhs, "broadcast_sub");
    shape::same("broadcast_sub", g.shape(), lhs.shape());
    crate::value::accumulate(acc, g)
}

/// [`broadcast_mul_pullback_lhs`] with the cotangent given by value.
#[inline]
#[track_caller]
pub fn broadcast_mul_pullback_lhs_reuse_g<L, R>(g: L, lhs: &L, rhs: &R, acc: &mut Option<L>)
where
    L: Broadcast<R>,
    R: Differentiable<Elem = L::Elem>,
{
    pull_lhs_reuse_g("broadcast_mul", g, lhs, rhs, acc, |g, _, r| g * r)
}

/// [`broadcast_div_pullback_lhs`] with the cotangent given by value.
#[inline]
#[track_caller]
pub fn broadcast_div_pullback_lhs_reuse_g<L, R>(g: L, lhs: &L, rhs: &R, acc: &mut Option<L>)
where
    L: Broadcast<R>,
    R: Differentiable<Elem = L::Elem>,
{
    pull_lhs_reuse_g("broadcast_div", g, lhs, rhs, acc, |g, _, r| g / r)
}

// ---------------------------------------------------------------- owned left operands
//
// When the left operand is a temporary nothing else reads, the forward sweep hands it over
// and the result is computed in its buffer.

/// [`broadcast_add`] computed in `lhs`'s buffer.
#[inline]
#[track_caller]
pub fn broadcast_add_reuse_lhs<L: Broadcast<R>, R: Differentiable<Elem = L::Elem>>(
    lhs: L,
    rhs: &R,
) -> L {
    zip_reuse_lhs("broadcast_add", lhs, rhs, |a, b| a + b)
}

/// [`broadcast_sub`] computed in `lhs`'s buffer.
#[inline]
#[track_caller]
pub fn broadcast_sub_reuse_lhs<L: Broadcast<R>, R: Differentiable<Elem = L::Elem>>(
    lhs: L,
    rhs: &R,
) -> L {
    zip_reuse_lhs("broadcast_sub", lhs, rhs, |a, b| a - b)
}

/// [`broadcast_mul`] computed in `lhs`'s buffer.
#[inline]
#[track_caller]
pub fn broadcast_mul_reuse_lhs<L: Broadcast<R>, R: Differentiable<Elem = L::Elem>>(
    lhs: L,
    rhs: &R,
) -> L {
    zip_reuse_lhs("broadcast_mul", lhs, rhs, |a, b| a * b)
}

/// [`broadcast_div`] computed in `lhs`'s buffer.
#[inline]
#[track_caller]
pub fn broadcast_div_reuse_lhs<L: Broadcast<R>, R: Differentiable<Elem = L::Elem>>(
    lhs: L,
    rhs: &R,
) -> L {
    zip_reuse_lhs("broadcast_div", lhs, rhs, |a, b| a / b)
}
