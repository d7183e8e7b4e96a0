//! Issue 13, item 5: the peak memory and the time of an RNN gradient over T = 10³ … 10⁶ steps
//! (H = 64, I = 8), with and without `#[grad(checkpoint)]`. The peak is the most heap memory
//! held at once during the gradient call above what was held before it (the inputs are not
//! counted: the T input vectors take T·(8·I + 16) bytes however the gradient is taken),
//! measured by a counting global allocator. Times are medians of several calls.
//!
//! `cargo bench --bench checkpoint [-- --max-plain T]` prints a table and writes
//! `checkpoint.json` to `$BENCH_RESULTS_DIR`, or else to `bench-results/` in the target
//! directory. Without checkpoints the tape of T = 10⁶ needs several GB; `--max-plain`
//! (default 10⁶) skips the plain gradient above that length.

#[path = "workloads/data.rs"]
#[allow(dead_code)]
mod data;

use matgrad::{grad, tanh};
use nalgebra::{DMatrix, DVector};
use std::hint::black_box;
use std::time::Instant;

#[path = "workloads/peak.rs"]
mod peak;

use peak::Peak;

#[global_allocator]
static GLOBAL: Peak = Peak;

/// l = Σₜ ‖hₜ‖², hₜ = W tanh(hₜ₋₁) + U xₜ + b (the RNN workload of benches/workloads/rnn.rs).
#[grad(w, u, b)]
fn rnn(
    w: &DMatrix<f64>,
    u: &DMatrix<f64>,
    b: &DVector<f64>,
    h0: &DVector<f64>,
    xs: &[DVector<f64>],
) -> f64 {
    let mut h = h0.clone();
    let mut l = 0.0;
    for x in xs.iter() {
        h = w * tanh(&h) + u * x + b;
        l += h.norm_squared();
    }
    l
}

/// [`rnn`], checkpointed.
#[grad(w, u, b, checkpoint)]
fn rnn_checkpointed(
    w: &DMatrix<f64>,
    u: &DMatrix<f64>,
    b: &DVector<f64>,
    h0: &DVector<f64>,
    xs: &[DVector<f64>],
) -> f64 {
    let mut h = h0.clone();
    let mut l = 0.0;
    for x in xs.iter() {
        h = w * tanh(&h) + u * x + b;
        l += h.norm_squared();
    }
    l
}

struct Inputs {
    w: DMatrix<f64>,
    u: DMatrix<f64>,
    b: DVector<f64>,
    h0: DVector<f64>,
    xs: Vec<DVector<f64>>,
}

/// One measurement after a warm-up call (which takes the one-time allocations, such as the
/// product kernels' buffers): the median time in seconds, the largest peak in bytes above the
/// baseline, the value and the gradient of W (to compare the two ways).
fn measure(runs: usize, f: impl Fn() -> (f64, DMatrix<f64>)) -> (f64, usize, f64, DMatrix<f64>) {
    let mut times = Vec::new();
    let mut most = 0;
    let mut out = black_box(f());
    for _ in 0..runs {
        let start = Instant::now();
        let (result, bytes) = peak::peak(&f);
        times.push(start.elapsed().as_secs_f64());
        out = black_box(result);
        most = most.max(bytes);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], most, out.0, out.1)
}

fn main() {
    let mut max_plain = 1_000_000usize;
    let args: Vec<String> = std::env::args().collect();
    if let Some(k) = args.iter().position(|a| a == "--max-plain") {
        max_plain = args[k + 1].parse().expect("--max-plain T");
    }
    let (h, i) = (64, 8);
    let mut rows = Vec::new();
    println!("RNN gradient, H = {h}, I = {i}: median time and peak heap above the inputs");
    println!(
        "{:>9} {:>12} {:>12} {:>14} {:>14} {:>7} {:>9}",
        "T", "plain s", "checkpt s", "plain MB", "checkpt MB", "time×", "rel diff"
    );
    for steps in [1_000usize, 10_000, 100_000, 1_000_000] {
        let runs = if steps >= 1_000_000 { 3 } else { 5 };
        let p = Inputs {
            w: data::matrix(1, h, h, 1.0 / (h as f64).sqrt()),
            u: data::matrix(2, h, i, 1.0 / (i as f64).sqrt()),
            b: data::vector(3, h, 1.0),
            h0: data::vector(4, h, 1.0),
            xs: (0..steps)
                .map(|t| data::vector(5 + t as u64, i, 1.0))
                .collect(),
        };
        let checkpointed = measure(runs, || {
            let (v, g) = rnn_checkpointed_grad(&p.w, &p.u, &p.b, &p.h0, &p.xs);
            (v, g.w)
        });
        let plain = (steps <= max_plain).then(|| {
            measure(runs, || {
                let (v, g) = rnn_grad(&p.w, &p.u, &p.b, &p.h0, &p.xs);
                (v, g.w)
            })
        });
        let mb = |b: usize| b as f64 / 1e6;
        let (pt, pm, ratio, diff) = match &plain {
            Some((t, m, v, g)) => {
                assert_eq!(*v, checkpointed.2, "T = {steps}: the values differ");
                let diff = (g - &checkpointed.3).norm() / g.norm();
                (
                    format!("{t:.4}"),
                    format!("{:.1}", mb(*m)),
                    format!("{:.2}", checkpointed.0 / t),
                    format!("{diff:.1e}"),
                )
            }
            None => ("-".into(), "-".into(), "-".into(), "-".into()),
        };
        println!(
            "{steps:>9} {pt:>12} {:>12.4} {pm:>14} {:>14.2} {ratio:>7} {diff:>9}",
            checkpointed.0,
            mb(checkpointed.1)
        );
        rows.push(format!(
            "{{\"steps\": {steps}, \"h\": {h}, \"i\": {i}, \"checkpointed_s\": {}, \"checkpointed_bytes\": {}, \"plain_s\": {}, \"plain_bytes\": {}}}",
            checkpointed.0,
            checkpointed.1,
            plain.as_ref().map_or("null".into(), |p| p.0.to_string()),
            plain.as_ref().map_or("null".into(), |p| p.1.to_string()),
        ));
    }
    let dir = std::env::var_os("BENCH_RESULTS_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into());
            std::path::PathBuf::from(target).join("bench-results")
        });
    std::fs::create_dir_all(&dir).expect("the results directory");
    let path = dir.join("checkpoint.json");
    std::fs::write(&path, format!("[\n{}\n]\n", rows.join(",\n"))).expect("checkpoint.json");
    println!("wrote {}", path.display());
}
