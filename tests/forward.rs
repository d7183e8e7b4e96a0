//! Forward mode (`#[grad(.., forward)]`) beyond single operations: matrix-valued functions
//! (`f_jvp` against finite differences and the pullback, `f_jacobian` by JVPs and by
//! pullbacks), loops, branches, several differentiated parameters of mixed kinds (the
//! Hessian's block layout against finite differences), the seed's identity
//! ∇²ₓ g(Ax + b) = Aᵀ ∇²g(Ax + b) A, fallible functions, generic and static-size ones.
//! `tests/forward_ops.rs` checks the operations one by one; `tests/forward_support/` holds
//! the checks.

#[macro_use]
mod forward_support;

use forward_support::*;
use matgrad::grad;
use nalgebra::{DMatrix, DVector, Matrix3x2, RealField, Vector2};

// ================================================================ matrix-valued functions

/// More outputs ((2n+1)·n) than inputs (n): `f_jacobian` takes JVPs.
#[grad(x, forward)]
fn tall(x: &DVector<f64>, a: &DMatrix<f64>) -> DMatrix<f64> {
    let z = a * x;
    let m = &z * x.transpose();
    m.component_mul(&m) + m * x.norm()
}

/// Fewer outputs (r) than inputs (r·c + 1), a float among them: `f_jacobian` takes pullbacks.
#[grad(x, t, forward)]
fn wide(x: &DMatrix<f64>, t: f64) -> DVector<f64> {
    (x * x.transpose()).diagonal() * t + x.column_variance() - x.column(0) * (t * t)
}

params!(WideP { x: DMatrix<f64>, t: f64 });

#[test]
fn matrix_valued_more_outputs_than_inputs() {
    let (mut g, mut worst) = (rng(1), Worst::default());
    for n in 1..=4 {
        let (x, a) = (vec(&mut g, n), mat(&mut g, 2 * n + 1, n));
        let fns = Valued {
            f: &|x: &DVector<f64>| tall(x, &a).flat(),
            jvp: &|x, v| {
                let (y, t) = tall_jvp(x, &a, v);
                (y.flat(), t.flat())
            },
            pullback: &|x, ybar| {
                let (y, pb) = tall_pullback(x, &a);
                let g = pb(&y.unflat(ybar));
                (y.flat(), g.x)
            },
            jacobian: &|x| {
                let (y, j) = tall_jacobian(x, &a);
                (y.flat(), j)
            },
        };
        check_valued(&format!("tall, n = {n}"), &x, &fns, &mut g, &mut worst);
    }
    worst.print("tall");
}

#[test]
fn matrix_valued_fewer_outputs_than_inputs() {
    let (mut g, mut worst) = (rng(2), Worst::default());
    for &(r, c) in &[(1, 2), (3, 2), (2, 5), (4, 4)] {
        let p = WideP {
            x: mat(&mut g, r, c),
            t: uniform(&mut g),
        };
        let fns = Valued {
            f: &|p: &WideP| wide(&p.x, p.t).flat(),
            jvp: &|p, d| {
                let (y, t) = wide_jvp(&p.x, p.t, &d.x, &d.t);
                (y.flat(), t.flat())
            },
            pullback: &|p, ybar| {
                let (y, pb) = wide_pullback(&p.x, p.t);
                let g = pb(&y.unflat(ybar));
                (y.flat(), WideP { x: g.x, t: g.t }.flat())
            },
            jacobian: &|p| {
                let (y, j) = wide_jacobian(&p.x, p.t);
                (y.flat(), j)
            },
        };
        check_valued(&format!("wide at {r}x{c}"), &p, &fns, &mut g, &mut worst);
    }
    worst.print("wide");
}

// ============================================================ loops, branches, mixed kinds

/// Carried matrix state `h` and scalar state `s`, a loop nested in the loop, a branch on a
/// differentiated value in it; `x`, `w` matrices and `t` a float.
#[grad(x, w, t, forward)]
fn recurrence(x: &DMatrix<f64>, w: &DMatrix<f64>, t: f64, n: usize) -> f64 {
    let mut h = x.clone();
    let mut s = 0.0;
    for k in 0..n {
        h = w * h * t + x.scale(0.5);
        let q = h.norm_squared();
        h /= (1.0 + q).sqrt();
        for j in 0..h.ncols() {
            s = s * 0.9 + h[(0, j)] * (k as f64 + 1.0);
        }
        if h[(0, 0)] > 0.0 {
            s += q.ln_1p();
        } else {
            s -= q * 0.5;
        }
    }
    s * s + h.sum() * t
}

