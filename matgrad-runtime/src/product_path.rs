//! Which implementation computes a product: nalgebra's (matrixmultiply, which threads large
//! products itself), the gemm crate on the calling thread, or the gemm crate on rayon's
//! threads. Chosen once per process, per size class and, for large products, per orientation
//! (`A·B`, `Aᵀ·B`, `A·Bᵀ`), by timing the candidates on a product of the class in that
//! orientation the first time one is asked for (docs/products.md says why: which is fastest
//! differs between machines, shapes and orientations by up to 3×, and threads cost more than
//! they give below a few million multiply-adds on two cores).

use crate::transposed::{gemm_crate, Operand, NALGEBRA_SMALL_DIM};
use nalgebra::{Dyn, MatrixView, MatrixViewMut};
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

/// Below this in some dimension a product is skinny (m·k·n = 1000·64·10, say), a class of its
/// own below [`LARGE_FROM`] and above it: there nalgebra's product was up to 2.6× slower than
/// the gemm crate's where square products of the same machine were as fast, and a transposed
/// left operand turned that around for large ones (docs/products.md).
pub const SKINNY_BELOW: usize = 32;

/// Products with fewer multiply-adds than this (16³), or a dimension of 1 (matrix-vector),
/// stay with nalgebra (its small-matrix loop, `gemv`): no call overhead to pay back.
pub const PATHS_FROM: usize = 1 << 12;

/// A class of products that take one path (one in each [`Orientation`] for the large
/// classes): skinny (some dimension below [`SKINNY_BELOW`]) and medium (the others) below
/// [`LARGE_FROM`] multiply-adds, large skinny and large from there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeClass {
    Skinny,
    Medium,
    Large,
    LargeSkinny,
}

impl SizeClass {
    /// Every class, in the order [`product_paths`] lists them.
    pub const ALL: [SizeClass; 4] = [
        SizeClass::Skinny,
        SizeClass::Medium,
        SizeClass::Large,
        SizeClass::LargeSkinny,
    ];

    /// The class's name in reports (`skinny`, `medium`, `large`, `large_skinny`).
    pub fn name(self) -> &'static str {
        match self {
            SizeClass::Skinny => "skinny",
            SizeClass::Medium => "medium",
            SizeClass::Large => "large",
            SizeClass::LargeSkinny => "large_skinny",
        }
    }

    /// The class of an m×k by k×n product.
    pub fn of(m: usize, n: usize, k: usize) -> SizeClass {
        let large = m.saturating_mul(n).saturating_mul(k) >= LARGE_FROM;
        match (large, m.min(n).min(k) < SKINNY_BELOW) {
            (true, true) => SizeClass::LargeSkinny,
            (true, false) => SizeClass::Large,
            (false, true) => SizeClass::Skinny,
            (false, false) => SizeClass::Medium,
        }
    }

    /// The layer (batch, inner, outer) whose products time the class: an orientation's probe
    /// is the product of that orientation in the gradient of `X·W`, X batch×inner
    /// ([`Orientation::layer_product`]; only `A·B` below [`LARGE_FROM`]:
    /// [`Self::by_orientation`]). 256·256·8, 128³, 384·256·384 and 4096·256·16 (5·10⁵, 2·10⁶,
    /// 3.8·10⁷ and 1.7·10⁷ multiply-adds; docs/products.md has what timing them costs). The
    /// large probe is well above [`LARGE_FROM`]: at 256³ the three paths were within 10 % of
    /// each other here. The large skinny one has a long batch, as PRML's Φᵀ·R̄
    /// (10000·256·10) has.
    fn probe(self) -> (usize, usize, usize) {
        match self {
            SizeClass::Skinny => (256, 256, 8),
            SizeClass::Medium => (128, 128, 128),
            SizeClass::Large => (384, 256, 384),
            SizeClass::LargeSkinny => (4096, 256, 16),
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
    /// thread it was never more than 1.12× slower than nalgebra's product here at a product
    /// without a transpose, and up to 2.6× faster at skinny shapes), its threads first for
    /// large products.
    fn candidates(self) -> &'static [ProductPath] {
        match self {
            SizeClass::Skinny | SizeClass::Medium => &[ProductPath::Gemm, ProductPath::Nalgebra],
            SizeClass::Large | SizeClass::LargeSkinny => &[
                ProductPath::GemmThreaded,
                ProductPath::Nalgebra,
                ProductPath::Gemm,
            ],
        }
    }

    /// Whether the class is timed in each orientation (the large ones), rather than taking
    /// its `A·B` probe's choice for every orientation. Below [`LARGE_FROM`] an `Aᵀ·B` probe
    /// misled: 256·256·8 chose nalgebra in about half the runs, and a long batch (1024·64·8)
    /// in every run, where PRML 1000×64×10's Φᵀ·R̄ was 1.8× faster on the gemm crate.
    fn by_orientation(self) -> bool {
        matches!(self, SizeClass::Large | SizeClass::LargeSkinny)
    }

    /// What unoptimised builds (`debug_assertions`) take without measuring.
    fn unmeasured(self) -> ProductPath {
        match self {
            SizeClass::Large | SizeClass::LargeSkinny => ProductPath::GemmThreaded,
            _ => ProductPath::Gemm,
        }
    }
}

