//! Forward mode and second order through the activations and the normalised exponentials:
//! each function's `#[jvp]` tangent rule (and the rule's own `#[vjp]`), checked on floats and
//! on several shapes against the reverse-mode gradient and central differences, and at
//! logits of ±1 000.

use matgrad::{
    abs, grad, log_softmax, log_softmax_columns, log_softmax_rows, logsumexp, logsumexp_columns,
    logsumexp_rows, relu, sigmoid, softmax, softmax_columns, softmax_rows, softplus, tanh, Dense,
};
use nalgebra::{DMatrix, DVector, RowDVector, RowSVector, SMatrix, SVector};

/// Central differences' step.
const H: f64 = 1e-5;

/// `⟨a, b⟩` over every entry.
fn dot<V: Dense<Scalar = f64>>(a: &V, b: &V) -> f64 {
    a.entries()
        .iter()
        .zip(b.entries())
        .map(|(u, v)| u * v)
        .sum()
}

/// `|a − b| / max(|a|, |b|)`, 0 when both are 0.
fn rel(a: f64, b: f64) -> f64 {
    let scale = a.abs().max(b.abs());
    if scale == 0.0 {
        0.0
    } else {
        (a - b).abs() / scale
    }
}

/// `‖a − b‖ / max(‖a‖, ‖b‖)` over every entry, 0 when both are 0.
fn rel_entries<V: Dense<Scalar = f64>>(a: &V, b: &V) -> f64 {
    let diff = a.zip_entries(b, |u, v| u - v);
    let scale = dot(a, a).sqrt().max(dot(b, b).sqrt());
    if scale == 0.0 {
        0.0
    } else {
        dot(&diff, &diff).sqrt() / scale
    }
}

/// `x + h·v`.
fn shifted<V: Dense<Scalar = f64>>(x: &V, h: f64, v: &V) -> V {
    let mut out = x.clone();
    out.axpy(h, v);
    out
}

/// Entries in `±[0.2, 2]`, different for each seed (away from the kinks of `relu` and `abs`).
fn sample<V: Dense<Scalar = f64>>(like: V, seed: usize) -> V {
    like.map_entries(|k, _| {
        let v = 2.0 * ((k + 3 * seed) as f64 * 1.3 + 0.5).sin();
        if v.abs() < 0.2 {
            v + 0.5
        } else {
            v
        }
    })
}

/// Logits of ±1 000 (and 0, 999).
fn extreme<V: Dense<Scalar = f64>>(like: V) -> V {
    like.map_entries(|k, _| [1000.0, -1000.0, 0.0, 999.0, -999.5][k % 5])
}

/// The function under test and its companions, on one argument `x`.
struct Companions<F, G, J, Hv> {
    f: F,
    grad: G,
    jvp: J,
    hvp: Hv,
}

/// The companions of a function of `x: V`.
trait Check<V> {
    /// Checks the JVP against the gradient (1e-10) and central differences (1e-6), and the
    /// HVP against central differences of the gradient (1e-5); prints the relative errors.
    fn check(&self, name: &str, x: &V, v: &V);
    /// Checks that the JVP, the gradient and the HVP are finite at `x` (logits of ±1 000).
    fn check_finite(&self, name: &str, x: &V, v: &V);
}

