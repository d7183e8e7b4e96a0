//! `.max()` and `.min()` of a matrix's entries, and `a.max(b)`, `f64::max(a, b)`, `T::min(a, b)`
//! of two floats: against the original function, finite differences (away from ties) and, at
//! ties, the documented even share of the cotangent.

mod common;

use autodiff::grad;
use common::*;
use nalgebra::{dmatrix, DMatrix, DVector, RealField};

#[grad]
fn entry_extrema(x: &DMatrix<f64>) -> f64 {
    x.max() * 2.0 - x.min() + (x * 3.0).max()
}

#[test]
fn entry_extrema_match_finite_differences() {
    let mut rng = rng(101);
    for (r, c) in [(1, 1), (3, 2), (2, 5), (4, 4)] {
        let x = dmatrix(&mut rng, r, c);
        let (v, g) = entry_extrema_grad(&x);
        assert_value("extrema", v, entry_extrema(&x));
        assert_fd("extrema", entry_extrema, &x, &g.x);
    }
}

#[test]
fn a_tie_shares_the_cotangent_evenly() {
    let x = dmatrix![1.0, 4.0; 4.0, -3.0; 4.0, -3.0];
    let (_, g) = entry_extrema_grad(&x);
    // max: 2 + 3 = 5 shared by the three 4s; min: −1 shared by the two −3s.
    let third = 5.0 / 3.0;
    assert_closed(
        "ties",
        &g.x,
        &dmatrix![0.0, third; third, -0.5; third, -0.5],
    );
}

/// The log-sum-exp, computed stably by shifting by the maximum: the shift's derivative
/// cancels, so the gradient is the softmax, ties or not.
#[grad]
fn log_sum_exp(x: &DVector<f64>) -> f64 {
    let m = x.max();
    let ones = DVector::from_element(x.len(), 1.0);
    let z = x - ones * m;
    m + z.map(f64::exp).sum().ln()
}

#[test]
fn a_stable_log_sum_exp_has_the_softmax_as_gradient() {
    let mut rng = rng(102);
    let tied = DVector::from_vec(vec![2.0, -1.0, 2.0, 0.5]);
    for x in [dvector(&mut rng, 5), dvector(&mut rng, 1) * 800.0, tied] {
        let (v, g) = log_sum_exp_grad(&x);
        assert_value("lse", v, log_sum_exp(&x));
        let e = x.map(|v| (v - x.max()).exp());
        let softmax = &e / e.sum();
        assert_closed("lse", &g.x, &softmax);
    }
}

#[grad]
fn two_floats(a: f64, b: f64) -> f64 {
    a.max(b) * 3.0 + f64::min(a, b) + a.max(0.5)
}

#[grad]
fn generic_two_floats<T: RealField + Copy>(a: T, b: T) -> T {
    T::max(a, b) * a.min(b)
}

#[test]
fn the_larger_or_smaller_of_two_floats() {
    for (a, b) in [(1.5, -0.5), (-2.0, 0.25), (0.1, 0.3)] {
        let (v, g) = two_floats_grad(a, b);
        assert_value("two", v, two_floats(a, b));
        assert_fd("a", |a| two_floats(*a, b), &a, &g.a);
        assert_fd("b", |b| two_floats(a, *b), &b, &g.b);
        let (v, g) = generic_two_floats_grad(a, b);
        assert_value("generic", v, generic_two_floats(a, b));
        assert_fd("generic a", |a| generic_two_floats(*a, b), &a, &g.a);
        let (_, g32) = generic_two_floats_grad(a as f32, b as f32);
        assert!((g32.b as f64 - g.b).abs() < 1e-5);
    }
    // A tie gives each operand half.
    assert_eq!(
        two_floats_grad(2.0, 2.0).1,
        TwoFloatsGrad { a: 3.0, b: 2.0 }
    );
}

/// `v.max(0.0).min(1.0)` in a map closure: a clipped rectifier, written with the float methods.
#[allow(clippy::manual_clamp)]
#[grad]
fn rectified(x: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    (w * x).map(|v| v.max(0.0).min(1.0)).sum()
}

#[test]
fn max_and_min_in_a_map_closure() {
    let mut rng = rng(103);
    let (x, w) = (dmatrix(&mut rng, 3, 4), dmatrix(&mut rng, 2, 3));
    let (v, g) = rectified_grad(&x, &w);
    assert_value("rectified", v, rectified(&x, &w));
    assert_fd("w", |w| rectified(&x, w), &w, &g.w);
}
