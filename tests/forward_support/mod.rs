//! Shared by `tests/forward.rs` and `tests/forward_ops.rs`: the checks every forward-mode
//! companion is held to, on the differentiated parameters flattened to one vector (each
//! parameter's entries in storage order, parameters in order: the layout of `f_hessian` and
//! `f_jacobian`).
//!
//! Finite differences are the five-point stencil
//! `(−f(x+2hv) + 8f(x+hv) − 8f(x−hv) + f(x−2hv)) / 12h` with `h = 1e-3` (truncation error
//! O(h⁴) ≈ 1e-13, rounding ≈ 1e-13), so they are good to about 1e-10 on smooth functions:
//! much tighter than a two-point difference.
#![allow(dead_code)]

use matgrad::Dense;
use nalgebra::{allocator::Allocator, DMatrix, DVector, DefaultAllocator, Dim, OMatrix};
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::fmt::Write as _;

/// Directional derivative (jvp) against finite differences.
pub const FD_TOL: f64 = 1e-6;
/// ⟨ȳ, J·v⟩ against ⟨Jᵀȳ, v⟩ and other identities that hold up to rounding.
pub const IDENTITY_TOL: f64 = 1e-10;
/// H·v against finite differences of the gradient.
pub const HVP_FD_TOL: f64 = 1e-5;
/// The finite-difference step.
pub const H: f64 = 1e-3;

/// `m×n` shapes: a scalar-like one, tall, wide, square.
pub const SHAPES: &[(usize, usize)] = &[(1, 1), (3, 2), (2, 5), (4, 4)];

pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

pub fn uniform(g: &mut StdRng) -> f64 {
    g.random_range(-1.0..1.0)
}

/// A random `r×c` matrix with entries in `[lo, hi)`.
pub fn mat_in(g: &mut StdRng, r: usize, c: usize, lo: f64, hi: f64) -> DMatrix<f64> {
    DMatrix::from_fn(r, c, |_, _| g.random_range(lo..hi))
}

/// A random `r×c` matrix with entries in `[-1, 1)`.
pub fn mat(g: &mut StdRng, r: usize, c: usize) -> DMatrix<f64> {
    mat_in(g, r, c, -1.0, 1.0)
}

pub fn vec(g: &mut StdRng, n: usize) -> DVector<f64> {
    DVector::from_fn(n, |_, _| uniform(g))
}

/// Fixed weights of any shape, none zero and no two neighbours equal, so every entry of a
/// value read through them matters (a constant to `#[grad]`: a call on sizes only).
pub fn weights<R: Dim, C: Dim>(r: usize, c: usize) -> OMatrix<f64, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    const W: [f64; 7] = [0.7, -1.1, 0.4, 1.3, -0.6, 0.9, -0.8];
    OMatrix::from_fn_generic(R::from_usize(r), C::from_usize(c), |i, j| {
        W[(3 * i + 5 * j + i * j) % 7]
    })
}

/// The differentiated parameters of a function, flattened to one vector and back.
pub trait Params: Clone {
    fn flat(&self) -> DVector<f64>;
    /// A value of this one's shapes with the entries `z`.
    fn unflat(&self, z: &DVector<f64>) -> Self;
}

/// One differentiated parameter.
impl<X: Dense<Scalar = f64>> Params for X {
    fn flat(&self) -> DVector<f64> {
        DVector::from_column_slice(self.entries())
    }
    fn unflat(&self, z: &DVector<f64>) -> Self {
        self.with_entries(z.as_slice().to_vec())
    }
}

/// `params!(P { x: DMatrix<f64>, t: f64 })`: a struct of a function's differentiated
/// parameters (in the function's order), flattened in that order.
macro_rules! params {
    ($name:ident { $($f:ident: $t:ty),* $(,)? }) => {
        #[derive(Clone, Debug)]
        pub struct $name { $(pub $f: $t,)* }

        impl $crate::forward_support::Params for $name {
            fn flat(&self) -> nalgebra::DVector<f64> {
                let mut v = Vec::new();
                $($crate::forward_support::push(&mut v, &self.$f);)*
                nalgebra::DVector::from_vec(v)
            }
            fn unflat(&self, z: &nalgebra::DVector<f64>) -> Self {
                let mut at = 0;
                $(let $f = $crate::forward_support::take(&self.$f, z, &mut at);)*
                $name { $($f,)* }
            }
        }
    };
}

/// Appends the entries of `x` to `out` (for `Params` of several parameters).
pub fn push<X: Dense<Scalar = f64>>(out: &mut Vec<f64>, x: &X) {
    out.extend_from_slice(x.entries());
}

/// A value of the shape of `like` from the next entries of `z` (for `Params::unflat`).
pub fn take<X: Dense<Scalar = f64>>(like: &X, z: &DVector<f64>, at: &mut usize) -> X {
    let n = like.len();
    let x = like.with_entries(z.as_slice()[*at..*at + n].to_vec());
    *at += n;
    x
}

