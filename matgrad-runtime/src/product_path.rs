//! Which implementation computes a product: nalgebra's (matrixmultiply, which threads large
//! products itself), the gemm crate on the calling thread, or the gemm crate on rayon's
//! threads. Chosen once per process and per size class, by timing the candidates on a product
//! of the class (docs/products.md says why: which is fastest differs between machines and
//! shapes by up to 3×, and threads cost more than they give below a few million
//! multiply-adds on two cores).

use crate::transposed::{gemm_crate, Operand};
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

/// Below this in some dimension a product below [`LARGE_FROM`] is skinny (m·k·n = 1000·64·10,
/// say), a class of its own: there nalgebra's product was up to 2.6× slower than the gemm
/// crate's where square products of the same machine were as fast (docs/products.md).
pub const SKINNY_BELOW: usize = 32;

/// Products with fewer multiply-adds than this (16³), or a dimension of 1 (matrix-vector),
/// stay with nalgebra (its small-matrix loop, `gemv`): no call overhead to pay back.
pub const PATHS_FROM: usize = 1 << 12;

/// A class of products that take one path: large (from [`LARGE_FROM`] multiply-adds, whatever
/// their shape: threads pay for a skinny one too), skinny (some dimension below
/// [`SKINNY_BELOW`]) and medium (the others).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeClass {
    Skinny,
    Medium,
    Large,
}

impl SizeClass {
    /// Every class, in the order [`product_paths`] lists them.
    pub const ALL: [SizeClass; 3] = [SizeClass::Skinny, SizeClass::Medium, SizeClass::Large];

    /// The class of an m×k by k×n product.
    pub fn of(m: usize, n: usize, k: usize) -> SizeClass {
        if m.saturating_mul(n).saturating_mul(k) >= LARGE_FROM {
            SizeClass::Large
        } else if m.min(n).min(k) < SKINNY_BELOW {
            SizeClass::Skinny
        } else {
            SizeClass::Medium
        }
    }

    /// The product (m, k, n) the class is timed on: 256×256×8, 128³ and 512×256×512 (5·10⁵,
    /// 2·10⁶ and 6.7·10⁷ multiply-adds; timing them took 4, 2 and 35 ms here, once per
    /// process, the large one only in a process with a large product). The large probe is
    /// well above [`LARGE_FROM`]: at 256³ the three paths were within 10 % of each other here.
    fn probe(self) -> (usize, usize, usize) {
        match self {
            SizeClass::Skinny => (256, 256, 8),
            SizeClass::Medium => (128, 128, 128),
            SizeClass::Large => (512, 256, 512),
        }
    }

    /// The paths timed for the class. Below [`LARGE_FROM`] the gemm crate's threads are not a
    /// candidate: a probe repeated back to back keeps rayon's threads awake, and can find them
    /// faster, but between the products of a gradient they fall asleep, and waking them cost
    /// more than they gave in every workload measured (attention 128×64×128: 2.3× slower
    /// threaded; docs/products.md).
    ///
    /// In order of preference: the first within [`TIE`] of the fastest is taken, so that paths
    /// the probe cannot tell apart do not flip from run to run. The gemm crate first (on one
    /// thread it was never more than 1.12× slower than nalgebra's product here, and up to
    /// 2.6× faster at skinny shapes), its threads first for large products (up to 1.9× faster
    /// than one thread at skinny large shapes, which the square probe does not show).
    fn candidates(self) -> &'static [ProductPath] {
        match self {
            SizeClass::Skinny | SizeClass::Medium => &[ProductPath::Gemm, ProductPath::Nalgebra],
            SizeClass::Large => &[
                ProductPath::GemmThreaded,
                ProductPath::Nalgebra,
                ProductPath::Gemm,
            ],
        }
    }

    /// What unoptimised builds (`debug_assertions`) take without measuring.
    fn unmeasured(self) -> ProductPath {
        match self {
            SizeClass::Large => ProductPath::GemmThreaded,
            _ => ProductPath::Gemm,
        }
    }
}

/// The path of an m×k by k×n product: nalgebra's below [`PATHS_FROM`] multiply-adds or with a
/// dimension of 1; else the one `MATGRAD_GEMM` names (`nalgebra`, `gemm`, `gemm-threaded`),
/// or else the one measured fastest for its [`SizeClass`] the first time a product of the
/// class was asked for. Unoptimised builds (`debug_assertions`), whose timings say nothing of
/// the optimised code's, do not measure: the gemm crate, on rayon's threads for large products
/// and on one thread for the others.
pub fn product_path(m: usize, n: usize, k: usize) -> ProductPath {
    if m.min(n).min(k) < 2 || m.saturating_mul(n).saturating_mul(k) < PATHS_FROM {
        return ProductPath::Nalgebra;
    }
    class_path(SizeClass::of(m, n, k))
}

/// The path every product of `class` takes (measuring it if no product of the class has yet).
pub fn class_path(class: SizeClass) -> ProductPath {
    static CHOSEN: [OnceLock<ProductPath>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    *CHOSEN[class as usize].get_or_init(|| {
        forced().unwrap_or_else(|| match cfg!(debug_assertions) {
            true => class.unmeasured(),
            false => fastest(class.probe(), class.candidates()),
        })
    })
}

/// The path of each size class, in [`SizeClass::ALL`]'s order: for reports.
pub fn product_paths() -> [ProductPath; 3] {
    SizeClass::ALL.map(class_path)
}

/// The path `MATGRAD_GEMM` names, if it is set to one (anything else is ignored, and the
/// paths are measured).
fn forced() -> Option<ProductPath> {
    std::env::var("MATGRAD_GEMM")
        .ok()
        .and_then(|v| ProductPath::from_name(v.trim()))
}

/// The first of `paths` that computes the (m, k, n) product within [`TIE`] of the fastest
/// here: each once to warm up (rayon's pool, the packing buffers), then three rounds of each
/// in turn, the best time of each.
fn fastest((m, k, n): (usize, usize, usize), paths: &[ProductPath]) -> ProductPath {
    let a = DMatrix::from_fn(m, k, |i, j| ((i * 7 + j * 3) as f64 * 0.37).sin());
    let b = DMatrix::from_fn(k, n, |i, j| ((i * 5 + j * 11) as f64 * 0.21).cos());
    let mut c = DMatrix::zeros(m, n);
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
    let fastest = best.iter().min().expect("a path").as_secs_f64();
    let within = |t: &Duration| t.as_secs_f64() <= fastest * TIE;
    paths[best.iter().position(within).expect("the fastest")]
}

/// How much slower than the fastest a preferred path may be and still be taken.
const TIE: f64 = 1.1;

/// `c = a·b` by `path`.
fn product_into(path: ProductPath, c: &mut DMatrix<f64>, a: &DMatrix<f64>, b: &DMatrix<f64>) {
    let ((m, k), n) = (a.shape(), b.ncols());
    let parallelism = match path {
        ProductPath::Nalgebra => return c.gemm(1.0, a, b, 0.0),
        ProductPath::Gemm => gemm::Parallelism::None,
        ProductPath::GemmThreaded => gemm::Parallelism::Rayon(0),
    };
    let lhs = Operand(a.as_slice(), m as isize, 1);
    let rhs = Operand(b.as_slice(), k as isize, 1);
    gemm_crate(c.as_mut_slice(), (m, n, k), false, lhs, rhs, parallelism);
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
        for class in SizeClass::ALL {
            let paths = class.candidates();
            assert!(paths.contains(&fastest((n, n, n), paths)));
        }
    }
}