params!(RecurrenceP { x: DMatrix<f64>, w: DMatrix<f64>, t: f64 });

/// A loop over `xs.iter().enumerate()` carrying a vector, then one over a reversed, stepped
/// range reading it by a computed index.
#[grad(w, b, forward)]
fn sequence(w: &DMatrix<f64>, b: &DVector<f64>, xs: &[DVector<f64>]) -> f64 {
    let mut h = DVector::zeros(b.len());
    let mut loss = 0.0;
    for (k, x) in xs.iter().enumerate() {
        h = w * h + x.component_mul(b);
        let q = h.norm_squared();
        h /= (1.0 + q).sqrt();
        loss += h.dot(b) * (k as f64 + 1.0);
    }
    for k in (0..xs.len()).rev().step_by(2) {
        loss += h[k % h.len()].sin();
    }
    loss
}

params!(SequenceP { w: DMatrix<f64>, b: DVector<f64> });

/// Branches: `if` on a differentiated value (as a value and as a statement), `match` on a
/// constant with a guard, `if let` on a constant.
#[grad(x, t, forward)]
fn branches(x: &DMatrix<f64>, t: f64, k: usize, flag: Option<f64>) -> f64 {
    let s = x.sum();
    let y = if s > 0.0 {
        x.norm_squared() * t
    } else {
        (s * t).sin() - x.mean()
    };
    let z = match k {
        0 => y * y,
        n if n > 3 => y.cos() + t,
        _ => y * t.powi(2),
    };
    let mut out = z;
    if x[(0, 0)] > 0.0 {
        out *= x[(0, 0)];
    }
    if let Some(c) = flag {
        out += c * t * t;
    }
    out
}

params!(BranchP { x: DMatrix<f64>, t: f64 });

/// Mixed kinds in an order the attribute lists differently (`#[grad(u, x, t, v)]`): the
/// companions follow the signature (x, t, v, u), with cross terms between every pair.
#[grad(u, x, t, v, forward)]
fn mixed(x: &DMatrix<f64>, t: f64, c: &DMatrix<f64>, v: &DVector<f64>, u: f64) -> f64 {
    let p = x * v;
    t * x.sum() * u.sin()
        + p.norm_squared() * t
        + v.dot(v) * u * u
        + (x.component_mul(c)).sum() * t * u
}

params!(MixedP { x: DMatrix<f64>, t: f64, v: DVector<f64>, u: f64 });

#[test]
fn loops_carrying_matrix_and_scalar_state() {
    let (mut g, mut worst) = (rng(3), Worst::default());
    for &(r, c) in SHAPES {
        for n in [1, 3] {
            let p = RecurrenceP {
                x: mat(&mut g, r, c),
                w: mat(&mut g, r, r) * 0.5,
                t: uniform(&mut g),
            };
            let fns = Scalar {
                f: &|p: &RecurrenceP| recurrence(&p.x, &p.w, p.t, n),
                grad: &|p| {
                    let (y, gr) = recurrence_grad(&p.x, &p.w, p.t, n);
                    (
                        y,
                        RecurrenceP {
                            x: gr.x,
                            w: gr.w,
                            t: gr.t,
                        }
                        .flat(),
                    )
                },
                jvp: &|p, d| recurrence_jvp(&p.x, &p.w, p.t, n, &d.x, &d.w, &d.t),
                hvp: &|p, d| {
                    let (y, gr, hv) = recurrence_hvp(&p.x, &p.w, p.t, n, &d.x, &d.w, &d.t);
                    let (gr, hv) = (
                        RecurrenceP {
                            x: gr.x,
                            w: gr.w,
                            t: gr.t,
                        },
                        RecurrenceP {
                            x: hv.x,
                            w: hv.w,
                            t: hv.t,
                        },
                    );
                    (y, gr.flat(), hv.flat())
                },
                hessian: &|p| {
                    let (y, gr, h) = recurrence_hessian(&p.x, &p.w, p.t, n);
                    (
                        y,
                        RecurrenceP {
                            x: gr.x,
                            w: gr.w,
                            t: gr.t,
                        }
                        .flat(),
                        h,
                    )
                },
            };
            check_scalar(
                &format!("recurrence at {r}x{c}, n = {n}: {p:?}"),
                &p,
                &fns,
                &mut g,
                &mut worst,
            );
        }
    }
    worst.print("recurrence");
}

