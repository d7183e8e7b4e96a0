//! `*` in every combination, `/` by a scalar, `.dot()` and `.component_mul()`.

use crate::common::{
    assert_f32_agrees, away_from_zero, check_vjp, dmatrix, dvector, flat, random_like, rng,
    row_dvector, smatrix, uniform,
};
use matgrad_runtime::{
    component_mul, component_mul_pullback_lhs, component_mul_pullback_rhs, div, div_pullback_lhs,
    div_pullback_rhs, dot, dot_pullback_lhs, dot_pullback_rhs, mul, mul_pullback_lhs,
    mul_pullback_rhs, Dense, MulRule, Scalar,
};
use nalgebra::{DMatrix, DVector, RowDVector};
use rand::rngs::StdRng;
use std::fmt::Debug;

/// Checks both pullbacks of `l * r`.
#[track_caller]
fn check_mul<L, R>(rng: &mut StdRng, l: &L, r: &R)
where
    L: MulRule<R> + Dense<Scalar = f64> + Debug,
    R: Dense<Scalar = f64> + Debug,
    L::Output: Dense<Scalar = f64>,
{
    let name = format!(
        "mul {}×{} by {}×{}",
        l.shape().0,
        l.shape().1,
        r.shape().0,
        r.shape().1
    );
    check_vjp(
        &format!("{name}, lhs"),
        rng,
        l,
        |l| mul(l, r),
        |g, l, _, acc| mul_pullback_lhs(g, l, r, acc),
    );
    check_vjp(
        &format!("{name}, rhs"),
        rng,
        r,
        |r| mul(l, r),
        |g, r, _, acc| mul_pullback_rhs(g, l, r, acc),
    );
}

#[test]
fn mul_scalar_by_scalar() {
    let mut rng = rng(0x21);
    for _ in 0..4 {
        let (l, r) = (uniform(&mut rng), uniform(&mut rng));
        check_mul(&mut rng, &l, &r);
    }
}

#[test]
fn mul_scalar_by_matrix_and_matrix_by_scalar() {
    let mut rng = rng(0x22);
    for_each_matrix!(rng, |m| {
        let s = uniform(&mut rng);
        check_mul(&mut rng, &s, &m);
        check_mul(&mut rng, &m, &s);
    });
}

#[test]
fn mul_matrix_by_matrix() {
    let mut rng = rng(0x23);
    for (m, k, n) in [
        (1, 1, 1),
        (3, 2, 5),
        (2, 5, 4),
        (4, 4, 4),
        (1, 3, 1),
        (3, 1, 2),
        (33, 40, 35),
    ] {
        let (a, b) = (dmatrix(&mut rng, m, k), dmatrix(&mut rng, k, n));
        check_mul(&mut rng, &a, &b);
    }
}

#[test]
fn mul_static_matrices() {
    let mut rng = rng(0x24);
    let a = smatrix::<2, 3>(&mut rng);
    let b = smatrix::<3, 4>(&mut rng);
    check_mul(&mut rng, &a, &b);
    let x = smatrix::<3, 1>(&mut rng);
    check_mul(&mut rng, &a, &x);
    let u = smatrix::<1, 2>(&mut rng);
    check_mul(&mut rng, &u, &a);
    let (u, v) = (smatrix::<1, 3>(&mut rng), smatrix::<3, 1>(&mut rng));
    check_mul(&mut rng, &u, &v);
    let (u, v) = (smatrix::<4, 1>(&mut rng), smatrix::<1, 3>(&mut rng));
    check_mul(&mut rng, &u, &v);
}

#[test]
fn mul_matrix_by_vector() {
    let mut rng = rng(0x25);
    for (m, n) in [(1, 1), (3, 2), (2, 5), (4, 4), (7, 3)] {
        let (a, x) = (dmatrix(&mut rng, m, n), dvector(&mut rng, n));
        let y: DVector<f64> = mul(&a, &x);
        assert_eq!(y.len(), m);
        check_mul(&mut rng, &a, &x);
    }
}

