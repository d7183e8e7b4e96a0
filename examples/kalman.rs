//! A Kalman filter's negative log-likelihood, differentiated with respect to its noise
//! covariances and fitted to simulated data by gradient descent.
//!
//! The model: a point moving at nearly constant velocity in the plane, observed in position,
//!
//!   xₜ = F·xₜ₋₁ + wₜ,  wₜ ~ N(0, Q),     yₜ = H·xₜ + vₜ,  vₜ ~ N(0, R),
//!
//! with the state x = (px, py, vx, vy). The filter's innovations eₜ = yₜ − H·x̂ₜ|ₜ₋₁, with
//! covariances Sₜ = H·Pₜ|ₜ₋₁·Hᵀ + R, give the negative log-likelihood
//!
//!   −ln p(y₁..y_T) = ½ Σₜ (eₜᵀ·Sₜ⁻¹·eₜ + ln |Sₜ| + m ln 2π),
//!
//! computed with one Cholesky factorisation of Sₜ per step (the solve for the gain and the
//! log-determinant reuse it). The covariances are parameterised as Q = A·Aᵀ + εI and
//! R = B·Bᵀ + εI, so every step of the descent keeps them positive definite; `#[grad(a, b)]`
//! gives the gradient with respect to A and B through the whole filter, loop and all.
//!
//! `cargo run --release --example kalman`

use matgrad::{check_gradient, grad};
use nalgebra::{DMatrix, DVector};
use rand::{rngs::StdRng, Rng, SeedableRng};

/// The filter's fixed parts: dynamics, observation, initial state and its covariance.
pub struct Model {
    pub f: DMatrix<f64>,
    pub h: DMatrix<f64>,
    pub x0: DVector<f64>,
    pub p0: DMatrix<f64>,
}

/// `−ln p(ys)` for Q = A·Aᵀ + εI and R = B·Bᵀ + εI (ε = 1e-6).
#[grad(a, b)]
pub fn kalman_nll(a: &DMatrix<f64>, b: &DMatrix<f64>, model: &Model, ys: &[DVector<f64>]) -> f64 {
    let (n, m) = (a.nrows(), b.nrows());
    let q = a * a.transpose() + DMatrix::identity(n, n) * 1e-6;
    let r = b * b.transpose() + DMatrix::identity(m, m) * 1e-6;
    let log_2pi = (2.0 * std::f64::consts::PI).ln();
    let mut x = model.x0.clone();
    let mut p = model.p0.clone();
    let mut nll = 0.0;
    for y in ys.iter() {
        // Predict.
        x = &model.f * x;
        p = &model.f * p * model.f.transpose() + &q;
        // Update: S = H·P·Hᵀ + R, K = P·Hᵀ·S⁻¹ = (S⁻¹·H·P)ᵀ for symmetric P and S.
        let e = y - &model.h * &x;
        let hp = &model.h * &p;
        let s = &hp * model.h.transpose() + &r;
        let c = s.cholesky().unwrap();
        nll += 0.5 * (e.dot(&c.solve(&e)) + c.ln_determinant() + m as f64 * log_2pi);
        let k = c.solve(&hp).transpose();
        x += &k * e;
        p -= k * hp;
        // Keep P exactly symmetric against rounding.
        p = (&p + p.transpose()) * 0.5;
    }
    nll
}

/// The constant-velocity model with time step `dt`, observing positions.
pub fn model(dt: f64) -> Model {
    let mut f = DMatrix::identity(4, 4);
    f[(0, 2)] = dt;
    f[(1, 3)] = dt;
    let mut h = DMatrix::zeros(2, 4);
    h[(0, 0)] = 1.0;
    h[(1, 1)] = 1.0;
    Model {
        f,
        h,
        x0: DVector::zeros(4),
        p0: DMatrix::identity(4, 4),
    }
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut StdRng) -> f64 {
    let (u, v): (f64, f64) = (rng.random_range(1e-12..1.0), rng.random_range(0.0..1.0));
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

/// `steps` observations of the model with noise N(0, A·Aᵀ) and N(0, B·Bᵀ).
pub fn simulate(
    model: &Model,
    a: &DMatrix<f64>,
    b: &DMatrix<f64>,
    steps: usize,
    seed: u64,
) -> Vec<DVector<f64>> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut x = model.x0.clone();
    let mut ys = Vec::with_capacity(steps);
    for _ in 0..steps {
        let w = DVector::from_fn(a.ncols(), |_, _| normal(&mut rng));
        let v = DVector::from_fn(b.ncols(), |_, _| normal(&mut rng));
        x = &model.f * x + a * w;
        ys.push(&model.h * &x + b * v);
    }
    ys
}

