//! Forward mode (`#[grad(.., forward)]`) at the edges: values that do not depend on the
//! parameters (a constant result, an unused parameter, an `if` arm or a loop state that is
//! constant for a while), the identity, parameters taken by value, const generics, assorted
//! syntax (shadowing in loops, compound assignment, blocks, `let _`), a long function (past
//! the 400 values where the companions are emitted in chunks), and the points where reverse
//! mode defines a derivative by convention (ties, zeros, bounds), where J·v must still be
//! ⟨∇f, v⟩ and `f_hvp`'s gradient `f_grad`'s.

#[macro_use]
mod forward_support;

use forward_support::*;
use matgrad::grad;
use nalgebra::{DMatrix, DVector, SVector};

// ======================================================================== constant parts

#[grad(x, _y, forward)]
fn unused_parameter(x: &DVector<f64>, _y: f64) -> f64 {
    x.norm_squared() * 1.5
}

#[grad(x, forward)]
fn constant_result(x: &DVector<f64>) -> f64 {
    x.len() as f64 * 2.0
}

#[grad(x, forward)]
fn constant_matrix(x: &DVector<f64>) -> DMatrix<f64> {
    DMatrix::identity(2, x.len())
}

#[grad(x, forward)]
fn identity(x: &DMatrix<f64>) -> DMatrix<f64> {
    x.clone()
}

/// An arm of each `if` that does not depend on `x`.
#[grad(x, forward)]
fn constant_arms(x: &DVector<f64>, c: bool) -> f64 {
    let y = if c { x.sum() } else { 1.0 };
    let z = if x[0] > 0.0 { 3.0 } else { x.norm_squared() };
    y * z
}

/// `s` is a constant for two iterations, then depends on `x`.
#[grad(x, forward)]
fn late_dependence(x: &DVector<f64>, n: usize) -> f64 {
    let mut s = 1.0;
    for k in 0..n {
        if k == 2 {
            s = x.sum();
        } else {
            s *= 2.0;
        }
    }
    s * s
}

#[test]
fn values_that_do_not_depend_on_the_parameters() {
    let (x, v) = (
        DVector::from_vec(vec![0.3, -0.2]),
        DVector::from_vec(vec![1.0, 2.0]),
    );
    let (_, _, h) = unused_parameter_hessian(&x, 0.7);
    assert_eq!(
        h,
        DMatrix::from_diagonal(&DVector::from_vec(vec![3.0, 3.0, 0.0]))
    );
    let (_, _, hv) = unused_parameter_hvp(&x, 0.7, &v, &1.0);
    assert_eq!((hv.x, hv._y), (&v * 3.0, 0.0));
    assert_eq!(constant_result_jvp(&x, &v), (4.0, 0.0));
    let (_, g, h) = constant_result_hessian(&x);
    assert_eq!((g.x, h), (DVector::zeros(2), DMatrix::zeros(2, 2)));
    assert_eq!(constant_matrix_jvp(&x, &v).1, DMatrix::zeros(2, 2));
    assert_eq!(constant_matrix_jacobian(&x).1, DMatrix::zeros(4, 2));
    let m = DMatrix::from_fn(2, 3, |i, j| (i + 2 * j) as f64);
    assert_eq!(identity_jvp(&m, &(&m * 2.0)).1, &m * 2.0);
    assert_eq!(identity_jacobian(&m).1, DMatrix::identity(6, 6));
    // y·z: z = 3 (x₀ > 0), y = Σx or 1.
    assert_eq!(
        constant_arms_jvp(&x, true, &v),
        (constant_arms(&x, true), 9.0)
    );
    assert_eq!(constant_arms_jvp(&x, false, &v), (3.0, 0.0));
    let (_, g, h) = constant_arms_hessian(&-&x, true);
    // x₀ < 0: y·z = Σx·‖x‖², checked against finite differences below.
    let (_, g2) = constant_arms_grad(&-&x, true);
    assert_eq!(g.x, g2.x);
    assert!((h.clone() - h.transpose()).amax() < 1e-15);
    // n = 4: s = 2·Σx at the end, s² = 4(Σx)².
    let (y, t) = late_dependence_jvp(&x, 4, &v);
    assert!(
        (y - 0.04).abs() < 1e-15 && (t - 8.0 * 0.1 * 3.0).abs() < 1e-14,
        "{y} {t}"
    );
    assert_eq!(
        late_dependence_hessian(&x, 4).2,
        DMatrix::from_element(2, 2, 8.0)
    );
    assert_eq!(late_dependence_hessian(&x, 2).2, DMatrix::zeros(2, 2));
}

