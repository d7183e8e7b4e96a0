//! Dense kernels of the factorisations' pullbacks on column-major storage: a triangle of a
//! product added to a matrix, the inverse of a lower-triangular matrix and the Gram matrix
//! `XᵀX` of one, blocked so that their O(n³) work is in `gemm` (nalgebra's, matrixmultiply
//! for large blocks) rather than in column-by-column solves and dot products.
//!
//! Every matrix is a slice in column-major order with its leading dimension (the step from
//! one column to the next), so that a block of a matrix is the slice from its first entry.

use crate::value::Scalar;
#[allow(unused_imports)]
use crate::Differentiable as _;
use nalgebra::{Dyn, MatrixView, MatrixViewMut};

/// The block size below which the recursive kernels work entry by entry, and the width of
/// the column blocks of [`add_product_triangle`].
const BLOCK: usize = 32;

/// The `rows×cols` block at the start of `s`, columns `ld` apart.
fn view<T: Scalar>(
    s: &[T],
    rows: usize,
    cols: usize,
    ld: usize,
) -> MatrixView<'_, T, Dyn, Dyn, Dyn, Dyn> {
    MatrixView::from_slice_with_strides_generic(s, Dyn(rows), Dyn(cols), Dyn(1), Dyn(ld))
}

/// The transpose (`cols×rows`) of the `rows×cols` block at the start of `s`.
fn view_t<T: Scalar>(
    s: &[T],
    rows: usize,
    cols: usize,
    ld: usize,
) -> MatrixView<'_, T, Dyn, Dyn, Dyn, Dyn> {
    MatrixView::from_slice_with_strides_generic(s, Dyn(cols), Dyn(rows), Dyn(ld), Dyn(1))
}

/// The mutable `rows×cols` block at the start of `s`, columns `ld` apart.
fn view_mut<T: Scalar>(
    s: &mut [T],
    rows: usize,
    cols: usize,
    ld: usize,
) -> MatrixViewMut<'_, T, Dyn, Dyn, Dyn, Dyn> {
    MatrixViewMut::from_slice_with_strides_generic(s, Dyn(rows), Dyn(cols), Dyn(1), Dyn(ld))
}

/// `Y = α·Aᵀ·B + β·Y` for the `k×m` block at the start of `a` (leading dimension `lda`) and a
/// `k×n` `B`. nalgebra's `gemm` takes `Aᵀ` as a strided view when every dimension is large
/// enough for matrixmultiply ([`crate::transposed::NALGEBRA_SMALL_DIM`]); below that its
/// column-by-column path misreads a left operand whose rows are not adjacent, so small
/// products go to `gemm_tr` (dot products).
fn gemm_tn<T: Scalar>(
    y: &mut MatrixViewMut<'_, T, Dyn, Dyn, Dyn, Dyn>,
    alpha: T,
    a: &[T],
    (k, m, lda): (usize, usize, usize),
    b: &MatrixView<'_, T, Dyn, Dyn, Dyn, Dyn>,
    beta: T,
) {
    let small = crate::transposed::NALGEBRA_SMALL_DIM;
    if k > small && m > small && b.ncols() > small {
        y.gemm(alpha, &view_t(a, k, m, lda), b, beta);
    } else {
        y.gemm_tr(alpha, &view(a, k, m, lda), b, beta);
    }
}

/// `M += α·tri(P·Qᵀ)` for `P` and `Q` n×k (leading dimension n) and `M` n×n: the lower
/// (`lower`) or upper triangle of the product, its diagonal included, the other triangle of
/// `M` untouched. Half the product's work, and no n×n temporary.
pub(crate) fn add_product_triangle<T: Scalar>(
    m: &mut [T],
    n: usize,
    alpha: T,
    p: &[T],
    q: &[T],
    k: usize,
    lower: bool,
) {
    assert!(m.len() >= n * n && p.len() >= n * k && q.len() >= n * k);
    let mut square = nalgebra::DMatrix::<T>::zeros(BLOCK.min(n), BLOCK.min(n));
    for j0 in (0..n).step_by(BLOCK) {
        let j1 = (j0 + BLOCK).min(n);
        let w = j1 - j0;
        // The diagonal block whole, by one product (twice the triangle's work, at a product's
        // speed), then its triangle added: Mᵢⱼ += α·Σₗ Pᵢₗ·Qⱼₗ.
        let d = square.as_mut_slice();
        view_mut(d, w, w, w).gemm(
            T::one(),
            &view(&p[j0..], w, k, n),
            &view_t(&q[j0..], w, k, n),
            T::zero(),
        );
        for j in 0..w {
            let rows = if lower { j..w } else { 0..j + 1 };
            let col = &mut m[(j0 + j) * n + j0..(j0 + j) * n + j1][rows.clone()];
            for (c, &v) in col.iter_mut().zip(&d[j * w..(j + 1) * w][rows]) {
                *c += alpha * v;
            }
        }
        // The full rectangle below (above) it: one product.
        let (r0, r1) = if lower { (j1, n) } else { (0, j0) };
        if r1 > r0 {
            let mut block = view_mut(&mut m[j0 * n + r0..], r1 - r0, j1 - j0, n);
            block.gemm(
                alpha,
                &view(&p[r0..], r1 - r0, k, n),
                &view_t(&q[j0..], j1 - j0, k, n),
                T::one(),
            );
        }
    }
}