impl<V, F, G, J, Hv> Check<V> for Companions<F, G, J, Hv>
where
    V: Dense<Scalar = f64>,
    F: Fn(&V) -> f64,
    G: Fn(&V) -> V,
    J: Fn(&V, &V) -> (f64, f64),
    Hv: Fn(&V, &V) -> (V, V),
{
    fn check(&self, name: &str, x: &V, v: &V) {
        let (y, tangent) = (self.jvp)(x, v);
        // The value to rounding: the generated sweep's dot and norm kernels add in another order.
        let value = rel(y, (self.f)(x));
        assert!(
            value < 1e-14,
            "{name}: the JVP's value {y} vs {}",
            (self.f)(x)
        );
        let g = (self.grad)(x);
        let by_grad = rel(tangent, dot(&g, v));
        let fd = ((self.f)(&shifted(x, H, v)) - (self.f)(&shifted(x, -H, v))) / (2.0 * H);
        let by_fd = rel(tangent, fd);
        let (g_hvp, hv) = (self.hvp)(x, v);
        let g_err = rel_entries(&g_hvp, &g);
        let (gp, gm) = (
            (self.grad)(&shifted(x, H, v)),
            (self.grad)(&shifted(x, -H, v)),
        );
        let hv_fd = gp.zip_entries(&gm, |a, b| (a - b) / (2.0 * H));
        let hvp = rel_entries(&hv, &hv_fd);
        println!("ERRORS {name}: jvp/grad {by_grad:.2e} jvp/fd {by_fd:.2e} hvp/fd {hvp:.2e}");
        assert!(
            by_grad < 1e-10,
            "{name}: JVP {tangent} vs ⟨∇f, v⟩: {by_grad:e}"
        );
        assert!(
            by_fd < 1e-6,
            "{name}: JVP {tangent} vs differences {fd}: {by_fd:e}"
        );
        assert!(g_err < 1e-12, "{name}: the HVP's gradient: {g_err:e}");
        assert!(
            hvp < 1e-5,
            "{name}: HVP vs differences of the gradient: {hvp:e}"
        );
    }

    fn check_finite(&self, name: &str, x: &V, v: &V) {
        let (y, tangent) = (self.jvp)(x, v);
        let (g, hv) = (self.hvp)(x, v);
        let finite = |m: &V| m.entries().iter().all(|e| e.is_finite());
        assert!(
            y.is_finite() && tangent.is_finite(),
            "{name}: JVP ({y}, {tangent})"
        );
        assert!(finite(&g) && finite(&hv), "{name}: HVP not finite");
        assert!(rel(tangent, dot(&g, v)) < 1e-10, "{name}: JVP vs ⟨∇f, v⟩");
    }
}

/// A `#[grad(x, forward)]` function `f` of a value-valued `$f` over `x: $x` (like `$x0`),
/// `⟨$f(x), w⟩ + ¼‖$f(x)‖²` with `w: $w` (like `$w0`), and its tests, in module `$module`.
macro_rules! case {
    ($module:ident: $f:ident($x:ty = $x0:expr) -> $w:ty = $w0:expr) => {
        mod $module {
            use super::*;

            #[grad(x, forward)]
            fn f(x: &$x, w: &$w) -> f64 {
                let y = $f(x);
                y.dot(w) + 0.25 * y.norm_squared()
            }

            fn companions(w: &$w) -> impl Fn(&str, &$x, &$x, bool) + '_ {
                move |name, x, v, extreme| {
                    let c = Companions {
                        f: |x: &$x| f(x, w),
                        grad: |x: &$x| f_grad(x, w).1.x,
                        jvp: |x: &$x, v: &$x| f_jvp(x, w, v),
                        hvp: |x: &$x, v: &$x| {
                            let (_, g, hv) = f_hvp(x, w, v);
                            (g.x, hv.x)
                        },
                    };
                    if extreme {
                        c.check_finite(name, x, v)
                    } else {
                        c.check(name, x, v)
                    }
                }
            }

            #[test]
            fn derivatives() {
                let (x, v, w) = (sample($x0, 1), sample($x0, 4), sample($w0, 7));
                companions(&w)(stringify!($module), &x, &v, false);
            }

            #[test]
            fn finite_at_extreme_logits() {
                let (x, v, w) = (extreme($x0), sample($x0, 4), sample($w0, 7));
                companions(&w)(stringify!($module), &x, &v, true);
            }
        }
    };
}

/// A case of a float-valued `$f` (the log-sum-exp): `l·w + ¼l²` for `l = $f(x)`.
macro_rules! scalar_case {
    ($module:ident: $f:ident($x:ty = $x0:expr)) => {
        mod $module {
            use super::*;

            #[grad(x, forward)]
            fn f(x: &$x, w: f64) -> f64 {
                let l = $f(x);
                l * w + 0.25 * l * l
            }

            fn companions(name: &str, x: &$x, v: &$x, extreme: bool) {
                let w = 0.7;
                let c = Companions {
                    f: |x: &$x| f(x, w),
                    grad: |x: &$x| f_grad(x, w).1.x,
                    jvp: |x: &$x, v: &$x| f_jvp(x, w, v),
                    hvp: |x: &$x, v: &$x| {
                        let (_, g, hv) = f_hvp(x, w, v);
                        (g.x, hv.x)
                    },
                };
                if extreme {
                    c.check_finite(name, x, v)
                } else {
                    c.check(name, x, v)
                }
            }

            #[test]
            fn derivatives() {
                companions(stringify!($module), &sample($x0, 1), &sample($x0, 4), false);
            }

            #[test]
            fn finite_at_extreme_logits() {
                companions(stringify!($module), &extreme($x0), &sample($x0, 4), true);
            }
        }
    };
}

