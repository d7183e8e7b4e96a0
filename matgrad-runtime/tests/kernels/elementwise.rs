//! `.sqrt()`, `.exp()`, `.ln()` and `.powi(n)` on a float.

use crate::common::{assert_f32_agrees, away_from_zero, check_vjp, rng};
use matgrad_runtime::{
    exp, exp_pullback, ln, ln_pullback, powi, powi_pullback, sqrt, sqrt_pullback, Scalar,
};
use rand::Rng;

#[test]
fn sqrt_pullback_matches_finite_differences() {
    let mut rng = rng(0x51);
    for _ in 0..5 {
        let x = rng.random_range(0.1..4.0);
        check_vjp("sqrt", &mut rng, &x, sqrt, sqrt_pullback);
    }
}

#[test]
fn exp_pullback_matches_finite_differences() {
    let mut rng = rng(0x52);
    for _ in 0..5 {
        let x = rng.random_range(-3.0..3.0);
        check_vjp("exp", &mut rng, &x, exp, exp_pullback);
    }
}

#[test]
fn ln_pullback_matches_finite_differences() {
    let mut rng = rng(0x53);
    for _ in 0..5 {
        let x = rng.random_range(0.1..4.0);
        check_vjp("ln", &mut rng, &x, ln, ln_pullback);
    }
}

#[test]
fn powi_pullback_matches_finite_differences() {
    let mut rng = rng(0x54);
    for n in [0, 1, 2, 3, -2, 5, -1] {
        for _ in 0..4 {
            let x = away_from_zero(&mut rng, 0.3, 2.0);
            check_vjp(
                &format!("powi({n})"),
                &mut rng,
                &x,
                |x| powi(x, n),
                |g, x, y, acc| powi_pullback(g, x, n, y, acc),
            );
        }
    }
}

/// At zero, `d/dx xⁿ` is 1 for `n = 1` and 0 for `n = 0, 2, 3`. (Central differences are not
/// the oracle here: their error `h²` for `x³` is the whole answer.)
#[test]
fn powi_pullback_at_zero() {
    for (n, expected) in [(0, 0.0), (1, 1.0), (2, 0.0), (3, 0.0)] {
        let mut slot = None;
        powi_pullback(&1.0, &0.0, n, &powi(&0.0, n), &mut slot);
        assert_eq!(slot, Some(expected), "powi({n})");
    }
}

/// Every pullback of the family, each into an empty slot then into a filled one.
fn family<T: Scalar>(x: T, g: T) -> Vec<(&'static str, Vec<T>)> {
    fn twice<T: Scalar>(f: impl Fn(&mut Option<T>)) -> Vec<T> {
        let mut slot = None;
        f(&mut slot);
        let once = slot.unwrap();
        f(&mut slot);
        vec![once, slot.unwrap()]
    }
    let mut results = vec![
        ("sqrt", vec![sqrt(&x)]),
        (
            "sqrt pullback",
            twice(|a| sqrt_pullback(&g, &x, &sqrt(&x), a)),
        ),
        ("exp", vec![exp(&x)]),
        ("exp pullback", twice(|a| exp_pullback(&g, &x, &exp(&x), a))),
        ("ln", vec![ln(&x)]),
        ("ln pullback", twice(|a| ln_pullback(&g, &x, &ln(&x), a))),
    ];
    for (n, name) in [
        (0, "powi 0"),
        (1, "powi 1"),
        (2, "powi 2"),
        (3, "powi 3"),
        (-2, "powi -2"),
    ] {
        results.push((name, twice(|a| powi_pullback(&g, &x, n, &powi(&x, n), a))));
    }
    results
}

#[test]
fn f32_kernels_agree_with_f64() {
    let mut rng = rng(0x5f);
    for _ in 0..3 {
        let (x, g) = (rng.random_range(0.2..3.0), rng.random_range(-1.0..1.0));
        assert_f32_agrees(&family(x, g), &family(x as f32, g as f32));
    }
}
