//! Products with a transposed operand, `Aᵀ·B` and `A·Bᵀ`, computed without materialising the
//! transpose: `#[grad]` lowers `a.transpose() * b`, `a.tr_mul(&b)` and `a * b.transpose()` to
//! these, so neither the forward pass nor the pullbacks copy a transposed matrix.
//!
//! Every product a pullback (or `mul_tn`, `mul_nt`, `mul`) computes funnels through
//! `acc_nn`, `acc_nt` and `acc_tn` here. Large `f32`/`f64` products go where
//! [`product_path`] says for their shape and orientation: the gemm crate (which reads the
//! transposed operand through its strides), on one thread or on rayon's, or nalgebra's
//! `gemm`; the others to nalgebra's, with the transpose a strided view (nalgebra's
//! small-matrix path does not take a transposed view as the left operand, so small `Aᵀ·B` use
//! `gemm_tr`).

use crate::product_path::{product_path, Orientation, ProductPath, PATHS_FROM};
use crate::shape;
use crate::small_products::small_product;
use crate::value::{accumulate_with, Scalar};
use crate::workspace;
use nalgebra::{
    allocator::Allocator, DefaultAllocator, Dim, Dyn, MatrixView, MatrixViewMut, OMatrix, U1,
};
use std::any::TypeId;

/// `acc += Aᵀ·B` for `A` k×m and `B` k×n.
pub(crate) fn acc_tn<T: Scalar, K: Dim, M: Dim, N: Dim>(
    acc: &mut Option<OMatrix<T, M, N>>,
    a: &OMatrix<T, K, M>,
    b: &OMatrix<T, K, N>,
) where
    DefaultAllocator: Allocator<K, M> + Allocator<K, N> + Allocator<M, N>,
{
    let (k, m) = a.shape();
    let (mg, ng) = (a.shape_generic().1, b.shape_generic().1);
    let ab = (a.as_slice(), b.as_slice());
    if acc_by_runtime(acc, (mg, ng), k, Orientation::TN, ab) {
        return;
    }
    // nalgebra's `gemm` reads a left operand whose rows are not adjacent right only on its
    // matrixmultiply path: a dimension of the view `Dyn` and every dimension above
    // `NALGEBRA_SMALL_DIM`. Below, `tr_mul` (dot products).
    let small = [k, m, b.ncols()].iter().any(|&d| d <= NALGEBRA_SMALL_DIM);
    if small {
        return acc_by_nalgebra(
            acc,
            (mg, ng),
            || a.tr_mul(b),
            |dst, beta| dst.gemm_tr(T::one(), a, b, beta),
        );
    }
    let n = b.ncols();
    let at = MatrixView::from_slice_with_strides_generic(a.as_slice(), Dyn(m), Dyn(k), Dyn(k), U1);
    let bv = MatrixView::from_slice_generic(b.as_slice(), Dyn(k), Dyn(n));
    let beta = if acc.is_some() { T::one() } else { T::zero() };
    let dst = acc.get_or_insert_with(|| workspace::zeros_generic(mg, ng));
    MatrixViewMut::from_slice_generic(dst.as_mut_slice(), Dyn(m), Dyn(n)).gemm(
        T::one(),
        &at,
        &bv,
        beta,
    );
}

/// `acc += A·Bᵀ` for `A` m×k and `B` n×k.
pub(crate) fn acc_nt<T: Scalar, M: Dim, K: Dim, N: Dim>(
    acc: &mut Option<OMatrix<T, M, N>>,
    a: &OMatrix<T, M, K>,
    b: &OMatrix<T, N, K>,
) where
    DefaultAllocator: Allocator<M, K> + Allocator<N, K> + Allocator<M, N>,
{
    let (k, n) = (a.ncols(), b.nrows());
    let mn = (a.shape_generic().0, b.shape_generic().0);
    let ab = (a.as_slice(), b.as_slice());
    if acc_by_runtime(acc, mn, k, Orientation::NT, ab) {
        return;
    }
    let (ng, kg) = b.shape_generic();
    let bt = MatrixView::from_slice_with_strides_generic(b.as_slice(), kg, ng, Dyn(n), U1);
    acc_by_nalgebra(
        acc,
        mn,
        || a * bt,
        |dst, beta| dst.gemm(T::one(), a, &bt, beta),
    )
}

