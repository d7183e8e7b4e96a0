//! `.ln_1p()`, `.exp_m1()`, `.log2()`, `.log10()`, `.sinh()`, `.cosh()`, `.atan()`, `.recip()`
//! and `.cbrt()` (and their `f64::name(x)` forms): the value against the original function,
//! the gradient against finite differences and against JAX (`jax.grad` of `jax.numpy`'s
//! functions in float64, generated offline by `tests/data/scalar_functions_jax.py` into
//! `tests/data/scalar_functions_jax.json`), inside `.map` closures too.

mod common;

use common::*;
use matgrad::grad;
use nalgebra::DMatrix;

/// One `#[grad]` function per scalar function, `x ↦ f(x)`, so that each is checked alone.
macro_rules! single {
    ($($name:ident: $f:ident;)*) => {$(
        #[grad]
        fn $name(x: f64) -> f64 {
            x.$f()
        }
    )*};
}

single! {
    ln_1p_of: ln_1p;
    exp_m1_of: exp_m1;
    log2_of: log2;
    log10_of: log10;
    sinh_of: sinh;
    cosh_of: cosh;
    atan_of: atan;
    recip_of: recip;
    cbrt_of: cbrt;
}

/// `(name, f, f_grad)` of each single function.
type Single = (&'static str, fn(f64) -> f64, fn(f64) -> (f64, f64));

fn singles() -> Vec<Single> {
    macro_rules! entry {
        ($name:literal, $f:ident, $g:ident) => {
            (
                $name,
                $f as fn(f64) -> f64,
                (|x| {
                    let (v, g) = $g(x);
                    (v, g.x)
                }) as fn(f64) -> (f64, f64),
            )
        };
    }
    vec![
        entry!("ln_1p", ln_1p_of, ln_1p_of_grad),
        entry!("exp_m1", exp_m1_of, exp_m1_of_grad),
        entry!("log2", log2_of, log2_of_grad),
        entry!("log10", log10_of, log10_of_grad),
        entry!("sinh", sinh_of, sinh_of_grad),
        entry!("cosh", cosh_of, cosh_of_grad),
        entry!("atan", atan_of, atan_of_grad),
        entry!("recip", recip_of, recip_of_grad),
        entry!("cbrt", cbrt_of, cbrt_of_grad),
    ]
}

/// All nine in one function, in both spellings, composed with each other.
#[grad]
fn composed(x: f64, y: f64) -> f64 {
    let p = x * x + 0.5;
    p.ln_1p() * y.exp_m1() + f64::log2(p) - p.log10() * y.sinh()
        + f64::cosh(y) * x.atan()
        + p.recip() * y
        + f64::cbrt(p + y * y)
}

#[test]
fn composed_matches_finite_differences() {
    let mut rng = rng(303);
    for _ in 0..5 {
        let (x, y) = (uniform(&mut rng), uniform(&mut rng));
        let (v, g) = composed_grad(x, y);
        assert_value("composed", v, composed(x, y));
        assert_fd("composed ∂x", |x: &f64| composed(*x, y), &x, &g.x);
        assert_fd("composed ∂y", |y: &f64| composed(x, *y), &y, &g.y);
    }
}

/// Each function entry-wise in a `.map` closure over a matrix of positive entries.
#[grad]
fn mapped(m: &DMatrix<f64>) -> f64 {
    let p = m.component_mul(m).map(|v| v + 0.25);
    (p.map(|v| v.ln_1p() + v.log2() - v.log10() + v.recip() + v.cbrt())
        + m.map(|v| v.exp_m1() * v.sinh() + v.cosh() * v.atan()))
    .sum()
}

#[test]
fn mapped_matches_finite_differences() {
    let mut rng = rng(304);
    for (r, c) in [(1, 1), (3, 2), (2, 5)] {
        let m = dmatrix(&mut rng, r, c);
        let (v, g) = mapped_grad(&m);
        assert_value("mapped", v, mapped(&m));
        assert_fd("mapped", mapped, &m, &g.m);
    }
}

/// A point of each function's domain where it is smooth, for finite differences.
fn smooth_points(name: &str) -> &'static [f64] {
    match name {
        "ln_1p" => &[-0.7, -1e-3, 0.0, 0.4, 3.0],
        "log2" | "log10" | "cbrt" => &[0.05, 0.5, 1.0, 7.0],
        "recip" => &[-2.0, -0.3, 0.2, 1.0, 5.0],
        _ => &[-2.5, -0.4, 0.0, 0.3, 1.7],
    }
}

#[test]
fn each_matches_its_function_and_finite_differences() {
    for (name, f, f_grad) in singles() {
        for &x in smooth_points(name) {
            let (v, g) = f_grad(x);
            assert_value(name, v, f(x));
            assert_fd(name, |x: &f64| f(*x), &x, &g);
        }
    }
}

#[test]
fn each_matches_jax() {
    let data = reference_data("scalar_functions_jax");
    let functions = &data["functions"];
    for (name, f, f_grad) in singles() {
        let points = functions[name]
            .as_array()
            .unwrap_or_else(|| panic!("{name} in the reference data"));
        assert!(points.len() >= 5, "{name}: {} points", points.len());
        for p in points {
            let [x, value, derivative] = [0, 1, 2].map(|k| json_number(&p[k]));
            let (v, g) = f_grad(x);
            assert_eq!(v, f(x), "{name}({x}): the value is the function's");
            let close = |a: f64, b: f64, floor: f64| (a - b).abs() <= 1e-13 * b.abs() + floor;
            assert!(close(v, value, 0.0), "{name}({x}) = {v}, JAX says {value}");
            // JAX differentiates `expm1` as `y + 1`, which rounds to the unit's last place:
            // for x ≪ 0 it is off by up to 2⁻⁵³ absolutely (2·10⁻⁸ relatively at x = −20), where
            // ours is `eˣ` to the last place.
            let floor = if name == "exp_m1" { f64::EPSILON } else { 0.0 };
            assert!(
                close(g, derivative, floor),
                "{name}'({x}) = {g}, JAX says {derivative}"
            );
            if name == "exp_m1" {
                assert_eq!(g, x.exp(), "exp_m1'({x}) is eˣ");
            }
        }
    }
}

#[test]
fn at_the_edge_of_the_domain_the_gradient_is_infinite_as_the_derivative() {
    // ∛x has a vertical tangent at 0, 1/x and ln(1 + x) poles at 0 and −1: the gradient is
    // the derivative's limit, ±∞, never a finite guess (JAX gives the same).
    assert_eq!(cbrt_of_grad(0.0).1.x, f64::INFINITY);
    assert_eq!(recip_of_grad(0.0).1.x, f64::NEG_INFINITY);
    assert_eq!(ln_1p_of_grad(-1.0).1.x, f64::INFINITY);
    // Near them, still the derivative, to rounding.
    let (x, g) = (1e-12_f64, cbrt_of_grad(1e-12).1.x);
    assert!((g - 1.0 / (3.0 * x.cbrt().powi(2))).abs() <= 1e-12 * g);
}
