//! Forward mode through the linear-algebra operations: for each, a function mixing every
//! entry of the operation's result with fixed weights, under `#[grad(x, forward)]`, on
//! several shapes, checked four ways:
//!
//! 1. `f_jvp(x, v)` against central differences of `f` along `v`;
//! 2. `f_jvp(x, v)` against `⟨f_grad(x), v⟩` (forward and reverse agree to rounding);
//! 3. `f_hvp(x, v)` against central differences of `f_grad` along `v`;
//! 4. `f_hessian(x)` symmetric (one size each).
//!
//! Inputs of the symmetric factorisations (`cholesky()`, `symmetric_eigen()`) are positive
//! definite, `A·Aᵀ + n·I`, and their directions symmetric.

mod common;

use common::{dmatrix, dvector, rng};
use matgrad::{grad, Dense};
use nalgebra::{DMatrix, DVector};
use rand::rngs::StdRng;

/// Relative tolerances of the four checks.
const JVP_FD_TOL: f64 = 1e-6;
const JVP_GRAD_TOL: f64 = 1e-10;
const HVP_FD_TOL: f64 = 1e-5;
const HESSIAN_SYM_TOL: f64 = 1e-8;

/// The worst relative error of each check over one test's cases.
#[derive(Default, Debug)]
struct Worst {
    jvp_fd: f64,
    jvp_grad: f64,
    hvp_fd: f64,
    hessian_sym: f64,
}

impl Worst {
    #[track_caller]
    fn assert(&self, what: &str) {
        println!("{what}: {self:?}");
        assert!(
            self.jvp_fd <= JVP_FD_TOL,
            "{what}: JVP against differences: {self:?}"
        );
        assert!(
            self.jvp_grad <= JVP_GRAD_TOL,
            "{what}: JVP against the gradient: {self:?}"
        );
        assert!(
            self.hvp_fd <= HVP_FD_TOL,
            "{what}: HVP against differences: {self:?}"
        );
        assert!(
            self.hessian_sym <= HESSIAN_SYM_TOL,
            "{what}: Hessian symmetry: {self:?}"
        );
    }
}

/// `|a − b|` relative to the larger of the two.
fn rel(a: f64, b: f64) -> f64 {
    let scale = a.abs().max(b.abs());
    if scale == 0.0 {
        0.0
    } else {
        (a - b).abs() / scale
    }
}

/// The largest entry-wise difference relative to the largest entry of either (or to
/// `floor`, if larger).
fn rel_entries(a: &[f64], b: &[f64], floor: f64) -> f64 {
    let scale = a.iter().chain(b).fold(floor, |m, v| m.max(v.abs()));
    let diff = a
        .iter()
        .zip(b)
        .fold(0.0_f64, |m, (x, y)| m.max((x - y).abs()));
    if scale == 0.0 {
        diff
    } else {
        diff / scale
    }
}

/// `x + t·v`.
fn along<X: Dense<Scalar = f64>>(x: &X, v: &X, t: f64) -> X {
    let mut y = x.clone();
    y.axpy(t, v);
    y
}

/// A function's Hessian at a point.
type Hessian<'a, X> = &'a dyn Fn(&X) -> DMatrix<f64>;

/// The four checks of one function at `x` along `v`, folded into `worst`.
#[allow(clippy::too_many_arguments)]
fn check<X: Dense<Scalar = f64>>(
    worst: &mut Worst,
    x: &X,
    v: &X,
    f: impl Fn(&X) -> f64,
    jvp: impl Fn(&X, &X) -> (f64, f64),
    grad: impl Fn(&X) -> (f64, X),
    hvp: impl Fn(&X, &X) -> (f64, X, X),
    hessian: Option<Hessian<X>>,
) {
    let h = 1e-6;
    let (value, tangent) = jvp(x, v);
    assert!(
        rel(value, f(x)) < 1e-12,
        "the JVP's value {value} is not f's {}",
        f(x)
    );
    let fd = (f(&along(x, v, h)) - f(&along(x, v, -h))) / (2.0 * h);
    worst.jvp_fd = worst.jvp_fd.max(rel(tangent, fd));
    let (_, g) = grad(x);
    let gv: f64 = g
        .entries()
        .iter()
        .zip(v.entries())
        .map(|(a, b)| a * b)
        .sum();
    worst.jvp_grad = worst.jvp_grad.max(rel(tangent, gv));
    let (_, g2, hv) = hvp(x, v);
    assert!(
        rel_entries(g2.entries(), g.entries(), 0.0) < 1e-10,
        "f_hvp's gradient is not f_grad's"
    );
    let (gp, gm) = (grad(&along(x, v, h)).1, grad(&along(x, v, -h)).1);
    let hv_fd: Vec<f64> = gp
        .entries()
        .iter()
        .zip(gm.entries())
        .map(|(p, m)| (p - m) / (2.0 * h))
        .collect();
    // Differences of the gradient round to about ε·‖g‖/h: relative to ‖g‖/1000 at least, so
    // a zero H·v (a linear f) is not compared with rounding alone.
    let floor = 1e-3 * g.entries().iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    worst.hvp_fd = worst.hvp_fd.max(rel_entries(hv.entries(), &hv_fd, floor));
    if let Some(hessian) = hessian {
        let hm = hessian(x);
        worst.hessian_sym =
            worst
                .hessian_sym
                .max(rel_entries(hm.as_slice(), hm.transpose().as_slice(), 0.0));
    }
}