/// The true noise factors: Q = A·Aᵀ with small process noise on the velocities, R = B·Bᵀ.
pub fn truth() -> (DMatrix<f64>, DMatrix<f64>) {
    let a = DMatrix::from_diagonal(&DVector::from_vec(vec![0.05, 0.05, 0.3, 0.2]));
    let b = DMatrix::from_row_slice(2, 2, &[0.5, 0.0, 0.2, 0.4]);
    (a, b)
}

/// Gradient descent with a backtracking step: from `(a, b)`, `iterations` steps; returns the
/// fitted factors and the negative log-likelihood after each step.
pub fn fit(
    model: &Model,
    ys: &[DVector<f64>],
    mut a: DMatrix<f64>,
    mut b: DMatrix<f64>,
    iterations: usize,
) -> (DMatrix<f64>, DMatrix<f64>, Vec<f64>) {
    let mut step = 1e-3;
    let mut history = Vec::with_capacity(iterations);
    let (mut value, mut grad) = kalman_nll_grad(&a, &b, model, ys);
    for _ in 0..iterations {
        let g2 = grad.a.norm_squared() + grad.b.norm_squared();
        loop {
            let (a1, b1) = (&a - &grad.a * step, &b - &grad.b * step);
            let v1 = kalman_nll(&a1, &b1, model, ys);
            // Armijo's condition: at least half the decrease the gradient promises.
            if v1 <= value - 0.5 * step * g2 {
                (a, b) = (a1, b1);
                (value, grad) = kalman_nll_grad(&a, &b, model, ys);
                step *= 1.5;
                break;
            }
            step *= 0.5;
            if step < 1e-12 {
                return (a, b, history);
            }
        }
        history.push(value);
    }
    (a, b, history)
}

/// `‖XXᵀ − YYᵀ‖ / ‖YYᵀ‖`: how far a fitted covariance is from the true one.
pub fn covariance_error(x: &DMatrix<f64>, y: &DMatrix<f64>) -> f64 {
    let (cx, cy) = (x * x.transpose(), y * y.transpose());
    (cx - &cy).norm() / cy.norm()
}

fn main() {
    let model = model(0.1);
    let (a_true, b_true) = truth();
    let ys = simulate(&model, &a_true, &b_true, 400, 7);
    let (a0, b0) = (DMatrix::identity(4, 4) * 0.5, DMatrix::identity(2, 2));

    let (v0, g0) = kalman_nll_grad(&a0, &b0, &model, &ys);
    let check_a = check_gradient(|a| kalman_nll(a, &b0, &model, &ys), &a0, &g0.a);
    let check_b = check_gradient(|b| kalman_nll(&a0, b, &model, &ys), &b0, &g0.b);
    println!(
        "Kalman filter, 4 states, 2 observations, {} steps",
        ys.len()
    );
    println!("  at the start: −ln p = {v0:.4}");
    println!("  ∂/∂A against finite differences: {check_a}");
    println!("  ∂/∂B against finite differences: {check_b}");

    let start = std::time::Instant::now();
    let (a, b, history) = fit(&model, &ys, a0.clone(), b0.clone(), 300);
    let elapsed = start.elapsed();
    for (i, v) in history.iter().enumerate().filter(|(i, _)| i % 50 == 0) {
        println!("  step {i:3}: −ln p = {v:.4}");
    }
    let last = history.last().copied().unwrap_or(v0);
    println!(
        "  after {} steps ({:.2} s): −ln p = {last:.4}; at the true covariances {:.4}",
        history.len(),
        elapsed.as_secs_f64(),
        kalman_nll(&a_true, &b_true, &model, &ys)
    );
    println!(
        "  relative error of Q: {:.3} at the start, {:.3} fitted; of R: {:.3} at the start, {:.3} fitted",
        covariance_error(&a0, &a_true),
        covariance_error(&a, &a_true),
        covariance_error(&b0, &b_true),
        covariance_error(&b, &b_true)
    );
    println!("  fitted R = B·Bᵀ = {:.3}", &b * b.transpose());
}
