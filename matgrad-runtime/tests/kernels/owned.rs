//! The `_owned` pullbacks (cotangent given by value, its buffer reused) against their
//! borrowed twins, which the other modules check against finite differences: into an empty
//! slot and into a filled one, on several shapes.

use crate::common::*;
use matgrad_runtime as rt;
use matgrad_runtime::Dense;
use nalgebra::{DMatrix, DVector, RowDVector};

/// `owned` and `borrowed` give the same slot, from empty and from `prefill`.
fn same<V: Dense<Scalar = f64> + std::fmt::Debug>(
    name: &str,
    g: &V,
    prefill: &V,
    owned: impl Fn(V, &mut Option<V>),
    borrowed: impl Fn(&V, &mut Option<V>),
) {
    for start in [None, Some(prefill.clone())] {
        let (mut a, mut b) = (start.clone(), start);
        owned(g.clone(), &mut a);
        borrowed(g, &mut b);
        let (a, b) = (a.unwrap(), b.unwrap());
        for i in 0..a.len() {
            assert!(
                (a.entry(i) - b.entry(i)).abs() <= 1e-14 * (1.0 + b.entry(i).abs()),
                "{name}: entry {i}: owned {a:?} vs borrowed {b:?}"
            );
        }
    }
}

#[test]
fn linear_and_elementwise_owned_pullbacks_match_the_borrowed_ones() {
    let mut r = rng(71);
    for (m, n) in [(1, 1), (3, 2), (2, 5)] {
        let (x, y, g, p) = (
            dmatrix(&mut r, m, n),
            dmatrix(&mut r, m, n),
            dmatrix(&mut r, m, n),
            dmatrix(&mut r, m, n),
        );
        same(
            "component_mul lhs",
            &g,
            &p,
            |g, a| rt::component_mul_pullback_lhs_reuse_g(g, &x, &y, a),
            |g, a| rt::component_mul_pullback_lhs(g, &x, &y, a),
        );
        same(
            "component_mul rhs",
            &g,
            &p,
            |g, a| rt::component_mul_pullback_rhs_reuse_g(g, &x, &y, a),
            |g, a| rt::component_mul_pullback_rhs(g, &x, &y, a),
        );
        let yd = y.map(|v| v.abs() + 0.5);
        same(
            "component_div lhs",
            &g,
            &p,
            |g, a| rt::component_div_pullback_lhs_reuse_g(g, &x, &yd, a),
            |g, a| rt::component_div_pullback_lhs(g, &x, &yd, a),
        );
        let s = 1.7;
        let q = rt::div(&x, &s);
        same(
            "div lhs",
            &g,
            &p,
            |g, a| rt::div_pullback_lhs_reuse_g(g, &x, &s, a),
            |g, a| rt::div_pullback_lhs(g, &x, &s, a),
        );
        let sm = rt::mul(&s, &x);
        same(
            "mul s·M rhs",
            &g,
            &p,
            |g, a| rt::mul_pullback_rhs_reuse_g(g, &s, &x, a),
            |g, a| rt::mul_pullback_rhs(g, &s, &x, a),
        );
        let ms = rt::mul(&x, &s);
        same(
            "mul M·s lhs",
            &g,
            &p,
            |g, a| rt::mul_pullback_lhs_reuse_g(g, &x, &s, a),
            |g, a| rt::mul_pullback_lhs(g, &x, &s, a),
        );
        let fx = x.map(|v| v.sin());
        let df = |v: f64, gi: f64| gi * v.cos();
        same(
            "map",
            &g,
            &p,
            |g, a| rt::map_pullback_reuse_g(g, &x, &fx, df, a),
            |g, a| rt::map_pullback(g, &x, &fx, df, a),
        );
        let _ = (q, sm, ms);
    }
}

