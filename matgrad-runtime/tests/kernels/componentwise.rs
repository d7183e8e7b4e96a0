//! `.component_div()` and the pullback of `.map(|v| ...)`.

use crate::common::{
    assert_f32_agrees, away_from_zero, check_vjp, dmatrix, flat, random_like, rng,
};
use matgrad_runtime::{
    component_div, component_div_pullback_lhs, component_div_pullback_rhs, map_pullback, Dense,
    Scalar,
};
use nalgebra::{ComplexField, DMatrix, DVector};
use rand::rngs::StdRng;

/// A value shaped like `like` with random entries of magnitude in `[0.5, 2)`: a safe divisor.
fn nonzero_like<V: Dense<Scalar = f64>>(rng: &mut StdRng, like: &V) -> V {
    let mut v = like.clone();
    for i in 0..v.len() {
        *v.entry_mut(i) = away_from_zero(rng, 0.5, 2.0);
    }
    v
}

#[test]
fn component_div_pullbacks_match_finite_differences() {
    let mut rng = rng(0x81);
    for_each_value!(rng, |x| {
        let y = nonzero_like(&mut rng, &x);
        let z = component_div(&x, &y);
        for i in 0..x.len() {
            assert_eq!(z.entry(i), x.entry(i) / y.entry(i));
        }
        check_vjp(
            "component_div lhs",
            &mut rng,
            &x,
            |x| component_div(x, &y),
            |g, x, _, acc| component_div_pullback_lhs(g, x, &y, acc),
        );
        check_vjp(
            "component_div rhs",
            &mut rng,
            &y,
            |y| component_div(&x, y),
            |g, y, _, acc| component_div_pullback_rhs(g, &x, y, acc),
        );
    });
}

#[test]
fn component_div_matches_nalgebra() {
    let mut rng = rng(0x82);
    let x = dmatrix(&mut rng, 3, 5);
    let y = nonzero_like(&mut rng, &x);
    assert_eq!(component_div(&x, &y), x.component_div(&y));
}

/// `map_pullback` with the derivative of `f`, against finite differences of `x.map(f)`, for
/// several functions on every matrix shape.
#[test]
fn map_pullback_matches_finite_differences() {
    let mut rng = rng(0x83);
    for_each_matrix!(rng, |x| {
        check_vjp(
            "map v²",
            &mut rng,
            &x,
            |x| x.map(|v| v * v),
            |g, x, y, acc| map_pullback(g, x, y, |v, g| g * 2.0 * v, acc),
        );
        check_vjp(
            "map sin",
            &mut rng,
            &x,
            |x| x.map(f64::sin),
            |g, x, y, acc| map_pullback(g, x, y, |v, g| g * v.cos(), acc),
        );
        check_vjp(
            "map 3v + 1",
            &mut rng,
            &x,
            |x| x.map(|v| 3.0 * v + 1.0),
            |g, x, y, acc| map_pullback(g, x, y, |_, g| 3.0 * g, acc),
        );
        check_vjp(
            "map exp(v)·v",
            &mut rng,
            &x,
            |x| x.map(|v| v.exp() * v),
            |g, x, y, acc| map_pullback(g, x, y, |v, g| g * v.exp() * (1.0 + v), acc),
        );
    });
}

#[test]
fn map_pullback_of_a_scalar() {
    let mut rng = rng(0x84);
    for _ in 0..4 {
        let x = crate::common::uniform(&mut rng);
        check_vjp(
            "map sin of a scalar",
            &mut rng,
            &x,
            |x| x.sin(),
            |g, x, y, acc| map_pullback(g, x, y, |v, g| g * v.cos(), acc),
        );
    }
}

/// The closure receives `(xᵢ, ḡᵢ)` in that order.
#[test]
fn map_pullback_passes_the_entry_then_the_cotangent() {
    let x = DVector::from_vec(vec![1.0, 2.0, 3.0]);
    let g = DVector::from_vec(vec![10.0, 20.0, 30.0]);
    let mut slot = None;
    map_pullback(&g, &x, &x, |v, g| 1000.0 * v + g, &mut slot);
    assert_eq!(
        slot.unwrap(),
        DVector::from_vec(vec![1010.0, 2020.0, 3030.0])
    );
}

#[test]
#[should_panic(expected = "`component_div` needs operands of the same shape, got 2×3 and 3×2")]
fn component_div_of_mismatched_shapes_panics_with_both() {
    component_div(&DMatrix::<f64>::zeros(2, 3), &DMatrix::zeros(3, 2));
}

#[test]
#[should_panic(expected = "`component_div` needs operands of the same shape, got 2×3 and 3×2")]
fn component_div_pullback_of_mismatched_shapes_panics_with_both() {
    let mut slot = None;
    component_div_pullback_rhs(
        &DMatrix::<f64>::zeros(2, 3),
        &DMatrix::zeros(2, 3),
        &DMatrix::zeros(3, 2),
        &mut slot,
    );
}

#[test]
#[should_panic(expected = "`map` needs operands of the same shape, got 3×1 and 4×1")]
fn map_pullback_of_mismatched_shapes_panics_with_both() {
    let mut slot = None;
    let x = DVector::<f64>::zeros(4);
    map_pullback(&DVector::zeros(3), &x, &x, |_, g| g, &mut slot);
}

/// Every kernel of the family, each into an empty slot then into a filled one.
fn family<T: Scalar>(
    x: &DMatrix<T>,
    y: &DMatrix<T>,
    g: &DMatrix<T>,
) -> Vec<(&'static str, Vec<T>)> {
    fn twice<X: Dense>(f: impl Fn(&mut Option<X>)) -> Vec<X::Scalar> {
        let mut slot = None;
        f(&mut slot);
        let once = flat(slot.as_ref().unwrap());
        f(&mut slot);
        [once, flat(&slot.unwrap())].concat()
    }
    let sq = x.map(|v| v * v);
    vec![
        ("component_div", flat(&component_div(x, y))),
        (
            "component_div lhs",
            twice(|a| component_div_pullback_lhs(g, x, y, a)),
        ),
        (
            "component_div rhs",
            twice(|a| component_div_pullback_rhs(g, x, y, a)),
        ),
        (
            "map pullback",
            twice(|a| map_pullback(g, x, &sq, |v, g| g * (v + v) + ComplexField::sin(v), a)),
        ),
    ]
}

#[test]
fn f32_kernels_agree_with_f64() {
    let mut rng = rng(0x8f);
    let x = dmatrix(&mut rng, 3, 4);
    let y = nonzero_like(&mut rng, &x);
    let g = random_like(&mut rng, &x);
    assert_f32_agrees(
        &family(&x, &y, &g),
        &family(&x.cast(), &y.cast(), &g.cast()),
    );
}
