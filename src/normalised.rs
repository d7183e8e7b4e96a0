//! The log-sum-exp, softmax and log-softmax for `#[grad]` code, over a whole vector (or every
//! entry of a matrix), or by rows (`_rows`: each row normalised, JAX's `axis=1`) or by columns
//! (`_columns`, `axis=0`) of a matrix; each from its lane's largest entry, so exact and finite
//! at logits of ±1 000, with its derivative rule (attached with [`vjp`](crate::vjp)) and its
//! tangent rule (attached with [`jvp`](crate::jvp), for forward mode and second order).
//!
//! ```
//! use matgrad::{log_softmax, logsumexp, softmax};
//! use nalgebra::dvector;
//!
//! let x = dvector![1000.0, -1000.0, 0.0];
//! assert_eq!(logsumexp(&x), 1000.0);
//! assert_eq!(softmax(&x), dvector![1.0, 0.0, 0.0]);
//! assert_eq!(log_softmax(&x), dvector![0.0, -2000.0, -1000.0]);
//! ```

use crate::{jvp, vjp};
use crate::{Dense, Scalar};
use matgrad_runtime::{self as runtime, Lanes};
use nalgebra::{allocator::Allocator, DefaultAllocator, Dim, OMatrix, OVector, U1};

/// `ln Σₖ e^{xₖ}` over every entry of `x`.
#[vjp(logsumexp_rule)]
#[jvp(logsumexp_tangent)]
pub fn logsumexp<V: Dense>(x: &V) -> V::Scalar {
    runtime::logsumexp(x)
}

/// `x̄ = ḡ·softmax(x)`.
pub fn logsumexp_rule<V: Dense>(x: &V, y: &V::Scalar, g: &V::Scalar) -> V {
    runtime::logsumexp_pullback(g, x, y)
}

/// `ẏ = ⟨softmax(x), ẋ⟩`: the tangent of [`logsumexp`].
#[doc(hidden)]
#[vjp(logsumexp_tangent_rule)]
pub fn logsumexp_tangent<V: Dense>(x: &V, dx: &V) -> V::Scalar {
    runtime::logsumexp_tangent(x, dx)
}

/// `(x̄, ẋ̄) = (ḡ · p ⊙ (ẋ − ⟨p, ẋ⟩), ḡ·p)` for `p = softmax(x)`.
#[doc(hidden)]
pub fn logsumexp_tangent_rule<V: Dense>(x: &V, dx: &V, _y: &V::Scalar, g: &V::Scalar) -> (V, V) {
    runtime::logsumexp_tangent_pullback(g, x, dx)
}

/// `e^{xₖ} / Σⱼ e^{xⱼ}` over every entry of `x`.
#[vjp(softmax_rule)]
#[jvp(softmax_tangent)]
pub fn softmax<V: Dense>(x: &V) -> V {
    runtime::softmax_over(x, Lanes::All)
}

/// `x̄ = y ⊙ (ḡ − ⟨ḡ, y⟩)`.
pub fn softmax_rule<V: Dense>(_x: &V, y: &V, g: &V) -> V {
    runtime::softmax_over_pullback(g, y, Lanes::All)
}

/// `ẏ = p ⊙ (ẋ − ⟨p, ẋ⟩)` for `p = softmax(x)`: the tangent of [`softmax`].
#[doc(hidden)]
#[vjp(softmax_tangent_rule)]
pub fn softmax_tangent<V: Dense>(x: &V, dx: &V) -> V {
    runtime::softmax_tangent_over(x, dx, Lanes::All)
}

/// `(x̄, ẋ̄) = (J_pᵀ(ḡ ⊙ (ẋ − ⟨p, ẋ⟩) − ⟨ḡ, p⟩·ẋ), p ⊙ (ḡ − ⟨p, ḡ⟩))` for `p = softmax(x)`.
#[doc(hidden)]
pub fn softmax_tangent_rule<V: Dense>(x: &V, dx: &V, _y: &V, g: &V) -> (V, V) {
    runtime::softmax_tangent_over_pullback(g, x, dx, Lanes::All)
}

/// `xₖ − ln Σⱼ e^{xⱼ}` over every entry of `x`.
#[vjp(log_softmax_rule)]
#[jvp(log_softmax_tangent)]
pub fn log_softmax<V: Dense>(x: &V) -> V {
    runtime::log_softmax_over(x, Lanes::All)
}

