//! Criterion benchmarks of issue 11 (forward mode and second order): every workload of
//! `workloads/` at its three sizes, through the `#[grad(.., forward)]` copies of
//! `workloads/forward.rs`, as the primal alone, the gradient (`_grad`; batch norm
//! `_pullback` and one pull), the JVP (`_jvp` along fixed directions, `workloads/forward_cases.rs`)
//! and, for the float-valued ones, the HVP (`_hvp`); then the full Hessian of a logistic loss
//! in d = 100 by `_hessian` and by d calls of `_hvp`.
//!
//! Benchmark ids are `second_order_<workload>/<impl>/<size>` with impl `primal`, `gradient`,
//! `jvp` or `hvp`, and `second_order_hessian/<impl>/100` with impl `primal`, `gradient`, `hvp`
//! (one), `hessian` or `hvps` (d of them). Before timing, every case's outputs are checked
//! against each other (the JVP's slope is ⟨∇f, v⟩, the HVP's gradient is `_grad`'s, the
//! Hessians agree with the closed form) and written to `<results>/second_order.json`
//! (`$BENCH_RESULTS_DIR`, else `$CARGO_TARGET_DIR/bench-results`, else
//! `target/bench-results`) for the comparison with JAX and num-dual.
//!
//! With `SECOND_ORDER_INTERLEAVED=<file>` in the environment it runs no criterion benchmark:
//! it times the same cases interleaved (`workloads/interleaved.rs`: the functions of a case
//! take turns in rounds of short batches, `SECOND_ORDER_BUDGET` seconds per case, default 3),
//! for ratios whose two sides saw the same load, and writes them to the file as JSON.
//!
//! `scripts/bench_second_order.sh` runs this (twice or more) with the peers; alone:
//! `cargo bench --bench second_order -- [filter] [--warm-up-time S --measurement-time S]`.

#[path = "workloads/mod.rs"]
mod workloads;

#[path = "workloads/forward.rs"]
mod forward;

#[path = "workloads/forward_cases.rs"]
mod forward_cases;

#[path = "workloads/interleaved.rs"]
mod interleaved;

use criterion::{criterion_group, BenchmarkId, Criterion};
use forward_cases::{
    AutoencoderCase, BatchNormCase, FrobeniusCase, LeastSquaresCase, Logistic, PrmlCase, RnnCase,
    SecondOrder, Values,
};
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use workloads::{label, Workload};

/// The primal, gradient, JVP and HVP of `C` at each of its sizes, in one group.
fn bench<C: SecondOrder>(c: &mut Criterion) {
    let mut group = c.benchmark_group(format!("second_order_{}", C::W::NAME));
    for dims in <C::W as Workload>::SIZES {
        let size = label(dims);
        let case = C::new(dims);
        // A case taking milliseconds gets fewer (longer) samples, as in benches/gradients.rs.
        let start = Instant::now();
        black_box(case.jvp());
        let slow = start.elapsed() > Duration::from_millis(2);
        group.sample_size(if slow { 20 } else { 100 });
        group.bench_with_input(BenchmarkId::new("primal", &size), &case, |b, c| {
            b.iter(|| c.primal())
        });
        group.bench_with_input(BenchmarkId::new("gradient", &size), &case, |b, c| {
            b.iter(|| c.gradient())
        });
        group.bench_with_input(BenchmarkId::new("jvp", &size), &case, |b, c| {
            b.iter(|| c.jvp())
        });
        if C::HVP {
            group.bench_with_input(BenchmarkId::new("hvp", &size), &case, |b, c| {
                b.iter(|| c.hvp())
            });
        }
    }
    group.finish();
}

