//! A reusable workspace: the buffers of one gradient call, kept for the next, so that a
//! training loop's repeated calls allocate nothing once warm.
//!
//! `#[grad(w, workspace)]` generates `f_grad_with(&mut ws, ..)` beside `f_grad`. While it
//! runs, the workspace's pool is *installed* on the calling thread: the kernels take their
//! output buffers from it ([`take_vec`]), and the generated code gives each intermediate
//! value and cotangent back to it ([`Differentiable::recycle`]) when the value is dead. The
//! gradient itself is kept in the workspace and lent to the caller; its buffers go back to
//! the pool when the next call replaces it.
//!
//! Outside such a call nothing is installed: [`take_vec`] allocates and recycling drops, so
//! every kernel behaves exactly as without a workspace.

use crate::value::Scalar;
use crate::Differentiable;
use nalgebra::{allocator::Allocator, DefaultAllocator, Dim, Dyn, OMatrix, U1};
use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::mem::ManuallyDrop;

mod pool;
use pool::Pool;

/// The buffers of earlier gradient calls, and the gradient of the last one; pass the same
/// workspace to every call of a loop.
///
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
#[derive(Default)]
pub struct Workspace {
    pool: Pool,
    /// The gradients lent out, one per type (a workspace may serve several functions).
    kept: Vec<Box<dyn Any>>,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("free_buffers", &self.free_buffers())
            .field("kept", &self.kept.len())
            .finish()
    }
}

impl Workspace {
    /// An empty workspace: the first call allocates what later calls reuse.
    pub fn new() -> Workspace {
        Workspace::default()
    }

    /// The number of free buffers held for the next call.
    pub fn free_buffers(&self) -> usize {
        self.pool.f64s.len() + self.pool.f32s.len()
    }

    /// The bytes of the free buffers held for the next call.
    pub fn free_bytes(&self) -> usize {
        self.pool.f64s.capacity() * 8 + self.pool.f32s.capacity() * 4
    }

    /// Installs this workspace's pool on the calling thread until the guard drops (used by
    /// the generated `_grad_with`).
    #[doc(hidden)]
    pub fn install(&mut self) -> Installed<'_> {
        let previous = ACTIVE.with(|a| a.borrow_mut().replace(std::mem::take(&mut self.pool)));
        Installed {
            ws: Some(self),
            previous,
        }
    }
}

/// A workspace installed on this thread; its pool goes back to it when this drops.
#[doc(hidden)]
pub struct Installed<'w> {
    /// `None` once uninstalled.
    ws: Option<&'w mut Workspace>,
    /// What was installed before (a `_grad_with` called inside another's).
    previous: Option<Pool>,
}

impl<'w> Installed<'w> {
    /// The gradient of type `G` the last call kept, taken out of the workspace (the generated
    /// code recycles its fields before it computes the next).
    pub fn take_kept<G: 'static>(&mut self) -> Option<G> {
        self.ws
            .as_mut()?
            .kept
            .iter_mut()
            .find_map(|k| k.downcast_mut::<Option<G>>())
            .and_then(Option::take)
    }

    /// Uninstalls the pool and keeps `grad` in the workspace, lent to the caller.
    pub fn keep<G: 'static>(mut self, grad: G) -> &'w G {
        let ws = self
            .uninstall()
            .expect("matgrad: a workspace installed once");
        let i = match ws.kept.iter().position(|k| k.is::<Option<G>>()) {
            Some(i) => i,
            None => {
                ws.kept.push(Box::new(None::<G>));
                ws.kept.len() - 1
            }
        };
        let slot = ws.kept[i]
            .downcast_mut::<Option<G>>()
            .expect("matgrad: the workspace's slot of this gradient type");
        slot.insert(grad)
    }

    /// Gives the pool back to the workspace, and the workspace to the caller.
    fn uninstall(&mut self) -> Option<&'w mut Workspace> {
        let ws = self.ws.take()?;
        let previous = self.previous.take();
        let mut pool = ACTIVE
            .with(|a| std::mem::replace(&mut *a.borrow_mut(), previous))
            .unwrap_or_default();
        pool.end_call();
        ws.pool = pool;
        Some(ws)
    }
}

impl Drop for Installed<'_> {
    fn drop(&mut self) {
        self.uninstall();
    }
}

