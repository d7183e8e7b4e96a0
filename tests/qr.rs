//! The QR factorisation as nalgebra users write it: `m.qr()` read by `.q()`, `.r()`, and
//! for a square matrix `.solve(&b).unwrap()`; against the original function, finite
//! differences and JAX (`tests/data/qr_jax.py`) on tall, square and wide matrices, and the
//! panic that refuses a rank-deficient one.

mod common;

use common::reference::*;
use common::*;
use matgrad::grad;
use nalgebra::DMatrix;

/// Σ W ∘ Q ∘ Q: invariant to the signs of Q's columns.
#[grad(a)]
fn f_q(a: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    let q = a.clone().qr().q();
    w.component_mul(&q.component_mul(&q)).sum()
}

/// Σ W₂ ∘ R ∘ R: invariant to the signs of R's rows.
#[grad(a)]
fn f_r(a: &DMatrix<f64>, w2: &DMatrix<f64>) -> f64 {
    let qr = a.clone().qr();
    let r = qr.r();
    w2.component_mul(&r.component_mul(&r)).sum()
}

#[grad]
fn f_solve(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    let x = a.clone().qr().solve(b).unwrap();
    0.5 * x.norm_squared()
}

/// Q and R read from one factorisation: their pullbacks add up.
#[grad(a)]
fn both(a: &DMatrix<f64>, w: &DMatrix<f64>, w2: &DMatrix<f64>) -> f64 {
    let qr = a.clone().qr();
    let q = qr.q();
    let r = qr.r();
    w.component_mul(&q.component_mul(&q)).sum() + w2.component_mul(&r.component_mul(&r)).sum()
}

/// `f_q` and `f_r` as [`Function`]s of `a` and a weight, differentiated in `a` only.
fn weighted() -> [Function; 2] {
    [
        Function {
            name: "f_q",
            args: &["a", "w"],
            value: |x| f_q(&x[0], &x[1]),
            grad: |x| {
                let (v, g) = f_q_grad(&x[0], &x[1]);
                (v, vec![g.a])
            },
        },
        Function {
            name: "f_r",
            args: &["a", "w2"],
            value: |x| f_r(&x[0], &x[1]),
            grad: |x| {
                let (v, g) = f_r_grad(&x[0], &x[1]);
                (v, vec![g.a])
            },
        },
    ]
}

#[test]
fn qr_matches_jax_and_finite_differences() {
    let data = reference_data("qr_jax");
    let cases = data["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 8);
    for case in cases {
        let mut functions: Vec<Function> = weighted().into();
        if case["m"] == case["n"] {
            functions.push(function2!(f_solve, f_solve_grad, a, b));
        }
        for f in functions {
            let what = format!("{} at {}×{}", f.name, case["m"], case["n"]);
            assert_matches_reference(&what, case, &case["functions"][f.name], &f, 1e-9);
            // The weights are not differentiated.
            assert_matches_finite_differences(&what, case, &f, &["w", "w2"]);
        }
    }
}

#[test]
fn q_and_r_of_one_factorisation_add_up() {
    let mut rng = rng(51);
    for (m, n) in [(2, 2), (5, 3), (4, 1), (2, 4), (1, 3)] {
        let a = dmatrix(&mut rng, m, n) + DMatrix::identity(m, n);
        let k = m.min(n);
        let (w, w2) = (dmatrix(&mut rng, m, k), dmatrix(&mut rng, k, n));
        let (v, g) = both_grad(&a, &w, &w2);
        assert_value("both", v, both(&a, &w, &w2));
        assert_fd("both", |a| both(a, &w, &w2), &a, &g.a);
    }
}

#[test]
#[should_panic(
    expected = "the derivative of `qr()` of a 2×3 matrix whose first 2 columns have rank below 2"
)]
fn a_wide_matrix_of_dependent_first_columns_is_refused_rather_than_guessed() {
    let a = nalgebra::dmatrix![1.0, 2.0, 0.0; 2.0, 4.0, 1.0];
    let _ = f_r_grad(&a, &DMatrix::from_element(2, 3, 1.0));
}
