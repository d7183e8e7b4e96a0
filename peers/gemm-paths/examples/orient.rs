//! Large products in each orientation (A·B "NN", Aᵀ·B "TN", A·Bᵀ "NT"), each path as the
//! runtime calls it: nalgebra's `gemm` on a strided view of the transposed operand, the gemm
//! crate reading it through its strides, on one thread and on rayon's. Best of 7 rounds, the
//! three paths taken in turn within a round, µs; the fastest path of each row named.
use nalgebra::{DMatrix, Dyn, MatrixView};
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Orient {
    NN,
    TN,
    NT,
}

/// `c = op(a)·op(b)` (m×k by k×n), `a`/`b` stored as the orientation has them.
fn product(path: usize, o: Orient, (m, n, k): (usize, usize, usize), c: &mut DMatrix<f64>, a: &DMatrix<f64>, b: &DMatrix<f64>) {
    let (ls, rs) = match o {
        Orient::NN => ((m as isize, 1), (k as isize, 1)),
        Orient::TN => ((1, k as isize), (k as isize, 1)),
        Orient::NT => ((m as isize, 1), (1, n as isize)),
    };
    if path == 0 {
        let av = match o {
            Orient::TN => MatrixView::from_slice_with_strides_generic(a.as_slice(), Dyn(m), Dyn(k), Dyn(k), Dyn(1)),
            _ => MatrixView::from_slice_with_strides_generic(a.as_slice(), Dyn(m), Dyn(k), Dyn(1), Dyn(m)),
        };
        let bv = match o {
            Orient::NT => MatrixView::from_slice_with_strides_generic(b.as_slice(), Dyn(k), Dyn(n), Dyn(n), Dyn(1)),
            _ => MatrixView::from_slice_with_strides_generic(b.as_slice(), Dyn(k), Dyn(n), Dyn(1), Dyn(k)),
        };
        return c.gemm(1.0, &av, &bv, 0.0);
    }
    let par = if path == 1 { gemm::Parallelism::None } else { gemm::Parallelism::Rayon(0) };
    unsafe {
        gemm::gemm(m, n, k, c.as_mut_slice().as_mut_ptr(), m as isize, 1, false,
            a.as_slice().as_ptr(), ls.0, ls.1, b.as_slice().as_ptr(), rs.0, rs.1,
            0.0, 1.0, false, false, false, par)
    }
}

fn main() {
    let names = ["nalgebra", "gemm 1", "gemm rayon"];
    // Shapes from the command line (`m,k,n` each), or these.
    let args: Vec<(usize, usize, usize)> = std::env::args()
        .skip(1)
        .map(|a| {
            let d: Vec<usize> = a.split(',').map(|x| x.parse().expect("m,k,n")).collect();
            (d[0], d[1], d[2])
        })
        .collect();
    let default = [
        (512usize, 256usize, 512usize),
        (256, 256, 256),
        (10000, 256, 10),
        (256, 10000, 10),
        (10, 10000, 256),
        (256, 10, 10000),
        (1024, 256, 16),
        (256, 4096, 16),
        (256, 2048, 16),
        (16, 4096, 256),
        (784, 256, 100),
        (2048, 128, 128),
    ];
    let shapes = if args.is_empty() { default.to_vec() } else { args };
    let reps = |mnk: usize| (2e8 / mnk as f64).clamp(1.0, 50.0) as usize;
    for (m, k, n) in shapes {
        for o in [Orient::NN, Orient::TN, Orient::NT] {
            let (ar, ac) = if o == Orient::TN { (k, m) } else { (m, k) };
            let (br, bc) = if o == Orient::NT { (n, k) } else { (k, n) };
            let a = DMatrix::from_fn(ar, ac, |i, j| ((i * 7 + j * 3) as f64 * 0.37).sin());
            let b = DMatrix::from_fn(br, bc, |i, j| ((i * 5 + j * 11) as f64 * 0.21).cos());
            let mut c = DMatrix::zeros(m, n);
            let r = reps(m * n * k);
            let mut best = [f64::MAX; 3];
            for round in 0..8 {
                for (p, best) in best.iter_mut().enumerate() {
                    let t = Instant::now();
                    for _ in 0..r {
                        product(p, o, (m, n, k), &mut c, &a, &b);
                    }
                    if round > 0 {
                        *best = best.min(t.elapsed().as_secs_f64() / r as f64 * 1e6);
                    }
                }
            }
            let f = (0..3).min_by(|&x, &y| best[x].total_cmp(&best[y])).unwrap();
            println!(
                "{m}×{k}×{n} {o:?}: nalgebra {:.0} µs, gemm 1 {:.0}, gemm rayon {:.0}; fastest {} (nalgebra/gemm-rayon {:.2})",
                best[0], best[1], best[2], names[f], best[0] / best[2]
            );
        }
    }
}