thread_local! {
    /// The pool of the workspace installed on this thread, if any.
    static ACTIVE: RefCell<Option<Pool>> = const { RefCell::new(None) };
}

/// `Vec<A>` as `Vec<B>` when they are the same type.
fn cast_vec<A: 'static, B: 'static>(v: Vec<A>) -> Result<Vec<B>, Vec<A>> {
    if TypeId::of::<A>() == TypeId::of::<B>() {
        let mut v = ManuallyDrop::new(v);
        // SAFETY: A and B are one type, so the layout and the allocation are B's.
        Ok(unsafe { Vec::from_raw_parts(v.as_mut_ptr().cast::<B>(), v.len(), v.capacity()) })
    } else {
        Err(v)
    }
}

/// An empty buffer with room for `len` entries: from the installed workspace's pool if it
/// has one, else newly allocated.
#[inline]
pub fn take_vec<T: 'static>(len: usize) -> Vec<T> {
    let pooled = if TypeId::of::<T>() == TypeId::of::<f64>() {
        ACTIVE
            .with(|a| a.borrow_mut().as_mut()?.f64s.take(len))
            .and_then(|v| cast_vec::<f64, T>(v).ok())
    } else if TypeId::of::<T>() == TypeId::of::<f32>() {
        ACTIVE
            .with(|a| a.borrow_mut().as_mut()?.f32s.take(len))
            .and_then(|v| cast_vec::<f32, T>(v).ok())
    } else {
        None
    };
    match pooled {
        Some(mut v) => {
            v.clear();
            v
        }
        None => Vec::with_capacity(len),
    }
}

/// A copy of `xs` in a buffer from [`take_vec`].
#[inline]
pub fn copy_vec<T: Copy + 'static>(xs: &[T]) -> Vec<T> {
    let mut v = take_vec(xs.len());
    v.extend_from_slice(xs);
    v
}

/// `len` copies of `value` in a buffer from [`take_vec`].
#[inline]
pub fn filled_vec<T: Copy + 'static>(len: usize, value: T) -> Vec<T> {
    let mut v = take_vec(len);
    v.resize(len, value);
    v
}

/// Gives `v`'s buffer to the installed workspace's pool, or drops it when none is installed.
#[inline]
pub fn recycle_vec<T: 'static>(v: Vec<T>) {
    if v.capacity() == 0 {
        return;
    }
    let v = match cast_vec::<T, f64>(v) {
        Ok(v) => return give(|p| p.f64s.give(v)),
        Err(v) => v,
    };
    if let Ok(v) = cast_vec::<T, f32>(v) {
        give(|p| p.f32s.give(v))
    }
}

/// `f` of the installed pool; nothing when none is installed (the buffer `f` owns drops).
fn give(f: impl FnOnce(&mut Pool)) {
    ACTIVE.with(|a| {
        if let Some(p) = a.borrow_mut().as_mut() {
            f(p)
        }
    })
}

/// Whether a matrix of these dimensions keeps its entries on the heap (a dimension is
/// dynamic): only those are pooled.
#[inline]
fn on_heap<R: Dim, C: Dim>() -> bool {
    R::try_to_usize().is_none() || C::try_to_usize().is_none()
}

/// The matrix of shape `(r, c)` with the given entries, in a buffer from [`take_vec`] when
/// it lives on the heap: `entry(s)` for each entry `s` in storage order.
#[inline]
pub fn matrix_from_entries<T: Scalar, R: Dim, C: Dim>(
    r: R,
    c: C,
    entries: impl Iterator<Item = T>,
) -> OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    let len = r.value() * c.value();
    let mut v = if on_heap::<R, C>() {
        take_vec(len)
    } else {
        Vec::with_capacity(len)
    };
    v.extend(entries);
    OMatrix::from_vec_generic(r, c, v)
}

/// A matrix of zeros of shape `(r, c)`, its buffer from [`take_vec`] when it lives on the
/// heap.
#[inline]
pub fn zeros_generic<T: Scalar, R: Dim, C: Dim>(r: R, c: C) -> OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    if on_heap::<R, C>() {
        OMatrix::from_vec_generic(
            r,
            c,
            filled_vec(r.value() * c.value(), nalgebra::zero::<T>()),
        )
    } else {
        OMatrix::zeros_generic(r, c)
    }
}

