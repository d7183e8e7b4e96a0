//! Kernels of the registry's internal operations: the ones no user writes, which the tangent
//! rules of the linear-algebra operations build (`matgrad-macros-core/src/ops/tangent_linalg.rs`
//! and `tangent_spectral.rs`). Each has its pullbacks, so a tangent program made of them is
//! differentiated again in reverse for Hessian-vector products (`f_hvp`).
//!
//! - [`exp_tangent`]: `ẋ·eˣ` of a float, the Fréchet derivative `L(A, Ȧ)` of the matrix
//!   exponential of a square matrix;
//! - the masks [`lower_triangle`], [`upper_triangle`], [`strictly_lower`] and
//!   [`lower_halved`] (Φ of the Cholesky tangent), and [`leading_columns`];
//! - [`qr_permute`]: `X·P` for the column permutation of a `col_piv_qr()` (`X` of a `qr()`);
//! - [`eigen_coupling`] and [`svd_coupling`]: `F ∘ M` with `F` the inverse gaps of the
//!   eigenvalues (squared singular values), differentiable in both, and [`pseudo_recip`];
//! - [`svd_u_kept`] and [`svd_v_t_kept`]: a decomposition's vectors, whichever it was asked for.

use crate::factorisations::Factored;
use crate::svd::{svd_u_pullback, svd_v_t_pullback, Decomposed};
use crate::value::{accumulate, Dense, Scalar};
#[allow(unused_imports)]
use crate::Differentiable as _;
use nalgebra::{
    allocator::Allocator, ColPivQR, DefaultAllocator, Dim, DimMin, DimMinimum, OMatrix, OVector, QR,
};

mod exp;
pub use exp::*;

// ---------------------------------------------------------------- masks

/// `X` with each entry `(i, j)` times `w(i, j)`.
fn masked<T: Scalar, R: Dim, C: Dim>(
    x: &OMatrix<T, R, C>,
    w: impl Fn(usize, usize) -> f64,
) -> OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    let m = x.nrows().max(1);
    x.map_entries(|s, v| v * nalgebra::convert::<f64, T>(w(s % m, s / m)))
}

