//! `.expect(msg)` completes every `Option` the catalogue's operations return, as `.unwrap()`
//! does: `cholesky()`, `lu.solve(&b)`, `try_inverse()`, the triangular solves and an SVD's
//! `u`/`v_t`. The derivative is the `.unwrap()` form's (same kernels: compared exactly), right
//! against finite differences, and a failure panics with the user's own message.

mod common;

use common::*;
use matgrad::grad;
use nalgebra::DMatrix;

#[grad]
fn with_expect(a: &DMatrix<f64>, x: &DMatrix<f64>) -> f64 {
    let n = a.nrows();
    let s = a * a.transpose() + DMatrix::identity(n, n);
    let c = s.clone().cholesky().expect("S is positive definite");
    let lu = s.clone().lu();
    let y = lu.solve(x).expect("S is invertible");
    let inv = s.try_inverse().expect("S is invertible");
    let l = c.l();
    let z = l
        .solve_lower_triangular(x)
        .expect("L has no zero on its diagonal");
    let w = l
        .tr_solve_upper_triangular(x)
        .expect("Lᵀ's triangle is L's");
    let svd = a.clone().svd(true, true);
    let u = svd.u.expect("U was asked for");
    let v_t = svd.v_t.expect("V was asked for");
    c.ln_determinant()
        + x.dot(&y)
        + inv.sum()
        + z.norm_squared()
        + w.sum()
        + (u * v_t).component_mul(a).sum()
}

#[grad]
fn with_unwrap(a: &DMatrix<f64>, x: &DMatrix<f64>) -> f64 {
    let n = a.nrows();
    let s = a * a.transpose() + DMatrix::identity(n, n);
    let c = s.clone().cholesky().unwrap();
    let lu = s.clone().lu();
    let y = lu.solve(x).unwrap();
    let inv = s.try_inverse().unwrap();
    let l = c.l();
    let z = l.solve_lower_triangular(x).unwrap();
    let w = l.tr_solve_upper_triangular(x).unwrap();
    let svd = a.clone().svd(true, true);
    let u = svd.u.unwrap();
    let v_t = svd.v_t.unwrap();
    c.ln_determinant()
        + x.dot(&y)
        + inv.sum()
        + z.norm_squared()
        + w.sum()
        + (u * v_t).component_mul(a).sum()
}

#[test]
fn expect_differentiates_as_unwrap_does() {
    let mut rng = rng(31);
    for n in [1, 2, 4] {
        let a = well_conditioned(&mut rng, n);
        let x = dmatrix(&mut rng, n, 2);
        let (v, g) = with_expect_grad(&a, &x);
        let (v_unwrap, g_unwrap) = with_unwrap_grad(&a, &x);
        assert_value("with_expect", v, with_expect(&a, &x));
        assert_eq!((v, &g.a, &g.x), (v_unwrap, &g_unwrap.a, &g_unwrap.x));
        assert_fd("with_expect ∂a", |a| with_expect(a, &x), &a, &g.a);
        assert_fd("with_expect ∂x", |x| with_expect(&a, x), &x, &g.x);
    }
}

/// A message built from other values, in a loop: read where the operation is.
#[grad]
fn expect_in_a_loop(s: &DMatrix<f64>, xs: &[DMatrix<f64>]) -> f64 {
    let mut total = 0.0;
    for (t, x) in xs.iter().enumerate() {
        let m = s * (t as f64 + 1.0);
        let lu = m.lu();
        let message = format!("step {t}: singular for {} right-hand sides", x.ncols());
        let y = lu.solve(x).expect(&message);
        total += y.norm_squared();
    }
    total
}

#[test]
fn a_message_read_in_a_loop() {
    let mut rng = rng(32);
    let s = well_conditioned(&mut rng, 3);
    let xs: Vec<_> = (0..3).map(|_| dmatrix(&mut rng, 3, 2)).collect();
    let (v, g) = expect_in_a_loop_grad(&s, &xs);
    assert_value("expect_in_a_loop", v, expect_in_a_loop(&s, &xs));
    assert_fd("expect_in_a_loop", |s| expect_in_a_loop(s, &xs), &s, &g.s);
}

#[test]
#[should_panic(expected = "step 0: singular for 1 right-hand sides")]
fn the_users_message_is_the_panic() {
    let s = nalgebra::dmatrix![1.0, 2.0; 2.0, 4.0];
    let _ = expect_in_a_loop_grad(&s, &[DMatrix::from_element(2, 1, 1.0)]);
}

#[grad]
fn cholesky_expecting(s: &DMatrix<f64>) -> f64 {
    s.clone()
        .cholesky()
        .expect("the covariance is positive definite")
        .ln_determinant()
}

#[test]
#[should_panic(expected = "the covariance is positive definite")]
fn an_indefinite_matrix_panics_with_the_users_message() {
    let _ = cholesky_expecting_grad(&nalgebra::dmatrix![1.0, 2.0; 2.0, 1.0]);
}

#[grad]
fn svd_without_u(a: &DMatrix<f64>) -> f64 {
    a.clone()
        .svd(false, true)
        .u
        .expect("U was not asked for")
        .sum()
}

#[test]
#[should_panic(expected = "U was not asked for")]
fn an_svd_field_not_computed_panics_with_the_users_message() {
    let _ = svd_without_u_grad(&DMatrix::identity(2, 2));
}