#[test]
fn loop_over_an_iterator() {
    let (mut g, mut worst) = (rng(4), Worst::default());
    for (d, len) in [(1, 1), (2, 4), (3, 3), (4, 5)] {
        let xs: Vec<DVector<f64>> = (0..len).map(|_| vec(&mut g, d)).collect();
        let p = SequenceP {
            w: mat(&mut g, d, d) * 0.7,
            b: vec(&mut g, d),
        };
        let fns = Scalar {
            f: &|p: &SequenceP| sequence(&p.w, &p.b, &xs),
            grad: &|p| {
                let (y, gr) = sequence_grad(&p.w, &p.b, &xs);
                (y, SequenceP { w: gr.w, b: gr.b }.flat())
            },
            jvp: &|p, dir| sequence_jvp(&p.w, &p.b, &xs, &dir.w, &dir.b),
            hvp: &|p, dir| {
                let (y, gr, hv) = sequence_hvp(&p.w, &p.b, &xs, &dir.w, &dir.b);
                (
                    y,
                    SequenceP { w: gr.w, b: gr.b }.flat(),
                    SequenceP { w: hv.w, b: hv.b }.flat(),
                )
            },
            hessian: &|p| {
                let (y, gr, h) = sequence_hessian(&p.w, &p.b, &xs);
                (y, SequenceP { w: gr.w, b: gr.b }.flat(), h)
            },
        };
        check_scalar(
            &format!("sequence, d = {d}, {len} steps"),
            &p,
            &fns,
            &mut g,
            &mut worst,
        );
    }
    worst.print("sequence");
}

#[test]
fn branches_on_values_and_constants() {
    let (mut g, mut worst) = (rng(5), Worst::default());
    let mut arms = [0usize; 2];
    for &(r, c) in SHAPES {
        for (k, flag) in [(0, None), (2, Some(0.7)), (5, None)] {
            for sign in [1.0, -1.0] {
                // Entries of one sign: the sum is far from the branch's boundary at 0.
                let mut x = mat_in(&mut g, r, c, 0.1, 1.0) * sign;
                x[(0, 0)] *= if uniform(&mut g) > 0.0 { 1.0 } else { -1.0 };
                let p = BranchP {
                    x,
                    t: 0.5 + uniform(&mut g).abs(),
                };
                arms[usize::from(p.x.sum() > 0.0)] += 1;
                let fns = Scalar {
                    f: &|p: &BranchP| branches(&p.x, p.t, k, flag),
                    grad: &|p| {
                        let (y, gr) = branches_grad(&p.x, p.t, k, flag);
                        (y, BranchP { x: gr.x, t: gr.t }.flat())
                    },
                    jvp: &|p, d| branches_jvp(&p.x, p.t, k, flag, &d.x, &d.t),
                    hvp: &|p, d| {
                        let (y, gr, hv) = branches_hvp(&p.x, p.t, k, flag, &d.x, &d.t);
                        (
                            y,
                            BranchP { x: gr.x, t: gr.t }.flat(),
                            BranchP { x: hv.x, t: hv.t }.flat(),
                        )
                    },
                    hessian: &|p| {
                        let (y, gr, h) = branches_hessian(&p.x, p.t, k, flag);
                        (y, BranchP { x: gr.x, t: gr.t }.flat(), h)
                    },
                };
                check_scalar(
                    &format!("branches at {r}x{c}, k = {k}, {flag:?}: {p:?}"),
                    &p,
                    &fns,
                    &mut g,
                    &mut worst,
                );
            }
        }
    }
    assert!(
        arms[0] > 0 && arms[1] > 0,
        "both arms of the branch on a value ran: {arms:?}"
    );
    worst.print("branches");
}

