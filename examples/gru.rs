//! A gated recurrent unit (GRU) whose three gates are row blocks of one pre-activation,
//! trained by gradient descent to predict the next value of a sequence.
//!
//! With `gx = W·xₜ + b_x` and `gh = U·hₜ₋₁ + b_h` (each 3H long, the gates stacked),
//!
//!   r = σ(gx[0..H] + gh[0..H]),   z = σ(gx[H..2H] + gh[H..2H]),
//!   n = tanh(gx[2H..3H] + r ⊙ gh[2H..3H]),   hₜ = (1 − z) ⊙ n + z ⊙ hₜ₋₁,
//!
//! as PyTorch's `nn.GRU` computes it, and the loss `l = Σₜ ½(v·hₜ − yₜ)²`. The gates are
//! `.rows(i, n)` of the stacked pre-activations, as one writes it with nalgebra; `#[grad]`
//! pulls each gate's cotangent back into its block.
//!
//! `cargo run --release --example gru`

use matgrad::{check_gradient, grad, sigmoid, tanh};
use nalgebra::{DMatrix, DVector};
use rand::{rngs::StdRng, Rng, SeedableRng};

/// The cell's parameters: `W` (3H×I), `U` (3H×H), `b_x`, `b_h` (3H) and the read-out `v` (H).
#[derive(Clone)]
pub struct Gru {
    pub w: DMatrix<f64>,
    pub u: DMatrix<f64>,
    pub bx: DVector<f64>,
    pub bh: DVector<f64>,
    pub v: DVector<f64>,
}

/// `l = Σₜ ½(v·hₜ − yₜ)²` over the sequence `xs` with targets `ys`, from `h₀ = 0`.
#[grad(w, u, bx, bh, v)]
pub fn gru_loss(
    w: &DMatrix<f64>,
    u: &DMatrix<f64>,
    bx: &DVector<f64>,
    bh: &DVector<f64>,
    v: &DVector<f64>,
    xs: &[DVector<f64>],
    ys: &[f64],
) -> f64 {
    let hidden = u.ncols();
    let ones = DVector::from_element(hidden, 1.0);
    let mut h = DVector::zeros(hidden);
    let mut loss = 0.0;
    for (x, y) in xs.iter().zip(ys.iter()) {
        let gx = w * x + bx;
        let gh = u * &h + bh;
        let r = sigmoid(&(gx.rows(0, hidden) + gh.rows(0, hidden)));
        let z = sigmoid(&(gx.rows(hidden, hidden) + gh.rows(hidden, hidden)));
        let n =
            tanh(&(gx.rows(2 * hidden, hidden) + r.component_mul(&gh.rows(2 * hidden, hidden))));
        h = (&ones - &z).component_mul(&n) + z.component_mul(&h);
        let e = v.dot(&h) - y;
        loss += 0.5 * e * e;
    }
    loss
}

impl Gru {
    /// Small random parameters for `inputs` inputs and `hidden` units.
    pub fn new(inputs: usize, hidden: usize, seed: u64) -> Gru {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut random = |r, c| DMatrix::from_fn(r, c, |_, _| rng.random_range(-0.5..0.5));
        Gru {
            w: random(3 * hidden, inputs),
            u: random(3 * hidden, hidden),
            bx: random(3 * hidden, 1).column(0).into_owned(),
            bh: random(3 * hidden, 1).column(0).into_owned(),
            v: random(hidden, 1).column(0).into_owned(),
        }
    }

    /// The loss on a sequence.
    pub fn loss(&self, xs: &[DVector<f64>], ys: &[f64]) -> f64 {
        gru_loss(&self.w, &self.u, &self.bx, &self.bh, &self.v, xs, ys)
    }

    /// One step of gradient descent with momentum `beta` (`velocity` holds the running
    /// step); returns the loss before the step.
    pub fn step(
        &mut self,
        velocity: &mut Gru,
        xs: &[DVector<f64>],
        ys: &[f64],
        rate: f64,
        beta: f64,
    ) -> f64 {
        let (loss, g) = gru_loss_grad(&self.w, &self.u, &self.bx, &self.bh, &self.v, xs, ys);
        velocity.w = &velocity.w * beta - g.w * rate;
        velocity.u = &velocity.u * beta - g.u * rate;
        velocity.bx = &velocity.bx * beta - g.bx * rate;
        velocity.bh = &velocity.bh * beta - g.bh * rate;
        velocity.v = &velocity.v * beta - g.v * rate;
        self.w += &velocity.w;
        self.u += &velocity.u;
        self.bx += &velocity.bx;
        self.bh += &velocity.bh;
        self.v += &velocity.v;
        loss
    }

    /// Zeros shaped like the parameters.
    pub fn zeros_like(&self) -> Gru {
        Gru {
            w: self.w.map(|_| 0.0),
            u: self.u.map(|_| 0.0),
            bx: self.bx.map(|_| 0.0),
            bh: self.bh.map(|_| 0.0),
            v: self.v.map(|_| 0.0),
        }
    }
}

/// `steps` samples of `sin(0.3t)·cos(0.07t)` as one-dimensional inputs, and as targets the
/// next sample.
pub fn sequence(steps: usize) -> (Vec<DVector<f64>>, Vec<f64>) {
    let s = |t: usize| (0.3 * t as f64).sin() * (0.07 * t as f64).cos();
    let xs = (0..steps).map(|t| DVector::from_element(1, s(t))).collect();
    let ys = (0..steps).map(|t| s(t + 1)).collect();
    (xs, ys)
}

/// Trains a fresh cell for `epochs` steps; returns it and the loss before each step.
pub fn train(hidden: usize, steps: usize, epochs: usize) -> (Gru, Vec<f64>) {
    let (xs, ys) = sequence(steps);
    let mut gru = Gru::new(1, hidden, 3);
    let mut velocity = gru.zeros_like();
    let losses = (0..epochs)
        .map(|_| gru.step(&mut velocity, &xs, &ys, 0.01, 0.9))
        .collect();
    (gru, losses)
}

fn main() {
    let (xs, ys) = sequence(60);
    let gru = Gru::new(1, 8, 3);
    let (_, g) = gru_loss_grad(&gru.w, &gru.u, &gru.bx, &gru.bh, &gru.v, &xs, &ys);
    let check = check_gradient(
        |u| gru_loss(&gru.w, u, &gru.bx, &gru.bh, &gru.v, &xs, &ys),
        &gru.u,
        &g.u,
    );
    println!("GRU, 8 units, gates as row blocks of one pre-activation, 60 steps");
    println!("  ∂l/∂U against finite differences: {check}");
    let start = std::time::Instant::now();
    let (trained, losses) = train(8, 60, 300);
    for (i, l) in losses.iter().enumerate().filter(|(i, _)| i % 50 == 0) {
        println!("  step {i:3}: loss {l:.6}");
    }
    println!(
        "  after {} steps ({:.2} s): loss {:.6}",
        losses.len(),
        start.elapsed().as_secs_f64(),
        trained.loss(&xs, &ys)
    );
}
