//! Which implementation computes a product from 32 in every dimension: nalgebra's
//! (matrixmultiply, which threads large products itself), the gemm crate on the calling thread,
//! or the gemm crate on rayon's threads. Chosen once per process and per size class, by timing
//! the three on a product of the class (docs/products.md says why: which is fastest differs
//! between machines by up to 2×, and threads cost more than they give below a few million
//! multiply-adds on two cores).

use nalgebra::DMatrix;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How a product is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProductPath {
    /// nalgebra's `gemm` (matrixmultiply, on its own threads for large products).
    Nalgebra,
    /// The gemm crate, on the calling thread.
    Gemm,
    /// The gemm crate, on rayon's threads.
    GemmThreaded,
}

impl ProductPath {
    /// Every path, in the order they are timed.
    pub const ALL: [ProductPath; 3] = [
        ProductPath::Nalgebra,
        ProductPath::Gemm,
        ProductPath::GemmThreaded,
    ];

    /// The name `MATGRAD_GEMM` takes for the path (`nalgebra`, `gemm`, `gemm-threaded`).
    pub fn name(self) -> &'static str {
        match self {
            ProductPath::Nalgebra => "nalgebra",
            ProductPath::Gemm => "gemm",
            ProductPath::GemmThreaded => "gemm-threaded",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// From this many multiply-adds (m·n·k, about 161³) a product is large: the class where
/// threads can pay for themselves.
pub const LARGE_FROM: usize = 1 << 22;

/// The side of the square product each class is timed on: 128³ (2.1·10⁶ multiply-adds) for
/// the products below [`LARGE_FROM`], 256³ (1.7·10⁷) for those above. Timing both takes
/// about 10 ms, once.
const PROBE_SIDES: [usize; 2] = [128, 256];

/// The paths timed for each class. Below [`LARGE_FROM`] the gemm crate's threads are not a
/// candidate: a probe repeated back to back keeps rayon's threads awake, and can find them
/// faster, but between the products of a gradient they fall asleep, and waking them cost
/// more than they gave in every workload measured (attention 128×64×128: 2.3× slower
/// threaded; docs/products.md).
const CANDIDATES: [&[ProductPath]; 2] = [
    &[ProductPath::Nalgebra, ProductPath::Gemm],
    &ProductPath::ALL,
];

/// The path of an m×k by k×n product from 32 in every dimension: the one `MATGRAD_GEMM`
/// names (`nalgebra`, `gemm`, `gemm-threaded`), or else the one measured fastest for its
/// size class (below or from [`LARGE_FROM`] multiply-adds) the first time a product of the
/// class was asked for. Unoptimised builds (`debug_assertions`), whose timings say nothing
/// of the optimised code's, do not measure: the gemm crate, on one thread below
/// [`LARGE_FROM`] and on rayon's from it.
pub fn product_path(m: usize, n: usize, k: usize) -> ProductPath {
    static CHOSEN: [OnceLock<ProductPath>; 2] = [OnceLock::new(), OnceLock::new()];
    let class = usize::from(m.saturating_mul(n).saturating_mul(k) >= LARGE_FROM);
    *CHOSEN[class].get_or_init(|| {
        forced().unwrap_or_else(|| match cfg!(debug_assertions) {
            true => [ProductPath::Gemm, ProductPath::GemmThreaded][class],
            false => fastest(PROBE_SIDES[class], CANDIDATES[class]),
        })
    })
}

/// The path of each size class, below and from [`LARGE_FROM`] multiply-adds (measuring them
/// if no product has yet): for reports.
pub fn product_paths() -> [ProductPath; 2] {
    let large = PROBE_SIDES[1];
    [product_path(32, 32, 32), product_path(large, large, large)]
}

/// The path `MATGRAD_GEMM` names, if it is set to one (anything else is ignored, and the
/// paths are measured).
fn forced() -> Option<ProductPath> {
    std::env::var("MATGRAD_GEMM")
        .ok()
        .and_then(|v| ProductPath::from_name(v.trim()))
}

/// The one of `paths` that computes an n×n product fastest here: each once to warm up
/// (rayon's pool, the packing buffers), then three rounds of each in turn, the best time of
/// each.
fn fastest(n: usize, paths: &[ProductPath]) -> ProductPath {
    let a = DMatrix::from_fn(n, n, |i, j| ((i * 7 + j * 3) as f64 * 0.37).sin());
    let b = DMatrix::from_fn(n, n, |i, j| ((i * 5 + j * 11) as f64 * 0.21).cos());
    let mut c = DMatrix::zeros(n, n);
    let mut best = vec![Duration::MAX; paths.len()];
    for round in 0..4 {
        for (&path, best) in paths.iter().zip(&mut best) {
            let start = Instant::now();
            product_into(path, &mut c, &a, &b);
            if round > 0 {
                *best = (*best).min(start.elapsed());
            }
        }
    }
    let fastest = (0..paths.len()).min_by_key(|&i| best[i]).expect("a path");
    paths[fastest]
}

/// `c = a·b` by `path`.
fn product_into(path: ProductPath, c: &mut DMatrix<f64>, a: &DMatrix<f64>, b: &DMatrix<f64>) {
    let ((m, k), n) = (a.shape(), b.ncols());
    let parallelism = match path {
        ProductPath::Nalgebra => return c.gemm(1.0, a, b, 0.0),
        ProductPath::Gemm => gemm::Parallelism::None,
        ProductPath::GemmThreaded => gemm::Parallelism::Rayon(0),
    };
    assert!(
        c.shape() == (m, n) && b.nrows() == k,
        "matgrad: probe shapes"
    );
    // SAFETY: a (m×k), b (k×n) and c (m×n) are contiguous column-major matrices of those
    // shapes (checked above), read and written with their own column steps.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_slice().as_mut_ptr(),
            m as isize,
            1,
            false,
            a.as_slice().as_ptr(),
            m as isize,
            1,
            b.as_slice().as_ptr(),
            k as isize,
            1,
            0.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each path computes the probe's product, and the measurement names one of them.
    #[test]
    fn the_paths_agree_and_one_is_fastest() {
        let n = 40;
        let a = DMatrix::from_fn(n, n, |i, j| (i as f64 - 2.0 * j as f64).sin());
        let b = DMatrix::from_fn(n, n, |i, j| (3.0 * i as f64 + j as f64).cos());
        let want = &a * &b;
        for path in ProductPath::ALL {
            let mut c = DMatrix::zeros(n, n);
            product_into(path, &mut c, &a, &b);
            assert!((c - &want).amax() < 1e-12, "{path:?}");
            assert_eq!(ProductPath::from_name(path.name()), Some(path));
        }
        for paths in CANDIDATES {
            assert!(paths.contains(&fastest(n, paths)));
        }
    }
}
