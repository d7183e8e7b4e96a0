//! `if`/`else` inside `#[grad]` bodies: as a value and as a statement, without `else`, with
//! a condition that reads a differentiated value (the gradient is the taken branch's, on
//! both sides of the threshold), inside loops, and as nested `else if` chains. Every gradient
//! is checked against central finite differences on seeded random inputs (away from the
//! thresholds, where the function is smooth) of several shapes.

mod common;

use common::*;
use matgrad::{grad, tanh};
use nalgebra::{DMatrix, DVector};

/// `m×n` shapes: a scalar-like one, tall, wide, square.
const SHAPES: &[(usize, usize)] = &[(1, 1), (3, 2), (2, 5), (4, 4)];

/// Vector lengths.
const LENGTHS: &[usize] = &[1, 3, 7];

// ================================================================= value and statement

/// `if` as the value of a `let`, on a flag that is not differentiated.
#[grad(x, s)]
fn branch_value(x: &DMatrix<f64>, s: f64, flag: bool) -> f64 {
    let y = if flag {
        x * s
    } else {
        let t = x.component_mul(x);
        t * (s * s)
    };
    y.sum() + s
}

/// `if` as a statement assigning outer variables, one of them in one arm only.
#[grad(x, s)]
fn branch_statement(x: &DMatrix<f64>, s: f64, flag: bool) -> f64 {
    let mut y = x.clone();
    let mut z = s;
    if flag {
        y *= 3.0;
        z = z.exp();
    } else {
        let local = tanh(&y);
        y = local.component_mul(x);
    }
    y.norm_squared() * z
}

/// `if` without `else`: the variable keeps its value when the condition is false.
#[grad(x, s)]
fn branch_without_else(x: &DMatrix<f64>, s: f64, flag: bool) -> f64 {
    let mut y = x * s;
    if flag {
        y = y.component_mul(x) + x;
    }
    if !flag {
        y *= s;
    }
    y.sum()
}

/// `if` as a value where one arm does not depend on a differentiated value.
#[grad(x)]
fn branch_constant_arm(x: &DVector<f64>, flag: bool) -> f64 {
    let y = if flag {
        x.component_mul(x)
    } else {
        DVector::from_element(x.len(), 2.0)
    };
    y.dot(x)
}

#[test]
fn value_and_statement() {
    let mut rng = rng(1);
    for &(m, n) in SHAPES {
        for flag in [true, false] {
            let (x, s) = (dmatrix(&mut rng, m, n), uniform(&mut rng));
            let at = format!("{m}×{n}, flag = {flag}");

            let (v, g) = branch_value_grad(&x, s, flag);
            assert_value(&at, v, branch_value(&x, s, flag));
            assert_fd(&at, |x| branch_value(x, s, flag), &x, &g.x);
            assert_fd(&at, |s| branch_value(&x, *s, flag), &s, &g.s);

            let (v, g) = branch_statement_grad(&x, s, flag);
            assert_value(&at, v, branch_statement(&x, s, flag));
            assert_fd(&at, |x| branch_statement(x, s, flag), &x, &g.x);
            assert_fd(&at, |s| branch_statement(&x, *s, flag), &s, &g.s);

            let (v, g) = branch_without_else_grad(&x, s, flag);
            assert_value(&at, v, branch_without_else(&x, s, flag));
            assert_fd(&at, |x| branch_without_else(x, s, flag), &x, &g.x);
            assert_fd(&at, |s| branch_without_else(&x, *s, flag), &s, &g.s);
        }
    }
    // The closed forms of the two arms of `branch_value`: ∇ₓ = s·1 or 2s²x.
    let (x, s) = (dmatrix(&mut rng, 3, 2), 0.7);
    let (_, g) = branch_value_grad(&x, s, true);
    assert_closed("then", &g.x, &DMatrix::repeat(3, 2, s));
    let (_, g) = branch_value_grad(&x, s, false);
    assert_closed("else", &g.x, &(2.0 * s * s * &x));
}