/// Which operand of a product is read transposed: the paths' speeds differ by orientation
/// (the gemm crate was 1.1–1.9× slower than nalgebra's product at a large skinny `Aᵀ·B` with a
/// long inner dimension, and 2.1–2.7× faster at the same product without the transpose).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Orientation {
    /// `A·B`.
    NN,
    /// `Aᵀ·B`, A stored k×m.
    TN,
    /// `A·Bᵀ`, B stored n×k.
    NT,
}

impl Orientation {
    /// Every orientation, in the order [`product_paths`] lists them.
    pub const ALL: [Orientation; 3] = [Orientation::NN, Orientation::TN, Orientation::NT];

    /// The orientation's name in reports (`nn`, `tn`, `nt`).
    pub fn name(self) -> &'static str {
        match self {
            Orientation::NN => "nn",
            Orientation::TN => "tn",
            Orientation::NT => "nt",
        }
    }

    /// The (m, n, k) of the product of this orientation in the gradient of a layer `X·W`, X
    /// batch×inner and W inner×outer: `Y = X·W` (NN), `W̄ = Xᵀ·Ȳ` (TN), `X̄ = Ȳ·Wᵀ` (NT).
    pub fn layer_product(self, (batch, inner, outer): (usize, usize, usize)) -> [usize; 3] {
        match self {
            Orientation::NN => [batch, outer, inner],
            Orientation::TN => [inner, outer, batch],
            Orientation::NT => [batch, inner, outer],
        }
    }

    /// An m×k by k×n product's operands as the gemm crate reads them, from column-major
    /// storage in this orientation: `a` holds A (m×k) or, for `Aᵀ·B`, A k×m; `b` holds B
    /// (k×n) or, for `A·Bᵀ`, B n×k.
    pub(crate) fn operands<'a, T>(
        self,
        a: &'a [T],
        b: &'a [T],
        [m, n, k]: [usize; 3],
    ) -> (Operand<'a, T>, Operand<'a, T>) {
        let (m, n, k) = (m as isize, n as isize, k as isize);
        match self {
            // Aᵀ(i, l) = A(l, i): one step down a row of Aᵀ is one row of A's column.
            Orientation::TN => (Operand(a, 1, k), Operand(b, k, 1)),
            // Bᵀ(l, j) = B(j, l): one step down a column of Bᵀ is one column of B.
            Orientation::NT => (Operand(a, m, 1), Operand(b, 1, n)),
            Orientation::NN => (Operand(a, m, 1), Operand(b, k, 1)),
        }
    }
}

