//! `Aᵀ·B` and `A·Bᵀ` without materialised transposes: both pullbacks against finite
//! differences, small shapes (nalgebra's small-matrix path) and large ones (blocked `gemm`
//! on strided views), square and not, and the scalar forms `aᵀ·s`, `s·bᵀ`.

use crate::common::*;
use autodiff_runtime::{
    mul_nt, mul_nt_pullback_lhs, mul_nt_pullback_rhs, mul_tn, mul_tn_pullback_lhs,
    mul_tn_pullback_rhs,
};

#[test]
fn transposed_left_products_match_finite_differences() {
    let mut r = rng(101);
    for (k, m, n) in [(1, 1, 1), (3, 2, 4), (2, 5, 1), (12, 10, 9), (9, 16, 11)] {
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
    for (m, k, n) in [(1, 1, 1), (3, 2, 4), (2, 5, 1), (12, 10, 9), (9, 16, 11)] {
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
