//! The identities of the seed notes (`matrix-calculus-notes.md`, its Properties, Vector,
//! Trace and Matrix sections), each written as a `#[grad]` function and held to two
//! independent oracles on seeded random inputs of several shapes, non-square among them
//! wherever the identity allows:
//!
//! - the seed's closed form, computed here with plain nalgebra (relative error < 1e-8);
//! - central finite differences, through `matgrad::check_gradient` (relative error < 1e-6).
//!
//! The notation follows the seed: ∇ₓf has the shape of x, so ∇Ax = A is the Jacobian.

mod common;

use common::*;
use matgrad::{finite_difference, grad};
use nalgebra::{DMatrix, DVector, RowDVector};

/// `m×n` shapes for identities that take any matrix: a scalar-like one, tall, wide, square.
const SHAPES: &[(usize, usize)] = &[(1, 1), (3, 2), (2, 5), (4, 4)];

/// Vector lengths.
const LENGTHS: &[usize] = &[1, 3, 7];

/// Sizes of square matrices.
const SIZES: &[usize] = &[1, 2, 3, 5];

/// A scalar function of a vector.
type VectorFn = fn(&DVector<f64>) -> f64;

/// The value and gradient of a [`VectorFn`].
type VectorGradFn = fn(&DVector<f64>) -> (f64, DVector<f64>);

/// A scalar function of three matrices.
type TripleFn = fn(&DMatrix<f64>, &DMatrix<f64>, &DMatrix<f64>) -> f64;

/// `E_ij`: the `m×n` matrix with a one at `(i, j)` and zeros elsewhere.
fn unit(m: usize, n: usize, i: usize, j: usize) -> DMatrix<f64> {
    let mut e = DMatrix::zeros(m, n);
    e[(i, j)] = 1.0;
    e
}

// ================================================================================ Oracles

/// The oracles can fail: ∇tr(AX) given as A instead of Aᵀ is caught by the closed form.
#[test]
#[should_panic(expected = "not the closed form")]
fn closed_form_oracle_rejects_a_transposed_gradient() {
    let mut rng = rng(100);
    let a = dmatrix(&mut rng, 3, 3);
    let x = dmatrix(&mut rng, 3, 3);
    let (_, g) = tr_ax_grad(&a, &x);
    assert_closed("tr(AX)", &g.x, &a);
}

/// The oracles can fail: ∇tr(AX) given as A instead of Aᵀ is caught by finite differences.
#[test]
#[should_panic(expected = "disagrees with finite differences")]
fn finite_difference_oracle_rejects_a_transposed_gradient() {
    let mut rng = rng(100);
    let a = dmatrix(&mut rng, 3, 3);
    let x = dmatrix(&mut rng, 3, 3);
    assert_fd("tr(AX)", |x| tr_ax(&a, x), &x, &a);
}

// ============================================================================= Properties

/// `xᵀAx` written over a column vector.
#[grad(x)]
fn quadratic_column(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    (x.transpose() * a * x)[(0, 0)]
}

/// The same `xᵀAx`, written over the row vector `xt = xᵀ`.
#[grad(xt)]
fn quadratic_row(a: &DMatrix<f64>, xt: &RowDVector<f64>) -> f64 {
    (xt * a * xt.transpose())[(0, 0)]
}

/// ∇ₓf = (∇_{xᵀ} f)ᵀ
#[test]
fn grad_wrt_x_is_transpose_of_grad_wrt_xt() {
    let mut rng = rng(101);
    for &n in LENGTHS {
        let a = dmatrix(&mut rng, n, n);
        let x = dvector(&mut rng, n);
        let xt = x.transpose();
        let (v_col, g_col) = quadratic_column_grad(&a, &x);
        let (v_row, g_row) = quadratic_row_grad(&a, &xt);
        let at = format!("n = {n}");
        assert_value(&at, v_col, quadratic_column(&a, &x));
        assert_value(&at, v_row, v_col);
        assert_fd(&at, |x| quadratic_column(&a, x), &x, &g_col.x);
        assert_fd(&at, |xt| quadratic_row(&a, xt), &xt, &g_row.xt);
        assert_closed(&at, &g_col.x, &g_row.xt.transpose());
    }
}

/// `tr(XAXᵀB)`, a function of a matrix with a gradient that is not symmetric in anything.
#[grad(x)]
fn tr_xaxtb(x: &DMatrix<f64>, a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    (x * a * x.transpose() * b).trace()
}