#[test]
fn constant_arms_match_finite_differences() {
    let (mut g, mut worst) = (rng(11), Worst::default());
    for n in 1..=4 {
        for c in [true, false] {
            let x = vec(&mut g, n);
            let fns = Scalar {
                f: &|x: &DVector<f64>| constant_arms(x, c),
                grad: &|x| (constant_arms_grad(x, c).0, constant_arms_grad(x, c).1.x),
                jvp: &|x, v| constant_arms_jvp(x, c, v),
                hvp: &|x, v| {
                    let (y, g, h) = constant_arms_hvp(x, c, v);
                    (y, g.x, h.x)
                },
                hessian: &|x| {
                    let (y, g, h) = constant_arms_hessian(x, c);
                    (y, g.x, h)
                },
            };
            check_scalar(
                &format!("constant_arms, n = {n}, {c}"),
                &x,
                &fns,
                &mut g,
                &mut worst,
            );
        }
    }
    worst.print("constant_arms");
}

// =================================================== by value, const generics, syntax

#[grad(x, t, forward)]
fn by_value(x: DMatrix<f64>, t: f64) -> f64 {
    x.norm_squared() * t + x.sum() * t * t
}

#[grad(x, forward)]
fn const_generic<const N: usize>(x: &SVector<f64, N>) -> f64 {
    x.norm_squared() * x.sum()
}

/// Shadowing a parameter in a loop, `+=`, `-=`, `*=` on a carried matrix, a block value,
/// `let _`, an `if` on a constant after the loop.
#[grad(x, w, forward)]
fn syntax(x: &DMatrix<f64>, w: &DMatrix<f64>, n: usize) -> f64 {
    let mut acc = DMatrix::zeros(x.nrows(), x.ncols());
    let _ = x.sum();
    for k in 0..n {
        let x = x * (k as f64 + 1.0);
        acc += w * &x;
        let d = x.component_mul(&acc) * 0.1;
        acc -= d;
        let y = {
            let t = acc.norm_squared();
            t / (1.0 + t)
        };
        acc *= 1.0 - 0.1 * y;
    }
    if n > 2 {
        acc.sum() + acc.norm()
    } else {
        acc.norm_squared()
    }
}

params!(ByValueP { x: DMatrix<f64>, t: f64 });
params!(SyntaxP { x: DMatrix<f64>, w: DMatrix<f64> });

#[test]
fn parameters_by_value_and_const_generics() {
    let (mut g, mut worst) = (rng(12), Worst::default());
    for &(r, c) in SHAPES {
        let p = ByValueP {
            x: mat(&mut g, r, c),
            t: uniform(&mut g),
        };
        let fns = Scalar {
            f: &|p: &ByValueP| by_value(p.x.clone(), p.t),
            grad: &|p| {
                let (y, gr) = by_value_grad(p.x.clone(), p.t);
                (y, ByValueP { x: gr.x, t: gr.t }.flat())
            },
            jvp: &|p, d| by_value_jvp(p.x.clone(), p.t, &d.x, &d.t),
            hvp: &|p, d| {
                let (y, gr, hv) = by_value_hvp(p.x.clone(), p.t, &d.x, &d.t);
                (
                    y,
                    ByValueP { x: gr.x, t: gr.t }.flat(),
                    ByValueP { x: hv.x, t: hv.t }.flat(),
                )
            },
            hessian: &|p| {
                let (y, gr, h) = by_value_hessian(p.x.clone(), p.t);
                (y, ByValueP { x: gr.x, t: gr.t }.flat(), h)
            },
        };
        check_scalar(
            &format!("by_value at {r}x{c}"),
            &p,
            &fns,
            &mut g,
            &mut worst,
        );
    }
    // x = (1, 2, 3): H = 2Σx·I + 2(x1ᵀ + 1xᵀ).
    let x = SVector::<f64, 3>::new(1.0, 2.0, 3.0);
    let (y, gr, h) = const_generic_hessian(&x);
    let ones = SVector::<f64, 3>::repeat(1.0);
    let expected = DMatrix::from_fn(3, 3, |i, j| {
        2.0 * (x[i] + x[j]) + if i == j { 12.0 } else { 0.0 }
    });
    assert_eq!((y, gr.x), (84.0, SVector::<f64, 3>::new(26.0, 38.0, 50.0)));
    assert_eq!(h, expected);
    assert_eq!(const_generic_jvp(&x, &ones), (84.0, 114.0));
    worst.print("by_value");
}

