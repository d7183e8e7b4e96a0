//! Normalised exponentials, computed from each lane's largest entry so that nothing
//! overflows or underflows to NaN (exact and finite at logits of ±1 000): the log-sum-exp
//! `ln Σₖ e^{xₖ}`, `softmax(x)ₖ = e^{xₖ}/Σ e^{xⱼ}` and `log_softmax(x) = x − logsumexp(x)`.
//!
//! A *lane* is the set of entries that share one normalisation: every entry of a value, each
//! row of a matrix (`_rows`, JAX's `axis=1`) or each column (`_columns`, `axis=0`).

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
    let (count, len) = lanes.count(shape);
    (0..count)
        .map(|l| {
            let entry = |k| x[lanes.at(shape, l, k)];
            let Some(m) = (0..len).map(entry).reduce(|a, b| a.max(b)) else {
                return -T::one() / T::zero();
            };
            if !m.is_finite() {
                return m;
            }
            let s = (0..len).fold(T::zero(), |s, k| s + (entry(k) - m).exp());
            m + s.ln()
        })
        .collect()
}

/// `yₛ = f(xₛ, lse of s's lane)` for every entry `s` of `x`.
fn per_entry<V: Dense>(x: &V, lanes: Lanes, f: impl Fn(V::Scalar, V::Scalar) -> V::Scalar) -> V {
    let lse = lane_logsumexp(x.entries(), x.shape(), lanes);
    let lane = lane_index(x.shape(), lanes);
    x.map_entries(|s, v| f(v, lse[lane[s]]))
}

/// `Σₖ ḡₖ` over each lane of `g`.
fn lane_sums<V: Dense>(g: &V, lanes: Lanes) -> Vec<V::Scalar> {
    let shape = g.shape();
    let (count, len) = lanes.count(shape);
    (0..count)
        .map(|l| {
            (0..len).fold(nalgebra::zero::<V::Scalar>(), |s, k| {
                s + g.entry(lanes.at(shape, l, k))
            })
        })
        .collect()
}

/// `⟨ḡ, y⟩` over each lane.
fn lane_dots<V: Dense>(g: &V, y: &V, lanes: Lanes) -> Vec<V::Scalar> {
    let products = g.zip_entries(y, |a, b| a * b);
    lane_sums(&products, lanes)
}

/// The lane of each storage index.
fn lane_index(shape: (usize, usize), lanes: Lanes) -> Vec<usize> {
    let (count, len) = lanes.count(shape);
    let mut out = vec![0; shape.0 * shape.1];
    for l in 0..count {
        for k in 0..len {
            out[lanes.at(shape, l, k)] = l;
        }
    }
    out
}

/// `softmax` over `lanes`: `e^{xₛ − lse}`.
pub fn softmax_over<V: Dense>(x: &V, lanes: Lanes) -> V {
    per_entry(x, lanes, |v, lse| (v - lse).exp())
}

/// `x̄ = y ⊙ (ḡ − ⟨ḡ, y⟩)` per lane, for `y = softmax(x)`.
pub fn softmax_over_pullback<V: Dense>(g: &V, y: &V, lanes: Lanes) -> V {
    let dots = lane_dots(g, y, lanes);
    let lane = lane_index(y.shape(), lanes);
    y.map_entries(|s, ys| ys * (g.entry(s) - dots[lane[s]]))
}

/// `log_softmax` over `lanes`: `xₛ − lse`.
pub fn log_softmax_over<V: Dense>(x: &V, lanes: Lanes) -> V {
    per_entry(x, lanes, |v, lse| v - lse)
}

/// `x̄ = ḡ − e^y·Σḡ` per lane, for `y = log_softmax(x)`.
pub fn log_softmax_over_pullback<V: Dense>(g: &V, y: &V, lanes: Lanes) -> V {
    let sums = lane_sums(g, lanes);
    let lane = lane_index(y.shape(), lanes);
    g.map_entries(|s, gs| gs - y.entry(s).exp() * sums[lane[s]])
}

/// `ln Σ e^{xₖ}` over every entry.
pub fn logsumexp<V: Dense>(x: &V) -> V::Scalar {
    lane_logsumexp(x.entries(), x.shape(), Lanes::All)[0]
}

/// `x̄ = ḡ·softmax(x) = ḡ·e^{x − y}`.
pub fn logsumexp_pullback<V: Dense>(g: &V::Scalar, x: &V, y: &V::Scalar) -> V {
    x.map_entries(|_, v| *g * (v - *y).exp())
}

/// `ln Σⱼ e^{xᵢⱼ}` of each row, as a column.
pub fn logsumexp_rows<T: Scalar, R: Dim, C: Dim>(x: &OMatrix<T, R, C>) -> OVector<T, R>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R>,
{
    let lse = lane_logsumexp(x.as_slice(), x.shape(), Lanes::Rows);
    OVector::from_iterator_generic(x.shape_generic().0, U1, lse)
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
    let r = x.nrows();
    x.map_entries(|s, v| g[s % r] * (v - y[s % r]).exp())
}

/// `ln Σᵢ e^{xᵢⱼ}` of each column, as a row.
pub fn logsumexp_columns<T: Scalar, R: Dim, C: Dim>(x: &OMatrix<T, R, C>) -> OMatrix<T, U1, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<U1, C>,
{
    let lse = lane_logsumexp(x.as_slice(), x.shape(), Lanes::Columns);
    OMatrix::from_iterator_generic(U1, x.shape_generic().1, lse)
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
    let r = x.nrows();
    x.map_entries(|s, v| g[s / r] * (v - y[s / r]).exp())
}
