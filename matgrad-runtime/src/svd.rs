//! The singular value decomposition `A = U·S·Vᵀ` of an `m×n` matrix (thin: `k = min(m, n)`
//! singular values, descending): `a.svd(true, true)` read by `.singular_values`, `.u.unwrap()`
//! and `.v_t.unwrap()`, and `a.singular_values()`.
//!
//! Each reading pulls back into `Ā` (Townsend 2016, "Differentiating the singular value
//! decomposition", eq. 16; PyTorch's `svd_backward`), with `Fᵢⱼ = 1/(sⱼ² − sᵢ²)`:
//!
//! - `S`: `Ā += U·diag(S̄)·Vᵀ`;
//! - `U`: `Ā += U·((F ∘ (UᵀŪ − ŪᵀU))·S)·Vᵀ + (I − UUᵀ)·Ū·S⁻¹·Vᵀ`;
//! - `Vᵀ`: `Ā += U·(S·(F ∘ (VᵀV̄ − V̄ᵀV)))·Vᵀ + U·S⁻¹·V̄ᵀ·(I − VVᵀ)`.
//!
//! **Ties and zeros.** As for eigenvectors (`spectral`), singular vectors are not
//! differentiable where two singular values meet, nor (for the `(I − UUᵀ)` and `(I − VVᵀ)`
//! terms) where one is zero: JAX and PyTorch return infinities or NaN there. Here a pair
//! equal to rounding (within `√ε·max s`) is not coupled (`Fᵢⱼ = 0`) and a singular value
//! within `√ε·max s` of zero has `1/s = 0`: the gradient of every function that weighs the
//! tied vectors alike, and of the singular values themselves (whose pullback is exact
//! everywhere). Each reading computes the full decomposition; `svd(false, ..)` only hides `U`
//! from the function (its `.u.unwrap()` panics as nalgebra's would).

use crate::factorisations::{Factored, Factorisation};
use crate::value::{accumulate, Dense, Scalar};
#[allow(unused_imports)]
use crate::Differentiable as _;
use nalgebra::{
    allocator::Allocator, DMatrix, DVector, DefaultAllocator, Dim, DimDiff, DimMin, DimMinimum,
    DimSub, OMatrix, OVector, SVD, U1,
};

/// The decomposition of a matrix as `#[grad]` holds it (see [`Factored`]).
pub type Decomposed<T, R, C> = Factored<T, R, C, Singular<T, R, C>>;

/// The decomposition as `#[grad]` holds it: nalgebra's, with both `U` and `Vᵀ`, and which of
/// them the function asked for.
#[derive(Clone, Debug)]
pub struct Singular<T: Scalar, R: DimMin<C>, C: Dim>
where
    DefaultAllocator: Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>, C>
        + Allocator<DimMinimum<R, C>>,
{
    svd: SVD<T, R, C>,
    asked: (bool, bool),
}

impl<T: Scalar, R: DimMin<C>, C: Dim> std::ops::Deref for Singular<T, R, C>
where
    DefaultAllocator: Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>, C>
        + Allocator<DimMinimum<R, C>>,
{
    type Target = SVD<T, R, C>;
    fn deref(&self) -> &SVD<T, R, C> {
        &self.svd
    }
}

impl<T: Scalar, R: DimMin<C>, C: Dim> Factorisation<T, R, C> for Singular<T, R, C>
where
    DefaultAllocator: Allocator<R, C>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>, C>
        + Allocator<DimMinimum<R, C>>,
{
    const SYMMETRIC: bool = false;
}

/// `U`, `s` and `Vᵀ` as dynamic matrices, for the pullbacks' algebra.
struct Parts<T: Scalar> {
    u: DMatrix<T>,
    s: DVector<T>,
    vt: DMatrix<T>,
    /// `1/sᵢ`, zero where `sᵢ` is zero to rounding.
    s_inv: DVector<T>,
    /// `Fᵢⱼ = 1/(sⱼ² − sᵢ²)`, zero on the diagonal and between equal singular values.
    f: DMatrix<T>,
}

