//! Forward mode through the constructs around the operations: `map` and `zip_map` closures
//! (capturing constants and differentiated values), calls between `#[grad(.., forward)]`
//! functions (constant and `usize` arguments too), hand-written `#[jvp]` tangents,
//! `#[cfg]` statements. Each function's J·v is held to ⟨∇f, v⟩ from `_grad`, its H·v to
//! central differences of `_grad`'s gradient, its Hessian to symmetry.

// `#[cfg(all())]`: a statement configured in, written as the tests need it.
#![allow(clippy::non_minimal_cfg)]

use matgrad::{grad, jvp, vjp};
use nalgebra::{DMatrix, DVector, SMatrix};

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
    g * matgrad::sigmoid(x)
}

/// ẏ = σ(x)·ẋ, with its own pullback: x̄ = ḡ·σ(1 − σ)·ẋ, ẋ̄ = ḡ·σ.
#[vjp(log1p_exp_tangent_rule)]
fn log1p_exp_tangent(x: f64, dx: &f64) -> f64 {
    matgrad::sigmoid(&x) * dx
}

fn log1p_exp_tangent_rule(x: &f64, dx: &f64, _y: &f64, g: &f64) -> (f64, f64) {
    let s = matgrad::sigmoid(x);
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
    let s = matgrad::sigmoid(&0.6);
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

/// The reverse sweep of `_hvp` reads `y` as the quotient left it, before the loop under
/// `#[cfg]`: the loop's result must not take its binding's name (found by the difftest).
#[grad(a, forward)]
fn quotient_then_cfg_loop(a: f64, n: usize) -> f64 {
    let mut y = a;
    y = y / (y + 2.0);
    #[cfg(all())]
    for _t in 0..n {
        y *= 0.8;
    }
    y
}

#[test]
fn a_cfg_loop_after_a_quotient_keeps_the_quotient_for_the_hvp() {
    let (a, n) = (0.15, 2);
    // f = 0.64·a/(a + 2): f′ = 1.28/(a + 2)², f″ = −2.56/(a + 2)³.
    let (d1, d2) = (1.28 / (a + 2.0f64).powi(2), -2.56 / (a + 2.0f64).powi(3));
    let (_, g) = quotient_then_cfg_loop_grad(a, n);
    let (_, g2, hv) = quotient_then_cfg_loop_hvp(a, n, &1.5);
    assert!((g.a - d1).abs() < 1e-14, "{} vs {d1}", g.a);
    assert!((g2.a - d1).abs() < 1e-14, "{} vs {d1}", g2.a);
    assert!((hv.a - 1.5 * d2).abs() < 1e-14, "{} vs {}", hv.a, 1.5 * d2);
    let (_, t) = quotient_then_cfg_loop_jvp(a, n, &1.5);
    assert!((t - 1.5 * d1).abs() < 1e-14);
}

/// A `map` of constant closure over a mapped value: the tangent program's map of the
/// closure's derivative is computed though nothing reads it (found by the difftest).
#[grad(x, forward)]
fn constant_map_of_a_map(x: &DVector<f64>) -> f64 {
    (x + x.map(|v| v * v)).map(|_v| 0.5).sum() + x.map(|v| v.sin()).sum()
}

/// A mapped value cloned in both arms of a branch.
#[grad(x, forward)]
fn clones_of_a_map_in_both_arms(x: &DVector<f64>, c: f64) -> f64 {
    let m = x.map(|v| v * v);
    let y = if c > 0.0 { m.clone() } else { m.clone() * 2.0 };
    y.sum()
}

#[test]
fn maps_whose_derivative_maps_nothing_reads() {
    let (x, v) = data();
    // ∇ = cos x; H·v = −sin x ⊙ v.
    let (_, g) = constant_map_of_a_map_grad(&x);
    assert!(close(&g.x, &x.map(f64::cos), 1e-15));
    let (_, t) = constant_map_of_a_map_jvp(&x, &v);
    assert!((t - x.map(f64::cos).dot(&v)).abs() < 1e-14);
    let (_, _, hv) = constant_map_of_a_map_hvp(&x, &v);
    assert!(close(&hv.x, &(-x.map(f64::sin)).component_mul(&v), 1e-14));
    for (c, k) in [(1.0, 2.0), (-1.0, 4.0)] {
        // ∇ = k·x; H·v = k·v.
        let (_, g) = clones_of_a_map_in_both_arms_grad(&x, c);
        assert!(close(&g.x, &(&x * k), 1e-15));
        let (_, t) = clones_of_a_map_in_both_arms_jvp(&x, c, &v);
        assert!((t - k * x.dot(&v)).abs() < 1e-14);
        let (_, _, hv) = clones_of_a_map_in_both_arms_hvp(&x, c, &v);
        assert!(close(&hv.x, &(&v * k), 1e-14));
    }
}

/// Two `#[cfg]` `let`s of another type shadowing a constant parameter, the first configured
/// out: the cotangent its configured-out arm drops has no other use to fix its type (E0282
/// before; found by the difftest).
#[grad(x, forward)]
fn cfg_lets_shadowing_a_constant(x: f64, _eps: f64) -> f64 {
    #[cfg(any())]
    let _eps = SMatrix::<f64, 2, 2>::from_element(1.0).map(|v| v * x) * 100.0;
    #[cfg(all())]
    let _eps = (SMatrix::<f64, 2, 2>::from_element(1.0) * x).map(|v| 1.5 / (v * v + 0.5));
    _eps.sum()
}

#[test]
fn cfg_lets_of_another_type_shadowing_a_constant() {
    let x = 0.7;
    // f = 4·1.5/(x² + 0.5): f′ = −12x/(x² + 0.5)², f″ = (36x² − 6)/(x² + 0.5)³.
    let q = x * x + 0.5;
    let (d1, d2) = (-12.0 * x / (q * q), (36.0 * x * x - 6.0) / (q * q * q));
    let (_, g) = cfg_lets_shadowing_a_constant_grad(x, 1.0);
    assert!((g.x - d1).abs() < 1e-13 * d1.abs(), "{} vs {d1}", g.x);
    let (_, _, hv) = cfg_lets_shadowing_a_constant_hvp(x, 1.0, &1.0);
    assert!((hv.x - d2).abs() < 1e-12 * d2.abs(), "{} vs {d2}", hv.x);
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
