//! Interleaved timing, for ratios on a shared machine: criterion times one function for
//! seconds, then the next, so a ratio of two of its medians compares two stretches of time,
//! and on a machine whose load changes from minute to minute that is most of the noise. Here
//! the functions of a case take turns: each round times one short batch of each (about a
//! millisecond, at least one call), and a ratio is the median over rounds of the ratio within
//! a round, so both sides see the same load. `benches/second_order.rs` uses it when
//! `SECOND_ORDER_INTERLEAVED` names an output file.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// About how long one batch of one function runs.
const BATCH: Duration = Duration::from_millis(1);

/// Calls per batch of `f`: its time per call estimated over about 10 ms (a first call apart).
fn batch_size(f: &dyn Fn()) -> u32 {
    f();
    let start = Instant::now();
    let mut calls = 0u32;
    while calls == 0 || start.elapsed() < Duration::from_millis(10) {
        f();
        calls += 1;
    }
    let per_call = start.elapsed().as_secs_f64() / f64::from(calls);
    (BATCH.as_secs_f64() / per_call).ceil().clamp(1.0, 1e6) as u32
}

/// Seconds per call of each of `fs`, one row per round: rounds until `budget` has passed and
/// at least `min_rounds` were taken.
pub fn rounds(fs: &[&dyn Fn()], budget: Duration, min_rounds: usize) -> Vec<Vec<f64>> {
    let batches: Vec<u32> = fs.iter().map(|f| batch_size(*f)).collect();
    let start = Instant::now();
    let mut out = Vec::new();
    while out.len() < min_rounds || start.elapsed() < budget {
        let row = fs.iter().zip(&batches).map(|(f, &n)| {
            let t = Instant::now();
            for _ in 0..n {
                f();
            }
            t.elapsed().as_secs_f64() / f64::from(n)
        });
        out.push(black_box(row.collect()));
    }
    out
}

/// The median of `values` (NaN for none).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => 0.5 * (values[n / 2 - 1] + values[n / 2]),
    }
}

/// The median over rounds of column `a` over column `b`.
pub fn ratio(rounds: &[Vec<f64>], a: usize, b: usize) -> f64 {
    median(rounds.iter().map(|r| r[a] / r[b]).collect())
}

/// The median over rounds of column `a`, in µs.
pub fn micros(rounds: &[Vec<f64>], a: usize) -> f64 {
    1e6 * median(rounds.iter().map(|r| r[a]).collect())
}
