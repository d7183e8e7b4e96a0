//! The values `#[grad]` differentiates, and the adjoint slots its generated code accumulates into.

use crate::Differentiable;
#[allow(unused_imports)]
use nalgebra::ComplexField as _;
use nalgebra::{allocator::Allocator, DefaultAllocator, Dim, OMatrix, RealField};

/// A float scalar that `#[grad]` code computes with: `f32` or `f64`.
///
/// Generic functions (`fn f<T: RealField>(..)`) get the bound `T: Scalar` added to their
/// generated companions by the macro.
pub trait Scalar: RealField + Copy + std::fmt::LowerExp + Differentiable<Scalar = Self> {
    /// The machine epsilon: the gap between 1 and the next representable number.
    const EPSILON: Self;
}
impl Scalar for f32 {
    const EPSILON: f32 = f32::EPSILON;
}
impl Scalar for f64 {
    const EPSILON: f64 = f64::EPSILON;
}

/// A dense value the kernels compute with: a [`Scalar`] or an owned nalgebra matrix, whose
/// gradient has its own type.
///
/// Entries are numbered in nalgebra's storage order (column-major); a scalar has one entry.
/// Every `Dense` type is also [`Differentiable`](crate::Differentiable) (one leaf), the trait
/// of everything a gradient can have the type of, structs and `Vec`s included.
pub trait Dense: Differentiable {
    /// `(rows, columns)`; `(1, 1)` for a scalar.
    fn shape(&self) -> (usize, usize);
    /// The number of entries.
    fn len(&self) -> usize {
        let (r, c) = self.shape();
        r * c
    }
    /// Whether there are no entries (a 0×n matrix).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Entry `i` in storage order.
    fn entry(&self, i: usize) -> Self::Scalar;
    /// A mutable reference to entry `i` in storage order.
    fn entry_mut(&mut self, i: usize) -> &mut Self::Scalar;
    /// The entries in storage order.
    fn entries(&self) -> &[Self::Scalar];
    /// The entries in storage order, mutable.
    fn entries_mut(&mut self) -> &mut [Self::Scalar];
    /// `yₛ = f(s, xₛ)` for every entry `s` (storage order) of a new value of this shape, each
    /// entry written once (not copied first and then overwritten).
    fn map_entries(&self, f: impl FnMut(usize, Self::Scalar) -> Self::Scalar) -> Self;
    /// `zₛ = f(xₛ, yₛ)` for every entry of a new value of this shape (`other`'s too), each
    /// entry written once.
    fn zip_entries(
        &self,
        other: &Self,
        f: impl Fn(Self::Scalar, Self::Scalar) -> Self::Scalar,
    ) -> Self;
    /// A value of this one's shape with the given entries (storage order).
    ///
    /// # Panics
    /// If there are not as many entries as `self` has.
    fn with_entries(&self, entries: Vec<Self::Scalar>) -> Self;
}

impl<T: Scalar> Dense for T {
    fn shape(&self) -> (usize, usize) {
        (1, 1)
    }
    fn entry(&self, i: usize) -> T {
        assert_eq!(i, 0, "matgrad: a scalar has one entry, asked for entry {i}");
        *self
    }
    fn entry_mut(&mut self, i: usize) -> &mut T {
        assert_eq!(i, 0, "matgrad: a scalar has one entry, asked for entry {i}");
        self
    }
    fn entries(&self) -> &[T] {
        std::slice::from_ref(self)
    }
    fn entries_mut(&mut self) -> &mut [T] {
        std::slice::from_mut(self)
    }
    fn map_entries(&self, mut f: impl FnMut(usize, T) -> T) -> T {
        f(0, *self)
    }
    fn zip_entries(&self, other: &T, f: impl Fn(T, T) -> T) -> T {
        f(*self, *other)
    }
    fn with_entries(&self, entries: Vec<T>) -> T {
        assert_eq!(entries.len(), 1, "matgrad: a scalar has one entry");
        entries[0]
    }
}

impl<T: Scalar, R: Dim, C: Dim> Dense for OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    fn shape(&self) -> (usize, usize) {
        nalgebra::Matrix::shape(self)
    }
    fn entry(&self, i: usize) -> T {
        self[i]
    }
    fn entry_mut(&mut self, i: usize) -> &mut T {
        &mut self[i]
    }
    fn entries(&self) -> &[T] {
        self.as_slice()
    }
    fn entries_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
    fn map_entries(&self, mut f: impl FnMut(usize, T) -> T) -> Self {
        let (r, c) = self.shape_generic();
        let entries = self.as_slice().iter().enumerate().map(|(s, v)| f(s, *v));
        crate::workspace::matrix_from_entries(r, c, entries)
    }
    fn zip_entries(&self, other: &Self, f: impl Fn(T, T) -> T) -> Self {
        let (r, c) = self.shape_generic();
        let entries = self
            .as_slice()
            .iter()
            .zip(other.as_slice())
            .map(|(a, b)| f(*a, *b));
        crate::workspace::matrix_from_entries(r, c, entries)
    }
    fn with_entries(&self, entries: Vec<T>) -> Self {
        let (r, c) = self.shape_generic();
        if !crate::workspace::on_heap::<R, C>() {
            // Copied into the matrix's own array: the buffer goes back to a workspace.
            let m = OMatrix::from_column_slice_generic(r, c, &entries);
            crate::workspace::recycle_vec(entries);
            return m;
        }
        OMatrix::from_vec_generic(r, c, entries)
    }
}

