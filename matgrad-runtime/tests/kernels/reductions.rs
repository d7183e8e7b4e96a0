//! `.sum()`, `.norm_squared()`, `.norm()`, `.trace()`, `.mean()`, `.variance()`, and the axis
//! reductions `.row_sum()`, `.column_sum()`, `.row_mean()`, `.column_mean()`, `.row_sum_tr()`,
//! `.row_mean_tr()`, `.row_variance()`, `.column_variance()` and `.row_variance_tr()`.

use crate::common::{
    assert_f32_agrees, check_vjp, dmatrix, dvector, flat, random_like, rng, row_dvector, smatrix,
};
use matgrad_runtime::{
    column_mean, column_mean_pullback, column_sum, column_sum_pullback, column_variance,
    column_variance_pullback, mean, mean_pullback, norm, norm_pullback, norm_squared,
    norm_squared_pullback, row_mean, row_mean_pullback, row_mean_tr, row_mean_tr_pullback, row_sum,
    row_sum_pullback, row_sum_tr, row_sum_tr_pullback, row_variance, row_variance_pullback,
    row_variance_tr, row_variance_tr_pullback, sum, sum_pullback, trace, trace_pullback, variance,
    variance_pullback, Dense, Scalar,
};
use nalgebra::{DMatrix, DVector, Matrix3, RowDVector};

#[test]
fn sum_pullback_matches_finite_differences() {
    let mut rng = rng(0x31);
    for_each_value!(rng, |x| {
        check_vjp("sum", &mut rng, &x, sum, sum_pullback);
    });
}

#[test]
fn norm_squared_pullback_matches_finite_differences() {
    let mut rng = rng(0x32);
    for_each_value!(rng, |x| {
        check_vjp(
            "norm_squared",
            &mut rng,
            &x,
            norm_squared,
            norm_squared_pullback,
        );
    });
}

#[test]
fn norm_pullback_matches_finite_differences() {
    let mut rng = rng(0x33);
    for_each_value!(rng, |x| {
        check_vjp("norm", &mut rng, &x, norm, norm_pullback);
    });
}

/// Checks that the norm's pullback at zero is zero (not NaN), and adds nothing to a filled slot.
#[track_caller]
fn assert_zero_gradient_at_zero<X: Dense<Scalar = f64> + std::fmt::Debug>(x: X) {
    let mut rng = rng(0x34);
    let y = norm(&x);
    assert_eq!(y, 0.0);
    // Finite differences agree at zero too: ‖±h·eᵢ‖ is even in h.
    let bar = check_vjp("norm at zero", &mut rng, &x, norm, norm_pullback);
    assert!(flat(&bar).iter().all(|&v| v == 0.0), "{bar:?}");
    let filled = random_like(&mut rng, &x);
    let mut slot = Some(filled.clone());
    norm_pullback(&1.0, &x, &y, &mut slot);
    assert_eq!(flat(&slot.unwrap()), flat(&filled));
}

#[test]
fn norm_pullback_at_zero_is_zero_not_nan() {
    assert_zero_gradient_at_zero(DVector::<f64>::zeros(3));
    assert_zero_gradient_at_zero(DMatrix::<f64>::zeros(2, 5));
    assert_zero_gradient_at_zero(nalgebra::SMatrix::<f64, 2, 3>::zeros());
    assert_zero_gradient_at_zero(0.0_f64);
}

#[test]
fn trace_pullback_matches_finite_differences() {
    let mut rng = rng(0x35);
    for n in [1, 2, 4, 5] {
        let x = dmatrix(&mut rng, n, n);
        check_vjp("trace", &mut rng, &x, |x| trace(x), trace_pullback);
    }
    let x: Matrix3<f64> = smatrix(&mut rng);
    check_vjp("trace", &mut rng, &x, |x| trace(x), trace_pullback);
}

#[test]
#[should_panic(expected = "`trace` needs a square matrix, got 2×3")]
fn trace_of_a_non_square_matrix_panics_with_its_shape() {
    trace(&DMatrix::<f64>::zeros(2, 3));
}

/// Every pullback of the family, each into an empty slot then into a filled one.
fn family<T: Scalar>(x: &DMatrix<T>, g: T) -> Vec<(&'static str, Vec<T>)> {
    fn twice<X: Dense>(f: impl Fn(&mut Option<X>)) -> Vec<X::Scalar> {
        let mut slot = None;
        f(&mut slot);
        let once = flat(slot.as_ref().unwrap());
        f(&mut slot);
        [once, flat(&slot.unwrap())].concat()
    }
    vec![
        ("sum", vec![sum(x)]),
        ("sum pullback", twice(|a| sum_pullback(&g, x, &sum(x), a))),
        ("norm_squared", vec![norm_squared(x)]),
        (
            "norm_squared pullback",
            twice(|a| norm_squared_pullback(&g, x, &norm_squared(x), a)),
        ),
        ("norm", vec![norm(x)]),
        (
            "norm pullback",
            twice(|a| norm_pullback(&g, x, &norm(x), a)),
        ),
        ("trace", vec![trace(x)]),
        (
            "trace pullback",
            twice(|a| trace_pullback(&g, x, &trace(x), a)),
        ),
    ]
}

