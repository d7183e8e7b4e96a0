//! Forward mode through the constructs around the operations: `map` and `zip_map` closures
//! (capturing constants and differentiated values), calls between `#[grad(.., forward)]`
//! functions (constant and `usize` arguments too), hand-written `#[jvp]` tangents,
//! `#[cfg]` statements. Each function's J·v is held to ⟨∇f, v⟩ from `_grad`, its H·v to
//! central differences of `_grad`'s gradient, its Hessian to symmetry.

use autodiff::{grad, jvp, vjp};
use nalgebra::{DMatrix, DVector};

/// Central differences of `grad` along `v` at step `h`.
fn fd(grad: impl Fn(f64) -> DVector<f64>, h: f64) -> DVector<f64> {
    (grad(h) - grad(-h)) / (2.0 * h)
}

fn close(a: &DVector<f64>, b: &DVector<f64>, tol: f64) -> bool {
    (a - b).norm() <= tol * b.norm().max(1.0)
}

fn data() -> (DVector<f64>, DVector<f64>) {
    (
        DVector::from_vec(vec![0.5, -1.0, 0.3, 0.8]),
        DVector::from_vec(vec![1.0, 2.0, -0.5, 0.25]),
    )
}

#[grad(x, forward)]
fn mapped(x: &DVector<f64>, c: f64) -> f64 {
    let m = x.max();
    let e = x.map(|v| (v - m).sin() * c);
    let z = x.zip_map(&e, |a, b| a * b + a.sin());
    z.sum() + e.norm_squared()
}

/// A `map` of a constant whose closure captures a differentiated scalar, and one of a
/// differentiated vector capturing it too.
#[grad(x, c, forward)]
fn captures(x: &DVector<f64>, c: f64, data: &DVector<f64>) -> f64 {
    let k = c * c;
    let e = x.map(|v| (v * k).sin());
    let d = data.map(|v| (v * c).cos() + k);
    e.sum() * d.sum()
}

#[test]
fn maps_and_zip_maps_with_their_captures() {
    let (x, v) = data();
    let (y, t) = mapped_jvp(&x, 0.7, &v);
    let (y0, g) = mapped_grad(&x, 0.7);
    assert_eq!(y, y0);
    assert!((t - g.x.dot(&v)).abs() < 1e-12);
    let (_, g2, hv) = mapped_hvp(&x, 0.7, &v);
    assert_eq!(g2, g);
    let expect = fd(|h| mapped_grad(&(&x + h * &v), 0.7).1.x, 1e-5);
    assert!(close(&hv.x, &expect, 1e-7), "{} {expect}", hv.x);

    let data = DVector::from_vec(vec![0.2, 0.9, -0.4]);
    let (_, t) = captures_jvp(&x, 0.6, &data, &v, &0.3);
    let (_, g) = captures_grad(&x, 0.6, &data);
    assert!((t - g.x.dot(&v) - 0.3 * g.c).abs() < 1e-12);
    let (_, _, h) = captures_hessian(&x, 0.6, &data);
    assert!((&h - h.transpose()).norm() < 1e-12 * h.norm());
    let dc = |s: f64| {
        let (_, g) = captures_grad(&x, 0.6 + s, &data);
        DVector::from_iterator(5, g.x.iter().copied().chain([g.c]))
    };
    let expect = fd(dc, 1e-5);
    assert!(
        close(&h.column(4).into_owned(), &expect, 1e-7),
        "{h} {expect}"
    );
}

#[grad(x, forward)]
fn inner(x: &DVector<f64>, k: usize) -> f64 {
    let s = x.map(|v| v.sin());
    s.norm_squared() * (k as f64)
}

#[grad(x, w, forward)]
fn outer(x: &DVector<f64>, w: &DMatrix<f64>) -> f64 {
    let z = w * x;
    let a = inner(&z, 2);
    let b = inner(x, 3);
    let c = inner(&DVector::from_element(2, 0.5), 1);
    a * b + c
}

#[test]
fn calls_go_through_the_callees_tangent() {
    let (x, v) = data();
    let w = DMatrix::from_fn(2, 4, |i, j| 0.2 * (i as f64) - 0.1 * (j as f64) + 0.3);
    let vw = DMatrix::from_fn(2, 4, |i, j| 0.1 * (i + j) as f64 - 0.2);
    let (y, t) = outer_jvp(&x, &w, &v, &vw);
    let (y0, g) = outer_grad(&x, &w);
    assert_eq!(y, y0);
    assert!((t - g.x.dot(&v) - g.w.dot(&vw)).abs() < 1e-12);
    let (_, _, hv) = outer_hvp(&x, &w, &v, &vw);
    let dx = fd(|h| outer_grad(&(&x + h * &v), &(&w + h * &vw)).1.x, 1e-5);
    assert!(close(&hv.x, &dx, 1e-7), "{} {dx}", hv.x);
    let gw = |h: f64| {
        let g = outer_grad(&(&x + h * &v), &(&w + h * &vw)).1.w;
        DVector::from_column_slice(g.as_slice())
    };
    let dw = fd(gw, 1e-5);
    assert!(close(
        &DVector::from_column_slice(hv.w.as_slice()),
        &dw,
        1e-7
    ));
}

