//! Criterion benchmarks of issue 5: every workload of `workloads/` at its three sizes, each as
//! the primal alone, the `#[grad]`-generated value and gradient, and the hand-written closed
//! form. Benchmark ids are `<workload>/<impl>/<size>` with impl `primal`, `generated` or
//! `hand` and size like `32x8x2`; `scripts/perf_report.py` reads them back from
//! `target/criterion/*/*/*/new/`.
//!
//! `scripts/bench.sh` runs this with the peers and writes `docs/PERFORMANCE.md`; alone:
//! `cargo bench --bench gradients -- [filter] [--warm-up-time S --measurement-time S]`.

#[path = "workloads/mod.rs"]
mod workloads;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use std::time::{Duration, Instant};
use workloads::{
    attention::Attention, autoencoder::Autoencoder, batch_norm::BatchNorm, classifier::Classifier,
    frobenius::Frobenius, gaussian::Gaussian, label, layer_norm_linear::LayerNormLinear,
    least_squares::LeastSquares, prml::Prml, rnn::Rnn, Workload,
};

/// The three implementations of `W` at each of its sizes, in one group named after `W`.
fn bench<W: Workload>(c: &mut Criterion) {
    let mut group = c.benchmark_group(W::NAME);
    for dims in W::SIZES {
        let size = label(dims);
        let w = W::new(dims);
        // A case taking milliseconds gets fewer (longer) samples, so it fits the measurement
        // time instead of criterion stretching it many times over.
        let start = Instant::now();
        black_box(w.generated());
        let once = start.elapsed();
        group.sample_size(if once > Duration::from_millis(2) {
            20
        } else {
            100
        });
        group.bench_with_input(BenchmarkId::new("primal", &size), &w, |b, w| {
            b.iter(|| w.primal())
        });
        group.bench_with_input(BenchmarkId::new("generated", &size), &w, |b, w| {
            b.iter(|| w.generated())
        });
        group.bench_with_input(BenchmarkId::new("hand", &size), &w, |b, w| {
            b.iter(|| w.hand())
        });
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench::<LeastSquares>(c);
    bench::<Frobenius>(c);
    bench::<Prml>(c);
    bench::<BatchNorm>(c);
    bench::<Rnn>(c);
    bench::<Autoencoder>(c);
    bench::<Classifier>(c);
    bench::<Attention>(c);
    bench::<LayerNormLinear>(c);
    bench::<Gaussian>(c);
}

criterion_group!(gradients, benches);
criterion_main!(gradients);
