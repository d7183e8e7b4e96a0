//! `.sum()`, `.norm_squared()`, `.norm()` and `.trace()`.

use crate::common::{assert_f32_agrees, check_vjp, dmatrix, flat, random_like, rng, smatrix};
use autodiff_runtime::{
    norm, norm_pullback, norm_squared, norm_squared_pullback, sum, sum_pullback, trace,
    trace_pullback, Differentiable, Scalar,
};
use nalgebra::{DMatrix, DVector, Matrix3};

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
fn assert_zero_gradient_at_zero<X: Differentiable<Elem = f64> + std::fmt::Debug>(x: X) {
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
    fn twice<X: Differentiable>(f: impl Fn(&mut Option<X>)) -> Vec<X::Elem> {
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