#[test]
fn mixed_kinds_hessian_blocks() {
    let (mut g, mut worst) = (rng(6), Worst::default());
    for &(r, c) in SHAPES {
        let cm = mat(&mut g, r, c);
        let p = MixedP {
            x: mat(&mut g, r, c),
            t: uniform(&mut g),
            v: vec(&mut g, c),
            u: uniform(&mut g),
        };
        let flat = |gr: MixedGrad| {
            MixedP {
                x: gr.x,
                t: gr.t,
                v: gr.v,
                u: gr.u,
            }
            .flat()
        };
        let fns = Scalar {
            f: &|p: &MixedP| mixed(&p.x, p.t, &cm, &p.v, p.u),
            grad: &|p| {
                let (y, gr) = mixed_grad(&p.x, p.t, &cm, &p.v, p.u);
                (y, flat(gr))
            },
            jvp: &|p, d| mixed_jvp(&p.x, p.t, &cm, &p.v, p.u, &d.x, &d.t, &d.v, &d.u),
            hvp: &|p, d| {
                let (y, gr, hv) = mixed_hvp(&p.x, p.t, &cm, &p.v, p.u, &d.x, &d.t, &d.v, &d.u);
                (y, flat(gr), flat(hv))
            },
            hessian: &|p| {
                let (y, gr, h) = mixed_hessian(&p.x, p.t, &cm, &p.v, p.u);
                (y, flat(gr), h)
            },
        };
        check_scalar(&format!("mixed at {r}x{c}"), &p, &fns, &mut g, &mut worst);
        // One entry of each off-diagonal block in closed form: ∂²f/∂t∂u at (r·c, r·c + 1 + c).
        let (_, _, h) = mixed_hessian(&p.x, p.t, &cm, &p.v, p.u);
        let (it, iu) = (r * c, r * c + 1 + c);
        let d2_tu = p.x.sum() * p.u.cos() + p.x.component_mul(&cm).sum();
        worst.record(
            "mixed",
            "hessian (t, u) closed form",
            rel(h[(it, iu)], d2_tu, 1.0),
            IDENTITY_TOL,
        );
        worst.record(
            "mixed",
            "hessian (u, t) closed form",
            rel(h[(iu, it)], d2_tu, 1.0),
            IDENTITY_TOL,
        );
    }
    worst.print("mixed");
}

// ============================================ the seed's identity ∇²ₓ g(Ax + b) = Aᵀ ∇²g A

/// g₁(z) = Σᵢ ln(1 + zᵢ²) (a loop over the entries).
#[grad(z, forward)]
fn log_cosh_like(z: &DVector<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..z.len() {
        s += (z[i] * z[i]).ln_1p();
    }
    s
}

/// g₁(Ax + b), differentiated in x only.
#[grad(x, forward)]
fn log_cosh_like_affine(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
    let z = a * x + b;
    let mut s = 0.0;
    for i in 0..z.len() {
        s += (z[i] * z[i]).ln_1p();
    }
    s
}

/// g₂(z) = ‖z‖⁴ + zᵀMz·‖z‖², M a constant.
#[grad(z, forward)]
fn quartic(z: &DVector<f64>, m: &DMatrix<f64>) -> f64 {
    let n2 = z.norm_squared();
    n2 * n2 + z.dot(&(m * z)) * n2
}

/// g₂(Ax + b), differentiated in x only.
#[grad(x, forward)]
fn quartic_affine(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>, m: &DMatrix<f64>) -> f64 {
    let z = a * x + b;
    let n2 = z.norm_squared();
    n2 * n2 + z.dot(&(m * &z)) * n2
}

#[test]
fn hessian_of_a_function_of_an_affine_map() {
    let mut g = rng(7);
    let (mut worst_g1, mut worst_g2, mut closed) = (0.0_f64, 0.0_f64, 0.0_f64);
    for &(m, n) in &[(5, 3), (3, 5), (4, 1), (6, 4)] {
        let (a, x, b, mm) = (
            mat(&mut g, m, n),
            vec(&mut g, n),
            vec(&mut g, m),
            mat(&mut g, m, m),
        );
        let z = &a * &x + &b;
        // g₁: H = diag((2 − 2zᵢ²)/(1 + zᵢ²)²) in closed form, and through the map.
        let (_, _, hz) = log_cosh_like_hessian(&z);
        let diag = z.map(|t| (2.0 - 2.0 * t * t) / (1.0 + t * t).powi(2));
        closed = closed.max(rel_vec(
            &hz.flat(),
            &DMatrix::from_diagonal(&diag).flat(),
            1.0,
        ));
        let (_, _, hx) = log_cosh_like_affine_hessian(&a, &x, &b);
        let expected = a.transpose() * &hz * &a;
        worst_g1 = worst_g1.max(rel_vec(&hx.flat(), &expected.flat(), expected.amax()));
        // g₂, with the same A and b.
        let (_, _, hz) = quartic_hessian(&z, &mm);
        let (_, _, hx) = quartic_affine_hessian(&a, &x, &b, &mm);
        let expected = a.transpose() * &hz * &a;
        worst_g2 = worst_g2.max(rel_vec(&hx.flat(), &expected.flat(), expected.amax()));
        // The gradients too: ∇ₓ = Aᵀ ∇g.
        let (_, gz) = quartic_grad(&z, &mm);
        let (_, gx) = quartic_affine_grad(&a, &x, &b, &mm);
        let expected = a.transpose() * gz.z;
        assert!(
            rel_vec(&gx.x, &expected, expected.amax()) < 1e-12,
            "∇ₓ g₂(Ax + b) at {m}x{n}"
        );
    }
    println!("FORWARD-WORST affine: g1 closed form={closed:.1e} g1 A'HA={worst_g1:.1e} g2 A'HA={worst_g2:.1e}");
    assert!(
        closed < IDENTITY_TOL,
        "g₁'s Hessian against its closed form: {closed:e}"
    );
    assert!(
        worst_g1 < IDENTITY_TOL,
        "∇²ₓ g₁(Ax + b) against AᵀHA: {worst_g1:e}"
    );
    assert!(
        worst_g2 < IDENTITY_TOL,
        "∇²ₓ g₂(Ax + b) against AᵀHA: {worst_g2:e}"
    );
}