/// Solves `op(T)·Y = B` in place for the n×n triangle of `t` (column-major, leading dimension
/// n) and the n×k `B` in `b`: `lower` reads `T`'s lower triangle (else its upper), `transposed`
/// solves with `Tᵀ`, `unit` takes the diagonal as ones (unread). From 8 rows and 16 columns
/// by blocks, nearly all its work products (`blocked.rs`); otherwise each column of `B` by
/// substitution along contiguous columns of `t`: an axpy per step for `T`, a dot product per
/// step for `Tᵀ` (nalgebra's solves do the same with a view and bounds checks per step, which
/// dominate at the pullbacks' sizes). `false`, `B` untouched, at a zero on the diagonal.
pub(crate) fn triangular_solve<T: Scalar>(
    t: &[T],
    n: usize,
    lower: bool,
    transposed: bool,
    unit: bool,
    b: &mut [T],
) -> bool {
    if n == 0 {
        return true;
    }
    assert!(t.len() >= n * n && b.len().is_multiple_of(n));
    if !unit && (0..n).any(|i| t[i * n + i].is_zero()) {
        return false;
    }
    if blocked::blocked_pays(n, b.len() / n) {
        blocked::triangular_solve_blocked(t, n, lower, transposed, unit, b);
    } else {
        triangular_solve_unblocked(t, n, lower, transposed, unit, b);
    }
    true
}

/// [`triangular_solve`] column by column, without blocks (the diagonal already checked).
fn triangular_solve_unblocked<T: Scalar>(
    t: &[T],
    n: usize,
    lower: bool,
    transposed: bool,
    unit: bool,
    b: &mut [T],
) {
    let diag = |i: usize| if unit { T::one() } else { t[i * n + i] };
    // The transposed solves reduce: four columns at once, so that four independent sums
    // overlap each other's latency (one column's steps wait on each other).
    let mut b = b;
    if transposed {
        let mut groups = b.chunks_exact_mut(4 * n);
        for group in &mut groups {
            tr_solve_columns::<T, 4>(t, n, lower, unit, group);
        }
        b = groups.into_remainder();
    }
    for y in b.chunks_exact_mut(n) {
        match (lower, transposed) {
            // L·y = b: forward, yⱼ then b[j+1..] −= yⱼ·L[j+1.., j].
            (true, false) => {
                for j in 0..n {
                    let (head, tail) = y.split_at_mut(j + 1);
                    let v = head[j] / diag(j);
                    head[j] = v;
                    for (c, &l) in tail.iter_mut().zip(&t[j * n + j + 1..(j + 1) * n]) {
                        *c -= v * l;
                    }
                }
            }
            // U·y = b: backward, yⱼ then b[..j] −= yⱼ·U[..j, j].
            (false, false) => {
                for j in (0..n).rev() {
                    let (head, tail) = y.split_at_mut(j);
                    let v = tail[0] / diag(j);
                    tail[0] = v;
                    for (c, &u) in head.iter_mut().zip(&t[j * n..j * n + j]) {
                        *c -= v * u;
                    }
                }
            }
            // Lᵀ·y = b: backward, yᵢ = (bᵢ − L[i+1.., i]·y[i+1..]) / Lᵢᵢ, the product summed
            // from its far end, so that it waits for yᵢ₊₁ (just computed) only at its last term.
            (true, true) => {
                for i in (0..n).rev() {
                    let s = dot_from_end(&t[i * n + i + 1..(i + 1) * n], &y[i + 1..]);
                    y[i] = (y[i] - s) / diag(i);
                }
            }
            // Uᵀ·y = b: forward, yᵢ = (bᵢ − U[..i, i]·y[..i]) / Uᵢᵢ.
            (false, true) => {
                for i in 0..n {
                    let s = dot(&t[i * n..i * n + i], &y[..i]);
                    y[i] = (y[i] - s) / diag(i);
                }
            }
        }
    }
}