#[test]
fn f32_kernels_agree_with_f64() {
    let mut rng = rng(0x3f);
    let x = dmatrix(&mut rng, 4, 4);
    let g = crate::common::uniform(&mut rng);
    assert_f32_agrees(&family(&x, g), &family(&x.cast(), g as f32));
}

/// A test that the reduction `$op` returns exactly nalgebra's `.$op()` and that its pullback
/// matches finite differences, on every matrix shape of [`for_each_matrix!`] (square and not,
/// single rows and single columns, 1×1, static) and on matrices with an empty dimension.
macro_rules! reduction_test {
    ($test:ident, $seed:expr, $op:ident, $pullback:ident) => {
        #[test]
        fn $test() {
            let mut rng = rng($seed);
            for_each_matrix!(rng, |x| {
                assert_eq!(
                    $op(&x),
                    x.$op(),
                    "{}: not nalgebra's value",
                    stringify!($op)
                );
                check_vjp(stringify!($op), &mut rng, &x, |x| $op(x), $pullback);
            });
            // Scaled and shifted away from [-1, 1): variances of values far from zero.
            let x = dmatrix(&mut rng, 5, 3).map(|v| 100.0 + 10.0 * v);
            assert_eq!($op(&x), x.$op());
            check_vjp(stringify!($op), &mut rng, &x, |x| $op(x), $pullback);
            for (r, c) in [(0, 3), (3, 0), (0, 0)] {
                let x = DMatrix::<f64>::zeros(r, c);
                assert_eq!(
                    flat(&$op(&x)),
                    flat(&x.$op()),
                    "{}: empty {r}×{c}",
                    stringify!($op)
                );
                check_vjp(stringify!($op), &mut rng, &x, |x| $op(x), $pullback);
            }
        }
    };
}

reduction_test!(
    row_sum_matches_nalgebra_and_finite_differences,
    0x36,
    row_sum,
    row_sum_pullback
);
reduction_test!(
    column_sum_matches_nalgebra_and_finite_differences,
    0x37,
    column_sum,
    column_sum_pullback
);
reduction_test!(
    row_sum_tr_matches_nalgebra_and_finite_differences,
    0x38,
    row_sum_tr,
    row_sum_tr_pullback
);
reduction_test!(
    row_mean_matches_nalgebra_and_finite_differences,
    0x39,
    row_mean,
    row_mean_pullback
);
reduction_test!(
    column_mean_matches_nalgebra_and_finite_differences,
    0x3a,
    column_mean,
    column_mean_pullback
);
reduction_test!(
    row_mean_tr_matches_nalgebra_and_finite_differences,
    0x3b,
    row_mean_tr,
    row_mean_tr_pullback
);
reduction_test!(
    mean_matches_nalgebra_and_finite_differences,
    0x3c,
    mean,
    mean_pullback
);
reduction_test!(
    variance_matches_nalgebra_and_finite_differences,
    0x3d,
    variance,
    variance_pullback
);
reduction_test!(
    row_variance_matches_nalgebra_and_finite_differences,
    0x3e,
    row_variance,
    row_variance_pullback
);
reduction_test!(
    column_variance_matches_nalgebra_and_finite_differences,
    0x40,
    column_variance,
    column_variance_pullback
);
reduction_test!(
    row_variance_tr_matches_nalgebra_and_finite_differences,
    0x41,
    row_variance_tr,
    row_variance_tr_pullback
);

/// nalgebra's orientation, pinned on a small matrix: `row_sum` adds the rows (one total per
/// column), `column_sum` adds the columns (one total per row); variances are population ones.
#[test]
fn axis_reductions_follow_nalgebra_orientation() {
    let x: DMatrix<f64> = nalgebra::dmatrix![1.0, 2.0, 3.0; 5.0, 8.0, 13.0];
    assert_eq!(
        row_sum(&x),
        nalgebra::RowDVector::from_row_slice(&[6.0, 10.0, 16.0])
    );
    assert_eq!(row_sum_tr(&x), nalgebra::dvector![6.0, 10.0, 16.0]);
    assert_eq!(column_sum(&x), nalgebra::dvector![6.0, 26.0]);
    assert_eq!(
        row_mean(&x),
        nalgebra::RowDVector::from_row_slice(&[3.0, 5.0, 8.0])
    );
    assert_eq!(column_mean(&x), nalgebra::dvector![2.0, 26.0 / 3.0]);
    assert_eq!(
        row_variance(&x),
        nalgebra::RowDVector::from_row_slice(&[4.0, 9.0, 25.0])
    );
    assert_eq!(mean(&x), 32.0 / 6.0);
    // Population variance of one row [1, 2, 3]: 2/3.
    let v = column_variance(&x);
    assert!((v[0] - 2.0 / 3.0).abs() < 1e-15, "{v}");
    let mut slot = None;
    row_sum_pullback(
        &RowDVector::from_row_slice(&[1.0, 2.0, 3.0]),
        &x,
        &row_sum(&x),
        &mut slot,
    );
    assert_eq!(
        slot.unwrap(),
        nalgebra::dmatrix![1.0, 2.0, 3.0; 1.0, 2.0, 3.0]
    );
    let mut slot = None;
    column_sum_pullback(
        &nalgebra::dvector![1.0, 2.0],
        &x,
        &column_sum(&x),
        &mut slot,
    );
    assert_eq!(
        slot.unwrap(),
        nalgebra::dmatrix![1.0, 1.0, 1.0; 2.0, 2.0, 2.0]
    );
}

