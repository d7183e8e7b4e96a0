//! Shared by the integration tests: seeded random inputs and the two oracles every gradient is
//! held to — central finite differences (`matgrad::check_gradient`) and, where the seed notes
//! give one, a closed form computed here with plain nalgebra.
//!
//! Not every test file uses every helper.
#![allow(dead_code)]

pub mod reference;

use matgrad::{check_gradient, Dense};
use nalgebra::{DMatrix, DVector, RowDVector, SMatrix, SVector};
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::fmt::Debug;

/// The largest relative error a gradient may show against central finite differences (f64).
pub const FD_TOL: f64 = 1e-6;

/// The largest relative error a gradient may show against a closed form (f64): rounding only.
pub const CLOSED_TOL: f64 = 1e-8;

/// How far an `f32` gradient may be from the `f64` one on the same inputs, relative to the
/// largest entry of the `f64` gradient.
pub const F32_TOL: f64 = 1e-4;

/// A generator seeded with `seed`, so every run sees the same inputs.
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// A uniform random number in `[-1, 1)`.
pub fn uniform(rng: &mut StdRng) -> f64 {
    rng.random_range(-1.0..1.0)
}

/// A random `r×c` matrix with entries in `[-1, 1)`.
pub fn dmatrix(rng: &mut StdRng, r: usize, c: usize) -> DMatrix<f64> {
    DMatrix::from_fn(r, c, |_, _| uniform(rng))
}

/// A random column vector of length `n` with entries in `[-1, 1)`.
pub fn dvector(rng: &mut StdRng, n: usize) -> DVector<f64> {
    DVector::from_fn(n, |_, _| uniform(rng))
}

/// A random row vector of length `n` with entries in `[-1, 1)`.
pub fn row_dvector(rng: &mut StdRng, n: usize) -> RowDVector<f64> {
    RowDVector::from_fn(n, |_, _| uniform(rng))
}

/// A random statically sized `R×C` matrix with entries in `[-1, 1)`.
pub fn smatrix<const R: usize, const C: usize>(rng: &mut StdRng) -> SMatrix<f64, R, C> {
    SMatrix::from_fn(|_, _| uniform(rng))
}

/// A random statically sized vector with entries in `[-1, 1)`.
pub fn svector<const N: usize>(rng: &mut StdRng) -> SVector<f64, N> {
    SVector::from_fn(|_, _| uniform(rng))
}

/// A random `n×n` matrix plus `n·I`: strictly diagonally dominant, so invertible and well
/// conditioned (its determinant is far from zero).
pub fn well_conditioned(rng: &mut StdRng, n: usize) -> DMatrix<f64> {
    dmatrix(rng, n, n) + DMatrix::identity(n, n) * n as f64
}

/// A random symmetric positive definite `n×n` matrix: `MᵀM + I`.
pub fn spd(rng: &mut StdRng, n: usize) -> DMatrix<f64> {
    let m = dmatrix(rng, n, n);
    m.transpose() * m + DMatrix::identity(n, n)
}

/// `max |aᵢ − bᵢ| / max(‖a‖∞, ‖b‖∞)`, computed here rather than taken from the crate under
/// test (0 when both are zero).
pub fn rel_error<V: Dense<Scalar = f64>>(a: &V, b: &V) -> f64 {
    assert_eq!(a.shape(), b.shape(), "rel_error: the shapes differ");
    let (mut diff, mut scale) = (0.0_f64, 0.0_f64);
    for i in 0..a.len() {
        let (x, y) = (a.entry(i), b.entry(i));
        let d = (x - y).abs();
        // NaN must fail, so compare in a way that lets it through.
        if d.is_nan() || d > diff {
            diff = d;
        }
        scale = scale.max(x.abs()).max(y.abs());
    }
    if scale > 0.0 {
        diff / scale
    } else {
        diff
    }
}

