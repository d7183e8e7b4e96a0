//! `.map` and `.zip_map` closures that read values depending on a differentiated parameter:
//! each captured value gets the sum over the entries of its cotangent. Against the original function and
//! finite differences, and the log-sum-exp written with a captured maximum against its
//! closed-form gradient, the softmax.

mod common;

use common::*;
use matgrad::{grad, softmax};
use nalgebra::{DMatrix, DVector};

/// A captured float: `Σᵢ xᵢ·s`.
#[grad]
fn scaled(x: &DVector<f64>, s: f64) -> f64 {
    x.map(|v| v * s).sum()
}

/// The log-sum-exp as one writes it by hand, shifted by the captured maximum.
#[grad]
fn log_sum_exp(x: &DVector<f64>) -> f64 {
    let m = x.max();
    x.map(|v| (v - m).exp()).sum().ln() + m
}

/// A constant input and a captured parameter: the squared distance of data from `mu`.
#[grad(mu)]
fn spread(data: &DMatrix<f64>, mu: f64, scale: &DMatrix<f64>) -> f64 {
    data.map(|d| (d - mu).powi(2)).sum() + scale.map(|c| c * mu).sum()
}

/// Captured matrices, read entry by entry and through a reduction, and the input itself.
#[grad]
fn captured_matrices(x: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    let n = x.norm();
    let y = x.map(|v| v * w[(0, 0)] + v / n);
    y.component_mul(w).sum()
}

/// A closure with `let`s and a branch, capturing a value carried around a loop.
#[grad]
fn in_a_loop(x: &DVector<f64>, s: f64, steps: usize) -> f64 {
    let mut h = x.clone();
    let mut gain = s;
    for _ in 0..steps {
        h = h.map(|v| {
            let t = v * gain;
            if t > 0.0 {
                t.tanh()
            } else {
                0.5 * t
            }
        });
        gain = gain * 0.9 + h.sum() * 0.01;
    }
    h.norm_squared() + gain
}

#[test]
fn captured_values_match_finite_differences() {
    let mut rng = rng(41);
    for n in [1, 3, 6] {
        let x = dvector(&mut rng, n);
        let s = uniform(&mut rng);
        let (v, g) = scaled_grad(&x, s);
        assert_value("scaled", v, scaled(&x, s));
        assert_fd("scaled d/dx", |x| scaled(x, s), &x, &g.x);
        assert_fd("scaled d/ds", |s| scaled(&x, *s), &s, &g.s);

        let (v, g) = in_a_loop_grad(&x, s, 3);
        assert_value("loop", v, in_a_loop(&x, s, 3));
        assert_fd("loop d/dx", |x| in_a_loop(x, s, 3), &x, &g.x);
        assert_fd("loop d/ds", |s| in_a_loop(&x, *s, 3), &s, &g.s);
    }
    for (r, c) in [(1, 1), (2, 3), (4, 4)] {
        let data = dmatrix(&mut rng, r, c);
        let scale = dmatrix(&mut rng, r, c);
        let mu = uniform(&mut rng);
        let (v, g) = spread_grad(&data, mu, &scale);
        assert_value("spread", v, spread(&data, mu, &scale));
        assert_fd("spread", |mu| spread(&data, *mu, &scale), &mu, &g.mu);

        let x = dmatrix(&mut rng, r, c);
        let w = dmatrix(&mut rng, r, c);
        let (v, g) = captured_matrices_grad(&x, &w);
        assert_value("matrices", v, captured_matrices(&x, &w));
        assert_fd("matrices d/dx", |x| captured_matrices(x, &w), &x, &g.x);
        assert_fd("matrices d/dw", |w| captured_matrices(&x, w), &w, &g.w);
    }
}

/// The gradient of the log-sum-exp is the softmax, whatever the shift: the maximum's own
/// cotangent (1 through `+ m`, −1 through the captured shift) cancels.
#[test]
fn a_captured_maximum_gives_the_softmax() {
    let mut rng = rng(42);
    for n in [1, 4, 7] {
        let x = dvector(&mut rng, n) * 5.0;
        let (v, g) = log_sum_exp_grad(&x);
        assert_value("lse", v, log_sum_exp(&x));
        assert_closed("lse", &g.x, &softmax(&x));
    }
}

/// `match` and `if let` on constants inside a closure, beside a captured parameter.
#[grad(x, s)]
fn constant_branches(x: &DVector<f64>, s: f64, k: usize, offset: Option<f64>) -> f64 {
    x.map(|v| {
        let w = match k {
            0 => v * s,
            1 | 2 => v + s,
            _ => v,
        };
        if let Some(o) = offset {
            w + o * s
        } else {
            w
        }
    })
    .sum()
}

