//! Reductions: to a scalar (`.sum()`, `.norm_squared()`, `.norm()`, `.trace()`, `.mean()`,
//! `.variance()`), and along one axis with nalgebra's statistics methods (`.row_sum()`,
//! `.column_sum()`, `.row_mean()`, `.column_mean()`, `.row_sum_tr()`, `.row_mean_tr()`,
//! `.row_variance()`, `.column_variance()`, `.row_variance_tr()`).
//!
//! nalgebra names the axis reductions after what they combine, not what they keep:
//! `row_sum` adds the *rows* together, giving one `1×ncols` row of column totals, and
//! `column_sum` adds the columns, giving one `nrows×1` column of row totals. The `_tr` forms
//! return the same values as a column vector (`ncols×1`). The forward functions here call
//! nalgebra's methods, so their values are nalgebra's bit for bit; variances are population
//! variances (divided by the count, not the count minus one), as in nalgebra.

use crate::families::matrix_functions;
use crate::shape;
use crate::value::{accumulate_with, Dense, Scalar};
#[allow(unused_imports)]
use crate::Differentiable as _;
use nalgebra::{
    allocator::Allocator, ComplexField as _, DefaultAllocator, Dim, OMatrix, OVector, RowOVector,
    U1,
};

/// `Σᵢⱼ xᵢⱼ`.
#[inline]
pub fn sum<V: Dense>(x: &V) -> V::Scalar {
    crate::summation::sum(x.entries())
}

/// `x̄ += ḡ·𝟙` (every entry gains ḡ) for `s = Σ x`.
#[inline]
pub fn sum_pullback<V: Dense>(g: &V::Scalar, x: &V, _y: &V::Scalar, acc: &mut Option<V>) {
    add_constant(acc, x, *g)
}

/// `acc += c` in every entry, with `like` giving the shape when `acc` is empty.
fn add_constant<V: Dense>(acc: &mut Option<V>, like: &V, c: V::Scalar) {
    let bump = |a: &mut V| {
        for v in a.entries_mut() {
            *v += c;
        }
    };
    accumulate_with(
        acc,
        || {
            let mut a = like.zeros_like();
            bump(&mut a);
            a
        },
        bump,
    )
}

/// `‖x‖² = Σᵢⱼ xᵢⱼ²` (squared Frobenius norm for a matrix).
#[inline]
pub fn norm_squared<V: Dense>(x: &V) -> V::Scalar {
    crate::dot(x, x)
}

/// `x̄ += 2ḡ·x` for `s = ‖x‖²`.
#[inline]
pub fn norm_squared_pullback<V: Dense>(g: &V::Scalar, x: &V, _y: &V::Scalar, acc: &mut Option<V>) {
    let c = *g + *g;
    accumulate_with(acc, || x.scaled(c), |a| a.axpy(c, x))
}

/// [`norm_squared_pullback`] with `x` given by value: an empty slot takes `x`'s buffer,
/// scaled in place (for `x` read for the last time).
#[inline]
pub fn norm_squared_pullback_reuse_x<V: Dense>(
    g: &V::Scalar,
    x: V,
    _y: &V::Scalar,
    acc: &mut Option<V>,
) {
    scale_into(*g + *g, x, acc)
}

/// `acc += c·x`, an empty `acc` taking `x`'s buffer.
#[inline]
fn scale_into<V: Dense>(c: V::Scalar, mut x: V, acc: &mut Option<V>) {
    match acc {
        Some(a) => a.axpy(c, &x),
        None => {
            x.entries_mut().iter_mut().for_each(|v| *v *= c);
            *acc = Some(x);
        }
    }
}

/// `‖x‖ = √(Σᵢⱼ xᵢⱼ²)` (Frobenius norm for a matrix).
#[inline]
pub fn norm<V: Dense>(x: &V) -> V::Scalar {
    norm_squared(x).sqrt()
}

/// `x̄ += ḡ·x/‖x‖` for `s = ‖x‖`; zero at `x = 0`, where the norm has no derivative.
#[inline]
pub fn norm_pullback<V: Dense>(g: &V::Scalar, x: &V, y: &V::Scalar, acc: &mut Option<V>) {
    if *y == nalgebra::zero::<V::Scalar>() {
        accumulate_with(acc, || x.zeros_like(), |_| {});
        return;
    }
    let c = *g / *y;
    accumulate_with(acc, || x.scaled(c), |a| a.axpy(c, x))
}