/// δf ≈ Σᵢⱼ (∇_X f)ᵢⱼ (δX)ᵢⱼ = tr((∇f)ᵀ δX)
#[test]
fn directional_derivative_is_tr_grad_t_delta() {
    let mut rng = rng(102);
    for &(m, n) in SHAPES {
        let x = dmatrix(&mut rng, m, n);
        let a = dmatrix(&mut rng, n, n);
        let b = dmatrix(&mut rng, m, m);
        let delta = dmatrix(&mut rng, m, n);
        let (_, g) = tr_xaxtb_grad(&x, &a, &b);
        let predicted = (g.x.transpose() * &delta).trace();
        // The directional derivative along δX, by a central difference in one variable t.
        let numeric = finite_difference(|t: &f64| tr_xaxtb(&(&x + &delta * *t), &a, &b), &0.0);
        let err = (predicted - numeric).abs() / predicted.abs().max(numeric.abs()).max(1.0);
        assert!(
            err < FD_TOL,
            "{m}×{n}: tr((∇f)ᵀδX) = {predicted}, but the difference quotient is {numeric}"
        );
    }
}

/// `u(x) = (Bx) ⊙ (Bx)`, a non-linear vector function of x.
fn u_of(b: &DMatrix<f64>, x: &DVector<f64>) -> DVector<f64> {
    let bx = b * x;
    bx.component_mul(&bx)
}

/// `f(u) = cᵀu + ‖u‖²`.
#[grad(u)]
fn f_of_u(c: &DVector<f64>, u: &DVector<f64>) -> f64 {
    c.dot(u) + u.norm_squared()
}

/// `f(u(x))`, written in one function.
#[grad(x)]
fn f_of_u_of_x(b: &DMatrix<f64>, c: &DVector<f64>, x: &DVector<f64>) -> f64 {
    let bx = b * x;
    let u = bx.component_mul(&bx);
    c.dot(&u) + u.norm_squared()
}

/// y = f(u), u = g(x) ⇒ ∂f/∂x = (∂u/∂x)ᵀ ∂f/∂u
#[test]
fn chain_rule_vector() {
    let mut rng = rng(103);
    for &(m, n) in SHAPES {
        let b = dmatrix(&mut rng, m, n);
        let c = dvector(&mut rng, m);
        let x = dvector(&mut rng, n);
        let u = u_of(&b, &x);
        // ∂u/∂x (m×n) by finite differences of u, one row per component uᵢ.
        let mut jacobian = DMatrix::zeros(m, n);
        for i in 0..m {
            let row = finite_difference(|x| u_of(&b, x)[i], &x);
            jacobian.set_row(i, &row.transpose());
        }
        let (_, df_du) = f_of_u_grad(&c, &u);
        let at = format!("{m}×{n}");
        assert_fd(&at, |u| f_of_u(&c, u), &u, &df_du.u);
        let (_, g) = f_of_u_of_x_grad(&b, &c, &x);
        assert_fd(&at, |x| f_of_u_of_x(&b, &c, x), &x, &g.x);
        // The Jacobian is only as good as finite differences, so so is the comparison.
        let chained = jacobian.transpose() * &df_du.u;
        let e = rel_error(&g.x, &chained);
        assert!(
            e < FD_TOL,
            "{at}: (∂u/∂x)ᵀ∂f/∂u is {chained}, the gradient {}",
            g.x
        );
    }
}

// ================================================================================= Vector

/// `cᵀAx`: the contraction of `Ax` with a fixed `c`.
#[grad(x)]
fn c_dot_ax(c: &DVector<f64>, a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    c.dot(&(a * x))
}

/// `(Ax)ᵢ`: one component of `Ax`.
#[grad(x)]
fn ax_component(a: &DMatrix<f64>, x: &DVector<f64>, i: usize) -> f64 {
    let y = a * x;
    y[i]
}

/// ∇Ax = A (checked as ∇(cᵀAx) = Aᵀc, and row by row: ∇(Ax)ᵢ is row i of A)
#[test]
fn grad_ax_is_a() {
    let mut rng = rng(1);
    for &(m, n) in SHAPES {
        let a = dmatrix(&mut rng, m, n);
        let x = dvector(&mut rng, n);
        let c = dvector(&mut rng, m);
        let at = format!("{m}×{n}");
        let (value, g) = c_dot_ax_grad(&c, &a, &x);
        assert_value(&at, value, c_dot_ax(&c, &a, &x));
        assert_closed(&at, &g.x, &(a.transpose() * &c));
        assert_fd(&at, |x| c_dot_ax(&c, &a, x), &x, &g.x);

        let mut jacobian = DMatrix::zeros(m, n);
        for i in 0..m {
            let (value, g) = ax_component_grad(&a, &x, i);
            assert_value(&at, value, (&a * &x)[i]);
            assert_fd(&at, |x| ax_component(&a, x, i), &x, &g.x);
            jacobian.set_row(i, &g.x.transpose());
        }
        assert_closed(&at, &jacobian, &a);
    }
}

/// `aᵀx` as a dot product.
#[grad(x)]
fn a_dot_x(a: &DVector<f64>, x: &DVector<f64>) -> f64 {
    a.dot(x)
}

/// `aᵀx` as a row times a column.
#[grad(x)]
fn a_transpose_x(a: &DVector<f64>, x: &DVector<f64>) -> f64 {
    (a.transpose() * x)[(0, 0)]
}