/// The path of an m×k by k×n product in `orientation`: nalgebra's below [`PATHS_FROM`]
/// multiply-adds or with a dimension of 1; else the one `MATGRAD_GEMM` names (`nalgebra`,
/// `gemm`, `gemm-threaded`), or else the one measured fastest for its [`SizeClass`] and
/// orientation the first time a product of them was asked for. Unoptimised builds
/// (`debug_assertions`), whose timings say nothing of the optimised code's, do not measure:
/// the gemm crate, on rayon's threads for large products and on one thread for the others.
pub fn product_path(m: usize, n: usize, k: usize, orientation: Orientation) -> ProductPath {
    if m.min(n).min(k) < 2 || m.saturating_mul(n).saturating_mul(k) < PATHS_FROM {
        return ProductPath::Nalgebra;
    }
    class_path(SizeClass::of(m, n, k), orientation)
}

/// The choice of each class and orientation, once made.
static CHOSEN: [[OnceLock<ProductPath>; 3]; 4] = [const { [const { OnceLock::new() }; 3] }; 4];

/// The path every product of `class` in `orientation` takes (timing the candidates on the
/// class's probe in that orientation if no such product has been asked for yet; below
/// [`LARGE_FROM`], the class's `A·B` choice in every orientation).
pub fn class_path(class: SizeClass, orientation: Orientation) -> ProductPath {
    *CHOSEN[class as usize][orientation as usize].get_or_init(|| {
        if !class.by_orientation() && orientation != Orientation::NN {
            return class_path(class, Orientation::NN);
        }
        forced().unwrap_or_else(|| match cfg!(debug_assertions) {
            true => class.unmeasured(),
            false => fastest(
                orientation,
                orientation.layer_product(class.probe()),
                class.candidates(),
            ),
        })
    })
}

/// The path each size class (in [`SizeClass::ALL`]'s order) took in each orientation (in
/// [`Orientation::ALL`]'s), for reports: `None` where no product of them has been asked for
/// in this process (and so none was timed).
pub fn product_paths() -> [[Option<ProductPath>; 3]; 4] {
    SizeClass::ALL.map(|c| Orientation::ALL.map(|o| CHOSEN[c as usize][o as usize].get().copied()))
}

/// The path `MATGRAD_GEMM` names, if it is set to one (anything else is ignored, and the
/// paths are measured).
fn forced() -> Option<ProductPath> {
    std::env::var("MATGRAD_GEMM")
        .ok()
        .and_then(|v| ProductPath::from_name(v.trim()))
}

