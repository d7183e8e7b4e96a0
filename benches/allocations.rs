//! Heap allocations per call, counted by a global allocator (one per binary, hence this
//! separate bench target), for the primal, the generated gradient and the hand-written one of
//! every workload at every size; plus each implementation's value and gradient norm, which
//! `scripts/perf_report.py` compares with the peers' to confirm they compute the same thing.
//!
//! Writes `allocations.json` to `$BENCH_RESULTS_DIR`, or else to `bench-results/` in the
//! target directory. `cargo bench --bench allocations`; `scripts/bench.sh` runs it.

#[path = "workloads/mod.rs"]
mod workloads;

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use workloads::{
    attention::Attention, autoencoder::Autoencoder, batch_norm::BatchNorm, classifier::Classifier,
    frobenius::Frobenius, gaussian::Gaussian, label, layer_norm_linear::LayerNormLinear,
    least_squares::LeastSquares, prml::Prml, rnn::Rnn, Workload,
};

/// The system allocator, counting allocations (`alloc`, `alloc_zeroed` and `realloc` each
/// count one) and the bytes they asked for.
struct Counting;

static CALLS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        CALLS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        CALLS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        CALLS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new_size as u64, Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` once, returning its output and the allocations and bytes it made (the output's
/// own allocations included, its drop excluded).
fn count<R>(f: impl FnOnce() -> R) -> (R, u64, u64) {
    let (calls, bytes) = (CALLS.load(Relaxed), BYTES.load(Relaxed));
    let out = black_box(f());
    let (calls2, bytes2) = (CALLS.load(Relaxed), BYTES.load(Relaxed));
    (out, calls2 - calls, bytes2 - bytes)
}

/// A JSON number, `null` for NaN and infinities.
fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:e}")
    } else {
        "null".into()
    }
}

/// One JSON record per implementation of `W` at each size.
fn record<W: Workload>(rows: &mut Vec<String>) {
    for (which, dims) in W::SIZES.iter().enumerate() {
        let w = W::new(dims);
        // Once untimed first, so one-time allocations (lazy statics, thread locals) are not
        // charged to the call.
        black_box(w.primal());
        black_box(w.generated());
        black_box(w.hand());
        let (_, primal_calls, primal_bytes) = count(|| w.primal());
        let (generated, generated_calls, generated_bytes) = count(|| w.generated());
        let (hand, hand_calls, hand_bytes) = count(|| w.hand());
        let generated = w.generated_parts(generated);
        let hand = w.hand_parts(hand);
        // `_grad_with` in a workspace warmed by two calls: what a training loop's steps cost.
        let mut ws = matgrad::Workspace::new();
        let with_parts = w.with_workspace_parts(&mut ws);
        black_box(w.with_workspace(&mut ws));
        let (_, with_calls, with_bytes) = count(|| w.with_workspace(&mut ws));
        let size = ["small", "middle", "large"][which];
        for (imp, calls, bytes, parts) in [
            ("primal", primal_calls, primal_bytes, None),
            (
                "generated",
                generated_calls,
                generated_bytes,
                Some(&generated),
            ),
            ("hand", hand_calls, hand_bytes, Some(&hand)),
            ("workspace", with_calls, with_bytes, with_parts.as_ref()),
        ] {
            if imp == "workspace" && with_parts.is_none() {
                continue;
            }
            let mut row = format!(
                "{{\"workload\": \"{}\", \"size\": \"{}\", \"class\": \"{size}\", \"impl\": \"{imp}\", \"allocations\": {calls}, \"bytes\": {bytes}",
                W::NAME,
                label(dims),
            );
            if let Some(p) = parts {
                let (value, norm) = (num(p.value), num(p.grad_norm()));
                write!(row, ", \"value\": {value}, \"grad_norm\": {norm}").unwrap();
            }
            row.push('}');
            rows.push(row);
        }
        println!(
            "{:<14} {:<14} allocations per call: primal {primal_calls:>4}, generated {generated_calls:>4}, hand-written {hand_calls:>4}, with a workspace {}",
            W::NAME,
            label(dims),
            match with_parts {
                Some(_) => format!("{with_calls:>4}"),
                None => "   -".into(),
            }
        );
    }
}

/// `$BENCH_RESULTS_DIR`, or `bench-results/` in the target directory this binary was built
/// into (`<target>/release/deps/allocations-…`).
fn results_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("BENCH_RESULTS_DIR") {
        return dir.into();
    }
    let exe = std::env::current_exe().expect("the path of this benchmark binary");
    exe.ancestors()
        .nth(3)
        .expect("the binary lives in <target>/<profile>/deps/")
        .join("bench-results")
}

fn main() {
    // `cargo test --benches` runs bench binaries with no `--bench`: nothing to measure there.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let mut rows = Vec::new();
    record::<LeastSquares>(&mut rows);
    record::<Frobenius>(&mut rows);
    record::<Prml>(&mut rows);
    record::<BatchNorm>(&mut rows);
    record::<Rnn>(&mut rows);
    record::<Autoencoder>(&mut rows);
    record::<Classifier>(&mut rows);
    record::<Attention>(&mut rows);
    record::<LayerNormLinear>(&mut rows);
    record::<Gaussian>(&mut rows);
    let dir = results_dir();
    std::fs::create_dir_all(&dir).expect("create the results directory");
    let path = dir.join("allocations.json");
    let json = format!("[\n  {}\n]\n", rows.join(",\n  "));
    std::fs::write(&path, json).expect("write allocations.json");
    println!("wrote {}", path.display());
}
