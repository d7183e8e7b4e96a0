//! Adam (Kingma & Ba, bias-corrected) with L2 weight decay, and AdamW (Loshchilov & Hutter,
//! decoupled weight decay): PyTorch's `torch.optim.Adam` and `torch.optim.AdamW`.

use super::{check_shapes, scalar, Optimiser, Role, Schedule};
use crate::{Differentiable, Scalar};

/// `p ← p − lr(t)·m̂/(√v̂ + ε)` with `m ← β₁m + (1 − β₁)g`, `v ← β₂v + (1 − β₂)g²`,
/// `m̂ = m/(1 − β₁ᵗ)`, `v̂ = v/(1 − β₂ᵗ)` (`t` counted from 1), and `g ← g + λp` first when
/// there is (L2) weight decay.
///
/// PyTorch's `Adam(lr, betas=(β₁, β₂), eps=ε, weight_decay=λ)`, defaults `(0.9, 0.999)`,
/// `1e-8` and 0; optax's `adam(lr, b1, b2, eps)`, with `add_decayed_weights(λ)` chained
/// before it for the weight decay. For weight decay that does not go through the moments, use
/// [`AdamW`]. The moments `m` and `v` are created at the first step with the parameters'
/// shapes.
///
/// # Example
///
/// ```
/// use matgrad::optim::Adam;
/// use nalgebra::{dmatrix, DMatrix};
///
/// // f(W) = ‖W − A‖², ∇f = 2(W − A).
/// let a = dmatrix![1.0, 2.0; -3.0, 0.5];
/// let mut w = DMatrix::zeros(2, 2);
/// let mut opt = Adam::new(0.05).betas(0.9, 0.99);
/// for _ in 0..1000 {
///     let g = 2.0 * (&w - &a);
///     opt.step(&mut w, &g);
/// }
/// assert!((w - a).amax() < 1e-3);
/// ```
#[derive(Clone, Debug)]
pub struct Adam<P, S = f64> {
    lr: S,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    /// AdamW: `p ← p − lr·(m̂/(√v̂ + ε) + λp)` instead of `g ← g + λp`.
    decoupled: bool,
    steps: usize,
    moments: Option<Moments<P>>,
}

/// Adam's state: the first and second moment estimates `m` and `v`.
#[derive(Clone, Debug)]
struct Moments<P> {
    m: P,
    v: P,
}

