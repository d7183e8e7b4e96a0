//! The loops of the broadcast kernels, column by column over slices so that they vectorise:
//! the forward passes and the accumulations into either operand's cotangent.

use super::Broadcast;
use crate::shape;
use crate::value::{accumulate_with, Dense, Scalar};
#[allow(unused_imports)]
use crate::Differentiable as _;

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

/// `yₛ = f(lₛ, r_k(s))` for every entry `s` of `l`.
#[inline]
#[track_caller]
pub(super) fn zip<L, R>(op: &str, l: &L, r: &R, f: impl Fn(L::Scalar, L::Scalar) -> L::Scalar) -> L
where
    L: Broadcast<R>,
    R: Dense<Scalar = L::Scalar>,
{
    l.broadcast_check(r, op);
    let (rows, m) = (l.broadcast_rows(), l.shape().0);
    let rs = r.entries();
    let mut out = crate::workspace::take_vec(l.len());
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
pub(super) fn zip_reuse_lhs<L, R>(
    op: &str,
    mut l: L,
    r: &R,
    f: impl Fn(L::Scalar, L::Scalar) -> L::Scalar,
) -> L
where
    L: Broadcast<R>,
    R: Dense<Scalar = L::Scalar>,
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
pub(super) fn pull_lhs<L, R>(
    op: &str,
    g: &L,
    l: &L,
    r: &R,
    acc: &mut Option<L>,
    f: impl Fn(L::Scalar, L::Scalar, L::Scalar) -> L::Scalar,
) where
    L: Broadcast<R>,
    R: Dense<Scalar = L::Scalar>,
{
    l.broadcast_check(r, op);
    shape::same(op, g.shape(), l.shape());
    let (gs, ls, rs) = (g.entries(), l.entries(), r.entries());
    let (rows, m) = (l.broadcast_rows(), l.shape().0);
    accumulate_with(
        acc,
        || {
            let mut out = crate::workspace::take_vec(l.len());
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
pub(super) fn pull_rhs<L, R>(
    op: &str,
    g: &L,
    l: &L,
    r: &R,
    acc: &mut Option<R>,
    f: impl Fn(L::Scalar, L::Scalar, L::Scalar) -> L::Scalar,
) where
    L: Broadcast<R>,
    R: Dense<Scalar = L::Scalar>,
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

/// `l̄ₛ += f(ḡₛ, lₛ, r_k(s))` with `ḡ` given by value: an empty slot takes its buffer.
#[inline]
#[track_caller]
pub(super) fn pull_lhs_reuse_g<L, R>(
    op: &str,
    g: L,
    l: &L,
    r: &R,
    acc: &mut Option<L>,
    f: impl Fn(L::Scalar, L::Scalar, L::Scalar) -> L::Scalar,
) where
    L: Broadcast<R>,
    R: Dense<Scalar = L::Scalar>,
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
            g.recycle();
        }
    }
}

/// `l̄ += ḡ` with `ḡ` given by value (an empty slot takes its buffer), for the operations
/// whose left pullback passes the cotangent through (`f` is that identity, unused).
#[inline]
#[track_caller]
pub(super) fn pass_lhs_reuse_g<L, R>(
    op: &str,
    g: L,
    l: &L,
    r: &R,
    acc: &mut Option<L>,
    _f: impl Fn(L::Scalar, L::Scalar, L::Scalar) -> L::Scalar,
) where
    L: Broadcast<R>,
    R: Dense<Scalar = L::Scalar>,
{
    l.broadcast_check(r, op);
    shape::same(op, g.shape(), l.shape());
    crate::value::accumulate(acc, g)
}
