//! Optimisers for any [`Differentiable`] value: `p ← p − lr·update(g)`, leaf by leaf.
//!
//! [`Sgd`] (with momentum, Nesterov, dampening and L2 weight decay as PyTorch defines them),
//! [`Adam`] and [`AdamW`], [`clip_by_global_norm`], and learning-rate [schedules](Schedule)
//! ([`StepDecay`], [`ExponentialDecay`], [`CosineDecay`], [`WarmupCosineDecay`], or any
//! `f64` for a constant rate), which every optimiser takes in place of a constant rate.
//!
//! The parameters are any `P: Differentiable` (a float, an owned nalgebra matrix, a `Vec` or
//! array of them, a struct that derives the trait) and the gradient is a value of
//! the same type and shapes, as `#[grad]` returns it. An optimiser's state (momentum, moment
//! estimates) is created on the first [`step`](Optimiser::step) as zeros of the parameters'
//! shapes, so `Adam::new(1e-3)` needs no parameters to be built; a step then allocates only
//! the small vectors of leaf references it walks. Hyperparameters are `f64` (as in PyTorch and
//! optax) and each step converts them to `P::Scalar`, so the same code trains `f32` and `f64`
//! parameters.
//!
//! The formulas are PyTorch's (`torch.optim`); `tests/optim.rs` holds every optimiser, the
//! clipping and every schedule to the values optax computes in float64, through the optax
//! transform each one is equivalent to (`tests/data/optim_optax.py` states the mapping).
//!
//! # Example
//!
//! Minimise `Σᵢ ‖xᵢ − cᵢ‖²` over a `Vec<DVector<f64>>`, whose gradient is `2(xᵢ − cᵢ)`:
//!
//! ```
//! use matgrad::optim::{clip_by_global_norm, Adam, WarmupCosineDecay};
//! use nalgebra::{dvector, DVector};
//!
//! let targets = vec![dvector![1.0, -2.0], dvector![0.5, 3.0, -1.0]];
//! let mut x: Vec<DVector<f64>> = targets.iter().map(|c| DVector::zeros(c.len())).collect();
//!
//! let schedule = WarmupCosineDecay::new(0.0, 0.1, 50, 2000).end_value(1e-4);
//! let mut opt = Adam::new(schedule).betas(0.9, 0.99);
//! for _ in 0..2000 {
//!     let mut grad: Vec<DVector<f64>> =
//!         x.iter().zip(&targets).map(|(x, c)| 2.0 * (x - c)).collect();
//!     clip_by_global_norm(&mut grad, 1.0); // returns the norm before clipping
//!     opt.step(&mut x, &grad);
//! }
//! for (x, c) in x.iter().zip(&targets) {
//!     assert!((x - c).amax() < 1e-3, "{x} is not {c}");
//! }
//! ```

mod adam;
mod clip;
mod schedule;
mod sgd;

pub use adam::{Adam, AdamW};
pub use clip::clip_by_global_norm;
pub use schedule::{
    from_fn, CosineDecay, ExponentialDecay, FromFn, Schedule, StepDecay, WarmupCosineDecay,
};
pub use sgd::Sgd;

use crate::{Differentiable, Scalar};

/// `p ← p − lr(t)·update(g, state)`: a first-order optimiser of parameters `P`.
///
/// Implemented by [`Sgd`], [`Adam`] and [`AdamW`], whose inherent methods of the same names
/// need no import of this trait; use it to write a training loop generic over the optimiser.
pub trait Optimiser<P: Differentiable> {
    /// `p ← p − lr(t)·update(g)`, then `t ← t + 1`: one step with the gradient `grads`.
    ///
    /// # Panics
    /// If `grads` differs from `params` in its leaves' number or shapes, or `params` from the
    /// parameters the state was created for at the first step.
    fn step(&mut self, params: &mut P, grads: &P);

    /// `lr(t)`: the learning rate the next step uses.
    fn learning_rate(&self) -> f64;

    /// `t`: the number of steps taken since construction or [`Optimiser::reset`].
    fn steps(&self) -> usize;

    /// `t ← 0`, state dropped: the optimiser starts over (for new parameters, say).
    fn reset(&mut self);
}

/// `x` as the parameters' scalar type.
fn scalar<T: Scalar>(x: f64) -> T {
    nalgebra::convert(x)
}

/// What a value checked against the parameters is to them.
#[derive(Clone, Copy)]
enum Role {
    /// The gradient passed to `step`.
    Gradient,
    /// The state created at the first step, from the parameters of that time.
    State,
}

/// Panics with a message naming `optimiser`, the first leaf where `params` and the value whose
/// leaves have `shapes` differ, and both shapes, unless their leaves agree in number and
/// shape. Allocates nothing when they agree.
fn check_shapes<P: Differentiable>(
    optimiser: &str,
    role: Role,
    params: &P,
    shapes: impl ExactSizeIterator<Item = (usize, usize)>,
) {
    let count = shapes.len();
    let mut shapes = shapes;
    let (mut k, mut first_bad) = (0, None);
    params.visit(&mut |leaf| {
        let other = shapes.next();
        if first_bad.is_none() && other != Some(leaf.shape) {
            first_bad = Some((k, leaf.shape, other));
        }
        k += 1;
    });
    if let Some((at, mine, Some(other))) = first_bad {
        shape_panic(optimiser, role, params, at, mine, other);
    }
    if k != count {
        count_panic(optimiser, role, k, count);
    }
}

#[cold]
#[track_caller]
fn shape_panic<P: Differentiable>(
    optimiser: &str,
    role: Role,
    params: &P,
    at: usize,
    mine: (usize, usize),
    other: (usize, usize),
) -> ! {
    let names = params.named_leaves();
    let path = match names[at].0.as_str() {
        "" => "the parameters".to_string(),
        path => format!("`{path}`"),
    };
    let (pr, pc, or, oc) = (mine.0, mine.1, other.0, other.1);
    match role {
        Role::Gradient => panic!(
            "{optimiser}::step: the gradient of {path} is {or}×{oc} but the parameter is \
             {pr}×{pc} (the gradient must have the parameters' type and shapes)"
        ),
        Role::State => panic!(
            "{optimiser}::step: {path} is {pr}×{pc} but was {or}×{oc} when the optimiser's \
             state was created at its first step (call reset() to start over with new \
             parameters)"
        ),
    }
}

#[cold]
#[track_caller]
fn count_panic(optimiser: &str, role: Role, mine: usize, other: usize) -> ! {
    match role {
        Role::Gradient => panic!(
            "{optimiser}::step: the gradient has {other} leaves but the parameters have {mine} \
             (a Vec of another length?)"
        ),
        Role::State => panic!(
            "{optimiser}::step: the parameters have {mine} leaves but had {other} when the \
             optimiser's state was created at its first step (call reset() to start over with \
             new parameters)"
        ),
    }
}
