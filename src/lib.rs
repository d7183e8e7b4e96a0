//! Compile-time reverse-mode automatic differentiation for nalgebra code.
//!
//! Annotate a scalar-valued function over nalgebra matrices, vectors and floats with
//! [`#[grad]`](grad), and beside the unchanged function you get `<name>_grad`, which returns the
//! value and the gradient with respect to every differentiated parameter, reached by the
//! parameter's name. The derivative is plain Rust generated at compile time (a forward sweep,
//! then a reverse sweep of vector-Jacobian products from `matgrad-runtime`): no tape, no graph
//! interpreted at run time, no nightly compiler. `cargo expand` shows it.
//!
//! ```
//! use matgrad::grad;
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
//! - `fn loss_grad(w, x, n) -> (f64, LossGrad)`: the value and the gradient, for functions
//!   that return a float;
//! - `fn loss_pullback(w, x, n) -> (f64, impl Fn(&f64) -> LossGrad)`: the value and its
//!   pullback, for every function, including matrix-valued ones: the pullback maps a
//!   cotangent of the value (∂l/∂y) to the cotangents of the parameters (∂l/∂x), and can be
//!   called any number of times without running the function again;
//! - `const LOSS_GRAPH: &str`: the computation graph in Graphviz DOT (parameters, values named
//!   as in the source with their operations, the output; loops and branches as clusters);
//! - a hidden `struct loss {}` whose `loss::vjp` lets other `#[grad]` functions call `loss`.
//!
//! `#[grad]` differentiates every parameter of type `f64`, `f32`, a generic `T: RealField`, or
//! an nalgebra matrix or vector (`DMatrix`, `DVector`, `RowDVector`, `SMatrix`, ..., owned or
//! borrowed); `#[grad(x, w)]` only those named. Other parameters (`usize`, slices, your own
//! types) are constants. Generic functions get the bound `T: matgrad::Scalar` (implemented
//! for `f32` and `f64`) added to their companions.
//!
//! ```
//! use matgrad::{grad, Broadcast};
//! use nalgebra::{dmatrix, DMatrix, RowDVector};
//!
//! /// Centre each column and scale it: a matrix-valued function.
//! #[grad(x, gamma)]
//! fn scale_columns(x: &DMatrix<f64>, gamma: &RowDVector<f64>) -> DMatrix<f64> {
//!     let centred = x.broadcast_sub(&x.row_mean());
//!     centred.broadcast_mul(gamma)
//! }
//!
//! let x = dmatrix![1.0, 2.0; 3.0, 5.0; 4.0, 9.0];
//! let gamma = RowDVector::from_row_slice(&[2.0, 0.5]);
//! let (y, pullback) = scale_columns_pullback(&x, &gamma);
//! let g1 = pullback(&DMatrix::from_element(3, 2, 1.0)); // ∂(Σ y)/∂x, ∂(Σ y)/∂γ
//! let g2 = pullback(&y); // ∂(½‖y‖²)/∂x, ... without running the forward pass again
//! assert!(g1.x.norm() < 1e-12); // centring removes a constant shift
//! // ∂(½‖y‖²)/∂γⱼ = γⱼ·Σᵢ cᵢⱼ² with c the centred x
//! let c = x.broadcast_sub(&x.row_mean());
//! assert!((g2.gamma[0] - gamma[0] * c.column(0).norm_squared()).abs() < 1e-12);
//! ```
//!
//! # What the body may contain
//!
//! - `let` bindings (shadowing allowed), assignment and `+=`, `-=`, `*=`, `/=` to a local;
//! - `+` and `-` between values of one shape; `*` for scalar·scalar, scalar·matrix,
//!   matrix·scalar, matrix·matrix, matrix·vector, row·column; `/` by a scalar; unary `-`;
//!   parentheses and `&` borrows; indexing `m[(i, j)]` and `v[i]`; `.column(j)`, `.row(i)`;
//! - the methods `.transpose()`, `.tr_mul(&b)`, `.dot(&b)`, `.component_mul(&b)`,
//!   `.component_div(&b)`, `.norm_squared()`, `.norm()`, `.sum()`, `.mean()`, `.variance()`,
//!   `.row_sum()`, `.column_sum()`, `.row_mean()`, `.column_mean()`, `.row_variance()`,
//!   `.column_variance()` (each with nalgebra's meaning), `.trace()`, `.determinant()`,
//!   `.try_inverse().unwrap()` (the inverse; it panics on a singular matrix, as the `unwrap`
//!   would), `.max()`, `.min()`, `.amax()`, `.amin()`, `.scale(a)`, `.add_scalar(a)`,
//!   `.clone()`; on floats `a.max(b)`, `a.min(b)`, `.powi(n)`, `.powf(p)`,
//!   `.sqrt()`, `.exp()`, `.exp_m1()`, `.ln()`, `.ln_1p()`, `.log2()`, `.log10()`,
//!   `.recip()`, `.cbrt()`, `.hypot(b)`, `.tanh()`, `.abs()`, `.sin()`, `.cos()`, `.sinh()`,
//!   `.cosh()`, `.atan()` (every operation, with its derivative: [`catalogue`]);
//! - broadcasting with the [`Broadcast`] methods `broadcast_add`, `broadcast_sub`,
//!   `broadcast_mul`, `broadcast_div` (a 1×d row applied to every row, an m×1 column to
//!   every column; nalgebra has no implicit broadcasting);
//! - element-wise functions: `.map(|v| ...)` with a closure built from the float operations
//!   above (it may read non-differentiated values, such as `eps`), `.map(f64::tanh)`, and the
//!   activations [`sigmoid`], [`tanh`], [`relu`], [`softplus`], [`abs`] (floats and matrices,
//!   with stable derivatives);
//! - `for` loops over any range or iterator that does not depend on a differentiated value
//!   (`0..n`, `(0..n).rev()`, `xs.iter()`, nested loops), with variables declared before the
//!   loop and reassigned inside; the reverse sweep replays the iterations backwards from a tape
//!   of what each iteration saved (memory grows with the number of iterations, never the stack);
//! - `if`/`else` (as a statement or a value; `if` without `else` as a statement), whose
//!   condition may read differentiated values: the derivative is the taken branch's;
//! - calls to other `#[grad]` functions (by path, generic or not), and to functions with a
//!   hand-written rule ([`vjp`]).
//!
//! Any expression that does not involve a differentiated value is kept as written, so float
//! literals, shape queries (`x.nrows() as f64`), constants, helper calls on data and
//! `println!` all work. Anything else on a differentiated value is a compile error spanned on
//! it that says what to write instead (`while` loops, `break`, closures over differentiated
//! values, in-place mutation, calls to functions without a rule).
//!
//! ```
//! use matgrad::{grad, tanh};
//! use nalgebra::{DMatrix, DVector};
//!
//! /// A recurrent network: hₜ = W·tanh(hₜ₋₁) + xₜ, loss Σₜ ‖hₜ‖².
//! #[grad(w)]
//! fn rnn(w: &DMatrix<f64>, h0: &DVector<f64>, xs: &[DVector<f64>]) -> f64 {
//!     let mut h = h0.clone();
//!     let mut loss = 0.0;
//!     for x in xs.iter() {
//!         h = w * tanh(&h) + x;
//!         loss += h.norm_squared();
//!     }
//!     loss
//! }
//!
//! let w = DMatrix::from_fn(3, 3, |i, j| 0.1 * (i as f64 - j as f64));
//! let h0 = DVector::from_element(3, 0.5);
//! let xs = vec![DVector::from_element(3, 0.1); 4];
//! let (_, grad) = rnn_grad(&w, &h0, &xs);
//! let check = matgrad::check_gradient(|w| rnn(w, &h0, &xs), &w, &grad.w);
//! assert!(check.rel_error < 1e-7, "{check}");
//! ```
//!
//! # Your own derivative rules
//!
//! [`vjp`] attaches a hand-written derivative to a function, for bodies the macro cannot
//! differentiate (an external routine, an iterative solver) or a stabler formula. The rule
//! receives every argument by reference, then the value, then the value's cotangent ḡ, and
//! returns the cotangent of each float or matrix parameter (a tuple when there are several):
//!
//! ```
//! use matgrad::{grad, vjp};
//!
//! /// ln(1 + eˣ), computed without overflow.
//! #[vjp(log1p_exp_rule)]
//! fn log1p_exp(x: f64) -> f64 {
//!     x.max(0.0) + (-x.abs()).exp().ln_1p()
//! }
//!
//! /// x̄ = ḡ·σ(x).
//! fn log1p_exp_rule(x: &f64, _y: &f64, g: &f64) -> f64 {
//!     g * matgrad::sigmoid(x)
//! }
//!
//! #[grad]
//! fn loss(x: f64) -> f64 {
//!     log1p_exp(x * 2.0)
//! }
//!
//! let (value, grad) = loss_grad(800.0);
//! assert_eq!(value, 1600.0);
//! assert_eq!(grad.x, 2.0);
//! ```
//!
//! # Forward mode and second order
//!
//! With `forward` among its arguments (`#[grad(x, forward)]`), `#[grad]` also generates
//! `<name>_jvp(args.., x_dot: &X, ..) -> (value, J·v)`, `<name>_hvp(args.., x_dot, ..) ->
//! (value, Grad, Grad)` (the gradient and H·v, one forward and one reverse sweep),
//! `<name>_hessian(args) -> (value, Grad, DMatrix)` and `<name>_jacobian(args) -> (value,
//! DMatrix)` (rows and columns of differentiated entries stacked in parameter order, each
//! parameter column-major). They come from the body's tangent program, built by each
//! operation's tangent rule (the catalogue's last column); HVPs are that program's reverse
//! sweep. A function with a hand-written [`vjp`] rule gets forward mode with [`jvp`] after
//! it.
//!
//! ```
//! use matgrad::grad;
//! use nalgebra::{dmatrix, dvector, DMatrix, DVector};
//!
//! #[grad(x, forward)]
//! fn cubic(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
//!     let r = a * x;
//!     r.norm_squared() * x.sum()
//! }
//!
//! let a = dmatrix![1.0, 2.0; 0.5, -1.0; 2.0, 0.0];
//! let (x, v) = (dvector![0.3, -0.7], dvector![1.0, 0.5]);
//! let (_, g, hv) = cubic_hvp(&a, &x, &v);
//! let (_, _, h) = cubic_hessian(&a, &x);
//! assert!((&h * &v - &hv.x).norm() < 1e-12);
//! assert!((cubic_jvp(&a, &x, &v).1 - g.x.dot(&v)).abs() < 1e-12);
//! ```
//!
//! # Checking a gradient
//!
//! [`check_gradient`] compares a gradient with central finite differences; use it on your
//! own functions as the tests of this crate do:
//!
//! ```
//! use matgrad::{check_gradient, grad};
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

