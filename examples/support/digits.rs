//! The UCI handwritten digits (Alpaydin & Kaynak, 1998), as the `smartcore` crate embeds them:
//! 1797 bitmaps of 8×8 pixels, each pixel a count 0..=16, labelled 0 to 9. Loaded from
//! the crate's bytes (no download), split into a training and a held-out test set with a
//! seeded shuffle, and standardised with the training set's statistics.
//!
//! Not an example of its own: included with `#[path = "support/digits.rs"] mod digits;`.

// Each including crate uses a different part of this module.
#![allow(dead_code)]

use nalgebra::DMatrix;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// The number of classes, the digits 0 to 9.
pub const CLASSES: usize = 10;

/// Samples as columns and their labels.
#[derive(Clone, Debug)]
pub struct Split {
    /// `64 × n`, one standardised image per column.
    pub x: DMatrix<f64>,
    /// The digit each column shows.
    pub labels: Vec<usize>,
}

impl Split {
    /// The number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// The samples at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Split {
        Split {
            x: self.x.select_columns(indices),
            labels: indices.iter().map(|&j| self.labels[j]).collect(),
        }
    }
}

/// Every image (`64 × 1797`, pixel counts as floats) and its label.
pub fn load() -> Split {
    let data = smartcore::dataset::digits::load_dataset();
    let (n, d) = (data.num_samples, data.num_features);
    assert_eq!(data.data.len(), n * d, "the digits' pixels");
    // `data.data` is row-major, one image per row: column-major `d × n`, one per column.
    let x = DMatrix::from_iterator(d, n, data.data.iter().map(|&v| f64::from(v)));
    let labels = data.target.iter().map(|&t| t as usize).collect();
    Split { x, labels }
}

/// The digits shuffled by `rng`, then split: the first `test` samples held out, the rest for
/// training; both standardised with the training set's mean and standard deviation per
/// pixel (a pixel that is constant there, as the corners are, is only centred).
pub fn train_test(test: usize, rng: &mut StdRng) -> (Split, Split) {
    let all = load();
    let mut order: Vec<usize> = (0..all.len()).collect();
    order.shuffle(rng);
    let (held_out, training) = order.split_at(test);
    let (mut train, mut test) = (all.select(training), all.select(held_out));
    standardise(&mut train.x, &mut test.x);
    (train, test)
}

/// `(x − μ)/σ` per row (pixel) of both matrices, `μ` and `σ` of `train`'s columns.
fn standardise(train: &mut DMatrix<f64>, test: &mut DMatrix<f64>) {
    let n = train.ncols() as f64;
    for i in 0..train.nrows() {
        let mean = train.row(i).sum() / n;
        let var = train.row(i).map(|v| (v - mean).powi(2)).sum() / n;
        let scale = if var > 0.0 { var.sqrt() } else { 1.0 };
        for m in [&mut *train, &mut *test] {
            m.row_mut(i).apply(|v| *v = (*v - mean) / scale);
        }
    }
}
