//! `+`, `-`, unary `-` and `.transpose()`. The pullbacks of `+`, `-` and unary `-` are
//! [`pass_through`] and [`pass_negated`], which read neither operand.

use crate::common::{assert_f32_agrees, check_vjp, dmatrix, flat, random_like, rng};
use matgrad_runtime::{
    add, neg, pass_negated, pass_through, sub, transpose, transpose_pullback, Scalar,
};
use nalgebra::DMatrix;

#[test]
fn add_pullbacks_match_finite_differences() {
    let mut rng = rng(0x11);
    for_each_value!(rng, |l| {
        let r = random_like(&mut rng, &l);
        check_vjp(
            "add lhs",
            &mut rng,
            &l,
            |l| add(l, &r),
            |g, _, _, acc| pass_through(g, acc),
        );
        check_vjp(
            "add rhs",
            &mut rng,
            &r,
            |r| add(&l, r),
            |g, _, _, acc| pass_through(g, acc),
        );
    });
}

#[test]
fn sub_pullbacks_match_finite_differences() {
    let mut rng = rng(0x12);
    for_each_value!(rng, |l| {
        let r = random_like(&mut rng, &l);
        check_vjp(
            "sub lhs",
            &mut rng,
            &l,
            |l| sub(l, &r),
            |g, _, _, acc| pass_through(g, acc),
        );
        check_vjp(
            "sub rhs",
            &mut rng,
            &r,
            |r| sub(&l, r),
            |g, _, _, acc| pass_negated(g, acc),
        );
    });
}

#[test]
fn neg_pullback_matches_finite_differences() {
    let mut rng = rng(0x13);
    for_each_value!(rng, |x| {
        check_vjp("neg", &mut rng, &x, neg, |g, _, _, acc| {
            pass_negated(g, acc)
        });
    });
}

#[test]
fn transpose_pullback_matches_finite_differences() {
    let mut rng = rng(0x14);
    for_each_matrix!(rng, |x| {
        check_vjp("transpose", &mut rng, &x, transpose, transpose_pullback);
    });
}

#[test]
#[should_panic(expected = "`+` needs operands of the same shape, got 2×3 and 3×2")]
fn add_of_mismatched_shapes_panics_with_both() {
    add(&DMatrix::<f64>::zeros(2, 3), &DMatrix::zeros(3, 2));
}

#[test]
#[should_panic(expected = "`-` needs operands of the same shape, got 2×3 and 3×2")]
fn sub_of_mismatched_shapes_panics_with_both() {
    sub(&DMatrix::<f64>::zeros(2, 3), &DMatrix::zeros(3, 2));
}

/// Every pullback of the family, empty slot then filled slot, on `l`, `r` (3×2), `g` (3×2)
/// and `gt` (2×3, a cotangent of `lᵀ`).
fn family<T: Scalar>(
    l: &DMatrix<T>,
    r: &DMatrix<T>,
    g: &DMatrix<T>,
    gt: &DMatrix<T>,
) -> Vec<(&'static str, Vec<T>)> {
    let pull = |f: &dyn Fn(&mut Option<DMatrix<T>>)| {
        let mut fresh = None;
        f(&mut fresh);
        let mut filled = Some(r.clone());
        f(&mut filled);
        [flat(&fresh.unwrap()), flat(&filled.unwrap())].concat()
    };
    vec![
        ("add", flat(&add(l, r))),
        ("sub", flat(&sub(l, r))),
        ("neg", flat(&neg(l))),
        ("pass_through", pull(&|a| pass_through(g, a))),
        ("pass_negated", pull(&|a| pass_negated(g, a))),
        ("transpose", flat(&transpose(l))),
        (
            "transpose pullback",
            pull(&|a| transpose_pullback(gt, l, &transpose(l), a)),
        ),
    ]
}

#[test]
fn f32_kernels_agree_with_f64() {
    let mut rng = rng(0x1f);
    let [l, r, g, gt] = [(3, 2), (3, 2), (3, 2), (2, 3)].map(|(m, n)| dmatrix(&mut rng, m, n));
    assert_f32_agrees(
        &family(&l, &r, &g, &gt),
        &family(&l.cast(), &r.cast(), &g.cast(), &gt.cast()),
    );
}
