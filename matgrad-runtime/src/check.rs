//! A gradient checker: central finite differences and a report of how far an analytic
//! gradient is from them.
//!
//! # Example
//!
//! ```
//! use matgrad_runtime::{check_gradient, finite_difference};
//! use nalgebra::dvector;
//!
//! let f = |x: &nalgebra::DVector<f64>| x.norm_squared();
//! let x = dvector![1.0, -2.0, 0.5];
//! let analytic = 2.0 * &x; // ∇‖x‖² = 2x
//! let report = check_gradient(f, &x, &analytic);
//! assert!(report.rel_error < 1e-8, "{report}");
//! let numeric = finite_difference(f, &x);
//! assert!((numeric[1] + 4.0).abs() < 1e-8);
//! ```

use crate::value::{Dense, Scalar};
#[allow(unused_imports)]
use crate::Differentiable as _;
use nalgebra::{ComplexField as _, RealField};
use std::fmt;

/// How far an analytic gradient is from central finite differences.
#[derive(Clone, Debug, PartialEq)]
pub struct GradCheck<T> {
    /// `maxᵢ |analyticᵢ − numericᵢ|`.
    pub max_abs_error: T,
    /// `max_abs_error / max(‖analytic‖∞, ‖numeric‖∞)`: the error relative to the gradient's
    /// scale, so near-zero entries do not inflate it (0 when both are zero).
    pub rel_error: T,
    /// The storage-order index of the entry with the largest difference.
    pub worst_entry: usize,
    /// The analytic gradient's entry there.
    pub analytic_at_worst: T,
    /// The finite-difference estimate there.
    pub numeric_at_worst: T,
}

impl<T: Scalar> GradCheck<T> {
    /// Whether the relative error is at most `tol`.
    pub fn passes(&self, tol: T) -> bool {
        self.rel_error <= tol
    }
}

impl<T: Scalar> fmt::Display for GradCheck<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "relative error {:e}, absolute {:e} (worst at entry {}: analytic {}, finite differences {})",
            self.rel_error, self.max_abs_error, self.worst_entry, self.analytic_at_worst, self.numeric_at_worst
        )
    }
}

/// The central finite-difference gradient of `f` at `x`: `(f(x + hᵢeᵢ) − f(x − hᵢeᵢ)) / 2hᵢ`.
///
/// The step is `hᵢ = ε^⅓·max(1, |xᵢ|)` with `ε` the type's machine epsilon, which balances
/// truncation against rounding (about 6e-6 relative for `f64`; errors near 1e-10).
pub fn finite_difference<X, F>(mut f: F, x: &X) -> X
where
    X: Dense,
    F: FnMut(&X) -> X::Scalar,
{
    let eps: X::Scalar = X::Scalar::EPSILON;
    let cbrt_eps = eps.cbrt();
    let two = nalgebra::one::<X::Scalar>() + nalgebra::one::<X::Scalar>();
    let mut probe = x.clone();
    let mut grad = x.zeros_like();
    for i in 0..x.len() {
        let xi = x.entry(i);
        let h = cbrt_eps * RealField::max(nalgebra::one::<X::Scalar>(), xi.abs());
        *probe.entry_mut(i) = xi + h;
        let up = f(&probe);
        *probe.entry_mut(i) = xi - h;
        let down = f(&probe);
        *probe.entry_mut(i) = xi;
        *grad.entry_mut(i) = (up - down) / (two * h);
    }
    grad
}

/// Compares `analytic`, a claimed gradient of `f` at `x`, with [`finite_difference`].
///
/// # Panics
/// If `analytic` and `x` differ in shape.
#[track_caller]
pub fn check_gradient<X, F>(f: F, x: &X, analytic: &X) -> GradCheck<X::Scalar>
where
    X: Dense,
    F: FnMut(&X) -> X::Scalar,
{
    if analytic.shape() != x.shape() {
        panic!(
            "matgrad: check_gradient: the gradient is {}×{} but the point is {}×{}",
            analytic.shape().0,
            analytic.shape().1,
            x.shape().0,
            x.shape().1
        );
    }
    let numeric = finite_difference(f, x);
    compare(analytic, &numeric)
}

/// The [`GradCheck`] report of `analytic` against a reference gradient `numeric`.
pub fn compare<X: Dense>(analytic: &X, numeric: &X) -> GradCheck<X::Scalar> {
    let zero = nalgebra::zero::<X::Scalar>();
    let mut report = GradCheck {
        max_abs_error: zero,
        rel_error: zero,
        worst_entry: 0,
        analytic_at_worst: zero,
        numeric_at_worst: zero,
    };
    let mut scale = zero;
    for i in 0..analytic.len() {
        let (a, n) = (analytic.entry(i), numeric.entry(i));
        scale = RealField::max(RealField::max(scale, a.abs()), n.abs());
        let d = (a - n).abs();
        if d > report.max_abs_error || !d.is_finite() {
            report.max_abs_error = d;
            report.worst_entry = i;
            report.analytic_at_worst = a;
            report.numeric_at_worst = n;
        }
    }
    report.rel_error = if scale > zero {
        report.max_abs_error / scale
    } else {
        report.max_abs_error
    };
    report
}
