//! Criterion benchmarks of the factorisations under `#[grad]`: for each of four functions
//! built on a factorisation or a solve, at n = 16, 64 and 256 (f64, `DMatrix`), the function
//! alone (`primal`, the original function under `#[grad]`), its value and gradient
//! (`generated`, `<f>_grad`, with respect to every matrix argument) and, where there is one,
//! the factorisation alone (`factor`), as nalgebra computes it:
//!
//! - `cholesky_nll`: ½⟨B, S⁻¹B⟩ + ln |S| by `s.clone().cholesky().unwrap()`, `c.solve(b)` and
//!   `c.ln_determinant()` (the core of a Gaussian negative log-likelihood), ∂/∂S and ∂/∂B;
//!   `factor` is `s.clone().cholesky()`;
//! - `lu_solve`: ½‖M⁻¹B‖² + bᵀM⁻¹b by `m.clone().lu()` and two `lu.solve(..).unwrap()` (a
//!   matrix and a vector right-hand side), ∂/∂M, ∂/∂B, ∂/∂b; `factor` is `m.clone().lu()`;
//! - `qr_solve`: ½‖M⁻¹B‖² by `m.clone().qr().solve(b).unwrap()`, ∂/∂M, ∂/∂B; `factor` is
//!   `m.clone().qr()`;
//! - `triangular_solve`: ½‖L⁻¹B‖² by `l.solve_lower_triangular(b).unwrap()`, ∂/∂L (its lower
//!   triangle) and ∂/∂B; no factorisation.
//!
//! S = AᵀA/n + I with A random (symmetric positive definite), M = random + n·I (for LU and
//! QR), L = the Cholesky factor of S; B is n×8, b has n entries; all from the hash inputs of `workloads/data.rs`
//! (`peers/jax_factorisations.py` builds the same and times JAX on them). Benchmark ids are
//! `<function>/<impl>/<n>`; `scripts/perf_report.py` reads them back from
//! `target/criterion/*/*/*/<baseline>/`.
//!
//! The bench also writes each function's value and gradient norm to
//! `$BENCH_RESULTS_DIR/factorisations.json` (default `<target>/bench-results/`), which the
//! report compares with JAX's. `scripts/bench_factorisations.sh` (which `scripts/bench.sh`
//! runs) runs it twice (baselines `factorisations-run1` and `-run2`); alone:
//! `cargo bench --bench factorisations -- [filter] [--save-baseline NAME]`.

#[allow(dead_code)] // `row` is for the workloads
#[path = "workloads/data.rs"]
mod data;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use matgrad::grad;
use nalgebra::{DMatrix, DVector};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

/// The sizes n of the square matrices.
const SIZES: [usize; 3] = [16, 64, 256];
/// The columns of the right-hand side B.
const RHS: usize = 8;

/// ½⟨B, S⁻¹B⟩ + ln |S|: a Gaussian negative log-likelihood's core.
#[grad]
fn cholesky_nll(s: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    let c = s.clone().cholesky().unwrap();
    let z = c.solve(b);
    0.5 * b.dot(&z) + c.ln_determinant()
}

/// ½‖M⁻¹B‖² + bᵀM⁻¹b, one LU factorisation and two solves.
#[grad]
fn lu_solve(m: &DMatrix<f64>, b: &DMatrix<f64>, v: &DVector<f64>) -> f64 {
    let lu = m.clone().lu();
    let x = lu.solve(b).unwrap();
    let y = lu.solve(v).unwrap();
    0.5 * x.norm_squared() + v.dot(&y)
}

/// ½‖M⁻¹B‖² by a QR factorisation.
#[grad]
fn qr_solve(m: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    let x = m.clone().qr().solve(b).unwrap();
    0.5 * x.norm_squared()
}

/// ½‖L⁻¹B‖², L the lower triangle of `l`.
#[grad]
fn triangular_solve(l: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    let x = l.solve_lower_triangular(b).unwrap();
    0.5 * x.norm_squared()
}

/// The inputs at one size.
struct Inputs {
    /// S = MᵀM/n + I.
    s: DMatrix<f64>,
    /// A general matrix, random + n·I.
    m: DMatrix<f64>,
    /// The lower-triangular Cholesky factor of S.
    l: DMatrix<f64>,
    /// n×8.
    b: DMatrix<f64>,
    /// n entries.
    v: DVector<f64>,
}

impl Inputs {
    fn new(n: usize) -> Self {
        let a = data::matrix(1, n, n, 1.0);
        let s = a.tr_mul(&a) / n as f64 + DMatrix::identity(n, n);
        // Exactly symmetric, whatever the product's rounding.
        let s = (&s + s.transpose()) * 0.5;
        let m = data::matrix(2, n, n, 1.0) + DMatrix::identity(n, n) * n as f64;
        let l = s.clone().cholesky().expect("S is positive definite").l();
        Inputs {
            s,
            m,
            l,
            b: data::matrix(3, n, RHS, 1.0),
            v: data::vector(4, n, 1.0),
        }
    }
}

fn norm(gs: &[&[f64]]) -> f64 {
    gs.iter()
        .flat_map(|g| g.iter())
        .map(|x| x * x)
        .sum::<f64>()
        .sqrt()
}

