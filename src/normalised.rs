//! The log-sum-exp, softmax and log-softmax for `#[grad]` code, over a whole vector (or every
//! entry of a matrix), or by rows (`_rows`: each row normalised, JAX's `axis=1`) or by columns
//! (`_columns`, `axis=0`) of a matrix; each from its lane's largest entry, so exact and finite
//! at logits of ±1 000, with its derivative rule (attached with [`vjp`](crate::vjp)).
//!
//! ```
//! use autodiff::{log_softmax, logsumexp, softmax};
//! use nalgebra::dvector;
//!
//! let x = dvector![1000.0, -1000.0, 0.0];
//! assert_eq!(logsumexp(&x), 1000.0);
//! assert_eq!(softmax(&x), dvector![1.0, 0.0, 0.0]);
//! assert_eq!(log_softmax(&x), dvector![0.0, -2000.0, -1000.0]);
//! ```

use crate::vjp;
use crate::{Differentiable, Scalar};
use autodiff_runtime::{self as runtime, Lanes};
use nalgebra::{allocator::Allocator, DefaultAllocator, Dim, OMatrix, OVector, U1};

/// `ln Σₖ e^{xₖ}` over every entry of `x`.
#[vjp(logsumexp_rule)]
pub fn logsumexp<V: Differentiable>(x: &V) -> V::Elem {
    runtime::logsumexp(x)
}

/// `x̄ = ḡ·softmax(x)`.
pub fn logsumexp_rule<V: Differentiable>(x: &V, y: &V::Elem, g: &V::Elem) -> V {
    runtime::logsumexp_pullback(g, x, y)
}

/// `e^{xₖ} / Σⱼ e^{xⱼ}` over every entry of `x`.
#[vjp(softmax_rule)]
pub fn softmax<V: Differentiable>(x: &V) -> V {
    runtime::softmax_over(x, Lanes::All)
}

/// `x̄ = y ⊙ (ḡ − ⟨ḡ, y⟩)`.
pub fn softmax_rule<V: Differentiable>(_x: &V, y: &V, g: &V) -> V {
    runtime::softmax_over_pullback(g, y, Lanes::All)
}

/// `xₖ − ln Σⱼ e^{xⱼ}` over every entry of `x`.
#[vjp(log_softmax_rule)]
pub fn log_softmax<V: Differentiable>(x: &V) -> V {
    runtime::log_softmax_over(x, Lanes::All)
}

/// `x̄ = ḡ − e^y·Σḡ`.
pub fn log_softmax_rule<V: Differentiable>(_x: &V, y: &V, g: &V) -> V {
    runtime::log_softmax_over_pullback(g, y, Lanes::All)
}

/// `ln Σⱼ e^{xᵢⱼ}` of each row `i`, as a column.
#[vjp(logsumexp_rows_rule)]
pub fn logsumexp_rows<T: Scalar, R: Dim, C: Dim>(x: &OMatrix<T, R, C>) -> OVector<T, R>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R>,
{
    runtime::logsumexp_rows(x)
}

/// `x̄ᵢⱼ = ḡᵢ·softmax(xᵢ·)ⱼ`.
pub fn logsumexp_rows_rule<T: Scalar, R: Dim, C: Dim>(
    x: &OMatrix<T, R, C>,
    y: &OVector<T, R>,
    g: &OVector<T, R>,
) -> OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R>,
{
    runtime::logsumexp_rows_pullback(g, x, y)
}

/// `ln Σᵢ e^{xᵢⱼ}` of each column `j`, as a row.
#[vjp(logsumexp_columns_rule)]
pub fn logsumexp_columns<T: Scalar, R: Dim, C: Dim>(x: &OMatrix<T, R, C>) -> OMatrix<T, U1, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<U1, C>,
{
    runtime::logsumexp_columns(x)
}

/// `x̄ᵢⱼ = ḡⱼ·softmax(x·ⱼ)ᵢ`.
pub fn logsumexp_columns_rule<T: Scalar, R: Dim, C: Dim>(
    x: &OMatrix<T, R, C>,
    y: &OMatrix<T, U1, C>,
    g: &OMatrix<T, U1, C>,
) -> OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<U1, C>,
{
    runtime::logsumexp_columns_pullback(g, x, y)
}

/// One softmax-like function normalised over `$lanes`, with its rule.
macro_rules! normalised {
    ($( $(#[$doc:meta])* $f:ident, $rule:ident => $forward:ident, $pullback:ident, $lanes:expr; )*) => {$(
        $(#[$doc])*
        #[vjp($rule)]
        pub fn $f<T: Scalar, R: Dim, C: Dim>(x: &OMatrix<T, R, C>) -> OMatrix<T, R, C>
        where
            DefaultAllocator: Allocator<R, C>,
        {
            runtime::$forward(x, $lanes)
        }

        /// Its rule: the lanes' pullbacks.
        pub fn $rule<T: Scalar, R: Dim, C: Dim>(
            _x: &OMatrix<T, R, C>,
            y: &OMatrix<T, R, C>,
            g: &OMatrix<T, R, C>,
        ) -> OMatrix<T, R, C>
        where
            DefaultAllocator: Allocator<R, C>,
        {
            runtime::$pullback(g, y, $lanes)
        }
    )*};
}

normalised! {
    /// The softmax of each row (each row sums to one).
    softmax_rows, softmax_rows_rule => softmax_over, softmax_over_pullback, Lanes::Rows;
    /// The softmax of each column (each column sums to one).
    softmax_columns, softmax_columns_rule => softmax_over, softmax_over_pullback, Lanes::Columns;
    /// The log-softmax of each row.
    log_softmax_rows, log_softmax_rows_rule => log_softmax_over, log_softmax_over_pullback, Lanes::Rows;
    /// The log-softmax of each column.
    log_softmax_columns, log_softmax_columns_rule => log_softmax_over, log_softmax_over_pullback, Lanes::Columns;
}
