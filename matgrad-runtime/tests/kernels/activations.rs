//! `sigmoid`, `tanh`, `relu`, `softplus` and `abs` on scalars and matrices.

use crate::common::{assert_f32_agrees, away_from_zero, check_vjp, dmatrix, flat, rng, uniform};
use matgrad_runtime::{
    abs, abs_pullback, relu, relu_pullback, sigmoid, sigmoid_pullback, softplus, softplus_pullback,
    tanh, tanh_pullback, Dense, Scalar,
};
use nalgebra::{dvector, DMatrix, DVector};
use rand::rngs::StdRng;

/// `x` with every entry mapped by `f`, for a scalar or a matrix alike.
fn map<V: Dense<Scalar = f64>>(x: &V, f: impl Fn(f64) -> f64) -> V {
    let mut y = x.clone();
    for i in 0..y.len() {
        *y.entry_mut(i) = f(x.entry(i));
    }
    y
}

/// `x` with entries spread over `[-4, 4)`, where the activations bend.
fn spread<V: Dense<Scalar = f64>>(x: &V) -> V {
    map(x, |v| 4.0 * v)
}

/// A value like `x` with entries of magnitude in `[0.1, 3)`: clear of the kinks at 0.
fn off_zero<V: Dense<Scalar = f64>>(rng: &mut StdRng, x: &V) -> V {
    let mut y = x.clone();
    for i in 0..y.len() {
        *y.entry_mut(i) = away_from_zero(rng, 0.1, 3.0);
    }
    y
}

/// Asserts that every entry of `v` is finite.
#[track_caller]
fn assert_finite<V: Dense<Scalar = f64> + std::fmt::Debug>(what: &str, v: &V) {
    assert!(
        flat(v).iter().all(|e| e.is_finite()),
        "{what}: not finite: {v:?}"
    );
}

#[test]
fn sigmoid_matches_its_definition_and_finite_differences() {
    let mut rng = rng(0x91);
    for_each_value!(rng, |x| {
        let x = spread(&x);
        let y = sigmoid(&x);
        for i in 0..x.len() {
            let expected = 1.0 / (1.0 + (-x.entry(i)).exp());
            assert!((y.entry(i) - expected).abs() < 1e-15, "σ({})", x.entry(i));
        }
        check_vjp("sigmoid", &mut rng, &x, sigmoid, sigmoid_pullback);
    });
}

#[test]
fn tanh_matches_its_definition_and_finite_differences() {
    let mut rng = rng(0x92);
    for_each_value!(rng, |x| {
        let x = spread(&x);
        // Matrices of f64 go through `vmath::tanh`, within a few ulp of `f64::tanh`.
        for (t, e) in flat(&tanh(&x)).iter().zip(flat(&map(&x, f64::tanh))) {
            assert!((t - e).abs() <= 4.0 * f64::EPSILON * e.abs(), "{t} vs {e}");
        }
        check_vjp("tanh", &mut rng, &x, tanh, tanh_pullback);
    });
}

#[test]
fn relu_matches_its_definition_and_finite_differences() {
    let mut rng = rng(0x93);
    for_each_value!(rng, |x| {
        let x = off_zero(&mut rng, &x);
        assert_eq!(flat(&relu(&x)), flat(&map(&x, |v| v.max(0.0))));
        check_vjp("relu", &mut rng, &x, relu, relu_pullback);
    });
}

#[test]
fn softplus_matches_its_definition_and_finite_differences() {
    let mut rng = rng(0x94);
    for_each_value!(rng, |x| {
        let x = spread(&x);
        let y = softplus(&x);
        for i in 0..x.len() {
            let expected = x.entry(i).exp().ln_1p();
            assert!(
                (y.entry(i) - expected).abs() < 1e-15,
                "softplus({})",
                x.entry(i)
            );
        }
        check_vjp("softplus", &mut rng, &x, softplus, softplus_pullback);
    });
}

#[test]
fn abs_matches_its_definition_and_finite_differences() {
    let mut rng = rng(0x95);
    for_each_value!(rng, |x| {
        let x = off_zero(&mut rng, &x);
        assert_eq!(flat(&abs(&x)), flat(&map(&x, f64::abs)));
        check_vjp("abs", &mut rng, &x, abs, abs_pullback);
    });
}

