//! Broadcasting, which nalgebra does not have: a `1×n` row applied to every row of an `m×n`
//! matrix, or an `m×1` column applied to every column, with `+`, `-`, `⊙` and `⊘`.
//!
//! Users call the methods of [`Broadcast`] in their primal code (`x.broadcast_sub(&mu)`);
//! `#[grad]` lowers them to the free functions [`broadcast_add`], [`broadcast_sub`],
//! [`broadcast_mul`] and [`broadcast_div`] and their pullbacks. The pullback with respect to
//! the broadcast operand sums the contributions of every row (or column) it was applied to.

mod columns;

use crate::shape;
use crate::value::{Dense, Scalar};
#[allow(unused_imports)]
use crate::Differentiable as _;
use columns::{pass_lhs_reuse_g, pull_lhs, pull_lhs_reuse_g, pull_rhs, zip, zip_reuse_lhs};
use nalgebra::{allocator::Allocator, Const, DefaultAllocator, Dim, Dyn, OMatrix, OVector, U1};

/// Element-wise `+`, `-`, `⊙`, `⊘` of a matrix with a row or a column vector broadcast over it.
///
/// With `Rhs` a row vector (`1×n`, such as `RowDVector<T>`), the row is applied to every row
/// of the `m×n` matrix: `yᵢⱼ = xᵢⱼ ∘ rⱼ`. With `Rhs` a column vector (`m×1`, such as
/// `DVector<T>`), the column is applied to every column: `yᵢⱼ = xᵢⱼ ∘ rᵢ`. The result has the
/// matrix's shape and type.
///
/// Implemented for every owned nalgebra matrix with a row vector, and with a column vector
/// when at least one of the matrix's dimensions is dynamic (so for `DMatrix<T>` with both
/// `RowDVector<T>` and `DVector<T>`). `#[grad]` differentiates these methods with respect to
/// both operands.
///
/// # Panics
/// If the vector's length does not match the matrix: a row needs as many columns as the
/// matrix, a column as many rows. The message names the operation and both shapes.
///
/// # Example
///
/// Standardising the columns of a data matrix (one sample per row):
///
/// ```
/// use matgrad_runtime::Broadcast;
/// use nalgebra::{dmatrix, dvector, RowDVector};
///
/// let x = dmatrix![1.0, 10.0;
///                  3.0, 30.0];
/// let mu: RowDVector<f64> = x.row_mean(); // [2, 20], the mean of each column
/// let sd = x.row_variance().map(f64::sqrt); // [1, 10]
/// let z = x.broadcast_sub(&mu).broadcast_div(&sd);
/// assert_eq!(z, dmatrix![-1.0, -1.0;
///                         1.0,  1.0]);
///
/// // A column applies to every column instead: here it scales each row.
/// let w = dvector![2.0, 0.5];
/// assert_eq!(x.broadcast_mul(&w), dmatrix![2.0, 20.0;
///                                          1.5, 15.0]);
/// ```
pub trait Broadcast<Rhs>: Dense
where
    Rhs: Dense<Scalar = Self::Scalar>,
{
    /// `self + rhs`, with `rhs` applied to every row (a row vector) or column (a column vector).
    ///
    /// # Panics
    /// If the shapes do not fit.
    #[track_caller]
    fn broadcast_add(&self, rhs: &Rhs) -> Self {
        broadcast_add(self, rhs)
    }

    /// `self - rhs`, with `rhs` applied to every row (a row vector) or column (a column vector).
    ///
    /// # Panics
    /// If the shapes do not fit.
    #[track_caller]
    fn broadcast_sub(&self, rhs: &Rhs) -> Self {
        broadcast_sub(self, rhs)
    }

    /// `self ⊙ rhs` (entry by entry), with `rhs` applied to every row (a row vector) or column
    /// (a column vector).
    ///
    /// # Panics
    /// If the shapes do not fit.
    #[track_caller]
    fn broadcast_mul(&self, rhs: &Rhs) -> Self {
        broadcast_mul(self, rhs)
    }

    /// `self ⊘ rhs` (entry by entry), with `rhs` applied to every row (a row vector) or column
    /// (a column vector).
    ///
    /// # Panics
    /// If the shapes do not fit.
    #[track_caller]
    fn broadcast_div(&self, rhs: &Rhs) -> Self {
        broadcast_div(self, rhs)
    }

    /// Panics, naming `op` and both shapes, unless `rhs` can be broadcast over `self`.
    #[doc(hidden)]
    #[track_caller]
    fn broadcast_check(&self, rhs: &Rhs, op: &str);

    /// Whether the operand is a row applied to every row (its entry `j` meets column `j`),
    /// rather than a column applied to every column (its entry `i` meets row `i`).
    #[doc(hidden)]
    fn broadcast_rows(&self) -> bool;
}

