//! The internal operations' kernels against finite differences: each pullback is the gradient
//! of `⟨Ḡ, kernel(..)⟩` in its operand.

use super::*;
use crate::check::check_gradient;
#[allow(unused_imports)]
use crate::Differentiable as _;
use nalgebra::{DMatrix, DVector};
use rand::{rngs::StdRng, Rng, SeedableRng};

fn random(rng: &mut StdRng, r: usize, c: usize) -> DMatrix<f64> {
    DMatrix::from_fn(r, c, |_, _| rng.random_range(-1.0..1.0))
}

/// Asserts that `pullback(Ḡ)` is the gradient of `x ↦ ⟨Ḡ, f(x)⟩` at `x`.
#[track_caller]
fn check<X: Dense<Scalar = f64>, Y: Dense<Scalar = f64>>(
    f: impl Fn(&X) -> Y,
    pullback: impl Fn(&Y, &mut Option<X>),
    x: &X,
    g: &Y,
    tol: f64,
) {
    let mut acc = None;
    pullback(g, &mut acc);
    let analytic = acc.unwrap_or_else(|| x.zeros_like());
    let inner = |x: &X| crate::dot(g, &f(x));
    let report = check_gradient(inner, x, &analytic);
    assert!(report.passes(tol), "{report}");
}

#[test]
fn exp_tangent_of_a_float_and_its_pullbacks() {
    let (x, d, g) = (0.7_f64, -1.3, 0.4);
    assert!((exp_tangent(&x, &d) - d * x.exp()).abs() < 1e-15);
    check(
        |x: &f64| exp_tangent(x, &d),
        |g, a| exp_tangent_pullback_lhs(g, &x, &d, a),
        &x,
        &g,
        1e-8,
    );
    check(
        |d: &f64| exp_tangent(&x, d),
        |g, a| exp_tangent_pullback_rhs(g, &x, &d, a),
        &d,
        &g,
        1e-8,
    );
}

#[test]
fn exp_tangent_of_a_matrix_is_the_derivative_of_exp() {
    let mut rng = StdRng::seed_from_u64(7);
    for n in [1, 2, 4] {
        let (a, e, g) = (
            random(&mut rng, n, n),
            random(&mut rng, n, n),
            random(&mut rng, n, n),
        );
        // d/dt exp(A + tE) at 0, by central differences.
        let h = 1e-5;
        let fd = ((&a + &e * h).exp() - (&a - &e * h).exp()) / (2.0 * h);
        let l = exp_tangent(&a, &e);
        assert!((&l - &fd).amax() < 1e-8 * fd.amax().max(1.0), "{l} {fd}");
        check(
            |a: &DMatrix<f64>| exp_tangent(a, &e),
            |g, acc| exp_tangent_pullback_lhs(g, &a, &e, acc),
            &a,
            &g,
            1e-7,
        );
        check(
            |e: &DMatrix<f64>| exp_tangent(&a, e),
            |g, acc| exp_tangent_pullback_rhs(g, &a, &e, acc),
            &e,
            &g,
            1e-7,
        );
    }
}

#[test]
fn masks_keep_their_triangle_and_are_their_own_adjoints() {
    let mut rng = StdRng::seed_from_u64(8);
    let x = random(&mut rng, 3, 3);
    assert_eq!(lower_triangle(&x), x.lower_triangle());
    assert_eq!(upper_triangle(&x), x.upper_triangle());
    let mut sl = x.lower_triangle();
    sl.fill_diagonal(0.0);
    assert_eq!(strictly_lower(&x), sl);
    let mut phi = x.lower_triangle();
    phi.set_diagonal(&(x.diagonal() * 0.5));
    assert_eq!(lower_halved(&x), phi);
    for (r, c) in [(3, 3), (4, 2), (2, 5)] {
        let (x, g) = (random(&mut rng, r, c), random(&mut rng, r, c));
        check(
            |x: &DMatrix<f64>| lower_triangle(x),
            |g, a| lower_triangle_pullback(g, &x, &x, a),
            &x,
            &g,
            1e-9,
        );
        check(
            |x: &DMatrix<f64>| upper_triangle(x),
            |g, a| upper_triangle_pullback(g, &x, &x, a),
            &x,
            &g,
            1e-9,
        );
        check(
            |x: &DMatrix<f64>| strictly_lower(x),
            |g, a| strictly_lower_pullback(g, &x, &x, a),
            &x,
            &g,
            1e-9,
        );
        check(
            |x: &DMatrix<f64>| lower_halved(x),
            |g, a| lower_halved_pullback(g, &x, &x, a),
            &x,
            &g,
            1e-9,
        );
    }
}

#[test]
fn leading_columns_of_tall_square_and_wide() {
    let mut rng = StdRng::seed_from_u64(9);
    for (r, c) in [(4, 2), (3, 3), (2, 5)] {
        let x = random(&mut rng, r, c);
        let y = leading_columns(&x);
        let k = r.min(c);
        assert_eq!(y, x.columns(0, k).into_owned());
        let g = random(&mut rng, r, k);
        check(
            |x: &DMatrix<f64>| leading_columns(x),
            |g, a| leading_columns_pullback(g, &x, &y, a),
            &x,
            &g,
            1e-9,
        );
    }
}

