//! Calls from one `#[grad]` function to another: scalar- and matrix-valued callees, a callee
//! called twice (fan-out), a generic callee, a callee in another module called by path, a
//! callee with non-differentiated parameters, calls inside a loop, chains of calls, and the
//! caller's own `_pullback`. Every gradient is checked against central finite differences on
//! seeded random inputs of several shapes.

// The loop bodies index on purpose: `&xs[t]` inside `for t in 0..n` is what is tested.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use matgrad::{grad, tanh};
use nalgebra::{DMatrix, DVector, RealField};

/// `m×n` shapes: a scalar-like one, tall, wide, square.
const SHAPES: &[(usize, usize)] = &[(1, 1), (3, 2), (2, 5), (4, 4)];

/// Vector lengths.
const LENGTHS: &[usize] = &[1, 3, 7];

// =========================================================================== the callees

/// A scalar-valued callee: ½‖x‖² + Σx.
#[grad]
fn energy(x: &DVector<f64>) -> f64 {
    x.norm_squared() * 0.5 + x.sum()
}

/// A matrix-valued callee: W x + b.
#[grad]
fn affine(w: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> DVector<f64> {
    w * x + b
}

/// A matrix-valued callee with a scalar parameter taken by value: tanh(s·X).
#[grad]
fn squash(x: &DMatrix<f64>, s: f64) -> DMatrix<f64> {
    tanh(&(x * s))
}

/// A generic callee: Σ xᵢ³ + ‖x‖.
#[grad]
fn cubes<T: RealField>(x: &DVector<T>) -> T {
    let c = x.component_mul(x).component_mul(x);
    c.sum() + x.norm()
}

/// Callees in other modules, called by path.
mod inner {
    use matgrad::grad;
    use nalgebra::{DMatrix, DVector};

    /// xᵀ A x.
    #[grad]
    pub fn quadratic(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
        x.dot(&(a * x))
    }

    pub mod deeper {
        use matgrad::grad;
        use nalgebra::DVector;

        /// x ⊙ x, scaled.
        #[grad]
        pub fn squares(x: &DVector<f64>, s: f64) -> DVector<f64> {
            x.component_mul(x) * s
        }
    }
}

/// A callee whose last two parameters are constants: Σₖ dataₖ·xₖ^p over the first `n`.
#[grad(x)]
fn weighted_powers(x: &DVector<f64>, p: i32, data: &[f64]) -> f64 {
    let mut s = 0.0;
    for k in 0..data.len() {
        s += x[k].powi(p) * data[k];
    }
    s
}

/// One RNN cell as a callee: tanh(W h + U x + b).
#[grad]
fn cell(
    w: &DMatrix<f64>,
    u: &DMatrix<f64>,
    b: &DVector<f64>,
    h: &DVector<f64>,
    x: &DVector<f64>,
) -> DVector<f64> {
    tanh(&(w * h + u * x + b))
}

// ======================================================================= scalar and matrix

/// energy(W x + b) + energy(x): a scalar callee on a matrix callee's result.
#[grad(w, x, b)]
fn composed(w: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
    let y = affine(w, x, b);
    energy(&y) + energy(x)
}

/// The same inline, for the value.
fn composed_inline(w: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
    let y = w * x + b;
    let e = |v: &DVector<f64>| v.norm_squared() * 0.5 + v.sum();
    e(&y) + e(x)
}

/// A matrix callee with a scalar argument computed in the caller.
#[grad]
fn squashed(x: &DMatrix<f64>, s: f64) -> f64 {
    let y = squash(x, s * 2.0);
    let z = squash(&y, s);
    z.norm_squared() + y.sum()
}

#[test]
fn scalar_and_matrix_callees() {
    let mut rng = rng(1);
    for &(m, n) in SHAPES {
        let (w, x, b) = (
            dmatrix(&mut rng, m, n),
            dvector(&mut rng, n),
            dvector(&mut rng, m),
        );
        let at = format!("{m}×{n}");
        let (v, g) = composed_grad(&w, &x, &b);
        assert_value(&at, v, composed_inline(&w, &x, &b));
        assert_fd(&at, |w| composed(w, &x, &b), &w, &g.w);
        assert_fd(&at, |x| composed(&w, x, &b), &x, &g.x);
        assert_fd(&at, |b| composed(&w, &x, b), &b, &g.b);
        // ∇_b = (y + 1) with y = Wx + b.
        assert_closed(&at, &g.b, &(&w * &x + &b).add_scalar(1.0));

        let (xm, s) = (dmatrix(&mut rng, m, n), uniform(&mut rng));
        let (v, g) = squashed_grad(&xm, s);
        assert_value(&at, v, squashed(&xm, s));
        assert_fd(&at, |x| squashed(x, s), &xm, &g.x);
        assert_fd(&at, |s| squashed(&xm, *s), &s, &g.s);
    }
}

// ================================================================================ fan-out

/// The same callee called twice on the same argument, and once on its own result.
#[grad]
fn fan_out(x: &DVector<f64>) -> f64 {
    let a = energy(x);
    let b = energy(x);
    let y = inner::deeper::squares(x, a);
    a * b + energy(&y)
}

#[test]
fn callee_called_twice() {
    let mut rng = rng(2);
    for &n in LENGTHS {
        let x = dvector(&mut rng, n);
        let at = format!("n = {n}");
        let (v, g) = fan_out_grad(&x);
        assert_value(&at, v, fan_out(&x));
        assert_fd(&at, fan_out, &x, &g.x);
    }
    // Without the last term: ∇ e(x)² = 2 e(x) (x + 1).
    #[grad]
    fn twice(x: &DVector<f64>) -> f64 {
        energy(x) * energy(x)
    }
    let x = dvector(&mut rng, 4);
    let (_, g) = twice_grad(&x);
    let e = x.norm_squared() * 0.5 + x.sum();
    assert_closed("twice", &g.x, &(2.0 * e * x.add_scalar(1.0)));
}

// ================================================================================ generic

/// The generic callee, its type argument inferred and spelled out.
#[grad]
fn calls_generic(x: &DVector<f64>, s: f64) -> f64 {
    let y = x * s;
    cubes(&y) + cubes::<f64>(x) * s
}

/// A generic caller calling the generic callee.
#[grad]
fn generic_caller<T: RealField>(x: &DVector<T>) -> T {
    let y = x.component_mul(x);
    cubes(&y) + cubes(x)
}

#[test]
fn generic_callee() {
    let mut rng = rng(3);
    for &n in LENGTHS {
        let (x, s) = (dvector(&mut rng, n), uniform(&mut rng));
        let at = format!("n = {n}");
        let (v, g) = calls_generic_grad(&x, s);
        assert_value(&at, v, calls_generic(&x, s));
        assert_fd(&at, |x| calls_generic(x, s), &x, &g.x);
        assert_fd(&at, |s| calls_generic(&x, *s), &s, &g.s);

        let (v, g) = generic_caller_grad(&x);
        assert_value(&at, v, generic_caller(&x));
        assert_fd(&at, generic_caller::<f64>, &x, &g.x);

        // At f32, the same gradient to about 1e-4.
        let x32 = x.map(|v| v as f32);
        let (_, g32) = generic_caller_grad(&x32);
        assert_f32_agrees(&at, &g32.x, &g.x);
    }
}

// ============================================================================= by path

/// Callees in `inner` and `inner::deeper`, and by `crate::` and `self::` paths.
#[grad]
fn by_path(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let q = inner::quadratic(a, x);
    let y = inner::deeper::squares(x, q);
    crate::inner::quadratic(a, &y) + self::energy(&y)
}

#[test]
fn callee_in_another_module() {
    let mut rng = rng(4);
    for &n in LENGTHS {
        let (a, x) = (dmatrix(&mut rng, n, n), dvector(&mut rng, n));
        let at = format!("n = {n}");
        let (v, g) = by_path_grad(&a, &x);
        assert_value(&at, v, by_path(&a, &x));
        assert_fd(&at, |a| by_path(a, &x), &a, &g.a);
        assert_fd(&at, |x| by_path(&a, x), &x, &g.x);
        // The callee's own companion is there too: ∇ₓ xᵀAx = (A + Aᵀ)x.
        let (_, g) = inner::quadratic_grad(&a, &x);
        assert_closed(&at, &g.x, &((&a + a.transpose()) * &x));
        assert_closed(&at, &g.a, &(&x * x.transpose()));
    }
}

// ================================================================== constant parameters

/// The callee's integer and slice parameters are constants; the caller's `p` too.
#[grad(x)]
fn passes_constants(x: &DVector<f64>, p: i32, data: &[f64]) -> f64 {
    let y = x * 2.0;
    weighted_powers(&y, p, data) + weighted_powers(x, p + 1, &data[1..])
}

#[test]
fn callee_with_constant_parameters() {
    let mut rng = rng(5);
    for &n in &[2, 3, 7] {
        for p in [1, 2, 3] {
            let x = dvector(&mut rng, n);
            let data: Vec<f64> = (0..n).map(|_| uniform(&mut rng)).collect();
            let at = format!("n = {n}, p = {p}");
            let (v, g) = passes_constants_grad(&x, p, &data);
            assert_value(&at, v, passes_constants(&x, p, &data));
            assert_fd(&at, |x| passes_constants(x, p, &data), &x, &g.x);
        }
    }
}

// ============================================================================ in a loop

/// An RNN over `xs` built from the `cell` callee, the loss ½‖h‖² summed over the steps.
#[grad(w, u, b)]
fn rnn_by_cell(
    w: &DMatrix<f64>,
    u: &DMatrix<f64>,
    b: &DVector<f64>,
    h0: &DVector<f64>,
    xs: &[DVector<f64>],
) -> f64 {
    let mut h = h0.clone();
    let mut l = 0.0;
    for t in 0..xs.len() {
        h = cell(w, u, b, &h, &xs[t]);
        l += energy(&h);
    }
    l
}

#[test]
fn calls_inside_a_loop() {
    let mut rng = rng(6);
    for &(hidden, input) in &[(1, 1), (3, 2), (2, 5)] {
        for steps in [0, 1, 5] {
            let (w, u, b, h0) = (
                dmatrix(&mut rng, hidden, hidden),
                dmatrix(&mut rng, hidden, input),
                dvector(&mut rng, hidden),
                dvector(&mut rng, hidden),
            );
            let xs: Vec<DVector<f64>> = (0..steps).map(|_| dvector(&mut rng, input)).collect();
            let at = format!("H = {hidden}, I = {input}, T = {steps}");
            let (v, g) = rnn_by_cell_grad(&w, &u, &b, &h0, &xs);
            assert_value(&at, v, rnn_by_cell(&w, &u, &b, &h0, &xs));
            assert_fd(&at, |w| rnn_by_cell(w, &u, &b, &h0, &xs), &w, &g.w);
            assert_fd(&at, |u| rnn_by_cell(&w, u, &b, &h0, &xs), &u, &g.u);
            assert_fd(&at, |b| rnn_by_cell(&w, &u, b, &h0, &xs), &b, &g.b);
        }
    }
}

// ============================================================================== pullbacks

/// The caller's `_pullback` scales with the cotangent; a matrix-valued callee's `_pullback`
/// gives the vector-Jacobian product.
#[test]
fn pullbacks() {
    let mut rng = rng(7);
    for &(m, n) in SHAPES {
        let (w, x, b) = (
            dmatrix(&mut rng, m, n),
            dvector(&mut rng, n),
            dvector(&mut rng, m),
        );
        let at = format!("{m}×{n}");
        let (v, pullback) = composed_pullback(&w, &x, &b);
        let (v_grad, g) = composed_grad(&w, &x, &b);
        assert_eq!(v, v_grad);
        let scaled = pullback(&-1.5);
        assert_closed(&at, &scaled.w, &(&g.w * -1.5));
        assert_closed(&at, &scaled.x, &(&g.x * -1.5));
        assert_closed(&at, &scaled.b, &(&g.b * -1.5));

        // affine: for a cotangent ȳ, W̄ = ȳxᵀ, x̄ = Wᵀȳ, b̄ = ȳ; checked by finite differences
        // of ȳ·(Wx + b).
        let ybar = dvector(&mut rng, m);
        let (y, pullback) = affine_pullback(&w, &x, &b);
        assert_eq!(y, &w * &x + &b);
        let g = pullback(&ybar);
        assert_fd(&at, |w| ybar.dot(&affine(w, &x, &b)), &w, &g.w);
        assert_fd(&at, |x| ybar.dot(&affine(&w, x, &b)), &x, &g.x);
        assert_fd(&at, |b| ybar.dot(&affine(&w, &x, b)), &b, &g.b);

        let (xm, s) = (dmatrix(&mut rng, m, n), uniform(&mut rng));
        let zbar = dmatrix(&mut rng, m, n);
        let (_, pullback) = squash_pullback(&xm, s);
        let g = pullback(&zbar);
        assert_fd(&at, |x| zbar.dot(&squash(x, s)), &xm, &g.x);
        assert_fd(&at, |s| zbar.dot(&squash(&xm, *s)), &s, &g.s);
    }
}
