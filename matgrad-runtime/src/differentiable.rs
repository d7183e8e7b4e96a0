//! [`Differentiable`]: values whose gradient has their own type and shape (floats, nalgebra
//! matrices, `Vec`s and arrays of them, and structs that derive it), seen as vectors of
//! their entries, as JAX sees a pytree.

use crate::value::Scalar;
#[allow(unused_imports)]
use nalgebra::ComplexField as _;
use nalgebra::{allocator::Allocator, DMatrixView, DVector, DefaultAllocator, Dim, OMatrix};

/// One block of entries of a [`Differentiable`] value: a float or a matrix, column-major.
#[derive(Clone, Copy, Debug)]
pub struct Leaf<'a, T> {
    /// `(rows, columns)`; `(1, 1)` for a float.
    pub shape: (usize, usize),
    /// The entries, column-major.
    pub entries: &'a [T],
}

impl<'a, T: Scalar> Leaf<'a, T> {
    /// The entries as a matrix view of the leaf's shape.
    pub fn matrix(&self) -> DMatrixView<'a, T> {
        DMatrixView::from_slice(self.entries, self.shape.0, self.shape.1)
    }
}

/// One block of entries of a [`Differentiable`] value, writable.
#[derive(Debug)]
pub struct LeafMut<'a, T> {
    /// `(rows, columns)`; `(1, 1)` for a float.
    pub shape: (usize, usize),
    /// The entries, column-major.
    pub entries: &'a mut [T],
}

/// A value whose gradient has its own type and shape: a vector of its entries, in a fixed
/// order, with the vector-space operations on it.
///
/// Implemented for `f32`, `f64`, owned nalgebra matrices and vectors (dynamic or static),
/// `Vec<V>` and `[V; N]` of them, and structs with
/// `#[derive(matgrad::Differentiable)]`, whose fields are visited in declaration order
/// (fields marked `#[differentiable(skip)]` are left out: they keep their value in
/// gradients, and take no part in the operations). A `#[grad]` parameter of such a type gets
/// a gradient of the same type.
///
/// The required methods visit the value's [leaves](Leaf) (its floats and matrices); every
/// other method is built on them. Operations on two values panic when their leaves differ in
/// number or shape, naming the operation, the leaf's path and both shapes.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not `Differentiable`",
    label = "not a float, an owned nalgebra matrix, or a struct deriving `Differentiable`",
    note = "a struct of parameters derives it: `#[derive(Clone, matgrad::Differentiable)]`; a field that is not a parameter is marked `#[differentiable(skip)]`"
)]
pub trait Differentiable: Clone {
    /// The float type of the entries.
    type Scalar: Scalar;

    /// Calls `f` with each leaf, in order.
    fn visit<'a>(&'a self, f: &mut dyn FnMut(Leaf<'a, Self::Scalar>));

    /// Calls `f` with each leaf, writable, in the order of [`Differentiable::visit`].
    fn visit_mut<'a>(&'a mut self, f: &mut dyn FnMut(LeafMut<'a, Self::Scalar>));

    /// Calls `f` with each leaf and its path below `path` (`w1`, `layers[2].w`, `0`: field
    /// names, indices, tuple positions), in the order of [`Differentiable::visit`]; `path`
    /// is left as it was.
    fn visit_named<'a>(
        &'a self,
        path: &mut String,
        f: &mut dyn FnMut(&str, Leaf<'a, Self::Scalar>),
    );

    /// The leaves, in order.
    fn leaves(&self) -> Vec<Leaf<'_, Self::Scalar>> {
        let mut out = Vec::new();
        self.visit(&mut |leaf| out.push(leaf));
        out
    }

    /// The leaves, writable, in order.
    fn leaves_mut(&mut self) -> Vec<LeafMut<'_, Self::Scalar>> {
        let mut out = Vec::new();
        self.visit_mut(&mut |leaf| out.push(leaf));
        out
    }

    /// The leaves with their paths (`("layers[0].w", leaf)`), for logging.
    fn named_leaves(&self) -> Vec<(String, Leaf<'_, Self::Scalar>)> {
        let mut out = Vec::new();
        self.visit_named(&mut String::new(), &mut |path, leaf| {
            out.push((path.to_string(), leaf))
        });
        out
    }

