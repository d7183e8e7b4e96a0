//! Training a classifier end to end: a multilayer perceptron on the UCI handwritten digits,
//! its gradient written by `#[grad]`, trained with Adam in mini-batches.
//!
//! ```sh
//! cargo run --release --example train
//! ```
//!
//! The model (`examples/support/mlp.rs`) is a struct deriving `Differentiable`, a `Vec` of
//! layers; its loss, the softmax cross-entropy, is an ordinary function under `#[grad(p)]`,
//! and `loss_grad` returns the gradient as a value of the model's own type, which
//! `matgrad::optim::Adam` steps the model with. The data (`examples/support/digits.rs`): the
//! 1797 8×8 digits the `smartcore` crate embeds, shuffled with a fixed seed, 360 held out for
//! testing, the pixels standardised with the training set's statistics. A progress bar shows
//! the running loss; the loss and accuracy curves go to `docs/training.svg`.

#[path = "support/digits.rs"]
mod digits;
#[path = "support/mlp.rs"]
mod mlp;

use indicatif::{ProgressBar, ProgressStyle};
use matgrad::optim::{Adam, CosineDecay};
use mlp::{accuracy, loss, loss_grad, one_hot, Mlp};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordusize;
use plotters::coord::Shift;
use plotters::prelude::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::time::Instant;

/// The widths of the layers: 64 pixels in, two hidden layers, 10 logits out.
const WIDTHS: [usize; 4] = [64, 128, 64, digits::CLASSES];
/// Held-out test samples (20% of 1797).
const TEST: usize = 360;
const EPOCHS: usize = 30;
const BATCH: usize = 32;
/// Adam's learning rate at the start; it decays to zero along a cosine over the run.
const LEARNING_RATE: f64 = 2e-3;
const SEED: u64 = 12;
const FIGURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/training.svg");

/// The curves, one point per epoch (epoch 0: before training).
#[derive(Default)]
struct History {
    /// The mean of the epoch's mini-batch losses (at epoch 0, the training set's loss).
    train_loss: Vec<f64>,
    test_loss: Vec<f64>,
    train_accuracy: Vec<f64>,
    test_accuracy: Vec<f64>,
}

fn main() -> PlotResult {
    let mut rng = StdRng::seed_from_u64(SEED);
    let (train, test) = digits::train_test(TEST, &mut rng);
    let (train_y, test_y) = (
        one_hot(&train.labels, digits::CLASSES),
        one_hot(&test.labels, digits::CLASSES),
    );
    let mut model = Mlp::new(&WIDTHS, &mut rng);
    let batches = train.len().div_ceil(BATCH);
    let steps = EPOCHS * batches;
    println!(
        "UCI handwritten digits (8×8 pixels, 10 classes, embedded in the smartcore crate): \
         {} training and {} held-out test samples, pixels standardised",
        train.len(),
        test.len()
    );
    println!(
        "MLP {WIDTHS:?} with ReLU, {} parameters; softmax cross-entropy; Adam, learning rate \
         {LEARNING_RATE} with cosine decay; {EPOCHS} epochs of {batches} mini-batches of {BATCH} \
         (seed {SEED})",
        model.parameter_count()
    );

    let mut history = History::default();
    let record = |history: &mut History, model: &Mlp, train_loss: f64| {
        history.train_loss.push(train_loss);
        history.test_loss.push(loss(model, &test.x, &test_y));
        history
            .train_accuracy
            .push(accuracy(model, &train.x, &train.labels));
        history
            .test_accuracy
            .push(accuracy(model, &test.x, &test.labels));
    };
    record(&mut history, &model, loss(&model, &train.x, &train_y));

    let mut opt = Adam::new(CosineDecay::new(LEARNING_RATE, steps));
    let bar = ProgressBar::new(steps as u64).with_style(ProgressStyle::with_template(&format!(
        "epoch {{prefix:>2}}/{EPOCHS} [{{bar:40}}] {{pos}}/{{len}} steps, {{elapsed}}, \
         running loss {{msg}}"
    ))?);
    let start = Instant::now();
    let mut order: Vec<usize> = (0..train.len()).collect();
    for epoch in 1..=EPOCHS {
        bar.set_prefix(epoch.to_string());
        order.shuffle(&mut rng);
        let mut total = 0.0;
        for (k, indices) in order.chunks(BATCH).enumerate() {
            let batch = train.select(indices);
            let y = one_hot(&batch.labels, digits::CLASSES);
            let (value, grads) = loss_grad(&model, &batch.x, &y);
            opt.step(&mut model, &grads.p);
            total += value;
            bar.set_message(format!("{:.4}", total / (k + 1) as f64));
            bar.inc(1);
        }
        record(&mut history, &model, total / batches as f64);
        if epoch % 5 == 0 {
            let (test_loss, test_accuracy) = (
                history.test_loss.last().unwrap_or(&f64::NAN),
                history.test_accuracy.last().unwrap_or(&f64::NAN),
            );
            bar.suspend(|| {
                println!(
                    "epoch {epoch:>2}: running loss {:.4}, test loss {test_loss:.4}, \
                     test accuracy {:.1}%",
                    total / batches as f64,
                    100.0 * test_accuracy
                )
            });
        }
    }
    bar.finish_and_clear();
    let seconds = start.elapsed().as_secs_f64();

    let train_accuracy = accuracy(&model, &train.x, &train.labels);
    let test_accuracy = accuracy(&model, &test.x, &test.labels);
    println!(
        "trained {steps} steps in {seconds:.1} s: train accuracy {:.1}%, held-out test \
         accuracy {:.1}% ({} of {})",
        100.0 * train_accuracy,
        100.0 * test_accuracy,
        (test_accuracy * test.len() as f64).round(),
        test.len()
    );
    plot(&history, FIGURE)?;
    println!("loss and accuracy curves: {FIGURE}");
    Ok(())
}

