//! Fields and elements of struct parameters read the ways users write them (issue 12): copied
//! into locals (`let a = p.s;`, a static matrix `let m = p.m;`, an element `p.gains[1]`),
//! read in conditions and by user functions, borrowed as the library's functions' arguments
//! (`tanh(&p.b)`), as operands of `f64::max`, and a skipped count bound by a `match`. Each was a compile error the difftest's
//! `models` family found; so were loops over `.iter().zip(..).enumerate()` and with a `&g`
//! pattern, `let _ = xs[0];`, and `map` closures reading fields. Skipped float and matrix
//! fields read in arithmetic are constants: no gradient reaches them (they keep their value in
//! every gradient), and a direction's values there are no tangent. Every companion is held to central finite differences.

mod models_support;

use matgrad::{grad, relu, sigmoid, softplus, tanh, Differentiable};
use models_support::*;
use nalgebra::{DMatrix, DVector, SMatrix};

#[derive(Clone, Debug, PartialEq, Differentiable)]
pub struct Head {
    pub w: DMatrix<f64>,
    pub b: DVector<f64>,
    pub s: f64,
    pub gains: Vec<f64>,
    pub m: SMatrix<f64, 2, 2>,
    #[differentiable(skip)]
    pub n: usize,
}

/// The library's activations of borrowed fields, and of an entry of one.
#[grad(p, forward)]
pub fn activations_of_fields(p: &Head, x: &DVector<f64>) -> f64 {
    let h = tanh(&p.b);
    let z = sigmoid(&p.w);
    let e = p.b[1];
    let r = relu(&(&p.w * x));
    h.dot(&h) + z.sum() * softplus(&e) + r.norm_squared()
}

/// A user function taking a float by value.
#[grad(forward)]
pub fn cubed(v: f64) -> f64 {
    v * v * v
}

/// Copies of fields and elements bound to locals, read in a condition, passed by value, in
/// a `map` closure and in `f64::max`, and assigned to a variable.
#[grad(p, forward)]
pub fn copies_of_fields(p: &Head, x: &DVector<f64>) -> f64 {
    let a = p.s;
    let g = p.gains[1];
    let m = p.m;
    let c = if a > 0.5 { a * a } else { a * 3.0 };
    let d = f64::max(p.s, p.gains[0]) + p.gains[0].min(g);
    let mut h = g;
    for _ in 0..p.n {
        h = h * a + p.gains[0];
    }
    // A `match` binding a skipped count.
    let k = match p.n {
        n if n > 1 => n as f64,
        _ => 0.5,
    };
    let e = p.w.map(|v| f64::atan(v) * 2.0);
    let y = &p.w * x;
    c + cubed(a) + cubed(p.gains[0]) + d * h * k + e.sum() * g + m.determinant() + y.dot(&y)
}

#[derive(Clone, Debug, PartialEq, Differentiable)]
pub struct Layer {
    pub w: DMatrix<f64>,
    pub b: DVector<f64>,
}

#[derive(Clone, Debug, PartialEq, Differentiable)]
pub struct Stack {
    pub layers: Vec<Layer>,
    pub gains: Vec<f64>,
}

/// An element of a constant slice bound to `_`, a `&g` pattern, and the index of a zip.
#[grad(p, forward)]
pub fn loops_over_elements(p: &Stack, xs: &[DVector<f64>]) -> f64 {
    let _ = xs[0];
    let mut s = 0.0;
    for &g in p.gains.iter() {
        s += g * g * g;
    }
    for (i, (layer, x)) in p.layers.iter().zip(xs.iter()).enumerate() {
        let z = tanh(&(&layer.w * x + &layer.b));
        s += (i as f64 + 1.0) * z.norm_squared() + layer.w.map(|v| v * layer.b[0]).sum();
    }
    s
}

/// `map` and `zip_map` closures reading fields and elements.
#[grad(p, forward)]
pub fn closures_of_fields(p: &Head, x: &DVector<f64>) -> f64 {
    let a = p.w.map(|v| v * p.s + p.gains[1]);
    let b = p.b.zip_map(&p.b, |u, w| u * w * p.m[(0, 1)]);
    let c = x.map(|v| (v * p.b[0]).sin() * p.s);
    a.sum() + b.sum() + c.sum()
}

/// A frozen embedding and a temperature, skipped, read in arithmetic.
#[derive(Clone, Debug, PartialEq, Differentiable)]
pub struct Frozen {
    pub w: DVector<f64>,
    #[differentiable(skip)]
    pub temperature: f64,
    #[differentiable(skip)]
    pub embedding: DMatrix<f64>,
}