/// `Y ← Q·Y` for the orthogonal `Q` of a QR factorisation as nalgebra packs it: column `i`
/// of the m×r `qr` holds, from its diagonal down, the unit axis `vᵢ` of the reflection
/// `Hᵢ = sᵢ·(I − 2vᵢvᵢᵀ)` on rows `i..`, and `Q = H₀·…·H_{r−1}`, applied last to first (as
/// nalgebra's `QR::q()` applies them to the identity; `Y` is m×k). The sign `sᵢ` is that of
/// the diagonal nalgebra keeps private (the modulus of which is `R`'s): nalgebra adds
/// `sign(aᵢᵢ)·‖aᵢ‖` to the column's first entry for `vᵢ`, so `vᵢ`'s first entry has the sign of
/// `aᵢᵢ`, and `R`'s diagonal before the modulus is `−sign(aᵢᵢ)·‖aᵢ‖`: `sᵢ = −sign(vᵢ₀)`. A zero
/// column (`vᵢ = 0`) has a zero in `R`'s diagonal, which the callers reject first.
pub(crate) fn apply_householder_q<T: Scalar>(qr: &[T], m: usize, r: usize, y: &mut [T]) {
    if m == 0 {
        return;
    }
    assert!(qr.len() >= m * r && r <= m && y.len().is_multiple_of(m));
    let two: T = nalgebra::convert(2.0);
    for i in (0..r).rev() {
        let v = &qr[i * m + i..(i + 1) * m];
        let sign = -v[0].signum();
        for col in y.chunks_exact_mut(m) {
            // yᵢ.. ← sᵢ·(yᵢ.. − 2·(v·yᵢ..)·v).
            let tail = &mut col[i..];
            let f = two * dot(v, tail);
            for (c, &a) in tail.iter_mut().zip(v) {
                *c = sign * (*c - f * a);
            }
        }
    }
}

/// Copies the strict lower triangle of the n×n `m` onto its upper one: `m` becomes exactly
/// symmetric.
pub(crate) fn mirror_lower<T: Scalar>(m: &mut [T], n: usize) {
    assert!(m.len() >= n * n);
    // Blocks of columns, so that the rows read stay in cache.
    for j0 in (0..n).step_by(BLOCK) {
        let j1 = (j0 + BLOCK).min(n);
        for i in j0..n {
            for j in j0..j1.min(i) {
                m[i * n + j] = m[j * n + i];
            }
        }
    }
}

/// `L⁻¹` (n×n, column-major, lower triangular, zero above the diagonal) for the lower
/// triangle of the n×n `l` (its upper triangle is not read): `L⁻¹ = [L₁₁⁻¹, 0; −L₂₂⁻¹·L₂₁·L₁₁⁻¹,
/// L₂₂⁻¹]` recursively, the off-diagonal blocks by two products.
///
/// The diagonal must be non-zero (a Cholesky factor's is positive).
pub(crate) fn lower_inverse<T: Scalar>(l: &[T], n: usize) -> Vec<T> {
    assert!(l.len() >= n * n);
    let mut x = vec![T::zero(); n * n];
    lower_inverse_into(l, n, &mut x, n, n);
    x
}

/// [`lower_inverse`] of the n×n block at the start of `l` (leading dimension `ldl`) into the
/// block at the start of `x` (leading dimension `ldx`), whose strict upper triangle is zero.
fn lower_inverse_into<T: Scalar>(l: &[T], ldl: usize, x: &mut [T], ldx: usize, n: usize) {
    if n <= BLOCK {
        // Column j of L⁻¹ solves L·y = eⱼ: zero above j, forward substitution from j.
        for j in 0..n {
            let col = &mut x[j * ldx..j * ldx + n];
            col[j] = T::one();
            for r in j..n {
                let y = col[r] / l[r * ldl + r];
                col[r] = y;
                let lr = &l[r * ldl + r + 1..r * ldl + n];
                for (c, &v) in col[r + 1..].iter_mut().zip(lr) {
                    *c -= y * v;
                }
            }
        }
        return;
    }
    let n1 = split(n);
    let n2 = n - n1;
    lower_inverse_into(l, ldl, x, ldx, n1);
    lower_inverse_into(&l[n1 * ldl + n1..], ldl, &mut x[n1 * ldx + n1..], ldx, n2);
    // X₂₁ = −X₂₂·(L₂₁·X₁₁).
    let mut t = nalgebra::DMatrix::<T>::zeros(n2, n1);
    t.gemm(
        T::one(),
        &view(&l[n1..], n2, n1, ldl),
        &view(x, n1, n1, ldx),
        T::zero(),
    );
    let (left, right) = x.split_at_mut(n1 * ldx);
    let mut x21 = view_mut(&mut left[n1..], n2, n1, ldx);
    x21.gemm(-T::one(), &view(&right[n1..], n2, n2, ldx), &t, T::zero());
}