#[test]
fn constant_arm() {
    let mut rng = rng(2);
    for &n in LENGTHS {
        let x = dvector(&mut rng, n);
        for flag in [true, false] {
            let at = format!("n = {n}, flag = {flag}");
            let (v, g) = branch_constant_arm_grad(&x, flag);
            assert_value(&at, v, branch_constant_arm(&x, flag));
            assert_fd(&at, |x| branch_constant_arm(x, flag), &x, &g.x);
        }
        // The constant arm: ∇ (2·Σx) = 2.
        let (_, g) = branch_constant_arm_grad(&x, false);
        assert_closed("constant arm", &g.x, &DVector::repeat(n, 2.0));
    }
}

// ================================================================ conditions on values

/// x² above 0, −3x at or below it: the derivative jumps from −3 to 0⁺ at the threshold.
#[grad]
fn kink(x: f64) -> f64 {
    if x > 0.0 {
        x * x
    } else {
        -3.0 * x
    }
}

/// ‖x‖² when it exceeds `t`, else 3·Σx: a condition on a differentiated matrix value.
#[grad(x)]
fn threshold(x: &DVector<f64>, t: f64) -> f64 {
    let q = x.norm_squared();
    let mut y = x.sum() * 3.0;
    if q > t {
        y = q;
    }
    y
}

#[test]
fn condition_on_a_differentiated_value() {
    // Both sides of the kink, and exactly at it (the `else` arm is taken).
    for (x, expected) in [
        (0.5, 1.0),
        (2.0, 4.0),
        (1e-9, 2e-9),
        (-0.5, -3.0),
        (0.0, -3.0),
    ] {
        let (v, g) = kink_grad(x);
        assert_value(&format!("x = {x}"), v, kink(x));
        assert_eq!(g.x, expected, "x = {x}");
    }
    let mut rng = rng(3);
    for &n in LENGTHS {
        let x = dvector(&mut rng, n);
        let q = x.norm_squared();
        // Thresholds below and above ‖x‖², away from it so finite differences do not cross.
        for t in [q - 0.1, q + 0.1] {
            let at = format!("n = {n}, ‖x‖² = {q}, t = {t}");
            let (v, g) = threshold_grad(&x, t);
            assert_value(&at, v, threshold(&x, t));
            let expected = if q > t {
                2.0 * &x
            } else {
                DVector::repeat(n, 3.0)
            };
            assert_closed(&at, &g.x, &expected);
            assert_fd(&at, |x| threshold(x, t), &x, &g.x);
        }
    }
}

// ======================================================================= inside loops

/// A state updated by one of two rules each step: by the sign of its sum (a differentiated
/// condition) and by the parity of the step (a data condition).
#[grad(w, x)]
fn branch_in_loop(w: &DMatrix<f64>, x: &DVector<f64>, steps: usize) -> f64 {
    let mut h = x.clone();
    let mut l = 0.0;
    for t in 0..steps {
        if h.sum() > 0.0 {
            h = tanh(&(w * &h));
        } else {
            h = w.transpose() * &h + x;
        }
        let scale = if t % 2 == 0 {
            h.norm_squared()
        } else {
            h.sum()
        };
        l += scale;
        if t == 1 {
            l *= 0.5;
        }
    }
    l + h.dot(x)
}

/// The same by plain nalgebra, also reporting which arm each step took.
fn branch_in_loop_by_hand(
    w: &DMatrix<f64>,
    x: &DVector<f64>,
    steps: usize,
) -> (f64, Vec<bool>, f64) {
    let mut h = x.clone();
    let mut l = 0.0;
    let mut taken = Vec::new();
    // The smallest |Σh| at a decision: finite differences must not flip a decision.
    let mut margin = f64::INFINITY;
    for t in 0..steps {
        margin = margin.min(h.sum().abs());
        taken.push(h.sum() > 0.0);
        h = if h.sum() > 0.0 {
            (w * &h).map(f64::tanh)
        } else {
            w.transpose() * &h + x
        };
        l += if t % 2 == 0 {
            h.norm_squared()
        } else {
            h.sum()
        };
        if t == 1 {
            l *= 0.5;
        }
    }
    (l + h.dot(x), taken, margin)
}

