//! num-dual's Hessian of the logistic loss of `benches/second_order.rs` (the `Logistic` case
//! of `benches/workloads/forward_cases.rs`): the same function written once, generically over
//! num-dual's `DualNum`, on the same inputs (`benches/workloads/data.rs`, included), its
//! Hessian by `num_dual::hessian` with second-order vector dual numbers (`Dual2Vec`: the
//! value, the gradient and the Hessian carried through every operation, forward), with
//! derivatives of dynamic size (`Dual2DVec64`) and of static size (`Dual2SVec64<100>`, its
//! dual numbers 80 kB each, moved by value: run in a thread with a 1 GiB stack); and
//! the function on `f64` alone for scale.
//!
//! Timing as `peers/jax_bench.py`: warm up for --warm-up-time seconds, then batches of calls
//! sized so about 50 fit in --measurement-time seconds, at least 10; the median over batches
//! of the time per call. Writes JSON for `scripts/second_order_report.py`, the Hessian too.
//!
//!     cargo run --release -- --out num-dual.json [--warm-up-time S] [--measurement-time S]

#[allow(dead_code)]
#[path = "../../../benches/workloads/data.rs"]
mod data;

use nalgebra::{DMatrix, DVector, SVector};
use num_dual::{hessian, Dual2DVec64, Dual2SVec64, DualNum};
use std::hint::black_box;
use std::time::{Duration, Instant};

const N: usize = 200;
const D: usize = 100;
const LAMBDA: f64 = 0.01;

/// softplus(t) = ln(1 + eᵗ), stable for large |t|.
fn softplus<T: DualNum<Primitive = f64>>(t: T) -> T {
    if t.re() > 0.0 {
        let tail = (-t.clone()).exp().ln_1p();
        t + tail
    } else {
        t.exp().ln_1p()
    }
}

/// L(w) = (1/n)·Σᵢ softplus(−yᵢ·xᵢᵀw) + (λ/2)·‖w‖², as `fw::logistic_loss`.
fn logistic_loss<T: DualNum<Primitive = f64>>(w: &[T], x: &DMatrix<f64>, y: &[f64]) -> T {
    let (n, d) = x.shape();
    let mut total = T::from(0.0);
    for (i, yi) in y.iter().enumerate().take(n) {
        let mut m = T::from(0.0);
        for (j, wj) in w.iter().enumerate().take(d) {
            m += wj.clone() * x[(i, j)];
        }
        total += softplus(-(m * *yi));
    }
    let mut squares = T::from(0.0);
    for wj in w {
        squares += wj.clone() * wj.clone();
    }
    total / n as f64 + squares * (0.5 * LAMBDA)
}

struct Inputs {
    w: DVector<f64>,
    x: DMatrix<f64>,
    y: Vec<f64>,
}

/// The inputs of `Logistic::new`: X = input 21, yᵢ = ±1 by the sign of input 22, w = input
/// 23 times 0.1.
fn inputs() -> Inputs {
    let y = data::vector(22, N, 1.0);
    Inputs {
        w: data::vector(23, D, 0.1),
        x: data::matrix(21, N, D, 1.0),
        y: y.iter()
            .map(|&t| if t >= 0.0 { 1.0 } else { -1.0 })
            .collect(),
    }
}

fn hessian_dyn(p: &Inputs) -> DMatrix<f64> {
    let f = |w: DVector<Dual2DVec64>| logistic_loss(w.as_slice(), &p.x, &p.y);
    hessian(f, &p.w).2
}

fn hessian_static(p: &Inputs) -> DMatrix<f64> {
    let w = SVector::<f64, D>::from_column_slice(p.w.as_slice());
    let f = |w: SVector<Dual2SVec64<D>, D>| logistic_loss(w.as_slice(), &p.x, &p.y);
    let h = hessian(f, &w).2;
    DMatrix::from_column_slice(D, D, h.as_slice())
}

/// The median seconds per call of `f`, the number of batches and the batch size.
fn measure<R>(mut f: impl FnMut() -> R, warm_up: f64, measurement: f64) -> (f64, usize, usize) {
    let start = Instant::now();
    let mut calls = 0u32;
    while calls == 0 || start.elapsed().as_secs_f64() < warm_up {
        black_box(f());
        calls += 1;
    }
    let per_call = start.elapsed().as_secs_f64() / calls as f64;
    let batch = ((measurement / 50.0 / per_call).ceil() as usize).max(1);
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < 10 || start.elapsed() < Duration::from_secs_f64(measurement) {
        let t = Instant::now();
        for _ in 0..batch {
            black_box(f());
        }
        samples.push(t.elapsed().as_secs_f64() / batch as f64);
    }
    samples.sort_by(f64::total_cmp);
    let mid = samples.len() / 2;
    let median = if samples.len() % 2 == 1 {
        samples[mid]
    } else {
        0.5 * (samples[mid - 1] + samples[mid])
    };
    (median, samples.len(), batch)
}

struct Options {
    warm_up: f64,
    measurement: f64,
    out: Option<String>,
}

fn options() -> Options {
    let mut o = Options {
        warm_up: 1.0,
        measurement: 2.5,
        out: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--warm-up-time" => o.warm_up = value().parse().expect("seconds"),
            "--measurement-time" => o.measurement = value().parse().expect("seconds"),
            "--out" => o.out = Some(value()),
            _ => panic!("unknown argument {a}"),
        }
    }
    o
}

/// The static-size Hessian holds 100 dual numbers of 80 kB each on the stack: the work runs
/// in a thread with a stack to match.
fn main() {
    let worker = std::thread::Builder::new().stack_size(1 << 30).spawn(run);
    worker.expect("a thread").join().expect("the measurement");
}

fn run() {
    let o = options();
    let p = inputs();
    let h = hessian_dyn(&p);
    let h_static = hessian_static(&p);
    assert!((&h - &h_static).amax() <= 1e-12 * h.amax());
    let mut rows = Vec::new();
    let mut time = |name: &str, f: &dyn Fn() -> f64| {
        let (median, samples, batch) = measure(f, o.warm_up, o.measurement);
        println!("num-dual hessian/{name:<16} {:>12.2} µs", median * 1e6);
        rows.push(format!(
            "{{\"workload\": \"hessian\", \"size\": \"{D}\", \"impl\": \"{name}\", \
             \"median_us\": {:e}, \"samples\": {samples}, \"batch\": {batch}}}",
            median * 1e6
        ));
    };
    time("primal", &|| logistic_loss(p.w.as_slice(), &p.x, &p.y));
    time("hessian_dyn", &|| hessian_dyn(&p)[(0, 0)]);
    time("hessian_static", &|| hessian_static(&p)[(0, 0)]);
    let entries: Vec<String> = h.iter().map(|v| format!("{v:e}")).collect();
    let text = format!(
        "{{\"num_dual\": \"0.15\", \"times\": [\n{}\n], \"hessian\": {{\"d\": {D}, \"hessian\": [{}]}}}}\n",
        rows.join(",\n"),
        entries.join(", ")
    );
    match o.out {
        Some(path) => std::fs::write(path, text).expect("the output file"),
        None => print!("{text}"),
    }
}
