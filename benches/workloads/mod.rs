//! The workloads of issue 5 (and the four of issue 13: `classifier`, `attention`,
//! `layer_norm_linear`, `gaussian`), shared by the benchmarks (`benches/gradients.rs`,
//! `benches/allocations.rs`) and by the test that holds the hand-written gradients to the
//! generated ones (`tests/bench_workloads.rs`).
//!
//! Each workload has three implementations behind [`Workload`]:
//!
//! - `primal`: the original function, the one under `#[grad]`, called as is;
//! - `generated`: the value and gradient the macro generates (`<name>_grad`, or for the
//!   matrix-valued batch norm `<name>_pullback` and one pull);
//! - `hand`: the seed's closed-form gradient, written as a careful engineer would with
//!   nalgebra: products in place through `gemm`/`gemv`/`gemv_tr`/`ger`, transposes as strided
//!   views (never materialised), buffers reused, and only the outputs and the buffers the
//!   formula needs allocated.
//!
//! Inputs are deterministic ([`data`]): entry `k` (column-major) of input number `seed` is
//! [`data::entry`], a splitmix64 hash that `peers/jax_bench.py` and `peers/src/main.rs` compute
//! bit for bit, so every implementation, peers included, sees the same numbers.
#![allow(dead_code)]

/// `fn name / twin(..) -> T { body }` under `#[grad(args)]`: `name` as written, and `twin` the
/// same function with `workspace` as well (`twin_grad_with`, `twin_pullback_with`). Two
/// functions, so that `name_grad` is timed as a function without the workspace companion
/// gets it (a second body calling the same kernels changes how rustc inlines them into
/// `name_grad`: PRML 32×8×2 measured 1.33 times the hand-written gradient with the companion
/// beside it, 1.14 without).
macro_rules! twin_with_workspace {
    (
        #[grad($($args:tt)*)]
        $(#[$attr:meta])*
        $vis:vis fn $name:ident / $twin:ident ($($params:tt)*) -> $ret:ty $body:block
    ) => {
        #[grad($($args)*)]
        $(#[$attr])*
        $vis fn $name($($params)*) -> $ret $body

        #[grad($($args)*, workspace)]
        $(#[$attr])*
        $vis fn $twin($($params)*) -> $ret $body
    };
}

pub mod attention;
pub mod autoencoder;
pub mod batch_norm;
pub mod classifier;
pub mod data;
pub mod frobenius;
pub mod gaussian;
pub mod layer_norm_linear;
pub mod least_squares;
pub mod prml;
pub mod rnn;

use nalgebra::{DMatrix, DMatrixView, Dyn};

/// A value and its gradient flattened to compare implementations: the value (for batch norm,
/// ⟨Y, G⟩ with G the cotangent pulled back) and each gradient by parameter name.
#[derive(Debug, Clone)]
pub struct Parts {
    pub value: f64,
    pub grads: Vec<(&'static str, Vec<f64>)>,
}

impl Parts {
    /// The Euclidean norm of all the gradients together.
    pub fn grad_norm(&self) -> f64 {
        self.grads
            .iter()
            .flat_map(|(_, g)| g.iter())
            .map(|v| v * v)
            .sum::<f64>()
            .sqrt()
    }
}

/// One benchmark workload at one size.
pub trait Workload: Sized {
    /// The name used in benchmark ids, in the peers and in the report: `least_squares`.
    const NAME: &'static str;
    /// The names of the size parameters, in the order of [`Workload::SIZES`]: `["n"]`.
    const DIMS: &'static [&'static str];
    /// The three sizes of issue 5, small, middle, large.
    const SIZES: [&'static [usize]; 3];

    /// What each implementation returns (kept whole so the benchmark times only the call).
    type Primal;
    type Generated;
    type Hand;

    /// The deterministic inputs at `dims`.
    fn new(dims: &[usize]) -> Self;
    /// The original function.
    fn primal(&self) -> Self::Primal;
    /// The `#[grad]`-generated value and gradient.
    fn generated(&self) -> Self::Generated;
    /// The hand-written closed-form value and gradient.
    fn hand(&self) -> Self::Hand;
    /// [`Workload::generated`]'s output, flattened.
    fn generated_parts(&self, out: Self::Generated) -> Parts;
    /// [`Workload::hand`]'s output, flattened.
    fn hand_parts(&self, out: Self::Hand) -> Parts;
    /// `<name>_grad_with` (batch norm: `_pullback_with`) in `ws` (`#[grad(.., workspace)]`),
    /// its value returned (batch norm: an entry of it); `None` for a workload without one.
    fn with_workspace(&self, _ws: &mut matgrad::Workspace) -> Option<f64> {
        None
    }
    /// [`Workload::with_workspace`]'s value and gradient, flattened.
    fn with_workspace_parts(&self, _ws: &mut matgrad::Workspace) -> Option<Parts> {
        None
    }
}

/// The label of a size in benchmark ids and reports: `16`, `32x8x2`.
pub fn label(dims: &[usize]) -> String {
    dims.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("x")
}

/// Mᵀ as a strided view of M's storage, for `gemm`: nalgebra hands views with any strides to
/// matrixmultiply, so `c.gemm(α, a, &t(b), β)` is C = αABᵀ + βC without a copy of Bᵀ.
/// (nalgebra's own `gemm_tr` and `tr_mul` are column-by-column dot products, not blocked.)
pub fn t(m: &DMatrix<f64>) -> DMatrixView<'_, f64, Dyn, Dyn> {
    DMatrixView::from_slice_with_strides(m.as_slice(), m.ncols(), m.nrows(), m.nrows(), 1)
}

/// C = αAᵀB + βC. With every dimension above 5, nalgebra's `gemm` hands the strided view
/// [`t`]`(a)` to matrixmultiply (blocked, fast); below that its fallback walks the columns of a
/// strided *left* operand with the wrong length (nalgebra 0.35's `axcpy_uninit` takes the
/// strided slice's length for the element count: out of bounds), so small shapes go through
/// `gemm_tr`, column-by-column dot products. (A strided *right* operand is always fine.)
pub fn gemm_tn(c: &mut DMatrix<f64>, alpha: f64, a: &DMatrix<f64>, b: &DMatrix<f64>, beta: f64) {
    const SMALL_DIM: usize = 5; // nalgebra's threshold for matrixmultiply
    if c.nrows() > SMALL_DIM
        && c.ncols() > SMALL_DIM
        && a.nrows() > SMALL_DIM
        && a.ncols() > SMALL_DIM
    {
        c.gemm(alpha, &t(a), b, beta);
    } else {
        c.gemm_tr(alpha, a, b, beta);
    }
}

/// A matrix's entries in storage order.
pub fn flat(m: &DMatrix<f64>) -> Vec<f64> {
    m.as_slice().to_vec()
}
