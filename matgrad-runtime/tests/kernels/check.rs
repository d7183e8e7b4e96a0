//! The gradient checker itself: `finite_difference`, `compare` and `check_gradient`.

use crate::common::{dmatrix, inner, random_like, rng};
use matgrad_runtime::{check_gradient, compare, finite_difference};
use nalgebra::{dvector, DMatrix, DVector};

/// Central differences are exact, up to rounding, on a linear function: `∇⟨c, x⟩ = c`.
#[test]
fn finite_difference_is_exact_on_a_linear_function() {
    let mut rng = rng(0x71);
    for &(r, c) in crate::common::SHAPES {
        let x = dmatrix(&mut rng, r, c) * 10.0;
        let w = random_like(&mut rng, &x);
        let report = check_gradient(|x: &DMatrix<f64>| inner(&w, x), &x, &w);
        assert!(report.passes(1e-9), "{report}");
    }
}

#[test]
fn compare_fails_on_nan_wherever_it_is() {
    let good = dvector![1.0, 2.0, 3.0];
    for i in 0..3 {
        let mut bad = good.clone();
        bad[i] = f64::NAN;
        let report = compare(&bad, &good);
        assert!(!report.passes(1.0), "NaN at {i}: {report}");
        assert_eq!(report.worst_entry, i);
    }
    let report = compare(&dvector![f64::INFINITY, 0.0], &dvector![1.0, 0.0]);
    assert!(!report.passes(1.0), "{report}");
}

#[test]
fn compare_of_two_zero_gradients_passes() {
    let zero = DVector::<f64>::zeros(4);
    let report = compare(&zero, &zero);
    assert_eq!(report.rel_error, 0.0);
    assert!(report.passes(0.0));
}

#[test]
fn finite_difference_of_a_scalar_function() {
    let d = finite_difference(|x: &f64| x * x * x, &2.0);
    assert!((d - 12.0).abs() < 1e-8, "{d}");
}

#[test]
#[should_panic(expected = "check_gradient: the gradient is 3×1 but the point is 2×1")]
fn check_gradient_of_the_wrong_shape_panics_with_both() {
    check_gradient(
        |x: &DVector<f64>| x.sum(),
        &DVector::zeros(2),
        &DVector::zeros(3),
    );
}