#[test]
fn branches_inside_loops() {
    let mut rng = rng(4);
    let mut arms_seen = [false, false];
    for &n in LENGTHS {
        for steps in [0, 1, 4, 7] {
            for _ in 0..3 {
                let (w, x) = (dmatrix(&mut rng, n, n) * 0.8, dvector(&mut rng, n));
                let (expected, taken, margin) = branch_in_loop_by_hand(&w, &x, steps);
                if margin < 1e-3 {
                    continue;
                }
                for t in taken {
                    arms_seen[usize::from(t)] = true;
                }
                let at = format!("n = {n}, steps = {steps}");
                let (v, g) = branch_in_loop_grad(&w, &x, steps);
                assert_value(&at, v, expected);
                assert_value(&at, v, branch_in_loop(&w, &x, steps));
                assert_fd(&at, |w| branch_in_loop(w, &x, steps), &w, &g.w);
                assert_fd(&at, |x| branch_in_loop(&w, x, steps), &x, &g.x);
            }
        }
    }
    assert!(arms_seen[0] && arms_seen[1], "both arms must be exercised");
}

// ========================================================================= nested chains

/// Four pieces by `else if` on a differentiated scalar, and an `if` nested in an arm.
#[grad(x, s)]
fn chain(x: &DVector<f64>, s: f64) -> f64 {
    let y = if s < -0.5 {
        x * s
    } else if s < 0.0 {
        x.component_mul(x) * s
    } else if s < 0.5 {
        let inner = if x.sum() > 0.0 {
            tanh(&(x * s))
        } else {
            x * (s * s)
        };
        inner + x
    } else {
        x * s.exp()
    };
    let mut z = y.sum();
    if s > 0.25 {
        // The `;` after this `if`/`else` statement is needed: without it, an `if`/`else` as
        // the last statement of a block is rejected (bug: "this block's value is unused").
        if z > 0.0 {
            z = z * z;
        } else if z < -1.0 {
            z = -z;
        } else {
            z = z.sin();
        };
    }
    z + y.norm_squared()
}

#[test]
fn nested_else_if_chains() {
    let mut rng = rng(5);
    let mut pieces = std::collections::HashSet::new();
    for &n in LENGTHS {
        for s in [-0.9, -0.6, -0.3, -0.1, 0.1, 0.3, 0.4, 0.6, 0.9] {
            for _ in 0..2 {
                let x = dvector(&mut rng, n);
                let at = format!("n = {n}, s = {s}");
                if x.sum().abs() < 1e-3 {
                    continue;
                }
                pieces.insert((s < -0.5, s < 0.0, s < 0.5, x.sum() > 0.0));
                let (v, g) = chain_grad(&x, s);
                assert_value(&at, v, chain(&x, s));
                assert_fd(&at, |x| chain(x, s), &x, &g.x);
                assert_fd(&at, |s| chain(&x, *s), &s, &g.s);
            }
        }
    }
    assert!(pieces.len() >= 6, "pieces exercised: {pieces:?}");
}

// ============================================================================= pullbacks

/// The `_pullback` of a function with branches scales with the cotangent.
#[test]
fn branch_pullback_scales() {
    let mut rng = rng(6);
    let x = dvector(&mut rng, 4);
    for s in [-0.7, 0.3, 0.8] {
        let (v, pullback) = chain_pullback(&x, s);
        let (v_grad, g) = chain_grad(&x, s);
        assert_eq!(v, v_grad);
        let scaled = pullback(&3.0);
        assert_closed("x", &scaled.x, &(&g.x * 3.0));
        assert!((scaled.s - 3.0 * g.s).abs() <= 1e-12 * g.s.abs().max(1.0));
    }
}