#[test]
fn assorted_syntax() {
    let (mut g, mut worst) = (rng(13), Worst::default());
    for &(r, c) in SHAPES {
        for n in [1, 3] {
            let p = SyntaxP {
                x: mat(&mut g, r, c),
                w: mat(&mut g, r, r) * 0.5,
            };
            let flat = |gr: SyntaxGrad| SyntaxP { x: gr.x, w: gr.w }.flat();
            let fns = Scalar {
                f: &|p: &SyntaxP| syntax(&p.x, &p.w, n),
                grad: &|p| {
                    let (y, gr) = syntax_grad(&p.x, &p.w, n);
                    (y, flat(gr))
                },
                jvp: &|p, d| syntax_jvp(&p.x, &p.w, n, &d.x, &d.w),
                hvp: &|p, d| {
                    let (y, gr, hv) = syntax_hvp(&p.x, &p.w, n, &d.x, &d.w);
                    (y, flat(gr), flat(hv))
                },
                hessian: &|p| {
                    let (y, gr, h) = syntax_hessian(&p.x, &p.w, n);
                    (y, flat(gr), h)
                },
            };
            check_scalar(
                &format!("syntax at {r}x{c}, n = {n}"),
                &p,
                &fns,
                &mut g,
                &mut worst,
            );
        }
    }
    worst.print("syntax");
}

// ========================================================================= a long function

/// 140 steps of about 7 values each: past the 400 values where the companions' code is
/// emitted in chunks.
macro_rules! long_function {
    ($($k:literal)*) => {
        #[grad(x, forward)]
        fn long(x: &DVector<f64>) -> f64 {
            let mut h = x.clone();
            let mut s = 0.0;
            $(
                h = &h * 0.99 + x * ($k as f64 * 1e-3);
                s += (h.dot(x) * 0.5).sin() * 0.01;
            )*
            s + h.norm_squared()
        }
    };
}

long_function!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30
    31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61
    62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87 88 89 90 91 92
    93 94 95 96 97 98 99 100 101 102 103 104 105 106 107 108 109 110 111 112 113 114 115 116 117
    118 119 120 121 122 123 124 125 126 127 128 129 130 131 132 133 134 135 136 137 138 139 140);

#[test]
fn long_function() {
    let (mut g, mut worst) = (rng(14), Worst::default());
    for n in [1, 3, 5] {
        let x = vec(&mut g, n);
        let fns = Scalar {
            f: &|x: &DVector<f64>| long(x),
            grad: &|x| {
                let (y, g) = long_grad(x);
                (y, g.x)
            },
            jvp: &|x, v| long_jvp(x, v),
            hvp: &|x, v| {
                let (y, g, h) = long_hvp(x, v);
                (y, g.x, h.x)
            },
            hessian: &|x| {
                let (y, g, h) = long_hessian(x);
                (y, g.x, h)
            },
        };
        check_scalar(&format!("long, n = {n}"), &x, &fns, &mut g, &mut worst);
    }
    worst.print("long");
}

// ====================================================== a matrix-valued loop with branches

/// Matrix state carried through nested loops and a branch on a value, a matrix result.
#[grad(x, forward)]
fn power(x: &DMatrix<f64>, n: usize) -> DMatrix<f64> {
    let mut p = x.clone();
    for _ in 1..n {
        p = &p * x;
        for j in 0..2 {
            p = &p * (0.5 + j as f64 * 0.25) + x.transpose() * 0.1;
        }
        if p.sum() > 0.0 {
            p = p.component_mul(x);
        }
    }
    p
}

#[test]
fn matrix_valued_loop() {
    let (mut g, mut worst) = (rng(16), Worst::default());
    for r in 1..=4 {
        for n in [1, 2, 4] {
            let x = mat(&mut g, r, r);
            let fns = Valued {
                f: &|x: &DMatrix<f64>| power(x, n).flat(),
                jvp: &|x, v| {
                    let (y, t) = power_jvp(x, n, v);
                    (y.flat(), t.flat())
                },
                pullback: &|x, ybar| {
                    let (y, pb) = power_pullback(x, n);
                    let g = pb(&y.unflat(ybar));
                    (y.flat(), g.x.flat())
                },
                jacobian: &|x| {
                    let (y, j) = power_jacobian(x, n);
                    (y.flat(), j)
                },
            };
            check_valued(
                &format!("power, {r}x{r}, n = {n}"),
                &x,
                &fns,
                &mut g,
                &mut worst,
            );
        }
    }
    worst.print("power");
}