#[test]
fn mul_row_by_column_gives_a_1x1_matrix() {
    let mut rng = rng(0x26);
    for &n in crate::common::LENGTHS {
        let (u, v) = (row_dvector(&mut rng, n), dvector(&mut rng, n));
        let y: nalgebra::Matrix1<f64> = mul(&u, &v);
        assert!((y[0] - u.dot(&v.transpose())).abs() < 1e-14);
        check_mul(&mut rng, &u, &v);
    }
}

#[test]
fn mul_column_by_row_gives_the_outer_product() {
    let mut rng = rng(0x27);
    for (m, n) in [(1, 1), (3, 2), (2, 5), (7, 7)] {
        let (u, v) = (dvector(&mut rng, m), row_dvector(&mut rng, n));
        let y: DMatrix<f64> = mul(&u, &v);
        assert_eq!(y.shape(), (m, n));
        check_mul(&mut rng, &u, &v);
    }
}

#[test]
fn mul_row_by_matrix() {
    let mut rng = rng(0x28);
    for (m, n) in [(1, 1), (3, 2), (2, 5), (4, 4)] {
        let (u, a) = (row_dvector(&mut rng, m), dmatrix(&mut rng, m, n));
        let y: RowDVector<f64> = mul(&u, &a);
        assert_eq!(y.len(), n);
        check_mul(&mut rng, &u, &a);
    }
}

#[test]
fn mul_with_an_empty_dimension() {
    let mut rng = rng(0x29);
    for (m, k, n) in [(3, 0, 2), (0, 3, 2), (2, 3, 0)] {
        let (a, b) = (dmatrix(&mut rng, m, k), dmatrix(&mut rng, k, n));
        check_mul(&mut rng, &a, &b);
    }
}

#[test]
fn div_pullbacks_match_finite_differences() {
    let mut rng = rng(0x2a);
    for_each_value!(rng, |x| {
        let s = away_from_zero(&mut rng, 0.5, 2.0);
        check_vjp(
            "div lhs",
            &mut rng,
            &x,
            |x| div(x, &s),
            |g, x, _, acc| div_pullback_lhs(g, x, &s, acc),
        );
        check_vjp(
            "div rhs",
            &mut rng,
            &s,
            |s| div(&x, s),
            |g, s, _, acc| div_pullback_rhs(g, &x, s, acc),
        );
    });
}

#[test]
fn dot_pullbacks_match_finite_differences() {
    let mut rng = rng(0x2b);
    for_each_value!(rng, |x| {
        let y = random_like(&mut rng, &x);
        check_vjp(
            "dot lhs",
            &mut rng,
            &x,
            |x| dot(x, &y),
            |g, x, _, acc| dot_pullback_lhs(g, x, &y, acc),
        );
        check_vjp(
            "dot rhs",
            &mut rng,
            &y,
            |y| dot(&x, y),
            |g, y, _, acc| dot_pullback_rhs(g, &x, y, acc),
        );
    });
}

#[test]
fn component_mul_pullbacks_match_finite_differences() {
    let mut rng = rng(0x2c);
    for_each_value!(rng, |x| {
        let y = random_like(&mut rng, &x);
        check_vjp(
            "component_mul lhs",
            &mut rng,
            &x,
            |x| component_mul(x, &y),
            |g, x, _, acc| component_mul_pullback_lhs(g, x, &y, acc),
        );
        check_vjp(
            "component_mul rhs",
            &mut rng,
            &y,
            |y| component_mul(&x, y),
            |g, y, _, acc| component_mul_pullback_rhs(g, &x, y, acc),
        );
    });
}

#[test]
#[should_panic(expected = "`*` cannot multiply a 2×3 matrix by a 2×3 matrix")]
fn mul_of_unmultipliable_shapes_panics_with_both() {
    mul(&DMatrix::<f64>::zeros(2, 3), &DMatrix::<f64>::zeros(2, 3));
}

#[test]
#[should_panic(expected = "`dot` needs operands of the same shape, got 3×1 and 4×1")]
fn dot_of_mismatched_lengths_panics_with_both() {
    dot(&DVector::<f64>::zeros(3), &DVector::zeros(4));
}

#[test]
#[should_panic(expected = "`component_mul` needs operands of the same shape, got 2×3 and 3×2")]
fn component_mul_of_mismatched_shapes_panics_with_both() {
    component_mul(&DMatrix::<f64>::zeros(2, 3), &DMatrix::zeros(3, 2));
}