/// The logistic loss's full Hessian, by `_hessian` and by d HVPs, with the primal, the
/// gradient and one HVP for scale.
fn bench_hessian(c: &mut Criterion) {
    let l = Logistic::new();
    let size = Logistic::D.to_string();
    let mut group = c.benchmark_group("second_order_hessian");
    group.sample_size(20);
    let e0 = nalgebra::DVector::from_fn(Logistic::D, |i, _| if i == 0 { 1.0 } else { 0.0 });
    group.bench_function(BenchmarkId::new("primal", &size), |b| b.iter(|| l.primal()));
    group.bench_function(BenchmarkId::new("gradient", &size), |b| {
        b.iter(|| l.gradient())
    });
    group.bench_function(BenchmarkId::new("hvp", &size), |b| b.iter(|| l.hvp(&e0)));
    group.bench_function(BenchmarkId::new("hessian", &size), |b| {
        b.iter(|| l.hessian())
    });
    group.bench_function(BenchmarkId::new("hvps", &size), |b| {
        b.iter(|| l.hessian_by_hvps())
    });
    group.finish();
}

/// One JSON object of a case's [`Values`].
fn values_json(workload: &str, size: &str, v: Values) -> String {
    let hvp = v.hvp_norm.map_or("null".to_string(), |h| format!("{h:e}"));
    format!(
        "{{\"workload\": \"{workload}\", \"size\": \"{size}\", \"value\": {:e}, \
         \"tangent\": {:e}, \"grad_norm\": {:e}, \"hvp_norm\": {hvp}}}",
        v.value, v.tangent, v.grad_norm
    )
}

/// Every size of `C`'s [`Values`], checked, as JSON objects.
fn case_values<C: SecondOrder>(out: &mut Vec<String>) {
    for dims in <C::W as Workload>::SIZES {
        out.push(values_json(C::W::NAME, &label(dims), C::new(dims).values()));
    }
}

/// The logistic loss's Hessian by both routes, checked against the closed form, as JSON.
fn hessian_json() -> String {
    let l = Logistic::new();
    let (value, g, h) = l.hessian();
    let by_hvps = l.hessian_by_hvps();
    let closed = l.closed_form();
    let rel = |m: &nalgebra::DMatrix<f64>| (m - &closed).amax() / closed.amax();
    assert!(
        rel(&h) <= 1e-12,
        "_hessian is off the closed form by {:e}",
        rel(&h)
    );
    assert!(rel(&by_hvps) <= 1e-12, "the HVPs are off the closed form");
    let mut entries = String::new();
    for (k, x) in h.iter().enumerate() {
        let sep = if k == 0 { "" } else { ", " };
        write!(entries, "{sep}{x:e}").unwrap();
    }
    format!(
        "{{\"d\": {}, \"n\": {}, \"value\": {value:e}, \"grad_norm\": {:e}, \
         \"closed_form_error\": {:e}, \"hvps_error\": {:e}, \"hessian\": [{entries}]}}",
        Logistic::D,
        Logistic::N,
        g.w.norm(),
        rel(&h),
        rel(&by_hvps)
    )
}

fn results_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("BENCH_RESULTS_DIR") {
        return dir.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into());
    PathBuf::from(target).join("bench-results")
}

/// Checks every case and writes their values for the comparison with the peers.
fn write_values() {
    let mut cases = Vec::new();
    case_values::<LeastSquaresCase>(&mut cases);
    case_values::<FrobeniusCase>(&mut cases);
    case_values::<PrmlCase>(&mut cases);
    case_values::<BatchNormCase>(&mut cases);
    case_values::<RnnCase>(&mut cases);
    case_values::<AutoencoderCase>(&mut cases);
    let text = format!(
        "{{\"cases\": [\n{}\n],\n\"hessian\": {}}}\n",
        cases.join(",\n"),
        hessian_json()
    );
    let dir = results_dir();
    std::fs::create_dir_all(&dir).expect("the results directory");
    std::fs::write(dir.join("second_order.json"), text).expect("second_order.json");
}

fn benches(c: &mut Criterion) {
    // Not under a profiler (`--profile-time`, scripts/profile_second_order.sh), whose samples
    // would count the checks, nor when only listing the benchmarks.
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--profile-time" || a == "--list") {
        write_values();
    }
    bench::<LeastSquaresCase>(c);
    bench::<FrobeniusCase>(c);
    bench::<PrmlCase>(c);
    bench::<BatchNormCase>(c);
    bench::<RnnCase>(c);
    bench::<AutoencoderCase>(c);
    bench_hessian(c);
}