/// A row applied to every row: `yᵢⱼ = xᵢⱼ ∘ rⱼ`.
impl<T: Scalar, R: Dim, C: Dim> Broadcast<OMatrix<T, U1, C>> for OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<U1, C>,
{
    #[inline]
    #[track_caller]
    fn broadcast_check(&self, rhs: &OMatrix<T, U1, C>, op: &str) {
        shape::broadcastable(op, "row", self.shape(), rhs.shape())
    }
    #[inline]
    fn broadcast_rows(&self) -> bool {
        true
    }
}

/// A column applied to every column, `yᵢⱼ = xᵢⱼ ∘ rᵢ`, for matrices with a dynamic number of
/// columns (`DMatrix`, `OMatrix<T, U3, Dyn>`, ...).
impl<T: Scalar, R: Dim> Broadcast<OVector<T, R>> for OMatrix<T, R, Dyn>
where
    DefaultAllocator: Allocator<R, Dyn> + Allocator<R>,
{
    #[inline]
    #[track_caller]
    fn broadcast_check(&self, rhs: &OVector<T, R>, op: &str) {
        shape::broadcastable(op, "column", self.shape(), rhs.shape())
    }
    #[inline]
    fn broadcast_rows(&self) -> bool {
        false
    }
}

/// A column applied to every column, `yᵢⱼ = xᵢⱼ ∘ rᵢ`, for matrices with a dynamic number of
/// rows and a static number of columns (`OMatrix<T, Dyn, U3>`, ...).
///
/// (A matrix with both dimensions static has no column broadcast: with one row and one column
/// its row and column vectors are the same type, and the two rules would overlap.)
impl<T: Scalar, const N: usize> Broadcast<OVector<T, Dyn>> for OMatrix<T, Dyn, Const<N>>
where
    DefaultAllocator: Allocator<Dyn, Const<N>> + Allocator<Dyn>,
{
    #[inline]
    #[track_caller]
    fn broadcast_check(&self, rhs: &OVector<T, Dyn>, op: &str) {
        shape::broadcastable(op, "column", self.shape(), rhs.shape())
    }
    #[inline]
    fn broadcast_rows(&self) -> bool {
        false
    }
}

