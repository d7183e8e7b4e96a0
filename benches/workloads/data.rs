//! Deterministic inputs, the same bits in Rust, in `peers/` (candle) and in
//! `peers/jax_bench.py` (numpy): entry `k` of input `seed` is a splitmix64 hash of
//! `(seed, k)` mapped to [−½, ½).

use nalgebra::{DMatrix, DVector, RowDVector};

/// Entry `k` (column-major) of input number `seed`: uniform in [−½, ½).
pub fn entry(seed: u64, k: usize) -> f64 {
    let mut z = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(
        (k as u64)
            .wrapping_add(1)
            .wrapping_mul(0xD1B5_4A32_D192_ED03),
    );
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 * (1.0 / (1u64 << 53) as f64) - 0.5
}

/// An `r×c` matrix of input `seed`, times `scale`.
pub fn matrix(seed: u64, r: usize, c: usize, scale: f64) -> DMatrix<f64> {
    DMatrix::from_fn(r, c, |i, j| scale * entry(seed, i + j * r))
}

/// A column vector of length `n` of input `seed`, times `scale`.
pub fn vector(seed: u64, n: usize, scale: f64) -> DVector<f64> {
    DVector::from_fn(n, |i, _| scale * entry(seed, i))
}

/// A row vector of length `n` of input `seed`, times `scale`, plus `shift`.
pub fn row(seed: u64, n: usize, scale: f64, shift: f64) -> RowDVector<f64> {
    RowDVector::from_fn(n, |_, j| shift + scale * entry(seed, j))
}
