//! `#[derive(Differentiable)]`: every operator and provided method of a derived struct is
//! held to the same computation written out by hand on its fields (nested structs, `Vec`s,
//! arrays, tuple structs, generic and static-matrix structs, skipped fields); shape
//! mismatches panic naming the leaf's path; generated code is hygienic.

mod common;

use common::{dmatrix, dvector, rng, smatrix, svector, uniform};
use matgrad::{Differentiable, Scalar};
use nalgebra::{DMatrix, DVector, RealField, SMatrix, SVector};
use rand::rngs::StdRng;
use std::fmt::Debug;
use std::ops::{Add, AddAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A dense layer, generic over the float.
#[derive(Clone, Debug, PartialEq, Differentiable)]
struct Layer<T: RealField> {
    w: DMatrix<T>,
    b: DVector<T>,
}

/// Layers in a `Vec`, a float, and a skipped label.
#[derive(Clone, Debug, PartialEq, Differentiable)]
struct Mlp {
    layers: Vec<Layer<f64>>,
    temperature: f64,
    #[differentiable(skip)]
    label: String,
}

/// A tuple struct with a skipped field between two differentiated ones.
#[derive(Clone, Debug, PartialEq, Differentiable)]
struct Pair(DVector<f64>, #[differentiable(skip)] usize, f64);

/// Static matrices, generic over the size, and arrays of floats and of structs.
#[derive(Clone, Debug, PartialEq, Differentiable)]
struct Fixed<const N: usize> {
    m: SMatrix<f64, N, N>,
    v: SVector<f64, N>,
    taps: [f64; 3],
    blocks: [Layer<f64>; 2],
}

/// Derived structs inside a derived struct.
#[derive(Clone, Debug, PartialEq, Differentiable)]
struct Model {
    pair: Pair,
    mlp: Mlp,
    bias: DVector<f64>,
}

/// Generic over the float and the size at once; `r#type` is named `type` in paths.
#[derive(Clone, Debug, PartialEq, Differentiable)]
struct Both<T: RealField, const N: usize> {
    a: SVector<T, N>,
    r#type: T,
}

/// A recursive struct: the scalar comes from `value`, the first field that is not a tree.
#[derive(Clone, Debug, PartialEq, Differentiable)]
struct Tree {
    children: Vec<Tree>,
    value: f64,
}

// ---- What every derived type is checked against: the same computation on its fields ----

/// A function of two entries.
type Entrywise<'f, S> = &'f dyn Fn(S, S) -> S;

/// Leaf paths with their shapes.
type Paths = Vec<(String, (usize, usize))>;

/// The by-hand versions of a derived type's operations.
struct Hand<V, S> {
    /// `zip(a, b, f)`: `f` of each pair of entries, field by field; skipped fields from `a`.
    zip: fn(&V, &V, Entrywise<S>) -> V,
    /// The entries of the differentiated fields, in declaration order, each column-major.
    flat: fn(&V) -> Vec<S>,
    /// Each leaf's path and shape, in declaration order.
    paths: fn(&V) -> Paths,
}

impl<V, S: Copy> Hand<V, S> {
    fn map(&self, a: &V, f: impl Fn(S) -> S) -> V {
        (self.zip)(a, a, &|x, _| f(x))
    }
}

/// `s` as the scalar type.
fn c<S: Scalar>(s: f64) -> S {
    nalgebra::convert(s)
}

/// Whether `x` and `y` agree to the precision of `S` (sums taken in another order).
fn close<S: Scalar + Into<f64>>(x: S, y: S) -> bool {
    let (x, y) = (x.into(), y.into());
    let eps = if size_of::<S>() == 4 { 1e-5 } else { 1e-12 };
    (x - y).abs() <= eps * (1.0 + x.abs().max(y.abs()))
}

/// The leaves, the flat vector and its inverse against `hand`.
fn check_layout<V, S>(a: &V, b: &V, hand: &Hand<V, S>)
where
    V: Differentiable<Scalar = S> + PartialEq + Debug,
    S: Scalar + Into<f64>,
{
    let flat = (hand.flat)(a);
    assert_eq!(a.to_flat().as_slice(), &flat[..]);
    assert_eq!(a.entry_count(), flat.len());
    let leaves: Vec<S> = a.leaves().iter().flat_map(|l| l.entries.to_vec()).collect();
    assert_eq!(leaves, flat);
    let named: Vec<(String, (usize, usize))> = a
        .named_leaves()
        .iter()
        .map(|(p, l)| (p.clone(), l.shape))
        .collect();
    assert_eq!(named, (hand.paths)(a));
    assert_eq!(&a.unflatten(&a.to_flat()), a);
    // b's entries in a's value: b's differentiated fields, a's skipped ones.
    assert_eq!(a.unflatten(&b.to_flat()), (hand.zip)(a, b, &|_, y| y));
}

/// The provided vector-space methods against `hand`.
fn check_methods<V, S>(a: &V, b: &V, hand: &Hand<V, S>)
where
    V: Differentiable<Scalar = S> + PartialEq + Debug,
    S: Scalar + Into<f64>,
{
    let (alpha, zero) = (c::<S>(-0.75), c::<S>(0.0));
    assert_eq!(a.zeros_like(), hand.map(a, |_| zero));
    let mut filled = a.clone();
    filled.fill(alpha);
    assert_eq!(filled, hand.map(a, |_| alpha));
    let mut sum = a.clone();
    Differentiable::add_assign(&mut sum, b);
    assert_eq!(sum, (hand.zip)(a, b, &|x, y| x + y));
    let mut diff = a.clone();
    Differentiable::sub_assign(&mut diff, b);
    assert_eq!(diff, (hand.zip)(a, b, &|x, y| x - y));
    let mut axpy = a.clone();
    axpy.axpy(alpha, b);
    assert_eq!(axpy, (hand.zip)(a, b, &|x, y| x + alpha * y));
    let mut scaled = a.clone();
    scaled.scale_mut(alpha);
    assert_eq!(scaled, hand.map(a, |x| x * alpha));
    assert_eq!(a.scaled(alpha), hand.map(a, |x| x * alpha));
    let products = (hand.flat)(&(hand.zip)(a, b, &|x, y| x * y));
    let dot = products.iter().fold(zero, |acc, p| acc + *p);
    assert!(close(a.dot(b), dot), "{:?} vs {:?}", a.dot(b), dot);
    let squares = (hand.flat)(&hand.map(a, |x| x * x));
    let norm_squared = squares.iter().fold(zero, |acc, p| acc + *p);
    assert!(close(a.norm_squared(), norm_squared));
    assert!(close(a.norm(), norm_squared.sqrt()));
}

/// Every generated operator against `hand`.
fn check_operators<V, S>(a: &V, b: &V, third: &V, hand: &Hand<V, S>)
where
    V: Differentiable<Scalar = S> + PartialEq + Debug,
    V: Add<Output = V> + for<'r> Add<&'r V, Output = V> + Sub<Output = V>,
    V: for<'r> Sub<&'r V, Output = V> + AddAssign + for<'r> AddAssign<&'r V> + SubAssign,
    V: for<'r> SubAssign<&'r V> + Neg<Output = V> + Mul<S, Output = V> + MulAssign<S>,
    V: std::iter::Sum + for<'r> std::iter::Sum<&'r V>,
    for<'l> &'l V: Add<V, Output = V> + Sub<V, Output = V> + Neg<Output = V> + Mul<S, Output = V>,
    for<'l, 'r> &'l V: Add<&'r V, Output = V> + Sub<&'r V, Output = V>,
    S: Scalar + Into<f64>,
{
    let sum = (hand.zip)(a, b, &|x, y| x + y);
    assert_eq!(a.clone() + b.clone(), sum);
    assert_eq!(a.clone() + b, sum);
    assert_eq!(a + b.clone(), sum);
    assert_eq!(a + b, sum);
    let diff = (hand.zip)(a, b, &|x, y| x - y);
    assert_eq!(a.clone() - b.clone(), diff);
    assert_eq!(a.clone() - b, diff);
    assert_eq!(a - b.clone(), diff);
    assert_eq!(a - b, diff);
    let mut acc = a.clone();
    acc += b.clone();
    acc += b;
    assert_eq!(acc, (hand.zip)(&sum, b, &|x, y| x + y));
    acc -= b.clone();
    acc -= b;
    assert_eq!(
        acc,
        (hand.zip)(&(hand.zip)(&sum, b, &|x, y| x + y), b, &|x, y| x - y - y)
    );
    assert_eq!(-a.clone(), hand.map(a, |x| -x));
    assert_eq!(-a, hand.map(a, |x| -x));
    let s = c::<S>(1.5);
    assert_eq!(a.clone() * s, hand.map(a, |x| x * s));
    assert_eq!(a * s, hand.map(a, |x| x * s));
    let mut times = a.clone();
    times *= s;
    assert_eq!(times, hand.map(a, |x| x * s));
    let total = (hand.zip)(&sum, third, &|x, y| x + y);
    let values = vec![a.clone(), b.clone(), third.clone()];
    assert_eq!(values.iter().sum::<V>(), total);
    assert_eq!(values.into_iter().sum::<V>(), total);
}

/// Layout, methods and operators of `a`, `b`, `third` (values of one shape) against `hand`.
fn check_everything<V, S>(a: &V, b: &V, third: &V, hand: &Hand<V, S>)
where
    V: Differentiable<Scalar = S> + PartialEq + Debug,
    V: Add<Output = V> + for<'r> Add<&'r V, Output = V> + Sub<Output = V>,
    V: for<'r> Sub<&'r V, Output = V> + AddAssign + for<'r> AddAssign<&'r V> + SubAssign,
    V: for<'r> SubAssign<&'r V> + Neg<Output = V> + Mul<S, Output = V> + MulAssign<S>,
    V: std::iter::Sum + for<'r> std::iter::Sum<&'r V>,
    for<'l> &'l V: Add<V, Output = V> + Sub<V, Output = V> + Neg<Output = V> + Mul<S, Output = V>,
    for<'l, 'r> &'l V: Add<&'r V, Output = V> + Sub<&'r V, Output = V>,
    S: Scalar + Into<f64>,
{
    check_layout(a, b, hand);
    check_methods(a, b, hand);
    check_operators(a, b, third, hand);
}

// ---- By hand, per type ----

fn zip_layer<T: Scalar>(a: &Layer<T>, b: &Layer<T>, f: &dyn Fn(T, T) -> T) -> Layer<T> {
    Layer {
        w: a.w.zip_map(&b.w, f),
        b: a.b.zip_map(&b.b, f),
    }
}

fn flat_layer<T: Scalar>(a: &Layer<T>) -> Vec<T> {
    a.w.iter().chain(a.b.iter()).copied().collect()
}

fn paths_layer<T: Scalar>(prefix: &str, a: &Layer<T>) -> Vec<(String, (usize, usize))> {
    vec![
        (format!("{prefix}w"), a.w.shape()),
        (format!("{prefix}b"), a.b.shape()),
    ]
}

fn layer_hand<T: Scalar>() -> Hand<Layer<T>, T> {
    Hand {
        zip: zip_layer,
        flat: flat_layer,
        paths: |a| paths_layer("", a),
    }
}

fn zip_mlp(a: &Mlp, b: &Mlp, f: &dyn Fn(f64, f64) -> f64) -> Mlp {
    assert_eq!(a.layers.len(), b.layers.len());
    Mlp {
        layers: a
            .layers
            .iter()
            .zip(&b.layers)
            .map(|(x, y)| zip_layer(x, y, f))
            .collect(),
        temperature: f(a.temperature, b.temperature),
        label: a.label.clone(),
    }
}

fn flat_mlp(a: &Mlp) -> Vec<f64> {
    let mut out: Vec<f64> = a.layers.iter().flat_map(flat_layer).collect();
    out.push(a.temperature);
    out
}

fn paths_mlp(prefix: &str, a: &Mlp) -> Vec<(String, (usize, usize))> {
    let mut out = Vec::new();
    for (i, layer) in a.layers.iter().enumerate() {
        out.extend(paths_layer(&format!("{prefix}layers[{i}]."), layer));
    }
    out.push((format!("{prefix}temperature"), (1, 1)));
    out
}

const MLP: Hand<Mlp, f64> = Hand {
    zip: zip_mlp,
    flat: flat_mlp,
    paths: |a| paths_mlp("", a),
};

fn zip_pair(a: &Pair, b: &Pair, f: &dyn Fn(f64, f64) -> f64) -> Pair {
    Pair(a.0.zip_map(&b.0, f), a.1, f(a.2, b.2))
}

fn flat_pair(a: &Pair) -> Vec<f64> {
    a.0.iter().copied().chain([a.2]).collect()
}

fn paths_pair(prefix: &str, a: &Pair) -> Vec<(String, (usize, usize))> {
    vec![
        (format!("{prefix}0"), a.0.shape()),
        (format!("{prefix}2"), (1, 1)),
    ]
}

const PAIR: Hand<Pair, f64> = Hand {
    zip: zip_pair,
    flat: flat_pair,
    paths: |a| paths_pair("", a),
};

fn zip_fixed<const N: usize>(a: &Fixed<N>, b: &Fixed<N>, f: &dyn Fn(f64, f64) -> f64) -> Fixed<N> {
    Fixed {
        m: a.m.zip_map(&b.m, f),
        v: a.v.zip_map(&b.v, f),
        taps: [0, 1, 2].map(|i| f(a.taps[i], b.taps[i])),
        blocks: [0, 1].map(|i| zip_layer(&a.blocks[i], &b.blocks[i], f)),
    }
}

fn flat_fixed<const N: usize>(a: &Fixed<N>) -> Vec<f64> {
    let mut out: Vec<f64> =
        a.m.iter()
            .chain(a.v.iter())
            .chain(&a.taps)
            .copied()
            .collect();
    out.extend(a.blocks.iter().flat_map(flat_layer));
    out
}

fn paths_fixed<const N: usize>(a: &Fixed<N>) -> Vec<(String, (usize, usize))> {
    let mut out = vec![("m".to_string(), (N, N)), ("v".to_string(), (N, 1))];
    out.extend((0..3).map(|i| (format!("taps[{i}]"), (1, 1))));
    out.extend(paths_layer("blocks[0].", &a.blocks[0]));
    out.extend(paths_layer("blocks[1].", &a.blocks[1]));
    out
}

fn zip_model(a: &Model, b: &Model, f: &dyn Fn(f64, f64) -> f64) -> Model {
    Model {
        pair: zip_pair(&a.pair, &b.pair, f),
        mlp: zip_mlp(&a.mlp, &b.mlp, f),
        bias: a.bias.zip_map(&b.bias, f),
    }
}

fn flat_model(a: &Model) -> Vec<f64> {
    let mut out = flat_pair(&a.pair);
    out.extend(flat_mlp(&a.mlp));
    out.extend(a.bias.iter());
    out
}

fn paths_model(a: &Model) -> Vec<(String, (usize, usize))> {
    let mut out = paths_pair("pair.", &a.pair);
    out.extend(paths_mlp("mlp.", &a.mlp));
    out.push(("bias".to_string(), a.bias.shape()));
    out
}

const MODEL: Hand<Model, f64> = Hand {
    zip: zip_model,
    flat: flat_model,
    paths: paths_model,
};

// ---- Random values ----

fn layer(rng: &mut StdRng, n_in: usize, n_out: usize) -> Layer<f64> {
    Layer {
        w: dmatrix(rng, n_out, n_in),
        b: dvector(rng, n_out),
    }
}

/// An MLP with layers of the given widths (`[3, 4, 2]`: 3 → 4 → 2).
fn mlp(rng: &mut StdRng, widths: &[usize], label: &str) -> Mlp {
    Mlp {
        layers: widths.windows(2).map(|w| layer(rng, w[0], w[1])).collect(),
        temperature: uniform(rng),
        label: label.to_string(),
    }
}

fn pair(rng: &mut StdRng) -> Pair {
    Pair(dvector(rng, 3), 7, uniform(rng))
}

fn fixed(rng: &mut StdRng) -> Fixed<3> {
    Fixed {
        m: smatrix(rng),
        v: svector(rng),
        taps: [uniform(rng), uniform(rng), uniform(rng)],
        blocks: [layer(rng, 2, 3), layer(rng, 3, 1)],
    }
}

fn model(rng: &mut StdRng, label: &str) -> Model {
    Model {
        pair: pair(rng),
        mlp: mlp(rng, &[3, 4, 2], label),
        bias: dvector(rng, 5),
    }
}

// ---- The tests ----

#[test]
fn a_generic_struct_with_f64() {
    let mut r = rng(1);
    let (a, b, c) = (
        layer(&mut r, 3, 2),
        layer(&mut r, 3, 2),
        layer(&mut r, 3, 2),
    );
    check_everything(&a, &b, &c, &layer_hand::<f64>());
}

#[test]
fn a_generic_struct_with_f32() {
    let mut r = rng(2);
    let mut narrow = || {
        let l = layer(&mut r, 4, 3);
        Layer::<f32> {
            w: l.w.cast(),
            b: l.b.cast(),
        }
    };
    let (a, b, c) = (narrow(), narrow(), narrow());
    check_everything(&a, &b, &c, &layer_hand::<f32>());
}

#[test]
fn a_vec_field_and_a_skipped_field() {
    let mut r = rng(3);
    let a = mlp(&mut r, &[3, 4, 2], "a");
    let (b, c) = (mlp(&mut r, &[3, 4, 2], "b"), mlp(&mut r, &[3, 4, 2], "c"));
    check_everything(&a, &b, &c, &MLP);
}

#[test]
fn a_tuple_struct() {
    let mut r = rng(4);
    let (a, b, c) = (pair(&mut r), pair(&mut r), pair(&mut r));
    check_everything(&a, &b, &c, &PAIR);
}

#[test]
fn static_matrices_and_arrays() {
    let mut r = rng(5);
    let (a, b, c) = (fixed(&mut r), fixed(&mut r), fixed(&mut r));
    let hand = Hand {
        zip: zip_fixed::<3>,
        flat: flat_fixed::<3>,
        paths: paths_fixed::<3>,
    };
    check_everything(&a, &b, &c, &hand);
}

#[test]
fn nested_structs() {
    let mut r = rng(6);
    let (a, b, c) = (model(&mut r, "a"), model(&mut r, "b"), model(&mut r, "c"));
    check_everything(&a, &b, &c, &MODEL);
}

#[test]
fn generic_over_the_float_and_the_size() {
    let mut r = rng(7);
    let mut both = || Both::<f32, 2> {
        a: svector::<2>(&mut r).cast(),
        r#type: uniform(&mut r) as f32,
    };
    let (a, b, c) = (both(), both(), both());
    let hand = Hand {
        zip: |a: &Both<f32, 2>, b: &Both<f32, 2>, f: &dyn Fn(f32, f32) -> f32| Both {
            a: a.a.zip_map(&b.a, f),
            r#type: f(a.r#type, b.r#type),
        },
        flat: |a| vec![a.a[0], a.a[1], a.r#type],
        paths: |_| vec![("a".to_string(), (2, 1)), ("type".to_string(), (1, 1))],
    };
    check_everything(&a, &b, &c, &hand);
}

#[test]
fn a_recursive_struct() {
    let leaf = |v: f64| Tree {
        children: vec![],
        value: v,
    };
    let tree = |v: f64, w: f64, x: f64| Tree {
        children: vec![leaf(v), leaf(w)],
        value: x,
    };
    let (a, b) = (tree(1.0, 2.0, 3.0), tree(-0.5, 4.0, 0.25));
    assert_eq!(a.to_flat().as_slice(), &[1.0, 2.0, 3.0]);
    let paths: Vec<String> = a.named_leaves().into_iter().map(|(p, _)| p).collect();
    assert_eq!(paths, ["children[0].value", "children[1].value", "value"]);
    assert_eq!(&a + &b, tree(0.5, 6.0, 3.25));
    assert_eq!(a.dot(&b), -0.5 + 8.0 + 0.75);
}

/// A lifetime, a where-clause, a default type argument and a skipped borrowed field.
#[derive(Clone, Debug, PartialEq, Differentiable)]
struct Borrowing<'a, T = f64>
where
    T: RealField,
{
    w: DVector<T>,
    #[differentiable(skip)]
    source: &'a str,
}

#[test]
fn lifetimes_where_clauses_and_defaults() {
    let text = String::from("data.csv");
    let a = Borrowing {
        w: DVector::from_vec(vec![1.0, -2.0]),
        source: &text,
    };
    let b = Borrowing {
        w: DVector::from_vec(vec![0.5, 4.0]),
        source: "other",
    };
    let sum: Borrowing = &a + &b;
    assert_eq!(sum.w, &a.w + &b.w);
    assert_eq!(sum.source, "data.csv");
    assert_eq!((-&b).w, -&b.w);
    assert_eq!(a.named_leaves()[0].0, "w");
}

/// Generic code over the float: `p − lr·g` through the operators, for f32 and f64.
fn step<T: Scalar>(p: &Layer<T>, g: &Layer<T>, lr: T) -> Layer<T> {
    p - &(g * lr)
}

#[test]
fn operators_in_generic_code() {
    let mut r = rng(8);
    let (p, g) = (layer(&mut r, 2, 2), layer(&mut r, 2, 2));
    let expected = zip_layer(&p, &g, &|x, y| x - y * 0.1);
    assert_eq!(step(&p, &g, 0.1), expected);
    let (p32, g32) = (
        Layer::<f32> {
            w: p.w.cast(),
            b: p.b.cast(),
        },
        Layer::<f32> {
            w: g.w.cast(),
            b: g.b.cast(),
        },
    );
    let expected = zip_layer(&p32, &g32, &|x, y| x - y * 0.1);
    assert_eq!(step(&p32, &g32, 0.1), expected);
}

#[test]
fn a_skipped_field_keeps_its_value_and_takes_no_part() {
    let mut r = rng(9);
    let a = mlp(&mut r, &[2, 3], "kept");
    let mut b = a.clone();
    b.label = "another".to_string();
    assert_eq!(a.zeros_like().label, "kept");
    assert_eq!((&a + &b).label, "kept");
    assert_eq!((&b - &a).label, "another");
    assert_eq!(a.to_flat(), b.to_flat());
    assert_eq!(a.entry_count(), 2 * 3 + 3 + 1);
    assert_eq!(a.dot(&b), a.norm_squared());
    assert_eq!(a.norm(), b.norm());
    assert!(a.named_leaves().iter().all(|(p, _)| !p.contains("label")));
    // The tuple struct's skipped `usize` too.
    let p = Pair(DVector::from_vec(vec![1.0, 2.0]), 42, 3.0);
    assert_eq!(p.zeros_like(), Pair(DVector::zeros(2), 42, 0.0));
    assert_eq!(p.to_flat().as_slice(), &[1.0, 2.0, 3.0]);
    assert_eq!((-&p).1, 42);
}

#[test]
fn from_flat_reads_the_entries_in_declaration_order() {
    let mut r = rng(10);
    let a = mlp(&mut r, &[2, 2], "x");
    let n = a.entry_count();
    let iota = DVector::from_fn(n, |i, _| i as f64);
    let x = a.unflatten(&iota);
    // w is 2×2 (column-major: entries 0..4), b has 2 entries (4, 5), the temperature is 6.
    assert_eq!(
        x.layers[0].w,
        DMatrix::from_column_slice(2, 2, &[0.0, 1.0, 2.0, 3.0])
    );
    assert_eq!(x.layers[0].b, DVector::from_vec(vec![4.0, 5.0]));
    assert_eq!(x.temperature, 6.0);
    assert_eq!(x.label, "x");
    assert_eq!(a.unflatten(&a.to_flat()), a);
}

#[test]
#[should_panic(expected = "add_assign: `layers[1].w` is 2×4 in one value and 5×4 in the other")]
fn a_shape_mismatch_names_the_path() {
    let mut r = rng(11);
    let a = mlp(&mut r, &[3, 4, 2], "a");
    let b = mlp(&mut r, &[3, 4, 5], "b");
    let _ = a + b;
}

#[test]
#[should_panic(expected = "dot: `mlp.layers[0].b` is 4×1 in one value and 5×1 in the other")]
fn a_shape_mismatch_in_a_nested_struct_names_the_whole_path() {
    let mut r = rng(12);
    let a = model(&mut r, "a");
    let mut b = a.clone();
    b.mlp.layers[0].b = dvector(&mut r, 5);
    let _ = a.dot(&b);
}

#[test]
#[should_panic(expected = "sub_assign: `pair.0` is 3×1 in one value and 2×1 in the other")]
fn a_shape_mismatch_in_a_tuple_field_names_its_position() {
    let mut r = rng(13);
    let mut a = model(&mut r, "a");
    let mut b = a.clone();
    b.pair.0 = dvector(&mut r, 2);
    a -= &b;
}

#[test]
#[should_panic(
    expected = "add_assign: the values differ in structure: `value` in one where the other has `children[1].value`"
)]
fn vecs_of_other_lengths_are_reported() {
    let leaf = |v: f64| Tree {
        children: vec![],
        value: v,
    };
    let one = Tree {
        children: vec![leaf(1.0)],
        value: 0.0,
    };
    let two = Tree {
        children: vec![leaf(1.0), leaf(2.0)],
        value: 0.0,
    };
    let _ = [one, two].iter().sum::<Tree>();
}

#[test]
#[should_panic(expected = "sum: no values to add")]
fn a_sum_of_no_values_panics() {
    let none: Vec<Pair> = Vec::new();
    let _ = none.iter().sum::<Pair>();
}

/// The generated code names everything by absolute path: this module shadows the prelude,
/// the crate roots, the trait's vocabulary and the primitive `str`, and its fields and
/// parameters are named like the generated code's locals.
#[allow(dead_code, non_camel_case_types, clippy::all)]
mod hygiene {
    use ::matgrad::Differentiable as D;
    use ::nalgebra::{DMatrix, DVector, RealField};
    use ::std::marker::PhantomData;

    pub struct Option;
    pub struct Some;
    pub struct None;
    pub struct Vec;
    pub struct Box;
    pub struct String;
    pub struct str;
    pub trait Clone {}
    pub trait FnMut {}
    pub trait Iterator {}
    pub trait Add {}
    pub trait Sum {}
    pub mod core {}
    pub mod std {}
    pub mod matgrad {}
    pub mod __private {}
    pub struct Leaf;
    pub struct LeafMut;
    pub trait Differentiable {}
    pub fn visit_field() {}
    pub fn sum_values() {}

    /// Fields named like the generated locals, a type parameter named like the iterator of
    /// `Sum` would be by default.
    #[derive(::core::clone::Clone, ::core::fmt::Debug, ::core::cmp::PartialEq, D)]
    pub struct Shadowed<T: RealField, I> {
        pub f: DMatrix<T>,
        pub path: DVector<T>,
        pub other: T,
        pub out: T,
        pub leaf: T,
        pub v: T,
        pub s: T,
        pub iter: T,
        pub first: T,
        pub total: T,
        #[differentiable(skip)]
        pub marker: PhantomData<I>,
    }
}

#[test]
fn generated_code_is_hygienic() {
    use hygiene::Shadowed;
    use std::marker::PhantomData;
    let x = Shadowed::<f64, u8> {
        f: DMatrix::from_element(2, 2, 1.0),
        path: DVector::from_element(2, 2.0),
        other: 3.0,
        out: 4.0,
        leaf: 5.0,
        v: 6.0,
        s: 7.0,
        iter: 8.0,
        first: 9.0,
        total: 10.0,
        marker: PhantomData,
    };
    let y = [x.clone(), x.clone()].iter().sum::<Shadowed<f64, u8>>() - &x * 2.0;
    assert_eq!(y, x.zeros_like());
    let names: Vec<String> = x.named_leaves().into_iter().map(|(p, _)| p).collect();
    let expected = [
        "f", "path", "other", "out", "leaf", "v", "s", "iter", "first", "total",
    ];
    assert_eq!(names, expected);
    assert_eq!(
        x.to_flat().as_slice(),
        &[1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    );
}

/// A value that is both f32 and f64 would not compile (tests/ui/derive/mixed_scalars.rs);
/// the compiler proves the scalar of a generic field equals the first field's.
#[test]
fn the_scalar_is_the_first_fields() {
    fn scalar_of<V: Differentiable>(_: &V) -> &'static str {
        std::any::type_name::<V::Scalar>()
    }
    let mut r = rng(15);
    assert_eq!(scalar_of(&mlp(&mut r, &[1, 1], "")), "f64");
    let l = layer(&mut r, 1, 1);
    let narrow = Layer::<f32> {
        w: l.w.cast(),
        b: l.b.cast(),
    };
    assert_eq!(scalar_of(&narrow), "f32");
}