/// One case's interleaved rounds as JSON: the median µs per call and the ratios.
fn interleaved_json(workload: &str, size: &str, names: &[&str], rounds: &[Vec<f64>]) -> String {
    let mut fields = vec![
        format!("\"workload\": \"{workload}\""),
        format!("\"size\": \"{size}\""),
        format!("\"rounds\": {}", rounds.len()),
    ];
    for (k, name) in names.iter().enumerate() {
        fields.push(format!(
            "\"{name}_us\": {:e}",
            interleaved::micros(rounds, k)
        ));
    }
    let at = |n: &str| names.iter().position(|x| *x == n);
    let pairs = [("jvp", "primal"), ("hvp", "gradient"), ("hvps", "hessian")];
    for (a, b) in pairs {
        if let (Some(i), Some(j)) = (at(a), at(b)) {
            let r = interleaved::ratio(rounds, i, j);
            fields.push(format!("\"{a}_over_{b}\": {r:e}"));
        }
    }
    format!("{{{}}}", fields.join(", "))
}

/// Every size of `C` timed interleaved.
fn interleaved_case<C: SecondOrder>(budget: Duration, out: &mut Vec<String>) {
    for dims in <C::W as Workload>::SIZES {
        let c = C::new(dims);
        let primal = || {
            black_box(c.primal());
        };
        let gradient = || {
            black_box(c.gradient());
        };
        let jvp = || {
            black_box(c.jvp());
        };
        let hvp = || {
            black_box(c.hvp());
        };
        let mut fs: Vec<&dyn Fn()> = vec![&primal, &gradient, &jvp];
        let mut names = vec!["primal", "gradient", "jvp"];
        if C::HVP {
            fs.push(&hvp);
            names.push("hvp");
        }
        let rounds = interleaved::rounds(&fs, budget, 15);
        out.push(interleaved_json(C::W::NAME, &label(dims), &names, &rounds));
        eprintln!("interleaved {} {}", C::W::NAME, label(dims));
    }
}

/// All cases interleaved, and `_hessian` against the d HVPs, written to `path`.
fn run_interleaved(path: &std::ffi::OsStr) {
    let budget = std::env::var("SECOND_ORDER_BUDGET").map_or(3.0, |s| s.parse().expect("seconds"));
    let budget = Duration::from_secs_f64(budget);
    let mut out = Vec::new();
    interleaved_case::<LeastSquaresCase>(budget, &mut out);
    interleaved_case::<FrobeniusCase>(budget, &mut out);
    interleaved_case::<PrmlCase>(budget, &mut out);
    interleaved_case::<BatchNormCase>(budget, &mut out);
    interleaved_case::<RnnCase>(budget, &mut out);
    interleaved_case::<AutoencoderCase>(budget, &mut out);
    let l = Logistic::new();
    let e0 = nalgebra::DVector::from_fn(Logistic::D, |i, _| if i == 0 { 1.0 } else { 0.0 });
    let fs: [&dyn Fn(); 5] = [
        &|| {
            black_box(l.primal());
        },
        &|| {
            black_box(l.gradient());
        },
        &|| {
            black_box(l.hvp(&e0));
        },
        &|| {
            black_box(l.hessian());
        },
        &|| {
            black_box(l.hessian_by_hvps());
        },
    ];
    let names = ["primal", "gradient", "hvp", "hessian", "hvps"];
    let rounds = interleaved::rounds(&fs, budget, 15);
    out.push(interleaved_json(
        "hessian",
        &Logistic::D.to_string(),
        &names,
        &rounds,
    ));
    let text = format!("[\n{}\n]\n", out.join(",\n"));
    std::fs::write(path, text).expect("the interleaved results");
}

criterion_group!(second_order, benches);

fn main() {
    if let Some(path) = std::env::var_os("SECOND_ORDER_INTERLEAVED") {
        run_interleaved(&path);
        return;
    }
    second_order();
    Criterion::default().configure_from_args().final_summary();
}
