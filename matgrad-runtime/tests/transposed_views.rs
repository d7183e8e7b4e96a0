//! `Aᵀ·B` and `A·Bᵀ` read the transposed operand through a strided view, which nalgebra's own
//! loop (taken below `NALGEBRA_SMALL_DIM`, or for statically sized matrices) misreads: sizes on
//! both sides of the threshold, dynamic and static, held to a triple loop. (Statically sized
//! operands above 8 once went to nalgebra's loop: an out-of-bounds read.)

use matgrad_runtime::{mul_nt, mul_tn};
use nalgebra::{DMatrix, SMatrix};

/// `A·B` by the definition.
fn reference(a: &DMatrix<f64>, b: &DMatrix<f64>) -> DMatrix<f64> {
    DMatrix::from_fn(a.nrows(), b.ncols(), |i, j| {
        (0..a.ncols()).map(|l| a[(i, l)] * b[(l, j)]).sum()
    })
}

fn matrix(r: usize, c: usize, seed: f64) -> DMatrix<f64> {
    DMatrix::from_fn(r, c, |i, j| ((i * 7 + j * 3) as f64 * 0.37 + seed).sin())
}

fn assert_close(what: &str, got: &DMatrix<f64>, want: &DMatrix<f64>) {
    let err = (got - want).amax() / want.amax().max(1.0);
    assert!(err < 1e-13, "{what}: off by {err:e}");
}

#[test]
fn dynamic_sizes_across_the_threshold() {
    for (k, m, n) in [
        (5, 6, 6),
        (6, 5, 6),
        (6, 6, 5),
        (6, 6, 6),
        (6, 7, 9),
        (8, 16, 32),
        (40, 6, 7),
    ] {
        let (a, b) = (matrix(k, m, 0.1), matrix(k, n, 0.7));
        let want = reference(&a.transpose(), &b);
        assert_close(&format!("Aᵀ·B {k}×{m}×{n}"), &mul_tn(&a, &b), &want);
        let (c, d) = (matrix(m, k, 0.3), matrix(n, k, 0.9));
        let want = reference(&c, &d.transpose());
        assert_close(&format!("A·Bᵀ {m}×{k}×{n}"), &mul_nt(&c, &d), &want);
    }
}

#[test]
fn static_sizes() {
    let a = SMatrix::<f64, 10, 12>::from_fn(|i, j| ((i * 3 + j) as f64 * 0.1).cos());
    let b = SMatrix::<f64, 10, 9>::from_fn(|i, j| ((i + 5 * j) as f64 * 0.2).sin());
    let (ad, bd) = (
        DMatrix::from_column_slice(10, 12, a.as_slice()),
        DMatrix::from_column_slice(10, 9, b.as_slice()),
    );
    let got = mul_tn(&a, &b);
    let want = reference(&ad.transpose(), &bd);
    assert_close(
        "static Aᵀ·B",
        &DMatrix::from_column_slice(12, 9, got.as_slice()),
        &want,
    );
    let c = SMatrix::<f64, 12, 10>::from_fn(|i, j| ((i * 2 + j) as f64 * 0.3).sin());
    let cd = DMatrix::from_column_slice(12, 10, c.as_slice());
    let got = mul_nt(&c, &b.transpose());
    let want = reference(&cd, &bd);
    assert_close(
        "static A·Bᵀ",
        &DMatrix::from_column_slice(12, 9, got.as_slice()),
        &want,
    );
}
