//! The Kalman filter example (`examples/kalman.rs`): its negative log-likelihood's gradient
//! with respect to the noise factors against JAX (`tests/data/kalman_jax.py`) and finite
//! differences, and the fit by gradient descent recovering the simulated covariances.

mod common;

#[allow(dead_code)]
#[path = "../examples/kalman.rs"]
mod kalman;

use autodiff::grad;
use common::*;
use nalgebra::{DMatrix, DVector};

#[test]
fn the_likelihood_gradient_matches_jax_and_finite_differences() {
    let model = kalman::model(0.1);
    let data = reference_data("kalman_jax");
    let cases = data["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 3);
    for case in cases {
        let (a, b) = (json_matrix(&case["A"]), json_matrix(&case["B"]));
        let ys: Vec<DVector<f64>> = json_matrix(&case["ys"])
            .row_iter()
            .map(|r| r.transpose())
            .collect();
        let what = format!("Kalman filter over {} steps", ys.len());
        let (v, g) = kalman::kalman_nll_grad(&a, &b, &model, &ys);
        assert_value(&what, v, kalman::kalman_nll(&a, &b, &model, &ys));
        assert_value(&what, v, json_number(&case["value"]));
        assert_closed(
            &format!("{what}, ∂/∂A vs JAX"),
            &g.a,
            &json_matrix(&case["grad_A"]),
        );
        assert_closed(
            &format!("{what}, ∂/∂B vs JAX"),
            &g.b,
            &json_matrix(&case["grad_B"]),
        );
        assert_fd(&what, |a| kalman::kalman_nll(a, &b, &model, &ys), &a, &g.a);
        assert_fd(&what, |b| kalman::kalman_nll(&a, b, &model, &ys), &b, &g.b);
    }
}

#[test]
fn gradient_descent_recovers_the_covariances() {
    let model = kalman::model(0.1);
    let (a_true, b_true) = kalman::truth();
    let ys = kalman::simulate(&model, &a_true, &b_true, 200, 7);
    let (a0, b0) = (DMatrix::identity(4, 4) * 0.5, DMatrix::identity(2, 2));
    let (a, b, history) = kalman::fit(&model, &ys, a0.clone(), b0.clone(), 40);
    assert_eq!(history.len(), 40, "every step decreased the likelihood");
    assert!(history.windows(2).all(|w| w[1] <= w[0]));
    // A maximum-likelihood fit is at least as likely as the truth that generated the data.
    let fitted = *history.last().unwrap();
    assert!(fitted <= kalman::kalman_nll(&a_true, &b_true, &model, &ys));
    let (q0, q) = (
        kalman::covariance_error(&a0, &a_true),
        kalman::covariance_error(&a, &a_true),
    );
    let (r0, r) = (
        kalman::covariance_error(&b0, &b_true),
        kalman::covariance_error(&b, &b_true),
    );
    assert!(
        q < q0 / 10.0 && r < r0 / 10.0,
        "Q: {q0} → {q}, R: {r0} → {r}"
    );
}

pub struct Affine {
    w: DMatrix<f64>,
}

/// `x·Wᵀ` with `W` a field: the transposed operand of a product is read in place, not moved
/// out of the struct (as `.transpose()` borrows it in the function as written).
#[grad(x)]
fn through_a_field(x: &DMatrix<f64>, layer: &Affine) -> f64 {
    let y = x * layer.w.transpose();
    let z = layer.w.transpose() * y.transpose();
    z.norm_squared()
}

#[test]
fn a_field_is_a_transposed_operand_in_place() {
    let mut rng = rng(3);
    let layer = Affine {
        w: dmatrix(&mut rng, 3, 4),
    };
    let x = dmatrix(&mut rng, 2, 4);
    let (v, g) = through_a_field_grad(&x, &layer);
    assert_value("field", v, through_a_field(&x, &layer));
    assert_fd("field", |x| through_a_field(x, &layer), &x, &g.x);
}