/// One entry per broadcast operation makes its five kernels, the way nalgebra's
/// `componentwise_binop_impl!` makes `op`, `op_mut` and `op_assign` from one line:
///
/// - the primal, `yₛ = f(lₛ, r_k(s))` with `f` the closure after its name, and the same
///   computed in the left operand's buffer (the name after `in`);
/// - the left pullback, `l̄ₛ += df(ḡₛ, lₛ, r_k(s))`, and the same with the cotangent given by
///   value (the name after `by_value`), which either passes `ḡ` through (`pass_lhs_reuse_g`,
///   for `df = ḡ`) or applies `df` in its buffer (`pull_lhs_reuse_g`);
/// - the right pullback, `r̄ₖ += Σ_{s: k(s) = k} df(ḡₛ, lₛ, rₖ)`.
///
/// The operation's name in shape panics is the primal's.
macro_rules! broadcast_kernels {
    ($(
        $(#[$primal_doc:meta])*
        $primal:ident = $f:expr, in $reuse_lhs:ident;
        $(#[$lhs_doc:meta])*
        $lhs:ident = $df_lhs:expr, by_value $lhs_reuse_g:ident = $reuse_g:ident;
        $(#[$rhs_doc:meta])*
        $rhs:ident = $df_rhs:expr;
    )*) => {$(
        $(#[$primal_doc])*
        #[inline]
        #[track_caller]
        pub fn $primal<L, R>(lhs: &L, rhs: &R) -> L
        where
            L: Broadcast<R>,
            R: Dense<Scalar = L::Scalar>,
        {
            zip(stringify!($primal), lhs, rhs, $f)
        }

        #[doc = concat!("[`", stringify!($primal), "`] computed in `lhs`'s buffer.")]
        #[inline]
        #[track_caller]
        pub fn $reuse_lhs<L, R>(lhs: L, rhs: &R) -> L
        where
            L: Broadcast<R>,
            R: Dense<Scalar = L::Scalar>,
        {
            zip_reuse_lhs(stringify!($primal), lhs, rhs, $f)
        }

        $(#[$lhs_doc])*
        #[inline]
        #[track_caller]
        pub fn $lhs<L, R>(g: &L, lhs: &L, rhs: &R, acc: &mut Option<L>)
        where
            L: Broadcast<R>,
            R: Dense<Scalar = L::Scalar>,
        {
            pull_lhs(stringify!($primal), g, lhs, rhs, acc, $df_lhs)
        }

        #[doc = concat!("[`", stringify!($lhs), "`] with the cotangent given by value.")]
        #[inline]
        #[track_caller]
        pub fn $lhs_reuse_g<L, R>(g: L, lhs: &L, rhs: &R, acc: &mut Option<L>)
        where
            L: Broadcast<R>,
            R: Dense<Scalar = L::Scalar>,
        {
            $reuse_g(stringify!($primal), g, lhs, rhs, acc, $df_lhs)
        }

        $(#[$rhs_doc])*
        #[inline]
        #[track_caller]
        pub fn $rhs<L, R>(g: &L, lhs: &L, rhs: &R, acc: &mut Option<R>)
        where
            L: Broadcast<R>,
            R: Dense<Scalar = L::Scalar>,
        {
            pull_rhs(stringify!($primal), g, lhs, rhs, acc, $df_rhs)
        }
    )*};
}

broadcast_kernels! {
    /// `l + r` with the row or column `r` broadcast over the matrix `l`: see [`Broadcast`].
    ///
    /// # Panics
    /// If the shapes do not fit.
    broadcast_add = |a, b| a + b, in broadcast_add_reuse_lhs;
    /// `l̄ += ḡ` for `y = l + r` (broadcast).
    broadcast_add_pullback_lhs = |g, _, _| g,
        by_value broadcast_add_pullback_lhs_reuse_g = pass_lhs_reuse_g;
    /// `r̄ += Σ ḡ` over the broadcast axis for `y = l + r` (broadcast): for a row `r`, the sum of
    /// the rows of `ḡ`; for a column, the sum of its columns.
    broadcast_add_pullback_rhs = |g, _, _| g;

    /// `l - r` with the row or column `r` broadcast over the matrix `l`: see [`Broadcast`].
    ///
    /// # Panics
    /// If the shapes do not fit.
    broadcast_sub = |a, b| a - b, in broadcast_sub_reuse_lhs;
    /// `l̄ += ḡ` for `y = l - r` (broadcast).
    broadcast_sub_pullback_lhs = |g, _, _| g,
        by_value broadcast_sub_pullback_lhs_reuse_g = pass_lhs_reuse_g;
    /// `r̄ -= Σ ḡ` over the broadcast axis for `y = l - r` (broadcast).
    broadcast_sub_pullback_rhs = |g, _, _| -g;

    /// `l ⊙ r` (entry by entry) with the row or column `r` broadcast over the matrix `l`: see
    /// [`Broadcast`].
    ///
    /// # Panics
    /// If the shapes do not fit.
    broadcast_mul = |a, b| a * b, in broadcast_mul_reuse_lhs;
    /// `l̄ += ḡ ⊙ r` (`r` broadcast) for `y = l ⊙ r` (broadcast).
    broadcast_mul_pullback_lhs = |g, _, r| g * r,
        by_value broadcast_mul_pullback_lhs_reuse_g = pull_lhs_reuse_g;
    /// `r̄ += Σ ḡ ⊙ l` over the broadcast axis for `y = l ⊙ r` (broadcast).
    broadcast_mul_pullback_rhs = |g, l, _| g * l;

    /// `l ⊘ r` (entry by entry) with the row or column `r` broadcast over the matrix `l`: see
    /// [`Broadcast`].
    ///
    /// # Panics
    /// If the shapes do not fit.
    broadcast_div = |a, b| a / b, in broadcast_div_reuse_lhs;
    /// `l̄ += ḡ ⊘ r` (`r` broadcast) for `y = l ⊘ r` (broadcast).
    broadcast_div_pullback_lhs = |g, _, r| g / r,
        by_value broadcast_div_pullback_lhs_reuse_g = pull_lhs_reuse_g;
    /// `r̄ -= Σ ḡ ⊙ l ⊘ r²` over the broadcast axis for `y = l ⊘ r` (broadcast).
    broadcast_div_pullback_rhs = |g, l, r| -(g * l) / (r * r);
}
