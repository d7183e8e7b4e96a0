//! The pullback API: `<name>_pullback(..)` returns the value and a closure from a cotangent
//! ḡ = ∂l/∂y to the gradient struct, reusable for any number of cotangents without running
//! the function again. Checked for matrix-, vector-, row-vector- and scalar-valued
//! functions, each result against central finite differences of φ(x) = ⟨ḡ, f(x)⟩.

mod common;

use common::*;
use matgrad::{grad, Dense};
use nalgebra::{DMatrix, DVector, RowDVector};
use std::cell::Cell;

thread_local! {
    /// How many times a function below has run its body on this thread.
    static FORWARD_PASSES: Cell<usize> = const { Cell::new(0) };
}

/// Counts one run of a function body (a non-differentiated helper call inside `#[grad]`).
fn count_forward_pass() {
    FORWARD_PASSES.with(|c| c.set(c.get() + 1));
}

fn forward_passes() -> usize {
    FORWARD_PASSES.with(Cell::get)
}

/// ⟨ḡ, y⟩, entry by entry in storage order.
fn pairing<Y: Dense<Scalar = f64>>(g: &Y, y: &Y) -> f64 {
    assert_eq!(
        g.shape(),
        y.shape(),
        "the cotangent's shape is not the value's"
    );
    (0..y.len()).map(|i| g.entry(i) * y.entry(i)).sum()
}

/// A pullback called with `ḡ` must give the gradient of ⟨ḡ, f⟩.
#[track_caller]
fn assert_pulls_back<X, Y>(what: &str, f: impl Fn(&X) -> Y, x: &X, g: &Y, pulled: &X)
where
    X: Dense<Scalar = f64> + std::fmt::Debug,
    Y: Dense<Scalar = f64>,
{
    assert_fd(what, |x| pairing(g, &f(x)), x, pulled);
}

/// Fails to compile unless `f` is `Fn`: callable through a shared reference, any number of
/// times.
fn assert_fn<A: ?Sized, R>(_: &impl Fn(&A) -> R) {}

// ======================================================================= matrix-valued

/// Y = tanh(W X) ⊙ X + W X (a matrix: W is p×m, X is m×n).
#[grad]
fn layer(w: &DMatrix<f64>, x: &DMatrix<f64>) -> DMatrix<f64> {
    count_forward_pass();
    let z = w * x;
    z.map(f64::tanh).component_mul(&(w * x)) + z
}

/// One forward pass, many cotangents: each result is the gradient of its own ⟨G, f⟩.
#[test]
fn a_matrix_pullback_serves_many_cotangents() {
    let mut rng = rng(1);
    for (p, m, n) in [(1, 1, 1), (3, 2, 4), (2, 5, 3)] {
        let at = format!("{p}×{m}·{m}×{n}");
        let (w, x) = (dmatrix(&mut rng, p, m), dmatrix(&mut rng, m, n));
        let cotangents: Vec<DMatrix<f64>> = (0..4).map(|_| dmatrix(&mut rng, p, n)).collect();

        let before = forward_passes();
        let (y, pullback) = layer_pullback(&w, &x);
        assert_eq!(forward_passes(), before + 1, "{at}: the forward sweep");
        let grads: Vec<LayerGrad> = cotangents.iter().map(&pullback).collect();
        let again = pullback(&cotangents[0]);
        assert_eq!(
            forward_passes(),
            before + 1,
            "{at}: calling the pullback ran the function again"
        );

        assert_eq!(y, layer(&w, &x), "{at}: the value");
        // The same cotangent twice gives the same result: nothing accumulates between calls.
        assert_eq!(
            again, grads[0],
            "{at}: the second call differs from the first"
        );
        for (k, (g, grad)) in cotangents.iter().zip(&grads).enumerate() {
            let what = format!("{at}, cotangent {k}");
            assert_pulls_back(&format!("{what}: W"), |w| layer(w, &x), &w, g, &grad.w);
            assert_pulls_back(&format!("{what}: X"), |x| layer(&w, x), &x, g, &grad.x);
        }
        // Different cotangents, different gradients (not one cached answer).
        for k in 1..grads.len() {
            assert!(
                rel_error(&grads[k].x, &grads[0].x) > 1e-3,
                "{at}: cotangents 0 and {k} give the same ∂l/∂X"
            );
        }
    }
}