/// [`check`] of the function `f(x, w)` of module `$m` (with its companions), at `x` along `v`
/// with the weights `w`; where `hessian` holds, its Hessian's symmetry too.
macro_rules! run {
    ($worst:expr, $m:ident, $x:expr, $w:expr, $v:expr, $hessian:expr) => {{
        let (x, w, v) = (&$x, &$w, &$v);
        let hessian = |x: &DMatrix<f64>| $m::f_hessian(x, w).2;
        check(
            &mut $worst,
            x,
            v,
            |x| $m::f(x, w),
            |x, v| $m::f_jvp(x, w, v),
            |x| {
                let (y, g) = $m::f_grad(x, w);
                (y, g.x)
            },
            |x, v| {
                let (y, g, hv) = $m::f_hvp(x, w, v);
                (y, g.x, hv.x)
            },
            $hessian.then_some(&hessian as Hessian<DMatrix<f64>>),
        )
    }};
}

/// `f(x: &DMatrix<f64>, w: &W<f64>) -> f64` in a module of its own, under
/// `#[grad(x, forward)]`. (The types are written here, not passed as `ty` fragments: the
/// macro does not see through the invisible group of a `ty` fragment.)
macro_rules! cases {
    ($( $m:ident($x:ident, $w:ident: $wt:ident) $body:block )*) => {$(
        mod $m {
            #[allow(unused_imports)]
            use super::*;
            #[grad(x, forward)]
            pub fn f($x: &DMatrix<f64>, $w: &$wt<f64>) -> f64 $body
        }
    )*};
}

