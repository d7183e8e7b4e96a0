//! The classifier of `examples/train.rs` and `examples/data_parallel.rs`: a multilayer
//! perceptron as a struct deriving `Differentiable`, its softmax cross-entropy under
//! `#[grad]`, and what training needs around it (initialisation, accuracy).
//!
//! Not an example of its own: each example includes it with
//! `#[path = "support/mlp.rs"] mod mlp;`, and `tests/train.rs` checks its gradient.
//!
//! Samples are columns: a batch of `n` inputs is a `d × n` matrix, its labels a `10 × n`
//! one-hot matrix, so a layer is `W·H + b` with `b` added to every column.

// Each including crate uses a different part of this module.
#![allow(dead_code)]

use matgrad::{grad, log_softmax_columns, relu, Broadcast, Differentiable};
use nalgebra::{DMatrix, DVector};
use rand::rngs::StdRng;
use rand::Rng;

/// One affine layer, `z = W·h + b`.
#[derive(Clone, Debug, Differentiable)]
pub struct Layer {
    pub w: DMatrix<f64>,
    pub b: DVector<f64>,
}

/// Affine layers with a ReLU between them; the last one gives the logits.
#[derive(Clone, Debug, Differentiable)]
pub struct Mlp {
    pub layers: Vec<Layer>,
}

impl Mlp {
    /// Layers of the given widths (inputs first, classes last), with He-uniform weights
    /// (`U(±√(6/fan_in))`, for ReLU) and zero biases.
    pub fn new(widths: &[usize], rng: &mut StdRng) -> Mlp {
        let layers = widths
            .windows(2)
            .map(|w| {
                let bound = (6.0 / w[0] as f64).sqrt();
                Layer {
                    w: DMatrix::from_fn(w[1], w[0], |_, _| rng.random_range(-bound..bound)),
                    b: DVector::zeros(w[1]),
                }
            })
            .collect();
        Mlp { layers }
    }

    /// The number of trained parameters.
    pub fn parameter_count(&self) -> usize {
        self.entry_count()
    }
}

/// The logits, one column per sample: every layer but the last followed by a ReLU.
#[grad(p)]
pub fn logits(p: &Mlp, x: &DMatrix<f64>) -> DMatrix<f64> {
    let last = p.layers.len() - 1;
    let mut h = x.clone();
    for (i, layer) in p.layers.iter().enumerate() {
        let z = (&layer.w * &h).broadcast_add(&layer.b);
        h = if i < last { relu(&z) } else { z };
    }
    h
}

/// The mean softmax cross-entropy of the batch `x` against its one-hot labels `y`:
/// `−(1/n) Σⱼ Σₖ yₖⱼ · log softmax(zⱼ)ₖ`, `z` the logits.
#[grad(p)]
pub fn loss(p: &Mlp, x: &DMatrix<f64>, y: &DMatrix<f64>) -> f64 {
    let n = x.ncols() as f64;
    let log_probabilities = log_softmax_columns(&logits(p, x));
    -log_probabilities.component_mul(y).sum() / n
}

/// The `classes × n` one-hot matrix of `labels`.
pub fn one_hot(labels: &[usize], classes: usize) -> DMatrix<f64> {
    DMatrix::from_fn(classes, labels.len(), |k, j| {
        f64::from(u8::from(labels[j] == k))
    })
}

/// The predicted class of each column: the index of its largest logit.
pub fn predict(p: &Mlp, x: &DMatrix<f64>) -> Vec<usize> {
    logits(p, x).column_iter().map(|z| z.imax()).collect()
}

/// The fraction of the samples of `x` whose predicted class is their label.
pub fn accuracy(p: &Mlp, x: &DMatrix<f64>, labels: &[usize]) -> f64 {
    let right = predict(p, x)
        .iter()
        .zip(labels)
        .filter(|(a, b)| a == b)
        .count();
    right as f64 / labels.len() as f64
}