/// `x̄ = ḡ − e^y·Σḡ`.
pub fn log_softmax_rule<V: Dense>(_x: &V, y: &V, g: &V) -> V {
    runtime::log_softmax_over_pullback(g, y, Lanes::All)
}

/// `ẏ = ẋ − ⟨p, ẋ⟩` for `p = softmax(x)`: the tangent of [`log_softmax`].
#[doc(hidden)]
#[vjp(log_softmax_tangent_rule)]
pub fn log_softmax_tangent<V: Dense>(x: &V, dx: &V) -> V {
    runtime::log_softmax_tangent_over(x, dx, Lanes::All)
}

/// `(x̄, ẋ̄) = (−Σḡ · p ⊙ (ẋ − ⟨p, ẋ⟩), ḡ − p·Σḡ)` for `p = softmax(x)`.
#[doc(hidden)]
pub fn log_softmax_tangent_rule<V: Dense>(x: &V, dx: &V, _y: &V, g: &V) -> (V, V) {
    runtime::log_softmax_tangent_over_pullback(g, x, dx, Lanes::All)
}

/// `ln Σⱼ e^{xᵢⱼ}` of each row `i`, as a column.
#[vjp(logsumexp_rows_rule)]
#[jvp(logsumexp_rows_tangent)]
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

/// `ẏᵢ = ⟨softmax(xᵢ·), ẋᵢ·⟩` for each row `i`: the tangent of [`logsumexp_rows`].
#[doc(hidden)]
#[vjp(logsumexp_rows_tangent_rule)]
pub fn logsumexp_rows_tangent<T: Scalar, R: Dim, C: Dim>(
    x: &OMatrix<T, R, C>,
    dx: &OMatrix<T, R, C>,
) -> OVector<T, R>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R>,
{
    runtime::logsumexp_rows_tangent(x, dx)
}

/// `(x̄ᵢ·, ẋ̄ᵢ·) = (ḡᵢ · pᵢ ⊙ (ẋᵢ· − ⟨pᵢ, ẋᵢ·⟩), ḡᵢ·pᵢ)` for `pᵢ = softmax(xᵢ·)`.
#[doc(hidden)]
pub fn logsumexp_rows_tangent_rule<T: Scalar, R: Dim, C: Dim>(
    x: &OMatrix<T, R, C>,
    dx: &OMatrix<T, R, C>,
    _y: &OVector<T, R>,
    g: &OVector<T, R>,
) -> (OMatrix<T, R, C>, OMatrix<T, R, C>)
where
    DefaultAllocator: Allocator<R, C> + Allocator<R>,
{
    runtime::logsumexp_rows_tangent_pullback(g, x, dx)
}

/// `ln Σᵢ e^{xᵢⱼ}` of each column `j`, as a row.
#[vjp(logsumexp_columns_rule)]
#[jvp(logsumexp_columns_tangent)]
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

/// `ẏⱼ = ⟨softmax(x·ⱼ), ẋ·ⱼ⟩` for each column `j`: the tangent of [`logsumexp_columns`].
#[doc(hidden)]
#[vjp(logsumexp_columns_tangent_rule)]
pub fn logsumexp_columns_tangent<T: Scalar, R: Dim, C: Dim>(
    x: &OMatrix<T, R, C>,
    dx: &OMatrix<T, R, C>,
) -> OMatrix<T, U1, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<U1, C>,
{
    runtime::logsumexp_columns_tangent(x, dx)
}

/// `(x̄·ⱼ, ẋ̄·ⱼ) = (ḡⱼ · pⱼ ⊙ (ẋ·ⱼ − ⟨pⱼ, ẋ·ⱼ⟩), ḡⱼ·pⱼ)` for `pⱼ = softmax(x·ⱼ)`.
#[doc(hidden)]
pub fn logsumexp_columns_tangent_rule<T: Scalar, R: Dim, C: Dim>(
    x: &OMatrix<T, R, C>,
    dx: &OMatrix<T, R, C>,
    _y: &OMatrix<T, U1, C>,
    g: &OMatrix<T, U1, C>,
) -> (OMatrix<T, R, C>, OMatrix<T, R, C>)
where
    DefaultAllocator: Allocator<R, C> + Allocator<U1, C>,
{
    runtime::logsumexp_columns_tangent_pullback(g, x, dx)
}

