//! `.max()` and `.min()` of a matrix's entries, `.amax()` and `.amin()` of their absolute
//! values, and `a.max(b)`, `f64::max(a, b)`, `T::min(a, b)` of two floats: against the
//! original function, finite differences (away from ties), JAX (`.amax()`, `.amin()`) and, at
//! ties, the documented even share of the cotangent.

mod common;

use common::*;
use matgrad::grad;
use nalgebra::{dmatrix, DMatrix, DVector, RealField};

#[grad]
fn entry_extrema(x: &DMatrix<f64>) -> f64 {
    x.max() * 2.0 - x.min() + (x * 3.0).max()
}

#[grad]
fn abs_extrema(x: &DMatrix<f64>) -> f64 {
    x.amax() * 2.0 - x.amin() + (x * 3.0).amax()
}

#[test]
fn entry_extrema_match_finite_differences() {
    type Value = fn(&DMatrix<f64>) -> f64;
    type Grad = fn(&DMatrix<f64>) -> (f64, DMatrix<f64>);
    let cases: [(&str, Value, Grad); 2] = [
        ("max, min", entry_extrema, |x| {
            let (v, g) = entry_extrema_grad(x);
            (v, g.x)
        }),
        ("amax, amin", abs_extrema, |x| {
            let (v, g) = abs_extrema_grad(x);
            (v, g.x)
        }),
    ];
    let mut rng = rng(101);
    for (what, f, f_grad) in cases {
        for (r, c) in [(1, 1), (3, 2), (2, 5), (4, 4)] {
            let x = dmatrix(&mut rng, r, c);
            let (v, g) = f_grad(&x);
            assert_value(what, v, f(&x));
            assert_fd(what, f, &x, &g);
        }
    }
}

#[test]
fn a_tie_shares_the_cotangent_evenly() {
    let x = dmatrix![1.0, 4.0; 4.0, -3.0; 4.0, -3.0];
    let (_, g) = entry_extrema_grad(&x);
    // max: 2 + 3 = 5 shared by the three 4s; min: −1 shared by the two −3s.
    let third = 5.0 / 3.0;
    assert_closed(
        "ties",
        &g.x,
        &dmatrix![0.0, third; third, -0.5; third, -0.5],
    );
}

/// The log-sum-exp, computed stably by shifting by the maximum: the shift's derivative
/// cancels, so the gradient is the softmax, ties or not.
#[grad]
fn log_sum_exp(x: &DVector<f64>) -> f64 {
    let m = x.max();
    let ones = DVector::from_element(x.len(), 1.0);
    let z = x - ones * m;
    m + z.map(f64::exp).sum().ln()
}

#[test]
fn a_stable_log_sum_exp_has_the_softmax_as_gradient() {
    let mut rng = rng(102);
    let tied = DVector::from_vec(vec![2.0, -1.0, 2.0, 0.5]);
    for x in [dvector(&mut rng, 5), dvector(&mut rng, 1) * 800.0, tied] {
        let (v, g) = log_sum_exp_grad(&x);
        assert_value("lse", v, log_sum_exp(&x));
        let e = x.map(|v| (v - x.max()).exp());
        let softmax = &e / e.sum();
        assert_closed("lse", &g.x, &softmax);
    }
}

#[grad]
fn two_floats(a: f64, b: f64) -> f64 {
    a.max(b) * 3.0 + f64::min(a, b) + a.max(0.5)
}

#[grad]
fn generic_two_floats<T: RealField + Copy>(a: T, b: T) -> T {
    T::max(a, b) * a.min(b)
}

#[test]
fn the_larger_or_smaller_of_two_floats() {
    for (a, b) in [(1.5, -0.5), (-2.0, 0.25), (0.1, 0.3)] {
        let (v, g) = two_floats_grad(a, b);
        assert_value("two", v, two_floats(a, b));
        assert_fd("a", |a| two_floats(*a, b), &a, &g.a);
        assert_fd("b", |b| two_floats(a, *b), &b, &g.b);
        let (v, g) = generic_two_floats_grad(a, b);
        assert_value("generic", v, generic_two_floats(a, b));
        assert_fd("generic a", |a| generic_two_floats(*a, b), &a, &g.a);
        let (_, g32) = generic_two_floats_grad(a as f32, b as f32);
        assert!((g32.b as f64 - g.b).abs() < 1e-5);
    }
    // A tie gives each operand half.
    assert_eq!(
        two_floats_grad(2.0, 2.0).1,
        TwoFloatsGrad { a: 3.0, b: 2.0 }
    );
}