/// A case of an activation on a float: `y·w + ¼y²` for `y = $f(x)`, at `±$at`.
macro_rules! float_case {
    ($module:ident: $f:ident) => {
        mod $module {
            use super::*;

            #[grad(x, forward)]
            fn f(x: f64, w: f64) -> f64 {
                let y = $f(&x);
                y * w + 0.25 * y * y
            }

            fn companions(name: &str, x: f64, extreme: bool) {
                let w = -0.6;
                let c = Companions {
                    f: |x: &f64| f(*x, w),
                    grad: |x: &f64| f_grad(*x, w).1.x,
                    jvp: |x: &f64, v: &f64| f_jvp(*x, w, v),
                    hvp: |x: &f64, v: &f64| {
                        let (_, g, hv) = f_hvp(*x, w, v);
                        (g.x, hv.x)
                    },
                };
                if extreme {
                    c.check_finite(name, &x, &1.5)
                } else {
                    c.check(name, &x, &1.5)
                }
            }

            #[test]
            fn derivatives() {
                companions(concat!(stringify!($module), " at 0.7"), 0.7, false);
                companions(concat!(stringify!($module), " at -1.3"), -1.3, false);
            }

            #[test]
            fn finite_at_extreme_logits() {
                companions(stringify!($module), 1000.0, true);
                companions(stringify!($module), -1000.0, true);
            }
        }
    };
}

float_case!(sigmoid_float: sigmoid);
float_case!(tanh_float: tanh);
float_case!(relu_float: relu);
float_case!(softplus_float: softplus);
float_case!(abs_float: abs);

case!(sigmoid_dvector: sigmoid(DVector<f64> = DVector::zeros(5)) -> DVector<f64> = DVector::zeros(5));
case!(sigmoid_dmatrix: sigmoid(DMatrix<f64> = DMatrix::zeros(3, 2)) -> DMatrix<f64> = DMatrix::zeros(3, 2));
case!(sigmoid_smatrix: sigmoid(SMatrix<f64, 2, 3> = SMatrix::zeros()) -> SMatrix<f64, 2, 3> = SMatrix::zeros());
case!(tanh_dvector: tanh(DVector<f64> = DVector::zeros(5)) -> DVector<f64> = DVector::zeros(5));
case!(tanh_dmatrix: tanh(DMatrix<f64> = DMatrix::zeros(3, 2)) -> DMatrix<f64> = DMatrix::zeros(3, 2));
case!(tanh_smatrix: tanh(SMatrix<f64, 2, 3> = SMatrix::zeros()) -> SMatrix<f64, 2, 3> = SMatrix::zeros());
case!(relu_dvector: relu(DVector<f64> = DVector::zeros(5)) -> DVector<f64> = DVector::zeros(5));
case!(relu_dmatrix: relu(DMatrix<f64> = DMatrix::zeros(3, 2)) -> DMatrix<f64> = DMatrix::zeros(3, 2));
case!(relu_smatrix: relu(SMatrix<f64, 2, 3> = SMatrix::zeros()) -> SMatrix<f64, 2, 3> = SMatrix::zeros());
case!(softplus_dvector: softplus(DVector<f64> = DVector::zeros(5)) -> DVector<f64> = DVector::zeros(5));
case!(softplus_dmatrix: softplus(DMatrix<f64> = DMatrix::zeros(3, 2)) -> DMatrix<f64> = DMatrix::zeros(3, 2));
case!(softplus_smatrix: softplus(SMatrix<f64, 2, 3> = SMatrix::zeros()) -> SMatrix<f64, 2, 3> = SMatrix::zeros());
case!(abs_dvector: abs(DVector<f64> = DVector::zeros(5)) -> DVector<f64> = DVector::zeros(5));
case!(abs_dmatrix: abs(DMatrix<f64> = DMatrix::zeros(3, 2)) -> DMatrix<f64> = DMatrix::zeros(3, 2));
case!(abs_smatrix: abs(SMatrix<f64, 2, 3> = SMatrix::zeros()) -> SMatrix<f64, 2, 3> = SMatrix::zeros());

