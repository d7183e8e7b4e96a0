//! Products `A·vₜ` inside a loop, with `A` from before the loop: their left pullbacks
//! `Ā += ḡₜ·vₜᵀ` wait for the end of the loop and are applied as one matrix product
//! `[ḡ₁ … ḡ_T]·[v₁ … v_T]ᵀ`. Each way the right operand can be kept until then (on the tape,
//! from before the loop, copied from the loop's pattern) and each fallback (operands whose
//! shapes change between iterations, a product inside a branch, nested loops) is checked
//! against central finite differences on seeded random inputs, square shapes and not.

mod common;

use common::*;
use matgrad::{grad, tanh};
use nalgebra::DMatrix;

/// Iteration counts, zero and one included (no product to set side by side, or just one).
const COUNTS: &[usize] = &[0, 1, 2, 5];

/// `(rows, columns)` of `A`.
const SHAPES: &[(usize, usize)] = &[(1, 1), (3, 2), (2, 5), (4, 4)];

/// `n` random matrices of `rows` rows and `cols(t)` columns.
fn matrices(
    rng: &mut rand::rngs::StdRng,
    rows: usize,
    n: usize,
    cols: impl Fn(usize) -> usize,
) -> Vec<DMatrix<f64>> {
    (0..n).map(|t| dmatrix(rng, rows, cols(t))).collect()
}

/// `A·tanh(xₜ)`: the right operand is kept on the tape (the pullback of `tanh` reads it).
#[grad(a)]
fn operand_on_the_tape(a: &DMatrix<f64>, xs: &[DMatrix<f64>]) -> f64 {
    let mut l = 0.0;
    for x in xs.iter() {
        let h = tanh(x);
        l += (a * h).norm_squared();
    }
    l
}

/// `A·xₜ` with `xₜ` bound by value by the loop's pattern: copied for the end of the loop.
#[grad(a)]
fn operand_from_the_pattern(a: &DMatrix<f64>, xs: &[DMatrix<f64>]) -> f64 {
    let mut l = 0.0;
    for x in xs.iter().cloned() {
        l += (a * x).norm_squared();
    }
    l
}

/// `A·v` with `v` from before the loop, and the state through `W` (both deferred).
#[grad(a, v, w)]
fn operand_from_before(a: &DMatrix<f64>, v: &DMatrix<f64>, w: &DMatrix<f64>, n: usize) -> f64 {
    let u = v.map(f64::sin);
    let mut s = a * &u;
    for _ in 0..n {
        s = w * tanh(&s) + a * &u;
    }
    s.norm_squared()
}

/// `A·xₜ` where `xₜ` has a different number of columns each time: applied one by one.
#[grad(a)]
fn changing_shapes(a: &DMatrix<f64>, xs: &[DMatrix<f64>]) -> f64 {
    let mut l = 0.0;
    for x in xs.iter() {
        l += (a * tanh(x)).sum();
    }
    l
}

/// A product in a branch inside the loop (not deferred) beside one outside it (deferred).
#[grad(a)]
fn in_a_branch(a: &DMatrix<f64>, xs: &[DMatrix<f64>]) -> f64 {
    let mut l = 0.0;
    for (t, x) in xs.iter().enumerate() {
        let y = a * tanh(x);
        if t % 2 == 0 {
            l += (a * x).sum() * 0.5;
        }
        l += y.norm_squared();
    }
    l
}

/// `A` built in the outer loop, used by the inner one: deferred to the end of the inner
/// loop, inside each outer iteration.
#[grad(b)]
fn nested(b: &DMatrix<f64>, xs: &[DMatrix<f64>], n: usize) -> f64 {
    let mut l = 0.0;
    for k in 0..n {
        let a = b * (k as f64 + 1.0);
        for x in xs.iter() {
            l += (&a * tanh(x)).norm_squared();
        }
    }
    l
}

/// `c·tanh(hₜ)` with a scalar `c` from before the loop: its left pullback (a dot product) runs
/// in the iteration, nothing kept.
#[grad(c, x)]
fn scalar_on_the_left(c: f64, x: &DMatrix<f64>, n: usize) -> f64 {
    let mut h = x.clone();
    for _ in 0..n {
        h = c * tanh(&h) + x;
    }
    h.sum()
}

