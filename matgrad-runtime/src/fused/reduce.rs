//! Fused chains that end in a reduction: `Σᵢⱼ f(…)`, its mean, and the sums and means along
//! one axis, in one pass that never stores the chain's entries; and their pullback, the
//! reduction's cotangent broadcast back over the entries inside the same pass.

use super::{
    block, blocks, lane_broadcast, lane_scalar, pull, repeat_constants, strides, Lane, BLOCK,
};
use crate::summation::Pieces;
use crate::value::{Dense, Scalar};
use nalgebra::{allocator::Allocator, DefaultAllocator, Dim, OMatrix, OVector, U1};

/// The reduction that ends a fused chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduction {
    /// `Σᵢⱼ yᵢⱼ` (`.sum()`).
    Sum,
    /// `Σᵢⱼ yᵢⱼ / (mn)` (`.mean()`).
    Mean,
    /// `Σᵢ yᵢⱼ`, one per column (`.row_sum()`).
    RowSum,
    /// `Σᵢ yᵢⱼ / m` (`.row_mean()`).
    RowMean,
    /// `Σⱼ yᵢⱼ`, one per row (`.column_sum()`).
    ColumnSum,
    /// `Σⱼ yᵢⱼ / n` (`.column_mean()`).
    ColumnMean,
}

impl Reduction {
    /// The operation's name, in shape panics.
    fn name(self) -> &'static str {
        match self {
            Reduction::Sum => "sum",
            Reduction::Mean => "mean",
            Reduction::RowSum => "row_sum",
            Reduction::RowMean => "row_mean",
            Reduction::ColumnSum => "column_sum",
            Reduction::ColumnMean => "column_mean",
        }
    }

    /// How many entries each result entry sums over `m×n` entries: its mean's divisor (1
    /// for a sum).
    fn count(self, m: usize, n: usize) -> usize {
        match self {
            Reduction::Mean => m * n,
            Reduction::RowMean => m,
            Reduction::ColumnMean => n,
            _ => 1,
        }
    }

    /// `1/count` (0 with no entries: nalgebra's mean of nothing is 0).
    fn scale<T: Scalar>(self, m: usize, n: usize) -> T {
        match self.count(m, n) {
            0 => nalgebra::zero(),
            c => nalgebra::one::<T>() / T::from_usize(c).unwrap_or_else(T::one),
        }
    }
}

