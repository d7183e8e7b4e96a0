//! Normalised exponentials, computed from each lane's largest entry so that nothing
//! overflows or underflows to NaN (exact and finite at logits of ±1 000): the log-sum-exp
//! `ln Σₖ e^{xₖ}`, `softmax(x)ₖ = e^{xₖ}/Σ e^{xⱼ}` and `log_softmax(x) = x − logsumexp(x)`.
//!
//! A *lane* is the set of entries that share one normalisation: every entry of a value, each
//! row of a matrix (`_rows`, JAX's `axis=1`) or each column (`_columns`, `axis=0`).
//!
//! The exponentials are taken over a contiguous buffer (`xₛ − m` written out, then
//! exponentiated in place): for `f64` entries through [`crate::vmath::exp_in_place`] (within
//! 1 ulp of `f64::exp`), the scalar `exp` otherwise. `softmax` is `e^{xₛ − m}·(1/Σ)`, within a
//! few ulp of `e^{xₛ − lse}` (closer to the exact value where `|xₛ − lse|` is large).

use crate::value::{Dense, Scalar};
#[allow(unused_imports)]
use crate::Differentiable as _;
#[allow(unused_imports)]
use nalgebra::ComplexField as _;
use nalgebra::{allocator::Allocator, DefaultAllocator, Dim, OMatrix, OVector, U1};

/// Which entries of an `r×c` matrix share a normalisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lanes {
    /// Every entry: one lane.
    All,
    /// Each row.
    Rows,
    /// Each column.
    Columns,
}

impl Lanes {
    /// `(number of lanes, entries per lane)` for a value of shape `(r, c)`.
    fn count(self, (r, c): (usize, usize)) -> (usize, usize) {
        match self {
            Lanes::All => (1, r * c),
            Lanes::Rows => (r, c),
            Lanes::Columns => (c, r),
        }
    }

    /// The storage index (column-major) of entry `k` of lane `l`.
    fn at(self, (r, _): (usize, usize), l: usize, k: usize) -> usize {
        match self {
            Lanes::All => k,
            Lanes::Rows => l + k * r,
            Lanes::Columns => k + l * r,
        }
    }
}

/// `ln Σₖ e^{xₖ}` of each lane, from the lane's largest entry `m`: `m + ln Σₖ e^{xₖ − m}`
/// (`m` itself when it is infinite: a lane of `−∞` has `−∞`, one holding `+∞` has `+∞`).
fn lane_logsumexp<T: Scalar>(x: &[T], shape: (usize, usize), lanes: Lanes) -> Vec<T> {
    let Some(LaneExps { mut m, e, sums }) = lane_exps(x, shape, lanes) else {
        return vec![-T::one() / T::zero(); lanes.count(shape).0];
    };
    for (m, s) in m.iter_mut().zip(&sums) {
        if m.is_finite() {
            *m += s.ln();
        }
    }
    crate::workspace::recycle_vec(e);
    crate::workspace::recycle_vec(sums);
    m
}

/// The exponentials a lane's normalisation is made of.
struct LaneExps<T> {
    /// Each lane's largest entry (NaN entries aside, unless every one is NaN).
    m: Vec<T>,
    /// `e^{xₛ − m}` of every entry, in storage order (through [`exp_entries`]).
    e: Vec<T>,
    /// `Σₖ e^{xₖ − m}` of each lane, summed in the lane's order.
    sums: Vec<T>,
}

/// [`LaneExps`] of `x`; `None` when the lanes are empty (then `x` has no entries).
fn lane_exps<T: Scalar>(x: &[T], shape: (usize, usize), lanes: Lanes) -> Option<LaneExps<T>> {
    let (count, len) = lanes.count(shape);
    if len == 0 {
        return None;
    }
    // Each lane's first entry, then the larger of it and each entry.
    let mut first = crate::workspace::take_vec(count);
    first.extend((0..count).map(|l| x[lanes.at(shape, l, 0)]));
    let m = lane_fold(x, shape, lanes, first, |a, b| a.max(b));
    let mut e = crate::workspace::copy_vec(x);
    lane_apply(&mut e, shape, lanes, &m, |_, v, m| v - m);
    exp_entries(&mut e);
    let sums = lane_fold(
        &e,
        shape,
        lanes,
        crate::workspace::filled_vec(count, T::zero()),
        |s, v| s + v,
    );
    Some(LaneExps { m, e, sums })
}