/// The loss curves (left, on a log scale) and the accuracy curves (right, from epoch 1)
/// against the epoch, as an SVG.
fn plot(h: &History, path: &str) -> PlotResult {
    let root = SVGBackend::new(path, (960, 360)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(480);
    let epochs = h.train_loss.len() - 1;
    let losses = h.train_loss.iter().chain(&h.test_loss);
    let (low, high) = losses.fold((f64::INFINITY, 0.0_f64), |(lo, hi), &v| {
        (lo.min(v), hi.max(v))
    });
    let y = (low * 0.8..high * 1.25).log_scale();
    let legend = SeriesLabelPosition::UpperRight;
    panel(
        &left,
        "softmax cross-entropy",
        epochs,
        y,
        legend,
        &|v| format!("{v}"),
        |chart| {
            curve(chart, &h.train_loss, 0, BLUE, "training (running mean)")?;
            curve(chart, &h.test_loss, 0, RED, "held-out test")
        },
    )?;
    // Epoch 0 (chance, about 10%) would squash the rest.
    let accuracies = h.train_accuracy[1..].iter().chain(&h.test_accuracy[1..]);
    let floor = accuracies.fold(1.0_f64, |a, &v| a.min(v));
    let y = ((floor * 20.0).floor() / 20.0).max(0.0)..1.0;
    let (legend, percent) = (SeriesLabelPosition::LowerRight, |v: &f64| {
        format!("{:.0}%", 100.0 * v)
    });
    panel(&right, "accuracy", epochs, y, legend, &percent, |chart| {
        curve(chart, &h.train_accuracy[1..], 1, BLUE, "training")?;
        curve(chart, &h.test_accuracy[1..], 1, RED, "held-out test")
    })?;
    root.present()?;
    Ok(())
}

type PlotResult = Result<(), Box<dyn std::error::Error>>;
type Chart<'a, 'b, Y> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordusize, Y>>;

/// One panel: axes over the epochs and `y` (its labels by `y_format`), the curves `draw`
/// adds, and their legend at `legend`.
fn panel<'b, Y>(
    area: &DrawingArea<SVGBackend<'b>, Shift>,
    title: &str,
    epochs: usize,
    y: Y,
    legend: SeriesLabelPosition,
    y_format: &dyn Fn(&f64) -> String,
    draw: impl FnOnce(&mut Chart<'_, 'b, Y::CoordDescType>) -> PlotResult,
) -> PlotResult
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(52)
        .build_cartesian_2d(0..epochs, y)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_label_formatter(y_format)
        .light_line_style(WHITE)
        .draw()?;
    draw(&mut chart)?;
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .position(legend)
        .draw()?;
    Ok(())
}

/// `values` against the epochs from `first` on, labelled for the legend.
fn curve<Y: Ranged<ValueType = f64>>(
    chart: &mut Chart<'_, '_, Y>,
    values: &[f64],
    first: usize,
    color: RGBColor,
    label: &str,
) -> PlotResult {
    let style = color.stroke_width(2);
    let points = values.iter().enumerate().map(|(k, &v)| (first + k, v));
    chart
        .draw_series(LineSeries::new(points, style))?
        .label(label)
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], style));
    Ok(())
}
