//! Hygiene: the code `#[grad]` generates names everything by absolute path and its
//! temporaries can neither collide with nor be named by the user's code. The functions here
//! live in a module that shadows the prelude (`Option`, `Some`, `None`, `Result`, `Vec`,
//! `Clone`, ...), the `core` and `std` crates and the runtime's function names, and use
//! locals and parameters named like the generated ones (`__t3`, `x_bar`, `__g`, `r_2`, the
//! companion's own name); each must still compute the right gradient.

mod common;

use common::*;

#[allow(
    dead_code,
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    clippy::all
)]
mod shadowed {
    use ::matgrad::grad;
    use ::nalgebra::{DMatrix, DVector, RealField};

    // The prelude, shadowed.
    pub struct Option;
    pub struct Some;
    pub struct None;
    pub enum Result {}
    pub struct Ok;
    pub struct Err;
    pub struct Vec;
    pub struct Box;
    pub struct String;
    pub trait Clone {}
    pub trait Copy {}
    pub trait Debug {}
    pub trait PartialEq {}
    pub trait Default {}
    pub trait Into {}
    pub trait From {}
    pub trait Iterator {}
    pub trait Drop {}
    pub trait Sized {}

    // Crate roots and the runtime's vocabulary, shadowed.
    pub mod core {}
    pub mod std {}
    pub mod matgrad {}
    pub mod __private {}
    pub trait Scalar {}
    pub trait Dense {}
    pub fn mul() {}
    pub fn add() {}
    pub fn sub() {}
    pub fn dot() {}
    pub fn slot() {}
    pub fn seed() {}
    pub fn finish() {}
    pub fn accumulate() {}
    pub fn mul_pullback_lhs() {}
    pub fn mul_pullback_rhs() {}
    pub fn norm_squared() {}

    /// Parameters named like the generated temporaries, adjoints and the companion itself;
    /// locals named `f64`, `__t0`, `__t3`, `__t5`, `x_bar`, `a_bar`, `r_2`, `core`, `matgrad`.
    #[grad]
    pub fn loss(
        x_bar: &DMatrix<f64>,
        __g: &DVector<f64>,
        __t3: f64,
        loss_grad: &DVector<f64>,
        a: &DVector<f64>,
        __t0: &DVector<f64>,
    ) -> f64 {
        let f64: f64 = 2.0;
        let __t5 = x_bar * __g;
        let r = &__t5 - loss_grad;
        let r_2 = r.component_mul(&r);
        // A second `r`: the generated code would like to call it `r_2` too.
        let r = r * __t3;
        let a_bar = a * f64;
        let x_bar = r.dot(&r_2) + a_bar.dot(loss_grad);
        let core = x_bar * f64 + __g.dot(__g);
        let matgrad = core + __t3 * __t3;
        // A local `__t0` shadowing the parameter `__t0`.
        let __t0 = __t0.norm_squared();
        let __t3 = matgrad * __t0;
        __t3 + x_bar
    }

    /// Parameters `x` and `x_bar` (the name the adjoint of `x` would take), `y` and `y_bar`,
    /// with a local `y_bar_2`.
    #[grad]
    pub fn pair(x: &DVector<f64>, x_bar: &DVector<f64>, y: f64, y_bar: f64) -> f64 {
        let y_bar_2 = x.component_mul(x_bar) * y;
        y_bar_2.sum() * y_bar + x.dot(x) * x_bar.norm_squared()
    }

    /// A local named like the `_pullback` companion's value binding.
    #[grad]
    pub fn value_local(x: &DVector<f64>) -> f64 {
        let __value = x.norm_squared();
        __value * __value * 3.0
    }

    /// A generic function whose type parameter is called like the runtime's; constants that
    /// go through items and closures declared inside the body.
    #[grad]
    pub fn generic<Scalar: RealField + ::core::marker::Copy>(
        x: &DVector<Scalar>,
        weights: &[f64],
    ) -> Scalar {
        use ::nalgebra::DVector as V;
        const K: f64 = 0.5;
        fn helper(v: f64) -> f64 {
            v * 2.0
        }
        // The closure's parameter is called `x`, like the differentiated parameter.
        let total = weights.iter().map(|x| helper(*x) + K).sum::<f64>();
        let w: V<Scalar> = V::from_iterator(
            weights.len(),
            weights.iter().map(|x| ::nalgebra::convert(*x)),
        );
        let k: Scalar = ::nalgebra::convert(total);
        let y = x.component_mul(&w);
        y.dot(x) * k + x.norm_squared()
    }

    /// `println!` (positional arguments), `assert!` and `debug_assert_eq!` of locals inside
    /// the body.
    #[grad]
    pub fn printing(x: &DVector<f64>, a: &DMatrix<f64>) -> f64 {
        let y = a * x;
        let n = y.norm_squared();
        println!("y = {}, ‖y‖² = {:?}, {} rows", y, n, y.nrows());
        assert!(n >= 0.0, "‖y‖² = {} is negative", n);
        debug_assert_eq!(y.len(), a.nrows());
        let m = n * 2.0 + x.sum();
        println!("{}", m);
        m
    }
}