#[test]
fn constant_branches_in_a_closure_match_finite_differences() {
    let mut rng = rng(43);
    let x = dvector(&mut rng, 4);
    for k in 0..4 {
        for offset in [None, Some(0.7)] {
            let (v, g) = constant_branches_grad(&x, 0.3, k, offset);
            assert_value("branches", v, constant_branches(&x, 0.3, k, offset));
            assert_fd(
                "branches d/dx",
                |x| constant_branches(x, 0.3, k, offset),
                &x,
                &g.x,
            );
            assert_fd(
                "branches d/ds",
                |s| constant_branches(&x, *s, k, offset),
                &0.3,
                &g.s,
            );
        }
    }
}

/// `x.zip_map(&y, |a, b| ..)`: both operands differentiated, one constant, and a captured
/// parameter; with `let`s and a branch in the closure.
#[grad(x, y, s)]
fn zipped(x: &DMatrix<f64>, y: &DMatrix<f64>, z: &DMatrix<f64>, s: f64) -> f64 {
    let p = x.zip_map(y, |a, b| {
        let t = a * b + s;
        if t > 0.0 {
            t.sqrt()
        } else {
            -t
        }
    });
    let q = z.zip_map(x, |c, a| (c - a).powi(2) * s);
    p.sum() + q.sum()
}

#[test]
fn zip_map_matches_finite_differences() {
    let mut rng = rng(44);
    for (r, c) in [(1, 1), (2, 3), (4, 4)] {
        let (x, y, z) = (
            dmatrix(&mut rng, r, c),
            dmatrix(&mut rng, r, c),
            dmatrix(&mut rng, r, c),
        );
        let s = 0.4;
        let (v, g) = zipped_grad(&x, &y, &z, s);
        assert_value("zip_map", v, zipped(&x, &y, &z, s));
        assert_fd("zip_map d/dx", |x| zipped(x, &y, &z, s), &x, &g.x);
        assert_fd("zip_map d/dy", |y| zipped(&x, y, &z, s), &y, &g.y);
        assert_fd("zip_map d/ds", |s| zipped(&x, &y, &z, *s), &s, &g.s);
    }
}

/// Found by the random programs: a map over a variable whose closure reads the variable
/// itself, in a loop and in an arm, and a closure whose block reads a value an arm binds or
/// a loop carries.
#[grad]
fn maps_in_regions(x: &DVector<f64>, s: f64) -> f64 {
    let mut u = x * 2.0;
    for _ in 0..2 {
        u = u.map(|v| v * u[0]);
    }
    let mut a = s;
    let mut y = 0.0;
    if s > 0.0 {
        a *= 0.5;
        y = x.map(|v| { a } * v).sum();
        let c = 0.5_f64;
        y += x.map(|v| { c } * v).sum();
        u = &u * s;
        u = u.map(|v| v * u[1]);
    }
    for _ in 0..2 {
        let z = x.map(|v| { a } * v).sum();
        a += z * 0.1;
    }
    u.sum() + y + a
}

#[test]
fn maps_in_regions_match_finite_differences() {
    let mut rng = rng(45);
    let x = dvector(&mut rng, 3);
    for s in [0.4, -0.3] {
        let (v, g) = maps_in_regions_grad(&x, s);
        assert_value("regions", v, maps_in_regions(&x, s));
        assert_fd("regions d/dx", |x| maps_in_regions(x, s), &x, &g.x);
        assert_fd("regions d/ds", |s| maps_in_regions(&x, *s), &s, &g.s);
    }
}

/// Found by the random programs: `a.zip_map(&a, ..)`, one value as both operands.
#[grad]
fn zipped_with_itself(x: &DMatrix<f64>, s: f64) -> f64 {
    x.zip_map(x, |p, q| (p * q).tanh() + p - 0.5 * q + p * s)
        .sum()
}

#[test]
fn a_zip_map_of_a_value_with_itself_matches_finite_differences() {
    let x = dmatrix(&mut rng(46), 3, 2);
    let (v, g) = zipped_with_itself_grad(&x, 0.7);
    assert_value("zip itself", v, zipped_with_itself(&x, 0.7));
    assert_fd("zip itself d/dx", |x| zipped_with_itself(x, 0.7), &x, &g.x);
    assert_fd(
        "zip itself d/ds",
        |s| zipped_with_itself(&x, *s),
        &0.7,
        &g.s,
    );
}