/// Every pullback of the family, each into an empty slot then into a slot filled with the
/// first contribution, so both the allocating and the in-place paths are compared.
#[allow(clippy::too_many_arguments)]
fn family<T: Scalar>(
    s: T,
    a: &DMatrix<T>,
    b: &DMatrix<T>,
    c: &DMatrix<T>,
    x: &DVector<T>,
    u: &RowDVector<T>,
    g_ab: &DMatrix<T>,
    g_ax: &DVector<T>,
) -> Vec<(&'static str, Vec<T>)> {
    fn twice<X: Dense>(f: impl Fn(&mut Option<X>)) -> Vec<X::Scalar> {
        let mut slot = None;
        f(&mut slot);
        let once = flat(slot.as_ref().unwrap());
        f(&mut slot);
        [once, flat(&slot.unwrap())].concat()
    }
    vec![
        ("A·B", flat(&mul(a, b))),
        ("A·B lhs", twice(|acc| mul_pullback_lhs(g_ab, a, b, acc))),
        ("A·B rhs", twice(|acc| mul_pullback_rhs(g_ab, a, b, acc))),
        ("A·x lhs", twice(|acc| mul_pullback_lhs(g_ax, a, x, acc))),
        ("A·x rhs", twice(|acc| mul_pullback_rhs(g_ax, a, x, acc))),
        (
            "u·A lhs",
            twice(|acc| mul_pullback_lhs(&x.transpose(), u, a, acc)),
        ),
        ("s·C lhs", twice(|acc| mul_pullback_lhs(a, &s, c, acc))),
        ("s·C rhs", twice(|acc| mul_pullback_rhs(a, &s, c, acc))),
        ("s·s lhs", twice(|acc| mul_pullback_lhs(&s, &s, &s, acc))),
        ("C/s", flat(&div(c, &s))),
        ("C/s lhs", twice(|acc| div_pullback_lhs(a, c, &s, acc))),
        ("C/s rhs", twice(|acc| div_pullback_rhs(a, c, &s, acc))),
        ("dot", vec![dot(a, c)]),
        ("dot lhs", twice(|acc| dot_pullback_lhs(&s, a, c, acc))),
        ("component_mul", flat(&component_mul(a, c))),
        (
            "component_mul lhs",
            twice(|acc| component_mul_pullback_lhs(c, a, c, acc)),
        ),
    ]
}

#[test]
fn f32_kernels_agree_with_f64() {
    let mut rng = rng(0x2f);
    let s = away_from_zero(&mut rng, 0.5, 2.0);
    let (a, b, c) = (
        dmatrix(&mut rng, 3, 4),
        dmatrix(&mut rng, 4, 2),
        dmatrix(&mut rng, 3, 4),
    );
    let (x, u) = (dvector(&mut rng, 4), row_dvector(&mut rng, 3));
    let (g_ab, g_ax) = (dmatrix(&mut rng, 3, 2), dvector(&mut rng, 3));
    assert_f32_agrees(
        &family(s, &a, &b, &c, &x, &u, &g_ab, &g_ax),
        &family(
            s as f32,
            &a.cast(),
            &b.cast(),
            &c.cast(),
            &x.cast(),
            &u.cast(),
            &g_ab.cast(),
            &g_ax.cast(),
        ),
    );
}

/// Large products take the blocked `gemm` paths (transposed operands as strided views):
/// both pullbacks against finite differences, square and not, past the small-matrix cutoff.
#[test]
fn large_matrix_products_use_the_blocked_paths_correctly() {
    let mut r = rng(91);
    for (m, k, n) in [(12, 10, 9), (9, 16, 11), (20, 9, 1)] {
        let (a, b) = (dmatrix(&mut r, m, k), dmatrix(&mut r, k, n));
        check_vjp(
            "large A·B lhs",
            &mut r,
            &a,
            |a| mul(a, &b),
            |g, a, _, acc| mul_pullback_lhs(g, a, &b, acc),
        );
        check_vjp(
            "large A·B rhs",
            &mut r,
            &b,
            |b| mul(&a, b),
            |g, b, _, acc| mul_pullback_rhs(g, &a, b, acc),
        );
    }
}
