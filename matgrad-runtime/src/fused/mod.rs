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

/// Entries a chain's loops take at a time down a column: a lane constant down the column (a
/// row, a scalar) is repeated this many times, once per column, so that every lane is a plain
/// slice to the loop and the compiler vectorises it.
const BLOCK: usize = 32;

/// Each lane constant down a column (a row lane, a scalar) repeated [`BLOCK`] times for
/// column `j`; the other lanes' rows are left as they are.
#[inline(always)]
fn repeat_constants<T: Copy, const N: usize>(
    lanes: &[Lane<'_, T>; N],
    strides: &[(usize, usize); N],
    j: usize,
    repeated: &mut [[T; BLOCK]; N],
) {
    for k in 0..N {
        if strides[k].0 == 0 {
            repeated[k] = [lanes[k].entries[j * strides[k].1]; BLOCK];
        }
    }
}

/// Rows `i0..i0 + len` of column `j` of every lane (`len ≤ BLOCK`): a slice of the lane where
/// its entries run down the column (entry for entry, a column lane), else of its repeated
/// value.
#[inline(always)]
fn block<'s, T: Copy, const N: usize>(
    lanes: &'s [Lane<'_, T>; N],
    strides: &[(usize, usize); N],
    (j, i0, len): (usize, usize, usize),
    repeated: &'s [[T; BLOCK]; N],
) -> [&'s [T]; N] {
    std::array::from_fn(|k| match strides[k] {
        (0, _) => &repeated[k][..len],
        (_, cs) => &lanes[k].entries[j * cs + i0..][..len],
    })
}

/// The blocks of rows of an `m`-row column: `(start, length)`.
#[inline(always)]
fn blocks(m: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..m).step_by(BLOCK).map(move |i0| (i0, BLOCK.min(m - i0)))
}

/// `yᵢⱼ = f([lane₀ᵢⱼ, lane₁ᵢⱼ, …])`, a value of `like`'s type and shape (`like` is a lane read
/// entry for entry). Column by column, in blocks of rows: loops over plain slices that the
/// compiler vectorises with `f` inlined.
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
    // Filled in storage order: never zeroed first.
    let mut out = Vec::with_capacity(m * n);
    let mut repeated = [[nalgebra::zero(); BLOCK]; N];
    for j in 0..n {
        repeat_constants(&lanes, &strides, j, &mut repeated);
        for (i0, len) in blocks(m) {
            let cols = block(&lanes, &strides, (j, i0, len), &repeated);
            out.extend((0..len).map(|i| f(std::array::from_fn(|k| cols[k][i]))));
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
    // A lane read entry for entry gets its cotangent in storage order (never zeroed first);
    // the others are sums, from zero.
    let mut out: [Vec<T>; N] = std::array::from_fn(|k| match (wanted[k], strides[k]) {
        (false, _) => Vec::new(),
        (true, (1, s)) if s == m && m > 0 => Vec::with_capacity(lanes[k].entries.len()),
        (true, _) => vec![zero; lanes[k].entries.len()],
    });
    let mut repeated = [[zero; BLOCK]; N];
    let mut terms = [[zero; BLOCK]; N];
    let mut g_block = [zero; BLOCK];
    for j in 0..n {
        repeat_constants(&lanes, &strides, j, &mut repeated);
        let g_col = &g.entries[j * g_strides.1..];
        if g_strides.0 == 0 {
            g_block = [scale * g_col[0]; BLOCK];
        }
        for (i0, len) in blocks(m) {
            let cols = block(&lanes, &strides, (j, i0, len), &repeated);
            let gb: &[T] = match g_strides.0 {
                0 => &g_block[..len],
                _ if scale == one => &g_col[i0..][..len],
                _ => {
                    let from = &g_col[i0..][..len];
                    g_block
                        .iter_mut()
                        .zip(from)
                        .for_each(|(v, x)| *v = scale * *x);
                    &g_block[..len]
                }
            };
            // Every lane's term, wanted or not (a constant lane's is zero): no test in the loop.
            for i in 0..len {
                let d = df(std::array::from_fn(|k| cols[k][i]), gb[i]);
                for k in 0..N {
                    terms[k][i] = d[k];
                }
            }
            for k in (0..N).filter(|&k| wanted[k]) {
                let t = &terms[k][..len];
                match strides[k] {
                    (0, cs) => out[k][j * cs] += crate::summation::sum(t),
                    (_, 0) => out[k][i0..i0 + len]
                        .iter_mut()
                        .zip(t)
                        .for_each(|(o, v)| *o += *v),
                    _ => out[k].extend_from_slice(t),
                }
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