/// Items named like the generated locals (`x_bar`, `__t5`, `__g`, `__carry`, ...): a generated
/// `let x_bar` would otherwise be a pattern matching the constant. The companions import a
/// dummy under every generated name first, so these are hidden from them.
#[allow(dead_code, non_camel_case_types, non_upper_case_globals, clippy::all)]
mod items {
    use ::matgrad::grad;
    use ::nalgebra::{DMatrix, DVector};

    pub const x_bar: f64 = 1.0;
    pub const w_bar: f64 = 1.0;
    pub const y_bar: f64 = 1.0;
    pub const s_bar: f64 = 1.0;
    pub const s_2: f64 = 1.0;
    pub const s_3: f64 = 1.0;
    pub static s_4: f64 = 1.0;
    pub const __t3: f64 = 1.0;
    pub const __t5: f64 = 1.0;
    pub const __t8: f64 = 1.0;
    pub const __iters: f64 = 1.0;
    pub const __tape: f64 = 1.0;
    pub const __carry: f64 = 1.0;
    pub const __saved: f64 = 1.0;
    pub const __merged: f64 = 1.0;
    pub const __g: f64 = 1.0;
    pub const __g_elem: f64 = 1.0;
    pub const __value: f64 = 1.0;
    pub const __cotangent: f64 = 1.0;
    pub const __cotangents: f64 = 1.0;
    pub struct __deferred;
    pub struct __old;
    pub struct t_bar;

    #[grad]
    pub fn helper(x: &DVector<f64>, t: f64) -> f64 {
        x.norm_squared() * t
    }

    /// A loop, a branch, a `map` and a call, in a module full of items named like the
    /// generated locals.
    #[grad]
    pub fn among_items(x: &DVector<f64>, w: &DMatrix<f64>) -> f64 {
        let y = w * x;
        let mut s = 0.0;
        for i in 0..y.len() {
            s += y[i] * y[i];
        }
        if s > 1.0 {
            s = s.sqrt();
        }
        s + y.map(|v| v.tanh()).sum() + helper(x, s)
    }
}

/// A module shadowing the prelude and the runtime's names, and a body full of locals named
/// like the generated ones, still give the right gradient.
#[test]
fn shadowed_names_and_temporary_like_locals() {
    let mut rng = rng(1);
    for &(m, n) in &[(1, 1), (3, 2), (2, 5), (4, 4)] {
        let x_bar = dmatrix(&mut rng, m, n);
        let g = dvector(&mut rng, n);
        let t3 = uniform(&mut rng);
        let lg = dvector(&mut rng, m);
        let a = dvector(&mut rng, m);
        let t0 = dvector(&mut rng, 3);
        let f = shadowed::loss;
        let (v, grad) = shadowed::loss_grad(&x_bar, &g, t3, &lg, &a, &t0);
        let at = format!("{m}×{n}");
        assert_value(&at, v, f(&x_bar, &g, t3, &lg, &a, &t0));
        // The gradient struct's fields are the parameters' names, odd as they are.
        let shadowed::LossGrad {
            x_bar: d_x_bar,
            __g: d_g,
            __t3: d_t3,
            loss_grad: d_lg,
            a: d_a,
            __t0: d_t0,
        } = grad;
        assert_fd(&at, |p| f(p, &g, t3, &lg, &a, &t0), &x_bar, &d_x_bar);
        assert_fd(&at, |p| f(&x_bar, p, t3, &lg, &a, &t0), &g, &d_g);
        assert_fd(&at, |p| f(&x_bar, &g, *p, &lg, &a, &t0), &t3, &d_t3);
        assert_fd(&at, |p| f(&x_bar, &g, t3, p, &a, &t0), &lg, &d_lg);
        assert_fd(&at, |p| f(&x_bar, &g, t3, &lg, p, &t0), &a, &d_a);
        assert_fd(&at, |p| f(&x_bar, &g, t3, &lg, &a, p), &t0, &d_t0);

        // The `_pullback` companion, with the same names, agrees with `_grad`.
        let (v2, pullback) = shadowed::loss_pullback(&x_bar, &g, t3, &lg, &a, &t0);
        assert_eq!(v, v2, "{at}");
        let p = pullback(&1.0);
        assert_closed(&at, &p.x_bar, &d_x_bar);
        assert_closed(&at, &p.__g, &d_g);
        assert_closed(&at, &p.__t3, &d_t3);
        assert_closed(&at, &p.loss_grad, &d_lg);
        assert_closed(&at, &p.a, &d_a);
        assert_closed(&at, &p.__t0, &d_t0);
    }
}

/// Items named like the generated locals do not break the generated code.
#[test]
fn items_named_like_generated_locals() {
    let mut rng = rng(6);
    for &(m, n) in &[(1, 1), (3, 2), (2, 5)] {
        let (x, w) = (dvector(&mut rng, n), dmatrix(&mut rng, m, n));
        let at = format!("{m}×{n}");
        let (v, g) = items::among_items_grad(&x, &w);
        assert_value(&at, v, items::among_items(&x, &w));
        assert_fd(&at, |x| items::among_items(x, &w), &x, &g.x);
        assert_fd(&at, |w| items::among_items(&x, w), &w, &g.w);
        let (_, pullback) = items::among_items_pullback(&x, &w);
        assert_closed(&at, &pullback(&1.0).w, &g.w);
    }
}