/// ∇(aᵀx) = a
#[test]
fn grad_a_transpose_x_is_a() {
    let mut rng = rng(2);
    for &n in LENGTHS {
        let a = dvector(&mut rng, n);
        let x = dvector(&mut rng, n);
        let at = format!("n = {n}");
        let (value, g) = a_dot_x_grad(&a, &x);
        assert_value(&at, value, a.dot(&x));
        assert_closed(&at, &g.x, &a);
        assert_fd(&at, |x| a_dot_x(&a, x), &x, &g.x);
        let (value, g) = a_transpose_x_grad(&a, &x);
        assert_value(&at, value, a.dot(&x));
        assert_closed(&at, &g.x, &a);
        assert_fd(&at, |x| a_transpose_x(&a, x), &x, &g.x);
    }
}

/// `‖x‖²` by `.norm_squared()`.
#[grad]
fn norm_squared(x: &DVector<f64>) -> f64 {
    x.norm_squared()
}

/// `xᵀx` by `.dot()`.
#[grad]
fn x_dot_x(x: &DVector<f64>) -> f64 {
    x.dot(x)
}

/// `xᵀx` as a row times a column.
#[grad]
fn x_transpose_x(x: &DVector<f64>) -> f64 {
    (x.transpose() * x)[(0, 0)]
}

/// ∇‖x‖₂² = ∇(xᵀx) = 2x
#[test]
fn grad_norm_squared_is_2x() {
    let mut rng = rng(3);
    for &n in LENGTHS {
        let x = dvector(&mut rng, n);
        let at = format!("n = {n}");
        let expected = 2.0 * &x;
        let forms: [(&str, VectorFn, VectorGradFn); 3] = [
            ("‖x‖²", norm_squared, |x| {
                let (v, g) = norm_squared_grad(x);
                (v, g.x)
            }),
            ("x·x", x_dot_x, |x| {
                let (v, g) = x_dot_x_grad(x);
                (v, g.x)
            }),
            ("xᵀx", x_transpose_x, |x| {
                let (v, g) = x_transpose_x_grad(x);
                (v, g.x)
            }),
        ];
        for (name, f, f_grad) in forms {
            let at = format!("{name}, {at}");
            let (value, g) = f_grad(&x);
            assert_value(&at, value, x.iter().map(|v| v * v).sum());
            assert_closed(&at, &g, &expected);
            assert_fd(&at, f, &x, &g);
        }
    }
}

/// `xᵀAx` written as `x · (Ax)`.
#[grad(x)]
fn quadratic_dot(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    x.dot(&(a * x))
}

/// `xᵀAx` written as the 1×1 product `xᵀ·A·x`.
#[grad(x)]
fn quadratic_product(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    (x.transpose() * a * x)[(0, 0)]
}

/// ∇(xᵀAx) = (A + Aᵀ)x
#[test]
fn grad_xtax_is_a_plus_at_x() {
    let mut rng = rng(4);
    for &n in &[1, 3, 6] {
        // A is not symmetric, so (A + Aᵀ)x differs from 2Ax.
        let a = dmatrix(&mut rng, n, n);
        let x = dvector(&mut rng, n);
        let expected = (&a + a.transpose()) * &x;
        let at = format!("x·(Ax), n = {n}");
        let (value, g) = quadratic_dot_grad(&a, &x);
        assert_value(&at, value, quadratic_dot(&a, &x));
        assert_closed(&at, &g.x, &expected);
        assert_fd(&at, |x| quadratic_dot(&a, x), &x, &g.x);
        let at = format!("xᵀAx, n = {n}");
        let (value, g) = quadratic_product_grad(&a, &x);
        assert_value(&at, value, quadratic_dot(&a, &x));
        assert_closed(&at, &g.x, &expected);
        assert_fd(&at, |x| quadratic_product(&a, x), &x, &g.x);
    }
}

/// `uᵀv` with `u = Bx`, `v = Cx`.
#[grad(x)]
fn u_dot_v(b: &DMatrix<f64>, c: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let u = b * x;
    let v = c * x;
    u.dot(&v)
}

/// ∇(uᵀv) = (∇ₓu)ᵀv + (∇ₓv)ᵀu, here with ∇u = B, ∇v = C: Bᵀv + Cᵀu
#[test]
fn grad_u_transpose_v_product_rule() {
    let mut rng = rng(5);
    for &(m, n) in SHAPES {
        let b = dmatrix(&mut rng, m, n);
        let c = dmatrix(&mut rng, m, n);
        let x = dvector(&mut rng, n);
        let (u, v) = (&b * &x, &c * &x);
        let at = format!("{m}×{n}");
        let (value, g) = u_dot_v_grad(&b, &c, &x);
        assert_value(&at, value, u.dot(&v));
        assert_closed(&at, &g.x, &(b.transpose() * &v + c.transpose() * &u));
        assert_fd(&at, |x| u_dot_v(&b, &c, x), &x, &g.x);
    }
}

