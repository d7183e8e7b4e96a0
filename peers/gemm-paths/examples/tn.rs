//! Aᵀ·B with a long inner dimension (PRML: Φᵀ·R, Φ 1000×64, R 1000×10), by each path.
use nalgebra::{DMatrix, Dyn, MatrixView, U1};
use std::time::Instant;

fn time(f: &mut dyn FnMut()) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..7 {
        let t = Instant::now();
        for _ in 0..50 { f(); }
        best = best.min(t.elapsed().as_secs_f64() / 50.0 * 1e6);
    }
    best
}

fn main() {
    for (k, m, n) in [(1000usize, 64usize, 10usize), (10000, 256, 10), (1000, 64, 64)] {
        let a = DMatrix::from_fn(k, m, |i, j| ((i * 7 + j * 3) as f64 * 0.37).sin());
        let b = DMatrix::from_fn(k, n, |i, j| ((i * 5 + j * 11) as f64 * 0.21).cos());
        let mut c = DMatrix::zeros(m, n);
        let at = MatrixView::from_slice_with_strides_generic(a.as_slice(), Dyn(m), Dyn(k), Dyn(k), U1);
        let t_view = time(&mut || c.gemm(1.0, &at, &b, 0.0));
        let t_copy = time(&mut || { let t = a.transpose(); c.gemm(1.0, &t, &b, 0.0); });
        let t_trmul = time(&mut || { c = a.tr_mul(&b); });
        let t_gemm = time(&mut || unsafe {
            gemm::gemm(m, n, k, c.as_mut_slice().as_mut_ptr(), m as isize, 1, false,
                a.as_slice().as_ptr(), 1, k as isize, b.as_slice().as_ptr(), k as isize, 1,
                0.0, 1.0, false, false, false, gemm::Parallelism::None)
        });
        let fwd = time(&mut || { let _ = &a * DMatrix::<f64>::zeros(m, n); });
        println!("{k}x{m}x{n}: view {t_view:.1} µs, transpose copy {t_copy:.1}, tr_mul {t_trmul:.1}, gemm crate {t_gemm:.1}, (A·X forward-shaped {fwd:.1})");
    }
}
