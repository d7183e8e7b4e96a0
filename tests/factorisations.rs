//! Factorisations and solves as nalgebra users write them: `cholesky().unwrap()` with `.l()`,
//! `.solve(&b)`, `.inverse()`, `.determinant()`, `.ln_determinant()`; `lu()` with
//! `.solve(&b).unwrap()`, `.determinant()`, `.try_inverse().unwrap()`; the four triangular
//! solves. Each against the original function, central finite differences and JAX
//! (`tests/data/linalg_jax.py`), on 1×1 to 5×5 matrices with one to three right-hand sides.

mod common;

use common::reference::*;
use common::*;
use matgrad::grad;
use nalgebra::{DMatrix, DVector};

#[grad]
fn chol_quad(a: &DMatrix<f64>, x: &DMatrix<f64>) -> f64 {
    let n = a.nrows();
    let s = a * a.transpose() + DMatrix::identity(n, n);
    let c = s.cholesky().unwrap();
    let z = c.solve(x);
    0.5 * x.dot(&z) + 0.5 * (x.ncols() as f64) * c.ln_determinant()
}

#[grad]
fn chol_factor(a: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    let n = a.nrows();
    let l = (a * a.transpose() + DMatrix::identity(n, n))
        .cholesky()
        .unwrap()
        .l();
    l.component_mul(w).sum()
}

#[grad]
fn chol_inverse(a: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    let n = a.nrows();
    let c = (a * a.transpose() + DMatrix::identity(n, n))
        .cholesky()
        .unwrap();
    c.inverse().component_mul(w).sum() + c.determinant().ln()
}

#[grad]
fn chol_direct(s: &DMatrix<f64>, x: &DMatrix<f64>) -> f64 {
    let c = s.clone().cholesky().unwrap();
    0.5 * x.dot(&c.solve(x)) + 0.5 * c.ln_determinant()
}

#[grad]
fn lu_all(m: &DMatrix<f64>, x: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    let lu = m.clone().lu();
    let sol = lu.solve(x).unwrap();
    0.5 * sol.norm_squared() + lu.determinant() + lu.try_inverse().unwrap().component_mul(w).sum()
}

#[grad]
fn tri_lower(t: &DMatrix<f64>, x: &DMatrix<f64>) -> f64 {
    let y = t.solve_lower_triangular(x).unwrap();
    0.5 * y.norm_squared() + y.sum()
}

#[grad]
fn tri_upper(t: &DMatrix<f64>, x: &DMatrix<f64>) -> f64 {
    let y = t.solve_upper_triangular(x).unwrap();
    0.5 * y.norm_squared() + y.sum()
}

#[grad]
fn tri_tr_lower(t: &DMatrix<f64>, x: &DMatrix<f64>) -> f64 {
    let y = t.tr_solve_lower_triangular(x).unwrap();
    0.5 * y.norm_squared() + y.sum()
}

#[grad]
fn tri_tr_upper(t: &DMatrix<f64>, x: &DMatrix<f64>) -> f64 {
    let y = t.tr_solve_upper_triangular(x).unwrap();
    0.5 * y.norm_squared() + y.sum()
}

fn functions() -> Vec<Function> {
    vec![
        function2!(chol_quad, chol_quad_grad, a, x),
        function2!(chol_factor, chol_factor_grad, a, w),
        function2!(chol_inverse, chol_inverse_grad, a, w),
        function2!(chol_direct, chol_direct_grad, s, x),
        Function {
            name: "lu_all",
            args: &["m", "x", "w"],
            value: |x| lu_all(&x[0], &x[1], &x[2]),
            grad: |x| {
                let (v, g) = lu_all_grad(&x[0], &x[1], &x[2]);
                (v, vec![g.m, g.x, g.w])
            },
        },
        function2!(tri_lower, tri_lower_grad, t, x),
        function2!(tri_upper, tri_upper_grad, t, x),
        function2!(tri_tr_lower, tri_tr_lower_grad, t, x),
        function2!(tri_tr_upper, tri_tr_upper_grad, t, x),
    ]
}