/// The body runs once per `_pullback` call, side effects included, and never in the
/// closure: the counter sees the original function once, the forward sweep once.
#[test]
fn the_forward_pass_runs_once() {
    let mut rng = rng(2);
    let (w, x) = (dmatrix(&mut rng, 3, 2), dmatrix(&mut rng, 2, 4));
    let before = forward_passes();
    layer(&w, &x);
    assert_eq!(forward_passes(), before + 1, "the original function");
    let (_, pullback) = layer_pullback(&w, &x);
    assert_eq!(forward_passes(), before + 2, "the pullback's forward sweep");
    for _ in 0..10 {
        pullback(&dmatrix(&mut rng, 3, 4));
    }
    assert_eq!(forward_passes(), before + 2, "the pullback ran the body");
}

/// The pullback is linear in the cotangent: pb(aG₁ + bG₂) = a·pb(G₁) + b·pb(G₂).
#[test]
fn the_pullback_is_linear() {
    let mut rng = rng(3);
    let (w, x) = (dmatrix(&mut rng, 4, 3), dmatrix(&mut rng, 3, 2));
    let (g1, g2) = (dmatrix(&mut rng, 4, 2), dmatrix(&mut rng, 4, 2));
    let (_, pullback) = layer_pullback(&w, &x);
    assert_fn(&pullback);
    let combined = pullback(&(&g1 * 2.0 - &g2 * 0.5));
    let (p1, p2) = (pullback(&g1), pullback(&g2));
    assert_closed("W", &combined.w, &(p1.w * 2.0 - p2.w * 0.5));
    assert_closed("X", &combined.x, &(p1.x * 2.0 - p2.x * 0.5));
    // Zero in, zero out.
    assert_eq!(pullback(&DMatrix::zeros(4, 2)).x, DMatrix::zeros(3, 2));
}

/// The closure is `Fn`: it can be shared and called through `&dyn Fn`.
#[test]
fn the_pullback_is_fn() {
    let mut rng = rng(4);
    let (w, x) = (dmatrix(&mut rng, 2, 2), dmatrix(&mut rng, 2, 2));
    let (_, pullback) = layer_pullback(&w, &x);
    let shared: &dyn Fn(&DMatrix<f64>) -> LayerGrad = &pullback;
    let g = dmatrix(&mut rng, 2, 2);
    let (a, b) = (shared(&g), pullback(&g));
    assert_eq!(a, b);
    assert_pulls_back("X", |x| layer(&w, x), &x, &g, &a.x);
}

/// A pullback through a loop (a per-iteration tape) reused for several cotangents.
#[grad(a, x)]
fn iterate(a: &DMatrix<f64>, x: &DVector<f64>, steps: usize) -> DVector<f64> {
    count_forward_pass();
    let mut v = x.clone();
    for _ in 0..steps {
        v = (a * &v).map(f64::tanh) + &v;
    }
    v
}

#[test]
fn a_pullback_through_a_loop_serves_many_cotangents() {
    let mut rng = rng(5);
    for (n, steps) in [(1, 3), (3, 1), (4, 5)] {
        let at = format!("n = {n}, {steps} steps");
        let (a, x) = (dmatrix(&mut rng, n, n), dvector(&mut rng, n));
        let (y, pullback) = iterate_pullback(&a, &x, steps);
        assert_eq!(y, iterate(&a, &x, steps), "{at}: the value");
        let before = forward_passes();
        let cotangents: Vec<DVector<f64>> = (0..3).map(|_| dvector(&mut rng, n)).collect();
        let grads: Vec<IterateGrad> = cotangents.iter().map(&pullback).collect();
        assert_eq!(forward_passes(), before, "{at}: the pullback ran the body");
        for (g, grad) in cotangents.iter().zip(&grads) {
            assert_pulls_back(&at, |a| iterate(a, &x, steps), &a, g, &grad.a);
            assert_pulls_back(&at, |x| iterate(&a, x, steps), &x, g, &grad.x);
        }
    }
}

// =============================================================== vector- and row-valued

