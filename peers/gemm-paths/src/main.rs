//! GFLOP/s of the gemm crate and of nalgebra's product (matrixmultiply) at the shapes of the
//! seed's workloads, each timed in turn (7 rounds, the median): see Cargo.toml.

use nalgebra::DMatrix;
use std::time::Instant;

fn gemm_crate(c: &mut DMatrix<f64>, a: &DMatrix<f64>, b: &DMatrix<f64>) {
    let (m, k) = a.shape();
    let n = b.ncols();
    unsafe {
        gemm::gemm(m, n, k, c.as_mut_slice().as_mut_ptr(), m as isize, 1, false,
            a.as_slice().as_ptr(), m as isize, 1, b.as_slice().as_ptr(), k as isize, 1,
            0.0, 1.0, false, false, false, gemm::Parallelism::Rayon(0));
    }
}

fn median(mut v: Vec<f64>) -> f64 { v.sort_by(|a, b| a.partial_cmp(b).unwrap()); v[v.len() / 2] }

fn main() {
    for &(m, k, n) in &[(512usize, 512usize, 512usize), (1024, 256, 128), (256, 64, 1024), (128, 128, 128), (64, 64, 64)] {
        let a = DMatrix::from_fn(m, k, |i, j| ((i * 7 + j * 3) as f64 * 0.37).sin());
        let b = DMatrix::from_fn(k, n, |i, j| ((i * 5 + j * 11) as f64 * 0.21).cos());
        let mut c = DMatrix::zeros(m, n);
        let flops = 2.0 * (m * n * k) as f64;
        let reps = ((2e9 / flops) as usize).max(3);
        let mut tg = Vec::new();
        let mut tn = Vec::new();
        for _ in 0..7 {
            let t = Instant::now();
            for _ in 0..reps { gemm_crate(&mut c, &a, &b); }
            tg.push(t.elapsed().as_secs_f64() / reps as f64);
            let t = Instant::now();
            for _ in 0..reps { c.gemm(1.0, &a, &b, 0.0); }
            tn.push(t.elapsed().as_secs_f64() / reps as f64);
        }
        let (g, nal) = (median(tg), median(tn));
        println!("{m}x{k}x{n}: gemm crate {:.1} GFLOP/s, nalgebra {:.1} GFLOP/s, ratio gemm/nalgebra time {:.2}",
            flops / g / 1e9, flops / nal / 1e9, g / nal);
    }
}