/// An empty adjoint slot for a value like `_like`: `None`, meaning zero so far.
///
/// The argument only fixes the slot's type for the compiler.
#[inline(always)]
pub fn slot<V>(_like: &V) -> Option<V> {
    None
}

/// The iterations per stretch of a checkpointed loop of `iterations` iterations: ⌈√T⌉ (at
/// least one), so that the forward sweep keeps ⌈T / ⌈√T⌉⌉ ≤ ⌈√T⌉ states and the reverse
/// sweep one stretch's tape at a time.
#[inline]
pub fn checkpoint_stride(iterations: usize) -> usize {
    let mut s = (iterations as f64).sqrt() as usize;
    while s * s < iterations {
        s += 1;
    }
    while s > 1 && (s - 1) * (s - 1) >= iterations {
        s -= 1;
    }
    s.max(1)
}

/// A zero-sized witness of `V`, taken before a value of it is moved, for [`slot_of`].
#[inline(always)]
pub fn type_witness<V>(_value: &V) -> core::marker::PhantomData<V> {
    core::marker::PhantomData
}

/// An empty adjoint slot of the type a [`type_witness`] witnessed.
#[inline(always)]
pub fn slot_of<V>(_witness: core::marker::PhantomData<V>) -> Option<V> {
    None
}

/// The adjoint slot of a scalar output seeded with one: `Some(1)`.
#[inline(always)]
pub fn seed<T: Scalar>(_output: &T) -> Option<T> {
    Some(T::one())
}

/// One, of the type of a scalar output: the cotangent `_grad` pulls back.
#[inline(always)]
pub fn one<T: Scalar>(_output: &T) -> T {
    T::one()
}

/// `slot += contribution`, where an empty slot counts as zero.
#[inline]
#[track_caller]
pub(crate) fn accumulate<V: Differentiable>(slot: &mut Option<V>, contribution: V) {
    match slot {
        Some(acc) => {
            acc.add_assign(&contribution);
            contribution.recycle();
        }
        None => *slot = Some(contribution),
    }
}

/// Updates `slot` in place with `update`, or initialises it with `init` when empty.
///
/// Kernels use it to add a contribution without allocating (`gemm` with `beta = 1`).
#[inline]
pub(crate) fn accumulate_with<V>(
    slot: &mut Option<V>,
    init: impl FnOnce() -> V,
    update: impl FnOnce(&mut V),
) {
    match slot {
        Some(acc) => update(acc),
        None => *slot = Some(init()),
    }
}

/// `slot += other`, where either may be empty (zero): merges two adjoint slots.
#[inline]
#[track_caller]
pub fn merge<V: Differentiable>(slot: &mut Option<V>, other: Option<V>) {
    if let Some(c) = other {
        accumulate(slot, c);
    }
}

/// [`map`] computed in `x`'s buffer (a temporary nothing else reads).
#[inline]
pub fn map_reuse<V: Dense, F: FnMut(V::Scalar) -> V::Scalar>(mut x: V, mut f: F) -> V {
    for e in x.entries_mut() {
        *e = f(*e);
    }
    x
}

/// `f` applied to every entry of `x` (for a scalar, `f(x)`): the primal of `x.map(f)`.
#[inline]
pub fn map<V: Dense, F: FnMut(V::Scalar) -> V::Scalar>(x: &V, mut f: F) -> V {
    x.map_entries(|_, v| f(v))
}

/// A value or a reference to one, seen as a reference to the value.
///
/// Loop patterns such as `for x in xs.iter()` bind references; the generated code passes
/// such bindings through [`as_value`] so that the kernels see `&T` either way.
pub trait AsValue<T> {
    /// `&T`, however many references `self` is behind.
    fn as_value(&self) -> &T;
}

impl<T: Dense> AsValue<T> for T {
    #[inline(always)]
    fn as_value(&self) -> &T {
        self
    }
}

impl<T: Dense> AsValue<T> for &T {
    #[inline(always)]
    fn as_value(&self) -> &T {
        self
    }
}

impl<T: Dense> AsValue<T> for &&T {
    #[inline(always)]
    fn as_value(&self) -> &T {
        self
    }
}

/// `x` as `&T`, whether `x` is `&T`, `&&T` or `&&&T`.
#[inline(always)]
pub fn as_value<T, V: AsValue<T> + ?Sized>(x: &V) -> &T {
    x.as_value()
}

