//! Entry-by-entry operations: `.component_div()` and the pullback of `.map(|v| ...)`.
//!
//! `#[grad]` differentiates a user's `x.map(|v| body)` by generating the closure
//! `|v, ḡ| ḡ·body'(v)` and passing it to [`map_pullback`].

use crate::families::entrywise_binary;
use crate::shape;
use crate::value::{accumulate_with, Dense};
#[allow(unused_imports)]
use crate::Differentiable as _;

// ---------------------------------------------------------------- component_div

entrywise_binary! {
    /// `x ⊘ y`, the entry-wise quotient.
    ///
    /// # Panics
    /// If the shapes differ.
    component_div("component_div") = |a, b| a / b,
        in component_div_reuse_lhs, component_div_reuse_rhs;
}

/// `x̄ += ḡ ⊘ y` for `z = x ⊘ y`.
#[inline]
#[track_caller]
pub fn component_div_pullback_lhs<V: Dense>(g: &V, x: &V, y: &V, acc: &mut Option<V>) {
    shape::same("component_div", x.shape(), y.shape());
    let ys = y.entries();
    entrywise_acc("component_div", g, acc, |i, gi| gi / ys[i])
}

/// `ȳ -= ḡ ⊙ x ⊘ y²` for `z = x ⊘ y`.
#[inline]
#[track_caller]
pub fn component_div_pullback_rhs<V: Dense>(g: &V, x: &V, y: &V, acc: &mut Option<V>) {
    shape::same("component_div", x.shape(), y.shape());
    let (xs, ys) = (x.entries(), y.entries());
    entrywise_acc("component_div", g, acc, |i, gi| {
        -(gi * xs[i]) / (ys[i] * ys[i])
    })
}

// ---------------------------------------------------------------- map

/// `x̄ᵢ += df(xᵢ, ḡᵢ)` for `y = x.map(f)`: `df(v, ḡ)` is the contribution `ḡ·f'(v)` of one
/// entry.
///
/// `#[grad]` generates `df` from the body of the user's closure. Works for a scalar (one
/// entry) as for a matrix.
///
/// # Panics
/// If `g` and `x` differ in shape.
///
/// # Example
/// ```
/// use nalgebra::dvector;
/// let x = dvector![1.0, -2.0, 3.0];
/// let y = x.map(|v| v * v); // f(v) = v², f'(v) = 2v
/// let g = dvector![1.0, 1.0, 0.5];
/// let mut x_bar = None;
/// matgrad_runtime::map_pullback(&g, &x, &y, |v, g| g * 2.0 * v, &mut x_bar);
/// assert_eq!(x_bar.unwrap(), dvector![2.0, -4.0, 3.0]);
/// ```
#[inline]
#[track_caller]
pub fn map_pullback<V, F>(g: &V, x: &V, _y: &V, df: F, acc: &mut Option<V>)
where
    V: Dense,
    F: Fn(V::Scalar, V::Scalar) -> V::Scalar,
{
    shape::same("map", g.shape(), x.shape());
    let xs = x.entries();
    entrywise_acc("map", g, acc, |i, gi| df(xs[i], gi))
}

/// `accᵢ += term(i, ḡᵢ)` for every entry of a `g`-shaped slot, filling an empty one.
#[inline]
#[track_caller]
pub(crate) fn entrywise_acc<V: Dense>(
    op: &str,
    g: &V,
    acc: &mut Option<V>,
    term: impl Fn(usize, V::Scalar) -> V::Scalar,
) {
    accumulate_with(
        acc,
        || g.map_entries(&term),
        |a| {
            shape::same(op, a.shape(), g.shape());
            for (i, (v, gi)) in a.entries_mut().iter_mut().zip(g.entries()).enumerate() {
                *v += term(i, *gi);
            }
        },
    )
}

