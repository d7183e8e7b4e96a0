//! Spectral functions as nalgebra users write them: `s.symmetric_eigen()` with `.eigenvalues`
//! and `.eigenvectors`, `s.symmetric_eigenvalues()`, and the matrix exponential `a.exp()`;
//! against the original function, finite differences and JAX (`tests/data/spectral_jax.py`),
//! and at repeated eigenvalues, where the convention is documented
//! (`matgrad-runtime/src/spectral.rs`).

mod common;

use common::reference::*;
use common::*;
use matgrad::grad;
use nalgebra::{dmatrix, dvector, DMatrix, DVector};

#[grad]
fn eig_values(a: &DMatrix<f64>) -> f64 {
    let n = a.nrows();
    let s = a * a.transpose() + DMatrix::identity(n, n);
    let e = s.symmetric_eigen();
    e.eigenvalues.map(|l| l.sin()).sum()
}

#[grad]
fn eigenvalues_alone(a: &DMatrix<f64>) -> f64 {
    let n = a.nrows();
    let s = a * a.transpose() + DMatrix::identity(n, n);
    s.symmetric_eigenvalues().map(|l| l.sin()).sum()
}

/// Σᵢ cos(λᵢ)·vᵢᵀ·W·vᵢ, `W = w + wᵀ`: invariant to the eigenvectors' signs and order.
#[grad]
fn eig_vectors(a: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    let n = a.nrows();
    let s = a * a.transpose() + DMatrix::identity(n, n);
    let e = s.symmetric_eigen();
    let w2 = w + w.transpose();
    let quadratic = e
        .eigenvectors
        .component_mul(&(w2 * &e.eigenvectors))
        .row_sum_tr();
    quadratic.dot(&e.eigenvalues.map(|l| l.cos()))
}

#[grad]
fn eig_direct(s: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    let e = s.clone().symmetric_eigen();
    let w2 = w + w.transpose();
    let quadratic = e
        .eigenvectors
        .component_mul(&(w2 * &e.eigenvectors))
        .row_sum_tr();
    e.eigenvalues.map(|l| l.sin()).sum() + quadratic.dot(&e.eigenvalues.map(|l| l.cos()))
}

#[grad]
fn expm_small(e: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    e.exp().component_mul(w).sum()
}

#[grad]
fn expm_big(e_big: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    e_big.exp().component_mul(w).sum()
}

/// The functions of the reference data, with the name of the reference each matches.
fn functions() -> Vec<(&'static str, Function)> {
    vec![
        ("eig_values", function1!(eig_values, eig_values_grad, a)),
        (
            "eig_values",
            function1!(eigenvalues_alone, eigenvalues_alone_grad, a),
        ),
        (
            "eig_vectors",
            function2!(eig_vectors, eig_vectors_grad, a, w),
        ),
        ("eig_direct", function2!(eig_direct, eig_direct_grad, s, w)),
        ("expm_small", function2!(expm_small, expm_small_grad, e, w)),
        ("expm_big", function2!(expm_big, expm_big_grad, e_big, w)),
    ]
}

#[test]
fn spectral_functions_match_jax_and_finite_differences() {
    let data = reference_data("spectral_jax");
    let cases = data["symmetric"].as_array().expect("cases");
    assert_eq!(cases.len(), 4);
    for case in cases {
        for (reference, f) in functions() {
            let what = format!("{} at n = {}", f.name, case["n"]);
            assert_matches_reference(&what, case, &case["functions"][reference], &f, 1e-9);
            // A symmetric argument: checked along symmetric perturbations below.
            let skip: &[&str] = if f.name == "eig_direct" { &["s"] } else { &[] };
            assert_matches_finite_differences(&what, case, &f, skip);
        }
    }
}

#[test]
fn a_symmetric_argument_gets_the_symmetric_gradient() {
    let mut rng = rng(21);
    for n in [1, 2, 4] {
        let s = spd(&mut rng, n);
        let s = (&s + s.transpose()) * 0.5;
        let w = dmatrix(&mut rng, n, n);
        let (_, g) = eig_direct_grad(&s, &w);
        assert!(rel_error(&g.s, &g.s.transpose()) < 1e-14, "symmetric");
        assert_symmetric_fd("symmetric", |s| eig_direct(s, &w), &s, &g.s);
    }
}

/// Σᵢ λᵢ² + Σᵢ cᵢ·(vᵢᵀ·d)² with constant weights `c`.
#[grad(s)]
fn spectral_energy(s: &DMatrix<f64>, d: &DVector<f64>, c: &DVector<f64>) -> f64 {
    let e = s.clone().symmetric_eigen();
    let proj = e.eigenvectors.tr_mul(d).map(|p| p * p);
    e.eigenvalues.norm_squared() + proj.dot(c)
}