/// The masks: linear, each its own adjoint (`X̄ += mask(Ḡ)`).
macro_rules! masks {
    ($( $(#[$doc:meta])* $name:ident, $pullback:ident => |$i:ident, $j:ident| $w:expr; )*) => {$(
        $(#[$doc])*
        pub fn $name<T: Scalar, R: Dim, C: Dim>(x: &OMatrix<T, R, C>) -> OMatrix<T, R, C>
        where
            DefaultAllocator: Allocator<R, C>,
        {
            masked(x, |$i, $j| $w)
        }

        /// `X̄ += mask(Ḡ)`: the mask is its own adjoint.
        pub fn $pullback<T: Scalar, R: Dim, C: Dim>(
            g: &OMatrix<T, R, C>,
            _x: &OMatrix<T, R, C>,
            _y: &OMatrix<T, R, C>,
            acc: &mut Option<OMatrix<T, R, C>>,
        ) where
            DefaultAllocator: Allocator<R, C>,
        {
            accumulate(acc, masked(g, |$i, $j| $w))
        }
    )*};
}

masks! {
    /// `tril(X)`: the lower triangle, the diagonal included.
    lower_triangle, lower_triangle_pullback => |i, j| if i >= j { 1.0 } else { 0.0 };
    /// `triu(X)`: the upper triangle, the diagonal included.
    upper_triangle, upper_triangle_pullback => |i, j| if i <= j { 1.0 } else { 0.0 };
    /// `tril₋₁(X)`: the lower triangle below the diagonal.
    strictly_lower, strictly_lower_pullback => |i, j| if i > j { 1.0 } else { 0.0 };
    /// `Φ(X)`: the lower triangle with its diagonal halved (the Cholesky factor's tangent is
    /// `L·Φ(L⁻¹·Ȧ·L⁻ᵀ)`).
    lower_halved, lower_halved_pullback => |i, j| if i > j { 1.0 } else if i == j { 0.5 } else { 0.0 };
}

/// The first `min(m, n)` columns of an `m×n` matrix: all of a tall one, the leading square
/// block of a wide one.
pub fn leading_columns<T: Scalar, R: DimMin<C>, C: Dim>(
    x: &OMatrix<T, R, C>,
) -> OMatrix<T, R, DimMinimum<R, C>>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R, DimMinimum<R, C>>,
{
    let (r, c) = x.shape_generic();
    OMatrix::from_fn_generic(r, r.min(c), |i, j| x[(i, j)])
}

/// `X̄ += [Ḡ | 0]`.
pub fn leading_columns_pullback<T: Scalar, R: DimMin<C>, C: Dim>(
    g: &OMatrix<T, R, DimMinimum<R, C>>,
    x: &OMatrix<T, R, C>,
    _y: &OMatrix<T, R, DimMinimum<R, C>>,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C> + Allocator<R, DimMinimum<R, C>>,
{
    let (r, c) = x.shape_generic();
    let k = g.ncols();
    let padded = OMatrix::from_fn_generic(r, c, |i, j| if j < k { g[(i, j)] } else { T::zero() });
    accumulate(acc, padded)
}

// ---------------------------------------------------------------- qr_permute

/// A factorisation `A·P = Q·R` whose `P` permutes columns: the identity of a `qr()`, the
/// pivots of a `col_piv_qr()` (locally constant).
pub trait ColumnPermutation<T: Scalar, R: Dim, C: Dim>
where
    DefaultAllocator: Allocator<R, C>,
{
    /// `X ← X·P`.
    fn permute(&self, x: &mut OMatrix<T, R, C>);
    /// `X ← X·Pᵀ`.
    fn unpermute(&self, x: &mut OMatrix<T, R, C>);
}

impl<T: Scalar, R: DimMin<C>, C: Dim> ColumnPermutation<T, R, C> for QR<T, R, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R> + Allocator<DimMinimum<R, C>>,
{
    fn permute(&self, _x: &mut OMatrix<T, R, C>) {}
    fn unpermute(&self, _x: &mut OMatrix<T, R, C>) {}
}

impl<T: Scalar, R: DimMin<C>, C: Dim> ColumnPermutation<T, R, C> for ColPivQR<T, R, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R> + Allocator<DimMinimum<R, C>>,
{
    fn permute(&self, x: &mut OMatrix<T, R, C>) {
        self.p().permute_columns(x);
    }
    fn unpermute(&self, x: &mut OMatrix<T, R, C>) {
        self.p().inv_permute_columns(x);
    }
}

/// `X·P` for the factorisation `A·P = Q·R` (`X` itself for a `qr()`): the tangent of `A·P`.
pub fn qr_permute<T: Scalar, R: Dim, C: Dim, F: ColumnPermutation<T, R, C>>(
    f: &Factored<T, R, C, F>,
    x: &OMatrix<T, R, C>,
) -> OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    let mut y = x.clone();
    f.factors().permute(&mut y);
    y
}

/// Nothing: `P` is locally constant.
pub fn qr_permute_pullback_lhs<T: Scalar, R: Dim, C: Dim, F: ColumnPermutation<T, R, C>>(
    _g: &OMatrix<T, R, C>,
    _f: &Factored<T, R, C, F>,
    _x: &OMatrix<T, R, C>,
    _acc: &mut Option<Factored<T, R, C, F>>,
) where
    DefaultAllocator: Allocator<R, C>,
{
}

/// `X̄ += Ḡ·Pᵀ`.
pub fn qr_permute_pullback_rhs<T: Scalar, R: Dim, C: Dim, F: ColumnPermutation<T, R, C>>(
    g: &OMatrix<T, R, C>,
    f: &Factored<T, R, C, F>,
    _x: &OMatrix<T, R, C>,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>,
{
    let mut y = g.clone();
    f.factors().unpermute(&mut y);
    accumulate(acc, y)
}

// ---------------------------------------------------------------- couplings

/// The gaps `dᵢⱼ` whose inverses couple eigenvectors (`λⱼ − λᵢ`) or singular vectors
/// (`sⱼ² − sᵢ²`).
#[derive(Clone, Copy)]
enum Gaps {
    Eigen,
    Singular,
}

impl Gaps {
    /// `dᵢⱼ` and its derivatives in `vⱼ` and `vᵢ`.
    fn gap<T: Scalar>(self, vi: T, vj: T) -> (T, T, T) {
        match self {
            Gaps::Eigen => (vj - vi, T::one(), -T::one()),
            Gaps::Singular => {
                let two = T::one() + T::one();
                (vj * vj - vi * vi, two * vj, -two * vi)
            }
        }
    }

    /// `Fᵢⱼ = 1/dᵢⱼ`, zero on the diagonal and where `|vⱼ − vᵢ| ≤ √ε·max|v|` (a tie, left
    /// uncoupled as the pullbacks of `spectral` and `svd` do), with `∂Fᵢⱼ/∂vⱼ`, `∂Fᵢⱼ/∂vᵢ`.
    fn each<T: Scalar, D: Dim>(self, v: &OVector<T, D>, mut f: impl FnMut(usize, usize, T, T, T))
    where
        DefaultAllocator: Allocator<D>,
    {
        let tie = T::EPSILON.sqrt() * v.amax();
        let n = v.len();
        for j in 0..n {
            for i in 0..n {
                if i == j || (v[j] - v[i]).abs() <= tie {
                    continue;
                }
                let (d, dj, di) = self.gap(v[i], v[j]);
                let fij = T::one() / d;
                f(i, j, fij, -fij * fij * dj, -fij * fij * di);
            }
        }
    }

    /// `F ∘ M`.
    fn apply<T: Scalar, D: Dim>(self, v: &OVector<T, D>, m: &OMatrix<T, D, D>) -> OMatrix<T, D, D>
    where
        DefaultAllocator: Allocator<D> + Allocator<D, D>,
    {
        crate::shape::same("coupling", (v.len(), v.len()), m.shape());
        let mut y = m.zeros_like();
        self.each(v, |i, j, f, _, _| y[(i, j)] = f * m[(i, j)]);
        y
    }

    /// `v̄ⱼ += Σᵢ Ḡᵢⱼ·Mᵢⱼ·∂Fᵢⱼ/∂vⱼ`, `v̄ᵢ += Σⱼ Ḡᵢⱼ·Mᵢⱼ·∂Fᵢⱼ/∂vᵢ`.
    fn pullback_values<T: Scalar, D: Dim>(
        self,
        g: &OMatrix<T, D, D>,
        v: &OVector<T, D>,
        m: &OMatrix<T, D, D>,
        acc: &mut Option<OVector<T, D>>,
    ) where
        DefaultAllocator: Allocator<D> + Allocator<D, D>,
    {
        let mut vbar = v.zeros_like();
        self.each(v, |i, j, _, fj, fi| {
            let c = g[(i, j)] * m[(i, j)];
            vbar[j] += c * fj;
            vbar[i] += c * fi;
        });
        accumulate(acc, vbar)
    }

    /// `M̄ += Ḡ ∘ F`.
    fn pullback_matrix<T: Scalar, D: Dim>(
        self,
        g: &OMatrix<T, D, D>,
        v: &OVector<T, D>,
        acc: &mut Option<OMatrix<T, D, D>>,
    ) where
        DefaultAllocator: Allocator<D> + Allocator<D, D>,
    {
        accumulate(acc, self.apply(v, g))
    }
}

/// The couplings `F ∘ M` and their pullbacks, one per kind of gap.
macro_rules! couplings {
    ($( $(#[$doc:meta])* $name:ident, $lhs:ident, $rhs:ident => $gaps:expr; )*) => {$(
        $(#[$doc])*
        ///
        /// # Panics
        /// If `M` is not `n×n` for `n` values.
        #[track_caller]
        pub fn $name<T: Scalar, D: Dim>(v: &OVector<T, D>, m: &OMatrix<T, D, D>) -> OMatrix<T, D, D>
        where
            DefaultAllocator: Allocator<D> + Allocator<D, D>,
        {
            $gaps.apply(v, m)
        }

        /// `v̄ⱼ += Σᵢ Ḡᵢⱼ·Mᵢⱼ·∂Fᵢⱼ/∂vⱼ`, `v̄ᵢ += Σⱼ Ḡᵢⱼ·Mᵢⱼ·∂Fᵢⱼ/∂vᵢ` (`∂(1/d) = −∂d/d²`).
        pub fn $lhs<T: Scalar, D: Dim>(
            g: &OMatrix<T, D, D>,
            v: &OVector<T, D>,
            m: &OMatrix<T, D, D>,
            acc: &mut Option<OVector<T, D>>,
        ) where
            DefaultAllocator: Allocator<D> + Allocator<D, D>,
        {
            $gaps.pullback_values(g, v, m, acc)
        }

        /// `M̄ += Ḡ ∘ F`.
        pub fn $rhs<T: Scalar, D: Dim>(
            g: &OMatrix<T, D, D>,
            v: &OVector<T, D>,
            _m: &OMatrix<T, D, D>,
            acc: &mut Option<OMatrix<T, D, D>>,
        ) where
            DefaultAllocator: Allocator<D> + Allocator<D, D>,
        {
            $gaps.pullback_matrix(g, v, acc)
        }
    )*};
}

couplings! {
    /// `F ∘ M` with `Fᵢⱼ = 1/(λⱼ − λᵢ)`, 0 on the diagonal and between tied eigenvalues:
    /// `V̇ = V·(F ∘ Vᵀ·Ȧ·V)` for `A = V·Λ·Vᵀ`.
    eigen_coupling, eigen_coupling_pullback_lhs, eigen_coupling_pullback_rhs => Gaps::Eigen;
    /// `F ∘ M` with `Fᵢⱼ = 1/(sⱼ² − sᵢ²)`, 0 on the diagonal and between tied singular values.
    svd_coupling, svd_coupling_pullback_lhs, svd_coupling_pullback_rhs => Gaps::Singular;
}

/// `1/sᵢ`, 0 where `|sᵢ| ≤ √ε·max|s|` (as the pullbacks of `svd` take `S⁻¹`).
pub fn pseudo_recip<T: Scalar, D: Dim>(s: &OVector<T, D>) -> OVector<T, D>
where
    DefaultAllocator: Allocator<D>,
{
    let tie = T::EPSILON.sqrt() * s.amax();
    s.map_entries(|_, v| {
        if v.abs() <= tie {
            T::zero()
        } else {
            T::one() / v
        }
    })
}

/// `s̄ −= ḡ ∘ y²` for `y = 1/s` (0 where `y` is).
pub fn pseudo_recip_pullback<T: Scalar, D: Dim>(
    g: &OVector<T, D>,
    _s: &OVector<T, D>,
    y: &OVector<T, D>,
    acc: &mut Option<OVector<T, D>>,
) where
    DefaultAllocator: Allocator<D>,
{
    accumulate(acc, y.zip_entries(g, |r, g| -g * r * r))
}

// ---------------------------------------------------------------- svd_u_kept, svd_v_t_kept

/// `U` of the decomposition whatever its `compute_u` (it keeps `U` always): the tangent rules
/// read it where the function may have asked for none (`svd(false, ..).singular_values`).
pub fn svd_u_kept<T: Scalar, R: DimMin<C>, C: Dim>(
    f: &Decomposed<T, R, C>,
) -> OMatrix<T, R, DimMinimum<R, C>>
where
    DefaultAllocator: Allocator<R, C>
        + Allocator<DimMinimum<R, C>, C>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>>,
{
    f.factors()
        .u
        .clone()
        .expect("matgrad: the decomposition keeps U")
}

/// `Ā += U·((F ∘ (UᵀŪ − ŪᵀU))·S)·Vᵀ + (I − UUᵀ)·Ū·S⁻¹·Vᵀ`, as [`svd_u_pullback`].
pub fn svd_u_kept_pullback<T: Scalar, R: DimMin<C>, C: Dim>(
    g: &OMatrix<T, R, DimMinimum<R, C>>,
    f: &Decomposed<T, R, C>,
    y: &OMatrix<T, R, DimMinimum<R, C>>,
    acc: &mut Option<Decomposed<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>
        + Allocator<DimMinimum<R, C>, C>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>>,
{
    svd_u_pullback(g, f, y, acc)
}

/// `Vᵀ` of the decomposition whatever its `compute_v` (it keeps `Vᵀ` always).
pub fn svd_v_t_kept<T: Scalar, R: DimMin<C>, C: Dim>(
    f: &Decomposed<T, R, C>,
) -> OMatrix<T, DimMinimum<R, C>, C>
where
    DefaultAllocator: Allocator<R, C>
        + Allocator<DimMinimum<R, C>, C>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>>,
{
    f.factors()
        .v_t
        .clone()
        .expect("matgrad: the decomposition keeps Vᵀ")
}

/// `Ā += U·(S·(F ∘ (VᵀV̄ − V̄ᵀV)))·Vᵀ + U·S⁻¹·V̄ᵀ·(I − VVᵀ)`, as [`svd_v_t_pullback`].
pub fn svd_v_t_kept_pullback<T: Scalar, R: DimMin<C>, C: Dim>(
    g: &OMatrix<T, DimMinimum<R, C>, C>,
    f: &Decomposed<T, R, C>,
    y: &OMatrix<T, DimMinimum<R, C>, C>,
    acc: &mut Option<Decomposed<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>
        + Allocator<DimMinimum<R, C>, C>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>>,
{
    svd_v_t_pullback(g, f, y, acc)
}

/// `true`: the `compute_u` and `compute_v` of a decomposition a tangent rule builds.
pub fn svd_computes_vectors<V: ?Sized>(_x: &V) -> bool {
    true
}

#[cfg(test)]
#[path = "tangent_kernels/tests.rs"]
mod tests;