/// `accₗ = f(accₗ, xₛ)` for every entry `s` of each lane `l`, taken in the lane's order.
#[inline(always)]
fn lane_fold<T: Scalar>(
    x: &[T],
    (r, _): (usize, usize),
    lanes: Lanes,
    mut acc: Vec<T>,
    f: impl Fn(T, T) -> T,
) -> Vec<T> {
    if x.is_empty() {
        return acc;
    }
    match lanes {
        Lanes::All => acc[0] = x.iter().fold(acc[0], |a, v| f(a, *v)),
        Lanes::Rows => {
            for column in x.chunks_exact(r) {
                for (a, v) in acc.iter_mut().zip(column) {
                    *a = f(*a, *v);
                }
            }
        }
        Lanes::Columns => {
            for (a, column) in acc.iter_mut().zip(x.chunks_exact(r)) {
                *a = column.iter().fold(*a, |a, v| f(a, *v));
            }
        }
    }
    acc
}

/// `bufₛ = f(s, bufₛ, per_laneₗ)` for every entry `s` (storage order), `l` its lane.
#[inline(always)]
fn lane_apply<T: Scalar>(
    buf: &mut [T],
    (r, _): (usize, usize),
    lanes: Lanes,
    per_lane: &[T],
    f: impl Fn(usize, T, T) -> T,
) {
    if buf.is_empty() {
        return;
    }
    match lanes {
        Lanes::All => {
            for (s, v) in buf.iter_mut().enumerate() {
                *v = f(s, *v, per_lane[0]);
            }
        }
        Lanes::Rows => {
            for (j, column) in buf.chunks_exact_mut(r).enumerate() {
                for (i, (v, p)) in column.iter_mut().zip(per_lane).enumerate() {
                    *v = f(i + j * r, *v, *p);
                }
            }
        }
        Lanes::Columns => {
            for (j, (column, p)) in buf.chunks_exact_mut(r).zip(per_lane).enumerate() {
                for (i, v) in column.iter_mut().enumerate() {
                    *v = f(i + j * r, *v, *p);
                }
            }
        }
    }
}

/// `eᵛ` of every entry, in place: through [`crate::vmath::exp_in_place`] (within 1 ulp of
/// `f64::exp`) for enough `f64` entries, the scalar `exp` otherwise.
#[inline]
fn exp_entries<T: Scalar>(v: &mut Vec<T>) {
    crate::vmath::apply(v, crate::vmath::exp_in_place, |e| e.exp());
}

/// `yₛ = f(xₛ, lse of s's lane)` for every entry `s` of `x`.
fn per_entry<V: Dense>(x: &V, lanes: Lanes, f: impl Fn(V::Scalar, V::Scalar) -> V::Scalar) -> V {
    let lse = lane_logsumexp(x.entries(), x.shape(), lanes);
    let mut out = crate::workspace::copy_vec(x.entries());
    lane_apply(&mut out, x.shape(), lanes, &lse, |_, v, lse| f(v, lse));
    x.with_entries(out)
}

/// `Σₖ ḡₖ` over each lane of `g`.
fn lane_sums<V: Dense>(g: &V, lanes: Lanes) -> Vec<V::Scalar> {
    let count = lanes.count(g.shape()).0;
    let zeros = vec![nalgebra::zero::<V::Scalar>(); count];
    lane_fold(g.entries(), g.shape(), lanes, zeros, |s, v| s + v)
}

/// `softmax` over `lanes`: `e^{xₛ − m} / Σₖ e^{xₖ − m}` with `m` the lane's largest entry
/// (`e^{xₛ − m}` where `m` is infinite: NaN for a lane of `−∞` or at an entry `+∞`).
pub fn softmax_over<V: Dense>(x: &V, lanes: Lanes) -> V {
    let shape = x.shape();
    let Some(LaneExps { m, mut e, sums }) = lane_exps(x.entries(), shape, lanes) else {
        return x.with_entries(Vec::new());
    };
    let one = nalgebra::one::<V::Scalar>();
    let scale: Vec<_> = m
        .iter()
        .zip(sums)
        .map(|(m, s)| if m.is_finite() { one / s } else { one })
        .collect();
    lane_apply(&mut e, shape, lanes, &scale, |_, e, scale| e * scale);
    x.with_entries(e)
}

/// `x̄ = y ⊙ (ḡ − ⟨ḡ, y⟩)` per lane, for `y = softmax(x)`.
pub fn softmax_over_pullback<V: Dense>(g: &V, y: &V, lanes: Lanes) -> V {
    let dots = lane_sums(&g.zip_entries(y, |a, b| a * b), lanes);
    let mut out = crate::workspace::copy_vec(y.entries());
    let gs = g.entries();
    lane_apply(&mut out, y.shape(), lanes, &dots, |s, ys, dot| {
        ys * (gs[s] - dot)
    });
    y.with_entries(out)
}

