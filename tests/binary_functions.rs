//! `.powf(p)` and `.hypot(b)` of two floats (also `f64::powf(x, p)`, `f64::hypot(a, b)`), and
//! `.scale(a)` and `.add_scalar(a)` of a matrix and a float: the value against the original
//! function, the gradient against finite differences and against JAX (`jax.grad` in float64,
//! generated offline by `tests/data/binary_functions_jax.py` into
//! `tests/data/binary_functions_jax.json`), and the documented values where the derivative
//! does not exist.

mod common;

use common::*;
use matgrad::grad;
use nalgebra::DMatrix;

#[grad]
fn powf_of(x: f64, p: f64) -> f64 {
    x.powf(p)
}

#[grad]
fn hypot_of(a: f64, b: f64) -> f64 {
    f64::hypot(a, b)
}

/// Σ W ⊙ (M·a), as the JAX script defines it.
#[grad(m, a)]
fn scaled(m: &DMatrix<f64>, a: f64, w: &DMatrix<f64>) -> f64 {
    m.scale(a).component_mul(w).sum()
}

/// Σ W ⊙ tanh(M + a), as the JAX script defines it.
#[grad(m, a)]
fn shifted(m: &DMatrix<f64>, a: f64, w: &DMatrix<f64>) -> f64 {
    matgrad::tanh(&m.add_scalar(a)).component_mul(w).sum()
}

/// All four together, in both spellings where there are two.
#[grad]
fn composed(m: &DMatrix<f64>, x: f64, y: f64) -> f64 {
    let p = x * x + 0.5;
    let s = m.scale(y).add_scalar(x).norm_squared();
    f64::powf(p, y) + p.powf(0.3) * s + x.hypot(y) - f64::hypot(s, p)
}

/// `|a − b| ≤ 1e-13·|b| + 1e-15` (JAX's derivatives are within a few ulps).
#[track_caller]
fn close(what: &str, a: f64, b: f64) {
    assert!(
        (a - b).abs() <= 1e-13 * b.abs() + 1e-15,
        "{what}: {a}, JAX says {b}"
    );
}

#[test]
fn powf_and_hypot_match_jax() {
    let data = reference_data("binary_functions_jax");
    for row in data["powf"].as_array().expect("powf") {
        let [x, p, value, dx, dp] = [0, 1, 2, 3, 4].map(|k| json_number(&row[k]));
        let (v, g) = powf_of_grad(x, p);
        assert_eq!(v, powf_of(x, p));
        close(&format!("powf({x}, {p})"), v, value);
        close(&format!("∂x powf({x}, {p})"), g.x, dx);
        close(&format!("∂p powf({x}, {p})"), g.p, dp);
    }
    for row in data["hypot"].as_array().expect("hypot") {
        let [a, b, value, da, db] = [0, 1, 2, 3, 4].map(|k| json_number(&row[k]));
        let (v, g) = hypot_of_grad(a, b);
        assert_eq!(v, hypot_of(a, b));
        close(&format!("hypot({a}, {b})"), v, value);
        if a == 0.0 && b == 0.0 {
            // No derivative at the origin: ours is 0, the least-norm subgradient, as for
            // `.norm()`; JAX's implementation happens to give (0.5, 0.5).
            assert_eq!((g.a, g.b), (0.0, 0.0));
            assert_eq!((da, db), (0.5, 0.5), "JAX's value at the origin changed");
            continue;
        }
        close(&format!("∂a hypot({a}, {b})"), g.a, da);
        close(&format!("∂b hypot({a}, {b})"), g.b, db);
    }
}

#[test]
fn scale_and_add_scalar_match_jax() {
    let data = reference_data("binary_functions_jax");
    type Grad = fn(&DMatrix<f64>, f64, &DMatrix<f64>) -> (f64, DMatrix<f64>, f64);
    let cases: [(&str, Grad); 2] = [
        ("scale", |m, a, w| {
            let (v, g) = scaled_grad(m, a, w);
            (v, g.m, g.a)
        }),
        ("add_scalar", |m, a, w| {
            let (v, g) = shifted_grad(m, a, w);
            (v, g.m, g.a)
        }),
    ];
    for (name, f_grad) in cases {
        for case in data[name].as_array().expect(name) {
            let (m, a, w) = (
                json_matrix(&case["m"]),
                json_number(&case["a"]),
                json_matrix(&case["w"]),
            );
            let (v, g_m, g_a) = f_grad(&m, a, &w);
            close(&format!("{name} value"), v, json_number(&case["value"]));
            let expected = json_matrix(&case["grad_m"]);
            for (got, want) in g_m.iter().zip(expected.iter()) {
                close(
                    &format!("{name} ∂M ({}×{})", m.nrows(), m.ncols()),
                    *got,
                    *want,
                );
            }
            close(&format!("{name} ∂a"), g_a, json_number(&case["grad_a"]));
        }
    }
}

#[test]
fn composed_matches_finite_differences() {
    let mut rng = rng(404);
    for (r, c) in [(1, 1), (2, 3), (4, 4)] {
        let (m, x, y) = (
            dmatrix(&mut rng, r, c),
            uniform(&mut rng),
            uniform(&mut rng),
        );
        let (v, g) = composed_grad(&m, x, y);
        assert_value("composed", v, composed(&m, x, y));
        assert_fd(
            "composed ∂m",
            |m: &DMatrix<f64>| composed(m, x, y),
            &m,
            &g.m,
        );
        assert_fd("composed ∂x", |x: &f64| composed(&m, *x, y), &x, &g.x);
        assert_fd("composed ∂y", |y: &f64| composed(&m, x, *y), &y, &g.y);
    }
}

#[test]
fn powf_at_zero_is_jax_s_convention() {
    // ∂p of xᵖ at x = 0 takes ln 0 as 0 (0ᵖ stays 0 for p > 0); ∂x is p·0ᵖ⁻¹.
    assert_eq!(powf_of_grad(0.0, 2.0).1, PowfOfGrad { x: 0.0, p: 0.0 });
    assert_eq!(powf_of_grad(0.0, 0.5).1.x, f64::INFINITY);
    // p = 0: y = 1 whatever x, so ∂x is 0 (also at x = 0, where p·xᵖ⁻¹ would be 0·∞).
    assert_eq!(powf_of_grad(0.0, 0.0).1.x, 0.0);
}