impl<P: Differentiable, S: Schedule> Adam<P, S> {
    /// `p ← p − lr(t)·m̂/(√v̂ + ε)` at the rate `lr` (an `f64` or a [`Schedule`]), with
    /// `β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-8` and no weight decay until the builders change them.
    pub fn new(lr: S) -> Self {
        Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled: false,
            steps: 0,
            moments: None,
        }
    }

    /// `β₁`, `β₂` in `m ← β₁m + (1 − β₁)g`, `v ← β₂v + (1 − β₂)g²` (default `(0.9, 0.999)`).
    ///
    /// # Panics
    /// Unless both are in `[0, 1)`.
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
        let name = self.name();
        for (which, beta) in [("beta1", beta1), ("beta2", beta2)] {
            assert!(
                (0.0..1.0).contains(&beta),
                "{name}: {which} must be in [0, 1), not {beta}"
            );
        }
        (self.beta1, self.beta2) = (beta1, beta2);
        self
    }

    /// `ε` in `m̂/(√v̂ + ε)`, added to the root (default `1e-8`).
    ///
    /// # Panics
    /// If `eps` is negative or NaN.
    pub fn eps(mut self, eps: f64) -> Self {
        assert!(
            eps >= 0.0,
            "{}: eps must be non-negative, not {eps}",
            self.name()
        );
        self.eps = eps;
        self
    }

    /// `λ` in `g ← g + λp`: L2 weight decay, added to the gradient before the moments
    /// (default 0).
    ///
    /// # Panics
    /// If `lambda` is negative or NaN.
    pub fn weight_decay(mut self, lambda: f64) -> Self {
        assert!(
            lambda >= 0.0,
            "{}: weight_decay must be non-negative, not {lambda}",
            self.name()
        );
        self.weight_decay = lambda;
        self
    }

    /// `p ← p − lr(t)·m̂/(√v̂ + ε)` (see [`Adam`]), then `t ← t + 1`: one step with the
    /// gradient `grads`.
    ///
    /// # Panics
    /// If `grads` differs from `params` in its leaves' number or shapes (the message names the
    /// leaf and both shapes), or if `params` no longer has the shapes it had at the first step.
    pub fn step(&mut self, params: &mut P, grads: &P) {
        let name = self.name();
        let g = grads.leaves();
        check_shapes(name, Role::Gradient, params, g.iter().map(|l| l.shape));
        let k = self.coefficients();
        let moments = self.moments.get_or_insert_with(|| Moments {
            m: params.zeros_like(),
            v: params.zeros_like(),
        });
        let (mut m, mut v) = (moments.m.leaves_mut(), moments.v.leaves_mut());
        check_shapes(name, Role::State, params, m.iter().map(|l| l.shape));
        let leaves = params
            .leaves_mut()
            .into_iter()
            .zip(&g)
            .zip(m.iter_mut().zip(&mut v));
        for ((p, g), (m, v)) in leaves {
            k.update(p.entries, g.entries, m.entries, v.entries);
        }
        self.steps += 1;
    }

    /// The step's scalars, in the parameters' type.
    fn coefficients(&self) -> Coefficients<P::Scalar> {
        let t = (self.steps + 1) as f64;
        Coefficients {
            lr: scalar(self.lr.lr(self.steps)),
            beta1: scalar(self.beta1),
            beta2: scalar(self.beta2),
            one_minus_beta1: scalar(1.0 - self.beta1),
            one_minus_beta2: scalar(1.0 - self.beta2),
            correction1: scalar(1.0 - self.beta1.powf(t)),
            correction2: scalar(1.0 - self.beta2.powf(t)),
            eps: scalar(self.eps),
            decay: (self.weight_decay != 0.0).then(|| scalar(self.weight_decay)),
            decoupled: self.decoupled,
        }
    }

    fn name(&self) -> &'static str {
        if self.decoupled {
            "AdamW"
        } else {
            "Adam"
        }
    }

    /// `lr(t)`: the learning rate the next step uses.
    pub fn learning_rate(&self) -> f64 {
        self.lr.lr(self.steps)
    }

    /// `t`: the number of steps taken since construction or [`Adam::reset`].
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// `t ← 0`, `m` and `v` dropped: the optimiser starts over, keeping its hyperparameters.
    pub fn reset(&mut self) {
        self.steps = 0;
        self.moments = None;
    }
}

/// The scalars of one Adam step: `1 − βᵗ` for the bias corrections, `lr(t)`, `λ`.
struct Coefficients<T> {
    lr: T,
    beta1: T,
    beta2: T,
    one_minus_beta1: T,
    one_minus_beta2: T,
    correction1: T,
    correction2: T,
    eps: T,
    decay: Option<T>,
    decoupled: bool,
}

impl<T: Scalar> Coefficients<T> {
    /// The update of one leaf: its entries `p`, gradient `g` and moments `m`, `v`.
    fn update(&self, p: &mut [T], g: &[T], m: &mut [T], v: &mut [T]) {
        let entries = p.iter_mut().zip(g).zip(m.iter_mut().zip(v.iter_mut()));
        for ((p, &g), (m, v)) in entries {
            let g = match self.decay {
                Some(lambda) if !self.decoupled => g + lambda * *p,
                _ => g,
            };
            *m = self.one_minus_beta1 * g + self.beta1 * *m;
            *v = self.one_minus_beta2 * (g * g) + self.beta2 * *v;
            let u = (*m / self.correction1) / ((*v / self.correction2).sqrt() + self.eps);
            let u = match self.decay {
                Some(lambda) if self.decoupled => u + lambda * *p,
                _ => u,
            };
            *p -= self.lr * u;
        }
    }
}