/// `acc += A·B`.
pub(crate) fn acc_nn<T: Scalar, M: Dim, K: Dim, N: Dim>(
    acc: &mut Option<OMatrix<T, M, N>>,
    a: &OMatrix<T, M, K>,
    b: &OMatrix<T, K, N>,
) where
    DefaultAllocator: Allocator<M, K> + Allocator<K, N> + Allocator<M, N>,
{
    let (mn, k) = ((a.shape_generic().0, b.shape_generic().1), a.ncols());
    let ab = (a.as_slice(), b.as_slice());
    if acc_by_runtime(acc, mn, k, Orientation::NN, ab) {
        return;
    }
    acc_by_nalgebra(
        acc,
        mn,
        || a * b,
        |dst, beta| dst.gemm(T::one(), a, b, beta),
    )
}

/// `acc += a product` by nalgebra: `gemm(dst, β)` computes `dst ← product + β·dst`. A filled
/// slot takes it with β = 1; an empty one takes `fresh()` (nalgebra's product into a new,
/// uninitialised buffer), or, while a workspace is installed, a buffer from it with β = 0.
fn acc_by_nalgebra<T: Scalar, M: Dim, N: Dim>(
    acc: &mut Option<OMatrix<T, M, N>>,
    (mg, ng): (M, N),
    fresh: impl FnOnce() -> OMatrix<T, M, N>,
    gemm: impl FnOnce(&mut OMatrix<T, M, N>, T),
) where
    DefaultAllocator: Allocator<M, N>,
{
    match acc {
        Some(dst) => gemm(dst, T::one()),
        None if !workspace::installed() => *acc = Some(fresh()),
        None => gemm(acc.insert(workspace::zeros_generic(mg, ng)), T::zero()),
    }
}

/// `s` as `f64`s, where `T` is `f64`.
fn f64s<T: 'static>(s: &[T]) -> Option<&[f64]> {
    // SAFETY: T is f64, so the slice is one of f64s.
    (TypeId::of::<T>() == TypeId::of::<f64>())
        .then(|| unsafe { std::slice::from_raw_parts(s.as_ptr().cast::<f64>(), s.len()) })
}

/// `s` as `f64`s, where `T` is `f64`.
fn f64s_mut<T: 'static>(s: &mut [T]) -> Option<&mut [f64]> {
    // SAFETY: T is f64, so the slice is one of f64s.
    (TypeId::of::<T>() == TypeId::of::<f64>())
        .then(|| unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr().cast::<f64>(), s.len()) })
}

/// nalgebra's `gemm` of dynamically sized matrices goes to matrixmultiply (which reads any
/// strides) when every dimension is above this (`SMALL_DIM` in nalgebra's `blas_uninit.rs`);
/// below it, its own loop, which misreads a left operand whose rows are not adjacent (an
/// out-of-bounds read: `tests/kernels/transposed.rs` holds sizes on both sides).
pub(crate) const NALGEBRA_SMALL_DIM: usize = 5;

/// A product's operand as the gemm crate reads it: the storage, the step between columns
/// and the step between rows.
#[derive(Clone, Copy)]
pub(crate) struct Operand<'a, T>(pub &'a [T], pub isize, pub isize);

