//! Learning-rate schedules: `lr(t)` for the steps `t = 0, 1, ...`, with optax's semantics.

use std::f64::consts::PI;
use std::fmt;

/// `lr(t)`: the learning rate of step `t`, counted from 0.
///
/// Every optimiser takes a schedule in place of a constant rate and asks it for `lr(t)` at its
/// `t`-th step (the first step uses `lr(0)`, as optax's step count and a PyTorch scheduler
/// stepped after each optimiser step do). A constant rate is an `f64`; [`from_fn`] makes a
/// schedule of a closure; `Box<dyn Schedule>` chooses one at run time.
///
/// # Example
///
/// ```
/// use matgrad::optim::{CosineDecay, Schedule};
///
/// let cosine = CosineDecay::new(0.1, 100);
/// assert_eq!(cosine.lr(0), 0.1);
/// assert!((cosine.lr(50) - 0.05).abs() < 1e-15);
/// assert_eq!(cosine.lr(100), 0.0);
/// assert_eq!(0.3.lr(7), 0.3); // a constant rate
/// ```
pub trait Schedule {
    /// `lr(t)`: the learning rate of step `t` (counted from 0).
    fn lr(&self, step: usize) -> f64;
}

/// `lr(t) = c`: a constant rate (optax's `constant_schedule`).
impl Schedule for f64 {
    fn lr(&self, _step: usize) -> f64 {
        *self
    }
}

/// `lr(t) = s.lr(t)`: the boxed schedule's rate.
impl<S: Schedule + ?Sized> Schedule for Box<S> {
    fn lr(&self, step: usize) -> f64 {
        (**self).lr(step)
    }
}

/// `lr(t) = s.lr(t)`: the borrowed schedule's rate.
impl<S: Schedule + ?Sized> Schedule for &S {
    fn lr(&self, step: usize) -> f64 {
        (**self).lr(step)
    }
}

// ================================================================================= closures

/// `lr(t) = f(t)`: a schedule of a closure (PyTorch's `LambdaLR`, with the rate itself).
///
/// # Example
///
/// ```
/// use matgrad::optim::{from_fn, Schedule, Sgd};
/// use nalgebra::DVector;
///
/// let inverse_sqrt = from_fn(|t| 0.1 / ((t + 1) as f64).sqrt());
/// assert_eq!(inverse_sqrt.lr(3), 0.05);
/// let _opt: Sgd<DVector<f64>, _> = Sgd::new(inverse_sqrt).momentum(0.9);
/// ```
pub fn from_fn<F: Fn(usize) -> f64>(f: F) -> FromFn<F> {
    FromFn(f)
}

/// `lr(t) = f(t)`: the schedule [`from_fn`] makes of a closure.
#[derive(Clone, Copy)]
pub struct FromFn<F>(F);

impl<F: Fn(usize) -> f64> Schedule for FromFn<F> {
    fn lr(&self, step: usize) -> f64 {
        (self.0)(step)
    }
}

impl<F> fmt::Debug for FromFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FromFn(..)")
    }
}

// =============================================================================== step decay

/// `lr(t) = lr₀·γ^⌊t/k⌋`: the rate multiplied by `γ` every `k` steps.
///
/// PyTorch's `StepLR(step_size=k, gamma=γ)`; optax's
/// `exponential_decay(lr₀, transition_steps=k, decay_rate=γ, staircase=True)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepDecay {
    init_value: f64,
    step_size: usize,
    gamma: f64,
}

impl StepDecay {
    /// `lr(t) = init_value·gamma^⌊t/step_size⌋`.
    ///
    /// # Panics
    /// If `step_size` is 0.
    pub fn new(init_value: f64, step_size: usize, gamma: f64) -> Self {
        assert!(step_size > 0, "StepDecay: step_size must be at least 1");
        StepDecay {
            init_value,
            step_size,
            gamma,
        }
    }
}

impl Schedule for StepDecay {
    fn lr(&self, step: usize) -> f64 {
        self.init_value * self.gamma.powf((step / self.step_size) as f64)
    }
}

// ======================================================================== exponential decay