// ================================================================== fallible functions

/// `None` for a non-positive `lim` or where ‖x‖² ≥ lim (the `?` on constants: a helper on
/// data, and a bound chosen by a branch on a differentiated value).
#[grad(x, forward)]
fn fallible(x: &DVector<f64>, lim: f64) -> Option<f64> {
    let k = positive(lim)?;
    let s = x.norm_squared();
    let bound = if s < k { k } else { -1.0 };
    let k = positive(bound)?;
    let r = (k - s).ln() * x.sum();
    Some(r * r + x[0])
}

fn positive(t: f64) -> Option<f64> {
    (t > 0.0).then_some(t)
}

#[test]
fn fallible_companions_return_none_exactly_where_f_does() {
    let (mut g, mut worst) = (rng(8), Worst::default());
    let (mut some, mut none) = (0, 0);
    for n in 1..=4 {
        for (lim, ratio) in [
            (-1.0_f64, 0.5),
            (0.3, 0.4),
            (0.3, 1.6),
            (1.0, 0.6),
            (4.0, 1.3),
        ] {
            // ‖x‖² = ratio·lim: inside the bound or outside it, never near it (ln(k − ‖x‖²)).
            let x = vec(&mut g, n);
            let x = &x * (ratio * lim.abs() / x.norm_squared()).sqrt();
            let v = vec(&mut g, n);
            let value = fallible(&x, lim);
            let jvp = fallible_jvp(&x, lim, &v);
            let hvp = fallible_hvp(&x, lim, &v);
            let hessian = fallible_hessian(&x, lim);
            let jacobian = fallible_jacobian(&x, lim);
            let what = format!("fallible, n = {n}, lim = {lim}");
            assert_eq!(jvp.is_some(), value.is_some(), "{what}: f_jvp");
            assert_eq!(hvp.is_some(), value.is_some(), "{what}: f_hvp");
            assert_eq!(hessian.is_some(), value.is_some(), "{what}: f_hessian");
            assert_eq!(jacobian.is_some(), value.is_some(), "{what}: f_jacobian");
            let Some(y) = value else {
                none += 1;
                continue;
            };
            some += 1;
            let fns = Scalar {
                f: &|x: &DVector<f64>| fallible(x, lim).unwrap(),
                grad: &|x| fallible_grad(x, lim).map(|(y, g)| (y, g.x)).unwrap(),
                jvp: &|x, v| fallible_jvp(x, lim, v).unwrap(),
                hvp: &|x, v| {
                    fallible_hvp(x, lim, v)
                        .map(|(y, g, h)| (y, g.x, h.x))
                        .unwrap()
                },
                hessian: &|x| {
                    fallible_hessian(x, lim)
                        .map(|(y, g, h)| (y, g.x, h))
                        .unwrap()
                },
            };
            check_scalar(&what, &x, &fns, &mut g, &mut worst);
            let (y_jac, jac) = jacobian.unwrap();
            let (_, grad) = fallible_grad(&x, lim).unwrap();
            assert_eq!(y_jac, y, "{what}: f_jacobian's value");
            worst.record(
                &what,
                "jacobian = gradient",
                rel_vec(&jac.row(0).transpose(), &grad.x, 0.0),
                IDENTITY_TOL,
            );
        }
    }
    assert!(
        some > 0 && none > 0,
        "both outcomes ran: {some} Some, {none} None"
    );
    worst.print("fallible");
}