/// `cᵀ(α(x) f(x))` with `α = aᵀx` and `f = Bx`.
#[grad(x)]
fn c_dot_alpha_f(a: &DVector<f64>, b: &DMatrix<f64>, c: &DVector<f64>, x: &DVector<f64>) -> f64 {
    let alpha = a.dot(x);
    let f = b * x;
    c.dot(&(alpha * f))
}

/// ∇ₓ(α(x)f(x)) = f(x)∇_{xᵀ}α(x) + α(x)∇ₓf(x), here f aᵀ + αB, contracted with c
#[test]
fn grad_alpha_f_product_rule() {
    let mut rng = rng(6);
    for &(m, n) in SHAPES {
        let a = dvector(&mut rng, n);
        let b = dmatrix(&mut rng, m, n);
        let c = dvector(&mut rng, m);
        let x = dvector(&mut rng, n);
        let alpha = a.dot(&x);
        let f = &b * &x;
        // The Jacobian of αf by the seed's rule, then the gradient of cᵀ(αf) through it.
        let jacobian = &f * a.transpose() + alpha * &b;
        let at = format!("{m}×{n}");
        let (value, g) = c_dot_alpha_f_grad(&a, &b, &c, &x);
        assert_value(&at, value, alpha * c.dot(&f));
        assert_closed(&at, &g.x, &(jacobian.transpose() * &c));
        assert_fd(&at, |x| c_dot_alpha_f(&a, &b, &c, x), &x, &g.x);
    }
}

// ================================================================================== Trace

#[grad]
fn tr_abc(a: &DMatrix<f64>, b: &DMatrix<f64>, c: &DMatrix<f64>) -> f64 {
    (a * b * c).trace()
}

#[grad]
fn tr_bca(a: &DMatrix<f64>, b: &DMatrix<f64>, c: &DMatrix<f64>) -> f64 {
    (b * c * a).trace()
}

#[grad]
fn tr_cab(a: &DMatrix<f64>, b: &DMatrix<f64>, c: &DMatrix<f64>) -> f64 {
    (c * a * b).trace()
}

/// tr(A₁A₂⋯Aₙ) = tr(A₂A₃⋯AₙA₁) = ⋯ = tr(AₙA₁⋯Aₙ₋₁), here tr(ABC) = tr(BCA) = tr(CAB),
/// as values and as gradients (∇_A = (BC)ᵀ, ∇_B = (CA)ᵀ, ∇_C = (AB)ᵀ)
#[test]
fn trace_is_cyclic() {
    let mut rng = rng(7);
    // A is m×n, B n×p, C p×m: the three products are m×m, n×n and p×p.
    for &(m, n, p) in &[(1, 1, 1), (2, 3, 4), (3, 1, 2), (4, 4, 4), (5, 2, 3)] {
        let a = dmatrix(&mut rng, m, n);
        let b = dmatrix(&mut rng, n, p);
        let c = dmatrix(&mut rng, p, m);
        let value = (&a * &b * &c).trace();
        let ga = (&b * &c).transpose();
        let gb = (&c * &a).transpose();
        let gc = (&a * &b).transpose();
        let forms: [(&str, TripleFn); 3] = [
            ("tr(ABC)", tr_abc),
            ("tr(BCA)", tr_bca),
            ("tr(CAB)", tr_cab),
        ];
        // Each form's value and gradients (∇_A, ∇_B, ∇_C).
        let (v, g) = tr_abc_grad(&a, &b, &c);
        let abc = (v, [g.a, g.b, g.c]);
        let (v, g) = tr_bca_grad(&a, &b, &c);
        let bca = (v, [g.a, g.b, g.c]);
        let (v, g) = tr_cab_grad(&a, &b, &c);
        let cab = (v, [g.a, g.b, g.c]);
        let results = [abc, bca, cab];
        for ((name, f), (v, [g_a, g_b, g_c])) in forms.into_iter().zip(&results) {
            let at = format!("{name} at {m}×{n}×{p}");
            assert_value(&at, *v, value);
            assert_value(&at, f(&a, &b, &c), value);
            assert_closed(&format!("∇_A {at}"), g_a, &ga);
            assert_closed(&format!("∇_B {at}"), g_b, &gb);
            assert_closed(&format!("∇_C {at}"), g_c, &gc);
            assert_fd(&format!("∇_A {at}"), |a| f(a, &b, &c), &a, g_a);
            assert_fd(&format!("∇_B {at}"), |b| f(&a, b, &c), &b, g_b);
            assert_fd(&format!("∇_C {at}"), |c| f(&a, &b, c), &c, g_c);
        }
        // The three forms' gradients agree with each other, not just with the closed form.
        for (_, grads) in &results[1..] {
            for (k, g) in grads.iter().enumerate() {
                assert_closed("the gradients of two cyclic forms", g, &results[0].1[k]);
            }
        }
    }
}