/// `lr(t) = lr₀·r^((t − t₀)/k)` after `t₀` (`lr₀` until then), optionally bounded by an end
/// value.
///
/// optax's `exponential_decay(lr₀, transition_steps=k, decay_rate=r, transition_begin=t₀,
/// end_value=..)`; with the defaults `k = 1`, `t₀ = 0`, PyTorch's `ExponentialLR(gamma=r)`.
/// The end value is a floor when `r < 1` and a ceiling when `r > 1`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExponentialDecay {
    init_value: f64,
    decay_rate: f64,
    transition_steps: usize,
    transition_begin: usize,
    end_value: Option<f64>,
}

impl ExponentialDecay {
    /// `lr(t) = init_value·decay_rate^t` (until the builders below change `k`, `t₀` or the
    /// end value).
    ///
    /// # Panics
    /// If `decay_rate` is not positive.
    pub fn new(init_value: f64, decay_rate: f64) -> Self {
        assert!(
            decay_rate > 0.0,
            "ExponentialDecay: decay_rate must be positive, not {decay_rate}"
        );
        ExponentialDecay {
            init_value,
            decay_rate,
            transition_steps: 1,
            transition_begin: 0,
            end_value: None,
        }
    }

    /// `k` in `lr₀·r^((t − t₀)/k)`: the steps over which the rate is multiplied by `r`
    /// (default 1).
    ///
    /// # Panics
    /// If `k` is 0.
    pub fn transition_steps(mut self, k: usize) -> Self {
        assert!(
            k > 0,
            "ExponentialDecay: transition_steps must be at least 1"
        );
        self.transition_steps = k;
        self
    }

    /// `t₀` in `lr₀·r^((t − t₀)/k)`: the rate stays `lr₀` for `t ≤ t₀` (default 0).
    pub fn transition_begin(mut self, t0: usize) -> Self {
        self.transition_begin = t0;
        self
    }

    /// `max(lr(t), end)` when `r < 1`, `min(lr(t), end)` when `r > 1`: the rate never passes
    /// `end` (default: no bound).
    pub fn end_value(mut self, end: f64) -> Self {
        self.end_value = Some(end);
        self
    }
}

impl Schedule for ExponentialDecay {
    fn lr(&self, step: usize) -> f64 {
        if step <= self.transition_begin {
            return self.init_value;
        }
        let p = (step - self.transition_begin) as f64 / self.transition_steps as f64;
        let value = self.init_value * self.decay_rate.powf(p);
        match self.end_value {
            Some(end) if self.decay_rate < 1.0 => value.max(end),
            Some(end) => value.min(end),
            None => value,
        }
    }
}

// ============================================================================= cosine decay

/// `lr(t) = lr₀·((1 − α)·c(t)^e + α)` with `c(t) = ½(1 + cos(π·min(t, T)/T))`: from `lr₀` down
/// to `α·lr₀` over `T` steps, then constant.
///
/// optax's `cosine_decay_schedule(lr₀, decay_steps=T, alpha=α, exponent=e)`; with `e = 1`,
/// PyTorch's `CosineAnnealingLR(T_max=T, eta_min=α·lr₀)` for `t ≤ T` (PyTorch's goes back up
/// after `T`; this one stays at `α·lr₀`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CosineDecay {
    init_value: f64,
    decay_steps: usize,
    alpha: f64,
    exponent: f64,
}

impl CosineDecay {
    /// `lr(t) = init_value·½(1 + cos(π·min(t, T)/T))` with `T = decay_steps` (until
    /// [`alpha`](Self::alpha) or [`exponent`](Self::exponent) change it).
    ///
    /// # Panics
    /// If `decay_steps` is 0.
    pub fn new(init_value: f64, decay_steps: usize) -> Self {
        assert!(
            decay_steps > 0,
            "CosineDecay: decay_steps must be at least 1"
        );
        CosineDecay {
            init_value,
            decay_steps,
            alpha: 0.0,
            exponent: 1.0,
        }
    }