/// The first of `paths` that computes the (m, n, k) product in `orientation` within [`TIE`] of
/// the fastest here: each once to warm up (rayon's pool, the packing buffers), then three
/// rounds of each in turn, the best time of each.
fn fastest(orientation: Orientation, mnk: [usize; 3], paths: &[ProductPath]) -> ProductPath {
    let probe = Probe::new(orientation, mnk);
    let mut c = vec![0.0; mnk[0] * mnk[1]];
    let mut best = vec![Duration::MAX; paths.len()];
    for round in 0..4 {
        for (&path, best) in paths.iter().zip(&mut best) {
            let start = Instant::now();
            probe.product_into(path, &mut c);
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

/// A product timed by [`fastest`]: its operands stored as its orientation has them.
struct Probe {
    orientation: Orientation,
    mnk: [usize; 3],
    a: Vec<f64>,
    b: Vec<f64>,
}

impl Probe {
    /// The m×k by k×n product `mnk` (as [m, n, k]) in `orientation`, of fixed entries.
    fn new(orientation: Orientation, mnk @ [m, n, k]: [usize; 3]) -> Probe {
        // Cheap entries in [-0.5, 0.5): a large probe's `sin`s took longer than its products.
        let fill = |len: usize, f: usize| (0..len).map(move |i| (i * f % 23) as f64 / 23.0 - 0.5);
        assert!(
            m.min(n).min(k) > NALGEBRA_SMALL_DIM,
            "nalgebra's small path misreads Aᵀ"
        );
        Probe {
            orientation,
            mnk,
            a: fill(m * k, 7).collect(),
            b: fill(k * n, 5).collect(),
        }
    }

    /// `c = op(a)·op(b)` (c column-major m×n) by `path`, reading the operands as the products
    /// of `transposed.rs` do: the gemm crate through their strides, nalgebra's `gemm` on
    /// strided views.
    fn product_into(&self, path: ProductPath, c: &mut [f64]) {
        let [m, n, k] = self.mnk;
        let (lhs, rhs) = self.orientation.operands(&self.a, &self.b, self.mnk);
        let parallelism = match path {
            ProductPath::Gemm => gemm::Parallelism::None,
            ProductPath::GemmThreaded => gemm::Parallelism::Rayon(0),
            ProductPath::Nalgebra => {
                let mut dst = MatrixViewMut::from_slice_generic(c, Dyn(m), Dyn(n));
                return dst.gemm(1.0, &strided(lhs, m, k), &strided(rhs, k, n), 0.0);
            }
        };
        gemm_crate(c, (m, n, k), false, lhs, rhs, parallelism);
    }
}

/// An operand as the rows×cols nalgebra view its strides describe.
fn strided(
    o: Operand<'_, f64>,
    rows: usize,
    cols: usize,
) -> MatrixView<'_, f64, Dyn, Dyn, Dyn, Dyn> {
    let (rs, cs) = (Dyn(o.2 as usize), Dyn(o.1 as usize));
    MatrixView::from_slice_with_strides_generic(o.0, Dyn(rows), Dyn(cols), rs, cs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::DMatrix;

    /// The probe of each orientation, by each path, computes `op(A)·op(B)` of its storage,
    /// and the measurement names one of the candidates.
    #[test]
    fn each_orientation_s_probe_computes_its_product() {
        let mnk @ [m, n, k] = [23, 17, 29];
        for orientation in Orientation::ALL {
            let probe = Probe::new(orientation, mnk);
            let (a, b) = match orientation {
                Orientation::NN => (
                    DMatrix::from_column_slice(m, k, &probe.a),
                    DMatrix::from_column_slice(k, n, &probe.b),
                ),
                Orientation::TN => (
                    DMatrix::from_column_slice(k, m, &probe.a).transpose(),
                    DMatrix::from_column_slice(k, n, &probe.b),
                ),
                Orientation::NT => (
                    DMatrix::from_column_slice(m, k, &probe.a),
                    DMatrix::from_column_slice(n, k, &probe.b).transpose(),
                ),
            };
            let want = &a * &b;
            for path in ProductPath::ALL {
                let mut c = vec![f64::NAN; m * n];
                probe.product_into(path, &mut c);
                let err = (DMatrix::from_column_slice(m, n, &c) - &want).amax();
                assert!(err < 1e-12, "{orientation:?} by {path:?}: off by {err:e}");
                assert_eq!(ProductPath::from_name(path.name()), Some(path));
            }
            for class in SizeClass::ALL {
                let paths = class.candidates();
                assert!(paths.contains(&fastest(orientation, mnk, paths)));
            }
        }
    }

    /// Each class's probe is of its class in every orientation, and the layer's three
    /// products have the shapes of `X·W`, `Xᵀ·Ȳ` and `Ȳ·Wᵀ`.
    #[test]
    fn the_probes_are_of_their_class() {
        for class in SizeClass::ALL {
            for orientation in Orientation::ALL {
                let [m, n, k] = orientation.layer_product(class.probe());
                assert_eq!(SizeClass::of(m, n, k), class, "{orientation:?}");
            }
        }
        let layer = (100, 20, 3);
        assert_eq!(Orientation::NN.layer_product(layer), [100, 3, 20]);
        assert_eq!(Orientation::TN.layer_product(layer), [20, 3, 100]);
        assert_eq!(Orientation::NT.layer_product(layer), [100, 20, 3]);
    }
}
