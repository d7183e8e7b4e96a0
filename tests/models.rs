//! Parameters of the user's own types under `#[grad]` (issue 12): structs deriving
//! `Differentiable` (nested, with `Vec` and array fields, tuple structs, skipped fields),
//! slices and `Vec`s of matrices; field access, indexing, method calls on fields, loops over
//! `.iter()`, `.iter().rev()`, `.iter().enumerate()` and `.iter().zip(..)`, calls between `#[grad]` functions.
//! Every companion is held to central finite differences over the flattened parameters, at
//! two sizes with non-square weights: `_grad`, `_pullback` (through ⟨ȳ, J·v⟩), `_jvp`,
//! `_hvp` (against differences of the gradient), `_hessian` and `_jacobian`.

mod models_support;

use matgrad::{grad, sigmoid, tanh, Differentiable};
use models_support::*;
use nalgebra::{DMatrix, DVector};

#[derive(Clone, Debug, PartialEq, Differentiable)]
pub struct Layer {
    pub w: DMatrix<f64>,
    pub b: DVector<f64>,
}

#[derive(Clone, Debug, PartialEq, Differentiable)]
pub struct Mlp {
    pub layers: Vec<Layer>,
    pub scale: f64,
    #[differentiable(skip)]
    pub depth: usize,
}

/// A tuple struct: an affine map.
#[derive(Clone, Debug, PartialEq, Differentiable)]
pub struct Affine(pub DMatrix<f64>, pub DVector<f64>);

/// Nested structs and an array field.
#[derive(Clone, Debug, PartialEq, Differentiable)]
pub struct AutoEncoder {
    pub encoder: Affine,
    pub decoder: Layer,
    pub gains: [f64; 2],
}

/// The layers applied in turn (tanh between them): a `for` over `.iter().enumerate()`, a
/// skipped field read as a count.
#[grad(p, forward)]
pub fn mlp_loss(p: &Mlp, x: &DVector<f64>, y: &DVector<f64>) -> f64 {
    let mut h = x.clone();
    for (i, layer) in p.layers.iter().enumerate() {
        let z = &layer.w * &h + &layer.b;
        h = if i + 1 < p.depth { tanh(&z) } else { z };
    }
    p.scale * (h - y).norm_squared()
}

/// One layer, vector-valued: a callee with a struct parameter.
#[grad(l, x, forward)]
pub fn layer_apply(l: &Layer, x: &DVector<f64>) -> DVector<f64> {
    sigmoid(&(&l.w * x + &l.b))
}

/// The layers through `layer_apply`, over `.iter()`; indexing `p.layers[0]`.
#[grad(p, forward)]
pub fn mlp_calls(p: &Mlp, x: &DVector<f64>) -> f64 {
    let mut h = x.clone();
    for layer in p.layers.iter() {
        h = layer_apply(layer, &h);
    }
    h.norm_squared() + p.layers[0].w.transpose().sum() * p.scale
}

/// Nested fields, a tuple struct's fields, an array field, method calls on fields.
#[grad(p, forward)]
pub fn autoencoder_loss(p: &AutoEncoder, x: &DVector<f64>) -> f64 {
    let code = tanh(&(&p.encoder.0 * x + &p.encoder.1));
    let back = &p.decoder.w * code + &p.decoder.b;
    p.gains[0] * (back - x).norm_squared() + p.gains[1] * p.encoder.0.norm_squared()
}

/// Vector-valued, of a struct: for `_pullback` and `_jacobian`.
#[grad(p, forward)]
pub fn autoencoder_code(p: &AutoEncoder, x: &DVector<f64>) -> DVector<f64> {
    tanh(&(&p.encoder.0 * x + &p.encoder.1)).scale(p.gains[0])
}

/// The first layer applied `p.depth` times (a skipped count as a loop's range; the check
/// that it is a constant is made by its type, at compile time).
#[grad(p, forward)]
pub fn repeated(p: &Mlp, x: &DVector<f64>) -> f64 {
    let mut h = x.clone();
    for _ in 0..p.depth {
        h = tanh(&(&p.layers[0].w * &h));
    }
    h.norm_squared()
}

/// The transposed layers from the last (`.iter().rev()`), as a tied decoder.
#[grad(p, forward)]
pub fn reversed(p: &Mlp, y: &DVector<f64>) -> f64 {
    let mut h = y.clone();
    for layer in p.layers.iter().rev() {
        h = tanh(&(layer.w.transpose() * &h));
    }
    h.norm_squared()
}

/// A slice of matrices, zipped with a slice of inputs.
#[grad(ws, forward)]
pub fn slice_loss(ws: &[DMatrix<f64>], xs: &[DVector<f64>]) -> f64 {
    let mut total = 0.0;
    for (w, x) in ws.iter().zip(xs.iter()) {
        total += tanh(&(w * x)).sum();
    }
    total + ws[0].norm_squared()
}