/// [`norm_pullback`] with `x` given by value: an empty slot takes `x`'s buffer, scaled in
/// place (for `x` read for the last time).
#[inline]
pub fn norm_pullback_reuse_x<V: Dense>(g: &V::Scalar, x: V, y: &V::Scalar, acc: &mut Option<V>) {
    if *y == nalgebra::zero::<V::Scalar>() {
        accumulate_with(acc, || x.zeros_like(), |_| {});
        return;
    }
    scale_into(*g / *y, x, acc)
}

matrix_functions! {
    /// `tr X = Σᵢ Xᵢᵢ`.
    ///
    /// # Panics
    /// If `X` is not square.
    #[track_caller]
    trace(x) -> T {
        shape::square("trace", x.shape());
        (0..x.nrows()).fold(T::zero(), |s, i| s + x[(i, i)])
    }
    /// `X̄ += ḡ·I` for `s = tr X`.
    trace_pullback(g, x, _y, acc) {
        shape::square("trace", x.shape());
        let bump = |a: &mut OMatrix<T, R, C>| {
            for i in 0..a.nrows().min(a.ncols()) {
                a[(i, i)] += *g;
            }
        };
        accumulate_with(
            acc,
            || {
                let mut a = x.zeros_like();
                bump(&mut a);
                a
            },
            bump,
        )
    }

    /// `μ = (1/N) Σᵢⱼ Xᵢⱼ` over all `N` entries; 0 for an empty matrix (nalgebra's `mean`).
    mean(x) -> T { x.mean() }
    /// `X̄ += ḡ / N` (every entry) for `μ = X.mean()` with `X` of `N` entries.
    mean_pullback(g, x, _y, acc) {
        let c = *g * recip::<T>(x.len());
        accumulate_entries(acc, x, |_, _| c)
    }

    /// `σ² = (1/N) Σᵢⱼ (Xᵢⱼ − μ)²`, the population variance of all `N` entries; 0 for an empty
    /// matrix (nalgebra's `variance`).
    variance(x) -> T { x.variance() }
    /// `X̄ += ḡ·2(X − μ)/N` for `σ² = X.variance()` with `X` of `N` entries and mean `μ`.
    variance_pullback(g, x, _y, acc) {
        let mu = x.mean();
        let c = (*g + *g) * recip::<T>(x.len());
        accumulate_entries(acc, x, |i, j| c * (x[(i, j)] - mu))
    }
}

