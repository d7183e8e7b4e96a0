//! `#[grad]` on functions generic over the float type (`T: RealField`), used at `f64`
//! (checked by central finite differences) and at `f32` (agreeing with the `f64` gradient to
//! about 1e-4 relative), and on concrete `f32` functions, checked the same way against their
//! `f64` twins.

mod common;

use common::*;
use matgrad::{check_gradient, grad, Dense};
use nalgebra::{DMatrix, DVector, RealField, SMatrix, SVector};

/// `m×n` shapes: a scalar-like one, tall, wide, square.
const SHAPES: &[(usize, usize)] = &[(1, 1), (3, 2), (2, 5), (4, 4)];

/// How far an `f32` gradient may be from central finite differences taken in `f32`: those
/// differences are only good to about 1e-3 (the step is ε^⅓ ≈ 5e-3).
const F32_FD_TOL: f32 = 1e-2;

/// `x` narrowed to `f32`, entry by entry.
fn narrow<X, Y>(x: &X, like: Y) -> Y
where
    X: Dense<Scalar = f64>,
    Y: Dense<Scalar = f32>,
{
    let mut y = like;
    for i in 0..x.len() {
        *y.entry_mut(i) = x.entry(i) as f32;
    }
    y
}

fn narrow_matrix(x: &DMatrix<f64>) -> DMatrix<f32> {
    x.map(|v| v as f32)
}

fn narrow_vector(x: &DVector<f64>) -> DVector<f32> {
    x.map(|v| v as f32)
}

/// Asserts that an `f32` value agrees with the `f64` value to [`F32_TOL`] relative.
#[track_caller]
fn assert_value_f32(what: &str, narrow: f32, wide: f64) {
    let err = (f64::from(narrow) - wide).abs() / wide.abs().max(1.0);
    assert!(
        err <= F32_TOL,
        "{what}: the value is {narrow} in f32 but {wide} in f64"
    );
}

/// Asserts that an `f32` gradient agrees with finite differences taken in `f32`.
#[track_caller]
fn assert_fd_f32<X, F>(what: &str, f: F, x: &X, analytic: &X)
where
    X: Dense<Scalar = f32>,
    F: FnMut(&X) -> f32,
{
    let report = check_gradient(f, x, analytic);
    assert!(
        report.rel_error < F32_FD_TOL,
        "{what}: the f32 gradient disagrees with f32 finite differences: {report}"
    );
}

// ===================================================================== generic functions

/// Constants written with `T::from_f64(..).unwrap()` and `T::one()`; `T` is not `Copy`
/// here, so the body clones where it reuses a value.
#[grad]
fn model<T: RealField>(a: &DMatrix<T>, x: &DVector<T>) -> T {
    let two = T::from_f64(2.0).unwrap();
    let half = T::from_f64(0.5).unwrap();
    let r = a * x;
    let q = r.norm_squared() + T::one();
    let s = (x.dot(x) * half).exp();
    q.clone().sqrt() * two + s - q.ln() + r.sum().powi(3)
}

/// `#[grad]` on the generic `model`, at `f64` (finite differences) and at `f32` (agreeing
/// with `f64`).
#[test]
fn generic_model_at_f64_and_f32() {
    let mut rng = rng(1);
    for &(m, n) in SHAPES {
        let (a, x) = (dmatrix(&mut rng, m, n), dvector(&mut rng, n));
        let at = format!("{m}×{n}");
        let (v, g) = model_grad::<f64>(&a, &x);
        assert_value(&at, v, model(&a, &x));
        assert_fd(&at, |a| model(a, &x), &a, &g.a);
        assert_fd(&at, |x| model(&a, x), &x, &g.x);

        let (a32, x32) = (narrow_matrix(&a), narrow_vector(&x));
        let (v32, g32): (f32, ModelGrad<f32>) = model_grad(&a32, &x32);
        assert_value_f32(&at, v32, v);
        assert_f32_agrees(&format!("∇_A at {at}"), &g32.a, &g.a);
        assert_f32_agrees(&format!("∇_x at {at}"), &g32.x, &g.x);
        assert_fd_f32(&at, |a| model(a, &x32), &a32, &g32.a);
        assert_fd_f32(&at, |x| model(&a32, x), &x32, &g32.x);
    }
}

/// Ridge regression: the bound in a `where` clause, `T: Copy`, constants by
/// `nalgebra::convert`, a non-differentiated `f64` and non-differentiated `DMatrix<T>`,
/// `DVector<T>`.
#[grad(w, b)]
fn ridge<T>(w: &DVector<T>, b: &DVector<T>, x: &DMatrix<T>, y: &DVector<T>, lambda: f64) -> T
where
    T: RealField + Copy,
{
    let l: T = nalgebra::convert(lambda);
    let n: T = nalgebra::convert(y.len() as f64);
    let r = x * w + b - y;
    r.norm_squared() / n + (w.norm_squared() + b.dot(b)) * l
}

