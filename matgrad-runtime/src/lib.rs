//! VJP kernels on nalgebra for the `#[grad]` attribute, and a finite-difference gradient checker.
//!
//! Each operation that `#[grad]` understands lives here as a small trait with its primal
//! (the forward computation) and its vector-Jacobian products (the pullbacks) side by side.
//! The macro never guesses a type: it emits calls to the free functions of this crate, such
//! as [`mul`] and [`mul_pullback_lhs`], and rustc's trait resolution picks the kernel for
//! scalar·matrix, matrix·vector, matrix·matrix and so on.
//!
//! Pullbacks *accumulate*: each takes the adjoint of an input as `&mut Option<X>`, where
//! `None` means "zero so far". The first contribution initialises it, later contributions add
//! in place (for products through `gemm` with `beta = 1`), so a value used twice costs no
//! zero-fill and no extra allocation.
//!
//! Kernels that differ by one closure or one formula (the broadcasts, the scalar functions,
//! the activations, the reductions, ...) are generated from one table each, an entry per
//! operation with the formula of each kernel as the first line of its documentation.
//!
//! Products large in every dimension (32 and up) of `f32` or `f64` matrices go to the
//! [gemm](https://docs.rs/gemm) crate (blocked, vectorised, on rayon's threads), the others to
//! nalgebra; nalgebra's own products, in the user's code, run on matrixmultiply's threads.
//!
//! Supported value types are float scalars ([`Scalar`]: `f32` and `f64`) and owned nalgebra
//! matrices of any dimension, static or dynamic (`DMatrix`, `DVector`, `RowDVector`,
//! `SMatrix`, ...).
//!
//! # Example
//!
//! ```
//! use matgrad_runtime as rt;
//! use nalgebra::{dmatrix, dvector};
//!
//! let a = dmatrix![1.0, 2.0; 3.0, 4.0; 5.0, 6.0];
//! let x = dvector![0.5, -1.0];
//! let y = rt::mul(&a, &x); // y = A·x
//! let g = dvector![1.0, 0.0, 0.0]; // cotangent of y
//! let mut x_bar = None;
//! rt::mul_pullback_rhs(&g, &a, &x, &mut x_bar); // x̄ += Aᵀ·ḡ
//! assert_eq!(x_bar.unwrap(), dvector![1.0, 2.0]);
//! assert_eq!(y, dvector![-1.5, -2.5, -3.5]);
//! ```

mod activation_tangents;
mod activations;
mod broadcast;
mod check;
mod cholesky;
mod colpiv;
mod componentwise;
mod dense;
mod differentiable;
mod elementwise;
mod extrema;
mod factorisations;
mod families;
mod index;
mod kronecker;
mod linalg;
mod linear;
mod lower_factor;
mod lu;
mod nodes;
mod product_path;
mod products;
mod qr;
mod reductions;
mod shape;
mod small_products;
mod softmax;
mod spectral;
mod summation;
mod svd;
mod tangent_kernels;
mod tangents;
mod transposed;
mod triangular;
mod value;
mod views;
pub mod vmath;
pub mod workspace;

pub use activation_tangents::*;
pub use activations::*;
pub use broadcast::*;
pub use check::{check_gradient, compare, finite_difference, GradCheck};
pub use cholesky::*;
pub use colpiv::*;
pub use componentwise::*;
pub use differentiable::{
    clean_direction, constant_read, finish, param_slot, project_pullback, read_as_constant,
    sum_values, visit_field, zero_skipped, ConstantRead, Cotangent, Differentiable, Leaf, LeafMut,
    ZeroSkipped,
};
pub use elementwise::*;
pub use extrema::*;
pub use factorisations::*;
pub use index::*;
pub use kronecker::*;
pub use linalg::*;
pub use linear::*;
pub use lower_factor::*;
pub use lu::*;
pub use nodes::*;
pub use product_path::{
    class_path, product_path, product_paths, Orientation, ProductPath, SizeClass, LARGE_FROM,
    PATHS_FROM, SKINNY_BELOW,
};
pub use products::*;
pub use qr::*;
pub use reductions::*;
pub use softmax::*;
pub use spectral::*;
pub use svd::*;
pub use tangent_kernels::*;
pub use tangents::*;
pub use transposed::{
    mul_nt, mul_nt_pullback_lhs, mul_nt_pullback_rhs, mul_tn, mul_tn_pullback_lhs,
    mul_tn_pullback_rhs, MulNtRule, MulTnRule,
};
pub use triangular::*;
pub use value::{
    accumulate_argument, as_value, checkpoint_stride, identity, keep, map, map_reuse, merge, one,
    seed, shadow, slot, slot_of, type_witness, ArgumentCotangent, AsValue, Dense, Float, Keep,
    Kept, Scalar, ScalarOutput,
};
pub use views::*;
pub use workspace::{clone_pooled, recycle, recycle_pairs, Workspace};