// ===================================================== points where a convention decides

/// At `x`, where `f` is not differentiable (or its formula divides 0 by 0) and reverse mode
/// takes a documented convention: J·v is ⟨∇f, v⟩ along random and unit directions, and the
/// gradient `f_hvp` returns is `f_grad`'s, all finite.
#[track_caller]
fn assert_consistent<P: Params>(what: &str, x: &P, c: &Scalar<P>) {
    let (_, grad) = (c.grad)(x);
    assert!(
        grad.iter().all(|e| e.is_finite()),
        "{what}: f_grad is not finite: {grad}"
    );
    let n = grad.len();
    let mut g = rng(15);
    let units = (0..n).map(|k| DVector::from_fn(n, |i, _| f64::from(u8::from(i == k))));
    for v in units.chain((0..3).map(|_| vec(&mut g, n))) {
        let (_, t) = (c.jvp)(x, &x.unflat(&v));
        let expected = grad.dot(&v);
        assert!(
            (t - expected).abs() <= 1e-12 * expected.abs().max(1.0),
            "{what}: J·v = {t} but ⟨∇f, v⟩ = {expected} along {v:?}"
        );
        let (_, g_hvp, _) = (c.hvp)(x, &x.unflat(&v));
        assert_eq!(g_hvp, grad, "{what}: f_hvp's gradient is not f_grad's");
    }
}

/// Builds the `Scalar` companions of a function of one parameter.
macro_rules! one_param {
    ($f:ident, $grad:ident, $jvp:ident, $hvp:ident, $hessian:ident, $field:ident) => {
        Scalar {
            f: &|x| $f(x),
            grad: &|x| {
                let (y, g) = $grad(x);
                (y, g.$field.flat())
            },
            jvp: &|x, v| $jvp(x, v),
            hvp: &|x, v| {
                let (y, g, h) = $hvp(x, v);
                (y, g.$field.flat(), h.$field.flat())
            },
            hessian: &|x| {
                let (y, g, h) = $hessian(x);
                (y, g.$field.flat(), h)
            },
        }
    };
}

/// Ties of the largest and smallest (absolute) entries, a zero entry under `amin`.
#[grad(x, forward)]
fn entry_ties(x: &DVector<f64>) -> f64 {
    x.max() * 2.0 + x.amax() - x.min() + x.amin() * 3.0
}

/// `max`/`min` at a tie, `abs` at 0, `clamp` at a bound and outside.
#[grad(x, forward)]
fn float_ties(x: &DVector<f64>) -> f64 {
    let a = x[0];
    let b = x[1];
    a.max(b)
        + a.min(b) * 2.0
        + a.abs() * 1.5
        + b.abs()
        + a.clamp(-1.0, 1.0)
        + b.clamp(-1.0, 1.0) * 0.5
}

#[test]
fn conventions_at_ties_zeros_and_bounds() {
    let c = one_param!(
        entry_ties,
        entry_ties_grad,
        entry_ties_jvp,
        entry_ties_hvp,
        entry_ties_hessian,
        x
    );
    for x in [
        vec![1.0, -1.0, 1.0, 0.0, -1.0],
        vec![0.5, 0.5],
        vec![0.0],
        vec![-2.0, 2.0, 0.3],
    ] {
        assert_consistent(&format!("entry_ties at {x:?}"), &DVector::from_vec(x), &c);
    }
    let c = one_param!(
        float_ties,
        float_ties_grad,
        float_ties_jvp,
        float_ties_hvp,
        float_ties_hessian,
        x
    );
    for x in [[1.0, 1.0], [0.0, 0.0], [-1.0, 3.0], [1.0, -1.0], [0.0, 2.0]] {
        assert_consistent(
            &format!("float_ties at {x:?}"),
            &DVector::from_row_slice(&x),
            &c,
        );
    }
}

// BUGS (forward mode): at points where reverse mode defines the derivative (finite, by a
// convention or because the function is smooth there), the tangent rule's formula divides 0
// by 0 or multiplies 0 by an infinity, so `f_jvp` returns NaN and `f_hvp`/`f_hessian` return
// a NaN gradient, though `f_grad` is finite.