/// One softmax-like function normalised over `$lanes`, with its rule, its tangent (from the
/// runtime's `$tangent_kernel`) and the tangent's rule (from `$tangent_pullback`).
macro_rules! normalised {
    ($(
        $(#[$doc:meta])* $f:ident, $rule:ident => $forward:ident, $pullback:ident, $lanes:expr;
        $(#[$tangent_doc:meta])* $tangent:ident => $tangent_kernel:ident;
        $(#[$tangent_rule_doc:meta])* $tangent_rule:ident => $tangent_pullback:ident;
    )*) => {$(
        $(#[$doc])*
        #[vjp($rule)]
        #[jvp($tangent)]
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

        $(#[$tangent_doc])*
        #[doc(hidden)]
        #[vjp($tangent_rule)]
        pub fn $tangent<T: Scalar, R: Dim, C: Dim>(
            x: &OMatrix<T, R, C>,
            dx: &OMatrix<T, R, C>,
        ) -> OMatrix<T, R, C>
        where
            DefaultAllocator: Allocator<R, C>,
        {
            runtime::$tangent_kernel(x, dx, $lanes)
        }

        $(#[$tangent_rule_doc])*
        #[doc(hidden)]
        pub fn $tangent_rule<T: Scalar, R: Dim, C: Dim>(
            x: &OMatrix<T, R, C>,
            dx: &OMatrix<T, R, C>,
            _y: &OMatrix<T, R, C>,
            g: &OMatrix<T, R, C>,
        ) -> (OMatrix<T, R, C>, OMatrix<T, R, C>)
        where
            DefaultAllocator: Allocator<R, C>,
        {
            runtime::$tangent_pullback(g, x, dx, $lanes)
        }
    )*};
}

normalised! {
    /// The softmax of each row (each row sums to one).
    softmax_rows, softmax_rows_rule => softmax_over, softmax_over_pullback, Lanes::Rows;
    /// `ẏᵢ· = pᵢ ⊙ (ẋᵢ· − ⟨pᵢ, ẋᵢ·⟩)` for each row `pᵢ = softmax(xᵢ·)`.
    softmax_rows_tangent => softmax_tangent_over;
    /// `(x̄, ẋ̄) = (J_pᵀ(ḡ ⊙ (ẋ − ⟨p, ẋ⟩) − ⟨ḡ, p⟩·ẋ), p ⊙ (ḡ − ⟨p, ḡ⟩))` in each row.
    softmax_rows_tangent_rule => softmax_tangent_over_pullback;

    /// The softmax of each column (each column sums to one).
    softmax_columns, softmax_columns_rule => softmax_over, softmax_over_pullback, Lanes::Columns;
    /// `ẏ·ⱼ = pⱼ ⊙ (ẋ·ⱼ − ⟨pⱼ, ẋ·ⱼ⟩)` for each column `pⱼ = softmax(x·ⱼ)`.
    softmax_columns_tangent => softmax_tangent_over;
    /// `(x̄, ẋ̄) = (J_pᵀ(ḡ ⊙ (ẋ − ⟨p, ẋ⟩) − ⟨ḡ, p⟩·ẋ), p ⊙ (ḡ − ⟨p, ḡ⟩))` in each column.
    softmax_columns_tangent_rule => softmax_tangent_over_pullback;

    /// The log-softmax of each row.
    log_softmax_rows, log_softmax_rows_rule => log_softmax_over, log_softmax_over_pullback, Lanes::Rows;
    /// `ẏᵢ· = ẋᵢ· − ⟨pᵢ, ẋᵢ·⟩` for each row `pᵢ = softmax(xᵢ·)`.
    log_softmax_rows_tangent => log_softmax_tangent_over;
    /// `(x̄, ẋ̄) = (−Σḡ · p ⊙ (ẋ − ⟨p, ẋ⟩), ḡ − p·Σḡ)` in each row.
    log_softmax_rows_tangent_rule => log_softmax_tangent_over_pullback;

    /// The log-softmax of each column.
    log_softmax_columns, log_softmax_columns_rule => log_softmax_over, log_softmax_over_pullback, Lanes::Columns;
    /// `ẏ·ⱼ = ẋ·ⱼ − ⟨pⱼ, ẋ·ⱼ⟩` for each column `pⱼ = softmax(x·ⱼ)`.
    log_softmax_columns_tangent => log_softmax_tangent_over;
    /// `(x̄, ẋ̄) = (−Σḡ · p ⊙ (ẋ − ⟨p, ẋ⟩), ḡ − p·Σḡ)` in each column.
    log_softmax_columns_tangent_rule => log_softmax_tangent_over_pullback;
}
