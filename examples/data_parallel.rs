//! Data parallelism: the gradient of a mini-batch computed as shards on rayon's threads and
//! summed, against the same gradient computed by one call on one thread.
//!
//! ```sh
//! cargo run --release --example data_parallel
//! ```
//!
//! The loss of `examples/train.rs` (`examples/support/mlp.rs`) is a mean over the batch's
//! columns, so the batch's gradient is the sum of its shards' gradients, each weighed by its
//! share of the batch: `∇L = Σₛ (nₛ/n)·∇Lₛ`. Each shard's `loss_grad` runs on its own thread
//! (the generated code holds no shared state: it is plain functions of its arguments), and
//! the gradient structs `#[grad]` returns add up with `.sum()`. The model is the example's
//! `[64, 128, 64, 10]` MLP, the batches are drawn from the digits.
//!
//! The reference is one call on one thread: run inside a one-thread rayon pool, so that the
//! large products of the reverse sweep (the gemm crate, on the current rayon pool) stay on
//! it, and with `MATMUL_NUM_THREADS=1` (set below unless given) so that nalgebra's products
//! (matrixmultiply, which has threads of its own) do too. The shards then share the cores
//! only through rayon. The comparison needs the cores to be free: where another process
//! keeps one busy, the shards share the other and the speed-up is gone.
//!
//! The sharded gradient equals the single one to rounding, not exactly: every entry of a
//! weight's gradient is a sum over the batch's samples (`W̄ = Ḡ·Hᵀ`), which the shards add
//! in another order (each shard's part, then the parts), and each shard's mean is scaled by
//! `1/nₛ` then `nₛ/n` rather than `1/n`. Reordering a sum of `n` terms moves it by at most
//! about `n·ε` of the sum of their magnitudes (ε = 2.2e-16, n ≤ 1437: 3e-13); we accept a
//! relative difference of [`TOLERANCE`] in the whole gradient's norm, and print what it is.

#[path = "support/digits.rs"]
mod digits;
#[path = "support/mlp.rs"]
mod mlp;

use matgrad::Differentiable;
use mlp::{loss_grad, one_hot, LossGrad, Mlp};
use nalgebra::DMatrix;
use rand::rngs::StdRng;
use rand::SeedableRng;
use rayon::prelude::*;
use std::time::{Duration, Instant};

/// The model of `examples/train.rs`.
const WIDTHS: [usize; 4] = [64, 128, 64, digits::CLASSES];
/// The batch sizes timed: from a typical mini-batch to the whole training set.
const BATCHES: [usize; 6] = [32, 128, 256, 512, 1024, 1437];
/// Timed runs of each; the medians are compared.
const RUNS: usize = 31;
/// The largest accepted `‖g_sharded − g_single‖ / ‖g_single‖` (rounding; see the top).
const TOLERANCE: f64 = 1e-12;

fn main() {
    // Before the first product, which starts matrixmultiply's threads.
    if std::env::var_os("MATMUL_NUM_THREADS").is_none() {
        std::env::set_var("MATMUL_NUM_THREADS", "1");
    }
    let threads = rayon::current_num_threads();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");

    let mut rng = StdRng::seed_from_u64(12);
    let (train, _) = digits::train_test(360, &mut rng);
    let model = Mlp::new(&WIDTHS, &mut rng);
    println!(
        "MLP {WIDTHS:?} ({} parameters), softmax cross-entropy on the digits; {cores} cores, \
         rayon's pool of {threads} threads, so {threads} shards; medians of {RUNS} runs; \
         MATMUL_NUM_THREADS={}",
        model.parameter_count(),
        std::env::var("MATMUL_NUM_THREADS").unwrap_or_default()
    );
    println!(
        "{:>6}  {:>12}  {:>12}  {:>8}  {:>20}",
        "batch", "one thread", "sharded", "speed-up", "relative difference"
    );
    let mut worst = 0.0_f64;
    for n in BATCHES {
        let batch = train.select(&(0..n).collect::<Vec<_>>());
        let y = one_hot(&batch.labels, digits::CLASSES);
        let single = || one_thread.install(|| loss_grad(&model, &batch.x, &y));
        let sharded = || sharded_grad(&model, &batch.x, &y, threads);

        let ((value, grad), (sharded_value, sharded_grad)) = (single(), sharded());
        let difference = (sharded_grad.to_flat() - grad.to_flat()).norm() / grad.norm();
        let value_difference = (sharded_value - value).abs() / value.abs();
        assert!(
            difference <= TOLERANCE && value_difference <= TOLERANCE,
            "batch {n}: the shards' gradient is {difference:e} (value {value_difference:e}) \
             from the single one, more than rounding"
        );
        worst = worst.max(difference);

        let (t_single, t_sharded) = medians(single, sharded);
        println!(
            "{n:>6}  {:>9.3} ms  {:>9.3} ms  {:>7.2}×  {difference:>20.1e}",
            millis(t_single),
            millis(t_sharded),
            t_single.as_secs_f64() / t_sharded.as_secs_f64()
        );
    }
    println!(
        "the sharded gradients equal the single-threaded ones to {worst:.1e} (accepted: \
         {TOLERANCE:e}, rounding from summing in another order)"
    );
}

/// The loss and gradient of the batch `(x, y)` as the sum of `shards` shards' (nearly equal
/// runs of columns), each on one of rayon's threads, weighed by its share of the batch.
fn sharded_grad(p: &Mlp, x: &DMatrix<f64>, y: &DMatrix<f64>, shards: usize) -> (f64, LossGrad) {
    let n = x.ncols();
    let (values, grads): (Vec<f64>, Vec<LossGrad>) = (0..shards)
        .into_par_iter()
        .map(|s| {
            let (start, end) = (s * n / shards, (s + 1) * n / shards);
            let xs = x.columns(start, end - start).into_owned();
            let ys = y.columns(start, end - start).into_owned();
            let (value, grad) = loss_grad(p, &xs, &ys);
            let share = (end - start) as f64 / n as f64;
            (value * share, grad * share)
        })
        .unzip();
    (values.iter().sum(), grads.into_iter().sum())
}

/// The median times of `RUNS` runs of `a` and of `b`, interleaved so that both see the same
/// machine, after one warm-up run each.
fn medians<A, B>(a: impl Fn() -> A, b: impl Fn() -> B) -> (Duration, Duration) {
    let time = |f: &dyn Fn()| {
        let start = Instant::now();
        f();
        start.elapsed()
    };
    let (run_a, run_b) = (|| drop(a()), || drop(b()));
    run_a();
    run_b();
    let (mut ta, mut tb): (Vec<Duration>, Vec<Duration>) =
        (0..RUNS).map(|_| (time(&run_a), time(&run_b))).unzip();
    ta.sort();
    tb.sort();
    (ta[RUNS / 2], tb[RUNS / 2])
}

fn millis(t: Duration) -> f64 {
    t.as_secs_f64() * 1e3
}