cases! {
    exp_matrix(x, w: DMatrix) { x.exp().component_mul(w).sum() }
    det_plain(x, w: DMatrix) { x.determinant() * w[(0, 0)] }
    det_lu(x, w: DMatrix) {
        let lu = x.clone().lu();
        lu.determinant() * w[(0, 0)]
    }
    det_cholesky(x, w: DMatrix) {
        let c = x.clone().cholesky().unwrap();
        c.determinant() * w[(0, 0)]
    }
    det_col_piv(x, w: DMatrix) {
        let q = x.clone().col_piv_qr();
        q.determinant() * w[(0, 0)]
    }
    ln_det(x, w: DMatrix) {
        let c = x.clone().cholesky().unwrap();
        c.ln_determinant() * w[(0, 0)]
    }
    inverse_plain(x, w: DMatrix) {
        x.clone().try_inverse().unwrap().component_mul(w).sum()
    }
    inverse_lu(x, w: DMatrix) {
        let lu = x.clone().lu();
        lu.try_inverse().unwrap().component_mul(w).sum()
    }
    inverse_cholesky(x, w: DMatrix) {
        let c = x.clone().cholesky().unwrap();
        c.inverse().component_mul(w).sum()
    }
    inverse_qr(x, w: DMatrix) {
        let q = x.clone().qr();
        q.try_inverse().unwrap().component_mul(w).sum()
    }
    solve_cholesky(x, w: DMatrix) {
        let c = x.clone().cholesky().unwrap();
        0.5 * c.solve(w).norm_squared()
    }
    solve_cholesky_both(x, w: DMatrix) {
        let c = x.clone().cholesky().unwrap();
        let b = x * w;
        c.solve(&b).component_mul(w).sum() + c.solve(w).component_mul(w).sum()
    }
    solve_lu(x, w: DMatrix) {
        let lu = x.clone().lu();
        let b = x * w + w;
        lu.solve(&b).unwrap().component_mul(w).sum()
    }
    solve_qr(x, w: DMatrix) {
        let q = x.clone().qr();
        let b = x * w + w;
        q.solve(&b).unwrap().component_mul(w).sum()
    }
    solve_col_piv(x, w: DMatrix) {
        let q = x.clone().col_piv_qr();
        let b = x * w + w;
        q.solve(&b).unwrap().component_mul(w).sum()
    }
    solve_lower(x, w: DMatrix) {
        let y = x.solve_lower_triangular(&(x * w + w)).unwrap();
        y.component_mul(w).sum() + 0.5 * x.solve_lower_triangular(w).unwrap().norm_squared()
    }
    solve_upper(x, w: DMatrix) {
        let y = x.solve_upper_triangular(&(x * w + w)).unwrap();
        y.component_mul(w).sum() + 0.5 * x.solve_upper_triangular(w).unwrap().norm_squared()
    }
    tr_solve_lower(x, w: DMatrix) {
        let y = x.tr_solve_lower_triangular(&(x * w + w)).unwrap();
        y.component_mul(w).sum() + 0.5 * x.tr_solve_lower_triangular(w).unwrap().norm_squared()
    }
    tr_solve_upper(x, w: DMatrix) {
        let y = x.tr_solve_upper_triangular(&(x * w + w)).unwrap();
        y.component_mul(w).sum() + 0.5 * x.tr_solve_upper_triangular(w).unwrap().norm_squared()
    }
    cholesky_l(x, w: DMatrix) {
        let c = x.clone().cholesky().unwrap();
        c.l().component_mul(w).sum()
    }
    lu_l(x, w: DMatrix) {
        let lu = x.clone().lu();
        lu.l().component_mul(w).sum()
    }
    lu_u(x, w: DMatrix) {
        let lu = x.clone().lu();
        lu.u().component_mul(w).sum()
    }
    qr_q(x, w: DMatrix) {
        let q = x.clone().qr();
        q.q().component_mul(w).sum()
    }
    qr_r(x, w: DMatrix) {
        let q = x.clone().qr();
        q.r().component_mul(w).sum()
    }
    col_piv_q(x, w: DMatrix) {
        let q = x.clone().col_piv_qr();
        q.q().component_mul(w).sum()
    }
    col_piv_r(x, w: DMatrix) {
        let q = x.clone().col_piv_qr();
        q.r().component_mul(w).sum()
    }
    eigenvalues(x, w: DVector) {
        let e = x.clone().symmetric_eigen();
        e.eigenvalues.component_mul(w).sum()
    }
    // Σ wᵢⱼ·Vᵢⱼ²: invariant to the eigenvectors' signs.
    eigenvectors(x, w: DMatrix) {
        let e = x.clone().symmetric_eigen();
        let v = e.eigenvectors;
        v.component_mul(&v).component_mul(w).sum()
    }
    symmetric_eigenvalues(x, w: DVector) {
        x.symmetric_eigenvalues().component_mul(w).sum()
    }
    svd_values(x, w: DVector) {
        let s = x.clone().svd(true, true);
        s.singular_values.component_mul(w).sum()
    }
    // The vectors the rule reads, never asked for.
    svd_values_unasked(x, w: DVector) {
        let s = x.clone().svd(false, false);
        s.singular_values.component_mul(w).sum()
    }
    singular_values(x, w: DVector) {
        x.singular_values().component_mul(w).sum()
    }
    // Σ wᵢⱼ·Uᵢⱼ² and Σ wᵢⱼ·(Vᵀ)ᵢⱼ²: invariant to the singular vectors' signs.
    svd_u(x, w: DMatrix) {
        let s = x.clone().svd(true, true);
        let u = s.u.unwrap();
        u.component_mul(&u).component_mul(w).sum()
    }
    svd_v_t(x, w: DMatrix) {
        let s = x.clone().svd(true, true);
        let v_t = s.v_t.unwrap();
        v_t.component_mul(&v_t).component_mul(w).sum()
    }
}

mod exp_float {
    use super::*;

    #[grad(x, forward)]
    pub fn f(x: f64, w: f64) -> f64 {
        x.exp() * w + (x * w).exp()
    }
}

/// `A·Aᵀ + n·I`.
fn spd(r: &mut StdRng, n: usize) -> DMatrix<f64> {
    let a = dmatrix(r, n, n);
    &a * a.transpose() + DMatrix::identity(n, n) * n as f64
}

