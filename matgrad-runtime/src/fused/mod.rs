//! Fused element-wise chains: `yᵢⱼ = f(a_{ij}, b_{ij}, …)` in one pass over the entries,
//! each operand (a *lane*) read entry for entry, broadcast (a row to every row, a column to
//! every column) or as one scalar; and its pullback, every lane's cotangent in the same pass.
//!
//! `#[grad]` fuses chains such as `xc.broadcast_div(&sd).broadcast_mul(gamma)` into one call
//! of [`fused_map`] and, in the reverse sweep, one of [`fused_pullback`], with `f` and its
//! per-entry derivative generated from the operations' scalar forms.

use crate::shape;
use crate::value::{Dense, Scalar};

mod reduce;

pub use reduce::*;

/// How a lane's entries meet the result's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Full,
    Broadcast,
    Scalar,
}

/// One operand of a fused chain: its entries (storage order), its shape, how it meets the
/// result's entries, and the operation that reads it (named in shape panics).
pub struct Lane<'a, T> {
    entries: &'a [T],
    shape: (usize, usize),
    role: Role,
    op: &'static str,
}

/// The lane of `x`, read entry for entry (`x` has the result's shape), by `op`.
#[inline]
pub fn lane_full<'a, W: Dense>(x: &'a W, op: &'static str) -> Lane<'a, W::Scalar> {
    Lane {
        entries: x.entries(),
        shape: x.shape(),
        role: Role::Full,
        op,
    }
}

/// The lane of a row (`1×n`) applied to every row, or a column (`m×1`) to every column, by
/// `op`.
#[inline]
pub fn lane_broadcast<'a, W: Dense>(x: &'a W, op: &'static str) -> Lane<'a, W::Scalar> {
    Lane {
        role: Role::Broadcast,
        ..lane_full(x, op)
    }
}

/// The lane of a scalar applied to every entry, by `op`.
#[inline]
pub fn lane_scalar<'a, W: Dense>(x: &'a W, op: &'static str) -> Lane<'a, W::Scalar> {
    Lane {
        role: Role::Scalar,
        ..lane_full(x, op)
    }
}

impl<T> Lane<'_, T> {
    /// The lane's strides `(down a column, along a row)` in an `m×n` result: `(1, m)` entry for
    /// entry, `(0, 1)` for a row, `(1, 0)` for a column, `(0, 0)` for a scalar.
    ///
    /// # Panics
    /// If the lane's shape does not fit its role, naming its operation and both shapes.
    #[track_caller]
    fn strides(&self, (m, n): (usize, usize)) -> (usize, usize) {
        match self.role {
            Role::Full => {
                shape::same(self.op, (m, n), self.shape);
                (1, m)
            }
            Role::Broadcast if self.shape == (1, n) => (0, 1),
            Role::Broadcast if self.shape == (m, 1) => (1, 0),
            Role::Broadcast => {
                let axis = if self.shape.0 == 1 { "row" } else { "column" };
                shape::broadcastable(self.op, axis, (m, n), self.shape);
                unreachable!("broadcastable panics")
            }
            Role::Scalar => {
                assert_eq!(
                    self.entries.len(),
                    1,
                    "matgrad: `{}` needs a scalar, got a {} value",
                    self.op,
                    shape::fmt(self.shape)
                );
                (0, 0)
            }
        }
    }
}

/// Every lane's strides in an `m×n` result.
#[track_caller]
fn strides<T, const N: usize>(
    lanes: &[Lane<'_, T>; N],
    shape: (usize, usize),
) -> [(usize, usize); N] {
    std::array::from_fn(|k| lanes[k].strides(shape))
}

/// Column `j` of every lane, `m` entries each: a slice of the lane where its entries run
/// down the column (entry for entry, a column lane), else its one value for the column
/// repeated in `scratch` (a row lane, a scalar). Every slice has length `m`, so that the
/// loops over them are plain, vectorisable loops.
#[inline(always)]
fn columns<'s, T: Copy, const N: usize>(
    lanes: &'s [Lane<'_, T>; N],
    strides: &[(usize, usize); N],
    j: usize,
    m: usize,
    scratch: &'s mut [T],
) -> [&'s [T]; N] {
    for (k, slot) in scratch.chunks_exact_mut(m.max(1)).enumerate().take(N) {
        if strides[k].0 == 0 {
            slot.fill(lanes[k].entries[j * strides[k].1]);
        }
    }
    let scratch: &'s [T] = scratch;
    std::array::from_fn(|k| match strides[k].0 {
        0 => &scratch[k * m..(k + 1) * m],
        _ => &lanes[k].entries[j * strides[k].1..][..m],
    })
}

/// The buffer [`columns`] repeats the lanes constant down a column in: none if there are
/// none.
fn scratch_for<T: Scalar, const N: usize>(strides: &[(usize, usize); N], m: usize) -> Vec<T> {
    match strides.iter().any(|s| s.0 == 0) {
        true => vec![nalgebra::zero(); m * N],
        false => Vec::new(),
    }
}