/// A cotangent a called function returns for one of its arguments.
///
/// Implemented for the argument's own type; a `#[grad]` function returns `()` for the
/// parameters it does not differentiate, and passing a differentiated value there is the
/// compile error below.
#[diagnostic::on_unimplemented(
    message = "the called function does not differentiate this argument, but the caller needs its gradient",
    label = "this argument depends on a differentiated parameter",
    note = "name the parameter in the callee's `#[grad(...)]` list, or write `#[grad]` to differentiate all of them"
)]
pub trait ArgumentCotangent<V> {
    /// The cotangent as a value of the argument's type.
    fn into_cotangent(self) -> V;
}

impl<V: Differentiable> ArgumentCotangent<V> for V {
    #[inline(always)]
    fn into_cotangent(self) -> V {
        self
    }
}

/// `slot += c` for the cotangent a called function returned for an argument.
#[doc(hidden)]
#[inline]
#[track_caller]
pub fn accumulate_argument<V: Differentiable, C: ArgumentCotangent<V>>(slot: &mut Option<V>, c: C) {
    accumulate(slot, c.into_cotangent())
}

/// `x.clone()`: the primal of the identity (`.clone()`, `.clone_owned()`, `.into_owned()` on a
/// differentiated value); its pullback passes the cotangent through.
#[inline]
pub fn identity<V: Clone>(x: &V) -> V {
    x.clone()
}

/// The right operand of a product whose left pullback waits for the end of a loop
/// ([`mul_pullback_lhs_all`](crate::mul_pullback_lhs_all)): borrowed where it outlives the
/// iteration, else owned.
pub enum Kept<'a, R> {
    /// A value kept elsewhere (on the loop's tape, or from before the loop).
    Borrowed(&'a R),
    /// A copy (of a value the iteration drops).
    Owned(R),
}

impl<R> Kept<'_, R> {
    /// The operand.
    #[inline]
    pub fn get(&self) -> &R {
        match self {
            Kept::Borrowed(r) => r,
            Kept::Owned(r) => r,
        }
    }
}

/// What a value is kept as for the end of a loop: a reference stays a reference (with its
/// lifetime), an owned matrix or scalar is kept by value. (A loop's pattern may bind either;
/// the macro cannot tell which.)
pub trait Keep<'a, R> {
    /// The value as kept.
    fn keep(self) -> Kept<'a, R>;
}

impl<'a, R> Keep<'a, R> for &'a R {
    #[inline]
    fn keep(self) -> Kept<'a, R> {
        Kept::Borrowed(self)
    }
}

impl<'a, T: Scalar, R: Dim, C: Dim> Keep<'a, OMatrix<T, R, C>> for OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    #[inline]
    fn keep(self) -> Kept<'a, OMatrix<T, R, C>> {
        Kept::Owned(self)
    }
}

impl<'a> Keep<'a, f64> for f64 {
    #[inline]
    fn keep(self) -> Kept<'a, f64> {
        Kept::Owned(self)
    }
}

impl<'a> Keep<'a, f32> for f32 {
    #[inline]
    fn keep(self) -> Kept<'a, f32> {
        Kept::Owned(self)
    }
}

/// `v` as kept for the end of a loop: see [`Keep`].
#[inline]
pub fn keep<'a, R>(v: impl Keep<'a, R>) -> Kept<'a, R> {
    v.keep()
}

/// The bound of a `_grad` companion whose function is not known to return a float: satisfied
/// when the value is a float, and otherwise the error says what to call instead.
#[diagnostic::on_unimplemented(
    message = "`{F}` returns `{Self}`, not a float, so it has no `_grad` companion",
    label = "`_grad` needs a float-valued function",
    note = "call its `_pullback` instead: `let (value, pullback) = {F}_pullback(..); let gradients = pullback(&cotangent);`"
)]
pub trait ScalarOutput<F> {}

impl<F, T: Scalar> ScalarOutput<F> for T {}

/// The bound of the float functions (`.sqrt()`, `.exp()`, `.ln()`, `.sin()`, `.cos()`,
/// `.powi(n)`, `.ln_1p()`, ..): implemented for every [`Scalar`], and otherwise the error says what to write
/// for a matrix.
#[diagnostic::on_unimplemented(
    message = "this is a float function under `#[grad]`, and `{Self}` is not a float",
    label = "applied to a `{Self}`",
    note = "for the function of each entry of a matrix, write `.map(|v| v.exp())` (or `.map(f64::exp)`), \
            with the function you meant; matrix functions (the matrix exponential, ..) are not supported yet"
)]
pub trait Float: Scalar {}

impl<T: Scalar> Float for T {}

/// Imported under the name of every local the generated code declares, so that an item of the
/// same name in the user's module (a `const x_bar`) does not turn the generated `let x_bar`
/// into a pattern. Never called.
#[doc(hidden)]
pub fn shadow() {}