#[test]
fn matrix_product_and_broadcast_owned_pullbacks_match_the_borrowed_ones() {
    let mut r = rng(72);
    for (m, k, n) in [(1, 1, 1), (3, 2, 4), (2, 5, 1)] {
        let (a, b) = (dmatrix(&mut r, m, k), dmatrix(&mut r, k, n));
        let (g, pa, pb) = (
            dmatrix(&mut r, m, n),
            dmatrix(&mut r, m, k),
            dmatrix(&mut r, k, n),
        );
        same(
            "mul lhs",
            &a,
            &pa,
            |_, s| rt::mul_pullback_lhs_reuse_g(g.clone(), &a, &b, s),
            |_, s| rt::mul_pullback_lhs(&g, &a, &b, s),
        );
        same(
            "mul rhs",
            &b,
            &pb,
            |_, s| rt::mul_pullback_rhs_reuse_g(g.clone(), &a, &b, s),
            |_, s| rt::mul_pullback_rhs(&g, &a, &b, s),
        );
        let x = dmatrix(&mut r, m, n);
        let (row, col): (RowDVector<f64>, DVector<f64>) =
            (row_dvector(&mut r, n), dvector(&mut r, m));
        let row = row.map(|v| v.abs() + 0.5);
        let col = col.map(|v| v.abs() + 0.5);
        let p: DMatrix<f64> = dmatrix(&mut r, m, n);
        same(
            "broadcast_add lhs",
            &g,
            &p,
            |g, s| rt::broadcast_add_pullback_lhs_reuse_g(g, &x, &row, s),
            |g, s| rt::broadcast_add_pullback_lhs(g, &x, &row, s),
        );
        same(
            "broadcast_sub lhs",
            &g,
            &p,
            |g, s| rt::broadcast_sub_pullback_lhs_reuse_g(g, &x, &col, s),
            |g, s| rt::broadcast_sub_pullback_lhs(g, &x, &col, s),
        );
        same(
            "broadcast_mul lhs",
            &g,
            &p,
            |g, s| rt::broadcast_mul_pullback_lhs_reuse_g(g, &x, &row, s),
            |g, s| rt::broadcast_mul_pullback_lhs(g, &x, &row, s),
        );
        same(
            "broadcast_div lhs",
            &g,
            &p,
            |g, s| rt::broadcast_div_pullback_lhs_reuse_g(g, &x, &col, s),
            |g, s| rt::broadcast_div_pullback_lhs(g, &x, &col, s),
        );
    }
}

#[test]
fn scalar_owned_pullbacks_match_the_borrowed_ones() {
    let (x, y, g, p) = (0.7, -1.3, 0.9, 2.5);
    same(
        "pass_through",
        &g,
        &p,
        |g, a| rt::pass_through_reuse_g(g, a),
        |g, a| rt::pass_through(g, a),
    );
    same(
        "pass_negated",
        &g,
        &p,
        |g, a| rt::pass_negated_reuse_g(g, a),
        |g, a| rt::pass_negated(g, a),
    );
    same(
        "mul lhs",
        &g,
        &p,
        |g, a| rt::mul_pullback_lhs_reuse_g(g, &x, &y, a),
        |g, a| rt::mul_pullback_lhs(g, &x, &y, a),
    );
    same(
        "div lhs",
        &g,
        &p,
        |g, a| rt::div_pullback_lhs_reuse_g(g, &x, &y, a),
        |g, a| rt::div_pullback_lhs(g, &x, &y, a),
    );
}