/// A symmetric direction.
fn symmetric(r: &mut StdRng, n: usize) -> DMatrix<f64> {
    let a = dmatrix(r, n, n);
    (&a + a.transpose()) * 0.5
}

/// A well-conditioned square matrix whose LU factorisation pivots: a diagonally dominant
/// matrix with its rows reversed.
fn pivoting(r: &mut StdRng, n: usize) -> DMatrix<f64> {
    let a = dmatrix(r, n, n) + DMatrix::identity(n, n) * (n as f64 + 1.0);
    DMatrix::from_fn(n, n, |i, j| a[(n - 1 - i, j)])
}

#[test]
fn exp() {
    let mut worst = Worst::default();
    for (x, w, v) in [(0.3, 1.7, 0.8), (-1.2, 0.4, -2.0), (2.0, -0.5, 1.0)] {
        let hessian = |x: &f64| exp_float::f_hessian(*x, w).2;
        check(
            &mut worst,
            &x,
            &v,
            |x| exp_float::f(*x, w),
            |x, v| exp_float::f_jvp(*x, w, v),
            |x| (exp_float::f(*x, w), exp_float::f_grad(*x, w).1.x),
            |x, v| {
                let (y, g, hv) = exp_float::f_hvp(*x, w, v);
                (y, g.x, hv.x)
            },
            Some(&hessian),
        );
    }
    let r = &mut rng(1);
    for n in [1, 2, 3, 5] {
        let (x, w, v) = (dmatrix(r, n, n) * 0.7, dmatrix(r, n, n), dmatrix(r, n, n));
        run!(worst, exp_matrix, x, w, v, n == 3);
    }
    worst.assert("exp");
}

#[test]
fn determinants() {
    let mut worst = Worst::default();
    let r = &mut rng(2);
    for n in [1, 2, 3, 5] {
        let w = dmatrix(r, 1, 1);
        let (x, v) = (pivoting(r, n), dmatrix(r, n, n));
        let (s, sv) = (spd(r, n), symmetric(r, n));
        let h = n == 3;
        run!(worst, det_plain, x, w, v, h);
        run!(worst, det_lu, x, w, v, h);
        run!(worst, det_col_piv, x, w, v, h);
        run!(worst, det_cholesky, s, w, sv, h);
        run!(worst, ln_det, s, w, sv, h);
    }
    worst.assert("determinants");
}

#[test]
fn inverses() {
    let mut worst = Worst::default();
    let r = &mut rng(3);
    for n in [1, 2, 3, 5] {
        let w = dmatrix(r, n, n);
        let (x, v) = (pivoting(r, n), dmatrix(r, n, n));
        let (s, sv) = (spd(r, n), symmetric(r, n));
        let h = n == 2;
        run!(worst, inverse_plain, x, w, v, h);
        run!(worst, inverse_lu, x, w, v, h);
        run!(worst, inverse_qr, x, w, v, h);
        run!(worst, inverse_cholesky, s, w, sv, h);
    }
    worst.assert("inverses");
}

#[test]
fn solves() {
    let mut worst = Worst::default();
    let r = &mut rng(4);
    for (n, k) in [(1, 2), (2, 1), (3, 3), (5, 2)] {
        let w = dmatrix(r, n, k);
        let (x, v) = (pivoting(r, n), dmatrix(r, n, n));
        let (s, sv) = (spd(r, n), symmetric(r, n));
        let h = n == 3;
        run!(worst, solve_lu, x, w, v, h);
        run!(worst, solve_qr, x, w, v, h);
        run!(worst, solve_col_piv, x, w, v, h);
        run!(worst, solve_cholesky, s, w, sv, h);
        run!(worst, solve_cholesky_both, s, w, sv, h);
    }
    worst.assert("solves");
}

#[test]
fn triangular_solves() {
    let mut worst = Worst::default();
    let r = &mut rng(5);
    for (n, k) in [(1, 1), (3, 2), (4, 1), (5, 3)] {
        let w = dmatrix(r, n, k);
        let x = dmatrix(r, n, n) + DMatrix::identity(n, n) * 2.0;
        let v = dmatrix(r, n, n);
        let h = n == 3;
        run!(worst, solve_lower, x, w, v, h);
        run!(worst, solve_upper, x, w, v, h);
        run!(worst, tr_solve_lower, x, w, v, h);
        run!(worst, tr_solve_upper, x, w, v, h);
    }
    worst.assert("triangular solves");
}

