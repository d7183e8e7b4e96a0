//! argmin's L-BFGS driving a model written as a struct: a multinomial logistic regression
//! `Model { w, b }` (3 classes, 4 features, 600 points generated with a fixed seed), whose loss
//! and gradient come from `#[grad]`. argmin works on a `Vec<f64>`; `to_flat` and `unflatten`
//! carry the struct to and from it. For comparison, Adam (`matgrad::optim`) on the same loss
//! with as many gradients as L-BFGS evaluated losses and gradients.
//!
//! `cargo run --release --example lbfgs`

use argmin::core::{CostFunction, Error, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use matgrad::optim::Adam;
use matgrad::{grad, log_softmax_rows, Broadcast, Differentiable};
use nalgebra::{DMatrix, DVector};
use std::cell::Cell;
use std::rc::Rc;

/// Class scores `W·x + b`.
#[derive(Clone, Debug, Differentiable)]
struct Model {
    w: DMatrix<f64>,
    b: DVector<f64>,
}

/// The mean cross-entropy of the softmax of the scores, `−(1/n)·Σᵢ ln softmax(W·xᵢ + b)_{yᵢ}`,
/// plus `(λ/2)·‖W‖²`: `x` holds a point per row, `onehot` its class as a one-hot row.
#[grad(m)]
fn loss(m: &Model, x: &DMatrix<f64>, onehot: &DMatrix<f64>, lambda: f64) -> f64 {
    let scores = (x * m.w.transpose()).broadcast_add(&m.b.transpose());
    let logp = log_softmax_rows(&scores);
    let n = x.nrows() as f64;
    -logp.component_mul(onehot).sum() / n + 0.5 * lambda * m.w.norm_squared()
}

/// A deterministic stream of numbers in [0, 1) (a 64-bit LCG): data without a `rand`
/// dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal draw (Box–Muller).
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.next().max(1e-300), self.next());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// `n` points of 4 features around three class centres, and their one-hot classes.
fn data(n: usize) -> (DMatrix<f64>, DMatrix<f64>) {
    let centres = DMatrix::from_row_slice(
        4,
        3,
        &[
            1.0, -1.0, 0.0, 0.5, 0.5, -1.0, -0.5, 1.0, 0.5, 0.0, -0.5, 1.0,
        ],
    );
    let mut rng = Lcg(2026);
    let mut x = DMatrix::zeros(n, 4);
    let mut onehot = DMatrix::zeros(n, 3);
    for i in 0..n {
        let class = i % 3;
        onehot[(i, class)] = 1.0;
        for f in 0..4 {
            x[(i, f)] = centres[(f, class)] + 0.8 * rng.normal();
        }
    }
    (x, onehot)
}

/// The loss as argmin sees it: a function of the flattened model, counting its calls.
struct Problem {
    x: DMatrix<f64>,
    onehot: DMatrix<f64>,
    lambda: f64,
    shape: Model,
    costs: Rc<Cell<usize>>,
    gradients: Rc<Cell<usize>>,
}

impl CostFunction for Problem {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, p: &Vec<f64>) -> Result<f64, Error> {
        self.costs.set(self.costs.get() + 1);
        let m = self.shape.unflatten(&DVector::from_column_slice(p));
        Ok(loss(&m, &self.x, &self.onehot, self.lambda))
    }
}

impl Gradient for Problem {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, p: &Vec<f64>) -> Result<Vec<f64>, Error> {
        self.gradients.set(self.gradients.get() + 1);
        let m = self.shape.unflatten(&DVector::from_column_slice(p));
        let (_, g) = loss_grad(&m, &self.x, &self.onehot, self.lambda);
        Ok(g.m.to_flat().data.into())
    }
}

fn accuracy(m: &Model, x: &DMatrix<f64>, onehot: &DMatrix<f64>) -> f64 {
    let scores = x * m.w.transpose();
    let hits = (0..x.nrows())
        .filter(|&i| {
            let s = scores.row(i).transpose() + &m.b;
            onehot[(i, s.imax())] == 1.0
        })
        .count();
    hits as f64 / x.nrows() as f64
}

fn main() -> Result<(), Error> {
    let (x, onehot) = data(600);
    let lambda = 1e-3;
    let (costs, gradients) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
    let start = Model {
        w: DMatrix::zeros(3, 4),
        b: DVector::zeros(3),
    };
    let problem = Problem {
        x: x.clone(),
        onehot: onehot.clone(),
        lambda,
        shape: start.clone(),
        costs: Rc::clone(&costs),
        gradients: Rc::clone(&gradients),
    };
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7)
        .with_tolerance_grad(1e-10)?
        .with_tolerance_cost(1e-14)?;
    let init: Vec<f64> = start.to_flat().data.into();
    let result = Executor::new(problem, solver)
        .configure(|state| state.param(init).max_iters(100))
        .run()?;
    let state = result.state();
    let best = start.unflatten(&DVector::from_column_slice(
        state.get_best_param().expect("a best point"),
    ));
    let (value, g) = loss_grad(&best, &x, &onehot, lambda);
    let evaluations = costs.get() + gradients.get();
    println!("argmin L-BFGS (memory 7) on Model {{ w: 3×4, b: 3 }} through to_flat/unflatten:");
    println!(
        "  {} iterations, {} losses and {} gradients: loss {value:.10}, ‖∇‖ {:.2e}, training accuracy {:.1} %",
        state.get_iter(),
        costs.get(),
        gradients.get(),
        g.m.norm(),
        100.0 * accuracy(&best, &x, &onehot)
    );

    let mut m = start;
    let mut adam = Adam::new(0.05);
    for _ in 0..evaluations {
        let (_, g) = loss_grad(&m, &x, &onehot, lambda);
        adam.step(&mut m, &g.m);
    }
    let (value, g) = loss_grad(&m, &x, &onehot, lambda);
    println!(
        "Adam (lr 0.05), {evaluations} gradients: loss {value:.10}, ‖∇‖ {:.2e}, training accuracy {:.1} %",
        g.m.norm(),
        100.0 * accuracy(&m, &x, &onehot)
    );
    Ok(())
}
