//! What generated code calls on [`Differentiable`] values: the derive's field visits and
//! sums, the gradients of parameters (a `Vec` for a slice), the pullback of a place inside a
//! parameter, and the compile-time check that a place read where no derivative flows is a
//! constant.

use super::{Differentiable, Leaf};

/// Visits a struct field's leaves under `path.name` (`name` alone at the top): what
/// `#[derive(Differentiable)]` generates for each field.
#[doc(hidden)]
pub fn visit_field<'a, V: Differentiable>(
    field: &'a V,
    name: &str,
    path: &mut String,
    f: &mut dyn FnMut(&str, Leaf<'a, V::Scalar>),
) {
    let len = path.len();
    if len > 0 {
        path.push('.');
    }
    path.push_str(name);
    field.visit_named(path, f);
    path.truncate(len);
}

/// `Σ values` for the `Sum` of a derived type: the first value plus the others.
///
/// # Panics
/// If `values` is empty: a sum of no values has no shape.
#[doc(hidden)]
pub fn sum_values<V: Differentiable>(mut values: impl Iterator<Item = V>) -> V {
    let Some(mut total) = values.next() else {
        panic!("sum: no values to add (a sum of none has no shape; start from zeros_like)")
    };
    values.for_each(|v| total.add_assign(&v));
    total
}

/// What a differentiated parameter's gradient is: a value of the parameter's own type, or a
/// `Vec<V>` for a slice `[V]`.
pub trait Cotangent {
    /// The gradient's type.
    type Of: Differentiable;
    /// The zero gradient, shaped like `self`.
    fn zero_cotangent(&self) -> Self::Of;
    /// The number of entries of the gradient.
    fn cotangent_entries(&self) -> usize;
}

impl<V: Differentiable> Cotangent for V {
    type Of = V;
    fn zero_cotangent(&self) -> V {
        self.zeros_like()
    }
    fn cotangent_entries(&self) -> usize {
        self.entry_count()
    }
}

impl<V: Differentiable> Cotangent for [V] {
    type Of = Vec<V>;
    fn zero_cotangent(&self) -> Vec<V> {
        self.iter().map(Differentiable::zeros_like).collect()
    }
    fn cotangent_entries(&self) -> usize {
        self.iter().map(Differentiable::entry_count).sum()
    }
}

/// An empty adjoint slot for the parameter `_like`: `None`, meaning zero so far, of its
/// gradient's type.
#[inline]
pub fn param_slot<V: ?Sized + Cotangent>(_like: &V) -> Option<V::Of> {
    None
}

/// The finished gradient of a parameter: the slot's content, or zeros shaped like `primal`.
#[inline]
pub fn finish<V: ?Sized + Cotangent>(slot: Option<V::Of>, primal: &V) -> V::Of {
    slot.unwrap_or_else(|| primal.zero_cotangent())
}

/// `slot.place += ḡ`: the cotangent of a place inside a differentiated parameter (a field, an
/// element), added to that place of the parameter's cotangent (zeros where it has none yet).
#[inline]
pub fn project_pullback<B: ?Sized + Cotangent, F: Differentiable>(
    g: F,
    base: &B,
    slot: &mut Option<B::Of>,
    place: impl FnOnce(&mut B::Of) -> &mut F,
) {
    let acc = slot.get_or_insert_with(|| base.zero_cotangent());
    Differentiable::add_assign(place(acc), &g);
}

/// A place inside a differentiated parameter that the function reads where no derivative can
/// flow (a loop's range, an expression `#[grad]` keeps as written): the generated code calls
/// [`read_as_constant`] on `(&ConstantRead(&place)).kind()`, which is a compile error when
/// the place's type is [`Differentiable`] (autoref specialisation picks the method).
#[doc(hidden)]
pub struct ConstantRead<'a, T: ?Sized>(pub &'a T);

/// The two methods [`ConstantRead`]'s `kind()` resolves to.
#[doc(hidden)]
pub mod constant_read {
    use super::{ConstantRead, Differentiable};

    /// The read of a value of a `Differentiable` type.
    pub struct Differentiated;
    /// The read of a value of any other type.
    pub struct Constant;

    /// Chosen first, when the type is `Differentiable`.
    pub trait OfDifferentiable {
        fn kind(&self) -> Differentiated {
            Differentiated
        }
    }
    impl<T: Differentiable> OfDifferentiable for ConstantRead<'_, T> {}

    /// Chosen otherwise (one more autoref).
    pub trait OfConstant {
        fn kind(&self) -> Constant {
            Constant
        }
    }
    impl<T: ?Sized> OfConstant for &ConstantRead<'_, T> {}

    /// What [`read_as_constant`](super::read_as_constant) accepts.
    #[diagnostic::on_unimplemented(
        message = "this field or element is differentiable, but it is read here where `#[grad]` cannot differentiate it",
        label = "read where no derivative flows (a loop's range, a cast, an expression kept as written)",
        note = "compute with it through supported operations, and iterate a collection inside a parameter with `.iter()`, `.iter().rev()`, `.iter().enumerate()` or `.iter().zip(..)`; only a constant (a count, a flag) may be read here"
    )]
    pub trait NotDifferentiated {}
    impl NotDifferentiated for Constant {}
}

/// Compiles only for the read of a value whose type is not [`Differentiable`].
#[doc(hidden)]
#[inline(always)]
pub fn read_as_constant<K: constant_read::NotDifferentiated>(_kind: K) {}
