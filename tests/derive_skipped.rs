//! Skipped fields (`#[differentiable(skip)]`) as the derive treats them for the companions: a
//! direction's differentiable skipped fields are zeroed (`zero_skipped`, what `_jvp` and
//! `_hvp` do to their directions), a gradient's are set back to the parameter's
//! (`restore_skipped`, what every gradient gets), in nested structs, `Vec`s and arrays too;
//! `HAS_SKIPPED` says whether a type has any, so that the others are passed as they are.

use matgrad::Differentiable;
use nalgebra::{DMatrix, DVector, RealField};
use std::marker::PhantomData;

/// Skipped fields of every kind: a float, a matrix (a frozen embedding), a count, a label.
#[derive(Clone, Debug, PartialEq, Differentiable)]
struct Frozen {
    w: DVector<f64>,
    #[differentiable(skip)]
    temperature: f64,
    #[differentiable(skip)]
    embedding: DMatrix<f64>,
    #[differentiable(skip)]
    count: usize,
    #[differentiable(skip)]
    label: String,
}

/// A skipped field of the generic float type, and a `PhantomData`.
#[derive(Clone, Debug, PartialEq, Differentiable)]
struct Generic<T: RealField + Copy, M: Clone> {
    w: DVector<T>,
    #[differentiable(skip)]
    scale: T,
    #[differentiable(skip)]
    marker: PhantomData<M>,
}

/// Skipped fields only inside the fields: in a `Vec` and in an array.
#[derive(Clone, Debug, PartialEq, Differentiable)]
struct Outer {
    layers: Vec<Frozen>,
    pair: [Generic<f64, u8>; 2],
    bias: f64,
}

/// Nothing skipped anywhere.
#[derive(Clone, Debug, PartialEq, Differentiable)]
struct Plain {
    w: DVector<f64>,
    b: f64,
}

/// A recursive struct: whether it holds skipped fields is not asked of its own type.
#[derive(Clone, Debug, PartialEq, Differentiable)]
struct Tree {
    children: Vec<Tree>,
    value: f64,
}

fn frozen(k: f64) -> Frozen {
    Frozen {
        w: DVector::from_vec(vec![1.0 + k, -2.0]),
        temperature: 1.5 + k,
        embedding: DMatrix::from_element(2, 2, 0.5 + k),
        count: 3,
        label: format!("layer {k}"),
    }
}

fn generic(k: f64) -> Generic<f64, u8> {
    Generic {
        w: DVector::from_vec(vec![k, 2.0 * k]),
        scale: 0.25 + k,
        marker: PhantomData,
    }
}

fn outer() -> Outer {
    Outer {
        layers: vec![frozen(0.0), frozen(1.0)],
        pair: [generic(1.0), generic(2.0)],
        bias: 0.75,
    }
}

#[test]
fn has_skipped_says_which_types_hold_skipped_fields() {
    // Read through a function, as the runtime does (a constant assertion would be a lint).
    fn has<V: Differentiable>() -> bool {
        V::HAS_SKIPPED
    }
    assert!(has::<Frozen>());
    assert!(has::<Generic<f64, u8>>());
    assert!(has::<Outer>());
    assert!(has::<Vec<Frozen>>());
    assert!(!has::<Plain>());
    assert!(!has::<Vec<Plain>>());
    assert!(!has::<DMatrix<f64>>());
    assert!(has::<Tree>(), "a recursive type answers yes, to be safe");
}

#[test]
fn zero_skipped_zeroes_the_differentiable_skipped_fields_everywhere() {
    let mut o = outer();
    o.zero_skipped();
    for (layer, k) in o.layers.iter().zip([0.0, 1.0]) {
        assert_eq!(layer.temperature, 0.0);
        assert_eq!(layer.embedding, DMatrix::zeros(2, 2));
        // Not differentiable: left as they are.
        assert_eq!(layer.count, 3);
        assert_eq!(layer.label, format!("layer {k}"));
        // Not skipped: left as they are.
        assert_eq!(layer.w, frozen(k).w);
    }
    for (g, k) in o.pair.iter().zip([1.0, 2.0]) {
        assert_eq!(g.scale, 0.0, "a skipped field of the generic float type");
        assert_eq!(g.w, generic(k).w);
    }
    assert_eq!(o.bias, 0.75);
}

#[test]
fn restore_skipped_sets_the_skipped_fields_back_and_nothing_else() {
    let original = outer();
    let mut g = original.zeros_like();
    g.fill(7.0);
    g.layers[1].temperature = -1.0;
    g.layers[0].embedding[(0, 1)] = 9.0;
    g.layers[0].label = "changed".into();
    g.pair[1].scale = 42.0;
    g.restore_skipped(&original);
    for (layer, o) in g.layers.iter().zip(&original.layers) {
        assert_eq!(layer.temperature, o.temperature);
        assert_eq!(layer.embedding, o.embedding);
        assert_eq!(layer.label, o.label);
        assert_eq!(layer.w, DVector::from_element(2, 7.0));
    }
    assert_eq!(g.pair[1].scale, original.pair[1].scale);
    assert_eq!(g.bias, 7.0);
}