/// `XᵀX` (n×n, column-major, exactly symmetric) for the lower-triangular n×n `x` (its upper
/// triangle must be zero): with `X = [X₁₁, 0; X₂₁, X₂₂]`, the lower triangle of
/// `[X₁₁ᵀX₁₁ + X₂₁ᵀX₂₁, ·; X₂₂ᵀX₂₁, X₂₂ᵀX₂₂]` recursively, then mirrored. About a third of the
/// work of the full product.
pub(crate) fn lower_gram<T: Scalar>(x: &[T], n: usize) -> Vec<T> {
    assert!(x.len() >= n * n);
    let mut r = vec![T::zero(); n * n];
    lower_gram_into(x, n, &mut r, n, n);
    mirror_lower(&mut r, n);
    r
}

/// The lower triangle of [`lower_gram`] of the n×n block at the start of `x` into the block
/// at the start of `r` (the strict upper triangle of `r`'s diagonal blocks gets partial sums,
/// which [`mirror_lower`] overwrites).
fn lower_gram_into<T: Scalar>(x: &[T], ldx: usize, r: &mut [T], ldr: usize, n: usize) {
    if n <= BLOCK {
        // (XᵀX)ᵢⱼ = Σₖ Xₖᵢ·Xₖⱼ over k ≥ i ≥ j (X is zero above its diagonal).
        for j in 0..n {
            let xj = &x[j * ldx..j * ldx + n];
            for i in j..n {
                let xi = &x[i * ldx + i..i * ldx + n];
                r[j * ldr + i] = dot(xi, &xj[i..]);
            }
        }
        return;
    }
    let n1 = split(n);
    let n2 = n - n1;
    lower_gram_into(x, ldx, r, ldr, n1);
    // R₁₁ += X₂₁ᵀX₂₁ (the whole block; its upper half is overwritten by the mirror).
    gemm_tn(
        &mut view_mut(r, n1, n1, ldr),
        T::one(),
        &x[n1..],
        (n2, n1, ldx),
        &view(&x[n1..], n2, n1, ldx),
        T::one(),
    );
    // R₂₁ = X₂₂ᵀX₂₁.
    gemm_tn(
        &mut view_mut(&mut r[n1..], n2, n1, ldr),
        T::one(),
        &x[n1 * ldx + n1..],
        (n2, n2, ldx),
        &view(&x[n1..], n2, n1, ldx),
        T::zero(),
    );
    lower_gram_into(&x[n1 * ldx + n1..], ldx, &mut r[n1 * ldr + n1..], ldr, n2);
}

/// Where a recursive kernel splits n: half of it, rounded to a multiple of [`BLOCK`].
fn split(n: usize) -> usize {
    (n / 2).div_ceil(BLOCK) * BLOCK
}

/// `Σᵢ aᵢ·bᵢ`, with four partial sums (vectorisable; the order differs from a plain loop's
/// only by rounding).
fn dot<T: Scalar>(a: &[T], b: &[T]) -> T {
    let mut s = [T::zero(); 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..4 {
            s[i] += x[i] * y[i];
        }
    }
    let mut tail = T::zero();
    for (x, y) in ra.iter().zip(rb) {
        tail += *x * *y;
    }
    (s[0] + s[1]) + (s[2] + s[3]) + tail
}

/// The transposed solves of [`triangular_solve`] on the `W` columns of `y` (n entries each)
/// at once: `W` independent sums per step.
fn tr_solve_columns<T: Scalar, const W: usize>(
    t: &[T],
    n: usize,
    lower: bool,
    unit: bool,
    y: &mut [T],
) {
    let mut columns = y.chunks_exact_mut(n);
    let y: [&mut [T]; W] = std::array::from_fn(|_| columns.next().expect("W columns"));
    for step in 0..n {
        // Lᵀ: backward, over L[i+1.., i]; Uᵀ: forward, over U[..i, i].
        let i = if lower { n - 1 - step } else { step };
        let col = &t[i * n..(i + 1) * n];
        let mut s = [T::zero(); W];
        let range = if lower { i + 1..n } else { 0..i };
        for j in range {
            let l = col[j];
            for c in 0..W {
                s[c] += l * y[c][j];
            }
        }
        let d = if unit { T::one() } else { col[i] };
        for c in 0..W {
            y[c][i] = (y[c][i] - s[c]) / d;
        }
    }
}

/// [`dot`] summed from the end: the first entries (the remainder of the blocks of four) last.
fn dot_from_end<T: Scalar>(a: &[T], b: &[T]) -> T {
    let mut s = [T::zero(); 4];
    let (ca, cb) = (a.rchunks_exact(4), b.rchunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..4 {
            s[i] += x[i] * y[i];
        }
    }
    let mut head = T::zero();
    for (x, y) in ra.iter().zip(rb).rev() {
        head += *x * *y;
    }
    (s[0] + s[1]) + (s[2] + s[3]) + head
}

mod blocked;

#[cfg(test)]
mod tests;
