//! The singular value decomposition as nalgebra users write it: `m.svd(true, true)` read by
//! `.singular_values`, `.u.unwrap()` and `.v_t.unwrap()`, and `m.singular_values()`; against
//! the original function, finite differences and JAX (`tests/data/spectral_jax.py`) on
//! matrices wide, tall and square, and at repeated singular values.

mod common;

use common::reference::*;
use common::*;
use matgrad::grad;
use nalgebra::{dmatrix, dvector, DMatrix, DVector};

#[grad]
fn svd_values(m: &DMatrix<f64>) -> f64 {
    let s = m.singular_values();
    s.map(|v| v.sin()).sum() + s.norm_squared()
}

#[grad]
fn decomposition_values(m: &DMatrix<f64>) -> f64 {
    let svd = m.clone().svd(true, true);
    svd.singular_values.map(|v| v.sin()).sum() + svd.singular_values.norm_squared()
}

/// Σᵢ cos(sᵢ)·uᵢᵀ·P·vᵢ: invariant to the joint sign flips of uᵢ and vᵢ.
#[grad]
fn svd_vectors(m: &DMatrix<f64>, p: &DMatrix<f64>) -> f64 {
    let svd = m.clone().svd(true, true);
    let u = svd.u.unwrap();
    let vt = svd.v_t.unwrap();
    let paired = u.component_mul(&(p * vt.transpose())).row_sum_tr();
    paired.dot(&svd.singular_values.map(|s| s.cos()))
}

fn functions() -> Vec<(&'static str, Function)> {
    vec![
        ("svd_values", function1!(svd_values, svd_values_grad, m)),
        (
            "svd_values",
            function1!(decomposition_values, decomposition_values_grad, m),
        ),
        (
            "svd_vectors",
            function2!(svd_vectors, svd_vectors_grad, m, p),
        ),
    ]
}

#[test]
fn the_decomposition_matches_jax_and_finite_differences() {
    let data = reference_data("spectral_jax");
    let cases = data["rectangular"].as_array().expect("cases");
    assert_eq!(cases.len(), 4);
    for case in cases {
        for (reference, f) in functions() {
            let what = format!("{} at {}×{}", f.name, case["r"], case["c"]);
            assert_matches_reference(&what, case, &case["functions"][reference], &f, 1e-9);
            assert_matches_finite_differences(&what, case, &f, &[]);
        }
    }
}

/// ‖M‖²_F + Σᵢ cᵢ·uᵢᵀ·W·uᵢ: with `c` = (1, 1, 0) and singular values 2, 2, 1, the second
/// term is ⟨W, P⟩ for the projector P onto the repeated pair's left singular subspace, which is
/// smooth there (its gap to the third singular value is 1), whichever basis of the subspace
/// nalgebra returns.
#[grad(m)]
fn subspace(m: &DMatrix<f64>, w: &DMatrix<f64>, c: &DVector<f64>) -> f64 {
    let svd = m.clone().svd(true, true);
    let u = svd.u.unwrap();
    u.component_mul(&(w * &u)).row_sum_tr().dot(c) + m.singular_values().norm_squared()
}

#[test]
fn repeated_singular_values_leave_functions_weighing_the_pair_alike_right() {
    let q = dmatrix![0.8, 0.6, 0.0; 0.0, 0.0, 1.0; -0.6, 0.8, 0.0];
    let r = dmatrix![0.0, 1.0, 0.0; 0.6, 0.0, 0.8; 0.8, 0.0, -0.6];
    let w = dmatrix![0.3, -0.2, 0.5; 0.1, 0.4, -0.6; 0.7, 0.2, 0.1];
    let c = dvector![1.0, 1.0, 0.0];
    let m = &q * DMatrix::from_diagonal(&dvector![2.0, 2.0, 1.0]) * r.transpose();
    let (v, g) = subspace_grad(&m, &w, &c);
    assert_value("tie", v, subspace(&m, &w, &c));
    assert_fd("tie", |m| subspace(m, &w, &c), &m, &g.m);
    // A zero singular value: the vectors' part is not differentiable there (the null space's
    // basis is arbitrary); the gradient stays finite.
    let m = &q * DMatrix::from_diagonal(&dvector![2.0, 2.0, 0.0]) * r.transpose();
    let c = dvector![0.0, 0.0, 1.0];
    let (_, g) = subspace_grad(&m, &w, &c);
    assert!(g.m.iter().all(|x| x.is_finite()), "{}", g.m);
}

#[test]
#[should_panic(expected = "`svd.u.unwrap()` of an `svd(false, ..)`: U was not computed")]
fn reading_what_was_not_computed_panics_as_unwrap_would() {
    let _ = not_computed_grad(&dmatrix![1.0, 2.0; 3.0, 4.0]);
}

#[grad]
fn not_computed(m: &DMatrix<f64>) -> f64 {
    let svd = m.clone().svd(false, true);
    svd.u.unwrap().sum()
}