    /// The number of entries over all leaves: the length of [`Differentiable::to_flat`].
    fn entry_count(&self) -> usize {
        let mut n = 0;
        self.visit(&mut |leaf| n += leaf.entries.len());
        n
    }

    /// Every entry set to `value`.
    fn fill(&mut self, value: Self::Scalar) {
        self.visit_mut(&mut |leaf| leaf.entries.fill(value));
    }

    /// Whether a value of this type may hold skipped fields (`#[differentiable(skip)]`),
    /// itself or in a field or element: the derive says so, collections ask their elements.
    const HAS_SKIPPED: bool = false;

    /// Zeroes the skipped fields of `self` whose types are differentiable, itself and in every
    /// field and element: a direction's skipped fields are no part of the tangent.
    fn zero_skipped(&mut self) {}

    /// Sets the skipped fields of `self`, itself and in every field and element, to `from`'s:
    /// a gradient's skipped fields keep the parameter's value.
    fn restore_skipped(&mut self, _from: &Self) {}

    /// A value of the same shape with every entry 0 (skipped fields keep their value).
    fn zeros_like(&self) -> Self {
        let mut zero = self.clone();
        zero.fill(nalgebra::zero::<Self::Scalar>());
        zero
    }

    /// `self += other`, entry by entry.
    fn add_assign(&mut self, other: &Self) {
        zip_entries(self, other, "add_assign", |a, b| *a += b);
    }

    /// `self −= other`, entry by entry.
    fn sub_assign(&mut self, other: &Self) {
        zip_entries(self, other, "sub_assign", |a, b| *a -= b);
    }

    /// `self += a·x`, entry by entry.
    fn axpy(&mut self, a: Self::Scalar, x: &Self) {
        zip_entries(self, x, "axpy", |s, v| *s += a * v);
    }

    /// `self *= a`, entry by entry.
    fn scale_mut(&mut self, a: Self::Scalar) {
        self.visit_mut(&mut |leaf| leaf.entries.iter_mut().for_each(|v| *v *= a));
    }

    /// Gives this value's buffers to the workspace installed on this thread, if any, for the
    /// next computation to reuse (see [`Workspace`](crate::Workspace)); else drops it. A
    /// matrix on the heap gives its entries' buffer, a collection its elements'; other values
    /// just drop.
    fn recycle(self)
    where
        Self: Sized,
    {
    }

    /// A copy, in a buffer from the workspace installed on this thread if there is one (see
    /// [`Workspace`](crate::Workspace)); a plain clone for values other than matrices.
    fn clone_pooled(&self) -> Self
    where
        Self: Sized,
    {
        self.clone()
    }

    /// `a·self`.
    fn scaled(&self, a: Self::Scalar) -> Self {
        let mut out = self.clone();
        out.scale_mut(a);
        out
    }

    /// `⟨self, other⟩ = Σᵢ selfᵢ·otherᵢ` over every entry.
    fn dot(&self, other: &Self) -> Self::Scalar {
        let (a, b) = (self.leaves(), other.leaves());
        check_shapes(self, other, &a, &b, "dot");
        let pairs = a
            .iter()
            .zip(&b)
            .flat_map(|(x, y)| x.entries.iter().zip(y.entries));
        pairs.fold(nalgebra::zero::<Self::Scalar>(), |acc, (x, y)| {
            acc + *x * *y
        })
    }

    /// `‖self‖² = Σᵢ selfᵢ²`.
    fn norm_squared(&self) -> Self::Scalar {
        let mut sum = nalgebra::zero::<Self::Scalar>();
        self.visit(&mut |leaf| leaf.entries.iter().for_each(|v| sum += *v * *v));
        sum
    }

    /// `‖self‖`, the Euclidean norm over every entry.
    fn norm(&self) -> Self::Scalar {
        self.norm_squared().sqrt()
    }

    /// Every entry in one vector, leaves in order, each column-major.
    fn to_flat(&self) -> DVector<Self::Scalar> {
        let mut out = Vec::with_capacity(self.entry_count());
        self.visit(&mut |leaf| out.extend_from_slice(leaf.entries));
        DVector::from_vec(out)
    }