/// A `Vec` of structs by reference (as users write it, whatever clippy prefers).
#[allow(clippy::ptr_arg)]
#[grad(layers, forward)]
pub fn vec_loss(layers: &Vec<Layer>, x: &DVector<f64>) -> f64 {
    let mut h = x.clone();
    for l in layers.iter() {
        h = tanh(&(&l.w * &h + &l.b));
    }
    h.norm_squared()
}

// ---- inputs ----

/// A deterministic matrix with entries in about [−0.6, 0.6], different per `seed`.
fn matrix(r: usize, c: usize, seed: f64) -> DMatrix<f64> {
    DMatrix::from_fn(r, c, |i, j| {
        0.6 * ((i * 7 + j * 3) as f64 * 0.37 + seed).sin()
    })
}

fn vector(n: usize, seed: f64) -> DVector<f64> {
    matrix(n, 1, seed).column(0).into_owned()
}

fn layer(out: usize, inp: usize, seed: f64) -> Layer {
    Layer {
        w: matrix(out, inp, seed),
        b: vector(out, seed + 0.5),
    }
}

/// An MLP with the given widths (inputs first).
fn mlp(widths: &[usize]) -> Mlp {
    let layers: Vec<Layer> = widths
        .windows(2)
        .enumerate()
        .map(|(k, w)| layer(w[1], w[0], k as f64))
        .collect();
    Mlp {
        depth: layers.len(),
        layers,
        scale: 0.7,
    }
}

fn autoencoder(d: usize, h: usize) -> AutoEncoder {
    AutoEncoder {
        encoder: Affine(matrix(h, d, 1.0), vector(h, 2.0)),
        decoder: layer(d, h, 3.0),
        gains: [0.8, 0.3],
    }
}

#[test]
fn a_vec_of_layers_inside_a_struct() {
    for widths in [[3, 4, 2], [5, 3, 4]] {
        let (p, x) = (mlp(&widths), vector(widths[0], 4.0));
        let y = vector(widths[2], 5.0);
        check_float(
            "mlp_loss",
            &p,
            |q| mlp_loss(q, &x, &y),
            |q| {
                let (v, g) = mlp_loss_grad(q, &x, &y);
                (v, g.p)
            },
            |q, d| mlp_loss_jvp(q, &x, &y, d),
            |q, d| {
                let (v, g, h) = mlp_loss_hvp(q, &x, &y, d);
                (v, g.p, h.p)
            },
            |q| mlp_loss_hessian(q, &x, &y).2,
        );
    }
}

#[test]
fn a_skipped_count_read_as_a_loop_range() {
    for n in [3, 4] {
        let mut p = mlp(&[n, n, 2]);
        p.depth = 3;
        let x = vector(n, 12.0);
        check_float(
            "repeated",
            &p,
            |q| repeated(q, &x),
            |q| {
                let (v, g) = repeated_grad(q, &x);
                (v, g.p)
            },
            |q, d| repeated_jvp(q, &x, d),
            |q, d| {
                let (v, g, h) = repeated_hvp(q, &x, d);
                (v, g.p, h.p)
            },
            |q| repeated_hessian(q, &x).2,
        );
    }
}

#[test]
fn layers_in_reverse_order() {
    for widths in [[3, 4, 2], [2, 5, 3]] {
        let (p, y) = (mlp(&widths), vector(widths[2], 13.0));
        check_float(
            "reversed",
            &p,
            |q| reversed(q, &y),
            |q| {
                let (v, g) = reversed_grad(q, &y);
                (v, g.p)
            },
            |q, d| reversed_jvp(q, &y, d),
            |q, d| {
                let (v, g, h) = reversed_hvp(q, &y, d);
                (v, g.p, h.p)
            },
            |q| reversed_hessian(q, &y).2,
        );
    }
}

#[test]
fn skipped_fields_keep_their_value_in_gradients() {
    let (p, x, y) = (mlp(&[3, 4, 2]), vector(3, 1.0), vector(2, 2.0));
    let (_, g) = mlp_loss_grad(&p, &x, &y);
    assert_eq!(g.p.depth, p.depth);
    assert_eq!(g.p.layers.len(), 2);
    assert!(g.p.layers[1].w.amax() > 0.0);
}

#[test]
fn calls_between_grad_functions_with_struct_arguments() {
    for widths in [[3, 4, 2], [4, 2, 3]] {
        let (p, x) = (mlp(&widths), vector(widths[0], 6.0));
        check_float(
            "mlp_calls",
            &p,
            |q| mlp_calls(q, &x),
            |q| {
                let (v, g) = mlp_calls_grad(q, &x);
                (v, g.p)
            },
            |q, d| mlp_calls_jvp(q, &x, d),
            |q, d| {
                let (v, g, h) = mlp_calls_hvp(q, &x, d);
                (v, g.p, h.p)
            },
            |q| mlp_calls_hessian(q, &x).2,
        );
    }
}