/// `#[grad]` on the generic `ridge`, at `f64` and at `f32`.
#[test]
fn generic_ridge_at_f64_and_f32() {
    let mut rng = rng(2);
    // x is m×n: m samples of n features; w has n weights, b one offset per sample.
    for &(m, n) in SHAPES {
        let (w, b) = (dvector(&mut rng, n), dvector(&mut rng, m));
        let (x, y) = (dmatrix(&mut rng, m, n), dvector(&mut rng, m));
        let lambda = 0.3;
        let at = format!("{m}×{n}");
        let (v, g) = ridge_grad(&w, &b, &x, &y, lambda);
        assert_value(&at, v, ridge(&w, &b, &x, &y, lambda));
        assert_fd(&at, |w| ridge(w, &b, &x, &y, lambda), &w, &g.w);
        assert_fd(&at, |b| ridge(&w, b, &x, &y, lambda), &b, &g.b);
        // Only w and b are differentiated: the destructuring is exhaustive.
        let RidgeGrad { w: gw, b: gb } = g;

        let (w32, b32, x32, y32) = (
            narrow_vector(&w),
            narrow_vector(&b),
            narrow_matrix(&x),
            narrow_vector(&y),
        );
        let (v32, g32) = ridge_grad(&w32, &b32, &x32, &y32, lambda);
        assert_value_f32(&at, v32, v);
        assert_f32_agrees(&format!("∇_w at {at}"), &g32.w, &gw);
        assert_f32_agrees(&format!("∇_b at {at}"), &g32.b, &gb);
        assert_fd_f32(&at, |w| ridge(w, &b32, &x32, &y32, lambda), &w32, &g32.w);
    }
}

/// Generic over `T` with statically sized parameters, a generic scalar parameter, and a
/// second type parameter that is a constant.
#[grad(a, x, s)]
fn generic_static<T: RealField + Copy, L: AsRef<str>>(
    a: &SMatrix<T, 3, 2>,
    x: &SVector<T, 2>,
    s: T,
    label: L,
) -> T {
    let weight: T = nalgebra::convert(label.as_ref().len() as f64);
    let y = a * x * s;
    let inv = (a.transpose() * a).try_inverse().unwrap();
    y.norm_squared() * weight + (inv * x).sum() + s * s
}

/// `#[grad]` on `generic_static` at `f64` and `f32`.
#[test]
fn generic_static_at_f64_and_f32() {
    let mut rng = rng(3);
    for _ in 0..3 {
        let (a, x, s) = (
            smatrix::<3, 2>(&mut rng) + SMatrix::<f64, 3, 2>::identity(),
            svector::<2>(&mut rng),
            uniform(&mut rng),
        );
        let (v, g) = generic_static_grad(&a, &x, s, "four");
        assert_value("f64", v, generic_static(&a, &x, s, "four"));
        assert_fd("∇_A", |a| generic_static(a, &x, s, "four"), &a, &g.a);
        assert_fd("∇_x", |x| generic_static(&a, x, s, "four"), &x, &g.x);
        assert_fd("∇_s", |s| generic_static(&a, &x, *s, "four"), &s, &g.s);

        let (a32, x32, s32): (SMatrix<f32, 3, 2>, SVector<f32, 2>, f32) = (
            narrow(&a, SMatrix::zeros()),
            narrow(&x, SVector::zeros()),
            s as f32,
        );
        let (v32, g32) = generic_static_grad(&a32, &x32, s32, String::from("four"));
        assert_value_f32("f32", v32, v);
        assert_f32_agrees("∇_A", &g32.a, &g.a);
        assert_f32_agrees("∇_x", &g32.x, &g.x);
        assert_f32_agrees("∇_s", &g32.s, &g.s);
    }
}

// ================================================================ concrete f32 functions

/// A least-squares loss with a norm penalty, written for `f32` ...
#[grad]
fn penalised_f32(a: &DMatrix<f32>, x: &DVector<f32>, b: &DVector<f32>, s: f32) -> f32 {
    let r = a * x - b;
    let y = 2.0 * r.clone() / 3.0 + r * s;
    y.norm_squared() + 0.5 * x.norm() + (s * 2.0).exp() - (s * s + 1.0).ln()
}

/// ... and the same body for `f64`.
#[grad]
fn penalised_f64(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>, s: f64) -> f64 {
    let r = a * x - b;
    let y = 2.0 * r.clone() / 3.0 + r * s;
    y.norm_squared() + 0.5 * x.norm() + (s * 2.0).exp() - (s * s + 1.0).ln()
}