extern crate self as matgrad;

mod activations;
mod normalised;
pub mod optim;

pub use activations::{abs, relu, sigmoid, softplus, tanh};
#[doc = include_str!("../docs/attributes/grad.md")]
#[doc(inline)]
pub use matgrad_macros::grad;
#[doc = include_str!("../docs/attributes/jvp.md")]
#[doc(inline)]
pub use matgrad_macros::jvp;
#[doc = include_str!("../docs/attributes/vjp.md")]
#[doc(inline)]
pub use matgrad_macros::vjp;
pub use normalised::{
    log_softmax, log_softmax_columns, log_softmax_rows, logsumexp, logsumexp_columns,
    logsumexp_rows, softmax, softmax_columns, softmax_rows,
};

/// Imports every runtime item the registry names (tests/registry.rs). Not for users.
#[doc(hidden)]
pub use matgrad_macros::__registry_kernels;

/// The operations `#[grad]` differentiates, generated from its registry.
#[doc = include_str!("../docs/catalogue.md")]
pub mod catalogue {}

pub use matgrad_runtime::{
    check_gradient, compare, finite_difference, Broadcast, Dense, Differentiable, GradCheck, Leaf,
    LeafMut, Scalar,
};

/// ```
/// use matgrad::{grad, Workspace};
/// use nalgebra::{DMatrix, DVector};
///
/// #[grad(x, workspace)]
/// fn loss(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
///     let r = a * x - b;
///     r.norm_squared()
/// }
///
/// let a = DMatrix::from_fn(4, 3, |i, j| (i + 2 * j) as f64);
/// let b = DVector::from_element(4, 1.0);
/// let mut x = DVector::zeros(3);
/// let mut ws = Workspace::new();
/// for _ in 0..100 {
///     let (_, g) = loss_grad_with(&mut ws, &a, &x, &b); // no allocation once warm
///     x.axpy(-0.002, &g.x, 1.0);
/// }
/// ```
pub use matgrad_runtime::Workspace;

#[doc = include_str!("../docs/attributes/differentiable.md")]
#[doc(inline)]
pub use matgrad_macros::Differentiable;

/// The traits of the kernels' bounds, which the compiler's errors about generated code name:
/// here so that they print by their short names. Not for users.
#[doc(hidden)]
pub use matgrad_runtime::{
    ArgumentCotangent, AsValue, Float, Keep, MatrixIndex, MulNtRule, MulRule, MulTnRule,
    ScalarOutput,
};

/// The runtime's kernels and helpers, the one path by which the code `#[grad]` generates
/// reaches them. Not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use matgrad_runtime::*;
}

/// The README's Rust examples, compiled and run as doc tests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeExamples;