/// Asserts that `analytic` is the gradient of `f` at `x` by central finite differences.
#[track_caller]
pub fn assert_fd<X, F>(what: &str, f: F, x: &X, analytic: &X)
where
    X: Dense<Scalar = f64> + Debug,
    F: FnMut(&X) -> f64,
{
    assert_eq!(
        analytic.shape(),
        x.shape(),
        "{what}: the gradient's shape is not the parameter's"
    );
    let report = check_gradient(f, x, analytic);
    assert!(
        report.rel_error < FD_TOL && report.rel_error.is_finite(),
        "{what}: the gradient disagrees with finite differences: {report}\n  at {x:?}\n  gradient {analytic:?}"
    );
}

/// Asserts that `analytic` equals `expected` (a closed form) up to rounding.
#[track_caller]
pub fn assert_closed<V>(what: &str, analytic: &V, expected: &V)
where
    V: Dense<Scalar = f64> + Debug,
{
    let e = rel_error(analytic, expected);
    assert!(
        e < CLOSED_TOL,
        "{what}: the gradient is not the closed form (relative error {e:e})\n  gradient    {analytic:?}\n  closed form {expected:?}"
    );
}

/// Asserts that two values agree up to rounding (relative to their size).
#[track_caller]
pub fn assert_value(what: &str, got: f64, expected: f64) {
    let scale = got.abs().max(expected.abs()).max(1.0);
    assert!(
        (got - expected).abs() <= 1e-12 * scale,
        "{what}: the value is {got}, expected {expected}"
    );
}

/// Asserts that an `f32` gradient agrees with the `f64` gradient of the same function at the
/// same inputs, entry by entry, relative to the `f64` gradient's largest entry.
#[track_caller]
pub fn assert_f32_agrees<N, W>(what: &str, narrow: &N, wide: &W)
where
    N: Dense<Scalar = f32>,
    W: Dense<Scalar = f64>,
{
    assert_eq!(narrow.shape(), wide.shape(), "{what}: the shapes differ");
    let scale = (0..wide.len()).fold(f64::MIN_POSITIVE, |m, i| m.max(wide.entry(i).abs()));
    for i in 0..wide.len() {
        let (n, w) = (f64::from(narrow.entry(i)), wide.entry(i));
        let err = (n - w).abs() / scale;
        assert!(
            err <= F32_TOL,
            "{what}: entry {i} is {n} in f32 but {w} in f64 (relative error {err:e})"
        );
    }
}

/// Reference values generated offline with JAX: `tests/data/<name>.json`, written by the
/// script `tests/data/<name>.py`.
pub fn reference_data(name: &str) -> serde_json::Value {
    let path = format!("{}/tests/data/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A finite number of reference data.
pub fn json_number(v: &serde_json::Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("a finite number, not {v}"))
}

/// A matrix of reference data, written as a list of rows.
pub fn json_matrix(v: &serde_json::Value) -> DMatrix<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).expect("a list of rows");
    DMatrix::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j])
}

/// Asserts that `g` is the gradient of `f` at the symmetric `s` along every symmetric
/// perturbation `S + h(Eᵢⱼ + Eⱼᵢ)` (central differences, `h = 1e-6`): the gradient of a
/// function of a symmetric matrix.
#[track_caller]
pub fn assert_symmetric_fd(
    what: &str,
    f: impl Fn(&DMatrix<f64>) -> f64,
    s: &DMatrix<f64>,
    g: &DMatrix<f64>,
) {
    let (n, h) = (s.nrows(), 1e-6);
    for i in 0..n {
        for j in 0..=i {
            let mut e = DMatrix::zeros(n, n);
            e[(i, j)] += h;
            e[(j, i)] += if i == j { 0.0 } else { h };
            let fd = (f(&(s + &e)) - f(&(s - &e))) / (2.0 * h);
            let analytic = if i == j { g[(i, i)] } else { 2.0 * g[(i, j)] };
            assert!(
                (fd - analytic).abs() <= 1e-6 * analytic.abs().max(1.0),
                "{what}, n = {n}, ({i}, {j}): finite differences {fd}, gradient {analytic}"
            );
        }
    }
}