/// ln(1 + eˣ), without overflow: a hand-written pullback and tangent.
#[vjp(log1p_exp_rule)]
#[jvp(log1p_exp_tangent)]
fn log1p_exp(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// x̄ = ḡ·σ(x).
fn log1p_exp_rule(x: &f64, _y: &f64, g: &f64) -> f64 {
    g * autodiff::sigmoid(x)
}

/// ẏ = σ(x)·ẋ, with its own pullback: x̄ = ḡ·σ(1 − σ)·ẋ, ẋ̄ = ḡ·σ.
#[vjp(log1p_exp_tangent_rule)]
fn log1p_exp_tangent(x: f64, dx: &f64) -> f64 {
    autodiff::sigmoid(&x) * dx
}

fn log1p_exp_tangent_rule(x: &f64, dx: &f64, _y: &f64, g: &f64) -> (f64, f64) {
    let s = autodiff::sigmoid(x);
    (g * s * (1.0 - s) * dx, g * s)
}

#[grad(x, forward)]
fn uses_rule(x: f64) -> f64 {
    log1p_exp(2.0 * x) * x
}

#[test]
fn a_hand_written_tangent_is_used_and_differentiated_again() {
    let (_, t) = uses_rule_jvp(0.3, &1.0);
    let (_, g) = uses_rule_grad(0.3);
    assert!((t - g.x).abs() < 1e-12);
    let (_, _, hv) = uses_rule_hvp(0.3, &1.0);
    // f = x·L(2x): f'' = 4σ(2x) + 4x·σ(2x)(1 − σ(2x)).
    let s = autodiff::sigmoid(&0.6);
    assert!((hv.x - (4.0 * s + 1.2 * s * (1.0 - s))).abs() < 1e-12);
    // Far out, where e^{2x} overflows, the rule stays finite.
    assert_eq!(uses_rule_jvp(500.0, &1.0).1, 2000.0);
}

#[grad(x, forward)]
fn with_cfg(x: &DVector<f64>) -> f64 {
    let mut s = x.norm_squared();
    #[cfg(test)]
    let t = s * 2.0;
    #[cfg(not(test))]
    let t = s * 3.0;
    #[cfg(test)]
    {
        s *= t;
    }
    #[cfg(any())]
    let u = s.sin();
    s + t
}

#[test]
fn cfg_statements_follow_the_configuration() {
    let (x, v) = data();
    let (_, t) = with_cfg_jvp(&x, &v);
    let (_, g) = with_cfg_grad(&x);
    assert!((t - g.x.dot(&v)).abs() < 1e-12 * t.abs());
    // s = ‖x‖², f = 2s² + 2s: ∇f = (8s + 4)x.
    let s = x.norm_squared();
    assert!(close(&g.x, &(&x * (8.0 * s + 4.0)), 1e-14));
    let (_, _, hv) = with_cfg_hvp(&x, &v);
    let expect = &v * (8.0 * s + 4.0) + &x * (16.0 * x.dot(&v));
    assert!(close(&hv.x, &expect, 1e-13));
}

#[grad(forward)]
fn scalar(x: f64, y: f64) -> f64 {
    let mut s = x.sin() * y;
    for _ in 0..3 {
        s = s * x + y.exp_m1();
    }
    if s > 0.0 {
        s.ln_1p()
    } else {
        s * s
    }
}

#[test]
fn the_jacobian_of_a_float_function_is_its_gradient_as_a_row() {
    let (_, j) = scalar_jacobian(0.3, 0.7);
    let (_, g) = scalar_grad(0.3, 0.7);
    assert_eq!(j.shape(), (1, 2));
    assert!((j[(0, 0)] - g.x).abs() < 1e-14 && (j[(0, 1)] - g.y).abs() < 1e-14);
}

/// A closure whose value reads nothing that varies: the map's tangent is zero (found by the
/// generator's `forward` family).
#[grad(x, forward)]
fn constant_closure(x: &DVector<f64>, c: f64) -> f64 {
    x.map(|_v| 0.5).sum() + x.map(|_v| c.exp()).sum() + x.zip_map(x, |_a, _b| 1.5).sum() + x.sum()
}

/// `column_variance()` of a static matrix: its tangent broadcasts by rows of the transpose.
#[grad(x, forward)]
fn static_column_variance(x: &nalgebra::SMatrix<f64, 2, 3>) -> f64 {
    x.column_variance().sum() + x.row_variance().sum()
}

#[test]
fn constant_closures_and_static_column_variances() {
    let (x, v) = data();
    let (_, t) = constant_closure_jvp(&x, 0.3, &v);
    assert!((t - v.sum()).abs() < 1e-14);
    let m = nalgebra::SMatrix::<f64, 2, 3>::new(0.3, -1.0, 0.5, 0.8, 0.1, -0.4);
    let dm = nalgebra::SMatrix::<f64, 2, 3>::new(1.0, 0.5, -0.3, 0.2, -0.7, 0.4);
    let (_, t) = static_column_variance_jvp(&m, &dm);
    let (_, g) = static_column_variance_grad(&m);
    assert!((t - g.x.dot(&dm)).abs() < 1e-14);
}