#[grad]
fn frobenius_squared(a: &DMatrix<f64>) -> f64 {
    a.norm_squared()
}

#[grad]
fn trace_at_a(a: &DMatrix<f64>) -> f64 {
    (a.transpose() * a).trace()
}

/// ‖A‖²_F = tr(AᵀA), as values and as gradients (both 2A)
#[test]
fn frobenius_norm_squared_is_trace_at_a() {
    let mut rng = rng(8);
    for &(m, n) in SHAPES {
        let a = dmatrix(&mut rng, m, n);
        let at = format!("{m}×{n}");
        let (v_frob, g_frob) = frobenius_squared_grad(&a);
        let (v_trace, g_trace) = trace_at_a_grad(&a);
        let sum_of_squares: f64 = a.iter().map(|v| v * v).sum();
        assert_value(&at, v_frob, sum_of_squares);
        assert_value(&at, v_trace, sum_of_squares);
        assert_value(&at, frobenius_squared(&a), trace_at_a(&a));
        assert_closed(&at, &g_frob.a, &g_trace.a);
        assert_closed(&at, &g_frob.a, &(2.0 * &a));
        assert_fd(&at, frobenius_squared, &a, &g_frob.a);
        assert_fd(&at, trace_at_a, &a, &g_trace.a);
    }
}

#[grad(x)]
fn tr_at_x(a: &DMatrix<f64>, x: &DMatrix<f64>) -> f64 {
    (a.transpose() * x).trace()
}

/// ∇tr(AᵀX) = A
#[test]
fn grad_tr_at_x_is_a() {
    let mut rng = rng(9);
    for &(m, n) in SHAPES {
        let a = dmatrix(&mut rng, m, n);
        let x = dmatrix(&mut rng, m, n);
        let at = format!("{m}×{n}");
        let (value, g) = tr_at_x_grad(&a, &x);
        assert_value(&at, value, a.dot(&x));
        assert_closed(&at, &g.x, &a);
        assert_fd(&at, |x| tr_at_x(&a, x), &x, &g.x);
    }
}

#[grad(x)]
fn tr_a_xt(a: &DMatrix<f64>, x: &DMatrix<f64>) -> f64 {
    (a * x.transpose()).trace()
}

/// ∇tr(AXᵀ) = A
#[test]
fn grad_tr_a_xt_is_a() {
    let mut rng = rng(10);
    for &(m, n) in SHAPES {
        let a = dmatrix(&mut rng, m, n);
        let x = dmatrix(&mut rng, m, n);
        let at = format!("{m}×{n}");
        let (value, g) = tr_a_xt_grad(&a, &x);
        assert_value(&at, value, a.dot(&x));
        assert_closed(&at, &g.x, &a);
        assert_fd(&at, |x| tr_a_xt(&a, x), &x, &g.x);
    }
}

#[grad(x)]
fn tr_ax(a: &DMatrix<f64>, x: &DMatrix<f64>) -> f64 {
    (a * x).trace()
}

/// ∇tr(AX) = Aᵀ
#[test]
fn grad_tr_ax_is_at() {
    let mut rng = rng(11);
    for &(m, n) in SHAPES {
        // X is m×n, so A is n×m and AX is n×n.
        let a = dmatrix(&mut rng, n, m);
        let x = dmatrix(&mut rng, m, n);
        let at = format!("X {m}×{n}");
        let (value, g) = tr_ax_grad(&a, &x);
        assert_value(&at, value, a.transpose().dot(&x));
        assert_closed(&at, &g.x, &a.transpose());
        assert_fd(&at, |x| tr_ax(&a, x), &x, &g.x);
    }
}

#[grad(x)]
fn tr_xa(a: &DMatrix<f64>, x: &DMatrix<f64>) -> f64 {
    (x * a).trace()
}

/// ∇tr(XA) = Aᵀ
#[test]
fn grad_tr_xa_is_at() {
    let mut rng = rng(12);
    for &(m, n) in SHAPES {
        // X is m×n, so A is n×m and XA is m×m.
        let a = dmatrix(&mut rng, n, m);
        let x = dmatrix(&mut rng, m, n);
        let at = format!("X {m}×{n}");
        let (value, g) = tr_xa_grad(&a, &x);
        assert_value(&at, value, a.transpose().dot(&x));
        assert_closed(&at, &g.x, &a.transpose());
        assert_fd(&at, |x| tr_xa(&a, x), &x, &g.x);
    }
}

