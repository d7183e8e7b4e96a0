//! The classifier of `examples/train.rs` (`examples/support/mlp.rs`) on real digits
//! (`examples/support/digits.rs`): its generated gradient against central finite differences
//! on a small batch, a few Adam steps lowering its loss, the gradient of a batch as the
//! weighted sum of its shards' (what `examples/data_parallel.rs` times), and the split the
//! example reports.

#[path = "../examples/support/digits.rs"]
mod digits;
#[path = "../examples/support/mlp.rs"]
mod mlp;

use matgrad::optim::Adam;
use matgrad::Differentiable;
use mlp::{loss, loss_grad, one_hot, LossGrad, Mlp};
use nalgebra::{DMatrix, DVector};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rayon::prelude::*;

/// `n` training digits as columns and their one-hot labels, and a fresh model of `widths`.
fn setup(n: usize, widths: &[usize]) -> (DMatrix<f64>, DMatrix<f64>, Mlp) {
    let mut rng = StdRng::seed_from_u64(7);
    let (train, _) = digits::train_test(360, &mut rng);
    let batch = train.select(&(0..n).collect::<Vec<_>>());
    let y = one_hot(&batch.labels, digits::CLASSES);
    (batch.x, y, Mlp::new(widths, &mut rng))
}

/// `p` with its `k`-th entry (in the order of `to_flat`) moved by `h`.
fn nudged(p: &Mlp, mut k: usize, h: f64) -> Mlp {
    let mut q = p.clone();
    for leaf in q.leaves_mut() {
        if k < leaf.entries.len() {
            leaf.entries[k] += h;
            break;
        }
        k -= leaf.entries.len();
    }
    q
}

/// ∇ₚ loss by central differences, flattened as `to_flat` flattens.
fn fd_gradient(p: &Mlp, x: &DMatrix<f64>, y: &DMatrix<f64>) -> DVector<f64> {
    const H: f64 = 1e-6;
    DVector::from_fn(p.entry_count(), |k, _| {
        (loss(&nudged(p, k, H), x, y) - loss(&nudged(p, k, -H), x, y)) / (2.0 * H)
    })
}

/// The smallest |pre-activation| of the hidden layers: finite differences of step `h` see
/// a ReLU's kink only where one is within about `h·|x|` of zero.
fn closest_to_a_kink(p: &Mlp, x: &DMatrix<f64>) -> f64 {
    let mut h = x.clone();
    let mut closest = f64::INFINITY;
    for layer in &p.layers[..p.layers.len() - 1] {
        let mut z = &layer.w * &h;
        for mut column in z.column_iter_mut() {
            column += &layer.b;
        }
        closest = closest.min(z.abs().min());
        h = z.map(|v| v.max(0.0));
    }
    closest
}

#[test]
fn the_gradient_matches_central_differences_on_a_small_batch() {
    for widths in [vec![64, 16, 10], vec![64, 12, 8, 10]] {
        let (x, y, p) = setup(8, &widths);
        assert!(
            closest_to_a_kink(&p, &x) > 1e-4,
            "a pre-activation at a kink"
        );
        let (value, grad) = loss_grad(&p, &x, &y);
        assert_eq!(value, loss(&p, &x, &y));
        let (got, want) = (grad.p.to_flat(), fd_gradient(&p, &x, &y));
        assert_eq!(got.len(), p.parameter_count());
        let err = (&got - &want).amax() / want.amax();
        assert!(
            err < 1e-7,
            "{widths:?}: off by {err:e} relative to the largest entry"
        );
        // Every layer's weights and biases get a gradient.
        for (name, leaf) in grad.p.named_leaves() {
            assert!(
                leaf.matrix().amax() > 0.0,
                "{widths:?}: {name} has a zero gradient"
            );
        }
    }
}

#[test]
fn a_few_adam_steps_lower_the_loss() {
    let (x, y, mut p) = setup(64, &[64, 32, 10]);
    let initial = loss(&p, &x, &y);
    let mut opt = Adam::new(1e-2);
    let mut values = Vec::new();
    for _ in 0..10 {
        let (value, grad) = loss_grad(&p, &x, &y);
        values.push(value);
        opt.step(&mut p, &grad.p);
    }
    let last = loss(&p, &x, &y);
    assert!(
        last < 0.25 * initial,
        "10 steps took the loss from {initial} to {last}: {values:?}"
    );
    // Adam's first step moves every parameter by about lr against its gradient's sign: a
    // descent direction, so the loss falls at once.
    assert!(
        values[1] < values[0],
        "the first step raised the loss: {values:?}"
    );
}

#[test]
fn a_batch_gradient_is_the_weighted_sum_of_its_shards() {
    let (x, y, p) = setup(300, &[64, 32, 16, 10]);
    let n = x.ncols() as f64;
    let (value, grad) = loss_grad(&p, &x, &y);
    // Uneven shards: each one's mean loss weighed by its share of the batch.
    let bounds = [(0, 37), (37, 150), (150, 300)];
    let (values, grads): (Vec<f64>, Vec<LossGrad>) = bounds
        .par_iter()
        .map(|&(a, b)| {
            let (xs, ys) = (
                x.columns(a, b - a).into_owned(),
                y.columns(a, b - a).into_owned(),
            );
            let (v, g) = loss_grad(&p, &xs, &ys);
            let w = (b - a) as f64 / n;
            (v * w, g * w)
        })
        .unzip();
    let summed: LossGrad = grads.into_iter().sum();
    let sharded_value: f64 = values.iter().sum();
    assert!((sharded_value - value).abs() <= 1e-14 * value.abs());
    let err = (summed.to_flat() - grad.to_flat()).norm() / grad.norm();
    assert!(
        err < 1e-13,
        "the shards' sum is {err:e} from the batch's gradient"
    );
}

#[test]
fn the_split_is_the_one_the_example_reports() {
    let (train, test) = digits::train_test(360, &mut StdRng::seed_from_u64(12));
    assert_eq!((train.len(), test.len()), (1437, 360));
    assert_eq!((train.x.nrows(), train.x.ncols()), (64, 1437));
    for label in 0..digits::CLASSES {
        assert!(test.labels.contains(&label), "no {label} in the test set");
    }
    // Standardised with the training set's statistics: each pixel has mean 0 and variance
    // 1 there, or is 0 everywhere (a corner that no digit inks).
    for row in train.x.row_iter() {
        let mean = row.mean();
        let var = row.map(|v| (v - mean).powi(2)).mean();
        assert!(mean.abs() < 1e-12, "mean {mean}");
        assert!(
            (var - 1.0).abs() < 1e-12 || row.amax() == 0.0,
            "variance {var}"
        );
    }
}
