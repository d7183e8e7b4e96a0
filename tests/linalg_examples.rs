//! The linear-algebra examples as tests: the Kalman filter (`examples/kalman.rs`) against
//! JAX (`tests/data/kalman_jax.py`) and finite differences, and its fit recovering the
//! simulated covariances; the GRU (`examples/gru.rs`) against finite differences in every
//! parameter, and its training; PCA (`examples/pca.rs`) against the closed form of the
//! reconstruction error's gradient and finite differences, and the alignment it learns.

mod common;

#[allow(dead_code)]
#[path = "../examples/kalman.rs"]
mod kalman;

#[allow(dead_code)]
#[path = "../examples/gru.rs"]
mod gru;

#[allow(dead_code)]
#[path = "../examples/pca.rs"]
mod pca;

use common::*;
use matgrad::grad;
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

#[test]
fn the_gru_gradient_matches_finite_differences_in_every_parameter() {
    let (xs, ys) = gru::sequence(7);
    for hidden in [1, 3] {
        let p = gru::Gru::new(1, hidden, 5);
        let (v, g) = gru::gru_loss_grad(&p.w, &p.u, &p.bx, &p.bh, &p.v, &xs, &ys);
        assert_value("gru", v, p.loss(&xs, &ys));
        assert_fd(
            "gru W",
            |w| gru::gru_loss(w, &p.u, &p.bx, &p.bh, &p.v, &xs, &ys),
            &p.w,
            &g.w,
        );
        assert_fd(
            "gru U",
            |u| gru::gru_loss(&p.w, u, &p.bx, &p.bh, &p.v, &xs, &ys),
            &p.u,
            &g.u,
        );
        assert_fd(
            "gru b_x",
            |b| gru::gru_loss(&p.w, &p.u, b, &p.bh, &p.v, &xs, &ys),
            &p.bx,
            &g.bx,
        );
        assert_fd(
            "gru b_h",
            |b| gru::gru_loss(&p.w, &p.u, &p.bx, b, &p.v, &xs, &ys),
            &p.bh,
            &g.bh,
        );
        assert_fd(
            "gru v",
            |v| gru::gru_loss(&p.w, &p.u, &p.bx, &p.bh, v, &xs, &ys),
            &p.v,
            &g.v,
        );
    }
}

#[test]
fn the_gru_learns_the_sequence() {
    let (_, losses) = gru::train(4, 30, 60);
    let (first, last) = (losses[0], *losses.last().unwrap());
    assert!(last < first / 20.0, "{first} → {last}");
}

#[test]
fn the_reconstruction_error_gradient_is_the_closed_form() {
    for (n, scales) in [
        (30, &[3.0, 1.0, 0.5][..]),
        (12, &[2.0, 1.5, 1.0, 0.7, 0.2][..]),
    ] {
        let x = pca::data(n, scales, 4);
        let (e, g) = pca::reconstruction_error_grad(&x);
        assert_value("pca", e, pca::reconstruction_error(&x));
        let c = x.tr_mul(&x);
        let eig = c.symmetric_eigen();
        let v = eig.eigenvectors.column(eig.eigenvalues.imax()).into_owned();
        let closed = (&x - &x * &v * v.transpose()) * 2.0;
        assert_closed("∇E = 2X(I − v₁v₁ᵀ)", &g.x, &closed);
        assert_fd("pca", pca::reconstruction_error, &x, &g.x);
    }
}

#[test]
fn pca_alignment_turns_the_first_principal_direction() {
    let x = pca::data(60, &[3.0, 1.0, 0.8], 9);
    let u = DVector::from_vec(vec![0.0, 0.0, 1.0]);
    let a = DMatrix::identity(3, 3) + dmatrix(&mut rng(2), 3, 3) * 0.1;
    let (_, g) = pca::misalignment_grad(&a, &x, &u);
    assert_fd("misalignment", |a| pca::misalignment(a, &x, &u), &a, &g.a);
    let (_, history) = pca::align(&x, &u, 200, 0.02);
    assert!(*history.last().unwrap() < 1e-3, "{:?}", history.last());
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