/// Each function's value and gradient norm at each size, as JSON rows (also a check that
/// `<f>_grad`'s value is the function's).
fn values() -> Vec<String> {
    let mut rows = Vec::new();
    for n in SIZES {
        let x = Inputs::new(n);
        let (v1, g1) = cholesky_nll_grad(&x.s, &x.b);
        same(v1, cholesky_nll(&x.s, &x.b));
        let (v2, g2) = lu_solve_grad(&x.m, &x.b, &x.v);
        same(v2, lu_solve(&x.m, &x.b, &x.v));
        let (v4, g4) = qr_solve_grad(&x.m, &x.b);
        same(v4, qr_solve(&x.m, &x.b));
        let (v3, g3) = triangular_solve_grad(&x.l, &x.b);
        same(v3, triangular_solve(&x.l, &x.b));
        let cases = [
            (
                "cholesky_nll",
                v1,
                norm(&[g1.s.as_slice(), g1.b.as_slice()]),
            ),
            (
                "lu_solve",
                v2,
                norm(&[g2.m.as_slice(), g2.b.as_slice(), g2.v.as_slice()]),
            ),
            ("qr_solve", v4, norm(&[g4.m.as_slice(), g4.b.as_slice()])),
            (
                "triangular_solve",
                v3,
                norm(&[g3.l.as_slice(), g3.b.as_slice()]),
            ),
        ];
        for (name, value, grad_norm) in cases {
            rows.push(format!(
                "{{\"workload\": \"{name}\", \"size\": \"{n}\", \"impl\": \"generated\", \
                 \"value\": {value:e}, \"grad_norm\": {grad_norm:e}}}"
            ));
        }
    }
    rows
}

/// Panics unless `<f>_grad`'s value is the function's, up to rounding (the runtime's dot
/// products and norms sum in another order than nalgebra's).
fn same(generated: f64, primal: f64) {
    assert!(
        (generated - primal).abs() <= 1e-12 * primal.abs().max(1.0),
        "the generated value {generated} is not the function's {primal}"
    );
}

/// `$BENCH_RESULTS_DIR`, or `bench-results/` in the target directory this binary was built
/// into (`<target>/release/deps/factorisations-…`).
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

fn write_values() {
    let dir = results_dir();
    std::fs::create_dir_all(&dir).expect("create the results directory");
    let path = dir.join("factorisations.json");
    let json = format!("[\n  {}\n]\n", values().join(",\n  "));
    std::fs::write(&path, json).expect("write factorisations.json");
    println!("wrote {}", path.display());
}

fn benches(c: &mut Criterion) {
    // `cargo test --benches` runs bench binaries without `--bench`: no files written there.
    if std::env::args().any(|a| a == "--bench") {
        write_values();
    }
    let inputs: Vec<(usize, Inputs)> = SIZES.iter().map(|&n| (n, Inputs::new(n))).collect();
    // The largest size takes milliseconds per call: fewer (longer) samples, so a case fits
    // its measurement time instead of criterion stretching it.
    let samples = |n: usize| if n >= 256 { 20 } else { 100 };

    let mut group = c.benchmark_group("cholesky_nll");
    for (n, x) in &inputs {
        group.sample_size(samples(*n));
        group.bench_with_input(BenchmarkId::new("primal", n), x, |bench, x| {
            bench.iter(|| cholesky_nll(black_box(&x.s), black_box(&x.b)))
        });
        group.bench_with_input(BenchmarkId::new("generated", n), x, |bench, x| {
            bench.iter(|| cholesky_nll_grad(black_box(&x.s), black_box(&x.b)))
        });
        group.bench_with_input(BenchmarkId::new("factor", n), x, |bench, x| {
            bench.iter(|| black_box(&x.s).clone().cholesky())
        });
    }
    group.finish();

    let mut group = c.benchmark_group("lu_solve");
    for (n, x) in &inputs {
        group.sample_size(samples(*n));
        group.bench_with_input(BenchmarkId::new("primal", n), x, |bench, x| {
            bench.iter(|| lu_solve(black_box(&x.m), black_box(&x.b), black_box(&x.v)))
        });
        group.bench_with_input(BenchmarkId::new("generated", n), x, |bench, x| {
            bench.iter(|| lu_solve_grad(black_box(&x.m), black_box(&x.b), black_box(&x.v)))
        });
        group.bench_with_input(BenchmarkId::new("factor", n), x, |bench, x| {
            bench.iter(|| black_box(&x.m).clone().lu())
        });
    }
    group.finish();

    let mut group = c.benchmark_group("qr_solve");
    for (n, x) in &inputs {
        group.sample_size(samples(*n));
        group.bench_with_input(BenchmarkId::new("primal", n), x, |bench, x| {
            bench.iter(|| qr_solve(black_box(&x.m), black_box(&x.b)))
        });
        group.bench_with_input(BenchmarkId::new("generated", n), x, |bench, x| {
            bench.iter(|| qr_solve_grad(black_box(&x.m), black_box(&x.b)))
        });
        group.bench_with_input(BenchmarkId::new("factor", n), x, |bench, x| {
            bench.iter(|| black_box(&x.m).clone().qr())
        });
    }
    group.finish();

    let mut group = c.benchmark_group("triangular_solve");
    for (n, x) in &inputs {
        group.sample_size(samples(*n));
        group.bench_with_input(BenchmarkId::new("primal", n), x, |bench, x| {
            bench.iter(|| triangular_solve(black_box(&x.l), black_box(&x.b)))
        });
        group.bench_with_input(BenchmarkId::new("generated", n), x, |bench, x| {
            bench.iter(|| triangular_solve_grad(black_box(&x.l), black_box(&x.b)))
        });
    }
    group.finish();
}

criterion_group! {
    name = factorisations;
    // 1 s warm-up and 2.5 s measurement per case (33 cases, about two minutes);
    // `--warm-up-time` and `--measurement-time` on the command line override them.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_millis(2500));
    targets = benches
}
criterion_main!(factorisations);