/// ∇tr(XAXᵀB) = BᵀXAᵀ + BXA
#[test]
fn grad_tr_xaxtb_is_bt_x_at_plus_bxa() {
    let mut rng = rng(13);
    for &(m, n) in SHAPES {
        // X is m×n, A n×n, B m×m; neither A nor B is symmetric.
        let x = dmatrix(&mut rng, m, n);
        let a = dmatrix(&mut rng, n, n);
        let b = dmatrix(&mut rng, m, m);
        let at = format!("X {m}×{n}");
        let (value, g) = tr_xaxtb_grad(&x, &a, &b);
        assert_value(&at, value, (&x * &a * x.transpose() * &b).trace());
        let expected = b.transpose() * &x * a.transpose() + &b * &x * &a;
        assert_closed(&at, &g.x, &expected);
        assert_fd(&at, |x| tr_xaxtb(x, &a, &b), &x, &g.x);
    }
}

/// `aᵀXb` as the 1×1 product.
#[grad(x)]
fn at_x_b(a: &DVector<f64>, x: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    (a.transpose() * x * b)[(0, 0)]
}

/// `aᵀXb` as `a · (Xb)`.
#[grad(x)]
fn a_dot_x_b(a: &DVector<f64>, x: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    a.dot(&(x * b))
}

/// ∇aᵀXb = abᵀ
#[test]
fn grad_at_x_b_is_a_bt() {
    let mut rng = rng(14);
    for &(m, n) in SHAPES {
        let a = dvector(&mut rng, m);
        let x = dmatrix(&mut rng, m, n);
        let b = dvector(&mut rng, n);
        let expected = &a * b.transpose();
        let at = format!("X {m}×{n}");
        let (value, g) = at_x_b_grad(&a, &x, &b);
        assert_value(&at, value, a.dot(&(&x * &b)));
        assert_closed(&at, &g.x, &expected);
        assert_fd(&at, |x| at_x_b(&a, x, &b), &x, &g.x);
        let (value, g) = a_dot_x_b_grad(&a, &x, &b);
        assert_value(&at, value, a.dot(&(&x * &b)));
        assert_closed(&at, &g.x, &expected);
        assert_fd(&at, |x| a_dot_x_b(&a, x, &b), &x, &g.x);
    }
}

#[grad(x)]
fn at_xt_x_a(a: &DVector<f64>, x: &DMatrix<f64>) -> f64 {
    (a.transpose() * x.transpose() * x * a)[(0, 0)]
}

/// ∇aᵀXᵀXa = 2Xaaᵀ
#[test]
fn grad_at_xt_x_a_is_2_x_a_at() {
    let mut rng = rng(15);
    for &(m, n) in SHAPES {
        let a = dvector(&mut rng, n);
        let x = dmatrix(&mut rng, m, n);
        let at = format!("X {m}×{n}");
        let (value, g) = at_xt_x_a_grad(&a, &x);
        assert_value(&at, value, (&x * &a).norm_squared());
        assert_closed(&at, &g.x, &(2.0 * &x * &a * a.transpose()));
        assert_fd(&at, |x| at_xt_x_a(&a, x), &x, &g.x);
    }
}

#[grad]
fn det(x: &DMatrix<f64>) -> f64 {
    x.determinant()
}

/// ∇ₓ|X| = |X|(X⁻¹)ᵀ
#[test]
fn grad_det_is_det_times_inverse_transpose() {
    let mut rng = rng(16);
    for &n in SIZES {
        let x = well_conditioned(&mut rng, n);
        let at = format!("{n}×{n}");
        let inverse = x.clone().try_inverse().expect("well-conditioned");
        let (value, g) = det_grad(&x);
        assert_value(&at, value, x.determinant());
        assert_closed(&at, &g.x, &(x.determinant() * inverse.transpose()));
        assert_fd(&at, det, &x, &g.x);
    }
}

// ================================================================================= Matrix

/// `f(U) = Σ C⊙U + ‖U‖²_F`, so ∇_U f = C + 2U.
#[grad(u)]
fn f_of_matrix(u: &DMatrix<f64>, c: &DMatrix<f64>) -> f64 {
    u.component_mul(c).sum() + u.norm_squared()
}

/// `f(G(X))` with `G(X) = XAXᵀ`.
#[grad(x)]
fn f_of_xaxt(x: &DMatrix<f64>, a: &DMatrix<f64>, c: &DMatrix<f64>) -> f64 {
    let u = x * a * x.transpose();
    u.component_mul(c).sum() + u.norm_squared()
}

/// y = f(U), U = G(X) ⇒ ∂y/∂xᵢⱼ = tr((∂y/∂U)ᵀ ∂U/∂xᵢⱼ), here with G(X) = XAXᵀ, so
/// ∂U/∂xᵢⱼ = EᵢⱼAXᵀ + XAEᵢⱼᵀ
#[test]
fn chain_rule_matrix_trace_form() {
    let mut rng = rng(17);
    for &(m, n) in SHAPES {
        let x = dmatrix(&mut rng, m, n);
        let a = dmatrix(&mut rng, n, n);
        let c = dmatrix(&mut rng, m, m);
        let u = &x * &a * x.transpose();
        let at = format!("X {m}×{n}");
        let (_, df_du) = f_of_matrix_grad(&u, &c);
        assert_closed(&at, &df_du.u, &(&c + 2.0 * &u));
        assert_fd(&at, |u| f_of_matrix(u, &c), &u, &df_du.u);

        let expected = DMatrix::from_fn(m, n, |i, j| {
            let e = unit(m, n, i, j);
            let du = &e * &a * x.transpose() + &x * &a * e.transpose();
            (df_du.u.transpose() * du).trace()
        });
        let (value, g) = f_of_xaxt_grad(&x, &a, &c);
        assert_value(&at, value, f_of_matrix(&u, &c));
        assert_closed(&at, &g.x, &expected);
        assert_fd(&at, |x| f_of_xaxt(x, &a, &c), &x, &g.x);
    }
}

