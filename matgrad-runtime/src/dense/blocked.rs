//! Triangular solves with many right-hand sides, blocked so that their work is products.

use super::{gemm_tn, lower_inverse_into, view, view_mut};
use crate::value::Scalar;

/// The rows of a diagonal block of the blocked solve.
pub(super) const SOLVE_BLOCK: usize = 16;

/// Whether [`triangular_solve_blocked`] pays for an n×n triangle and k right-hand sides:
/// enough columns for products (rather than matrix-vector products) to pay, and a triangle
/// not tiny.
pub(super) fn blocked_pays(n: usize, k: usize) -> bool {
    n >= 8 && k >= 16
}

/// Solves `op(T)·Y = B` in place, as [`super::triangular_solve`] (same arguments; the diagonal
/// already checked non-zero), by blocks of [`SOLVE_BLOCK`] rows, every step a product: a
/// block of rows of `Y` is `D⁻¹·B₁` for its diagonal block `D` of `op(T)` (inverted by
/// substitution, w³/6 operations against the product's w²·k), then the rows still to solve
/// lose its part, `B₂ −= op(T)₂₁·Y₁`. For `op(T)` lower triangular (`L`, `Uᵀ`) the blocks
/// go top to bottom, for upper (`U`, `Lᵀ`) bottom to top. (The inverted diagonal blocks are
/// how GPU BLAS libraries block `trsm`; the error stays that of substitution times the small
/// block's condition number.)
pub(super) fn triangular_solve_blocked<T: Scalar>(
    t: &[T],
    n: usize,
    lower: bool,
    transposed: bool,
    unit: bool,
    b: &mut [T],
) {
    let k = b.len() / n;
    let forward = lower != transposed;
    // op(T)ᵢⱼ.
    let a = |i: usize, j: usize| {
        if transposed {
            t[i * n + j]
        } else {
            t[j * n + i]
        }
    };
    let blocks = n.div_ceil(SOLVE_BLOCK);
    let mut solved = nalgebra::DMatrix::<T>::zeros(SOLVE_BLOCK, k);
    // E, E⁻¹ and D⁻¹ of the block, each w×w with leading dimension w.
    let mut e = [T::zero(); 3 * SOLVE_BLOCK * SOLVE_BLOCK];
    let (e, rest) = e.split_at_mut(SOLVE_BLOCK * SOLVE_BLOCK);
    let (e_inv, d_inv) = rest.split_at_mut(SOLVE_BLOCK * SOLVE_BLOCK);
    for step in 0..blocks {
        let j0 = SOLVE_BLOCK * if forward { step } else { blocks - 1 - step };
        let j1 = (j0 + SOLVE_BLOCK).min(n);
        let w = j1 - j0;
        // E = D (forward) or Dᵀ (backward): lower triangular either way, then D⁻¹ from E⁻¹.
        e_inv.fill(T::zero());
        for j in 0..w {
            for i in j..w {
                let (r, c) = if forward { (i, j) } else { (j, i) };
                e[j * w + i] = if i == j && unit {
                    T::one()
                } else {
                    a(j0 + r, j0 + c)
                };
            }
        }
        lower_inverse_into(e, w, e_inv, w, w);
        let d_inv: &[T] = if forward {
            e_inv
        } else {
            for j in 0..w {
                for i in 0..w {
                    d_inv[j * w + i] = e_inv[i * w + j];
                }
            }
            d_inv
        };
        let d_inv = view(d_inv, w, w, w);
        // Y₁ = D⁻¹·B₁, into `solved` (w×k) and back into B's rows.
        let mut y = view_mut(solved.as_mut_slice(), w, k, w);
        y.gemm(T::one(), &d_inv, &view(&b[j0..], w, k, n), T::zero());
        for (col, yc) in b.chunks_exact_mut(n).zip(solved.as_slice().chunks_exact(w)) {
            col[j0..j1].copy_from_slice(yc);
        }
        // The rows still to solve: below the block going forward, above it going backward.
        let (r0, r1) = if forward { (j1, n) } else { (0, j0) };
        if r1 == r0 {
            continue;
        }
        let y = view(solved.as_slice(), w, k, w);
        let mut rest = view_mut(&mut b[r0..], r1 - r0, k, n);
        if transposed {
            // op(T)[r0..r1, j0..j1] = T[j0..j1, r0..r1]ᵀ.
            gemm_tn(
                &mut rest,
                -T::one(),
                &t[r0 * n + j0..],
                (w, r1 - r0, n),
                &y,
                T::one(),
            );
        } else {
            rest.gemm(
                -T::one(),
                &view(&t[j0 * n + r0..], r1 - r0, w, n),
                &y,
                T::one(),
            );
        }
    }
}
