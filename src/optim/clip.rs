//! Gradient clipping by the global norm over every leaf.

use super::scalar;
use crate::Differentiable;

/// `g ← g·min(1, c/‖g‖)` with `‖g‖` the Euclidean norm over every entry of every leaf;
/// returns `‖g‖` before clipping.
///
/// optax's `clip_by_global_norm(c)` and PyTorch's `clip_grad_norm_(.., max_norm=c)` (without
/// its `1e-6` added to the norm): a gradient whose norm is at most `c` is left as it is, a
/// longer one is scaled to norm `c`, its direction kept. A zero gradient is left as it is
/// (also when `c = 0`); a NaN norm leaves the gradient as it is and is returned, so check
/// the returned norm to catch a diverging run.
///
/// # Panics
/// If `max_norm` is negative or NaN.
///
/// # Example
///
/// ```
/// use matgrad::optim::clip_by_global_norm;
/// use nalgebra::{dvector, DVector};
///
/// let mut g: Vec<DVector<f64>> = vec![dvector![3.0], dvector![0.0, 4.0]];
/// let norm = clip_by_global_norm(&mut g, 1.0);
/// assert_eq!(norm, 5.0);
/// assert!((g[0][0] - 0.6).abs() < 1e-15 && (g[1][1] - 0.8).abs() < 1e-15);
/// ```
pub fn clip_by_global_norm<P: Differentiable>(grads: &mut P, max_norm: f64) -> P::Scalar {
    assert!(
        max_norm >= 0.0,
        "clip_by_global_norm: max_norm must be non-negative, not {max_norm}"
    );
    let norm = grads.norm();
    let c: P::Scalar = scalar(max_norm);
    if norm > c {
        grads.scale_mut(c / norm);
    }
    norm
}
