//! Compile-time reverse-mode automatic differentiation for nalgebra code.
//!
//! Annotate a scalar-valued function over nalgebra matrices, vectors and floats with
//! [`#[grad]`](grad), and beside the unchanged function you get `<name>_grad`, which returns the
//! value and the gradient with respect to every differentiated parameter, reached by the
//! parameter's name. The derivative is plain Rust generated at compile time (a forward sweep,
//! then a reverse sweep of vector-Jacobian products from [`runtime`]): no tape, no graph
//! interpreted at run time, no nightly compiler. `cargo expand` shows it.
//!
//! ```
//! use autodiff::grad;
//! use nalgebra::{dmatrix, dvector, DMatrix, DVector};
//!
//! /// ‖Ax − b‖²
//! #[grad(x)]
//! fn least_squares(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
//!     let r = a * x - b;
//!     r.norm_squared()
//! }
//!
//! let a = dmatrix![1.0, 2.0; 3.0, 4.0; 5.0, 6.0];
//! let (x, b) = (dvector![0.5, -1.0], dvector![1.0, 0.0, 2.0]);
//!
//! let (value, grad) = least_squares_grad(&a, &x, &b);
//! assert_eq!(value, least_squares(&a, &x, &b)); // the original is still there
//! let closed_form = 2.0 * a.transpose() * (&a * &x - &b); // ∇ = 2Aᵀ(Ax − b)
//! assert!((grad.x - closed_form).norm() < 1e-12);
//! ```
//!
//! # What `#[grad]` generates
//!
//! For `fn loss(w: &DMatrix<f64>, x: &DVector<f64>, n: usize) -> f64` under `#[grad]`:
//!
//! - `loss` itself, unchanged;
//! - `struct LossGrad { pub w: DMatrix<f64>, pub x: DVector<f64> }`: one field per
//!   differentiated parameter, named after it, of the parameter's type with references
//!   stripped (the struct's name is the function's in `UpperCamelCase` plus `Grad`);
//! - `fn loss_grad(w: &DMatrix<f64>, x: &DVector<f64>, n: usize) -> (f64, LossGrad)`, taking
//!   the same parameters and returning the value and the gradient.
//!
//! `#[grad]` differentiates every parameter of type `f64`, `f32`, a generic `T: RealField`, or
//! an nalgebra matrix or vector (`DMatrix`, `DVector`, `RowDVector`, `SMatrix`, ..., owned or
//! borrowed); `#[grad(x, w)]` only those named. Other parameters (`usize`, slices, your own
//! types) are constants. Generic functions get the bound `T: autodiff::Scalar` (implemented
//! for `f32` and `f64`) added to their companion.
//!
//! # What the body may contain
//!
//! `let` bindings (shadowing and reassignment allowed), `+=`, `-=`, `*=`, `/=` on a local;
//! `+` and `-` between values of one shape; `*` for scalar·scalar, scalar·matrix,
//! matrix·scalar, matrix·matrix, matrix·vector, row·column; `/` by a scalar; unary `-`;
//! parentheses and `&` borrows; indexing `m[(i, j)]` and `v[i]`; the methods `.transpose()`,
//! `.tr_mul(&b)`, `.dot(&b)`, `.component_mul(&b)`, `.norm_squared()`, `.norm()`, `.sum()`,
//! `.trace()`, `.determinant()`, `.try_inverse().unwrap()` (the inverse; it panics on a
//! singular matrix, as the `unwrap` would), `.clone()`; and on scalars `.powi(n)`, `.sqrt()`,
//! `.exp()`, `.ln()`. Any expression that does not involve a differentiated value is kept as
//! written, so float literals, shape queries (`x.nrows() as f64`), constants, helper calls on
//! data and `println!` all work. Anything else on a differentiated value is a compile error
//! that says what is supported.
//!
//! # Checking a gradient
//!
//! [`check_gradient`] compares a gradient with central finite differences; use it on your
//! own functions as the tests of this crate do:
//!
//! ```
//! use autodiff::{check_gradient, grad};
//! use nalgebra::{dmatrix, DMatrix};
//!
//! #[grad]
//! fn frobenius(x: &DMatrix<f64>, a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
//!     (x * a.transpose() - b).norm_squared()
//! }
//!
//! let x = dmatrix![1.0, 2.0; 0.5, -1.0; 3.0, 0.0];
//! let a = dmatrix![0.3, -0.2; 1.0, 0.5];
//! let b = dmatrix![1.0, 1.0; 0.0, 2.0; -1.0, 0.5];
//! let (_, grad) = frobenius_grad(&x, &a, &b);
//! let report = check_gradient(|x| frobenius(x, &a, &b), &x, &grad.x);
//! assert!(report.rel_error < 1e-8, "{report}");
//! ```

extern crate self as autodiff;

mod activations;

pub use activations::{abs, relu, sigmoid, softplus, tanh};
pub use autodiff_macros::{grad, vjp};
pub use autodiff_runtime as runtime;
pub use autodiff_runtime::Broadcast;
pub use autodiff_runtime::{check_gradient, finite_difference, Differentiable, GradCheck, Scalar};

/// Items used by the code `#[grad]` generates. Not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use autodiff_runtime::*;
}