type Vector = DVector<f64>;
/// (value, gradient, H·v), flattened.
type HvpResult = (f64, Vector, Vector);
/// (value, gradient, Hessian), flattened.
type HessianResult = (f64, Vector, DMatrix<f64>);
/// (value, J·v), flattened.
type JvpResult = (Vector, Vector);

/// The companions of a scalar-valued `#[grad(.., forward)]` function, on parameters `P`,
/// their gradient struct flattened.
pub struct Scalar<'a, P> {
    pub f: &'a dyn Fn(&P) -> f64,
    pub grad: &'a dyn Fn(&P) -> (f64, Vector),
    pub jvp: &'a dyn Fn(&P, &P) -> (f64, f64),
    pub hvp: &'a dyn Fn(&P, &P) -> HvpResult,
    pub hessian: &'a dyn Fn(&P) -> HessianResult,
}

/// The companions of a matrix-valued function, its values flattened.
pub struct Valued<'a, P> {
    pub f: &'a dyn Fn(&P) -> Vector,
    pub jvp: &'a dyn Fn(&P, &P) -> JvpResult,
    /// The value and the pullback of the cotangent (both flattened).
    pub pullback: &'a dyn Fn(&P, &Vector) -> (Vector, Vector),
    pub jacobian: &'a dyn Fn(&P) -> (Vector, DMatrix<f64>),
}

