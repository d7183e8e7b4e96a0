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
    /// Sets the gradient's skipped fields to `self`'s ([`Differentiable::restore_skipped`]).
    fn restore_skipped_of(&self, gradient: &mut Self::Of);
    /// `self` with the skipped fields zeroed, as a direction of forward mode (borrowed as it
    /// is where the type has none).
    fn clean_direction(&self) -> std::borrow::Cow<'_, Self>
    where
        Self: ToOwned;
}

impl<V: Differentiable> Cotangent for V {
    type Of = V;
    fn zero_cotangent(&self) -> V {
        self.zeros_like()
    }
    fn cotangent_entries(&self) -> usize {
        self.entry_count()
    }
    fn restore_skipped_of(&self, gradient: &mut V) {
        if V::HAS_SKIPPED {
            gradient.restore_skipped(self);
        }
    }
    fn clean_direction(&self) -> std::borrow::Cow<'_, V> {
        if !V::HAS_SKIPPED {
            return std::borrow::Cow::Borrowed(self);
        }
        let mut clean = self.clone();
        clean.zero_skipped();
        std::borrow::Cow::Owned(clean)
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
    fn restore_skipped_of(&self, gradient: &mut Vec<V>) {
        if V::HAS_SKIPPED {
            gradient
                .iter_mut()
                .zip(self)
                .for_each(|(g, v)| g.restore_skipped(v));
        }
    }
    fn clean_direction(&self) -> std::borrow::Cow<'_, [V]> {
        if !V::HAS_SKIPPED {
            return std::borrow::Cow::Borrowed(self);
        }
        let mut clean = self.to_vec();
        clean.iter_mut().for_each(V::zero_skipped);
        std::borrow::Cow::Owned(clean)
    }
}

/// An empty adjoint slot for the parameter `_like`: `None`, meaning zero so far, of its
/// gradient's type.
#[inline]
pub fn param_slot<V: ?Sized + Cotangent>(_like: &V) -> Option<V::Of> {
    None
}

/// The finished gradient of a parameter: the slot's content, or zeros shaped like `primal`,
/// its skipped fields `primal`'s (a cotangent may have reached them through a field read).
#[inline]
pub fn finish<V: ?Sized + Cotangent>(slot: Option<V::Of>, primal: &V) -> V::Of {
    match slot {
        Some(mut g) => {
            primal.restore_skipped_of(&mut g);
            g
        }
        None => primal.zero_cotangent(),
    }
}

/// A direction of forward mode with its skipped fields zeroed: they are no part of the
/// tangent, whatever the caller left in them (`unflatten` and `zeros_like` copy the
/// parameter's).
#[inline]
pub fn clean_direction<V: ?Sized + Cotangent + ToOwned>(direction: &V) -> std::borrow::Cow<'_, V> {
    direction.clean_direction()
}

/// Zeroes `value` if its type is [`Differentiable`], through autoref specialisation: the
/// derive's `zero_skipped` calls `(&ZeroSkipped::new(&mut self.field)).zero()` on each skipped
/// field, which resolves to [`zero_skipped::OfDifferentiable`] when the field's type is
/// differentiable and to [`zero_skipped::OfOther`] (nothing to do) when it is not.
#[doc(hidden)]
pub struct ZeroSkipped<'a, T>(core::cell::Cell<Option<&'a mut T>>);

impl<'a, T> ZeroSkipped<'a, T> {
    pub fn new(value: &'a mut T) -> Self {
        ZeroSkipped(core::cell::Cell::new(Some(value)))
    }
}

/// The two methods [`ZeroSkipped`]'s `zero()` resolves to.
#[doc(hidden)]
pub mod zero_skipped {
    use super::{Differentiable, ZeroSkipped};

    /// A skipped field of a differentiable type: zeroed.
    pub trait OfDifferentiable {
        fn zero(&self);
    }
    impl<T: Differentiable> OfDifferentiable for ZeroSkipped<'_, T> {
        fn zero(&self) {
            if let Some(value) = self.0.take() {
                *value = value.zeros_like();
            }
        }
    }

    /// A skipped field of any other type (a count, a flag): left as it is.
    pub trait OfOther {
        fn zero(&self);
    }
    impl<T> OfOther for &ZeroSkipped<'_, T> {
        fn zero(&self) {}
    }
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
