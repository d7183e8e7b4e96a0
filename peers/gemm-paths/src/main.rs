//! GFLOP/s of the runtime's candidate product paths at the shapes the workloads meet: the gemm
//! crate on rayon's threads and on one thread, nalgebra's product (matrixmultiply, threaded)
//! and faer's `matmul` (rayon, one thread), each timed in turn within a round (7 rounds, the
//! median): see Cargo.toml.

use nalgebra::DMatrix;
use std::time::Instant;

fn gemm_crate(c: &mut DMatrix<f64>, a: &DMatrix<f64>, b: &DMatrix<f64>, par: gemm::Parallelism) {
    let (m, k) = a.shape();
    let n = b.ncols();
    unsafe {
        gemm::gemm(m, n, k, c.as_mut_slice().as_mut_ptr(), m as isize, 1, false,
            a.as_slice().as_ptr(), m as isize, 1, b.as_slice().as_ptr(), k as isize, 1,
            0.0, 1.0, false, false, false, par);
    }
}

fn faer_matmul(c: &mut DMatrix<f64>, a: &DMatrix<f64>, b: &DMatrix<f64>, par: faer::Par) {
    let (m, k) = a.shape();
    let n = b.ncols();
    let dst = faer::MatMut::from_column_major_slice_mut(c.as_mut_slice(), m, n);
    let lhs = faer::MatRef::from_column_major_slice(a.as_slice(), m, k);
    let rhs = faer::MatRef::from_column_major_slice(b.as_slice(), k, n);
    faer::linalg::matmul::matmul(dst, faer::Accum::Replace, lhs, rhs, 1.0, par);
}

fn median(mut v: Vec<f64>) -> f64 { v.sort_by(|a, b| a.partial_cmp(b).unwrap()); v[v.len() / 2] }

fn main() {
    let shapes: &[(usize, usize, usize)] = &[
        (32, 32, 32), (64, 64, 64), (128, 64, 128), (64, 128, 128), (128, 128, 128),
        (256, 128, 128), (256, 256, 256), (256, 64, 1024), (1024, 256, 128), (512, 512, 512),
        (2048, 256, 256),
    ];
    println!("m×k×n: GFLOP/s of gemm (rayon) | gemm (1 thread) | nalgebra | faer (rayon) | faer (1 thread)");
    for &(m, k, n) in shapes {
        let a = DMatrix::from_fn(m, k, |i, j| ((i * 7 + j * 3) as f64 * 0.37).sin());
        let b = DMatrix::from_fn(k, n, |i, j| ((i * 5 + j * 11) as f64 * 0.21).cos());
        let mut c = DMatrix::zeros(m, n);
        let flops = 2.0 * (m * n * k) as f64;
        let reps = ((1e9 / flops) as usize).max(3);
        let mut ts: Vec<Vec<f64>> = vec![Vec::new(); 5];
        for _ in 0..7 {
            for (p, t) in ts.iter_mut().enumerate() {
                let start = Instant::now();
                for _ in 0..reps {
                    match p {
                        0 => gemm_crate(&mut c, &a, &b, gemm::Parallelism::Rayon(0)),
                        1 => gemm_crate(&mut c, &a, &b, gemm::Parallelism::None),
                        2 => c.gemm(1.0, &a, &b, 0.0),
                        3 => faer_matmul(&mut c, &a, &b, faer::Par::rayon(0)),
                        _ => faer_matmul(&mut c, &a, &b, faer::Par::Seq),
                    }
                }
                t.push(start.elapsed().as_secs_f64() / reps as f64);
            }
        }
        let g: Vec<String> = ts.into_iter().map(|t| format!("{:6.1}", flops / median(t) / 1e9)).collect();
        println!("{m}×{k}×{n}: {}", g.join(" | "));
    }
}