impl<T: Scalar> Parts<T> {
    fn of<R: DimMin<C>, C: Dim>(svd: &SVD<T, R, C>) -> Parts<T>
    where
        DefaultAllocator: Allocator<R, DimMinimum<R, C>>
            + Allocator<DimMinimum<R, C>, C>
            + Allocator<DimMinimum<R, C>>,
    {
        let u = svd.u.as_ref().expect("matgrad: the decomposition keeps U");
        let vt = svd
            .v_t
            .as_ref()
            .expect("matgrad: the decomposition keeps Vᵀ");
        let u = DMatrix::from_fn(u.nrows(), u.ncols(), |i, j| u[(i, j)]);
        let vt = DMatrix::from_fn(vt.nrows(), vt.ncols(), |i, j| vt[(i, j)]);
        let s = DVector::from_fn(svd.singular_values.len(), |i, _| svd.singular_values[i]);
        let tie = T::EPSILON.sqrt() * s.amax();
        let s_inv = s.map(|v| {
            if v.abs() <= tie {
                T::zero()
            } else {
                T::one() / v
            }
        });
        let k = s.len();
        let f = DMatrix::from_fn(k, k, |i, j| {
            let gap = s[j] * s[j] - s[i] * s[i];
            if i == j || (s[j] - s[i]).abs() <= tie {
                T::zero()
            } else {
                T::one() / gap
            }
        });
        Parts { u, s, vt, s_inv, f }
    }

    /// `U·M·Vᵀ`.
    fn sandwich(&self, m: &DMatrix<T>) -> DMatrix<T> {
        &self.u * m * &self.vt
    }
}

/// `a.svd(compute_u, compute_v)`, with `U` and `Vᵀ` computed whatever is asked.
pub fn svd<T: Scalar, R: DimMin<C>, C: Dim>(
    a: &OMatrix<T, R, C>,
    compute_u: bool,
    compute_v: bool,
) -> Decomposed<T, R, C>
where
    DimMinimum<R, C>: DimSub<U1>,
    DefaultAllocator: Allocator<R, C>
        + Allocator<C>
        + Allocator<R>
        + Allocator<DimDiff<DimMinimum<R, C>, U1>>
        + Allocator<DimMinimum<R, C>, C>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>>,
{
    let svd = a.clone().svd(true, true);
    Factored::new(
        a.clone(),
        Singular {
            svd,
            asked: (compute_u, compute_v),
        },
    )
}