/// How far a gradient may be from JAX's: both are rounding away from the exact one, by
/// different algorithms.
const JAX_TOL: f64 = 1e-9;

#[test]
fn factorisations_match_jax_and_finite_differences() {
    let data = reference_data("linalg_jax");
    let cases = data["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 4);
    for case in cases {
        for f in functions() {
            let what = format!("{} at n = {}, k = {}", f.name, case["n"], case["k"]);
            assert_matches_reference(&what, case, &case["functions"][f.name], &f, JAX_TOL);
            // A symmetric argument: see the next test.
            let skip: &[&str] = if f.name == "chol_direct" { &["s"] } else { &[] };
            assert_matches_finite_differences(&what, case, &f, skip);
        }
    }
}

/// The gradient with respect to a symmetric matrix that `cholesky()` factorises is symmetric,
/// and right along every symmetric perturbation `S + h(Eᵢⱼ + Eⱼᵢ)`: against finite differences
/// of those, and equal to the unconstrained gradient of the same function of `(S + Sᵀ)/2`.
#[test]
fn a_symmetric_argument_gets_the_symmetric_gradient() {
    let mut rng = rng(7);
    for n in [1, 2, 4, 6] {
        let s = spd(&mut rng, n);
        let s = (&s + s.transpose()) * 0.5;
        let x = dmatrix(&mut rng, n, 2);
        let (_, g) = chol_direct_grad(&s, &x);
        assert_eq!(g.s, g.s.transpose(), "the gradient is symmetric");
        assert_symmetric_fd("symmetric", |s| chol_direct(s, &x), &s, &g.s);
    }
}

#[grad]
fn chol_of_symmetrised(a: &DMatrix<f64>, x: &DMatrix<f64>) -> f64 {
    let s = (a + a.transpose()) * 0.5;
    let c = s.cholesky().unwrap();
    0.5 * x.dot(&c.solve(x)) + 0.5 * c.ln_determinant()
}

#[test]
fn the_symmetric_gradient_is_the_gradient_through_the_symmetrised_matrix() {
    let mut rng = rng(8);
    for n in [1, 3, 5] {
        let s = spd(&mut rng, n);
        let s = (&s + s.transpose()) * 0.5;
        let x = dmatrix(&mut rng, n, 3);
        let (v, g) = chol_of_symmetrised_grad(&s, &x);
        assert_value("symmetrised", v, chol_direct(&s, &x));
        assert_fd("symmetrised", |a| chol_of_symmetrised(a, &x), &s, &g.a);
        assert_closed(
            "the symmetric convention",
            &chol_direct_grad(&s, &x).1.s,
            &g.a,
        );
    }
}

#[test]
#[should_panic(expected = "`cholesky()` of a 2×2 matrix that is not symmetric")]
fn cholesky_of_a_matrix_that_is_not_symmetric_panics_rather_than_guess() {
    let s = nalgebra::dmatrix![2.0, 0.5; 0.0, 2.0];
    let _ = chol_direct_grad(&s, &DMatrix::from_element(2, 1, 1.0));
}

#[test]
#[should_panic(expected = "`cholesky().unwrap()` on a 2×2 matrix that is not positive definite")]
fn cholesky_of_an_indefinite_matrix_panics_as_unwrap_would() {
    let s = nalgebra::dmatrix![1.0, 2.0; 2.0, 1.0];
    let _ = chol_direct_grad(&s, &DMatrix::from_element(2, 1, 1.0));
}

#[test]
#[should_panic(expected = "`solve(..).unwrap()` with a singular 2×2 matrix")]
fn an_lu_solve_with_a_singular_matrix_panics_as_unwrap_would() {
    let m = nalgebra::dmatrix![1.0, 2.0; 2.0, 4.0];
    let _ = lu_all_grad(&m, &DMatrix::from_element(2, 1, 1.0), &DMatrix::zeros(2, 2));
}

#[grad]
fn solves_of_vectors(m: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let s = m.tr_mul(m) + DMatrix::identity(m.ncols(), m.ncols());
    let c = s.clone().cholesky().unwrap();
    let lu = s.lu();
    let l = c.l();
    let y = l.solve_lower_triangular(b).unwrap();
    let z = l.tr_solve_lower_triangular(&y).unwrap();
    c.solve(b).dot(&lu.solve(b).unwrap()) + z.norm_squared()
}

#[test]
fn vectors_are_solved_for_too() {
    let mut rng = rng(9);
    for n in [1, 3, 4] {
        let m = dmatrix(&mut rng, n + 1, n);
        let b = dvector(&mut rng, n);
        let (v, g) = solves_of_vectors_grad(&m, &b);
        assert_value("vectors", v, solves_of_vectors(&m, &b));
        assert_fd("vectors d/dm", |m| solves_of_vectors(m, &b), &m, &g.m);
        assert_fd("vectors d/db", |b| solves_of_vectors(&m, b), &b, &g.b);
    }
}

/// A factorisation no parameter depends on is read with nalgebra's own methods where its
/// reading is constant too, and through the kernels where it meets a differentiated value.
#[grad(b)]
fn constant_factorisation(b: &DVector<f64>, s: &DMatrix<f64>) -> f64 {
    let c = s.clone().cholesky().unwrap();
    let l = c.l();
    let unit = DVector::from_element(b.len(), 1.0);
    c.solve(b).sum() + l.dot(&l) * b.sum() + c.solve(&unit).dot(b)
}

#[test]
fn a_constant_factorisation_solves_for_a_differentiated_right_hand_side() {
    let mut rng = rng(10);
    for n in [1, 2, 5] {
        let s = spd(&mut rng, n);
        let s = (&s + s.transpose()) * 0.5;
        let b = dvector(&mut rng, n);
        let (v, g) = constant_factorisation_grad(&b, &s);
        assert_value("constant", v, constant_factorisation(&b, &s));
        assert_fd("constant", |b| constant_factorisation(b, &s), &b, &g.b);
    }
}

/// A borrowed block as a solve's right-hand side, no parameter reaching it: a pullback reads
/// it, and it is kept from the forward sweep (evaluating it again would move `u` and `vt`
/// twice; difftest seed 37, p00360).
#[grad]
fn solve_of_a_borrowed_block(x: f64) -> f64 {
    let s = DMatrix::<f64>::identity(4, 4) * (3.0 + x * x);
    let c = s.cholesky().expect("positive definite");
    c.solve(
        &({
            let sv = (DMatrix::<f64>::from_element(4, 3, 1.0) + DMatrix::<f64>::identity(4, 3))
                .svd(true, true);
            let u = sv.u.unwrap();
            let vt = sv.v_t.expect("asked for");
            u * vt
        }),
    )
    .sum()
}

#[test]
fn a_borrowed_block_read_by_a_pullback() {
    for x in [0.3, -1.2] {
        let (v, g) = solve_of_a_borrowed_block_grad(x);
        assert_value("borrowed block", v, solve_of_a_borrowed_block(x));
        assert_fd(
            "borrowed block",
            |x: &f64| solve_of_a_borrowed_block(*x),
            &x,
            &g.x,
        );
    }
}

/// The same with a borrowed product of two constants: evaluated again, it would move `u` and
/// `v`.
#[grad]
fn solve_of_a_borrowed_product(x: f64) -> f64 {
    let s = DMatrix::<f64>::identity(3, 3) * (3.0 + x * x);
    let c = s.cholesky().unwrap();
    let u = DMatrix::<f64>::from_element(3, 2, 1.0);
    let v = DMatrix::<f64>::from_element(2, 2, 0.5);
    c.solve(&(u * v)).sum()
}

#[test]
fn a_borrowed_product_read_by_a_pullback() {
    for x in [0.3, -1.2] {
        let (v, g) = solve_of_a_borrowed_product_grad(x);
        assert_value("borrowed product", v, solve_of_a_borrowed_product(x));
        assert_fd(
            "borrowed product",
            |x: &f64| solve_of_a_borrowed_product(*x),
            &x,
            &g.x,
        );
    }
}
