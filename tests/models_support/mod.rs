//! Shared by the tests of parameters of the user's own types: every companion of a function
//! of a `Differentiable` value held to central finite differences over its flattened entries.
#![allow(dead_code)]

use matgrad::Differentiable;
use nalgebra::{DMatrix, DVector};

/// A direction of `p`'s shape, entries about in [−1, 1].
pub fn direction<P: Differentiable<Scalar = f64>>(p: &P) -> P {
    p.unflatten(&DVector::from_fn(p.entry_count(), |k, _| {
        (k as f64 * 1.3 + 0.2).cos()
    }))
}

// ---- finite differences over the flattened parameters ----

pub const H: f64 = 1e-6;

/// ∇f by central differences, flattened.
pub fn fd_gradient<P: Differentiable<Scalar = f64>>(f: impl Fn(&P) -> f64, p: &P) -> DVector<f64> {
    let flat = p.to_flat();
    DVector::from_fn(flat.len(), |k, _| {
        let (mut a, mut b) = (flat.clone(), flat.clone());
        a[k] += H;
        b[k] -= H;
        (f(&p.unflatten(&a)) - f(&p.unflatten(&b))) / (2.0 * H)
    })
}

/// J·v of a vector-valued `f` by central differences.
pub fn fd_directional<P: Differentiable<Scalar = f64>>(
    f: impl Fn(&P) -> DVector<f64>,
    p: &P,
    v: &P,
) -> DVector<f64> {
    let (mut a, mut b) = (p.clone(), p.clone());
    a.axpy(H, v);
    b.axpy(-H, v);
    (f(&a) - f(&b)) / (2.0 * H)
}

pub fn assert_close(what: &str, got: &DVector<f64>, want: &DVector<f64>, tol: f64) {
    let err = (got - want).amax() / want.amax().max(1.0);
    assert!(
        err < tol,
        "{what}: off by {err:e} (relative)\n got {got}\nwant {want}"
    );
}

/// Every companion of a float-valued `f` over `P` at `p`: the value, the gradient against
/// differences, the JVP against ⟨∇f, v⟩, the HVP against differences of the gradient, and
/// the Hessian (symmetric, its columns the HVPs along the unit directions).
pub fn check_float<P: Differentiable<Scalar = f64>>(
    what: &str,
    p: &P,
    f: impl Fn(&P) -> f64,
    grad: impl Fn(&P) -> (f64, P),
    jvp: impl Fn(&P, &P) -> (f64, f64),
    hvp: impl Fn(&P, &P) -> (f64, P, P),
    hessian: impl Fn(&P) -> DMatrix<f64>,
) {
    let (value, g) = grad(p);
    assert!(
        (value - f(p)).abs() <= 1e-12 * value.abs().max(1.0),
        "{what}: value"
    );
    assert_close(what, &g.to_flat(), &fd_gradient(&f, p), 1e-7);
    let v = direction(p);
    let (jv_value, slope) = jvp(p, &v);
    assert!((jv_value - value).abs() <= 1e-12 * value.abs().max(1.0));
    let expected = g.dot(&v);
    assert!(
        (slope - expected).abs() <= 1e-10 * expected.abs().max(1.0),
        "{what}: J·v {slope} against ⟨∇f, v⟩ {expected}"
    );
    let (_, g2, hv) = hvp(p, &v);
    assert_close(what, &g2.to_flat(), &g.to_flat(), 1e-12);
    let grad_flat = |q: &P| grad(q).1.to_flat();
    assert_close(what, &hv.to_flat(), &fd_directional(grad_flat, p, &v), 1e-6);
    let h = hessian(p);
    let n = p.entry_count();
    assert_eq!((h.nrows(), h.ncols()), (n, n), "{what}: Hessian shape");
    assert!(
        (&h - h.transpose()).amax() <= 1e-10 * h.amax().max(1.0),
        "{what}: symmetric"
    );
    assert_close(what, &(&h * v.to_flat()), &hv.to_flat(), 1e-10);
}