    /// A value of `self`'s shape with the entries of `flat` (in [`Differentiable::to_flat`]'s
    /// order).
    ///
    /// # Panics
    /// If `flat`'s length is not [`Differentiable::entry_count`].
    fn unflatten(&self, flat: &DVector<Self::Scalar>) -> Self {
        let n = self.entry_count();
        assert!(
            flat.len() == n,
            "unflatten: the vector has {} entries, the value {n}",
            flat.len()
        );
        let mut out = self.clone();
        let mut rest = flat.as_slice();
        out.visit_mut(&mut |leaf| {
            let (head, tail) = rest.split_at(leaf.entries.len());
            leaf.entries.copy_from_slice(head);
            rest = tail;
        });
        out
    }
}

/// Panics, naming `op`, the first leaf where `a` and `b` differ and both shapes, if their
/// leaves differ in number or shape.
fn check_shapes<V: Differentiable>(
    a: &V,
    b: &V,
    la: &[Leaf<'_, V::Scalar>],
    lb: &[Leaf<'_, V::Scalar>],
    op: &str,
) {
    let differs = la.len() != lb.len() || la.iter().zip(lb).any(|(x, y)| x.shape != y.shape);
    if !differs {
        return;
    }
    let (na, nb) = (a.named_leaves(), b.named_leaves());
    for ((pa, x), (pb, y)) in na.iter().zip(&nb) {
        if pa != pb {
            panic!(
                "{op}: the values differ in structure: `{}` in one where the other has `{}` (a Vec of another length?)",
                display_path(pa),
                display_path(pb)
            );
        }
        if x.shape != y.shape {
            panic!(
                "{op}: `{}` is {}×{} in one value and {}×{} in the other",
                display_path(pa),
                x.shape.0,
                x.shape.1,
                y.shape.0,
                y.shape.1
            );
        }
    }
    panic!(
        "{op}: the values have {} and {} leaves (a Vec of another length?)",
        la.len(),
        lb.len()
    );
}

fn display_path(path: &str) -> &str {
    if path.is_empty() {
        "the value"
    } else {
        path
    }
}

/// `f(aᵢ, bᵢ)` for every entry pair, after checking the shapes (panics naming `op`).
fn zip_entries<V: Differentiable>(
    a: &mut V,
    b: &V,
    op: &str,
    mut f: impl FnMut(&mut V::Scalar, V::Scalar),
) {
    let lb = b.leaves();
    {
        let la = a.leaves();
        check_shapes(a, b, &la, &lb, op);
    }
    let mut k = 0;
    a.visit_mut(&mut |leaf| {
        for (x, y) in leaf.entries.iter_mut().zip(lb[k].entries) {
            f(x, *y);
        }
        k += 1;
    });
}

/// `f32` and `f64`: one leaf of one entry.
macro_rules! float_differentiable {
    ($($t:ty),*) => {$(
        impl Differentiable for $t {
            type Scalar = $t;
            fn visit<'a>(&'a self, f: &mut dyn FnMut(Leaf<'a, $t>)) {
                f(Leaf {
                    shape: (1, 1),
                    entries: std::slice::from_ref(self),
                });
            }
            fn visit_mut<'a>(&'a mut self, f: &mut dyn FnMut(LeafMut<'a, $t>)) {
                f(LeafMut {
                    shape: (1, 1),
                    entries: std::slice::from_mut(self),
                });
            }
            fn visit_named<'a>(&'a self, path: &mut String, f: &mut dyn FnMut(&str, Leaf<'a, $t>)) {
                f(
                    path,
                    Leaf {
                        shape: (1, 1),
                        entries: std::slice::from_ref(self),
                    },
                );
            }
            fn zeros_like(&self) -> $t {
                0.0
            }
            fn add_assign(&mut self, other: &$t) {
                *self += *other;
            }
            fn axpy(&mut self, a: $t, x: &$t) {
                *self += a * *x;
            }
            fn scaled(&self, a: $t) -> $t {
                a * *self
            }
        }
    )*};
}
float_differentiable!(f32, f64);

impl<T: Scalar, R: Dim, C: Dim> Differentiable for OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    type Scalar = T;
    fn visit<'a>(&'a self, f: &mut dyn FnMut(Leaf<'a, T>)) {
        f(Leaf {
            shape: self.shape(),
            entries: self.as_slice(),
        });
    }
    fn visit_mut<'a>(&'a mut self, f: &mut dyn FnMut(LeafMut<'a, T>)) {
        let shape = self.shape();
        f(LeafMut {
            shape,
            entries: self.as_mut_slice(),
        });
    }
    fn visit_named<'a>(&'a self, path: &mut String, f: &mut dyn FnMut(&str, Leaf<'a, T>)) {
        f(
            path,
            Leaf {
                shape: self.shape(),
                entries: self.as_slice(),
            },
        );
    }
    fn zeros_like(&self) -> Self {
        let (r, c) = self.shape_generic();
        crate::workspace::zeros_generic(r, c)
    }
    fn recycle(self) {
        crate::workspace::recycle_matrix(self)
    }
    fn clone_pooled(&self) -> Self {
        crate::workspace::clone_matrix(self)
    }
    #[track_caller]
    fn add_assign(&mut self, other: &Self) {
        crate::shape::same("+=", self.shape(), other.shape());
        for (s, o) in self.as_mut_slice().iter_mut().zip(other.as_slice()) {
            *s += *o;
        }
    }
    #[track_caller]
    fn axpy(&mut self, a: T, x: &Self) {
        crate::shape::same("+=", self.shape(), x.shape());
        for (s, xi) in self.as_mut_slice().iter_mut().zip(x.as_slice()) {
            *s += a * *xi;
        }
    }
    fn scaled(&self, a: T) -> Self {
        let (r, c) = self.shape_generic();
        crate::workspace::matrix_from_entries(r, c, self.as_slice().iter().map(|v| a * *v))
    }
}

/// Visits the elements of a sequence under `path[i]`.
fn visit_named_elements<'a, V: Differentiable>(
    items: &'a [V],
    path: &mut String,
    f: &mut dyn FnMut(&str, Leaf<'a, V::Scalar>),
) {
    let len = path.len();
    for (i, item) in items.iter().enumerate() {
        use std::fmt::Write as _;
        let _ = write!(path, "[{i}]");
        item.visit_named(path, f);
        path.truncate(len);
    }
}

/// `Differentiable` for a collection of differentiable elements (`Vec<V>`, `[V; N]`): each
/// method is the elements' in turn.
macro_rules! collection_impl {
    ([$($generics:tt)*] $ty:ty) => {
        impl<$($generics)*> Differentiable for $ty {
            type Scalar = V::Scalar;
            const HAS_SKIPPED: bool = V::HAS_SKIPPED;
            fn zero_skipped(&mut self) {
                if V::HAS_SKIPPED {
                    self.iter_mut().for_each(V::zero_skipped);
                }
            }
            fn restore_skipped(&mut self, from: &Self) {
                if V::HAS_SKIPPED {
                    self.iter_mut()
                        .zip(from)
                        .for_each(|(x, f)| x.restore_skipped(f));
                }
            }
            fn recycle(self) {
                self.into_iter().for_each(V::recycle);
            }
            fn visit<'a>(&'a self, f: &mut dyn FnMut(Leaf<'a, V::Scalar>)) {
                self.iter().for_each(|item| item.visit(f));
            }
            fn visit_mut<'a>(&'a mut self, f: &mut dyn FnMut(LeafMut<'a, V::Scalar>)) {
                self.iter_mut().for_each(|item| item.visit_mut(f));
            }
            fn visit_named<'a>(
                &'a self,
                path: &mut String,
                f: &mut dyn FnMut(&str, Leaf<'a, V::Scalar>),
            ) {
                visit_named_elements(self, path, f);
            }
        }
    };
}

collection_impl!([V: Differentiable] Vec<V>);
collection_impl!([V: Differentiable, const N: usize] [V; N]);

mod generated;
pub use generated::*;

#[cfg(test)]
mod tests;
