//! The activations `matgrad::{sigmoid, tanh, relu, softplus, abs}` called inside `#[grad]`
//! bodies, on scalars and on matrices, against central finite differences on seeded random
//! inputs of several shapes; `relu` and `abs` at exactly 0 (gradient 0); and `sigmoid`,
//! `softplus` and `tanh` at ±800 (finite values and gradients). `tanh` also agrees with
//! `.map(f64::tanh)`.

mod common;

use common::*;
use matgrad::{abs, grad, relu, sigmoid, softplus, tanh};
use nalgebra::{DMatrix, DVector, Matrix2x3};
use rand::rngs::StdRng;

/// `m×n` shapes: a scalar-like one, tall, wide, square.
const SHAPES: &[(usize, usize)] = &[(1, 1), (3, 2), (2, 5), (4, 4)];

/// Scalar points, a few of them large.
const POINTS: &[f64] = &[-5.0, -1.3, -0.2, 0.1, 0.7, 2.5, 12.0];

/// Reference σ(x), by the textbook formula (fine for |x| < 700).
fn sigma(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A random matrix whose entries are at least 0.05 away from 0, so that finite differences
/// do not step across the kink of `relu` or `abs`.
fn away_from_zero(rng: &mut StdRng, m: usize, n: usize) -> DMatrix<f64> {
    dmatrix(rng, m, n).map(|v| v.signum() * (0.05 + v.abs()) * 2.0)
}

// ================================================================================ scalars

#[grad]
fn scalar_sigmoid(x: f64) -> f64 {
    sigmoid(&x) * x
}

#[grad]
fn scalar_tanh(x: f64) -> f64 {
    tanh(&(x * 0.5)) + x * 0.1
}

#[grad]
fn scalar_relu(x: f64) -> f64 {
    relu(&x) * 3.0 + relu(&(-x))
}

#[grad]
fn scalar_softplus(x: f64) -> f64 {
    softplus(&x)
}

#[grad]
fn scalar_abs(x: f64) -> f64 {
    abs(&x) * 2.0
}

#[test]
fn on_scalars() {
    for &x in POINTS {
        let at = format!("x = {x}");

        let (v, g) = scalar_sigmoid_grad(x);
        assert_value(&at, v, sigma(x) * x);
        assert_fd(&at, |x| scalar_sigmoid(*x), &x, &g.x);
        let closed = sigma(x) * (1.0 - sigma(x)) * x + sigma(x);
        assert!((g.x - closed).abs() < 1e-12, "{at}: {} vs {closed}", g.x);

        let (v, g) = scalar_tanh_grad(x);
        assert_value(&at, v, (x * 0.5).tanh() + x * 0.1);
        assert_fd(&at, |x| scalar_tanh(*x), &x, &g.x);

        let (v, g) = scalar_relu_grad(x);
        assert_value(&at, v, scalar_relu(x));
        assert_eq!(g.x, if x > 0.0 { 3.0 } else { -1.0 }, "{at}");
        assert_fd(&at, |x| scalar_relu(*x), &x, &g.x);

        let (v, g) = scalar_softplus_grad(x);
        assert_value(&at, v, (1.0 + x.exp()).ln());
        assert!((g.x - sigma(x)).abs() < 1e-15, "{at}: {} vs σ", g.x);
        assert_fd(&at, |x| scalar_softplus(*x), &x, &g.x);

        let (v, g) = scalar_abs_grad(x);
        assert_value(&at, v, 2.0 * x.abs());
        assert_eq!(g.x, 2.0 * x.signum(), "{at}");
        assert_fd(&at, |x| scalar_abs(*x), &x, &g.x);
    }
}

// =============================================================================== matrices

#[grad(x, w)]
fn matrix_sigmoid(x: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    sigmoid(&(x * 2.0)).dot(w)
}

#[grad(x, w)]
fn matrix_tanh(x: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    tanh(x).component_mul(w).sum() + tanh(&(x + w)).norm_squared()
}

#[grad(x, w)]
fn matrix_relu(x: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    relu(x).dot(w) + relu(&(-x)).norm_squared()
}

#[grad(x, w)]
fn matrix_softplus(x: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    softplus(&(x * 3.0)).dot(w)
}

#[grad(x, w)]
fn matrix_abs(x: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    abs(x).dot(w) + abs(&(x * 0.5)).sum()
}

/// Every activation in one chain: a two-layer network on a vector.
#[grad(a, b)]
fn network(a: &DMatrix<f64>, b: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let h = tanh(&(a * x));
    let r = relu(&h) + abs(&h) * 0.5;
    let o = sigmoid(&(b * r));
    softplus(&o).sum()
}

type MatrixFn = fn(&DMatrix<f64>, &DMatrix<f64>) -> f64;
type MatrixGrad = fn(&DMatrix<f64>, &DMatrix<f64>) -> (f64, DMatrix<f64>, DMatrix<f64>);

#[test]
fn on_matrices() {
    let cases: [(&str, MatrixFn, MatrixGrad); 5] = [
        ("sigmoid", matrix_sigmoid, |x, w| {
            let (v, g) = matrix_sigmoid_grad(x, w);
            (v, g.x, g.w)
        }),
        ("tanh", matrix_tanh, |x, w| {
            let (v, g) = matrix_tanh_grad(x, w);
            (v, g.x, g.w)
        }),
        ("relu", matrix_relu, |x, w| {
            let (v, g) = matrix_relu_grad(x, w);
            (v, g.x, g.w)
        }),
        ("softplus", matrix_softplus, |x, w| {
            let (v, g) = matrix_softplus_grad(x, w);
            (v, g.x, g.w)
        }),
        ("abs", matrix_abs, |x, w| {
            let (v, g) = matrix_abs_grad(x, w);
            (v, g.x, g.w)
        }),
    ];
    let mut rng = rng(1);
    for &(m, n) in SHAPES {
        for (name, f, f_grad) in cases {
            let (x, w) = (away_from_zero(&mut rng, m, n), dmatrix(&mut rng, m, n));
            let at = format!("{name} {m}×{n}");
            let (v, gx, gw) = f_grad(&x, &w);
            assert_value(&at, v, f(&x, &w));
            assert_fd(&at, |x| f(x, &w), &x, &gx);
            assert_fd(&at, |w| f(&x, w), &w, &gw);
        }
    }
    // Closed forms: ∇ₓ Σ w ⊙ σ(2x) = 2 w ⊙ σ′(2x); ∇ₓ Σ w ⊙ relu(x) + ‖relu(−x)‖² =
    // w ⊙ [x > 0] + 2x ⊙ [x < 0].
    let (x, w) = (away_from_zero(&mut rng, 3, 2), dmatrix(&mut rng, 3, 2));
    let (_, g) = matrix_sigmoid_grad(&x, &w);
    let closed = x.zip_map(&w, |x, w| 2.0 * w * sigma(2.0 * x) * (1.0 - sigma(2.0 * x)));
    assert_closed("sigmoid", &g.x, &closed);
    let (_, g) = matrix_relu_grad(&x, &w);
    let closed = x.zip_map(&w, |x, w| if x > 0.0 { w } else { 2.0 * x });
    assert_closed("relu", &g.x, &closed);
}

#[test]
fn all_in_one_network() {
    let mut rng = rng(2);
    for &(hidden, input) in &[(1, 1), (3, 2), (2, 5), (4, 4)] {
        let a = away_from_zero(&mut rng, hidden, input);
        let b = dmatrix(&mut rng, 2, hidden);
        let x = dvector(&mut rng, input);
        // Keep every pre-activation of relu and abs away from their kink.
        let h = (&a * &x).map(f64::tanh);
        if h.iter().any(|v| v.abs() < 1e-3) {
            continue;
        }
        let at = format!("{hidden}×{input}");
        let (v, g) = network_grad(&a, &b, &x);
        assert_value(&at, v, network(&a, &b, &x));
        assert_fd(&at, |a| network(a, &b, &x), &a, &g.a);
        assert_fd(&at, |b| network(&a, b, &x), &b, &g.b);
    }
}

/// The activations on a statically sized matrix.
#[grad]
fn static_matrix(x: &Matrix2x3<f64>) -> f64 {
    sigmoid(x).sum() + tanh(x).sum() + softplus(x).sum() + relu(x).sum() + abs(x).sum()
}

#[test]
fn on_static_matrices() {
    let mut rng = rng(3);
    for _ in 0..3 {
        let x = smatrix::<2, 3>(&mut rng).map(|v| v.signum() * (0.05 + v.abs()));
        let (v, g) = static_matrix_grad(&x);
        assert_value("2×3", v, static_matrix(&x));
        assert_fd("2×3", static_matrix, &x, &g.x);
    }
}

// ==================================================================== tanh as a map

#[grad]
fn tanh_call(x: &DMatrix<f64>) -> f64 {
    tanh(x).norm_squared()
}

#[grad]
fn tanh_map_path(x: &DMatrix<f64>) -> f64 {
    x.map(f64::tanh).norm_squared()
}

#[grad]
fn tanh_map_closure(x: &DMatrix<f64>) -> f64 {
    x.map(|v| v.tanh()).norm_squared()
}

#[test]
fn tanh_call_and_map_agree() {
    let mut rng = rng(4);
    for &(m, n) in SHAPES {
        let x = dmatrix(&mut rng, m, n) * 2.0;
        let at = format!("{m}×{n}");
        let (v, g) = tanh_call_grad(&x);
        let (v_path, g_path) = tanh_map_path_grad(&x);
        let (v_closure, g_closure) = tanh_map_closure_grad(&x);
        assert_value(&at, v, v_path);
        assert_value(&at, v, v_closure);
        assert_closed(&at, &g_path.x, &g.x);
        assert_closed(&at, &g_closure.x, &g.x);
        assert_fd(&at, tanh_call, &x, &g.x);
    }
}

// ======================================================================= at the kinks

#[test]
fn relu_and_abs_at_zero() {
    // Scalars: exactly zero.
    assert_eq!(scalar_relu_grad(0.0), (0.0, ScalarReluGrad { x: 0.0 }));
    assert_eq!(scalar_abs_grad(0.0), (0.0, ScalarAbsGrad { x: 0.0 }));
    assert_eq!(scalar_abs_grad(-0.0).1.x, 0.0);
    // Matrices: the zero entries get zero, the others their side's derivative.
    let x = DMatrix::from_row_slice(2, 3, &[0.0, 1.5, -2.0, -0.0, 0.0, 0.3]);
    let w = DMatrix::from_element(2, 3, 1.0);
    let (_, g) = matrix_relu_grad(&x, &w);
    let expected = DMatrix::from_row_slice(2, 3, &[0.0, 1.0, -4.0, 0.0, 0.0, 1.0]);
    assert_eq!(g.x, expected);
    let (_, g) = matrix_abs_grad(&x, &w);
    let expected = DMatrix::from_row_slice(2, 3, &[0.0, 1.5, -1.5, 0.0, 0.0, 1.5]);
    assert_eq!(g.x, expected);
}

// ========================================================================== at ±800

#[grad]
fn extremes(x: &DVector<f64>) -> f64 {
    sigmoid(x).sum() + softplus(x).sum() + tanh(x).sum()
}

#[test]
fn sigmoid_softplus_tanh_at_800() {
    for x in [800.0, -800.0] {
        let (v, g) = scalar_sigmoid_grad(x);
        assert!(
            v.is_finite() && g.x.is_finite(),
            "sigmoid at {x}: {v}, {}",
            g.x
        );
        assert_eq!(v, if x > 0.0 { x } else { 0.0 }, "σ({x})·{x}");
        let (v, g) = scalar_softplus_grad(x);
        assert_eq!(v, x.max(0.0), "softplus({x})");
        assert_eq!(g.x, if x > 0.0 { 1.0 } else { 0.0 }, "softplus′({x})");
        let (v, g) = scalar_tanh_grad(x);
        assert!(
            v.is_finite() && g.x.is_finite(),
            "tanh at {x}: {v}, {}",
            g.x
        );
        assert!((g.x - 0.1).abs() < 1e-15, "tanh′({x}) = {}", g.x - 0.1);
    }
    let x = DVector::from_vec(vec![800.0, -800.0, 0.0, 750.0, -750.0]);
    let (v, g) = extremes_grad(&x);
    // σ sums to 2.5 (1 + 0 + ½ + 1 + 0), softplus to 800 + ln 2 + 750, tanh to 0.
    let expected = 2.5 + 800.0 + 2f64.ln() + 750.0;
    assert!((v - expected).abs() < 1e-12 * expected, "{v} vs {expected}");
    // ∂/∂xᵢ = σ′ + σ + tanh′: 1 at +800, 0 at −800, ¼ + ½ + 1 at 0.
    let expected = DVector::from_vec(vec![1.0, 0.0, 1.75, 1.0, 0.0]);
    assert!(g.x.iter().all(|e| e.is_finite()), "{}", g.x);
    assert!(rel_error(&g.x, &expected) < 1e-15, "{} vs {expected}", g.x);
}