/// `p ← p − lr(t)·(m̂/(√v̂ + ε) + λp)`: [`Adam`] with decoupled weight decay.
///
/// PyTorch's `AdamW(lr, betas, eps, weight_decay=λ)` (it shrinks `p ← p − lr·λ·p` first, the
/// same step) and optax's `adamw(lr, b1, b2, eps, weight_decay=λ)`. The decay does not go
/// through the moments, so it is not rescaled by `√v̂`. The default `λ = 0.01` is PyTorch's
/// (optax's is `1e-4`).
///
/// # Example
///
/// ```
/// use matgrad::optim::AdamW;
/// use nalgebra::{dvector, DVector};
///
/// let mut x = dvector![1.0, 2.0];
/// let mut opt = AdamW::new(1e-2).weight_decay(0.1);
/// opt.step(&mut x, &DVector::zeros(2)); // a zero gradient: only the decay acts
/// assert!((x - dvector![0.999, 1.998]).amax() < 1e-15);
/// ```
#[derive(Clone, Debug)]
pub struct AdamW<P, S = f64>(Adam<P, S>);

impl<P: Differentiable, S: Schedule> AdamW<P, S> {
    /// `p ← p − lr(t)·(m̂/(√v̂ + ε) + λp)` at the rate `lr` (an `f64` or a [`Schedule`]), with
    /// `β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-8`, `λ = 0.01` until the builders change them.
    pub fn new(lr: S) -> Self {
        let mut adam = Adam::new(lr);
        adam.decoupled = true;
        adam.weight_decay = 0.01;
        AdamW(adam)
    }

    /// `β₁`, `β₂` in `m ← β₁m + (1 − β₁)g`, `v ← β₂v + (1 − β₂)g²` (default `(0.9, 0.999)`).
    ///
    /// # Panics
    /// Unless both are in `[0, 1)`.
    pub fn betas(self, beta1: f64, beta2: f64) -> Self {
        AdamW(self.0.betas(beta1, beta2))
    }

    /// `ε` in `m̂/(√v̂ + ε)`, added to the root (default `1e-8`).
    ///
    /// # Panics
    /// If `eps` is negative or NaN.
    pub fn eps(self, eps: f64) -> Self {
        AdamW(self.0.eps(eps))
    }

    /// `λ` in `p ← p − lr(t)·(m̂/(√v̂ + ε) + λp)`: decoupled weight decay (default 0.01).
    ///
    /// # Panics
    /// If `lambda` is negative or NaN.
    pub fn weight_decay(self, lambda: f64) -> Self {
        AdamW(self.0.weight_decay(lambda))
    }

    /// `p ← p − lr(t)·(m̂/(√v̂ + ε) + λp)` (see [`AdamW`]), then `t ← t + 1`: one step with
    /// the gradient `grads`.
    ///
    /// # Panics
    /// If `grads` differs from `params` in its leaves' number or shapes (the message names the
    /// leaf and both shapes), or if `params` no longer has the shapes it had at the first step.
    pub fn step(&mut self, params: &mut P, grads: &P) {
        self.0.step(params, grads);
    }

    /// `lr(t)`: the learning rate the next step uses.
    pub fn learning_rate(&self) -> f64 {
        self.0.learning_rate()
    }

    /// `t`: the number of steps taken since construction or [`AdamW::reset`].
    pub fn steps(&self) -> usize {
        self.0.steps()
    }

    /// `t ← 0`, `m` and `v` dropped: the optimiser starts over, keeping its hyperparameters.
    pub fn reset(&mut self) {
        self.0.reset();
    }
}

/// `p ← p − lr(t)·m̂/(√v̂ + ε)`: [`Adam::step`] and the other inherent methods.
impl<P: Differentiable, S: Schedule> Optimiser<P> for Adam<P, S> {
    fn step(&mut self, params: &mut P, grads: &P) {
        Adam::step(self, params, grads);
    }
    fn learning_rate(&self) -> f64 {
        Adam::learning_rate(self)
    }
    fn steps(&self) -> usize {
        Adam::steps(self)
    }
    fn reset(&mut self) {
        Adam::reset(self);
    }
}

/// `p ← p − lr(t)·(m̂/(√v̂ + ε) + λp)`: [`AdamW::step`] and the other inherent methods.
impl<P: Differentiable, S: Schedule> Optimiser<P> for AdamW<P, S> {
    fn step(&mut self, params: &mut P, grads: &P) {
        self.0.step(params, grads);
    }
    fn learning_rate(&self) -> f64 {
        self.0.learning_rate()
    }
    fn steps(&self) -> usize {
        self.0.steps()
    }
    fn reset(&mut self) {
        self.0.reset();
    }
}