/// The worst error each check saw, by name.
#[derive(Default, Debug)]
pub struct Worst(pub Vec<(&'static str, f64)>);

impl Worst {
    /// Records `err` for `check` and fails if it exceeds `tol`.
    #[track_caller]
    pub fn record(&mut self, what: &str, check: &'static str, err: f64, tol: f64) {
        assert!(
            err <= tol,
            "{what}: {check}: relative error {err:e} exceeds {tol:e}"
        );
        match self.0.iter_mut().find(|(c, _)| *c == check) {
            Some((_, w)) => *w = w.max(err),
            None => self.0.push((check, err)),
        }
    }
    /// Prints one line per check (`cargo test -- --nocapture` shows them).
    pub fn print(&self, what: &str) {
        let mut s = String::new();
        for (c, e) in &self.0 {
            let _ = write!(s, " {c}={e:.1e}");
        }
        println!("FORWARD-WORST {what}:{s}");
    }
}

/// `|a − b| / max(|a|, |b|, floor)`; NaN fails.
pub fn rel(a: f64, b: f64, floor: f64) -> f64 {
    let d = (a - b).abs();
    let s = a.abs().max(b.abs()).max(floor);
    if d.is_nan() {
        f64::INFINITY
    } else if s > 0.0 {
        d / s
    } else {
        d
    }
}

/// `max |aᵢ − bᵢ| / max(‖a‖∞, ‖b‖∞, floor)`.
pub fn rel_vec(a: &DVector<f64>, b: &DVector<f64>, floor: f64) -> f64 {
    assert_eq!(a.len(), b.len(), "rel_vec: lengths differ");
    let s = a.amax().max(b.amax()).max(floor);
    let d = (a - b).iter().fold(0.0_f64, |m, e| {
        if e.is_nan() {
            f64::INFINITY
        } else {
            m.max(e.abs())
        }
    });
    if s > 0.0 {
        d / s
    } else {
        d
    }
}

/// The five-point finite difference of `f` at `x` along `v`.
pub fn fd<V, P: Params>(f: impl Fn(&P) -> V, x: &P, v: &DVector<f64>) -> V
where
    V: Dense<Scalar = f64>,
{
    let z = x.flat();
    let at = |t: f64| f(&x.unflat(&(&z + v * (t * H))));
    let (p2, p1, m1, m2) = (at(2.0), at(1.0), at(-1.0), at(-2.0));
    p1.map_entries(|i, e1| (-p2.entry(i) + 8.0 * e1 - 8.0 * m1.entry(i) + m2.entry(i)) / (12.0 * H))
}

/// Checks a scalar-valued function's `jvp`, `hvp` and `hessian` at `x` along random
/// directions: (a) J·v against finite differences, (b) J·v = ⟨∇f, v⟩, (c) H·v against
/// finite differences of the gradient and `hvp`'s gradient against `grad`'s, (d) the Hessian
/// symmetric, its columns the HVPs of the unit vectors, and H·v the HVP of v.
pub fn check_scalar<P: Params>(
    what: &str,
    x: &P,
    c: &Scalar<P>,
    g: &mut StdRng,
    worst: &mut Worst,
) {
    let y = (c.f)(x);
    let (y_grad, grad) = (c.grad)(x);
    let (y_hess, grad_hess, hess) = (c.hessian)(x);
    let n = grad.len();
    worst.record(what, "values agree", rel(y_grad, y, 0.0), 1e-13); // f_grad's value
    worst.record(what, "values agree", rel(y_hess, y, 0.0), 1e-13); // f_hessian's value
    assert_eq!(hess.shape(), (n, n), "{what}: the Hessian's shape");
    worst.record(
        what,
        "hessian grad = grad",
        rel_vec(&grad_hess, &grad, 0.0),
        1e-12,
    );
    let hmax = hess.amax();
    worst.record(
        what,
        "hessian symmetric",
        rel_vec(&hess.flat(), &hess.transpose().flat(), hmax),
        IDENTITY_TOL,
    );
    for _ in 0..2 {
        let v = vec(g, n);
        let dir = x.unflat(&v);
        let (y_jvp, t) = (c.jvp)(x, &dir);
        worst.record(what, "values agree", rel(y_jvp, y, 0.0), 1e-13); // f_jvp's value
                                                                       // ⟨∇f, v⟩ in a sum of |terms|: the size rounding is relative to.
        let scale = grad.component_mul(&v).abs().sum();
        let fd_t = fd(|p: &P| (c.f)(p), x, &v);
        worst.record(what, "jvp vs FD", rel(t, fd_t, scale), FD_TOL);
        worst.record(
            what,
            "jvp = <grad, v>",
            rel(t, grad.dot(&v), scale),
            IDENTITY_TOL,
        );
        let (y_hvp, g_hvp, hv) = (c.hvp)(x, &dir);
        worst.record(what, "values agree", rel(y_hvp, y, 0.0), 1e-13); // f_hvp's value
        worst.record(what, "hvp grad = grad", rel_vec(&g_hvp, &grad, 0.0), 1e-12);
        let hscale = (hess.abs() * v.abs()).amax();
        let fd_hv = fd(|p: &P| (c.grad)(p).1, x, &v);
        worst.record(what, "hvp vs FD", rel_vec(&hv, &fd_hv, hscale), HVP_FD_TOL);
        worst.record(
            what,
            "hvp = H v",
            rel_vec(&hv, &(&hess * &v), hscale),
            IDENTITY_TOL,
        );
    }
    for k in 0..n {
        let mut e = DVector::zeros(n);
        e[k] = 1.0;
        let (_, _, hv) = (c.hvp)(x, &x.unflat(&e));
        let column = hess.column(k).into_owned();
        worst.record(
            what,
            "hessian column = hvp(e_k)",
            rel_vec(&column, &hv, hmax),
            1e-14,
        );
        // The layout (parameter order, each column-major) against the gradient's own.
        let fd_col = fd(|p: &P| (c.grad)(p).1, x, &e);
        worst.record(
            what,
            "hessian column vs FD",
            rel_vec(&column, &fd_col, hmax),
            HVP_FD_TOL,
        );
    }
}

/// Checks a matrix-valued function's `jvp` and `jacobian` at `x`: J·v against finite
/// differences, ⟨ȳ, J·v⟩ = ⟨pullback(ȳ), v⟩ for a random ȳ, and the Jacobian's columns the
/// JVPs of the unit vectors, its rows the pullbacks of the unit cotangents.
pub fn check_valued<P: Params>(
    what: &str,
    x: &P,
    c: &Valued<P>,
    g: &mut StdRng,
    worst: &mut Worst,
) {
    let y = (c.f)(x);
    let (y_jac, jac) = (c.jacobian)(x);
    worst.record(what, "values agree", rel_vec(&y_jac, &y, 0.0), 1e-13); // f_jacobian's value
    let n = x.flat().len();
    assert_eq!(jac.shape(), (y.len(), n), "{what}: the Jacobian's shape");
    let jmax = jac.amax();
    for _ in 0..2 {
        let v = vec(g, n);
        let (y_jvp, t) = (c.jvp)(x, &x.unflat(&v));
        worst.record(what, "values agree", rel_vec(&y_jvp, &y, 0.0), 1e-13); // f_jvp's value
        let scale = (jac.abs() * v.abs()).amax();
        worst.record(
            what,
            "jvp vs FD",
            rel_vec(&t, &fd(|p: &P| (c.f)(p), x, &v), scale),
            FD_TOL,
        );
        worst.record(
            what,
            "jvp = J v",
            rel_vec(&t, &(&jac * &v), scale),
            IDENTITY_TOL,
        );
        let ybar = vec(g, y.len());
        let (y_pb, xbar) = (c.pullback)(x, &ybar);
        worst.record(what, "values agree", rel_vec(&y_pb, &y, 0.0), 1e-13); // f_pullback's value
        let terms = ybar.component_mul(&t).abs().sum() + xbar.component_mul(&v).abs().sum();
        worst.record(
            what,
            "<ybar, Jv> = <J'ybar, v>",
            rel(ybar.dot(&t), xbar.dot(&v), terms),
            IDENTITY_TOL,
        );
    }
    for k in 0..n {
        let mut e = DVector::zeros(n);
        e[k] = 1.0;
        let (_, col) = (c.jvp)(x, &x.unflat(&e));
        worst.record(
            what,
            "jacobian column = jvp(e_k)",
            rel_vec(&jac.column(k).into_owned(), &col, jmax),
            IDENTITY_TOL,
        );
    }
    for i in 0..y.len() {
        let mut e = DVector::zeros(y.len());
        e[i] = 1.0;
        let (_, row) = (c.pullback)(x, &e);
        worst.record(
            what,
            "jacobian row = pullback(e_i)",
            rel_vec(&jac.row(i).transpose(), &row, jmax),
            IDENTITY_TOL,
        );
    }
}