// Along one axis: `row_*` combine the rows (one entry per column), `column_*` the columns.
matrix_functions! {
    /// `Yⱼ = Σᵢ Xᵢⱼ`: the rows added together, a `1×ncols` row (nalgebra's `row_sum`).
    row_sum(x) -> RowOVector<T, C> where Allocator<U1, C> {
        let m = x.nrows();
        let cols = x.as_slice();
        let sums = (0..x.ncols()).map(|j| crate::summation::sum(&cols[j * m..(j + 1) * m]));
        crate::workspace::matrix_from_entries(U1, x.shape_generic().1, sums)
    }
    /// `X̄ᵢⱼ += ḡⱼ` for `Y = X.row_sum()`.
    row_sum_pullback(g, x, _y, acc) { accumulate_columns(acc, x, |j| g[j]) }

    /// `Yⱼ = Σᵢ Xᵢⱼ` as an `ncols×1` column (nalgebra's `row_sum_tr`).
    row_sum_tr(x) -> OVector<T, C> where Allocator<C> { x.row_sum_tr() }
    /// `X̄ᵢⱼ += ḡⱼ` for `Y = X.row_sum_tr()`.
    row_sum_tr_pullback(g, x, _y, acc) { accumulate_columns(acc, x, |j| g[j]) }

    /// `Yᵢ = Σⱼ Xᵢⱼ`: the columns added together, an `nrows×1` column (nalgebra's `column_sum`).
    column_sum(x) -> OVector<T, R> where Allocator<R> {
        // The columns added in order, as nalgebra's `column_sum` does.
        let m = x.nrows();
        let mut y = crate::workspace::zeros_generic(x.shape_generic().0, U1);
        if m > 0 {
            for col in x.as_slice().chunks_exact(m) {
                y.as_mut_slice().iter_mut().zip(col).for_each(|(s, v)| *s += *v);
            }
        }
        y
    }
    /// `X̄ᵢⱼ += ḡᵢ` for `Y = X.column_sum()`.
    column_sum_pullback(g, x, _y, acc) { accumulate_rows(acc, x, g.as_slice()) }

    /// `Yⱼ = (1/m) Σᵢ Xᵢⱼ` for an `m×n` `X`: the mean row, `1×ncols` (nalgebra's `row_mean`).
    row_mean(x) -> RowOVector<T, C> where Allocator<U1, C> {
        let mut y = row_sum(x);
        // Of no rows, the mean is 0 (as nalgebra has it).
        if x.nrows() > 0 {
            let m = T::from_usize(x.nrows()).unwrap_or_else(T::one);
            y.as_mut_slice().iter_mut().for_each(|v| *v /= m);
        }
        y
    }
    /// `X̄ᵢⱼ += ḡⱼ / m` for `Y = X.row_mean()` with `X` of `m` rows.
    row_mean_pullback(g, x, _y, acc) {
        let c = recip::<T>(x.nrows());
        accumulate_columns(acc, x, |j| g[j] * c)
    }

    /// `Yⱼ = (1/m) Σᵢ Xᵢⱼ` as an `ncols×1` column (nalgebra's `row_mean_tr`).
    row_mean_tr(x) -> OVector<T, C> where Allocator<C> { x.row_mean_tr() }
    /// `X̄ᵢⱼ += ḡⱼ / m` for `Y = X.row_mean_tr()` with `X` of `m` rows.
    row_mean_tr_pullback(g, x, _y, acc) {
        let c = recip::<T>(x.nrows());
        accumulate_columns(acc, x, |j| g[j] * c)
    }

    /// `Yᵢ = (1/n) Σⱼ Xᵢⱼ` for an `m×n` `X`: the mean column, `nrows×1` (nalgebra's `column_mean`).
    column_mean(x) -> OVector<T, R> where Allocator<R> { x.column_mean() }
    /// `X̄ᵢⱼ += ḡᵢ / n` for `Y = X.column_mean()` with `X` of `n` columns.
    column_mean_pullback(g, x, _y, acc) {
        let c = recip::<T>(x.ncols());
        let scaled: Vec<T> = g.iter().map(|v| *v * c).collect();
        accumulate_rows(acc, x, &scaled)
    }

    /// `Yⱼ = (1/m) Σᵢ (Xᵢⱼ − μⱼ)²`: the population variance of each column of an `m×n` `X`, as a
    /// `1×ncols` row (nalgebra's `row_variance`).
    row_variance(x) -> RowOVector<T, C> where Allocator<U1, C> { x.row_variance() }
    /// `X̄ᵢⱼ += ḡⱼ·2(Xᵢⱼ − μⱼ)/m` for `Y = X.row_variance()`, with `μ` the mean row.
    row_variance_pullback(g, x, _y, acc) {
        let mu = x.row_mean();
        let c = recip::<T>(x.nrows());
        accumulate_entries(acc, x, |i, j| (g[j] + g[j]) * c * (x[(i, j)] - mu[j]))
    }

    /// `Yⱼ = (1/m) Σᵢ (Xᵢⱼ − μⱼ)²` as an `ncols×1` column (nalgebra's `row_variance_tr`).
    row_variance_tr(x) -> OVector<T, C> where Allocator<C> { x.row_variance_tr() }
    /// `X̄ᵢⱼ += ḡⱼ·2(Xᵢⱼ − μⱼ)/m` for `Y = X.row_variance_tr()`, with `μ` the mean row.
    row_variance_tr_pullback(g, x, _y, acc) {
        let mu = x.row_mean_tr();
        let c = recip::<T>(x.nrows());
        accumulate_entries(acc, x, |i, j| (g[j] + g[j]) * c * (x[(i, j)] - mu[j]))
    }

    /// `Yᵢ = (1/n) Σⱼ (Xᵢⱼ − μᵢ)²`: the population variance of each row of an `m×n` `X`, as an
    /// `nrows×1` column (nalgebra's `column_variance`, which computes it as `(1/n) Σⱼ Xᵢⱼ² − μᵢ²`).
    column_variance(x) -> OVector<T, R> where Allocator<R> { x.column_variance() }
    /// `X̄ᵢⱼ += ḡᵢ·2(Xᵢⱼ − μᵢ)/n` for `Y = X.column_variance()`, with `μ` the mean column.
    column_variance_pullback(g, x, _y, acc) {
        let mu = x.column_mean();
        let c = recip::<T>(x.ncols());
        accumulate_entries(acc, x, |i, j| (g[i] + g[i]) * c * (x[(i, j)] - mu[i]))
    }
}