#[test]
fn qr_permute_is_the_pivoting_of_col_piv_qr() {
    let mut rng = StdRng::seed_from_u64(10);
    for (r, c) in [(4, 3), (3, 3), (2, 4)] {
        let a = random(&mut rng, r, c);
        let f = crate::col_piv_qr(&a);
        let q = crate::qr_q(&f);
        let rr = crate::qr_r(&f);
        assert!((qr_permute(&f, &a) - q * rr).amax() < 1e-12);
        let plain = crate::qr(&a);
        assert_eq!(qr_permute(&plain, &a), a);
        let (x, g) = (random(&mut rng, r, c), random(&mut rng, r, c));
        check(
            |x: &DMatrix<f64>| qr_permute(&f, x),
            |g, acc| qr_permute_pullback_rhs(g, &f, &x, acc),
            &x,
            &g,
            1e-9,
        );
        let mut none = None;
        qr_permute_pullback_lhs(&g, &f, &x, &mut none);
        assert!(none.is_none());
    }
}

#[test]
fn couplings_and_their_pullbacks() {
    let mut rng = StdRng::seed_from_u64(11);
    for n in [1, 3, 5] {
        let v = DVector::from_fn(n, |i, _| 0.5 + i as f64 + rng.random_range(0.0..0.3));
        let (m, g) = (random(&mut rng, n, n), random(&mut rng, n, n));
        let e = eigen_coupling(&v, &m);
        let s = svd_coupling(&v, &m);
        for j in 0..n {
            for i in 0..n {
                let (fe, fs) = if i == j {
                    (0.0, 0.0)
                } else {
                    (1.0 / (v[j] - v[i]), 1.0 / (v[j] * v[j] - v[i] * v[i]))
                };
                assert!((e[(i, j)] - fe * m[(i, j)]).abs() < 1e-14);
                assert!((s[(i, j)] - fs * m[(i, j)]).abs() < 1e-14);
            }
        }
        check(
            |v: &DVector<f64>| eigen_coupling(v, &m),
            |g, a| eigen_coupling_pullback_lhs(g, &v, &m, a),
            &v,
            &g,
            1e-7,
        );
        check(
            |m: &DMatrix<f64>| eigen_coupling(&v, m),
            |g, a| eigen_coupling_pullback_rhs(g, &v, &m, a),
            &m,
            &g,
            1e-8,
        );
        check(
            |v: &DVector<f64>| svd_coupling(v, &m),
            |g, a| svd_coupling_pullback_lhs(g, &v, &m, a),
            &v,
            &g,
            1e-7,
        );
        check(
            |m: &DMatrix<f64>| svd_coupling(&v, m),
            |g, a| svd_coupling_pullback_rhs(g, &v, &m, a),
            &m,
            &g,
            1e-8,
        );
    }
    // Tied values are not coupled.
    let v = DVector::from_vec(vec![1.0, 1.0, 2.0]);
    let c = eigen_coupling(&v, &DMatrix::from_element(3, 3, 1.0));
    assert_eq!((c[(0, 1)], c[(1, 0)]), (0.0, 0.0));
    assert_eq!(c[(0, 2)], 1.0);
}

#[test]
fn pseudo_recip_and_its_pullback() {
    let s = DVector::from_vec(vec![2.0, 0.5, 1e-20]);
    assert_eq!(pseudo_recip(&s), DVector::from_vec(vec![0.5, 2.0, 0.0]));
    let s = DVector::from_vec(vec![2.0, 0.5, 1.5]);
    let y = pseudo_recip(&s);
    let g = DVector::from_vec(vec![0.3, -1.0, 0.7]);
    check(
        |s: &DVector<f64>| pseudo_recip(s),
        |g, a| pseudo_recip_pullback(g, &s, &y, a),
        &s,
        &g,
        1e-8,
    );
}

#[test]
fn kept_singular_vectors_whatever_was_asked() {
    let mut rng = StdRng::seed_from_u64(12);
    for (r, c) in [(4, 3), (3, 3), (2, 4)] {
        let (a, k) = (random(&mut rng, r, c), r.min(c));
        let asked = crate::svd(&a, true, true);
        let unasked = crate::svd(&a, false, false);
        assert_eq!(svd_u_kept(&unasked), crate::svd_u(&asked));
        assert_eq!(svd_v_t_kept(&unasked), crate::svd_v_t(&asked));
        // The pullbacks are the gradients of ⟨Ḡ, U(A)⟩ and ⟨Ḡ, Vᵀ(A)⟩ (the decomposition's
        // cotangent is its matrix's).
        let (gu, gv) = (random(&mut rng, r, k), random(&mut rng, k, c));
        let (u, vt) = (svd_u_kept(&unasked), svd_v_t_kept(&unasked));
        let matrix = |f: Option<Decomposed<f64, nalgebra::Dyn, nalgebra::Dyn>>| {
            f.map(|f| f.matrix().clone())
        };
        check(
            |a: &DMatrix<f64>| svd_u_kept(&crate::svd(a, false, false)),
            |g, acc| {
                let mut f = None;
                svd_u_kept_pullback(g, &unasked, &u, &mut f);
                *acc = matrix(f);
            },
            &a,
            &gu,
            1e-6,
        );
        check(
            |a: &DMatrix<f64>| svd_v_t_kept(&crate::svd(a, false, false)),
            |g, acc| {
                let mut f = None;
                svd_v_t_kept_pullback(g, &unasked, &vt, &mut f);
                *acc = matrix(f);
            },
            &a,
            &gv,
            1e-6,
        );
    }
}
