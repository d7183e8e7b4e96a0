//! `Aᵀ·B` and `A·Bᵀ` without materialised transposes: both pullbacks against finite
//! differences, small shapes (nalgebra's small-matrix path), middle ones (nalgebra's blocked
//! `gemm` on strided views) and large ones (the gemm crate, f64 and f32), square and not, and
//! the scalar forms `aᵀ·s`, `s·bᵀ`.

use crate::common::*;
use matgrad_runtime::{
    mul, mul_nt, mul_nt_pullback_lhs, mul_nt_pullback_rhs, mul_pullback_rhs, mul_tn,
    mul_tn_pullback_lhs, mul_tn_pullback_rhs,
};
use nalgebra::{DMatrix, SMatrix};

#[test]
fn transposed_left_products_match_finite_differences() {
    let mut r = rng(101);
    for (k, m, n) in [
        (1, 1, 1),
        (3, 2, 4),
        (2, 5, 1),
        (12, 10, 9),
        (9, 16, 11),
        (33, 40, 35),
    ] {
        let (a, b) = (dmatrix(&mut r, k, m), dmatrix(&mut r, k, n));
        let y = mul_tn(&a, &b);
        assert!(
            (y - a.transpose() * &b).norm() < 1e-12,
            "mul_tn value at {k}×{m}, {k}×{n}"
        );
        check_vjp(
            "Aᵀ·B lhs",
            &mut r,
            &a,
            |a| mul_tn(a, &b),
            |g, a, _, acc| mul_tn_pullback_lhs(g, a, &b, acc),
        );
        check_vjp(
            "Aᵀ·B rhs",
            &mut r,
            &b,
            |b| mul_tn(&a, b),
            |g, b, _, acc| mul_tn_pullback_rhs(g, &a, b, acc),
        );
    }
}

#[test]
fn transposed_right_products_match_finite_differences() {
    let mut r = rng(102);
    for (m, k, n) in [
        (1, 1, 1),
        (3, 2, 4),
        (2, 5, 1),
        (12, 10, 9),
        (9, 16, 11),
        (40, 33, 35),
    ] {
        let (a, b) = (dmatrix(&mut r, m, k), dmatrix(&mut r, n, k));
        let y = mul_nt(&a, &b);
        assert!(
            (y - &a * b.transpose()).norm() < 1e-12,
            "mul_nt value at {m}×{k}, {n}×{k}"
        );
        check_vjp(
            "A·Bᵀ lhs",
            &mut r,
            &a,
            |a| mul_nt(a, &b),
            |g, a, _, acc| mul_nt_pullback_lhs(g, a, &b, acc),
        );
        check_vjp(
            "A·Bᵀ rhs",
            &mut r,
            &b,
            |b| mul_nt(&a, b),
            |g, b, _, acc| mul_nt_pullback_rhs(g, &a, b, acc),
        );
    }
}

#[test]
fn transposed_products_with_scalars_match_finite_differences() {
    let mut r = rng(103);
    for (m, n) in [(1, 1), (3, 2), (2, 5)] {
        let a = dmatrix(&mut r, m, n);
        let s = 1.3;
        check_vjp(
            "aᵀ·s lhs",
            &mut r,
            &a,
            |a| mul_tn(a, &s),
            |g, a, _, acc| mul_tn_pullback_lhs(g, a, &s, acc),
        );
        check_vjp(
            "aᵀ·s rhs",
            &mut r,
            &s,
            |s| mul_tn(&a, s),
            |g, s, _, acc| mul_tn_pullback_rhs(g, &a, s, acc),
        );
        check_vjp(
            "s·bᵀ lhs",
            &mut r,
            &s,
            |s| mul_nt(s, &a),
            |g, s, _, acc| mul_nt_pullback_lhs(g, s, &a, acc),
        );
        check_vjp(
            "s·bᵀ rhs",
            &mut r,
            &a,
            |b| mul_nt(&s, b),
            |g, b, _, acc| mul_nt_pullback_rhs(g, &s, b, acc),
        );
    }
}