/// `log_softmax` over `lanes`: `xₛ − lse`.
pub fn log_softmax_over<V: Dense>(x: &V, lanes: Lanes) -> V {
    per_entry(x, lanes, |v, lse| v - lse)
}

/// `x̄ = ḡ − e^y·Σḡ` per lane, for `y = log_softmax(x)`.
pub fn log_softmax_over_pullback<V: Dense>(g: &V, y: &V, lanes: Lanes) -> V {
    let sums = lane_sums(g, lanes);
    let mut e = crate::workspace::copy_vec(y.entries());
    exp_entries(&mut e);
    let gs = g.entries();
    lane_apply(&mut e, y.shape(), lanes, &sums, |s, e, sum| gs[s] - e * sum);
    g.with_entries(e)
}

/// `ln Σ e^{xₖ}` over every entry.
pub fn logsumexp<V: Dense>(x: &V) -> V::Scalar {
    lane_logsumexp(x.entries(), x.shape(), Lanes::All)[0]
}

/// `x̄ = ḡ·softmax(x) = ḡ·e^{x − y}`.
pub fn logsumexp_pullback<V: Dense>(g: &V::Scalar, x: &V, y: &V::Scalar) -> V {
    lse_pullback(
        std::slice::from_ref(g),
        x,
        std::slice::from_ref(y),
        Lanes::All,
    )
}

/// `x̄ₛ = ḡₗ·e^{xₛ − yₗ}` for every entry `s` of `x`, `l` its lane and `y` the lanes'
/// log-sum-exp.
fn lse_pullback<V: Dense>(g: &[V::Scalar], x: &V, y: &[V::Scalar], lanes: Lanes) -> V {
    let shape = x.shape();
    let mut e = crate::workspace::copy_vec(x.entries());
    lane_apply(&mut e, shape, lanes, y, |_, v, y| v - y);
    exp_entries(&mut e);
    lane_apply(&mut e, shape, lanes, g, |_, e, g| g * e);
    x.with_entries(e)
}

/// `ln Σⱼ e^{xᵢⱼ}` of each row, as a column.
pub fn logsumexp_rows<T: Scalar, R: Dim, C: Dim>(x: &OMatrix<T, R, C>) -> OVector<T, R>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R>,
{
    let lse = lane_logsumexp(x.as_slice(), x.shape(), Lanes::Rows);
    OVector::from_vec_generic(x.shape_generic().0, U1, lse)
}

/// `x̄ᵢⱼ = ḡᵢ·e^{xᵢⱼ − yᵢ}`.
pub fn logsumexp_rows_pullback<T: Scalar, R: Dim, C: Dim>(
    g: &OVector<T, R>,
    x: &OMatrix<T, R, C>,
    y: &OVector<T, R>,
) -> OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R>,
{
    lse_pullback(g.as_slice(), x, y.as_slice(), Lanes::Rows)
}

/// `ln Σᵢ e^{xᵢⱼ}` of each column, as a row.
pub fn logsumexp_columns<T: Scalar, R: Dim, C: Dim>(x: &OMatrix<T, R, C>) -> OMatrix<T, U1, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<U1, C>,
{
    let lse = lane_logsumexp(x.as_slice(), x.shape(), Lanes::Columns);
    OMatrix::from_vec_generic(U1, x.shape_generic().1, lse)
}

