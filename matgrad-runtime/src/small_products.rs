//! Products too small for a product library to pay back its call: fewer than
//! [`PATHS_FROM`](crate::product_path::PATHS_FROM) multiply-adds, every dimension above nalgebra's
//! small-matrix cutoff, where nalgebra hands them to matrixmultiply, which allocates and packs
//! both operands on every call (a quarter of a 16×8×16 attention layer's gradient, and a third
//! of its allocations). Here they are one loop over the operands as they lie, in the widest
//! instructions the CPU has, into the destination's own buffer: no packing, no allocation.
//!
//! `f64` only; other scalars keep nalgebra's product.

use crate::transposed::{assert_fits, Operand};

/// `kernel::<FMA>(args..)` compiled for AVX-512F, for AVX2 with FMA, or for the baseline,
/// whichever the CPU runs (as `vmath`'s slice functions).
macro_rules! dispatch {
    ($kernel:ident($($arg:expr),*)) => {{
        #[cfg(target_arch = "x86_64")]
        {
            #[target_feature(enable = "avx512f")]
            fn avx512(dst: &mut [f64], s: Shape, read: bool, l: &[f64], r: &[f64]) {
                $kernel::<true>(dst, s, read, l, r)
            }
            #[target_feature(enable = "avx2,fma")]
            fn avx2(dst: &mut [f64], s: Shape, read: bool, l: &[f64], r: &[f64]) {
                $kernel::<true>(dst, s, read, l, r)
            }
            match crate::vmath::level() {
                // SAFETY: the CPU has the features the function was compiled for.
                crate::vmath::Level::Avx512 => unsafe { avx512($($arg),*) },
                // SAFETY: as above.
                crate::vmath::Level::Avx2 => unsafe { avx2($($arg),*) },
                crate::vmath::Level::Baseline => $kernel::<false>($($arg),*),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        $kernel::<false>($($arg),*)
    }};
}

/// `dst = lhs·rhs`, or `dst += lhs·rhs` with `read_dst`, for a contiguous column-major m×n
/// `dst` and an m×k by k×n operand read through its strides: each column of `dst` gains the
/// left operand's columns scaled, which must be adjacent (`A·B`, `A·Bᵀ`) or are made so by a
/// copy when its rows are (`Aᵀ·B`, up to [`TRANSPOSED_UP_TO`] entries). `false`, having done
/// nothing, for any other left operand.
///
/// # Panics
/// If `dst` or an operand's storage is smaller than its shape.
pub(crate) fn small_product(
    dst: &mut [f64],
    (m, n, k): (usize, usize, usize),
    read_dst: bool,
    lhs: Operand<'_, f64>,
    rhs: Operand<'_, f64>,
) -> bool {
    assert_fits(dst.len(), (m, n, k), &lhs, &rhs);
    let dst = &mut dst[..m * n];
    let shape = |lhs_col: usize| Shape {
        m,
        k,
        lhs_col,
        rhs: (rhs.1 as usize, rhs.2 as usize),
    };
    if lhs.2 == 1 {
        dispatch!(columns(dst, shape(lhs.1 as usize), read_dst, lhs.0, rhs.0));
        true
    } else if lhs.1 == 1 && m * k <= TRANSPOSED_UP_TO {
        // `Aᵀ·B`: Aᵀ copied with its columns adjacent, on the stack (in the smallest buffer
        // it fits: zeroing 8 KB costs what a 6×6×6 product does).
        match m * k {
            0..=64 => transposed::<64>(dst, shape(m), read_dst, lhs, rhs.0),
            65..=256 => transposed::<256>(dst, shape(m), read_dst, lhs, rhs.0),
            _ => transposed::<TRANSPOSED_UP_TO>(dst, shape(m), read_dst, lhs, rhs.0),
        }
        true
    } else {
        false
    }
}

/// [`columns`] of a left operand whose rows are adjacent, copied into `N` entries on the stack.
fn transposed<const N: usize>(
    dst: &mut [f64],
    s: Shape,
    read_dst: bool,
    lhs: Operand<'_, f64>,
    rhs: &[f64],
) {
    let (m, k) = (s.m, s.k);
    let mut at = [0.0; N];
    for (p, column) in at[..m * k].chunks_exact_mut(m).enumerate() {
        for (i, e) in column.iter_mut().enumerate() {
            *e = lhs.0[i * lhs.2 as usize + p];
        }
    }
    dispatch!(columns(dst, s, read_dst, &at[..m * k], rhs));
}

/// The most entries of a transposed left operand copied on the stack (8 KB): more than a
/// product below `PATHS_FROM` multiply-adds with every dimension above nalgebra's cutoff has.
const TRANSPOSED_UP_TO: usize = 1024;

/// The dimensions and steps a kernel reads the operands with.
#[derive(Clone, Copy)]
struct Shape {
    m: usize,
    k: usize,
    /// The step between the left operand's columns.
    lhs_col: usize,
    /// The right operand's step between columns and between rows.
    rhs: (usize, usize),
}

/// `a·b + c`, fused where the kernel is compiled for FMA.
#[inline(always)]
fn fma<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// Column j of `dst` (+)= Σₚ lhs[:, p]·rhs[p, j], the left operand's columns adjacent, in
/// strips of 8, 4, 2 and 1 rows ([`strip`]).
#[inline(always)]
fn columns<const FMA: bool>(dst: &mut [f64], s: Shape, read_dst: bool, lhs: &[f64], rhs: &[f64]) {
    let mut i = 0;
    while s.m - i >= 8 {
        strip::<FMA, 8>(dst, s, read_dst, (lhs, rhs), i);
        i += 8;
    }
    if s.m - i >= 4 {
        strip::<FMA, 4>(dst, s, read_dst, (lhs, rhs), i);
        i += 4;
    }
    if s.m - i >= 2 {
        strip::<FMA, 2>(dst, s, read_dst, (lhs, rhs), i);
        i += 2;
    }
    if s.m - i >= 1 {
        strip::<FMA, 1>(dst, s, read_dst, (lhs, rhs), i);
    }
}

/// The columns a block holds together.
const COLUMNS: usize = 4;

/// Rows `i..i + R` of every column, [`COLUMNS`] columns at a time, then the last ones singly.
#[inline(always)]
fn strip<const FMA: bool, const R: usize>(
    dst: &mut [f64],
    s: Shape,
    read_dst: bool,
    operands: (&[f64], &[f64]),
    i: usize,
) {
    let n = dst.len() / s.m;
    let blocked = n - n % COLUMNS;
    for j in (0..blocked).step_by(COLUMNS) {
        block::<FMA, COLUMNS, R>(dst, s, read_dst, operands, (i, j));
    }
    for j in blocked..n {
        block::<FMA, 1, R>(dst, s, read_dst, operands, (i, j));
    }
}

/// Rows `i..i + R` of columns `j..j + C` of `dst`: C·R sums held in registers over every p
/// (independent chains, each stretch of the left operand's column loaded once; a
/// dynamic-length inner loop would be vectorised four vectors wide, and a column of 8 or 16
/// would run in its scalar remainder).
#[inline(always)]
fn block<const FMA: bool, const C: usize, const R: usize>(
    dst: &mut [f64],
    s: Shape,
    read_dst: bool,
    (lhs, rhs): (&[f64], &[f64]),
    (i, j): (usize, usize),
) {
    let Shape {
        m,
        k,
        lhs_col,
        rhs: (rhs_col, rhs_row),
    } = s;
    let mut acc = [[0.0; R]; C];
    if read_dst {
        for (c, a) in acc.iter_mut().enumerate() {
            let at = (j + c) * m + i;
            a.copy_from_slice(&dst[at..at + R]);
        }
    }
    for p in 0..k {
        let at = p * lhs_col + i;
        let column: &[f64; R] = lhs[at..at + R].try_into().expect("R entries");
        for (c, a) in acc.iter_mut().enumerate() {
            let scale = rhs[(j + c) * rhs_col + p * rhs_row];
            for l in 0..R {
                a[l] = fma::<FMA>(scale, column[l], a[l]);
            }
        }
    }
    for (c, a) in acc.iter().enumerate() {
        let at = (j + c) * m + i;
        dst[at..at + R].copy_from_slice(a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::product_path::Orientation;

    fn entries(len: usize, seed: f64) -> Vec<f64> {
        (0..len).map(|i| (i as f64 * 0.37 + seed).sin()).collect()
    }

    /// op(A)·op(B) (+ C) by the definition, reading the operands through their strides.
    fn by_definition(
        (m, n, k): (usize, usize, usize),
        c: &[f64],
        read_dst: bool,
        l: Operand<'_, f64>,
        r: Operand<'_, f64>,
    ) -> Vec<f64> {
        let at =
            |o: &Operand<'_, f64>, i: usize, j: usize| o.0[i * o.2 as usize + j * o.1 as usize];
        let mut out = vec![0.0; m * n];
        for j in 0..n {
            for i in 0..m {
                let s: f64 = (0..k).map(|p| at(&l, i, p) * at(&r, p, j)).sum();
                out[i + j * m] = if read_dst { c[i + j * m] + s } else { s };
            }
        }
        out
    }

    #[test]
    fn every_orientation_matches_the_definition_with_and_without_accumulating() {
        // Rows in strips of 8, 4, 2 and 1, columns in blocks of 4 and singly, and transposed
        // left operands in either stack buffer.
        for (m, n, k) in [
            (6, 7, 8),
            (16, 8, 16),
            (9, 13, 17),
            (10, 16, 25),
            (7, 6, 31),
            (15, 6, 22),
        ] {
            for orientation in [Orientation::NN, Orientation::TN, Orientation::NT] {
                let (a, b) = (entries(m * k, 0.1), entries(k * n, 0.7));
                let (l, r) = orientation.operands(&a, &b, [m, n, k]);
                for read_dst in [false, true] {
                    let mut c = entries(m * n, 0.3);
                    let want = by_definition((m, n, k), &c, read_dst, l, r);
                    assert!(small_product(&mut c, (m, n, k), read_dst, l, r));
                    let err = c
                        .iter()
                        .zip(&want)
                        .map(|(x, y)| (x - y).abs())
                        .fold(0.0, f64::max);
                    assert!(
                        err < 1e-13,
                        "{orientation:?} {m}×{n}×{k} (+= {read_dst}): off by {err:e}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_layout_without_adjacent_entries_is_left_alone() {
        let (a, b) = (entries(72, 0.1), entries(36, 0.7));
        let mut c = vec![1.0; 36];
        // Neither the left operand's rows nor its columns adjacent.
        let (l, r) = (Operand(&a[..], 2, 12), Operand(&b[..], 6, 1));
        assert!(!small_product(&mut c, (6, 6, 6), true, l, r));
        assert!(c.iter().all(|&x| x == 1.0));
    }
}