/// ‖x‖ at x = 0: `f_grad` gives 0 ("zero at x = 0"); the tangent rule ⟨x, ẋ⟩/‖x‖ is 0/0.
#[grad(x, forward)]
fn norm_at_zero(x: &DVector<f64>) -> f64 {
    x.norm() * 2.0 + x.sum()
}

/// hypot(a, b) at (0, 0): `f_grad` gives 0 ("0 at h = 0"); the rule (aȧ + bḃ)/h is 0/0.
#[grad(x, forward)]
fn hypot_at_zero(x: &DVector<f64>) -> f64 {
    x[0].hypot(x[1]) + x[0]
}

/// aᵇ at a = 0, b = 2 (smooth there: f(a, 2) = a², and 0ᵇ = 0 near b = 2): `f_grad` gives
/// (0, 0) ("0 at a = 0, as in JAX"); the rule's ḃ·aᵇ·ln a is 0·(0·−∞) = NaN, even for ḃ = 0.
#[grad(x, forward)]
fn powf_at_zero_base(x: &DVector<f64>) -> f64 {
    x[0].powf(x[1]) + x[0]
}

/// a⁰ + a at a = 0 (the smooth 1 + a): `f_grad` gives 1; the rule n·aⁿ⁻¹ is 0·0⁻¹ = 0·∞.
#[grad(x, forward)]
fn powi_zero_exponent(x: &DVector<f64>) -> f64 {
    x[0].powi(0) + x[0]
}

#[test]
fn norm_at_zero_is_consistent() {
    let c = one_param!(
        norm_at_zero,
        norm_at_zero_grad,
        norm_at_zero_jvp,
        norm_at_zero_hvp,
        norm_at_zero_hessian,
        x
    );
    assert_consistent("norm at 0", &DVector::zeros(3), &c);
}

#[test]
fn hypot_at_zero_is_consistent() {
    let c = one_param!(
        hypot_at_zero,
        hypot_at_zero_grad,
        hypot_at_zero_jvp,
        hypot_at_zero_hvp,
        hypot_at_zero_hessian,
        x
    );
    assert_consistent("hypot at (0, 0)", &DVector::zeros(2), &c);
}

#[test]
fn powf_at_zero_base_is_consistent() {
    let c = one_param!(
        powf_at_zero_base,
        powf_at_zero_base_grad,
        powf_at_zero_base_jvp,
        powf_at_zero_base_hvp,
        powf_at_zero_base_hessian,
        x
    );
    assert_consistent("powf at (0, 2)", &DVector::from_vec(vec![0.0, 2.0]), &c);
}

#[test]
fn powi_zero_exponent_at_zero() {
    let c = one_param!(
        powi_zero_exponent,
        powi_zero_exponent_grad,
        powi_zero_exponent_jvp,
        powi_zero_exponent_hvp,
        powi_zero_exponent_hessian,
        x
    );
    assert_consistent("powi(0) at 0", &DVector::zeros(1), &c);
}

// ------------------------------------------------------------- powf with a constant operand

#[grad(a, forward)]
fn powf_literal_exponent(a: f64) -> f64 {
    a.powf(2.5)
}

#[grad(a, forward)]
fn powf_constant_exponent(a: f64, p: f64) -> f64 {
    a.powf(p)
}

#[grad(a, forward)]
fn powf_constant_base(a: f64) -> f64 {
    2.0_f64.powf(a)
}

/// `powf` with a constant operand: the rule's constants (`p − 1`, `ln 2`) are evaluated from
/// their kernels (they once were read without being defined).
#[test]
fn powf_with_a_constant_operand() {
    let (y, t) = powf_literal_exponent_jvp(1.5, &1.0);
    assert!((y - 1.5_f64.powf(2.5)).abs() < 1e-14);
    assert!((t - 2.5 * 1.5_f64.powf(1.5)).abs() < 1e-13);
    let (_, t) = powf_constant_exponent_jvp(1.5, -0.5, &1.0);
    assert!((t + 0.5 * 1.5_f64.powf(-1.5)).abs() < 1e-13);
    let (y, t) = powf_constant_base_jvp(1.5, &1.0);
    assert!((t - y * 2.0_f64.ln()).abs() < 1e-13);
    let (_, _, h) = powf_literal_exponent_hessian(1.5);
    assert!((h[(0, 0)] - 2.5 * 1.5 * 1.5_f64.powf(0.5)).abs() < 1e-12);
}