/// At an exact tie, a function that weighs the tied eigenvectors alike has a gradient, and
/// the pullback gives it: with `c` selecting the eigenvalue 5 of a matrix with eigenvalues
/// 5, 2, 2, the function is `‖S‖² + dᵀ·P·d` for the projector `P` onto 5's eigenvector, whose
/// gradient is `2S + ((I − P)·d·dᵀ·P + P·d·dᵀ·(I − P))/(5 − 2)` (Magnus & Neudecker, "Matrix
/// Differential Calculus", ch. 8, the derivative of an eigenvector), whichever basis of the
/// repeated eigenspace nalgebra returns.
#[test]
fn a_tie_of_eigenvalues_leaves_functions_weighing_the_tied_vectors_alike_right() {
    let d = dvector![0.3, -0.7, 0.5];
    // Eigenvalues 5, 2, 2 in a rotated basis.
    let q = dmatrix![0.8, 0.6, 0.0; 0.0, 0.0, 1.0; -0.6, 0.8, 0.0];
    let s = &q * DMatrix::from_diagonal(&dvector![5.0, 2.0, 2.0]) * q.transpose();
    let s = (&s + s.transpose()) * 0.5;
    let lambda: DVector<f64> = s.clone().symmetric_eigen().eigenvalues;
    let top = lambda.imax();
    assert!((lambda[top] - 5.0).abs() < 1e-12);
    let c = DVector::from_fn(3, |i, _| if i == top { 1.0 } else { 0.0 });
    let (v, g) = spectral_energy_grad(&s, &d, &c);
    assert_value("tie", v, spectral_energy(&s, &d, &c));
    let p = q.column(0) * q.column(0).transpose();
    let r = DMatrix::identity(3, 3) - &p;
    let dd = &d * d.transpose();
    let closed = &s * 2.0 + (&r * &dd * &p + &p * &dd * &r) / 3.0;
    assert!(rel_error(&g.s, &closed) < 1e-12, "{} vs {closed}", g.s);
}

/// Σᵢ cᵢ·vᵢᵀ·W·vᵢ with constant weights `c`: a function of the individual eigenvectors.
#[grad(s)]
fn weighted_eigenvectors(s: &DMatrix<f64>, w: &DMatrix<f64>, c: &DVector<f64>) -> f64 {
    let e = s.clone().symmetric_eigen();
    let w2 = w + w.transpose();
    e.eigenvectors
        .component_mul(&(w2 * &e.eigenvectors))
        .row_sum_tr()
        .dot(c)
}

/// Near a tie the eigenvectors' own gradient grows as the inverse of the gap (as JAX's and
/// PyTorch's): finite, and right against finite differences taken with a step well below the
/// gap.
#[test]
fn near_a_tie_the_eigenvector_gradient_grows_as_the_inverse_gap() {
    let w = dmatrix![0.2, 0.9, -0.4; 0.1, -0.3, 0.6; 0.5, 0.2, 0.7];
    let c = dvector![1.0, 2.0, 3.0];
    // A rotated basis: at a diagonal matrix nalgebra's order of the eigenvalues can change
    // under a perturbation, which finite differences would see as a jump.
    let q = dmatrix![0.8, 0.6, 0.0; 0.0, 0.0, 1.0; -0.6, 0.8, 0.0];
    let mut sizes = Vec::new();
    for gap in [1e-2, 1e-3, 1e-4] {
        let s = &q * DMatrix::from_diagonal(&dvector![1.0, 1.0 + gap, 3.0]) * q.transpose();
        let s = (&s + s.transpose()) * 0.5;
        let (_, g) = weighted_eigenvectors_grad(&s, &w, &c);
        let h = gap * 1e-4;
        // Along the direction that couples the two close eigenvectors.
        let (u0, u1) = (q.column(0), q.column(1));
        let e = (u0 * u1.transpose() + u1 * u0.transpose()) * h;
        let f = |s: &DMatrix<f64>| weighted_eigenvectors(s, &w, &c);
        let fd = (f(&(&s + &e)) - f(&(&s - &e))) / (2.0 * h);
        let analytic = g.s.dot(&(&e / h));
        assert!(
            (fd - analytic).abs() <= 1e-5 * analytic.abs().max(1.0),
            "gap {gap}: finite differences {fd}, gradient {analytic}"
        );
        sizes.push(analytic.abs());
    }
    assert!(
        sizes[1] > 9.0 * sizes[0] && sizes[2] > 9.0 * sizes[1],
        "{sizes:?}"
    );
}

#[test]
#[should_panic(expected = "`symmetric_eigen()` of a 2×2 matrix that is not symmetric")]
fn an_eigendecomposition_of_a_matrix_that_is_not_symmetric_panics_rather_than_guess() {
    let s = dmatrix![2.0, 0.5; 0.0, 2.0];
    let _ = eig_direct_grad(&s, &DMatrix::zeros(2, 2));
}