/// y = tanh(A x) ⊙ x + b·s (a column vector).
#[grad]
fn column_valued(a: &DMatrix<f64>, x: &DVector<f64>, s: f64) -> DVector<f64> {
    (a * x).map(f64::tanh).component_mul(x) + x * s
}

/// r = (wᵀ X) ⊙ (wᵀ X) − mean of the rows of X (a row vector).
#[grad]
fn row_valued(w: &RowDVector<f64>, x: &DMatrix<f64>) -> RowDVector<f64> {
    let r = w * x;
    r.component_mul(&r) - x.row_mean()
}

#[test]
fn a_column_vector_pullback() {
    let mut rng = rng(6);
    for n in [1, 3, 6] {
        let at = format!("n = {n}");
        let (a, x, s) = (dmatrix(&mut rng, n, n), dvector(&mut rng, n), 0.7);
        let (y, pullback) = column_valued_pullback(&a, &x, s);
        assert_eq!(y, column_valued(&a, &x, s), "{at}");
        for _ in 0..3 {
            let g = dvector(&mut rng, n);
            let grad = pullback(&g);
            assert_pulls_back(&at, |a| column_valued(a, &x, s), &a, &g, &grad.a);
            assert_pulls_back(&at, |x| column_valued(&a, x, s), &x, &g, &grad.x);
            assert_pulls_back(&at, |s| column_valued(&a, &x, *s), &s, &g, &grad.s);
        }
    }
}

#[test]
fn a_row_vector_pullback() {
    let mut rng = rng(7);
    for (m, n) in [(1, 1), (3, 5), (4, 2)] {
        let at = format!("{m}×{n}");
        let (w, x) = (row_dvector(&mut rng, m), dmatrix(&mut rng, m, n));
        let (y, pullback) = row_valued_pullback(&w, &x);
        assert_eq!(y, row_valued(&w, &x), "{at}");
        for _ in 0..3 {
            let g = row_dvector(&mut rng, n);
            let grad = pullback(&g);
            assert_pulls_back(&at, |w| row_valued(w, &x), &w, &g, &grad.w);
            assert_pulls_back(&at, |x| row_valued(&w, x), &x, &g, &grad.x);
        }
    }
}

// ====================================================================== scalar-valued

/// ‖tanh(A x)‖² + s·Σx (a scalar).
#[grad]
fn scalar_valued(a: &DMatrix<f64>, x: &DVector<f64>, s: f64) -> f64 {
    (a * x).map(f64::tanh).norm_squared() + s * x.sum()
}

/// A scalar function's pullback at ḡ = 1 is its `_grad`, at ḡ = c it is c times that.
#[test]
fn a_scalar_pullback_at_one_is_the_gradient() {
    let mut rng = rng(8);
    for n in [1, 2, 5] {
        let at = format!("n = {n}");
        let (a, x, s) = (dmatrix(&mut rng, n, n), dvector(&mut rng, n), -0.4);
        let (value, grad) = scalar_valued_grad(&a, &x, s);
        let (value_pb, pullback) = scalar_valued_pullback(&a, &x, s);
        assert_eq!(value, value_pb, "{at}");
        assert_eq!(
            pullback(&1.0),
            grad,
            "{at}: pullback(1) is not the gradient"
        );
        let scaled = pullback(&-2.5);
        assert_closed(&at, &scaled.a, &(&grad.a * -2.5));
        assert_closed(&at, &scaled.x, &(&grad.x * -2.5));
        assert_value(&at, scaled.s, -2.5 * grad.s);
        assert_fd(&at, |x| scalar_valued(&a, x, s), &x, &grad.x);
    }
}

/// The check can fail: the pullback of one cotangent is not the gradient of ⟨another, f⟩.
#[test]
#[should_panic(expected = "disagrees with finite differences")]
fn the_wrong_cotangent_is_caught() {
    let mut rng = rng(9);
    let (w, x) = (dmatrix(&mut rng, 3, 2), dmatrix(&mut rng, 2, 4));
    let (g1, g2) = (dmatrix(&mut rng, 3, 4), dmatrix(&mut rng, 3, 4));
    let (_, pullback) = layer_pullback(&w, &x);
    assert_pulls_back("X", |x| layer(&w, x), &x, &g2, &pullback(&g1).x);
}