/// The gemm crate's path (every dimension at least 32) in f32 agrees with the f64 products:
/// `Aᵀ·B`, `A·Bᵀ`, `A·B`, and a pullback into a filled slot.
#[test]
fn large_f32_products_agree_with_f64() {
    let mut r = rng(103);
    let (m, k, n) = (40, 33, 48);
    let (at, a, b) = (
        dmatrix(&mut r, k, m),
        dmatrix(&mut r, m, k),
        dmatrix(&mut r, k, n),
    );
    let (bt, g, prefill) = (
        dmatrix(&mut r, n, k),
        dmatrix(&mut r, m, n),
        dmatrix(&mut r, k, n),
    );
    let narrow = |x: &DMatrix<f64>| x.map(|v| v as f32);
    let mut filled = Some(prefill.clone());
    mul_pullback_rhs(&g, &a, &b, &mut filled);
    let mut filled32 = Some(narrow(&prefill));
    mul_pullback_rhs(&narrow(&g), &narrow(&a), &narrow(&b), &mut filled32);
    assert_f32_agrees(
        &[
            ("Aᵀ·B", mul_tn(&at, &b).as_slice().to_vec()),
            ("A·Bᵀ", mul_nt(&a, &bt).as_slice().to_vec()),
            ("A·B", mul(&a, &b).as_slice().to_vec()),
            ("B̄ += Aᵀ·Ḡ", filled.unwrap().as_slice().to_vec()),
        ],
        &[
            (
                "Aᵀ·B",
                mul_tn(&narrow(&at), &narrow(&b)).as_slice().to_vec(),
            ),
            (
                "A·Bᵀ",
                mul_nt(&narrow(&a), &narrow(&bt)).as_slice().to_vec(),
            ),
            ("A·B", mul(&narrow(&a), &narrow(&b)).as_slice().to_vec()),
            ("B̄ += Aᵀ·Ḡ", filled32.unwrap().as_slice().to_vec()),
        ],
    );
}

// The transposed operand is a strided view, which nalgebra's own loop (taken below
// `NALGEBRA_SMALL_DIM`, or for statically sized matrices) misreads: sizes on both sides of
// the threshold, dynamic and static, held to a triple loop. (Statically sized operands above
// 8 once went to nalgebra's loop: an out-of-bounds read.)

/// `A·B` by the definition.
fn by_definition(a: &DMatrix<f64>, b: &DMatrix<f64>) -> DMatrix<f64> {
    DMatrix::from_fn(a.nrows(), b.ncols(), |i, j| {
        (0..a.ncols()).map(|l| a[(i, l)] * b[(l, j)]).sum()
    })
}

fn patterned(r: usize, c: usize, seed: f64) -> DMatrix<f64> {
    DMatrix::from_fn(r, c, |i, j| ((i * 7 + j * 3) as f64 * 0.37 + seed).sin())
}

fn assert_near(what: &str, got: &DMatrix<f64>, want: &DMatrix<f64>) {
    let err = (got - want).amax() / want.amax().max(1.0);
    assert!(err < 1e-13, "{what}: off by {err:e}");
}

#[test]
fn strided_views_of_dynamic_sizes_across_nalgebras_threshold() {
    for (k, m, n) in [
        (5, 6, 6),
        (6, 5, 6),
        (6, 6, 5),
        (6, 6, 6),
        (6, 7, 9),
        (8, 16, 32),
        (40, 6, 7),
    ] {
        let (a, b) = (patterned(k, m, 0.1), patterned(k, n, 0.7));
        let want = by_definition(&a.transpose(), &b);
        assert_near(&format!("Aᵀ·B {k}×{m}×{n}"), &mul_tn(&a, &b), &want);
        let (c, d) = (patterned(m, k, 0.3), patterned(n, k, 0.9));
        let want = by_definition(&c, &d.transpose());
        assert_near(&format!("A·Bᵀ {m}×{k}×{n}"), &mul_nt(&c, &d), &want);
    }
}

#[test]
fn strided_views_of_static_sizes() {
    let a = SMatrix::<f64, 10, 12>::from_fn(|i, j| ((i * 3 + j) as f64 * 0.1).cos());
    let b = SMatrix::<f64, 10, 9>::from_fn(|i, j| ((i + 5 * j) as f64 * 0.2).sin());
    let (ad, bd) = (
        DMatrix::from_column_slice(10, 12, a.as_slice()),
        DMatrix::from_column_slice(10, 9, b.as_slice()),
    );
    let got = mul_tn(&a, &b);
    let want = by_definition(&ad.transpose(), &bd);
    assert_near(
        "static Aᵀ·B",
        &DMatrix::from_column_slice(12, 9, got.as_slice()),
        &want,
    );
    let c = SMatrix::<f64, 12, 10>::from_fn(|i, j| ((i * 2 + j) as f64 * 0.3).sin());
    let cd = DMatrix::from_column_slice(12, 10, c.as_slice());
    let got = mul_nt(&c, &b.transpose());
    let want = by_definition(&cd, &bd);
    assert_near(
        "static A·Bᵀ",
        &DMatrix::from_column_slice(12, 9, got.as_slice()),
        &want,
    );
}
