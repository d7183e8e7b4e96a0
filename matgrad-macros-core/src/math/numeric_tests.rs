//! The derivations held to finite differences: each test function's derivation is evaluated
//! on random matrices of several shapes (`eval`), its forward equations against the function
//! written with nalgebra, its gradients against central finite differences of that function.
//! An independent check of every notation (`notation`) the functions use: a rule written
//! wrongly in mathematical notation fails here, whatever the generated code does.

use super::eval::{self, Env, Val};
use super::term::Var;
use super::{derive, Derivation, Line};
use crate::testing::lowered;
use nalgebra::DMatrix;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A parameter: its name, its shape (`None` a float), whether it is differentiated.
type Param = (&'static str, Option<(usize, usize)>, bool);

/// One test function: `#[grad]`'s source and the same function over [`Val`]s.
struct Case {
    source: &'static str,
    params: Vec<Param>,
    f: fn(&[Val]) -> Val,
    /// Makes the random arguments fit the function (a matrix to invert well conditioned).
    fix: fn(&mut [Val]),
}

fn random(rng: &mut StdRng, shape: Option<(usize, usize)>) -> Val {
    match shape {
        None => Val::S(rng.random_range(0.5..1.5)),
        // Entries of magnitude 0.5 to 1.5, either sign: no divisor near zero.
        Some((r, c)) => Val::M(DMatrix::from_fn(r, c, |_, _| {
            let v: f64 = rng.random_range(0.5..1.5);
            if rng.random_bool(0.5) {
                v
            } else {
                -v
            }
        })),
    }
}

fn key(name: &str, scalar: bool) -> String {
    eval::key(&Var::new(name, scalar))
}

/// Central differences of `⟨seed, f⟩` with respect to parameter `k`.
fn differences(case: &Case, args: &[Val], k: usize, seed: &Val) -> Val {
    let h = 1e-6;
    let value = |args: &[Val]| match ((case.f)(args), seed) {
        (Val::M(m), seed) => m.dot(&seed.matrix()),
        (v, _) => v.scalar(),
    };
    let at = |i: Option<usize>, d: f64| {
        let mut a = args.to_vec();
        a[k] = match (&args[k], i) {
            (Val::S(s), _) => Val::S(s + d),
            (Val::M(m), Some(i)) => {
                let mut m = m.clone();
                m[i] += d;
                Val::M(m)
            }
            _ => unreachable!("a parameter is a float or a matrix"),
        };
        value(&a)
    };
    match &args[k] {
        Val::S(_) | Val::Ones(_) => Val::S((at(None, h) - at(None, -h)) / (2.0 * h)),
        Val::M(m) => Val::M(DMatrix::from_fn(m.nrows(), m.ncols(), |i, j| {
            let i = i + j * m.nrows();
            (at(Some(i), h) - at(Some(i), -h)) / (2.0 * h)
        })),
    }
}

/// Evaluates `case`'s derivation at random arguments and holds it to the function.
fn check(case: &Case, seed: u64, extra: &[(&str, f64)]) {
    let args_text: Vec<&str> = case.params.iter().filter(|p| p.2).map(|p| p.0).collect();
    let (sig, body, errors) = lowered(&args_text.join(", "), case.source);
    assert!(errors.is_empty(), "{errors:?}");
    let d: Derivation = derive(&body, &sig);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut args: Vec<Val> = case.params.iter().map(|p| random(&mut rng, p.1)).collect();
    (case.fix)(&mut args);
    let mut env = Env::new();
    for (p, a) in case.params.iter().zip(&args) {
        env.insert(key(p.0, p.1.is_none()), a.clone());
    }
    for (name, v) in extra {
        env.insert(name.to_string(), Val::S(*v));
    }
    let value = (case.f)(&args);
    let output_seed = match &value {
        Val::M(m) => random(&mut rng, Some(m.shape())),
        _ => Val::S(1.0),
    };
    env.insert(eval::key(&Var::new("y", false).bar()), output_seed.clone());
    let text = d.text(super::Style::Unicode);
    let env = eval::run(&d, env);
    let (Val::S(v), Some(Line::Eq(l, _))) = (&value, d.forward.last()) else {
        return check_gradients(case, &d, &env, &args, &output_seed, &text);
    };
    let got = env[&eval::key(l)].scalar();
    assert!(
        (got - v).abs() < 1e-10 * v.abs().max(1.0),
        "{text}\nvalue {got} ≠ {v}"
    );
    check_gradients(case, &d, &env, &args, &output_seed, &text);
}

fn check_gradients(case: &Case, d: &Derivation, env: &Env, args: &[Val], seed: &Val, text: &str) {
    let mut checked = 0;
    for (k, p) in case.params.iter().enumerate().filter(|(_, p)| p.2) {
        let bar = Var::new(p.0, p.1.is_none()).bar();
        assert!(d.gradients.contains(&bar), "{text}");
        let got = match &env[&eval::key(&bar)] {
            Val::Ones(c) => DMatrix::from_element(1, 1, *c),
            v => v.matrix(),
        };
        let want = differences(case, args, k, seed).matrix();
        let got = if got.len() == 1 && want.len() > 1 {
            DMatrix::from_element(want.nrows(), want.ncols(), got[0])
        } else {
            got
        };
        assert_eq!(got.shape(), want.shape(), "{text}\n{} shape", p.0);
        let error = (&got - &want).abs().max() / want.abs().max().max(1.0);
        assert!(
            error < 1e-6,
            "{text}\n{}: {got} ≠ finite differences {want}",
            p.0
        );
        checked += 1;
    }
    assert!(checked > 0);
}

fn m(v: &Val) -> DMatrix<f64> {
    v.matrix()
}

#[test]
fn seed_examples() {
    let least_squares = Case {
        source: "fn least_squares(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 { let r = a * x - b; r.norm_squared() }",
        params: vec![("a", Some((5, 3)), false), ("x", Some((3, 1)), true), ("b", Some((5, 1)), false)],
        f: |v| Val::S((m(&v[0]) * m(&v[1]) - m(&v[2])).norm_squared()),
        fix: |_| {},
    };
    let frobenius = Case {
        source: "fn frobenius(x: &DMatrix<f64>, a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 { let r = x * a.transpose() - b; r.norm_squared() }",
        params: vec![("x", Some((4, 3)), true), ("a", Some((5, 3)), true), ("b", Some((4, 5)), true)],
        f: |v| Val::S((m(&v[0]) * m(&v[1]).transpose() - m(&v[2])).norm_squared()),
        fix: |_| {},
    };
    let prml = Case {
        source: "fn log_likelihood(w: &DMatrix<f64>, phi: &DMatrix<f64>, t: &DMatrix<f64>, beta: f64) -> f64 { let r = phi * w - t; 0.25 - beta / 2.0 * r.norm_squared() }",
        params: vec![("w", Some((4, 2)), true), ("phi", Some((6, 4)), false), ("t", Some((6, 2)), false), ("beta", None, true)],
        f: |v| Val::S(0.25 - v[3].scalar() / 2.0 * (m(&v[1]) * m(&v[0]) - m(&v[2])).norm_squared()),
        fix: |_| {},
    };
    let batch_norm = Case {
        source: "fn batch_norm(x: &DMatrix<f64>, gamma: &RowDVector<f64>, beta: &RowDVector<f64>, eps: f64) -> DMatrix<f64> { let mu = x.row_mean(); let centred = x.broadcast_sub(&mu); let var = centred.component_mul(&centred).row_mean(); let xhat = centred.broadcast_div(&var.map(|v| (v + eps).sqrt())); xhat.broadcast_mul(gamma).broadcast_add(beta) }",
        params: vec![("x", Some((5, 3)), true), ("gamma", Some((1, 3)), true), ("beta", Some((1, 3)), true), ("eps", None, false)],
        f: |v| {
            let x = m(&v[0]);
            let n = x.nrows() as f64;
            let mu = x.row_mean();
            let c = DMatrix::from_fn(x.nrows(), x.ncols(), |i, j| x[(i, j)] - mu[j]);
            let var = c.component_mul(&c).row_sum() / n;
            let (g, b) = (m(&v[1]), m(&v[2]));
            Val::M(DMatrix::from_fn(x.nrows(), x.ncols(), |i, j| {
                c[(i, j)] / (var[j] + v[3].scalar()).sqrt() * g[j] + b[j]
            }))
        },
        fix: |_| {},
    };
    for seed in 0..3 {
        check(&least_squares, seed, &[]);
        check(&frobenius, seed, &[]);
        check(&prml, seed, &[]);
        check(&batch_norm, seed, &[("m", 5.0)]);
    }
}

/// A case of `source` over `params`, differentiated in those marked.
fn case(source: &'static str, params: Vec<Param>, f: fn(&[Val]) -> Val) -> Case {
    Case {
        source,
        params,
        f,
        fix: |_| {},
    }
}

/// Functions of straight code and `map` closures that use every operation with a notation.
fn operation_cases() -> Vec<Case> {
    let mut cases = vec![
        case(
            "fn f(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 { let c = a.transpose() * b; let d = a * b.transpose(); c.component_mul(&c).sum() + d.norm() }",
            vec![("a", Some((4, 3)), true), ("b", Some((4, 3)), true)],
            |v| {
                let (a, b) = (m(&v[0]), m(&v[1]));
                let c = a.transpose() * &b;
                Val::S(c.component_mul(&c).sum() + (&a * b.transpose()).norm())
            },
        ),
        case(
            "fn f(x: &DMatrix<f64>) -> f64 { x.map(|v| v.sin() * v.exp() + v.tanh() - v.cos()).sum() }",
            vec![("x", Some((3, 2)), true)],
            |v| Val::S(m(&v[0]).map(|v| v.sin() * v.exp() + v.tanh() - v.cos()).sum()),
        ),
        case(
            "fn f(x: &DMatrix<f64>) -> f64 { x.map(|v| (v * v + 1.0).ln() / v.cosh() + v.sinh().atan()).sum() }",
            vec![("x", Some((2, 3)), true)],
            |v| Val::S(m(&v[0]).map(|v| (v * v + 1.0).ln() / v.cosh() + v.sinh().atan()).sum()),
        ),
        case(
            "fn f(x: &DVector<f64>, w: &DVector<f64>) -> f64 { let s = x.norm(); let y = x / s; y.dot(w) + s.powi(3) + s.recip() + s.sqrt() }",
            vec![("x", Some((4, 1)), true), ("w", Some((4, 1)), true)],
            |v| {
                let (x, w) = (m(&v[0]), m(&v[1]));
                let s = x.norm();
                Val::S((&x / s).dot(&w) + s.powi(3) + s.recip() + s.sqrt())
            },
        ),
        case(
            "fn f(a: &DMatrix<f64>) -> f64 { let m = a.clone().try_inverse().unwrap(); m.sum() + a.determinant() }",
            vec![("a", Some((3, 3)), true)],
            |v| {
                let a = m(&v[0]);
                Val::S(a.clone().try_inverse().unwrap().sum() + a.determinant())
            },
        ),
        case(
            "fn f(x: &DMatrix<f64>, r: &RowDVector<f64>, c: &DVector<f64>, s: &RowDVector<f64>) -> f64 { x.broadcast_mul(r).broadcast_div(c).broadcast_add(s).broadcast_sub(c).norm_squared() }",
            vec![("x", Some((3, 4)), true), ("r", Some((1, 4)), true), ("c", Some((3, 1)), true), ("s", Some((1, 4)), true)],
            |v| {
                let (x, r, c, s) = (m(&v[0]), m(&v[1]), m(&v[2]), m(&v[3]));
                Val::S(
                    DMatrix::from_fn(3, 4, |i, j| x[(i, j)] * r[j] / c[i] + s[j] - c[i])
                        .norm_squared(),
                )
            },
        ),
        case(
            "fn f(x: &DMatrix<f64>, y: &DMatrix<f64>, s: f64) -> f64 { (-x).component_div(y).add_scalar(s).norm_squared() + (x * s).norm() - s * s }",
            vec![("x", Some((2, 3)), true), ("y", Some((2, 3)), true), ("s", None, true)],
            |v| {
                let (x, y, s) = (m(&v[0]), m(&v[1]), v[2].scalar());
                Val::S((-&x).component_div(&y).add_scalar(s).norm_squared() + (&x * s).norm() - s * s)
            },
        ),
        case(
            "fn f(x: &DMatrix<f64>) -> f64 { x.row_sum().norm_squared() + x.column_mean().norm() + x.row_mean().sum() + x.column_sum().dot(&x.column_mean()) }",
            vec![("x", Some((4, 3)), true)],
            |v| {
                let x = m(&v[0]);
                let (rs, cm) = (x.row_sum(), x.column_mean());
                Val::S(rs.norm_squared() + cm.norm() + x.row_mean().sum() + x.column_sum().dot(&cm))
            },
        ),
        case(
            "fn f(x: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 { let h = (w * x).map(|v| v.abs() + v * v); h.transpose().sum() / 2.0 }",
            vec![("x", Some((3, 2)), true), ("w", Some((4, 3)), true)],
            |v| Val::S((m(&v[1]) * m(&v[0])).map(|v| v.abs() + v * v).sum() / 2.0),
        ),
        case(
            "fn f(a: &DMatrix<f64>, v: &DVector<f64>) -> f64 { let d = a.diagonal(); let m = DMatrix::from_diagonal(&v); d.map(|x| x.ln_1p()).sum() + (m * a).map(|x| x.exp_m1()).sum() }",
            vec![("a", Some((3, 3)), true), ("v", Some((3, 1)), true)],
            |v| {
                let (a, w) = (m(&v[0]), m(&v[1]));
                let d = a.diagonal();
                let mm = DMatrix::from_diagonal(&w.column(0));
                Val::S(d.map(|x| x.ln_1p()).sum() + (mm * a).map(|x| x.exp_m1()).sum())
            },
        ),
        case(
            "fn f(s: f64, t: f64) -> f64 { (s * s + 1.0).powf(t) + s.hypot(t) + (t * t + 2.0).log10() + s.cbrt() + s.max(t) + t.min(0.5 * s) + s.clamp(-0.3, 2.0) }",
            vec![("s", None, true), ("t", None, true)],
            |v| {
                let (s, t) = (v[0].scalar(), v[1].scalar());
                Val::S((s * s + 1.0).powf(t) + s.hypot(t) + (t * t + 2.0).log10() + s.cbrt() + s.max(t) + t.min(0.5 * s) + s.clamp(-0.3, 2.0))
            },
        ),
        case(
            "fn f(x: &DMatrix<f64>) -> f64 { x.map(|v| (v * v + 1.0).log2() + v.hypot(2.0) + (v * v + 0.5).powf(0.7) + (v * v).powf(2.5) + v.max(0.0) + v.min(0.25) + v.clamp(-1.0, 1.0) + v.abs().cbrt()).sum() }",
            vec![("x", Some((3, 2)), true)],
            |v| Val::S(m(&v[0]).map(|v| (v * v + 1.0).log2() + v.hypot(2.0) + (v * v + 0.5).powf(0.7) + (v * v).powf(2.5) + v.max(0.0) + v.min(0.25) + v.clamp(-1.0, 1.0) + v.abs().cbrt()).sum()),
        ),
        case(
            "fn f(x: &DMatrix<f64>) -> f64 { x.variance() * x.norm() }",
            vec![("x", Some((4, 3)), true)],
            |v| Val::S(m(&v[0]).variance() * m(&v[0]).norm()),
        ),
        case(
            "fn f(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 { let c = a.clone().lu(); let x = c.solve(b).unwrap(); let q = a.clone().qr(); x.norm_squared() + q.solve(&x).unwrap().sum() }",
            vec![("a", Some((3, 3)), true), ("b", Some((3, 1)), true)],
            |v| {
                let (a, b) = (m(&v[0]), m(&v[1]));
                let x = a.clone().lu().solve(&b).unwrap();
                Val::S(x.norm_squared() + a.qr().solve(&x).unwrap().sum())
            },
        ),
        Case {
            source: "fn f(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 { let c = a.clone().cholesky().unwrap(); c.solve(b).dot(b) + c.ln_determinant() }",
            params: vec![("a", Some((3, 3)), true), ("b", Some((3, 1)), true)],
            // The function of the symmetric matrix `cholesky()` reads, as its gradient is.
            f: |v| {
                let (a, b) = (m(&v[0]), m(&v[1]));
                let c = ((&a + a.transpose()) * 0.5).cholesky().unwrap();
                Val::S(c.solve(&b).dot(&b) + c.ln_determinant())
            },
            fix: |v| {
                let a = v[0].matrix();
                v[0] = Val::M(&a * a.transpose() + DMatrix::<f64>::identity(3, 3) * 2.0);
            },
        },
        case(
            "fn f(t: &DMatrix<f64>, b: &DVector<f64>) -> f64 { let y = t.solve_lower_triangular(b).unwrap(); let z = t.tr_solve_upper_triangular(&y).unwrap(); z.norm_squared() + t.solve_upper_triangular(b).unwrap().sum() + t.tr_solve_lower_triangular(b).unwrap().sum() }",
            vec![("t", Some((3, 3)), true), ("b", Some((3, 1)), true)],
            |v| {
                let (t, b) = (m(&v[0]), m(&v[1]));
                let y = t.solve_lower_triangular(&b).unwrap();
                let z = t.tr_solve_upper_triangular(&y).unwrap();
                Val::S(z.norm_squared() + t.solve_upper_triangular(&b).unwrap().sum() + t.tr_solve_lower_triangular(&b).unwrap().sum())
            },
        ),
    ];
    // Invertible well: diagonally dominant.
    for k in [13, 15] {
        cases[k].fix = |v| v[0] = Val::M(v[0].matrix() + DMatrix::<f64>::identity(3, 3) * 4.0);
    }
    // The matrix inverted: diagonally dominant.
    cases[4].fix = |v| v[0] = Val::M(v[0].matrix() + DMatrix::<f64>::identity(3, 3) * 4.0);
    // ln(1 + x) of the diagonal: positive entries.
    cases[9].fix = |v| v[0] = Val::M(v[0].matrix().abs());
    cases
}

/// Every operation with a notation, each function at two random points.
#[test]
fn operations() {
    for (k, c) in operation_cases().iter().enumerate() {
        for seed in 0..2 {
            check(
                c,
                10 * k as u64 + seed,
                &[("m", 4.0), ("n", 3.0), ("mn", 12.0)],
            );
        }
    }
}