#[test]
fn cholesky_and_lu_factors() {
    let mut worst = Worst::default();
    let r = &mut rng(6);
    for n in [1, 2, 3, 5] {
        let w = dmatrix(r, n, n);
        let (x, v) = (pivoting(r, n), dmatrix(r, n, n));
        let (s, sv) = (spd(r, n), symmetric(r, n));
        let h = n == 3;
        run!(worst, cholesky_l, s, w, sv, h);
        run!(worst, lu_l, x, w, v, h);
        run!(worst, lu_u, x, w, v, h);
    }
    worst.assert("cholesky and lu factors");
}

#[test]
fn qr_factors() {
    let mut worst = Worst::default();
    let r = &mut rng(7);
    for (m, n) in [(4, 2), (3, 3), (2, 4), (5, 3), (3, 5)] {
        let k = m.min(n);
        let (x, v) = (dmatrix(r, m, n), dmatrix(r, m, n));
        let (wq, wr) = (dmatrix(r, m, k), dmatrix(r, k, n));
        let h = (m, n) == (3, 3) || (m, n) == (2, 4);
        run!(worst, qr_q, x, wq, v, h);
        run!(worst, qr_r, x, wr, v, h);
        run!(worst, col_piv_q, x, wq, v, h);
        run!(worst, col_piv_r, x, wr, v, h);
    }
    worst.assert("qr factors");
}

#[test]
fn symmetric_eigen() {
    let mut worst = Worst::default();
    let r = &mut rng(8);
    for n in [1, 2, 3, 5] {
        let (s, sv) = (spd(r, n), symmetric(r, n));
        let (wv, wm) = (dvector(r, n), dmatrix(r, n, n));
        let h = n == 3;
        run!(worst, eigenvalues, s, wv, sv, h);
        run!(worst, symmetric_eigenvalues, s, wv, sv, h);
        run!(worst, eigenvectors, s, wm, sv, h);
    }
    worst.assert("symmetric eigen");
}

#[test]
fn svd() {
    let mut worst = Worst::default();
    let r = &mut rng(9);
    for (m, n) in [(4, 3), (3, 3), (2, 4), (5, 2), (1, 3)] {
        let k = m.min(n);
        let (x, v) = (dmatrix(r, m, n), dmatrix(r, m, n));
        let (ws, wu, wv) = (dvector(r, k), dmatrix(r, m, k), dmatrix(r, k, n));
        let h = (m, n) == (4, 3) || (m, n) == (2, 4);
        run!(worst, svd_values, x, ws, v, h);
        run!(worst, svd_values_unasked, x, ws, v, h);
        run!(worst, singular_values, x, ws, v, h);
        run!(worst, svd_u, x, wu, v, h);
        run!(worst, svd_v_t, x, wv, v, h);
    }
    worst.assert("svd");
}

/// A constant factorisation or triangle with a differentiated right-hand side: the tangent
/// is the solve of the right-hand side's tangent.
#[grad(b, forward)]
fn solve_constant_matrix(s: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let c = s.clone().cholesky().unwrap();
    let y = c.solve(b);
    let z = s.solve_lower_triangular(&y).unwrap();
    let w = s.tr_solve_upper_triangular(&z).unwrap();
    w.norm_squared() + y.dot(b)
}

#[test]
fn solves_with_a_constant_matrix() {
    let n = 4;
    let a = DMatrix::from_fn(n, n, |i, j| ((i * 3 + j * 5) % 7) as f64 / 7.0 - 0.4);
    let s = &a * a.transpose() + DMatrix::identity(n, n) * (n as f64);
    let b = DVector::from_fn(n, |i, _| 0.3 * i as f64 - 0.5);
    let v = DVector::from_fn(n, |i, _| 0.2 - 0.15 * i as f64);
    let (y, t) = solve_constant_matrix_jvp(&s, &b, &v);
    let (y0, g) = solve_constant_matrix_grad(&s, &b);
    assert!((y - y0).abs() <= 1e-12 * y0.abs());
    assert!((t - g.b.dot(&v)).abs() <= 1e-12 * t.abs().max(1.0));
    let h = 1e-5;
    let up = solve_constant_matrix_grad(&s, &(&b + &v * h)).1.b;
    let down = solve_constant_matrix_grad(&s, &(&b - &v * h)).1.b;
    let fd = (up - down) / (2.0 * h);
    let (_, _, hv) = solve_constant_matrix_hvp(&s, &b, &v);
    assert!((&hv.b - &fd).norm() <= 1e-7 * fd.norm(), "{} {}", hv.b, fd);
}