/// The reduction of the chain's entries `f([lane₀ᵢⱼ, …])` over `like`'s `m×n` entries: one
/// entry (`Sum`, `Mean`), one per column (`RowSum`, `RowMean`) or one per row.
#[inline(always)]
#[track_caller]
fn reduce<T: Scalar, const N: usize>(
    (m, n): (usize, usize),
    lanes: [Lane<'_, T>; N],
    reduction: Reduction,
    mut f: impl FnMut([T; N]) -> T,
) -> Vec<T> {
    let strides = strides(&lanes, (m, n));
    let zero = nalgebra::zero::<T>();
    let mut out = match reduction {
        Reduction::Sum | Reduction::Mean => vec![zero; 1],
        Reduction::RowSum | Reduction::RowMean => vec![zero; n],
        Reduction::ColumnSum | Reduction::ColumnMean => vec![zero; m],
    };
    let d = reduction.scale::<T>(m, n);
    let mut repeated = [[zero; BLOCK]; N];
    let mut y = [zero; BLOCK];
    for j in 0..n {
        repeat_constants(&lanes, &strides, j, &mut repeated);
        // A column's sum as `summation::sum` of it whole (the unfused kernels' sums).
        let mut column = Pieces::new();
        for (i0, len) in blocks(m) {
            let cols = block(&lanes, &strides, (j, i0, len), &repeated);
            for (i, yi) in y[..len].iter_mut().enumerate() {
                *yi = f(std::array::from_fn(|k| cols[k][i]));
            }
            let y = &y[..len];
            match reduction {
                Reduction::ColumnSum => {
                    let o = &mut out[i0..i0 + len];
                    o.iter_mut().zip(y).for_each(|(o, v)| *o += *v)
                }
                // As nalgebra's `column_mean`: each column scaled by 1/n, then added.
                Reduction::ColumnMean => {
                    let o = &mut out[i0..i0 + len];
                    o.iter_mut().zip(y).for_each(|(o, v)| *o += d * *v)
                }
                _ => column.add(y),
            }
        }
        match reduction {
            Reduction::Sum | Reduction::Mean => out[0] += column.total(),
            Reduction::RowSum | Reduction::RowMean => out[j] = column.total(),
            _ => {}
        }
    }
    // Means of whole columns (of everything) divide, as the unfused kernels do.
    if matches!(reduction, Reduction::Mean | Reduction::RowMean) && reduction.count(m, n) > 0 {
        let c = T::from_usize(reduction.count(m, n)).unwrap_or_else(T::one);
        out.iter_mut().for_each(|v| *v /= c);
    }
    out
}

/// `Σᵢⱼ y`, the mean, or the row or column of sums or means of `y = f([lane₀, …])`: one
/// value (`Sum`, `Mean`).
#[inline(always)]
#[track_caller]
fn total<T: Scalar, R: Dim, C: Dim, const N: usize>(
    like: &OMatrix<T, R, C>,
    lanes: [Lane<'_, T>; N],
    reduction: Reduction,
    f: impl FnMut([T; N]) -> T,
) -> T
where
    DefaultAllocator: Allocator<R, C>,
{
    reduce(like.shape(), lanes, reduction, f)[0]
}

/// One per column, a `1×n` row (`RowSum`, `RowMean`).
#[inline(always)]
#[track_caller]
fn along_columns<T: Scalar, R: Dim, C: Dim, const N: usize>(
    like: &OMatrix<T, R, C>,
    lanes: [Lane<'_, T>; N],
    reduction: Reduction,
    f: impl FnMut([T; N]) -> T,
) -> OMatrix<T, U1, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<U1, C>,
{
    let sums = reduce(like.shape(), lanes, reduction, f);
    OMatrix::from_vec_generic(U1, like.shape_generic().1, sums)
}

/// One per row, an `m×1` column (`ColumnSum`, `ColumnMean`).
#[inline(always)]
#[track_caller]
fn along_rows<T: Scalar, R: Dim, C: Dim, const N: usize>(
    like: &OMatrix<T, R, C>,
    lanes: [Lane<'_, T>; N],
    reduction: Reduction,
    f: impl FnMut([T; N]) -> T,
) -> OVector<T, R>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R>,
{
    let sums = reduce(like.shape(), lanes, reduction, f);
    OVector::from_vec_generic(like.shape_generic().0, U1, sums)
}

/// One public function per reduction, the name `#[grad]` calls (`fused_` and the reduction's
/// kernel), each the reduction of a chain's entries `f([lane₀ᵢⱼ, …])` over `like`'s shape.
macro_rules! fused_reductions {
    ($($(#[$doc:meta])* $name:ident = $variant:ident by $shape:ident -> $out:ty where $($bound:path),*;)*) => {$(
        $(#[$doc])*
        #[inline]
        #[track_caller]
        pub fn $name<T: Scalar, R: Dim, C: Dim, const N: usize>(
            like: &OMatrix<T, R, C>,
            lanes: [Lane<'_, T>; N],
            f: impl FnMut([T; N]) -> T,
        ) -> $out
        where
            DefaultAllocator: Allocator<R, C> $(+ $bound)*,
        {
            $shape(like, lanes, Reduction::$variant, f)
        }
    )*};
}

fused_reductions! {
    /// `Σᵢⱼ f(…)` (`.sum()` of a fused chain).
    fused_sum = Sum by total -> T where ;
    /// `Σᵢⱼ f(…) / (mn)` (`.mean()` of a fused chain; 0 with no entries).
    fused_mean = Mean by total -> T where ;
    /// `Yⱼ = Σᵢ f(…)` (`.row_sum()` of a fused chain).
    fused_row_sum = RowSum by along_columns -> OMatrix<T, U1, C> where Allocator<U1, C>;
    /// `Yⱼ = Σᵢ f(…) / m` (`.row_mean()` of a fused chain).
    fused_row_mean = RowMean by along_columns -> OMatrix<T, U1, C> where Allocator<U1, C>;
    /// `Yᵢ = Σⱼ f(…)` (`.column_sum()` of a fused chain).
    fused_column_sum = ColumnSum by along_rows -> OVector<T, R> where Allocator<R>;
    /// `Yᵢ = Σⱼ f(…) / n` (`.column_mean()` of a fused chain).
    fused_column_mean = ColumnMean by along_rows -> OVector<T, R> where Allocator<R>;
}

/// The pullback of a fused chain ending in `reduction`: the reduction's cotangent `g` (a
/// scalar, a row or a column) broadcast back over `like`'s entries (divided by the count
/// for a mean), then as [`fused_pullback`](super::fused_pullback).
///
/// # Panics
/// If `g` or a lane does not fit `like`'s shape.
#[inline]
#[track_caller]
pub fn fused_pullback_reduced<W: Dense, V: Dense<Scalar = W::Scalar>, const N: usize>(
    g: W,
    like: &V,
    reduction: Reduction,
    lanes: [Lane<'_, W::Scalar>; N],
    wanted: [bool; N],
    df: impl FnMut([W::Scalar; N], W::Scalar) -> [W::Scalar; N],
) -> [Vec<W::Scalar>; N] {
    let (m, n) = like.shape();
    let g_lane = match reduction {
        Reduction::Sum | Reduction::Mean => lane_scalar(&g, reduction.name()),
        _ => lane_broadcast(&g, reduction.name()),
    };
    pull((m, n), g_lane, reduction.scale(m, n), lanes, wanted, df)
}
