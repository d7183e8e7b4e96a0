//! C = A·B at skinny shapes (one dimension 2–16): nalgebra (matrixmultiply, threaded) against
//! the gemm crate on one thread, best of 7 × 50 calls, µs.
use nalgebra::DMatrix;
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
    for (m, k, n) in [(256usize, 10000usize, 10usize), (10000, 256, 10), (1000, 64, 10), (64, 1000, 10), (10, 1000, 64), (1000, 10, 64), (256, 16, 256), (16, 256, 256), (256, 256, 16), (512, 8, 512), (64, 64, 2), (32, 32, 32), (16, 16, 16), (100, 100, 4)] {
        let a = DMatrix::from_fn(m, k, |i, j| ((i * 7 + j * 3) as f64 * 0.37).sin());
        let b = DMatrix::from_fn(k, n, |i, j| ((i * 5 + j * 11) as f64 * 0.21).cos());
        let mut c = DMatrix::zeros(m, n);
        let t_nal = time(&mut || c.gemm(1.0, &a, &b, 0.0));
        let t_thr = time(&mut || unsafe {
            gemm::gemm(m, n, k, c.as_mut_slice().as_mut_ptr(), m as isize, 1, false,
                a.as_slice().as_ptr(), m as isize, 1, b.as_slice().as_ptr(), k as isize, 1,
                0.0, 1.0, false, false, false, gemm::Parallelism::Rayon(0))
        });
        let t_gemm = time(&mut || unsafe {
            gemm::gemm(m, n, k, c.as_mut_slice().as_mut_ptr(), m as isize, 1, false,
                a.as_slice().as_ptr(), m as isize, 1, b.as_slice().as_ptr(), k as isize, 1,
                0.0, 1.0, false, false, false, gemm::Parallelism::None)
        });
        println!("{m}×{k}×{n}: nalgebra {t_nal:.2} µs, gemm one thread {t_gemm:.2} µs (ratio {:.2}), gemm threaded {t_thr:.2} µs", t_gemm / t_nal);
    }
}