#[test]
fn a_scalar_on_the_left_matches_finite_differences() {
    let mut rng = rng(64);
    for &(m, k) in SHAPES {
        for &n in COUNTS {
            let at = format!("x {m}×{k}, {n} steps");
            let (c, x) = (0.7, dmatrix(&mut rng, m, k));
            let (v, g) = scalar_on_the_left_grad(c, &x, n);
            assert_value(&at, v, scalar_on_the_left(c, &x, n));
            assert_fd(&at, |x| scalar_on_the_left(c, x, n), &x, &g.x);
            let h = 1e-6;
            let fd =
                (scalar_on_the_left(c + h, &x, n) - scalar_on_the_left(c - h, &x, n)) / (2.0 * h);
            assert!(
                (g.c - fd).abs() <= 1e-6 * fd.abs().max(1.0),
                "{at}: {} vs {fd}",
                g.c
            );
        }
    }
}

#[test]
fn deferred_left_pullbacks_match_finite_differences() {
    let mut rng = rng(61);
    for &(m, k) in SHAPES {
        for &n in COUNTS {
            let at = format!("A {m}×{k}, {n} steps");
            let a = dmatrix(&mut rng, m, k);
            let xs = matrices(&mut rng, k, n, |_| 1);
            let (v, g) = operand_on_the_tape_grad(&a, &xs);
            assert_value(&at, v, operand_on_the_tape(&a, &xs));
            assert_fd(&at, |a| operand_on_the_tape(a, &xs), &a, &g.a);

            let (v, g) = operand_from_the_pattern_grad(&a, &xs);
            assert_value(&at, v, operand_from_the_pattern(&a, &xs));
            assert_fd(&at, |a| operand_from_the_pattern(a, &xs), &a, &g.a);

            // Matrices of three columns on the tape: each ḡₜ is m×3.
            let wide = matrices(&mut rng, k, n, |_| 3);
            let (_, g) = operand_on_the_tape_grad(&a, &wide);
            assert_fd(&at, |a| operand_on_the_tape(a, &wide), &a, &g.a);

            let changing = matrices(&mut rng, k, n, |t| 1 + t % 3);
            let (v, g) = changing_shapes_grad(&a, &changing);
            assert_value(&at, v, changing_shapes(&a, &changing));
            assert_fd(&at, |a| changing_shapes(a, &changing), &a, &g.a);

            let square = dmatrix(&mut rng, k, k);
            let (v, g) = in_a_branch_grad(&square, &wide);
            assert_value(&at, v, in_a_branch(&square, &wide));
            assert_fd(&at, |a| in_a_branch(a, &wide), &square, &g.a);

            let (v, g) = nested_grad(&a, &xs, 3);
            assert_value(&at, v, nested(&a, &xs, 3));
            assert_fd(&at, |b| nested(b, &xs, 3), &a, &g.b);
        }
    }
}

#[test]
fn state_and_input_products_of_a_recurrence_match_finite_differences() {
    let mut rng = rng(62);
    for &(m, k) in SHAPES {
        for &n in COUNTS {
            let at = format!("A {m}×{k}, {n} steps");
            let (a, v) = (dmatrix(&mut rng, m, k), dmatrix(&mut rng, k, 2));
            // W scaled so that the recurrence stays of order one.
            let w = dmatrix(&mut rng, m, m) * (0.5 / m as f64);
            let (value, g) = operand_from_before_grad(&a, &v, &w, n);
            assert_value(&at, value, operand_from_before(&a, &v, &w, n));
            assert_fd(&at, |a| operand_from_before(a, &v, &w, n), &a, &g.a);
            assert_fd(&at, |v| operand_from_before(&a, v, &w, n), &v, &g.v);
            assert_fd(&at, |w| operand_from_before(&a, &v, w, n), &w, &g.w);
        }
    }
}

/// Large enough (every dimension at least 32) for the gemm crate's product of the stacked
/// cotangents and operands.
#[test]
fn a_long_recurrence_of_large_vectors_matches_finite_differences() {
    let mut rng = rng(63);
    let (m, n) = (40, 36);
    let a = dmatrix(&mut rng, m, m) * (1.0 / m as f64);
    let xs = matrices(&mut rng, m, n, |_| 1);
    let (_, g) = operand_on_the_tape_grad(&a, &xs);
    assert_fd(
        "A 40×40, 36 steps",
        |a| operand_on_the_tape(a, &xs),
        &a,
        &g.a,
    );
}