#[grad(p, forward)]
pub fn with_frozen_fields(p: &Frozen, x: &DVector<f64>) -> f64 {
    let e = &p.embedding * &p.w;
    (e.component_mul(&e).sum() + p.w.dot(x)) / p.temperature
}

fn head(r: usize, c: usize) -> Head {
    let f = |i: usize, j: usize, s: f64| 0.6 * ((i * 7 + j * 3) as f64 * 0.37 + s).sin();
    Head {
        w: DMatrix::from_fn(r, c, |i, j| f(i, j, 1.0)),
        b: DVector::from_fn(r, |i, _| f(i, 0, 2.0)),
        s: 0.7,
        gains: vec![0.4, 1.3],
        m: SMatrix::<f64, 2, 2>::new(1.2, 0.3, -0.4, 0.9),
        n: 2,
    }
}

fn input(c: usize) -> DVector<f64> {
    DVector::from_fn(c, |i, _| 0.5 - 0.3 * i as f64)
}

#[test]
fn library_functions_take_borrowed_fields() {
    for (r, c) in [(3, 2), (2, 4)] {
        let (p, x) = (head(r, c), input(c));
        check_float(
            "activations_of_fields",
            &p,
            |q| activations_of_fields(q, &x),
            |q| {
                let (v, g) = activations_of_fields_grad(q, &x);
                (v, g.p)
            },
            |q, d| activations_of_fields_jvp(q, &x, d),
            |q, d| {
                let (v, g, h) = activations_of_fields_hvp(q, &x, d);
                (v, g.p, h.p)
            },
            |q| activations_of_fields_hessian(q, &x).2,
        );
    }
}

#[test]
fn copies_of_fields_are_values_of_the_fields_types() {
    for (r, c, s) in [(3, 2, 0.7), (2, 4, 0.3)] {
        let (mut p, x) = (head(r, c), input(c));
        // Both arms of the condition, and both operands of `max` taking the larger.
        p.s = s;
        check_float(
            "copies_of_fields",
            &p,
            |q| copies_of_fields(q, &x),
            |q| {
                let (v, g) = copies_of_fields_grad(q, &x);
                (v, g.p)
            },
            |q, d| copies_of_fields_jvp(q, &x, d),
            |q, d| {
                let (v, g, h) = copies_of_fields_hvp(q, &x, d);
                (v, g.p, h.p)
            },
            |q| copies_of_fields_hessian(q, &x).2,
        );
        // The skipped count keeps its value in the gradient.
        assert_eq!(copies_of_fields_grad(&p, &x).1.p.n, p.n);
    }
}

#[test]
fn loops_over_zipped_enumerated_and_copied_elements() {
    for (r, c) in [(3, 2), (2, 4)] {
        let layer = |k: usize| Layer {
            w: head(r, c).w.map(|v| v + 0.1 * k as f64),
            b: head(r, c).b.map(|v| v - 0.2 * k as f64),
        };
        let p = Stack {
            layers: vec![layer(0), layer(1), layer(2)],
            gains: vec![0.4, -1.3, 0.8],
        };
        // One input fewer than layers: the zip stops at the shorter.
        let xs = vec![input(c), input(c).map(|v| v * 0.5 + 0.1)];
        check_float(
            "loops_over_elements",
            &p,
            |q| loops_over_elements(q, &xs),
            |q| {
                let (v, g) = loops_over_elements_grad(q, &xs);
                (v, g.p)
            },
            |q, d| loops_over_elements_jvp(q, &xs, d),
            |q, d| {
                let (v, g, h) = loops_over_elements_hvp(q, &xs, d);
                (v, g.p, h.p)
            },
            |q| loops_over_elements_hessian(q, &xs).2,
        );
        // The third layer meets no input: its gradient is zero.
        let (_, g) = loops_over_elements_grad(&p, &xs);
        assert_eq!(g.p.layers[2].w.amax(), 0.0);
    }
}

#[test]
fn closures_read_fields_and_elements() {
    for (r, c) in [(3, 2), (2, 4)] {
        let (p, x) = (head(r, c), input(c));
        check_float(
            "closures_of_fields",
            &p,
            |q| closures_of_fields(q, &x),
            |q| {
                let (v, g) = closures_of_fields_grad(q, &x);
                (v, g.p)
            },
            |q, d| closures_of_fields_jvp(q, &x, d),
            |q, d| {
                let (v, g, h) = closures_of_fields_hvp(q, &x, d);
                (v, g.p, h.p)
            },
            |q| closures_of_fields_hessian(q, &x).2,
        );
    }
}