#[test]
#[should_panic(expected = "`+=` needs operands of the same shape, got 3×2 and 2×3")]
fn axis_reduction_pullback_into_a_slot_of_another_shape_panics_with_both() {
    let x = DMatrix::<f64>::zeros(2, 3);
    let mut slot = Some(DMatrix::zeros(3, 2));
    row_sum_pullback(&RowDVector::zeros(3), &x, &row_sum(&x), &mut slot);
}

/// Every axis-reduction pullback, each into an empty slot then into a filled one, on `x`
/// (`m×n`) with cotangents `gr` (`1×n`), `gt` (`n×1`), `gc` (`m×1`) and `g` (scalar).
fn axis_family<T: Scalar>(
    x: &DMatrix<T>,
    gr: &RowDVector<T>,
    gt: &DVector<T>,
    gc: &DVector<T>,
    g: T,
) -> Vec<(&'static str, Vec<T>)> {
    fn twice<X: Dense>(f: impl Fn(&mut Option<X>)) -> Vec<X::Scalar> {
        let mut slot = None;
        f(&mut slot);
        let once = flat(slot.as_ref().unwrap());
        f(&mut slot);
        [once, flat(&slot.unwrap())].concat()
    }
    vec![
        ("row_sum", flat(&row_sum(x))),
        (
            "row_sum pullback",
            twice(|a| row_sum_pullback(gr, x, &row_sum(x), a)),
        ),
        ("row_sum_tr", flat(&row_sum_tr(x))),
        (
            "row_sum_tr pullback",
            twice(|a| row_sum_tr_pullback(gt, x, &row_sum_tr(x), a)),
        ),
        ("column_sum", flat(&column_sum(x))),
        (
            "column_sum pullback",
            twice(|a| column_sum_pullback(gc, x, &column_sum(x), a)),
        ),
        ("row_mean", flat(&row_mean(x))),
        (
            "row_mean pullback",
            twice(|a| row_mean_pullback(gr, x, &row_mean(x), a)),
        ),
        ("row_mean_tr", flat(&row_mean_tr(x))),
        (
            "row_mean_tr pullback",
            twice(|a| row_mean_tr_pullback(gt, x, &row_mean_tr(x), a)),
        ),
        ("column_mean", flat(&column_mean(x))),
        (
            "column_mean pullback",
            twice(|a| column_mean_pullback(gc, x, &column_mean(x), a)),
        ),
        ("mean", vec![mean(x)]),
        (
            "mean pullback",
            twice(|a| mean_pullback(&g, x, &mean(x), a)),
        ),
        ("variance", vec![variance(x)]),
        (
            "variance pullback",
            twice(|a| variance_pullback(&g, x, &variance(x), a)),
        ),
        ("row_variance", flat(&row_variance(x))),
        (
            "row_variance pullback",
            twice(|a| row_variance_pullback(gr, x, &row_variance(x), a)),
        ),
        ("row_variance_tr", flat(&row_variance_tr(x))),
        (
            "row_variance_tr pullback",
            twice(|a| row_variance_tr_pullback(gt, x, &row_variance_tr(x), a)),
        ),
        ("column_variance", flat(&column_variance(x))),
        (
            "column_variance pullback",
            twice(|a| column_variance_pullback(gc, x, &column_variance(x), a)),
        ),
    ]
}

#[test]
fn f32_axis_reductions_agree_with_f64() {
    let mut rng = rng(0x42);
    let (m, n) = (3, 5);
    let x = dmatrix(&mut rng, m, n);
    let (gr, gt, gc) = (
        row_dvector(&mut rng, n),
        dvector(&mut rng, n),
        dvector(&mut rng, m),
    );
    let g = crate::common::uniform(&mut rng);
    assert_f32_agrees(
        &axis_family(&x, &gr, &gt, &gc, g),
        &axis_family(&x.cast(), &gr.cast(), &gt.cast(), &gc.cast(), g as f32),
    );
}