#[test]
fn owned_forward_operations_equal_the_borrowed_ones() {
    let mut r = rng(73);
    for (m, n) in [(1, 1), (3, 2), (2, 5)] {
        let (x, y) = (
            dmatrix(&mut r, m, n),
            dmatrix(&mut r, m, n).map(|v| v.abs() + 0.5),
        );
        assert_eq!(rt::add_reuse_lhs(x.clone(), &y), rt::add(&x, &y));
        assert_eq!(rt::sub_reuse_lhs(x.clone(), &y), rt::sub(&x, &y));
        assert_eq!(rt::neg_reuse(x.clone()), rt::neg(&x));
        assert_eq!(rt::div_reuse_lhs(x.clone(), &1.7), rt::div(&x, &1.7));
        assert_eq!(
            rt::component_mul_reuse_lhs(x.clone(), &y),
            rt::component_mul(&x, &y)
        );
        assert_eq!(
            rt::component_div_reuse_lhs(x.clone(), &y),
            rt::component_div(&x, &y)
        );
        assert_eq!(rt::add_reuse_rhs(&x, y.clone()), rt::add(&x, &y));
        assert_eq!(rt::sub_reuse_rhs(&x, y.clone()), rt::sub(&x, &y));
        assert_eq!(
            rt::component_mul_reuse_rhs(&x, y.clone()),
            rt::component_mul(&x, &y)
        );
        assert_eq!(
            rt::component_div_reuse_rhs(&x, y.clone()),
            rt::component_div(&x, &y)
        );
        assert_eq!(rt::map_reuse(x.clone(), f64::sin), rt::map(&x, f64::sin));
        let (row, col): (RowDVector<f64>, DVector<f64>) =
            (row_dvector(&mut r, n), dvector(&mut r, m));
        assert_eq!(
            rt::broadcast_add_reuse_lhs(x.clone(), &row),
            rt::broadcast_add(&x, &row)
        );
        assert_eq!(
            rt::broadcast_sub_reuse_lhs(x.clone(), &col),
            rt::broadcast_sub(&x, &col)
        );
        assert_eq!(
            rt::broadcast_mul_reuse_lhs(x.clone(), &row),
            rt::broadcast_mul(&x, &row)
        );
        assert_eq!(
            rt::broadcast_div_reuse_lhs(x.clone(), &col),
            rt::broadcast_div(&x, &col)
        );
        assert_eq!(
            rt::broadcast_mul_reuse_lhs(x.clone(), &row),
            DMatrix::from_fn(m, n, |i, j| x[(i, j)] * row[j]),
            "broadcast of a row multiplies column j by entry j"
        );
    }
}

#[test]
fn pass_through_pullbacks_by_value_equal_the_borrowed_ones() {
    let mut r = rng(74);
    for (m, n) in [(1, 1), (3, 2), (2, 5)] {
        let (g, p) = (dmatrix(&mut r, m, n), dmatrix(&mut r, m, n));
        same(
            "pass_through",
            &g,
            &p,
            |g, a| rt::pass_through_reuse_g(g, a),
            |g, a| rt::pass_through(g, a),
        );
        same(
            "pass_negated",
            &g,
            &p,
            |g, a| rt::pass_negated_reuse_g(g, a),
            |g, a| rt::pass_negated(g, a),
        );
    }
}

#[test]
fn consuming_norm_pullbacks_match_the_borrowed_ones() {
    let mut r = rng(73);
    let g = 0.7;
    for (m, n) in [(1, 1), (3, 2), (2, 5)] {
        let (x, p) = (dmatrix(&mut r, m, n), dmatrix(&mut r, m, n));
        let (sq, nm) = (rt::norm_squared(&x), rt::norm(&x));
        same(
            "norm_squared",
            &x,
            &p,
            |x, a| rt::norm_squared_pullback_reuse_x(&g, x, &sq, a),
            |x, a| rt::norm_squared_pullback(&g, x, &sq, a),
        );
        same(
            "norm",
            &x,
            &p,
            |x, a| rt::norm_pullback_reuse_x(&g, x, &nm, a),
            |x, a| rt::norm_pullback(&g, x, &nm, a),
        );
        // At x = 0 the norm has no derivative: both give zero.
        let zero = DMatrix::zeros(m, n);
        same(
            "norm at zero",
            &zero,
            &p,
            |x, a| rt::norm_pullback_reuse_x(&g, x, &0.0, a),
            |x, a| rt::norm_pullback(&g, x, &0.0, a),
        );
    }
    let (v, p) = (dvector(&mut r, 4), dvector(&mut r, 4));
    let sq = rt::norm_squared(&v);
    same(
        "norm_squared of a vector",
        &v,
        &p,
        |x, a| rt::norm_squared_pullback_reuse_x(&g, x, &sq, a),
        |x, a| rt::norm_squared_pullback(&g, x, &sq, a),
    );
}

#[test]
#[should_panic(expected = "matgrad: `-` needs operands of the same shape, got 3×2 and 2×3")]
fn sub_in_the_right_operands_buffer_names_both_shapes_in_their_order() {
    rt::sub_reuse_rhs(&DMatrix::<f64>::zeros(3, 2), DMatrix::zeros(2, 3));
}