/// `acc += op(a)·op(b)` (an m×k by a k×n operand, `a` and `b` stored as `orientation` has
/// them: [`Orientation::operands`]) by the runtime's own kernels where one takes the product:
/// [`small_product`] for an `f64` product on the heap below [`PATHS_FROM`] multiply-adds with
/// every dimension above [`NALGEBRA_SMALL_DIM`] (which nalgebra would hand to matrixmultiply,
/// packing both operands into a buffer it allocates), else the gemm crate, on the calling
/// thread or on rayon's, for `f32` or `f64` where [`product_path`] chooses it; `false`, having
/// done nothing, otherwise. An empty slot is written with the product (`read_dst` off), a
/// filled one accumulates it (`beta = 1`).
fn acc_by_runtime<T: Scalar, M: Dim, N: Dim>(
    acc: &mut Option<OMatrix<T, M, N>>,
    (mg, ng): (M, N),
    k: usize,
    orientation: Orientation,
    (a, b): (&[T], &[T]),
) -> bool
where
    DefaultAllocator: Allocator<M, N>,
{
    let (m, n) = (mg.value(), ng.value());
    let is_f64 = TypeId::of::<T>() == TypeId::of::<f64>();
    if !is_f64 && TypeId::of::<T>() != TypeId::of::<f32>() {
        return false;
    }
    let small = is_f64
        && workspace::on_heap::<M, N>()
        && m.min(n).min(k) > NALGEBRA_SMALL_DIM
        && m * n * k < PATHS_FROM;
    let parallelism = match small {
        true => None,
        false => match product_path(m, n, k, orientation) {
            ProductPath::Nalgebra => return false,
            ProductPath::Gemm => Some(gemm::Parallelism::None),
            ProductPath::GemmThreaded => Some(gemm::Parallelism::Rayon(0)),
        },
    };
    let read_dst = acc.is_some();
    let dst = acc.get_or_insert_with(|| workspace::zeros_generic(mg, ng));
    shape::same("+= (a product)", dst.shape(), (m, n));
    let dst = dst.as_mut_slice();
    match parallelism {
        Some(parallelism) => {
            let (lhs, rhs) = orientation.operands(a, b, [m, n, k]);
            gemm_crate(dst, (m, n, k), read_dst, lhs, rhs, parallelism);
        }
        None => {
            let (Some(dst), Some(a), Some(b)) = (f64s_mut(dst), f64s(a), f64s(b)) else {
                unreachable!("small products are of f64");
            };
            let (lhs, rhs) = orientation.operands(a, b, [m, n, k]);
            let done = small_product(dst, (m, n, k), read_dst, lhs, rhs);
            assert!(
                done,
                "an orientation's left operand has adjacent columns or rows"
            );
        }
    }
    true
}

/// `dst = lhs·rhs`, or `dst += lhs·rhs` with `read_dst`, by the gemm crate, for a contiguous
/// column-major m×n `dst` and an m×k by k×n operand read through its strides.
///
/// # Panics
/// If `dst` or an operand's storage is smaller than its shape, or `T` is neither `f32` nor
/// `f64` (the gemm crate's own panic).
pub(crate) fn gemm_crate<T: Scalar>(
    dst: &mut [T],
    (m, n, k): (usize, usize, usize),
    read_dst: bool,
    lhs: Operand<'_, T>,
    rhs: Operand<'_, T>,
    parallelism: gemm::Parallelism,
) {
    assert_fits(dst.len(), (m, n, k), &lhs, &rhs);
    // SAFETY: `dst` is a contiguous column-major m×n matrix (column step m, row step 1), and
    // every entry the operands' strides reach lies in their slices (checked above); the gemm
    // crate panics on a T other than f32 and f64.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            m as isize,
            1,
            read_dst,
            lhs.0.as_ptr(),
            lhs.1,
            lhs.2,
            rhs.0.as_ptr(),
            rhs.1,
            rhs.2,
            T::one(),
            T::one(),
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// Asserts that an m×n `dst` of `dst_len` entries and an m×k by k×n operand fit their
/// storage: the last entry each operand's strides reach lies in its slice.
///
/// # Panics
/// If one does not.
pub(crate) fn assert_fits<T>(
    dst_len: usize,
    (m, n, k): (usize, usize, usize),
    lhs: &Operand<'_, T>,
    rhs: &Operand<'_, T>,
) {
    let last = |o: &Operand<'_, T>, rows: usize, cols: usize| {
        (rows as isize - 1) * o.2 + (cols as isize - 1) * o.1
    };
    assert!(
        dst_len >= m * n
            && last(lhs, m, k) < lhs.0.len() as isize
            && last(rhs, k, n) < rhs.0.len() as isize,
        "matgrad: product operands smaller than their shapes"
    );
}

// ---------------------------------------------------------------- Aᵀ·B