/// The gradient of `op` at `x` for the cotangent `g`, into an empty slot.
fn gradient<V: Dense>(
    op: impl Fn(&V) -> V,
    pullback: impl Fn(&V, &V, &V, &mut Option<V>),
    x: &V,
    g: &V,
) -> V {
    let mut slot = None;
    pullback(g, x, &op(x), &mut slot);
    slot.unwrap()
}

#[test]
fn sigmoid_is_stable_far_from_zero() {
    assert_eq!(sigmoid(&800.0), 1.0);
    assert_eq!(sigmoid(&-800.0), 0.0);
    assert_eq!(
        sigmoid(&-30.0),
        (-30.0_f64).exp() / (1.0 + (-30.0_f64).exp())
    );
    assert!((sigmoid(&-700.0) - (-700.0_f64).exp()).abs() <= 1e-300);
    assert!(sigmoid(&-700.0) > 0.0, "σ(−700) underflowed to 0");
    assert_eq!(gradient(sigmoid, sigmoid_pullback, &800.0, &1.0), 0.0);
    assert_eq!(gradient(sigmoid, sigmoid_pullback, &-800.0, &1.0), 0.0);
    let x = dvector![-800.0, -40.0, 0.0, 40.0, 800.0];
    let y = sigmoid(&x);
    assert_finite("σ", &y);
    assert_eq!((y[0], y[2], y[4]), (0.0, 0.5, 1.0));
    let g = gradient(
        sigmoid,
        sigmoid_pullback,
        &x,
        &DVector::from_element(5, 1.0),
    );
    assert_finite("σ'", &g);
    assert_eq!(g[2], 0.25);
    // In f32, where e^89 already overflows.
    assert_eq!(sigmoid(&800.0_f32), 1.0);
    assert_eq!(sigmoid(&-800.0_f32), 0.0);
    assert_eq!(sigmoid(&-100.0_f32), (-100.0_f32).exp());
    let mut slot = None;
    sigmoid_pullback(&1.0_f32, &-100.0, &sigmoid(&-100.0_f32), &mut slot);
    assert!(slot.unwrap().is_finite());
}

#[test]
fn softplus_is_stable_far_from_zero() {
    assert_eq!(softplus(&800.0), 800.0);
    assert_eq!(softplus(&-800.0), 0.0);
    // ln(1 + e⁻³⁰) = e⁻³⁰ − e⁻⁶⁰/2 + …: no digit lost to 1 + e⁻³⁰ rounding to 1.
    assert!((softplus(&-30.0_f64) / (-30.0_f64).exp() - 1.0).abs() < 1e-12);
    assert!((softplus(&40.0_f64) - 40.0).abs() < 1e-15);
    assert_eq!(gradient(softplus, softplus_pullback, &800.0, &1.0), 1.0);
    assert_eq!(gradient(softplus, softplus_pullback, &-800.0, &1.0), 0.0);
    let x = dvector![-800.0, -40.0, 0.0, 40.0, 800.0];
    let y = softplus(&x);
    assert_finite("softplus", &y);
    assert_eq!((y[0], y[4]), (0.0, 800.0));
    assert_eq!(y[2], std::f64::consts::LN_2);
    let g = gradient(
        softplus,
        softplus_pullback,
        &x,
        &DVector::from_element(5, 1.0),
    );
    assert_finite("softplus'", &g);
    assert_eq!((g[0], g[2], g[4]), (0.0, 0.5, 1.0));
    // In f32.
    assert_eq!(softplus(&800.0_f32), 800.0);
    assert_eq!(softplus(&-800.0_f32), 0.0);
    assert_eq!(softplus(&100.0_f32), 100.0);
}

#[test]
fn tanh_is_stable_far_from_zero() {
    let x = dvector![-800.0, 800.0];
    assert_eq!(tanh(&x), dvector![-1.0, 1.0]);
    let g = gradient(tanh, tanh_pullback, &x, &DVector::from_element(2, 1.0));
    assert_eq!(g, dvector![0.0, 0.0]);
}