/// A copy of `m`, its buffer from [`take_vec`] when it lives on the heap.
#[inline]
pub fn clone_matrix<T: Scalar, R: Dim, C: Dim>(m: &OMatrix<T, R, C>) -> OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    if on_heap::<R, C>() {
        let (r, c) = m.shape_generic();
        matrix_from_entries(r, c, m.as_slice().iter().cloned())
    } else {
        m.clone()
    }
}

/// Gives a heap matrix's buffer to the installed pool (dense `DMatrix`, `DVector` and
/// `RowDVector`; others drop).
pub(crate) fn recycle_matrix<T: Scalar, R: Dim, C: Dim>(m: OMatrix<T, R, C>)
where
    DefaultAllocator: Allocator<R, C>,
{
    if !on_heap::<R, C>() {
        return;
    }
    let mut m = Some(m);
    let any = &mut m as &mut dyn Any;
    let v: Vec<T> = if let Some(x) = any.downcast_mut::<Option<OMatrix<T, Dyn, Dyn>>>() {
        x.take().map(|x| x.data.into())
    } else if let Some(x) = any.downcast_mut::<Option<OMatrix<T, Dyn, U1>>>() {
        x.take().map(|x| x.data.into())
    } else if let Some(x) = any.downcast_mut::<Option<OMatrix<T, U1, Dyn>>>() {
        x.take().map(|x| x.data.into())
    } else {
        None
    }
    .unwrap_or_default();
    recycle_vec(v)
}

/// Gives a dead value's buffers to the installed workspace's pool (the generated code calls
/// it where an intermediate value or cotangent is no longer read).
#[inline]
pub fn recycle<V: Differentiable>(v: V) {
    v.recycle()
}

/// `v` copied into a buffer from the installed workspace ([`Differentiable::clone_pooled`]).
#[inline]
pub fn clone_pooled<V: Differentiable>(v: &V) -> V {
    v.clone_pooled()
}

/// [`recycle`] of each cotangent of a loop's deferred products, and of each operand copy.
pub fn recycle_pairs<G: Differentiable, R: Differentiable>(pairs: Vec<(G, crate::Kept<'_, R>)>) {
    for (g, kept) in pairs {
        g.recycle();
        if let crate::Kept::Owned(r) = kept {
            r.recycle();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::DMatrix;

    #[test]
    fn a_recycled_buffer_is_taken_again_while_installed() {
        let mut ws = Workspace::new();
        let ptr = {
            let _on = ws.install();
            let m = DMatrix::from_vec(3, 4, filled_vec(12, 1.0));
            let ptr = m.as_ptr();
            recycle(m);
            let again: Vec<f64> = take_vec(10);
            assert_eq!(again.as_ptr(), ptr, "a fitting buffer is reused");
            assert!(again.is_empty() && again.capacity() >= 12);
            recycle_vec(again);
            ptr
        };
        assert_eq!(ws.free_buffers(), 1);
        assert_eq!(ws.free_bytes(), 12 * 8);
        // Not installed: a new buffer, and recycling drops.
        let v: Vec<f64> = take_vec(12);
        assert_ne!(v.as_ptr(), ptr);
        recycle_vec(v);
        assert_eq!(ws.free_buffers(), 1);
    }

    #[test]
    fn a_kept_gradient_is_taken_back_by_the_next_call() {
        let mut ws = Workspace::new();
        let g = ws
            .install()
            .keep(DMatrix::from_vec(2, 2, filled_vec(4, 3.0)));
        assert_eq!(g[(1, 1)], 3.0);
        assert_eq!(ws.free_buffers(), 0);
        let mut on = ws.install();
        let old = on.take_kept::<DMatrix<f64>>().expect("the kept gradient");
        let ptr = old.as_ptr();
        recycle(old);
        assert!(on.take_kept::<DMatrix<f64>>().is_none());
        let mut v: Vec<f64> = take_vec(4);
        assert_eq!(v.as_ptr(), ptr, "the kept gradient's buffer is reused");
        v.resize(4, 5.0);
        let g = on.keep(DMatrix::from_vec(2, 2, v));
        assert_eq!(g[(0, 0)], 5.0);
    }

    #[test]
    fn other_scalars_are_not_pooled() {
        let mut ws = Workspace::new();
        let _on = ws.install();
        recycle_vec(vec![1u8, 2, 3]);
        let v: Vec<u8> = take_vec(3);
        assert_eq!(v.capacity(), 3);
    }
}