/// `lhsᵀ · rhs`, with its two pullbacks: for a matrix `rhs`, and for a scalar (`aᵀ·s`).
pub trait MulTnRule<Rhs>: Sized {
    /// The type of `lhsᵀ · rhs`.
    type Output;
    /// `lhsᵀ · rhs`.
    fn mul_tn(&self, rhs: &Rhs) -> Self::Output;
    /// `l̄ += ∂(lᵀ·r)/∂l applied to ḡ`.
    fn pullback_lhs(g: &Self::Output, lhs: &Self, rhs: &Rhs, acc: &mut Option<Self>);
    /// `r̄ += ∂(lᵀ·r)/∂r applied to ḡ`.
    fn pullback_rhs(g: &Self::Output, lhs: &Self, rhs: &Rhs, acc: &mut Option<Rhs>);
}

impl<T: Scalar, K: Dim, M: Dim, N: Dim> MulTnRule<OMatrix<T, K, N>> for OMatrix<T, K, M>
where
    DefaultAllocator: Allocator<K, M> + Allocator<K, N> + Allocator<M, N>,
{
    type Output = OMatrix<T, M, N>;
    #[inline]
    #[track_caller]
    fn mul_tn(&self, b: &OMatrix<T, K, N>) -> OMatrix<T, M, N> {
        shape::multipliable((self.ncols(), self.nrows()), b.shape());
        let mut y = None;
        acc_tn(&mut y, self, b);
        y.unwrap_or_else(|| {
            crate::workspace::zeros_generic(self.shape_generic().1, b.shape_generic().1)
        })
    }
    /// `Ā += B·Ḡᵀ`.
    #[inline]
    fn pullback_lhs(g: &Self::Output, _a: &Self, b: &OMatrix<T, K, N>, acc: &mut Option<Self>) {
        acc_nt(acc, b, g)
    }
    /// `B̄ += A·Ḡ`.
    #[inline]
    fn pullback_rhs(
        g: &Self::Output,
        a: &Self,
        _b: &OMatrix<T, K, N>,
        acc: &mut Option<OMatrix<T, K, N>>,
    ) {
        acc_nn(acc, a, g)
    }
}

impl<T: Scalar, R: Dim, C: Dim> MulTnRule<T> for OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<C, R>,
{
    type Output = OMatrix<T, C, R>;
    #[inline]
    fn mul_tn(&self, s: &T) -> OMatrix<T, C, R> {
        self.transpose() * *s
    }
    /// `Ā += s·Ḡᵀ`.
    #[inline]
    fn pullback_lhs(g: &Self::Output, _a: &Self, s: &T, acc: &mut Option<Self>) {
        let mut gt = g.transpose();
        gt *= *s;
        crate::value::accumulate(acc, gt)
    }
    /// `s̄ += ⟨Ḡ, Aᵀ⟩`.
    #[inline]
    fn pullback_rhs(g: &Self::Output, a: &Self, _s: &T, acc: &mut Option<T>) {
        let c = g.dot(&a.transpose());
        accumulate_with(acc, || c, |x| *x += c)
    }
}

/// `lhsᵀ · rhs` without forming the transpose (`a.transpose() * b`, `a.tr_mul(&b)`).
///
/// # Panics
/// If the shapes do not fit.
#[inline]
#[track_caller]
pub fn mul_tn<L: MulTnRule<R>, R>(lhs: &L, rhs: &R) -> L::Output {
    lhs.mul_tn(rhs)
}

/// The pullback of [`mul_tn`] to its left operand.
#[inline]
pub fn mul_tn_pullback_lhs<L: MulTnRule<R>, R>(
    g: &L::Output,
    lhs: &L,
    rhs: &R,
    acc: &mut Option<L>,
) {
    L::pullback_lhs(g, lhs, rhs, acc)
}

/// The pullback of [`mul_tn`] to its right operand.
#[inline]
pub fn mul_tn_pullback_rhs<L: MulTnRule<R>, R>(
    g: &L::Output,
    lhs: &L,
    rhs: &R,
    acc: &mut Option<R>,
) {
    L::pullback_rhs(g, lhs, rhs, acc)
}

// ---------------------------------------------------------------- A·Bᵀ