/// At exactly 0 (either sign) `relu` and `abs` take the subgradient 0: no NaN, nothing added.
#[test]
fn relu_and_abs_gradients_at_zero_are_zero() {
    for z in [0.0, -0.0] {
        assert_eq!(relu(&z), 0.0);
        assert_eq!(abs(&z), 0.0);
        assert_eq!(gradient(relu, relu_pullback, &z, &1.0), 0.0);
        assert_eq!(gradient(abs, abs_pullback, &z, &1.0), 0.0);
        // Even an infinite cotangent gives 0, not 0·∞ = NaN.
        assert_eq!(gradient(relu, relu_pullback, &z, &f64::INFINITY), 0.0);
        assert_eq!(gradient(abs, abs_pullback, &z, &f64::INFINITY), 0.0);
    }
    let x = dvector![-2.0, 0.0, 3.0];
    let ones = DVector::from_element(3, 1.0);
    assert_eq!(relu(&x), dvector![0.0, 0.0, 3.0]);
    assert_eq!(
        gradient(relu, relu_pullback, &x, &ones),
        dvector![0.0, 0.0, 1.0]
    );
    assert_eq!(abs(&x), dvector![2.0, 0.0, 3.0]);
    assert_eq!(
        gradient(abs, abs_pullback, &x, &ones),
        dvector![-1.0, 0.0, 1.0]
    );
    // Into a filled slot, nothing is added at 0.
    let mut slot = Some(dvector![5.0, 5.0, 5.0]);
    abs_pullback(&ones, &x, &abs(&x), &mut slot);
    assert_eq!(slot.unwrap(), dvector![4.0, 5.0, 6.0]);
}

/// Every kernel of the family on `x` with cotangent `g`, each pullback into an empty slot then
/// into a filled one.
fn family<T: Scalar>(x: &DMatrix<T>, g: &DMatrix<T>) -> Vec<(&'static str, Vec<T>)> {
    fn twice<X: Dense>(f: impl Fn(&mut Option<X>)) -> Vec<X::Scalar> {
        let mut slot = None;
        f(&mut slot);
        let once = flat(slot.as_ref().unwrap());
        f(&mut slot);
        [once, flat(&slot.unwrap())].concat()
    }
    let s = x[(0, 0)];
    let gs = g[(0, 0)];
    vec![
        ("sigmoid", flat(&sigmoid(x))),
        (
            "sigmoid pullback",
            twice(|a| sigmoid_pullback(g, x, &sigmoid(x), a)),
        ),
        ("sigmoid scalar", vec![sigmoid(&s)]),
        (
            "sigmoid scalar pullback",
            twice(|a| sigmoid_pullback(&gs, &s, &sigmoid(&s), a)),
        ),
        ("tanh", flat(&tanh(x))),
        ("tanh pullback", twice(|a| tanh_pullback(g, x, &tanh(x), a))),
        (
            "tanh scalar pullback",
            twice(|a| tanh_pullback(&gs, &s, &tanh(&s), a)),
        ),
        ("relu", flat(&relu(x))),
        ("relu pullback", twice(|a| relu_pullback(g, x, &relu(x), a))),
        (
            "relu scalar pullback",
            twice(|a| relu_pullback(&gs, &s, &relu(&s), a)),
        ),
        ("softplus", flat(&softplus(x))),
        (
            "softplus pullback",
            twice(|a| softplus_pullback(g, x, &softplus(x), a)),
        ),
        ("softplus scalar", vec![softplus(&s)]),
        ("abs", flat(&abs(x))),
        ("abs pullback", twice(|a| abs_pullback(g, x, &abs(x), a))),
        (
            "abs scalar pullback",
            twice(|a| abs_pullback(&gs, &s, &abs(&s), a)),
        ),
    ]
}

#[test]
fn f32_kernels_agree_with_f64() {
    let mut rng = rng(0x9f);
    let x = dmatrix(&mut rng, 3, 4).map(|v| 4.0 * v);
    let g = dmatrix(&mut rng, 3, 4);
    let _ = uniform(&mut rng);
    assert_f32_agrees(&family(&x, &g), &family(&x.cast(), &g.cast()));
}