/// `x̄ᵢⱼ = ḡⱼ·e^{xᵢⱼ − yⱼ}`.
pub fn logsumexp_columns_pullback<T: Scalar, R: Dim, C: Dim>(
    g: &OMatrix<T, U1, C>,
    x: &OMatrix<T, R, C>,
    y: &OMatrix<T, U1, C>,
) -> OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<U1, C>,
{
    lse_pullback(g.as_slice(), x, y.as_slice(), Lanes::Columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::{DMatrix, RowDVector};

    /// `|a − b| ≤ ulps·ε·|b|` (or both the same non-finite value).
    fn close(a: f64, b: f64, ulps: f64) -> bool {
        a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= ulps * f64::EPSILON * b.abs()
    }

    /// The lanes' entries, each lane's log-sum-exp by the scalar formula.
    fn scalar_lse(x: &DMatrix<f64>, lanes: Lanes) -> Vec<f64> {
        let shape = x.shape();
        let (count, len) = lanes.count(shape);
        (0..count)
            .map(|l| {
                let v: Vec<f64> = (0..len).map(|k| x[lanes.at(shape, l, k)]).collect();
                let m = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                m + v.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
            })
            .collect()
    }

    #[test]
    fn f64_lanes_take_the_vectorised_exp_and_agree_with_the_scalar_formulas() {
        let x = DMatrix::from_fn(9, 13, |i, j| (i as f64 - 4.0) * 3.7 + j as f64 * 0.61 - 5.0);
        let g = DMatrix::from_fn(9, 13, |i, j| ((i * 5 + j * 3) % 7) as f64 * 0.3 - 1.0);
        for lanes in [Lanes::All, Lanes::Rows, Lanes::Columns] {
            let lse = scalar_lse(&x, lanes);
            let lane = |s: usize| match lanes {
                Lanes::All => 0,
                Lanes::Rows => s % 9,
                Lanes::Columns => s / 9,
            };
            let got = lane_logsumexp(x.as_slice(), x.shape(), lanes);
            assert!(got.iter().zip(&lse).all(|(a, b)| close(*a, *b, 2.0)));
            let y = softmax_over(&x, lanes);
            let ly = log_softmax_over(&x, lanes);
            let ly_bar = log_softmax_over_pullback(&g, &ly, lanes);
            let sums: Vec<f64> = lane_sums(&g, lanes);
            let m = lane_fold(
                x.as_slice(),
                x.shape(),
                lanes,
                vec![f64::NEG_INFINITY; lanes.count(x.shape()).0],
                f64::max,
            );
            let e = x.map_entries(|s, v| (v - m[lane(s)]).exp());
            let sum_e = lane_sums(&e, lanes);
            for s in 0..x.len() {
                let (v, l) = (x[s], lse[lane(s)]);
                // Within 3 ulp of e^{x − m}/Σ by std's exp; e^{x − lse}, the former formula,
                // carries the rounding of x − lse, amplified by |x| + |lse| (17 ulp here).
                assert!(close(y[s], e[s] / sum_e[lane(s)], 3.0));
                assert!(close(y[s], (v - l).exp(), 4.0 + v.abs() + l.abs()));
                assert!((ly[s] - (v - l)).abs() <= 4.0 * f64::EPSILON * (v.abs() + l.abs()));
                let want = g[s] - ly[s].exp() * sums[lane(s)];
                assert!((ly_bar[s] - want).abs() <= 4.0 * f64::EPSILON * (g[s].abs() + 1.0));
            }
        }
        let lse = logsumexp_columns(&x);
        let gc = RowDVector::from_fn(13, |_, j| 0.5 - j as f64 * 0.1);
        let x_bar = logsumexp_columns_pullback(&gc, &x, &lse);
        for s in 0..x.len() {
            assert!(close(x_bar[s], gc[s / 9] * (x[s] - lse[s / 9]).exp(), 2.0));
        }
        let lse = logsumexp_rows(&x);
        let gr = lse.map(|v| v * 0.01);
        let x_bar = logsumexp_rows_pullback(&gr, &x, &lse);
        for s in 0..x.len() {
            assert!(close(x_bar[s], gr[s % 9] * (x[s] - lse[s % 9]).exp(), 2.0));
        }
    }

    #[test]
    fn infinite_nan_and_empty_lanes_keep_their_values() {
        let inf = f64::INFINITY;
        let x = DMatrix::from_column_slice(
            9,
            4,
            &[
                [-inf; 9],
                [0.0, 1.0, inf, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
                [f64::NAN; 9],
                [1000.0, -1000.0, 0.0, 1.0, 2.0, f64::NAN, 3.0, 4.0, 5.0],
            ]
            .concat(),
        );
        let lse = logsumexp_columns(&x);
        assert_eq!(lse[0], -inf);
        assert_eq!(lse[1], inf);
        assert!(lse[2].is_nan() && lse[3].is_nan());
        let y = softmax_over(&x, Lanes::Columns);
        assert!(y.column(0).iter().all(|v| v.is_nan()));
        assert_eq!(y[(0, 1)], 0.0);
        assert!(y[(2, 1)].is_nan());
        assert!(y
            .column(2)
            .iter()
            .chain(y.column(3).iter())
            .all(|v| v.is_nan()));
        let big =
            DMatrix::from_column_slice(9, 1, &[1000.0, -1000.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        let y = softmax_over(&big, Lanes::Columns);
        assert_eq!((y[0], y[1], y[2]), (1.0, 0.0, 0.0));
        let empty = DMatrix::<f64>::zeros(0, 3);
        assert_eq!(logsumexp_columns(&empty), RowDVector::from_element(3, -inf));
        assert_eq!(softmax_over(&empty, Lanes::Rows).shape(), (0, 3));
    }
}