/// `f(AX + B)` with the `f` of [`f_of_matrix`].
#[grad(x)]
fn f_of_ax_plus_b(a: &DMatrix<f64>, x: &DMatrix<f64>, b: &DMatrix<f64>, c: &DMatrix<f64>) -> f64 {
    let y = a * x + b;
    y.component_mul(c).sum() + y.norm_squared()
}

/// f: ℝ^{m×p} → ℝ, Y = AX + B ⇒ ∇_X f(AX + B) = Aᵀ∇_Y f
#[test]
fn grad_f_of_ax_plus_b_is_at_grad_f() {
    let mut rng = rng(18);
    // A is m×k, X k×p, B and C m×p.
    for &(m, k, p) in &[(1, 1, 1), (3, 2, 4), (2, 5, 1), (4, 4, 4)] {
        let a = dmatrix(&mut rng, m, k);
        let x = dmatrix(&mut rng, k, p);
        let b = dmatrix(&mut rng, m, p);
        let c = dmatrix(&mut rng, m, p);
        let y = &a * &x + &b;
        let at = format!("A {m}×{k}, X {k}×{p}");
        // ∇_Y f, twice: by hand, and by `#[grad]` on f alone (checked by finite differences).
        let grad_f = &c + 2.0 * &y;
        let (_, df_dy) = f_of_matrix_grad(&y, &c);
        assert_closed(&at, &df_dy.u, &grad_f);
        assert_fd(&at, |y| f_of_matrix(y, &c), &y, &df_dy.u);

        let (value, g) = f_of_ax_plus_b_grad(&a, &x, &b, &c);
        assert_value(&at, value, f_of_matrix(&y, &c));
        assert_closed(&at, &g.x, &(a.transpose() * &grad_f));
        assert_closed(&at, &g.x, &(a.transpose() * &df_dy.u));
        assert_fd(&at, |x| f_of_ax_plus_b(&a, x, &b, &c), &x, &g.x);
    }
}

/// `f(Ax + b) = ‖Ax + b‖⁴`, whose Hessian is not constant.
#[grad(x)]
fn quartic_of_ax_plus_b(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
    let y = a * x + b;
    y.norm_squared().powi(2)
}

/// `f(y) = ‖y‖⁴`: ∇f = 4‖y‖²y, ∇²f = 4‖y‖²I + 8yyᵀ.
#[grad]
fn quartic(y: &DVector<f64>) -> f64 {
    y.norm_squared().powi(2)
}

/// The Hessian of `f` at `x`: finite differences of the exact gradient `grad`, row by row.
fn hessian(grad: impl Fn(&DVector<f64>) -> DVector<f64>, x: &DVector<f64>) -> DMatrix<f64> {
    let n = x.len();
    let mut h = DMatrix::zeros(n, n);
    for i in 0..n {
        let row = finite_difference(|x| grad(x)[i], x);
        h.set_row(i, &row.transpose());
    }
    h
}

/// ∇²ₓf(Ax + b) = Aᵀ(∇²_y f)A, with the Hessians taken as finite differences of the
/// generated gradients
#[test]
fn hessian_of_f_of_ax_plus_b_is_at_hessian_a() {
    let mut rng = rng(19);
    for &(m, n) in SHAPES {
        let a = dmatrix(&mut rng, m, n);
        let x = dvector(&mut rng, n);
        let b = dvector(&mut rng, m);
        let y = &a * &x + &b;
        let at = format!("A {m}×{n}");

        let (_, g) = quartic_of_ax_plus_b_grad(&a, &x, &b);
        assert_closed(&at, &g.x, &(a.transpose() * (4.0 * y.norm_squared() * &y)));
        assert_fd(&at, |x| quartic_of_ax_plus_b(&a, x, &b), &x, &g.x);

        let (value, g) = quartic_grad(&y);
        assert_value(&at, value, quartic(&y));
        assert_closed(&at, &g.y, &(4.0 * y.norm_squared() * &y));
        assert_fd(&at, quartic, &y, &g.y);

        let h_x = hessian(|x| quartic_of_ax_plus_b_grad(&a, x, &b).1.x, &x);
        let h_y = hessian(|y| quartic_grad(y).1.y, &y);
        let by_hand = 4.0 * y.norm_squared() * DMatrix::identity(m, m) + 8.0 * &y * y.transpose();
        for (what, got, expected) in [
            ("∇²_y f", &h_y, &by_hand),
            (
                "∇²ₓ f(Ax+b) vs Aᵀ(∇²_y f)A",
                &h_x,
                &(a.transpose() * &h_y * &a),
            ),
            (
                "∇²ₓ f(Ax+b) vs the closed form",
                &h_x,
                &(a.transpose() * &by_hand * &a),
            ),
        ] {
            let e = rel_error(got, expected);
            assert!(
                e < FD_TOL,
                "{what} at {at}: relative error {e:e}\n{got}\n{expected}"
            );
        }
    }
}