/// `Ā += (the decomposition's cotangent)`: a factorisation's cotangent is its matrix's.
pub fn svd_pullback<T: Scalar, R: DimMin<C>, C: Dim>(
    g: &Decomposed<T, R, C>,
    _a: &OMatrix<T, R, C>,
    _compute_u: bool,
    _compute_v: bool,
    _y: &Decomposed<T, R, C>,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>
        + Allocator<DimMinimum<R, C>, C>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>>,
{
    crate::factorisations::pass_matrix(g, acc)
}

/// `m` (dynamic, `R×C`-shaped) added into the decomposition's cotangent.
fn accumulate_dynamic<T: Scalar, R: DimMin<C>, C: Dim>(
    acc: &mut Option<Decomposed<T, R, C>>,
    like: &Decomposed<T, R, C>,
    m: DMatrix<T>,
) where
    DefaultAllocator: Allocator<R, C>
        + Allocator<DimMinimum<R, C>, C>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>>,
{
    let m = like.matrix().with_entries(m.as_slice().to_vec());
    Factored::accumulate(acc, m)
}

/// `s`: `svd.singular_values`, descending.
pub fn svd_singular_values<T: Scalar, R: DimMin<C>, C: Dim>(
    f: &Decomposed<T, R, C>,
) -> OVector<T, DimMinimum<R, C>>
where
    DefaultAllocator: Allocator<R, C>
        + Allocator<DimMinimum<R, C>, C>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>>,
{
    f.factors().svd.singular_values.clone()
}

/// `Ā += U·diag(s̄)·Vᵀ`.
pub fn svd_singular_values_pullback<T: Scalar, R: DimMin<C>, C: Dim>(
    g: &OVector<T, DimMinimum<R, C>>,
    f: &Decomposed<T, R, C>,
    _y: &OVector<T, DimMinimum<R, C>>,
    acc: &mut Option<Decomposed<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>
        + Allocator<DimMinimum<R, C>, C>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>>,
{
    let p = Parts::of(&f.factors().svd);
    let d = DMatrix::from_diagonal(&DVector::from_fn(g.len(), |i, _| g[i]));
    accumulate_dynamic(acc, f, p.sandwich(&d))
}

/// `U`: `svd.u.unwrap()`.
///
/// # Panics
/// If the function asked for no `U` (`svd(false, ..)`), as nalgebra's `None` would.
#[track_caller]
pub fn svd_u<T: Scalar, R: DimMin<C>, C: Dim>(
    f: &Decomposed<T, R, C>,
) -> OMatrix<T, R, DimMinimum<R, C>>
where
    DefaultAllocator: Allocator<R, C>
        + Allocator<DimMinimum<R, C>, C>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>>,
{
    match svd_u_checked(f) {
        Some(x) => x,
        None => panic!("matgrad: `svd.u.unwrap()` of an `svd(false, ..)`: U was not computed"),
    }
}

/// `svd.u`: `None` where the function asked for no U (`svd(false, ..)`), as nalgebra's, for the
/// user's `.expect(msg)`.
pub fn svd_u_checked<T: Scalar, R: DimMin<C>, C: Dim>(
    f: &Decomposed<T, R, C>,
) -> Option<OMatrix<T, R, DimMinimum<R, C>>>
where
    DefaultAllocator: Allocator<R, C>
        + Allocator<DimMinimum<R, C>, C>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>>,
{
    let s = f.factors();
    s.asked
        .0
        .then(|| s.svd.u.clone().expect("matgrad: the decomposition keeps U"))
}

/// `Ā += U·((F ∘ (UᵀŪ − ŪᵀU))·S)·Vᵀ + (I − UUᵀ)·Ū·S⁻¹·Vᵀ`.
pub fn svd_u_pullback<T: Scalar, R: DimMin<C>, C: Dim>(
    g: &OMatrix<T, R, DimMinimum<R, C>>,
    f: &Decomposed<T, R, C>,
    _y: &OMatrix<T, R, DimMinimum<R, C>>,
    acc: &mut Option<Decomposed<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>
        + Allocator<DimMinimum<R, C>, C>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>>,
{
    let p = Parts::of(&f.factors().svd);
    let ubar = DMatrix::from_fn(g.nrows(), g.ncols(), |i, j| g[(i, j)]);
    let utg = p.u.tr_mul(&ubar);
    let mut inner = (&utg - utg.transpose()).component_mul(&p.f);
    for (j, mut col) in inner.column_iter_mut().enumerate() {
        col *= p.s[j];
    }
    let mut outer = &ubar - &p.u * &utg;
    for (j, mut col) in outer.column_iter_mut().enumerate() {
        col *= p.s_inv[j];
    }
    accumulate_dynamic(acc, f, p.sandwich(&inner) + outer * &p.vt)
}

/// `Vᵀ`: `svd.v_t.unwrap()`.
///
/// # Panics
/// If the function asked for no `V` (`svd(.., false)`), as nalgebra's `None` would.
#[track_caller]
pub fn svd_v_t<T: Scalar, R: DimMin<C>, C: Dim>(
    f: &Decomposed<T, R, C>,
) -> OMatrix<T, DimMinimum<R, C>, C>
where
    DefaultAllocator: Allocator<R, C>
        + Allocator<DimMinimum<R, C>, C>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>>,
{
    match svd_v_t_checked(f) {
        Some(x) => x,
        None => panic!("matgrad: `svd.v_t.unwrap()` of an `svd(.., false)`: V was not computed"),
    }
}

/// `svd.v_t`: `None` where the function asked for no V (`svd(.., false)`), as nalgebra's, for the
/// user's `.expect(msg)`.
pub fn svd_v_t_checked<T: Scalar, R: DimMin<C>, C: Dim>(
    f: &Decomposed<T, R, C>,
) -> Option<OMatrix<T, DimMinimum<R, C>, C>>
where
    DefaultAllocator: Allocator<R, C>
        + Allocator<DimMinimum<R, C>, C>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>>,
{
    let s = f.factors();
    s.asked.1.then(|| {
        s.svd
            .v_t
            .clone()
            .expect("matgrad: the decomposition keeps Vᵀ")
    })
}

/// `Ā += U·(S·(F ∘ (VᵀV̄ − V̄ᵀV)))·Vᵀ + U·S⁻¹·V̄ᵀ·(I − VVᵀ)`, with `V̄ᵀ` the cotangent of `Vᵀ`.
pub fn svd_v_t_pullback<T: Scalar, R: DimMin<C>, C: Dim>(
    g: &OMatrix<T, DimMinimum<R, C>, C>,
    f: &Decomposed<T, R, C>,
    _y: &OMatrix<T, DimMinimum<R, C>, C>,
    acc: &mut Option<Decomposed<T, R, C>>,
) where
    DefaultAllocator: Allocator<R, C>
        + Allocator<DimMinimum<R, C>, C>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>>,
{
    let p = Parts::of(&f.factors().svd);
    let vbar_t = DMatrix::from_fn(g.nrows(), g.ncols(), |i, j| g[(i, j)]);
    // VᵀV̄ = Vᵀ·(V̄ᵀ)ᵀ
    let vtv = &p.vt * vbar_t.transpose();
    let mut inner = (&vtv - vtv.transpose()).component_mul(&p.f);
    for (i, mut row) in inner.row_iter_mut().enumerate() {
        row *= p.s[i];
    }
    let mut outer = &vbar_t - &vbar_t * p.vt.transpose() * &p.vt;
    for (i, mut row) in outer.row_iter_mut().enumerate() {
        row *= p.s_inv[i];
    }
    accumulate_dynamic(acc, f, p.sandwich(&inner) + &p.u * outer)
}

/// The singular values, descending: `a.singular_values()`.
pub fn singular_values<T: Scalar, R: DimMin<C>, C: Dim>(
    a: &OMatrix<T, R, C>,
) -> OVector<T, DimMinimum<R, C>>
where
    DimMinimum<R, C>: DimSub<U1>,
    DefaultAllocator: Allocator<R, C>
        + Allocator<C>
        + Allocator<R>
        + Allocator<DimDiff<DimMinimum<R, C>, U1>>
        + Allocator<DimMinimum<R, C>, C>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>>,
{
    a.singular_values()
}

/// `Ā += U·diag(s̄)·Vᵀ`, the decomposition computed here (the forward sweep kept none).
pub fn singular_values_pullback<T: Scalar, R: DimMin<C>, C: Dim>(
    g: &OVector<T, DimMinimum<R, C>>,
    a: &OMatrix<T, R, C>,
    _y: &OVector<T, DimMinimum<R, C>>,
    acc: &mut Option<OMatrix<T, R, C>>,
) where
    DimMinimum<R, C>: DimSub<U1>,
    DefaultAllocator: Allocator<R, C>
        + Allocator<C>
        + Allocator<R>
        + Allocator<DimDiff<DimMinimum<R, C>, U1>>
        + Allocator<DimMinimum<R, C>, C>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>>,
{
    let p = Parts::of(&a.clone().svd(true, true));
    let d = DMatrix::from_diagonal(&DVector::from_fn(g.len(), |i, _| g[i]));
    let m = a.with_entries(p.sandwich(&d).as_slice().to_vec());
    accumulate(acc, m)
}