case!(softmax_dvector: softmax(DVector<f64> = DVector::zeros(5)) -> DVector<f64> = DVector::zeros(5));
case!(softmax_dmatrix: softmax(DMatrix<f64> = DMatrix::zeros(3, 4)) -> DMatrix<f64> = DMatrix::zeros(3, 4));
case!(softmax_smatrix: softmax(SMatrix<f64, 2, 3> = SMatrix::zeros()) -> SMatrix<f64, 2, 3> = SMatrix::zeros());
case!(log_softmax_dvector: log_softmax(DVector<f64> = DVector::zeros(5)) -> DVector<f64> = DVector::zeros(5));
case!(log_softmax_dmatrix: log_softmax(DMatrix<f64> = DMatrix::zeros(3, 4)) -> DMatrix<f64> = DMatrix::zeros(3, 4));
case!(log_softmax_smatrix: log_softmax(SMatrix<f64, 2, 3> = SMatrix::zeros()) -> SMatrix<f64, 2, 3> = SMatrix::zeros());
scalar_case!(logsumexp_dvector: logsumexp(DVector<f64> = DVector::zeros(5)));
scalar_case!(logsumexp_dmatrix: logsumexp(DMatrix<f64> = DMatrix::zeros(3, 4)));
scalar_case!(logsumexp_smatrix: logsumexp(SMatrix<f64, 2, 3> = SMatrix::zeros()));

case!(softmax_rows_dmatrix: softmax_rows(DMatrix<f64> = DMatrix::zeros(3, 4)) -> DMatrix<f64> = DMatrix::zeros(3, 4));
case!(softmax_rows_tall: softmax_rows(DMatrix<f64> = DMatrix::zeros(5, 2)) -> DMatrix<f64> = DMatrix::zeros(5, 2));
case!(softmax_rows_smatrix: softmax_rows(SMatrix<f64, 2, 3> = SMatrix::zeros()) -> SMatrix<f64, 2, 3> = SMatrix::zeros());
case!(softmax_columns_dmatrix: softmax_columns(DMatrix<f64> = DMatrix::zeros(3, 4)) -> DMatrix<f64> = DMatrix::zeros(3, 4));
case!(softmax_columns_tall: softmax_columns(DMatrix<f64> = DMatrix::zeros(5, 2)) -> DMatrix<f64> = DMatrix::zeros(5, 2));
case!(softmax_columns_smatrix: softmax_columns(SMatrix<f64, 2, 3> = SMatrix::zeros()) -> SMatrix<f64, 2, 3> = SMatrix::zeros());
case!(log_softmax_rows_dmatrix: log_softmax_rows(DMatrix<f64> = DMatrix::zeros(3, 4)) -> DMatrix<f64> = DMatrix::zeros(3, 4));
case!(log_softmax_rows_tall: log_softmax_rows(DMatrix<f64> = DMatrix::zeros(5, 2)) -> DMatrix<f64> = DMatrix::zeros(5, 2));
case!(log_softmax_rows_smatrix: log_softmax_rows(SMatrix<f64, 2, 3> = SMatrix::zeros()) -> SMatrix<f64, 2, 3> = SMatrix::zeros());
case!(log_softmax_columns_dmatrix: log_softmax_columns(DMatrix<f64> = DMatrix::zeros(3, 4)) -> DMatrix<f64> = DMatrix::zeros(3, 4));
case!(log_softmax_columns_tall: log_softmax_columns(DMatrix<f64> = DMatrix::zeros(5, 2)) -> DMatrix<f64> = DMatrix::zeros(5, 2));
case!(log_softmax_columns_smatrix: log_softmax_columns(SMatrix<f64, 2, 3> = SMatrix::zeros()) -> SMatrix<f64, 2, 3> = SMatrix::zeros());
case!(logsumexp_rows_dmatrix: logsumexp_rows(DMatrix<f64> = DMatrix::zeros(3, 4)) -> DVector<f64> = DVector::zeros(3));
case!(logsumexp_rows_tall: logsumexp_rows(DMatrix<f64> = DMatrix::zeros(5, 2)) -> DVector<f64> = DVector::zeros(5));
case!(logsumexp_rows_smatrix: logsumexp_rows(SMatrix<f64, 2, 3> = SMatrix::zeros()) -> SVector<f64, 2> = SVector::zeros());
case!(logsumexp_columns_dmatrix: logsumexp_columns(DMatrix<f64> = DMatrix::zeros(3, 4)) -> RowDVector<f64> = RowDVector::zeros(4));
case!(logsumexp_columns_tall: logsumexp_columns(DMatrix<f64> = DMatrix::zeros(5, 2)) -> RowDVector<f64> = RowDVector::zeros(2));
case!(logsumexp_columns_smatrix: logsumexp_columns(SMatrix<f64, 2, 3> = SMatrix::zeros()) -> RowSVector<f64, 3> = RowSVector::zeros());