/// Concrete `f32` functions with float literals on both sides: the `f64` twin is checked by
/// finite differences, the `f32` one against it (and loosely against `f32` differences).
#[test]
fn concrete_f32_matches_f64_twin() {
    let mut rng = rng(4);
    for &(m, n) in SHAPES {
        let (a, x, b, s) = (
            dmatrix(&mut rng, m, n),
            dvector(&mut rng, n),
            dvector(&mut rng, m),
            uniform(&mut rng),
        );
        let at = format!("{m}×{n}");
        let (v, g) = penalised_f64_grad(&a, &x, &b, s);
        assert_value(&at, v, penalised_f64(&a, &x, &b, s));
        assert_fd(&at, |a| penalised_f64(a, &x, &b, s), &a, &g.a);
        assert_fd(&at, |x| penalised_f64(&a, x, &b, s), &x, &g.x);
        assert_fd(&at, |b| penalised_f64(&a, &x, b, s), &b, &g.b);
        assert_fd(&at, |s| penalised_f64(&a, &x, &b, *s), &s, &g.s);

        let (a32, x32, b32, s32) = (
            narrow_matrix(&a),
            narrow_vector(&x),
            narrow_vector(&b),
            s as f32,
        );
        let (v32, g32) = penalised_f32_grad(&a32, &x32, &b32, s32);
        assert_value_f32(&at, v32, v);
        let original = penalised_f32(&a32, &x32, &b32, s32);
        assert!(
            (v32 - original).abs() <= 1e-5 * original.abs().max(1.0),
            "{at}: the generated value {v32} is not the original's {original}"
        );
        assert_f32_agrees(&format!("∇_A at {at}"), &g32.a, &g.a);
        assert_f32_agrees(&format!("∇_x at {at}"), &g32.x, &g.x);
        assert_f32_agrees(&format!("∇_b at {at}"), &g32.b, &g.b);
        assert_f32_agrees(&format!("∇_s at {at}"), &g32.s, &g.s);
        assert_fd_f32(&at, |x| penalised_f32(&a32, x, &b32, s32), &x32, &g32.x);
    }
}

/// Determinant, inverse, trace and indexing in `f32` (X is diagonally dominant with a
/// positive diagonal, so |X| > 0) ...
#[grad]
fn linalg_f32(x: &DMatrix<f32>, v: &DVector<f32>) -> f32 {
    let inv = x.clone().try_inverse().unwrap();
    let d = x.determinant();
    d.ln() * d.powi(-1) * 10.0 + (inv * v).dot(v) + x.trace() * x[(0, 0)] + x.tr_mul(x).sum()
}

/// ... and in `f64`.
#[grad]
fn linalg_f64(x: &DMatrix<f64>, v: &DVector<f64>) -> f64 {
    let inv = x.clone().try_inverse().unwrap();
    let d = x.determinant();
    d.ln() * d.powi(-1) * 10.0 + (inv * v).dot(v) + x.trace() * x[(0, 0)] + x.tr_mul(x).sum()
}

/// `f32` linear algebra (determinant, inverse, trace, indexing) against its `f64` twin.
#[test]
fn concrete_f32_linear_algebra_matches_f64_twin() {
    let mut rng = rng(5);
    for n in [1, 2, 3, 5] {
        let (x, v) = (well_conditioned(&mut rng, n), dvector(&mut rng, n));
        let at = format!("{n}×{n}");
        let (value, g) = linalg_f64_grad(&x, &v);
        assert_value(&at, value, linalg_f64(&x, &v));
        assert_fd(&at, |x| linalg_f64(x, &v), &x, &g.x);
        assert_fd(&at, |v| linalg_f64(&x, v), &v, &g.v);

        let (x32, v32) = (narrow_matrix(&x), narrow_vector(&v));
        let (value32, g32) = linalg_f32_grad(&x32, &v32);
        assert_value_f32(&at, value32, value);
        assert_value_f32(&at, linalg_f32(&x32, &v32), value);
        assert_f32_agrees(&format!("∇_X at {at}"), &g32.x, &g.x);
        assert_f32_agrees(&format!("∇_v at {at}"), &g32.v, &g.v);
    }
}

/// A const-generic function: the gradient struct carries `const N: usize`.
#[grad]
fn const_generic_norm<const N: usize>(x: &SVector<f64, N>, w: f64) -> f64 {
    x.norm_squared() * w
}

#[test]
fn const_generic_parameters() {
    let x = SVector::<f64, 3>::new(1.0, -2.0, 0.5);
    let (_, grad) = const_generic_norm_grad(&x, 1.5);
    let report = check_gradient(|x| const_generic_norm(x, 1.5), &x, &grad.x);
    assert!(report.rel_error < 1e-8, "{report}");
    assert!((grad.w - x.norm_squared()).abs() < 1e-12);
}