// ---------------------------------------------------------------- axis reductions

/// `acc[(i, j)] += c(j)` for every entry of an `x`-shaped slot (each column gains its own
/// constant), filling an empty one.
#[inline]
fn accumulate_columns<T: Scalar, R: Dim, C: Dim>(
    acc: &mut Option<OMatrix<T, R, C>>,
    x: &OMatrix<T, R, C>,
    c: impl Fn(usize) -> T,
) where
    DefaultAllocator: Allocator<R, C>,
{
    let m = x.nrows();
    match acc {
        Some(a) => {
            shape::same("+=", a.shape(), x.shape());
            if m == 0 {
                return;
            }
            for (j, col) in a.as_mut_slice().chunks_exact_mut(m).enumerate() {
                let cj = c(j);
                col.iter_mut().for_each(|v| *v += cj);
            }
        }
        None => {
            let mut out = crate::workspace::take_vec(x.len());
            for j in 0..x.ncols() {
                out.extend(std::iter::repeat_n(c(j), m));
            }
            *acc = Some(x.with_entries(out));
        }
    }
}

/// `acc[(i, j)] += r[i]` for every entry of an `x`-shaped slot (each column gains the column
/// `r`), filling an empty one.
#[inline]
fn accumulate_rows<T: Scalar, R: Dim, C: Dim>(
    acc: &mut Option<OMatrix<T, R, C>>,
    x: &OMatrix<T, R, C>,
    r: &[T],
) where
    DefaultAllocator: Allocator<R, C>,
{
    let m = x.nrows();
    match acc {
        Some(a) => {
            shape::same("+=", a.shape(), x.shape());
            if m == 0 {
                return;
            }
            for col in a.as_mut_slice().chunks_exact_mut(m) {
                col.iter_mut().zip(r).for_each(|(v, ri)| *v += *ri);
            }
        }
        None => {
            let mut out = crate::workspace::take_vec(x.len());
            for _ in 0..x.ncols() {
                out.extend_from_slice(&r[..m]);
            }
            *acc = Some(x.with_entries(out));
        }
    }
}

/// `acc[(i, j)] += f(i, j)` for every entry of an `x`-shaped slot, filling an empty one.
#[inline]
fn accumulate_entries<T: Scalar, R: Dim, C: Dim>(
    acc: &mut Option<OMatrix<T, R, C>>,
    x: &OMatrix<T, R, C>,
    f: impl Fn(usize, usize) -> T,
) where
    DefaultAllocator: Allocator<R, C>,
{
    match acc {
        Some(a) => {
            shape::same("+=", a.shape(), x.shape());
            let m = a.nrows();
            if m == 0 {
                return;
            }
            for (j, col) in a.as_mut_slice().chunks_exact_mut(m).enumerate() {
                for (i, v) in col.iter_mut().enumerate() {
                    *v += f(i, j);
                }
            }
        }
        None => {
            let (r, c) = x.shape_generic();
            *acc = Some(OMatrix::from_fn_generic(r, c, f));
        }
    }
}

/// `1 / n` as a `T`.
#[inline]
fn recip<T: Scalar>(n: usize) -> T {
    T::one() / nalgebra::convert::<f64, T>(n as f64)
}