/// `lhs · rhsᵀ`, with its two pullbacks: for a matrix `lhs`, and for a scalar (`s·bᵀ`).
pub trait MulNtRule<Rhs>: Sized {
    /// The type of `lhs · rhsᵀ`.
    type Output;
    /// `lhs · rhsᵀ`.
    fn mul_nt(&self, rhs: &Rhs) -> Self::Output;
    /// `l̄ += ∂(l·rᵀ)/∂l applied to ḡ`.
    fn pullback_lhs(g: &Self::Output, lhs: &Self, rhs: &Rhs, acc: &mut Option<Self>);
    /// `r̄ += ∂(l·rᵀ)/∂r applied to ḡ`.
    fn pullback_rhs(g: &Self::Output, lhs: &Self, rhs: &Rhs, acc: &mut Option<Rhs>);
}

impl<T: Scalar, M: Dim, K: Dim, N: Dim> MulNtRule<OMatrix<T, N, K>> for OMatrix<T, M, K>
where
    DefaultAllocator: Allocator<M, K> + Allocator<N, K> + Allocator<M, N>,
{
    type Output = OMatrix<T, M, N>;
    #[inline]
    #[track_caller]
    fn mul_nt(&self, b: &OMatrix<T, N, K>) -> OMatrix<T, M, N> {
        shape::multipliable(self.shape(), (b.ncols(), b.nrows()));
        let mut y = None;
        acc_nt(&mut y, self, b);
        y.unwrap_or_else(|| {
            crate::workspace::zeros_generic(self.shape_generic().0, b.shape_generic().0)
        })
    }
    /// `Ā += Ḡ·B`.
    #[inline]
    fn pullback_lhs(g: &Self::Output, _a: &Self, b: &OMatrix<T, N, K>, acc: &mut Option<Self>) {
        acc_nn(acc, g, b)
    }
    /// `B̄ += Ḡᵀ·A`.
    #[inline]
    fn pullback_rhs(
        g: &Self::Output,
        a: &Self,
        _b: &OMatrix<T, N, K>,
        acc: &mut Option<OMatrix<T, N, K>>,
    ) {
        acc_tn(acc, g, a)
    }
}

impl<T: Scalar, R: Dim, C: Dim> MulNtRule<OMatrix<T, R, C>> for T
where
    DefaultAllocator: Allocator<R, C> + Allocator<C, R>,
{
    type Output = OMatrix<T, C, R>;
    #[inline]
    fn mul_nt(&self, b: &OMatrix<T, R, C>) -> OMatrix<T, C, R> {
        b.transpose() * *self
    }
    /// `s̄ += ⟨Ḡ, Bᵀ⟩`.
    #[inline]
    fn pullback_lhs(g: &Self::Output, _s: &T, b: &OMatrix<T, R, C>, acc: &mut Option<T>) {
        let c = g.dot(&b.transpose());
        accumulate_with(acc, || c, |x| *x += c)
    }
    /// `B̄ += s·Ḡᵀ`.
    #[inline]
    fn pullback_rhs(
        g: &Self::Output,
        s: &T,
        _b: &OMatrix<T, R, C>,
        acc: &mut Option<OMatrix<T, R, C>>,
    ) {
        let mut gt = g.transpose();
        gt *= *s;
        crate::value::accumulate(acc, gt)
    }
}

/// `lhs · rhsᵀ` without forming the transpose (`a * b.transpose()`).
///
/// # Panics
/// If the shapes do not fit.
#[inline]
#[track_caller]
pub fn mul_nt<L: MulNtRule<R>, R>(lhs: &L, rhs: &R) -> L::Output {
    lhs.mul_nt(rhs)
}

/// The pullback of [`mul_nt`] to its left operand.
#[inline]
pub fn mul_nt_pullback_lhs<L: MulNtRule<R>, R>(
    g: &L::Output,
    lhs: &L,
    rhs: &R,
    acc: &mut Option<L>,
) {
    L::pullback_lhs(g, lhs, rhs, acc)
}

/// The pullback of [`mul_nt`] to its right operand.
#[inline]
pub fn mul_nt_pullback_rhs<L: MulNtRule<R>, R>(
    g: &L::Output,
    lhs: &L,
    rhs: &R,
    acc: &mut Option<R>,
) {
    L::pullback_rhs(g, lhs, rhs, acc)
}