// ======================================================== generic and static-size functions

/// Generic over the float type; `T: RealField` is not `Copy`, so the body clones.
#[grad(x, t, forward)]
fn generic<T: RealField>(x: &DMatrix<T>, t: T) -> T {
    let two = T::from_f64(2.0).unwrap();
    let s = x.norm_squared();
    (s.clone() * t.clone()).sin()
        + x.sum() * two
        + s.sqrt() * t.clone()
        + x.transpose().dot(&x.transpose()) * t
}

params!(GenericP { x: DMatrix<f64>, t: f64 });

#[test]
fn generic_at_f64_and_f32() {
    let (mut g, mut worst) = (rng(9), Worst::default());
    for &(r, c) in SHAPES {
        let p = GenericP {
            x: mat(&mut g, r, c),
            t: uniform(&mut g),
        };
        let flat = |gr: GenericGrad<f64>| GenericP { x: gr.x, t: gr.t }.flat();
        let fns = Scalar {
            f: &|p: &GenericP| generic(&p.x, p.t),
            grad: &|p| {
                let (y, gr) = generic_grad(&p.x, p.t);
                (y, flat(gr))
            },
            jvp: &|p, d| generic_jvp(&p.x, p.t, &d.x, &d.t),
            hvp: &|p, d| {
                let (y, gr, hv) = generic_hvp(&p.x, p.t, &d.x, &d.t);
                (y, flat(gr), flat(hv))
            },
            hessian: &|p| {
                let (y, gr, h) = generic_hessian(&p.x, p.t);
                (y, flat(gr), h)
            },
        };
        check_scalar(
            &format!("generic::<f64> at {r}x{c}"),
            &p,
            &fns,
            &mut g,
            &mut worst,
        );
        // f32: the same companions, close to f64's.
        let (x32, t32) = (p.x.map(|e| e as f32), p.t as f32);
        let d = GenericP {
            x: mat(&mut g, r, c),
            t: uniform(&mut g),
        };
        let (y, tan) = generic_jvp(&p.x, p.t, &d.x, &d.t);
        let (y32, tan32) = generic_jvp(&x32, t32, &d.x.map(|e| e as f32), &(d.t as f32));
        let (_, _, h) = generic_hessian(&p.x, p.t);
        let (_, _, h32) = generic_hessian(&x32, t32);
        let what = format!("generic::<f32> at {r}x{c}");
        worst.record(&what, "f32 value", rel(f64::from(y32), y, 1.0), 1e-5);
        worst.record(&what, "f32 jvp", rel(f64::from(tan32), tan, 1.0), 1e-4);
        worst.record(
            &what,
            "f32 hessian",
            rel_vec(&h32.map(f64::from).flat(), &h.flat(), 1.0),
            1e-4,
        );
    }
    worst.print("generic");
}

/// Static sizes: a 3×2 matrix and a 2-vector.
#[grad(x, v, forward)]
fn fixed_size(x: &Matrix3x2<f64>, v: &Vector2<f64>) -> f64 {
    let y = x * v;
    y.norm_squared() * v.sum() + x.transpose().component_mul(&x.transpose()).sum() * y[0]
}

params!(FixedP { x: Matrix3x2<f64>, v: Vector2<f64> });

#[test]
fn static_sizes() {
    let (mut g, mut worst) = (rng(10), Worst::default());
    for _ in 0..4 {
        let p = FixedP {
            x: Matrix3x2::from_fn(|_, _| uniform(&mut g)),
            v: Vector2::from_fn(|_, _| uniform(&mut g)),
        };
        let flat = |gr: FixedSizeGrad| FixedP { x: gr.x, v: gr.v }.flat();
        let fns = Scalar {
            f: &|p: &FixedP| fixed_size(&p.x, &p.v),
            grad: &|p| {
                let (y, gr) = fixed_size_grad(&p.x, &p.v);
                (y, flat(gr))
            },
            jvp: &|p, d| fixed_size_jvp(&p.x, &p.v, &d.x, &d.v),
            hvp: &|p, d| {
                let (y, gr, hv) = fixed_size_hvp(&p.x, &p.v, &d.x, &d.v);
                (y, flat(gr), flat(hv))
            },
            hessian: &|p| {
                let (y, gr, h) = fixed_size_hessian(&p.x, &p.v);
                (y, flat(gr), h)
            },
        };
        check_scalar("fixed_size", &p, &fns, &mut g, &mut worst);
    }
    worst.print("fixed_size");
}