/// `f(XC + D)` with the `f` of [`f_of_matrix`].
#[grad(x)]
fn f_of_xc_plus_d(x: &DMatrix<f64>, c: &DMatrix<f64>, d: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    let y = x * c + d;
    y.component_mul(w).sum() + y.norm_squared()
}

/// ∇_X f(XC + D) = (∇_Y f)Cᵀ
#[test]
fn grad_f_of_xc_plus_d_is_grad_f_ct() {
    let mut rng = rng(20);
    // X is m×k, C k×p, D and W m×p.
    for &(m, k, p) in &[(1, 1, 1), (3, 2, 4), (2, 5, 1), (4, 4, 4)] {
        let x = dmatrix(&mut rng, m, k);
        let c = dmatrix(&mut rng, k, p);
        let d = dmatrix(&mut rng, m, p);
        let w = dmatrix(&mut rng, m, p);
        let y = &x * &c + &d;
        let at = format!("X {m}×{k}, C {k}×{p}");
        let grad_f = &w + 2.0 * &y;
        let (_, df_dy) = f_of_matrix_grad(&y, &w);
        assert_closed(&at, &df_dy.u, &grad_f);
        assert_fd(&at, |y| f_of_matrix(y, &w), &y, &df_dy.u);

        let (value, g) = f_of_xc_plus_d_grad(&x, &c, &d, &w);
        assert_value(&at, value, f_of_matrix(&y, &w));
        assert_closed(&at, &g.x, &(&grad_f * c.transpose()));
        assert_closed(&at, &g.x, &(&df_dy.u * c.transpose()));
        assert_fd(&at, |x| f_of_xc_plus_d(x, &c, &d, &w), &x, &g.x);
    }
}

// ======================================================================= Worked examples

/// ‖Ax − b‖², the seed's least-squares example.
#[grad]
fn least_squares(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
    let r = a * x - b;
    r.norm_squared()
}

/// ∇ₓ‖Ax − b‖² = 2Aᵀ(Ax − b) (and ∇_A = 2(Ax − b)xᵀ, ∇_b = −2(Ax − b))
#[test]
fn least_squares_gradient_is_2_at_residual() {
    let mut rng = rng(21);
    for &(m, n) in SHAPES {
        let a = dmatrix(&mut rng, m, n);
        let x = dvector(&mut rng, n);
        let b = dvector(&mut rng, m);
        let r = &a * &x - &b;
        let at = format!("A {m}×{n}");
        let (value, g) = least_squares_grad(&a, &x, &b);
        assert_value(&at, value, r.norm_squared());
        assert_closed(&at, &g.x, &(2.0 * a.transpose() * &r));
        assert_closed(&at, &g.a, &(2.0 * &r * x.transpose()));
        assert_closed(&at, &g.b, &(-2.0 * &r));
        assert_fd(&at, |x| least_squares(&a, x, &b), &x, &g.x);
        assert_fd(&at, |a| least_squares(a, &x, &b), &a, &g.a);
        assert_fd(&at, |b| least_squares(&a, &x, b), &b, &g.b);
    }
}

/// ‖XAᵀ − B‖²_F, the seed's Frobenius example.
#[grad(x)]
fn frobenius_residual(x: &DMatrix<f64>, a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    (x * a.transpose() - b).norm_squared()
}

/// ∇‖XAᵀ − B‖²_F = 2(XAᵀ − B)A
#[test]
fn frobenius_example_gradient_is_2_residual_a() {
    let mut rng = rng(22);
    // X is m×n, A p×n, B m×p.
    for &(m, n, p) in &[(1, 1, 1), (3, 2, 4), (2, 5, 3), (4, 4, 4)] {
        let x = dmatrix(&mut rng, m, n);
        let a = dmatrix(&mut rng, p, n);
        let b = dmatrix(&mut rng, m, p);
        let r = &x * a.transpose() - &b;
        let at = format!("X {m}×{n}, A {p}×{n}");
        let (value, g) = frobenius_residual_grad(&x, &a, &b);
        assert_value(&at, value, r.norm_squared());
        assert_closed(&at, &g.x, &(2.0 * &r * &a));
        assert_fd(&at, |x| frobenius_residual(x, &a, &b), &x, &g.x);
    }
}