#[test]
fn nested_structs_tuple_structs_and_arrays() {
    for (d, h) in [(4, 2), (3, 5)] {
        let (p, x) = (autoencoder(d, h), vector(d, 7.0));
        check_float(
            "autoencoder_loss",
            &p,
            |q| autoencoder_loss(q, &x),
            |q| {
                let (v, g) = autoencoder_loss_grad(q, &x);
                (v, g.p)
            },
            |q, v| autoencoder_loss_jvp(q, &x, v),
            |q, v| {
                let (value, g, hv) = autoencoder_loss_hvp(q, &x, v);
                (value, g.p, hv.p)
            },
            |q| autoencoder_loss_hessian(q, &x).2,
        );
    }
}

#[test]
fn pullback_jvp_and_jacobian_of_a_vector_valued_function_of_a_struct() {
    for (d, h) in [(4, 2), (3, 5)] {
        let (p, x) = (autoencoder(d, h), vector(d, 8.0));
        let v = direction(&p);
        let jv = fd_directional(|q| autoencoder_code(q, &x), &p, &v);
        let (value, tangent) = autoencoder_code_jvp(&p, &x, &v);
        assert_eq!(value, autoencoder_code(&p, &x));
        assert_close("code jvp", &tangent, &jv, 1e-7);
        // ⟨ȳ, J·v⟩ = ⟨Jᵀ·ȳ, v⟩.
        let cotangent = vector(h, 9.0);
        let (_, pullback) = autoencoder_code_pullback(&p, &x);
        let pulled = pullback(&cotangent).p;
        let (lhs, rhs) = (cotangent.dot(&jv), pulled.dot(&v));
        assert!(
            (lhs - rhs).abs() < 1e-7 * lhs.abs().max(1.0),
            "{lhs} against {rhs}"
        );
        let (_, jacobian) = autoencoder_code_jacobian(&p, &x);
        assert_eq!((jacobian.nrows(), jacobian.ncols()), (h, p.entry_count()));
        assert_close("jacobian", &(&jacobian * v.to_flat()), &jv, 1e-7);
    }
}

#[test]
fn slices_of_matrices() {
    for (n, m) in [(3, 2), (2, 4)] {
        let ws: Vec<DMatrix<f64>> = (0..3).map(|k| matrix(n, m, k as f64)).collect();
        let xs: Vec<DVector<f64>> = (0..3).map(|k| vector(m, 10.0 + k as f64)).collect();
        check_float(
            "slice_loss",
            &ws,
            |q| slice_loss(q, &xs),
            |q| {
                let (v, g) = slice_loss_grad(q, &xs);
                (v, g.ws)
            },
            |q, d| slice_loss_jvp(q, &xs, d),
            |q, d| {
                let (v, g, h) = slice_loss_hvp(q, &xs, d);
                (v, g.ws, h.ws)
            },
            |q| slice_loss_hessian(q, &xs).2,
        );
    }
}

#[test]
fn vecs_of_structs() {
    for widths in [[3, 3, 3], [2, 4, 3]] {
        let layers = mlp(&widths).layers;
        let x = vector(widths[0], 11.0);
        check_float(
            "vec_loss",
            &layers,
            |q| vec_loss(q, &x),
            |q| {
                let (v, g) = vec_loss_grad(q, &x);
                (v, g.layers)
            },
            |q, d| vec_loss_jvp(q, &x, d),
            |q, d| {
                let (v, g, h) = vec_loss_hvp(q, &x, d);
                (v, g.layers, h.layers)
            },
            |q| vec_loss_hessian(q, &x).2,
        );
    }
}

#[test]
fn gradients_of_mini_batches_add_up() {
    let p = mlp(&[3, 4, 2]);
    let batch: Vec<(DVector<f64>, DVector<f64>)> = (0..4)
        .map(|k| (vector(3, k as f64), vector(2, 20.0 + k as f64)))
        .collect();
    let total: MlpLossGrad = batch.iter().map(|(x, y)| mlp_loss_grad(&p, x, y).1).sum();
    let by_hand = fd_gradient(|q| batch.iter().map(|(x, y)| mlp_loss(q, x, y)).sum(), &p);
    assert_close("sum of gradients", &total.p.to_flat(), &by_hand, 1e-7);
    let halved = total.clone() * 0.5;
    assert_close(
        "scaled",
        &(halved.p.to_flat() * 2.0),
        &total.p.to_flat(),
        1e-15,
    );
}