/// [`entrywise_acc`] with the cotangent given by value: an empty slot takes `g`'s buffer,
/// transformed in place, so the contribution allocates nothing.
#[inline]
#[track_caller]
pub(crate) fn entrywise_reuse_g<V: Dense>(
    op: &str,
    mut g: V,
    acc: &mut Option<V>,
    term: impl Fn(usize, V::Scalar) -> V::Scalar,
) {
    match acc {
        None => {
            for (i, v) in g.entries_mut().iter_mut().enumerate() {
                *v = term(i, *v);
            }
            *acc = Some(g);
        }
        Some(a) => {
            shape::same(op, a.shape(), g.shape());
            for (i, (v, gi)) in a.entries_mut().iter_mut().zip(g.entries()).enumerate() {
                *v += term(i, *gi);
            }
            g.recycle();
        }
    }
}

/// [`component_div_pullback_lhs`] with the cotangent given by value (its buffer is reused).
#[inline]
#[track_caller]
pub fn component_div_pullback_lhs_reuse_g<V: Dense>(g: V, x: &V, y: &V, acc: &mut Option<V>) {
    shape::same("component_div", x.shape(), y.shape());
    let ys = y.entries();
    entrywise_reuse_g("component_div", g, acc, |i, gi| gi / ys[i])
}

/// [`map_pullback`] with the cotangent given by value (its buffer is reused).
#[inline]
#[track_caller]
pub fn map_pullback_reuse_g<V, F>(g: V, x: &V, _y: &V, df: F, acc: &mut Option<V>)
where
    V: Dense,
    F: Fn(V::Scalar, V::Scalar) -> V::Scalar,
{
    shape::same("map", g.shape(), x.shape());
    let xs = x.entries();
    entrywise_reuse_g("map", g, acc, |i, gi| df(xs[i], gi))
}

/// The pullback of `y = x.map(f)` whose closure reads differentiated values: `df(xᵢ, ḡᵢ)`
/// runs once for every entry (adding the captured values' cotangents where the generated
/// closure keeps their sums), and `x̄ᵢ += df(xᵢ, ḡᵢ)` when `x` has a slot.
#[track_caller]
pub fn map_pullback_captures<V, F>(g: V, x: &V, _y: &V, mut df: F, acc: Option<&mut Option<V>>)
where
    V: Dense,
    F: FnMut(V::Scalar, V::Scalar) -> V::Scalar,
{
    shape::same("map", g.shape(), x.shape());
    let xs = x.entries();
    let terms = g.map_entries(|i, gi| df(xs[i], gi));
    g.recycle();
    match acc {
        Some(acc) => crate::value::accumulate(acc, terms),
        None => terms.recycle(),
    }
}

/// `zᵢ = f(xᵢ, yᵢ)`: `x.zip_map(&y, f)`.
///
/// # Panics
/// If the shapes differ.
#[track_caller]
pub fn zip_map<V: Dense, F: FnMut(V::Scalar, V::Scalar) -> V::Scalar>(x: &V, y: &V, mut f: F) -> V {
    shape::same("zip_map", x.shape(), y.shape());
    let ys = y.entries();
    x.map_entries(|i, v| f(v, ys[i]))
}

/// The pullback of `z = x.zip_map(&y, f)`: `(x̄ᵢ, ȳᵢ) = df(xᵢ, yᵢ, ḡᵢ)` for every entry (the
/// closure adding the captured values' cotangents itself), added into the slots given.
pub fn zip_map_pullback<V, F>(
    g: V,
    x: &V,
    y: &V,
    _z: &V,
    mut df: F,
    acc_x: Option<&mut Option<V>>,
    acc_y: Option<&mut Option<V>>,
) where
    V: Dense,
    F: FnMut(V::Scalar, V::Scalar, V::Scalar) -> (V::Scalar, V::Scalar),
{
    let (xs, ys) = (x.entries(), y.entries());
    let pairs: Vec<(V::Scalar, V::Scalar)> = g
        .entries()
        .iter()
        .enumerate()
        .map(|(i, gi)| df(xs[i], ys[i], *gi))
        .collect();
    if let Some(acc) = acc_x {
        crate::value::accumulate(acc, g.map_entries(|i, _| pairs[i].0));
    }
    if let Some(acc) = acc_y {
        crate::value::accumulate(acc, g.map_entries(|i, _| pairs[i].1));
    }
}
