//! Stochastic gradient descent with momentum, Nesterov momentum, dampening and L2 weight decay:
//! PyTorch's `torch.optim.SGD`.

use super::{check_shapes, scalar, Optimiser, Role, Schedule};
use crate::{Differentiable, Leaf, Scalar};

/// `p ← p − lr(t)·d` with `d = g + λp`; with momentum `b ← μb + (1 − τ)d` (`b ← d` at the
/// first step), then `d ← b`, or `d ← d + μb` with Nesterov.
///
/// PyTorch's `SGD(lr, momentum=μ, dampening=τ, weight_decay=λ, nesterov=..)`, defaults 0 and
/// `false`. Without dampening and weight decay it is also optax's `sgd(lr, momentum=μ,
/// nesterov=..)` (whose `trace` is `b ← g + μb`); weight decay is optax's
/// `add_decayed_weights(λ)` chained before it. The momentum buffer `b` is created at the first
/// step with the parameters' shapes; plain SGD (`μ = 0`) keeps no state.
///
/// # Example
///
/// ```
/// use matgrad::optim::Sgd;
/// use nalgebra::{dvector, DVector};
///
/// // f(x) = ½‖x‖², ∇f = x: heavy-ball momentum towards 0.
/// let mut x = dvector![1.0, -2.0];
/// let mut opt = Sgd::new(0.1).momentum(0.9).nesterov(true);
/// for _ in 0..300 {
///     let g = x.clone();
///     opt.step(&mut x, &g);
/// }
/// assert!(x.norm() < 1e-6);
/// ```
#[derive(Clone, Debug)]
pub struct Sgd<P, S = f64> {
    lr: S,
    momentum: f64,
    dampening: f64,
    weight_decay: f64,
    nesterov: bool,
    steps: usize,
    buffer: Option<P>,
}

impl<P: Differentiable, S: Schedule> Sgd<P, S> {
    /// `p ← p − lr(t)·g`: plain SGD at the rate `lr` (an `f64` or a [`Schedule`]).
    pub fn new(lr: S) -> Self {
        Sgd {
            lr,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            steps: 0,
            buffer: None,
        }
    }

    /// `μ` in `b ← μb + (1 − τ)d`, `p ← p − lr·b`: the momentum (default 0: none).
    ///
    /// # Panics
    /// If `mu` is negative or NaN.
    pub fn momentum(mut self, mu: f64) -> Self {
        assert!(mu >= 0.0, "Sgd: momentum must be non-negative, not {mu}");
        self.momentum = mu;
        self
    }

    /// `τ` in `b ← μb + (1 − τ)d`: the dampening of the gradient's share of the momentum after
    /// the first step (default 0). Not with Nesterov momentum.
    pub fn dampening(mut self, tau: f64) -> Self {
        self.dampening = tau;
        self
    }

    /// `λ` in `d = g + λp`: L2 weight decay, added to the gradient before the momentum
    /// (default 0). For decoupled weight decay use [`AdamW`](super::AdamW).
    ///
    /// # Panics
    /// If `lambda` is negative or NaN.
    pub fn weight_decay(mut self, lambda: f64) -> Self {
        assert!(
            lambda >= 0.0,
            "Sgd: weight_decay must be non-negative, not {lambda}"
        );
        self.weight_decay = lambda;
        self
    }

    /// `p ← p − lr·(d + μb)` instead of `p ← p − lr·b`: Nesterov momentum (default `false`).
    /// It needs a momentum `μ > 0` and no dampening, as in PyTorch.
    pub fn nesterov(mut self, nesterov: bool) -> Self {
        self.nesterov = nesterov;
        self
    }

    /// `p ← p − lr(t)·d` (see [`Sgd`]), then `t ← t + 1`: one step with the gradient `grads`.
    ///
    /// # Panics
    /// If `grads` differs from `params` in its leaves' number or shapes (the message names the
    /// leaf and both shapes), if `params` no longer has the shapes it had at the first step,
    /// or if Nesterov momentum is asked for without momentum or with dampening.
    pub fn step(&mut self, params: &mut P, grads: &P) {
        assert!(
            !self.nesterov || (self.momentum > 0.0 && self.dampening == 0.0),
            "Sgd: Nesterov momentum needs a momentum > 0 and zero dampening (momentum {}, \
             dampening {})",
            self.momentum,
            self.dampening
        );
        let g = grads.leaves();
        check_shapes("Sgd", Role::Gradient, params, g.iter().map(|l| l.shape));
        let lr: P::Scalar = scalar(self.lr.lr(self.steps));
        let decay = (self.weight_decay != 0.0).then(|| scalar(self.weight_decay));
        if self.momentum == 0.0 {
            for (p, g) in params.leaves_mut().iter_mut().zip(&g) {
                for (p, &g) in p.entries.iter_mut().zip(g.entries) {
                    *p -= lr * decayed(g, *p, decay);
                }
            }
        } else {
            self.momentum_step(params, &g, lr, decay);
        }
        self.steps += 1;
    }

    /// The step with a momentum buffer, created (as `b ← d`) at the first step.
    fn momentum_step(
        &mut self,
        params: &mut P,
        g: &[Leaf<'_, P::Scalar>],
        lr: P::Scalar,
        decay: Option<P::Scalar>,
    ) {
        let first = self.buffer.is_none();
        let buffer = self.buffer.get_or_insert_with(|| params.zeros_like());
        let mut b = buffer.leaves_mut();
        check_shapes("Sgd", Role::State, params, b.iter().map(|l| l.shape));
        let mu: P::Scalar = scalar(self.momentum);
        let keep: P::Scalar = scalar(1.0 - self.dampening);
        let nesterov = self.nesterov;
        for ((p, g), b) in params.leaves_mut().iter_mut().zip(g).zip(&mut b) {
            let entries = p
                .entries
                .iter_mut()
                .zip(g.entries)
                .zip(b.entries.iter_mut());
            for ((p, &g), b) in entries {
                let d = decayed(g, *p, decay);
                *b = if first { d } else { mu * *b + keep * d };
                *p -= lr * if nesterov { d + mu * *b } else { *b };
            }
        }
    }

    /// `lr(t)`: the learning rate the next step uses.
    pub fn learning_rate(&self) -> f64 {
        self.lr.lr(self.steps)
    }

    /// `t`: the number of steps taken since construction or [`Sgd::reset`].
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// `t ← 0`, `b` dropped: the optimiser starts over, keeping its hyperparameters.
    pub fn reset(&mut self) {
        self.steps = 0;
        self.buffer = None;
    }
}

/// `g + λp`, or `g` when there is no weight decay.
fn decayed<T: Scalar>(g: T, p: T, decay: Option<T>) -> T {
    match decay {
        Some(lambda) => g + lambda * p,
        None => g,
    }
}

/// `p ← p − lr(t)·d`: [`Sgd::step`] and the other inherent methods.
impl<P: Differentiable, S: Schedule> Optimiser<P> for Sgd<P, S> {
    fn step(&mut self, params: &mut P, grads: &P) {
        Sgd::step(self, params, grads);
    }
    fn learning_rate(&self) -> f64 {
        Sgd::learning_rate(self)
    }
    fn steps(&self) -> usize {
        Sgd::steps(self)
    }
    fn reset(&mut self) {
        Sgd::reset(self);
    }
}