/// `yᵢⱼ = f([lane₀ᵢⱼ, lane₁ᵢⱼ, …])`, a value of `like`'s type and shape (`like` is a lane read
/// entry for entry). Column by column: a loop over plain slices that the compiler
/// vectorises with `f` inlined.
///
/// # Panics
/// If a lane's shape does not fit (the message names the operation that reads it).
#[inline]
#[track_caller]
pub fn fused_map<V: Dense, const N: usize>(
    like: &V,
    lanes: [Lane<'_, V::Scalar>; N],
    mut f: impl FnMut([V::Scalar; N]) -> V::Scalar,
) -> V {
    let (m, n) = like.shape();
    let strides = strides(&lanes, (m, n));
    let zero = nalgebra::zero::<V::Scalar>();
    let mut out = vec![zero; m * n];
    let mut scratch = scratch_for(&strides, m);
    for (j, y) in out.chunks_exact_mut(m.max(1)).enumerate().take(n) {
        let cols = columns(&lanes, &strides, j, m, &mut scratch);
        for (i, yi) in y.iter_mut().enumerate() {
            *yi = f(std::array::from_fn(|k| cols[k][i]));
        }
    }
    like.with_entries(out)
}

/// The pullback of [`fused_map`]: for every entry, `df(entries, ḡᵢⱼ)` gives each lane's
/// contribution, summed into the lane's cotangent (over the rows or columns a broadcast lane
/// meets, over every entry for a scalar). A lane not `wanted` gets an empty vector.
///
/// # Panics
/// If a lane's shape does not fit `g`'s.
#[inline]
#[track_caller]
pub fn fused_pullback<V: Dense, const N: usize>(
    g: V,
    lanes: [Lane<'_, V::Scalar>; N],
    wanted: [bool; N],
    df: impl FnMut([V::Scalar; N], V::Scalar) -> [V::Scalar; N],
) -> [Vec<V::Scalar>; N] {
    let one = nalgebra::one::<V::Scalar>();
    pull(g.shape(), lane_full(&g, "map"), one, lanes, wanted, df)
}

/// [`fused_pullback`] with every entry's cotangent `scale·ḡ` read from the lane `g` (the
/// cotangent of a reduction, broadcast back over the `m×n` entries it reduced).
#[inline(always)]
#[track_caller]
fn pull<T: Scalar, const N: usize>(
    (m, n): (usize, usize),
    g: Lane<'_, T>,
    scale: T,
    lanes: [Lane<'_, T>; N],
    wanted: [bool; N],
    mut df: impl FnMut([T; N], T) -> [T; N],
) -> [Vec<T>; N] {
    let strides = strides(&lanes, (m, n));
    let g_strides = g.strides((m, n));
    let (zero, one) = (nalgebra::zero::<T>(), nalgebra::one::<T>());
    let mut out: [Vec<T>; N] = std::array::from_fn(|k| match wanted[k] {
        true => vec![zero; lanes[k].entries.len()],
        false => Vec::new(),
    });
    if m == 0 {
        return out;
    }
    // One buffer: the lanes' columns, their terms, the column of ḡ.
    let mut work = vec![zero; m * (2 * N + 1)];
    let (scratch, rest) = work.split_at_mut(m * N);
    let (terms, g_scratch) = rest.split_at_mut(m * N);
    for j in 0..n {
        let cols = columns(&lanes, &strides, j, m, scratch);
        let gj: &[T] = match g_strides {
            (1, cs) if scale == one => &g.entries[j * cs..][..m],
            (rs, cs) => {
                let from = &g.entries[j * cs..];
                for (i, v) in g_scratch.iter_mut().enumerate() {
                    *v = scale * from[i * rs];
                }
                g_scratch
            }
        };
        {
            let mut t = terms.chunks_exact_mut(m.max(1));
            let t: [&mut [T]; N] =
                std::array::from_fn(|_| &mut t.next().expect("a column per lane")[..m]);
            // Every lane's term, wanted or not (a constant lane's is zero): no test in the loop.
            for i in 0..m {
                let d = df(std::array::from_fn(|k| cols[k][i]), gj[i]);
                for k in 0..N {
                    t[k][i] = d[k];
                }
            }
        }
        for k in (0..N).filter(|&k| wanted[k]) {
            let t = &terms[k * m..(k + 1) * m];
            match strides[k] {
                (0, _) => out[k][j * strides[k].1] += crate::summation::sum(t),
                (_, 0) => out[k].iter_mut().zip(t).for_each(|(o, v)| *o += *v),
                _ => out[k][j * m..(j + 1) * m].copy_from_slice(t),
            }
        }
    }
    out
}

/// `slot += c`, `c` the value of `like`'s type and shape with the entries `entries` (a lane's
/// cotangent from [`fused_pullback`]).
#[inline]
pub fn fused_merge<W: Dense>(slot: &mut Option<W>, like: &W, entries: Vec<W::Scalar>) {
    crate::value::accumulate(slot, like.with_entries(entries));
}
