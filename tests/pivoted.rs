//! The factors of pivoted factorisations as nalgebra users write them: `m.lu()` read by
//! `.l()`, `.u()` (and `.p()`, a constant), and `m.col_piv_qr()` read by `.q()`, `.r()`,
//! `.solve(&b).unwrap()` and `.determinant()` (and `.p()`); against the original function,
//! central finite differences and JAX (`tests/data/pivoted_jax.py`), on 1×1 to 5×5 matrices
//! and, for `col_piv_qr()`, tall and wide ones.

mod common;

use common::reference::*;
use common::*;
use matgrad::grad;
use nalgebra::DMatrix;

/// Σ W ∘ L.
#[grad(m)]
fn lu_l(m: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    let lu = m.clone().lu();
    lu.l().component_mul(w).sum()
}

/// Σ W ∘ U.
#[grad(m)]
fn lu_u(m: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    let lu = m.clone().lu();
    lu.u().component_mul(w).sum()
}

/// Both factors of one factorisation, and the sign of its permutation (a constant).
#[grad(m)]
fn lu_both(m: &DMatrix<f64>, w: &DMatrix<f64>, w2: &DMatrix<f64>) -> f64 {
    let lu = m.clone().lu();
    let sign = lu.p().determinant::<f64>();
    let l = lu.l();
    sign * (l.component_mul(w).sum() + lu.u().component_mul(w2).norm_squared())
}

/// Σ W ∘ Q ∘ Q of `A·P = Q·R`: invariant to the signs of Q's columns.
#[grad(a)]
fn cp_q(a: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    let f = a.clone().col_piv_qr();
    let q = f.q();
    w.component_mul(&q.component_mul(&q)).sum()
}

/// Σ W₂ ∘ R ∘ R: invariant to the signs of R's rows.
#[grad(a)]
fn cp_r(a: &DMatrix<f64>, w2: &DMatrix<f64>) -> f64 {
    let r = a.clone().col_piv_qr().r();
    w2.component_mul(&r.component_mul(&r)).sum()
}

#[grad]
fn cp_solve(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    let x = a.clone().col_piv_qr().solve(b).unwrap();
    0.5 * x.norm_squared()
}

/// nalgebra's `ColPivQR::determinant`, `±|A|` (the sign of its reflections left out).
#[grad]
fn cp_det(a: &DMatrix<f64>) -> f64 {
    let f = a.clone().col_piv_qr();
    let p = f.p();
    f.determinant() * (p.len() as f64 + 1.0)
}

/// The functions of a case: each of `a` (or `m`) and a weight, differentiated in the first.
fn weighted() -> Vec<Function> {
    vec![
        Function {
            name: "cp_q",
            args: &["a", "w"],
            value: |x| cp_q(&x[0], &x[1]),
            grad: |x| (cp_q_grad(&x[0], &x[1]).0, vec![cp_q_grad(&x[0], &x[1]).1.a]),
        },
        Function {
            name: "cp_r",
            args: &["a", "w2"],
            value: |x| cp_r(&x[0], &x[1]),
            grad: |x| (cp_r_grad(&x[0], &x[1]).0, vec![cp_r_grad(&x[0], &x[1]).1.a]),
        },
    ]
}

/// The LU functions of a square case.
fn lu_functions() -> Vec<Function> {
    vec![
        Function {
            name: "lu_l",
            args: &["a", "w"],
            value: |x| lu_l(&x[0], &x[1]),
            grad: |x| (lu_l_grad(&x[0], &x[1]).0, vec![lu_l_grad(&x[0], &x[1]).1.m]),
        },
        Function {
            name: "lu_u",
            args: &["a", "w"],
            value: |x| lu_u(&x[0], &x[1]),
            grad: |x| (lu_u_grad(&x[0], &x[1]).0, vec![lu_u_grad(&x[0], &x[1]).1.m]),
        },
    ]
}

#[test]
fn pivoted_factors_match_jax_and_finite_differences() {
    let data = reference_data("pivoted_jax");
    let cases = data["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 7);
    for case in cases {
        let a = json_matrix(&case["a"]);
        // JAX differentiated the functions at nalgebra's pivots, recomputed by the script.
        let mut order = DMatrix::from_fn(1, a.ncols(), |_, j| j as f64);
        a.clone().col_piv_qr().p().permute_columns(&mut order);
        assert_eq!(order, json_matrix(&case["perm"]), "the column pivots");
        let mut functions = weighted();
        if case["m"] == case["n"] {
            functions.extend(lu_functions());
            functions.push(function2!(cp_solve, cp_solve_grad, a, b));
        }
        for f in functions {
            let what = format!("{} at {}×{}", f.name, case["m"], case["n"]);
            assert_matches_reference(&what, case, &case["functions"][f.name], &f, 1e-9);
            assert_matches_finite_differences(&what, case, &f, &["w", "w2"]);
        }
    }
}

/// A random `m×n` matrix plus twice the anti-diagonal: well conditioned, and pivoted by both
/// factorisations.
fn pivoting(rng: &mut rand::rngs::StdRng, m: usize, n: usize) -> DMatrix<f64> {
    dmatrix(rng, m, n) + DMatrix::from_fn(m, n, |i, j| if i + j + 1 == n { 2.0 } else { 0.0 })
}

#[test]
fn lu_factors_of_one_factorisation_add_up() {
    let mut rng = rng(61);
    for n in [1, 2, 4, 6] {
        let m = pivoting(&mut rng, n, n);
        let (w, w2) = (dmatrix(&mut rng, n, n), dmatrix(&mut rng, n, n));
        let (v, g) = lu_both_grad(&m, &w, &w2);
        assert_value("lu_both", v, lu_both(&m, &w, &w2));
        assert_fd("lu_both", |m| lu_both(m, &w, &w2), &m, &g.m);
    }
}

#[test]
fn col_piv_qr_of_tall_square_and_wide_matrices() {
    let mut rng = rng(62);
    for (m, n) in [(1, 1), (3, 3), (5, 3), (2, 4), (1, 3)] {
        let a = pivoting(&mut rng, m, n);
        let (w, w2) = (
            dmatrix(&mut rng, m, m.min(n)),
            dmatrix(&mut rng, m.min(n), n),
        );
        let what = format!("{m}×{n}");
        let (v, g) = cp_q_grad(&a, &w);
        assert_value(&what, v, cp_q(&a, &w));
        assert_fd(&what, |a| cp_q(a, &w), &a, &g.a);
        let (v, g) = cp_r_grad(&a, &w2);
        assert_value(&what, v, cp_r(&a, &w2));
        assert_fd(&what, |a| cp_r(a, &w2), &a, &g.a);
        if m == n {
            let b = dmatrix(&mut rng, n, 2);
            let (v, g) = cp_solve_grad(&a, &b);
            assert_value(&what, v, cp_solve(&a, &b));
            assert_fd(&what, |a| cp_solve(a, &b), &a, &g.a);
            assert_fd(&what, |b| cp_solve(&a, b), &b, &g.b);
            let (v, g) = cp_det_grad(&a);
            assert_value(&what, v, cp_det(&a));
            assert_fd(&what, cp_det, &a, &g.a);
        }
    }
}

#[test]
#[should_panic(expected = "the derivative of `lu()`'s `.l()` or `.u()` at a singular 2×2 matrix")]
fn the_factors_of_a_singular_matrix_are_refused_rather_than_guessed() {
    let m = nalgebra::dmatrix![1.0, 2.0; 2.0, 4.0];
    let _ = lu_u_grad(&m, &DMatrix::from_element(2, 2, 1.0));
}