/// A local named `__value`: `_grad` is right ...
#[test]
fn local_named_like_pullback_value_grad() {
    let mut rng = rng(5);
    for n in [1, 3, 7] {
        let x = dvector(&mut rng, n);
        let at = format!("n = {n}");
        let (v, g) = shadowed::value_local_grad(&x);
        assert_value(&at, v, shadowed::value_local(&x));
        assert_fd(&at, shadowed::value_local, &x, &g.x);
    }
}

/// ... and so must `_pullback` be.
#[test]
fn local_named_like_pullback_value_pullback() {
    let mut rng = rng(5);
    for n in [1, 3, 7] {
        let x = dvector(&mut rng, n);
        let at = format!("n = {n}");
        let (v, pullback) = shadowed::value_local_pullback(&x);
        assert_value(&at, v, shadowed::value_local(&x));
        assert_fd(&at, shadowed::value_local, &x, &pullback(&1.0).x);
    }
}

/// Parameters named like each other's adjoints.
#[test]
fn parameters_named_like_adjoints() {
    let mut rng = rng(4);
    for n in [1, 3, 7] {
        let (x, x_bar) = (dvector(&mut rng, n), dvector(&mut rng, n));
        let (y, y_bar) = (uniform(&mut rng), uniform(&mut rng));
        let f = shadowed::pair;
        let at = format!("n = {n}");
        let (v, g) = shadowed::pair_grad(&x, &x_bar, y, y_bar);
        assert_value(&at, v, f(&x, &x_bar, y, y_bar));
        assert_fd(&at, |p| f(p, &x_bar, y, y_bar), &x, &g.x);
        assert_fd(&at, |p| f(&x, p, y, y_bar), &x_bar, &g.x_bar);
        assert_fd(&at, |p| f(&x, &x_bar, *p, y_bar), &y, &g.y);
        assert_fd(&at, |p| f(&x, &x_bar, y, *p), &y_bar, &g.y_bar);
    }
}

/// A generic function in the shadowing module, with items and closures in its body.
#[test]
fn shadowed_generic_with_items_and_closures() {
    let mut rng = rng(2);
    for n in [1, 3, 7] {
        let x = dvector(&mut rng, n);
        let weights: Vec<f64> = (0..n).map(|_| uniform(&mut rng)).collect();
        let at = format!("n = {n}");
        let (v, g) = shadowed::generic_grad(&x, &weights);
        assert_value(&at, v, shadowed::generic(&x, &weights));
        assert_fd(&at, |x| shadowed::generic(x, &weights), &x, &g.x);
        // And at f32, against the f64 gradient.
        let x32 = x.map(|v| v as f32);
        let (_, g32) = shadowed::generic_grad(&x32, &weights);
        assert_f32_agrees(&at, &g32.x, &g.x);
    }
}

/// `println!`, `assert!` and `debug_assert_eq!` of locals inside a `#[grad]` body.
#[test]
fn println_of_a_local() {
    let mut rng = rng(3);
    for &(m, n) in &[(1, 1), (3, 2), (2, 5)] {
        let (x, a) = (dvector(&mut rng, n), dmatrix(&mut rng, m, n));
        let at = format!("{m}×{n}");
        let (v, g) = shadowed::printing_grad(&x, &a);
        assert_value(&at, v, shadowed::printing(&x, &a));
        assert_fd(&at, |x| shadowed::printing(x, &a), &x, &g.x);
        assert_fd(&at, |a| shadowed::printing(&x, a), &a, &g.a);
    }
}

/// Locals named like the generated code's fixed names (`__g`, `__value`) and inline format
/// arguments (`"{y}"`) of a local; shape queries of a local, not only of a parameter.
mod internal_names {
    use matgrad::{check_gradient, grad};
    use nalgebra::DVector;

    #[grad]
    pub fn named_like_internals(x: &DVector<f64>) -> f64 {
        let y = x * 2.0;
        println!("y = {y}, {} entries, {y:?}", y.len());
        let __value = y.sum() / y.len() as f64;
        let __g = __value * 2.0;
        let __cotangent = __g * __value;
        __cotangent + y[y.len() - 1]
    }

    #[test]
    fn internal_names_and_format_arguments() {
        for n in [1, 3, 6] {
            let x = DVector::from_fn(n, |i, _| 0.3 * i as f64 - 0.4);
            let (value, grad) = named_like_internals_grad(&x);
            assert_eq!(value, named_like_internals(&x));
            let (value2, pullback) = named_like_internals_pullback(&x);
            assert_eq!(value2, value);
            assert_eq!(pullback(&1.0), grad);
            let report = check_gradient(named_like_internals, &x, &grad.x);
            assert!(report.rel_error < 1e-7, "n = {n}: {report}");
        }
    }
}