#[test]
fn skipped_fields_read_in_arithmetic_are_constants() {
    for (r, c) in [(3, 2), (2, 4)] {
        let (h, x) = (head(r, c), input(c));
        let p = Frozen {
            w: input(c).map(|v| v + 0.3),
            temperature: 1.7,
            embedding: h.w,
        };
        // The directions `check_float` builds by `unflatten` carry the parameter's skipped
        // fields, which must not count as tangents.
        check_float(
            "with_frozen_fields",
            &p,
            |q| with_frozen_fields(q, &x),
            |q| {
                let (v, g) = with_frozen_fields_grad(q, &x);
                (v, g.p)
            },
            |q, d| with_frozen_fields_jvp(q, &x, d),
            |q, d| {
                let (v, g, h) = with_frozen_fields_hvp(q, &x, d);
                (v, g.p, h.p)
            },
            |q| with_frozen_fields_hessian(q, &x).2,
        );
        let (_, g) = with_frozen_fields_grad(&p, &x);
        let (_, g2, hv) = with_frozen_fields_hvp(&p, &x, &p);
        for q in [&g.p, &g2.p, &hv.p] {
            assert_eq!(q.temperature, p.temperature);
            assert_eq!(q.embedding, p.embedding);
        }
    }
}

/// A borrowed element of an array field, then a `#[cfg]` let shadowing it that is configured
/// out: the merged value the reverse sweep reads is a copy, not the borrow (which `vjp`'s
/// pullback closure would capture: E0700, found twice by the difftest).
#[grad(p, forward)]
pub fn cfg_shadowed_borrow(p: &Frozen, x: &DVector<f64>) -> f64 {
    let e = &p.w;
    #[cfg(any())]
    let e = p.w.map(|v| v * 100.0);
    e.sum() * e.dot(x) + e.norm_squared()
}

#[test]
fn a_configured_out_let_shadowing_a_borrowed_field() {
    let p = Frozen {
        w: DVector::from_vec(vec![0.3, -0.8, 0.5]),
        temperature: 2.0,
        embedding: DMatrix::from_fn(2, 3, |i, j| (i + 2 * j) as f64 * 0.1),
    };
    let x = input(3);
    check_float(
        "cfg_shadowed_borrow",
        &p,
        |q| cfg_shadowed_borrow(q, &x),
        |q| {
            let (v, g) = cfg_shadowed_borrow_grad(q, &x);
            (v, g.p)
        },
        |q, d| cfg_shadowed_borrow_jvp(q, &x, d),
        |q, d| {
            let (v, g, h) = cfg_shadowed_borrow_hvp(q, &x, d);
            (v, g.p, h.p)
        },
        |q| cfg_shadowed_borrow_hessian(q, &x).2,
    );
}

/// A skipped float read in `map` closures, alone and in arithmetic: the copy the closure
/// captures has a tangent (zero: the direction is cleaned there) that the closure takes by
/// value, so it is a copy too, not the borrow of the direction's field (E0308 in every
/// forward companion, found by the difftest). `x` is differentiated too (its direction zero
/// here), so that a closure reading only the field maps a differentiated value.
#[grad(p, x, forward)]
pub fn skipped_field_in_closures(p: &Frozen, x: &DVector<f64>) -> f64 {
    let c = x.map(|_v| p.temperature);
    let s = p.w.map(|v| v * v + p.temperature);
    c.dot(&p.w) + s.dot(x)
}

#[test]
fn a_skipped_field_read_in_closures() {
    let p = Frozen {
        w: DVector::from_vec(vec![0.3, -0.8, 0.5]),
        temperature: 2.0,
        embedding: DMatrix::from_fn(2, 3, |i, j| (i + 2 * j) as f64 * 0.1),
    };
    let x = input(3);
    let still = DVector::zeros(3);
    check_float(
        "skipped_field_in_closures",
        &p,
        |q| skipped_field_in_closures(q, &x),
        |q| {
            let (v, g) = skipped_field_in_closures_grad(q, &x);
            (v, g.p)
        },
        |q, d| skipped_field_in_closures_jvp(q, &x, d, &still),
        |q, d| {
            let (v, g, h) = skipped_field_in_closures_hvp(q, &x, d, &still);
            (v, g.p, h.p)
        },
        |q| {
            // The Hessian over (p, x): its block over p's entries.
            let (_, _, h) = skipped_field_in_closures_hessian(q, &x);
            let n = q.entry_count();
            h.view((0, 0), (n, n)).into_owned()
        },
    );
}
