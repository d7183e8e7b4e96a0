//! Buffer reuse in the generated code: a temporary read once is handed to the operation that
//! reads it (its left or right operand's buffer holds the result), and in `_grad` a value the
//! reverse sweep reads for the last time is handed to that pullback (`‖r‖²`: `r̄ = 2ḡ·r` in
//! `r`'s buffer). Each function below takes one such path, or sits just beside one where the
//! value must not be moved (read twice, read in a loop, returned); every gradient is checked
//! against finite differences, and the allocations of a call are counted on this thread, so
//! a lost reuse fails here.

mod common;
mod counting;

use common::*;
use counting::allocations;
use matgrad::grad;
use nalgebra::{DMatrix, DVector};

/// Shapes small enough that nalgebra multiplies without matrixmultiply's packing buffers.
const SHAPES: &[(usize, usize)] = &[(1, 1), (3, 2), (2, 5), (4, 4)];

/// ‖Ax − b‖²: `A·x` is consumed by `- b`, the residual by the pullback of `‖·‖²`.
#[grad(x)]
fn residual_left(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
    (a * x - b).norm_squared()
}

/// ‖b − Ax‖: `A·x` is the right operand of `-`, which computes in its buffer.
#[grad(x)]
fn residual_right(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
    (b - a * x).norm()
}

/// The residual read twice in the reverse sweep (by `‖·‖²` and by `·`): not moved.
#[grad(x)]
fn residual_read_twice(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
    let r = a * x - b;
    r.norm_squared() + r.dot(b)
}

/// The residual read again inside a loop after `‖·‖²`: not moved.
#[grad(x)]
fn residual_in_a_loop(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
    let r = a * x - b;
    let mut l = r.norm_squared();
    for k in 0..3 {
        l += r.dot(b) * (k as f64);
    }
    l
}

/// Right operands of `+`, `⊙`, `⊘` consumed: `x ⊘ (y ⊙ (x + y²))`, positive entries.
#[grad(x, y)]
fn right_operands(x: &DMatrix<f64>, y: &DMatrix<f64>) -> f64 {
    let s = x + y.component_mul(y);
    let p = y.component_mul(&s);
    x.component_div(&p).sum()
}

/// A value read by `‖·‖` and then by its own `map` pullback: not moved.
#[grad(x)]
fn mapped_then_normed(x: &DVector<f64>) -> f64 {
    x.map(f64::sin).norm()
}

#[test]
fn gradients_through_every_reuse_path_match_finite_differences() {
    let mut rng = rng(91);
    for &(m, n) in SHAPES {
        let at = format!("{m}×{n}");
        let (a, x, b) = (
            dmatrix(&mut rng, m, n),
            dvector(&mut rng, n),
            dvector(&mut rng, m),
        );
        type F = fn(&DMatrix<f64>, &DVector<f64>, &DVector<f64>) -> f64;
        type G = fn(&DMatrix<f64>, &DVector<f64>, &DVector<f64>) -> DVector<f64>;
        let cases: [(&str, F, G); 4] = [
            ("residual_left", residual_left, |a, x, b| {
                residual_left_grad(a, x, b).1.x
            }),
            ("residual_right", residual_right, |a, x, b| {
                residual_right_grad(a, x, b).1.x
            }),
            ("residual_read_twice", residual_read_twice, |a, x, b| {
                residual_read_twice_grad(a, x, b).1.x
            }),
            ("residual_in_a_loop", residual_in_a_loop, |a, x, b| {
                residual_in_a_loop_grad(a, x, b).1.x
            }),
        ];
        for (name, f, g) in cases {
            let what = format!("{name} at {at}");
            assert_fd(&what, |x| f(&a, x, &b), &x, &g(&a, &x, &b));
        }
        let (x, y) = (
            dmatrix(&mut rng, m, n).map(|v| v.abs() + 0.5),
            dmatrix(&mut rng, m, n).map(|v| v.abs() + 0.5),
        );
        let (v, g) = right_operands_grad(&x, &y);
        assert_value(&at, v, right_operands(&x, &y));
        assert_fd(&at, |x| right_operands(x, &y), &x, &g.x);
        assert_fd(&at, |y| right_operands(&x, y), &y, &g.y);
        let v = dvector(&mut rng, n);
        let (value, g) = mapped_then_normed_grad(&v);
        assert_value(&at, value, mapped_then_normed(&v));
        assert_fd(&at, mapped_then_normed, &v, &g.x);
    }
}

#[test]
fn the_norm_of_zero_has_the_zero_gradient_when_its_input_is_moved() {
    let (a, x, b) = (DMatrix::zeros(3, 2), DVector::zeros(2), DVector::zeros(3));
    let (value, g) = residual_right_grad(&a, &x, &b);
    assert_eq!(value, 0.0);
    assert_eq!(g.x, DVector::zeros(2));
}

/// ‖Ax − b‖² allocates what a careful hand-written gradient does: `A·x` (the residual, then
/// `2r` in its place) and the returned `Aᵀ·2r`.
#[test]
fn least_squares_allocates_the_residual_and_the_gradient_only() {
    let mut rng = rng(92);
    let (a, x, b) = (
        dmatrix(&mut rng, 4, 3),
        dvector(&mut rng, 3),
        dvector(&mut rng, 4),
    );
    let (_, count) = allocations(|| residual_left_grad(&a, &x, &b));
    assert_eq!(count, 2, "allocations of residual_left_grad");
    let (_, count) = allocations(|| residual_right_grad(&a, &x, &b));
    assert_eq!(count, 2, "allocations of residual_right_grad");
}

/// s ← s + s·c, `n` times: scalar work in a loop.
#[grad(x)]
fn scalar_loop(x: f64, c: f64, n: usize) -> f64 {
    let mut s = x;
    for _ in 0..n {
        s = s + s * c;
    }
    s / 2.0
}

/// Σᵢ √(xᵢ + 1): a scalar closure over the entries.
#[grad(x)]
fn mapped(x: &DVector<f64>) -> f64 {
    x.map(|v| (v + 1.0).sqrt()).sum()
}

/// Scalar operations allocate nothing: the count of a call does not grow with the number of
/// loop iterations or mapped entries (only the tape and the vectors themselves allocate).
#[test]
fn scalar_operations_allocate_nothing_per_step_or_entry() {
    let (_, few) = allocations(|| scalar_loop_grad(0.3, 0.1, 10));
    let (_, many) = allocations(|| scalar_loop_grad(0.3, 0.1, 1000));
    assert_eq!(few, many, "allocations of 10 and of 1000 scalar steps");
    let short = DVector::from_element(3, 0.5);
    let long = DVector::from_element(300, 0.5);
    let (_, few) = allocations(|| mapped_grad(&short));
    let (_, many) = allocations(|| mapped_grad(&long));
    assert_eq!(few, many, "allocations of 3 and of 300 mapped entries");
    let (v, g) = mapped_grad(&long);
    assert_value("mapped", v, mapped(&long));
    assert_fd("mapped", mapped, &long, &g.x);
    let (v, g) = scalar_loop_grad(0.3, 0.1, 10);
    assert_value("scalar_loop", v, scalar_loop(0.3, 0.1, 10));
    let h = 1e-6;
    let fd = (scalar_loop(0.3 + h, 0.1, 10) - scalar_loop(0.3 - h, 0.1, 10)) / (2.0 * h);
    assert!(
        (g.x - fd).abs() < 1e-7 * fd.abs().max(1.0),
        "{} vs {fd}",
        g.x
    );
}