/// `v.max(0.0).min(1.0)` in a map closure: a clipped rectifier, written with the float methods.
#[allow(clippy::manual_clamp)]
#[grad]
fn rectified(x: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    (w * x).map(|v| v.max(0.0).min(1.0)).sum()
}

#[test]
fn max_and_min_in_a_map_closure() {
    let mut rng = rng(103);
    let (x, w) = (dmatrix(&mut rng, 3, 4), dmatrix(&mut rng, 2, 3));
    let (v, g) = rectified_grad(&x, &w);
    assert_value("rectified", v, rectified(&x, &w));
    assert_fd("w", |w| rectified(&x, w), &w, &g.w);
}

#[grad]
fn amax_of(x: &DMatrix<f64>) -> f64 {
    x.amax()
}

#[grad]
fn amin_of(x: &DMatrix<f64>) -> f64 {
    x.amin()
}

/// Against JAX's `jax.grad` of `jnp.max(jnp.abs(m))` and `jnp.min(jnp.abs(m))`
/// (`tests/data/extrema_jax.py` and its JSON), ties of `|x|` between entries of both signs
/// included. At an entry equal to 0 ours is 0, as our `.abs()` (|x|′(0) = 0, PyTorch's
/// convention); JAX's |x|′(0) is 1, so its `amin` shares ḡ among the zeros there.
#[test]
fn abs_extrema_match_jax() {
    let data = reference_data("extrema_jax");
    type Grad = fn(&DMatrix<f64>) -> (f64, DMatrix<f64>);
    let cases: [(&str, Grad); 2] = [
        ("amax", |x| {
            let (v, g) = amax_of_grad(x);
            (v, g.x)
        }),
        ("amin", |x| {
            let (v, g) = amin_of_grad(x);
            (v, g.x)
        }),
    ];
    let mut zeros_seen = 0;
    for case in data["cases"].as_array().expect("cases") {
        let x = json_matrix(&case["m"]);
        for (name, f_grad) in cases {
            let (v, g) = f_grad(&x);
            assert_eq!(v, case[name].as_f64().expect("a value"), "{name} of {x}");
            let jax = json_matrix(&case[format!("{name}_grad").as_str()]);
            for ((&ours, &theirs), &xi) in g.iter().zip(jax.iter()).zip(x.iter()) {
                if xi == 0.0 && theirs != 0.0 {
                    zeros_seen += 1;
                    assert_eq!(ours, 0.0, "{name} at a zero entry of {x}");
                } else {
                    assert_eq!(ours, theirs, "{name} of {x}: {g} against JAX's {jax}");
                }
            }
        }
    }
    assert_eq!(
        zeros_seen, 2,
        "the data's one matrix with two zeros, where amin ties"
    );
}

#[grad]
fn clamped(x: f64, m: &DMatrix<f64>) -> f64 {
    x.clamp(-0.5, 0.75) * 2.0 + f64::clamp(x * 3.0, -1.0, 1.0) + m.map(|v| v.clamp(-0.2, 0.3)).sum()
}

/// `.clamp(lo, hi)`: the slope is 1 strictly inside, 0 outside, and ½ at a bound, as JAX's
/// `jnp.clip` gives (`maximum` then `minimum`, each sharing a tie: `jax.grad` of
/// `jnp.clip(x, 0, 1)` is 0.5 at 0 and at 1, 1 at 0.5, 0 at 2, with jax 0.10.2).
#[test]
fn clamp_matches_finite_differences_and_halves_at_a_bound() {
    let mut rng = rng(103);
    for (r, c) in [(1, 1), (3, 2), (4, 4)] {
        let m = dmatrix(&mut rng, r, c);
        let x = uniform(&mut rng) * 0.3;
        let (v, g) = clamped_grad(x, &m);
        assert_value("clamp", v, clamped(x, &m));
        assert_fd("clamp d/dx", |x| clamped(*x, &m), &x, &g.x);
        assert_fd("clamp d/dm", |m| clamped(x, m), &m, &g.m);
    }
    let m = dmatrix![-0.2, 0.3, 0.0, 1.0];
    let (_, g) = clamped_grad(0.75, &m);
    // 2·½ at the first bound, 0 outside the second (x·3 = 2.25 > 1).
    assert_eq!(g.x, 1.0);
    assert_eq!(g.m, dmatrix![0.5, 0.5, 1.0, 0.0]);
}

#[test]
#[should_panic(expected = "`clamp(min, max)` needs min <= max")]
fn clamp_with_crossed_bounds_panics_as_f64_clamp_does() {
    let _ = crossed_grad(0.3);
}

#[grad]
fn crossed(x: f64) -> f64 {
    x.clamp(1.0, -1.0)
}