    /// `α` in `lr₀·((1 − α)·c(t)^e + α)`: the final rate as a fraction of `lr₀` (default 0).
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// `e` in `lr₀·((1 − α)·c(t)^e + α)` (default 1).
    pub fn exponent(mut self, e: f64) -> Self {
        self.exponent = e;
        self
    }
}

impl Schedule for CosineDecay {
    fn lr(&self, step: usize) -> f64 {
        cosine(
            self.init_value,
            self.decay_steps,
            self.alpha,
            self.exponent,
            step,
        )
    }
}

/// `init·((1 − α)·(½(1 + cos(π·min(t, T)/T)))^e + α)`, in optax's order of operations.
fn cosine(init: f64, decay_steps: usize, alpha: f64, exponent: f64, step: usize) -> f64 {
    let count = step.min(decay_steps) as f64;
    let decay = 0.5 * (1.0 + (PI * count / decay_steps as f64).cos());
    init * ((1.0 - alpha) * decay.powf(exponent) + alpha)
}

// ==================================================================== warm-up, then cosine

/// `lr(t) = lr₀ + (peak − lr₀)·t/W` for `t < W`, then [`CosineDecay`] from `peak` to `end` over
/// the `T − W` steps after: a linear warm-up followed by a cosine decay.
///
/// optax's `warmup_cosine_decay_schedule(lr₀, peak, warmup_steps=W, decay_steps=T,
/// end_value=end, exponent=e)`: `T` counts the warm-up steps too, and the decay is
/// `cosine_decay_schedule(peak, T − W, alpha=end/peak, exponent=e)` at `t − W`.
///
/// # Example
///
/// ```
/// use matgrad::optim::{Schedule, WarmupCosineDecay};
///
/// let s = WarmupCosineDecay::new(0.0, 1.0, 10, 110).end_value(0.1);
/// assert_eq!(s.lr(5), 0.5); // half-way up
/// assert_eq!(s.lr(10), 1.0); // the peak
/// assert!((s.lr(60) - 0.55).abs() < 1e-15); // half-way down
/// assert!((s.lr(500) - 0.1).abs() < 1e-15); // the end value from step 110 on
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WarmupCosineDecay {
    init_value: f64,
    peak_value: f64,
    warmup_steps: usize,
    decay_steps: usize,
    end_value: f64,
    exponent: f64,
}

impl WarmupCosineDecay {
    /// `lr(t) = init + (peak − init)·t/W` for `t < W`, then
    /// `peak·½(1 + cos(π·min(t − W, T − W)/(T − W)))` (end value 0, exponent 1 until the
    /// builders change them), with `W = warmup_steps`, `T = decay_steps`.
    ///
    /// # Panics
    /// If `decay_steps` is not greater than `warmup_steps`.
    pub fn new(init_value: f64, peak_value: f64, warmup_steps: usize, decay_steps: usize) -> Self {
        assert!(
            decay_steps > warmup_steps,
            "WarmupCosineDecay: decay_steps ({decay_steps}) must be greater than warmup_steps \
             ({warmup_steps}): it counts the warm-up too"
        );
        WarmupCosineDecay {
            init_value,
            peak_value,
            warmup_steps,
            decay_steps,
            end_value: 0.0,
            exponent: 1.0,
        }
    }

    /// `end` in the decay from `peak` to `end`: the rate from step `T` on (default 0).
    pub fn end_value(mut self, end: f64) -> Self {
        self.end_value = end;
        self
    }

    /// `e` in `peak·((1 − α)·c^e + α)`, the decay's exponent (default 1).
    pub fn exponent(mut self, e: f64) -> Self {
        self.exponent = e;
        self
    }
}

impl Schedule for WarmupCosineDecay {
    fn lr(&self, step: usize) -> f64 {
        let w = self.warmup_steps;
        if step < w {
            let frac = 1.0 - step as f64 / w as f64;
            return (self.init_value - self.peak_value) * frac + self.peak_value;
        }
        let alpha = if self.peak_value == 0.0 {
            0.0
        } else {
            self.end_value / self.peak_value
        };
        let steps = self.decay_steps - w;
        cosine(self.peak_value, steps, alpha, self.exponent, step - w)
    }
}
