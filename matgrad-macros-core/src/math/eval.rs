//! A numeric evaluator of derivations, for tests: runs the forward equations and then the
//! adjoint equations on matrices, so that a derivation's gradient can be held to central
//! finite differences of the function it was written from.
//!
//! Straight code only (no loop or branch lines). Sizes the notation leaves implicit are bound
//! by the test: `m` and `n` (a mean's count). A zero matrix the terms simplified to 0 is a
//! zero of the shape where it is used.

use super::term::{Func, Term, Var};
use super::{Derivation, Line};
use nalgebra::DMatrix;
use std::collections::HashMap;

/// A float or a matrix.
#[derive(Clone, Debug)]
pub enum Val {
    S(f64),
    M(DMatrix<f64>),
    /// `c·𝟙`: a matrix of `c`s of the shape where it is used.
    Ones(f64),
}

impl Val {
    pub fn matrix(&self) -> DMatrix<f64> {
        match self {
            Val::S(s) | Val::Ones(s) => DMatrix::from_element(1, 1, *s),
            Val::M(m) => m.clone(),
        }
    }
    pub fn scalar(&self) -> f64 {
        match self {
            Val::S(s) | Val::Ones(s) => *s,
            Val::M(m) if m.len() == 1 => m[0],
            Val::M(m) => panic!(
                "a float expected, a {}×{} matrix found",
                m.nrows(),
                m.ncols()
            ),
        }
    }
}

/// Values of the variables, by their Unicode text.
pub type Env = HashMap<String, Val>;

/// Runs `d`'s lines in `env` (the parameters, and `m`, `n` where the derivation divides by
/// them); returns `env` with every variable the lines define.
pub fn run(d: &Derivation, mut env: Env) -> Env {
    for line in d.forward.iter().chain(&d.adjoint) {
        match line {
            Line::Eq(v, t) => {
                let value = match eval(t, &env) {
                    // An adjoint c·𝟙 has its variable's shape.
                    Val::Ones(c) if v.bar => {
                        let primal = Var {
                            bar: false,
                            ..v.clone()
                        };
                        match env.get(&key(&primal)) {
                            Some(Val::M(m)) => {
                                Val::M(DMatrix::from_element(m.nrows(), m.ncols(), c))
                            }
                            _ => Val::Ones(c),
                        }
                    }
                    value => value,
                };
                env.insert(key(v), value);
            }
            Line::Note(_) => {}
            other => panic!("the evaluator runs straight code only: {other:?}"),
        }
    }
    env
}

/// The key of a variable.
pub fn key(v: &Var) -> String {
    super::render::var(v, super::Style::Unicode)
}

/// Entry-wise `f` of two values, a row or column broadcast across a matrix, a float across
/// anything.
fn zip(a: Val, b: Val, f: impl Fn(f64, f64) -> f64) -> Val {
    match (a, b) {
        (Val::Ones(x), Val::Ones(y)) => Val::Ones(f(x, y)),
        (Val::Ones(x), Val::S(y)) => Val::Ones(f(x, y)),
        (Val::S(x), Val::Ones(y)) => Val::Ones(f(x, y)),
        (Val::Ones(x), b) => zip(Val::S(x), b, f),
        (a, Val::Ones(y)) => zip(a, Val::S(y), f),
        (Val::S(x), Val::S(y)) => Val::S(f(x, y)),
        (Val::S(x), Val::M(m)) => Val::M(m.map(|y| f(x, y))),
        (Val::M(m), Val::S(y)) => Val::M(m.map(|x| f(x, y))),
        (Val::M(p), Val::M(q)) => {
            let (r, c) = (p.nrows().max(q.nrows()), p.ncols().max(q.ncols()));
            let at = |m: &DMatrix<f64>, i: usize, j: usize| {
                m[(i.min(m.nrows() - 1), j.min(m.ncols() - 1))]
            };
            Val::M(DMatrix::from_fn(r, c, |i, j| f(at(&p, i, j), at(&q, i, j))))
        }
    }
}

fn map(a: Val, f: impl Fn(f64) -> f64) -> Val {
    match a {
        Val::Ones(x) => Val::Ones(f(x)),
        Val::S(x) => Val::S(f(x)),
        Val::M(m) => Val::M(m.map(f)),
    }
}

/// `a·b`: a float scales, matrices multiply.
fn product(a: Val, b: Val) -> Val {
    match (&a, &b) {
        // A zero (a zero matrix simplified to 0) makes a zero of the shape where it is used.
        (Val::S(z) | Val::Ones(z), _) | (_, Val::S(z) | Val::Ones(z)) if *z == 0.0 => {
            Val::Ones(0.0)
        }
        (Val::M(p), Val::M(q)) if p.ncols() == q.nrows() => Val::M(p * q),
        (Val::M(p), Val::M(q)) if p.len() == 1 || q.len() == 1 => zip(a, b, |x, y| x * y),
        (Val::M(p), Val::M(q)) => panic!(
            "a product of a {}×{} and a {}×{} matrix",
            p.nrows(),
            p.ncols(),
            q.nrows(),
            q.ncols()
        ),
        _ => zip(a, b, |x, y| x * y),
    }
}

/// The value of `t` in `env`.
pub fn eval(t: &Term, env: &Env) -> Val {
    let e = |t: &Term| eval(t, env);
    match t {
        Term::Num(n) => Val::S(*n),
        Term::Var(v) => env
            .get(&key(v))
            .cloned()
            .unwrap_or_else(|| panic!("no value for `{}`", key(v))),
        Term::Sum(ts) => ts.iter().fold(Val::S(0.0), |acc, (minus, t)| {
            let s = if *minus { -1.0 } else { 1.0 };
            zip(acc, e(t), |x, y| x + s * y)
        }),
        Term::Prod(c, fs) => {
            // `c·𝟙` between two matrices is the matrix of `c`s their product needs.
            let vals: Vec<Val> = fs.iter().map(e).collect();
            let mut out = Val::S(*c);
            for k in 0..vals.len() {
                let v = match (
                    &vals[k],
                    k.checked_sub(1).map(|p| &vals[p]),
                    vals.get(k + 1),
                ) {
                    (Val::Ones(c), Some(Val::M(p)), Some(Val::M(q))) => {
                        Val::M(DMatrix::from_element(p.ncols(), q.nrows(), *c))
                    }
                    (v, _, _) => v.clone(),
                };
                out = product(out, v);
            }
            out
        }
        Term::Frac(a, b) | Term::HadDiv(a, b) => zip(e(a), e(b), |x, y| x / y),
        Term::Had(a, b) => zip(e(a), e(b), |x, y| x * y),
        Term::T(a) => match e(a) {
            Val::M(m) => Val::M(m.transpose()),
            s => s,
        },
        Term::Pow(a, (-1, 1)) => match e(a) {
            Val::M(m) if m.nrows() == m.ncols() && m.len() > 1 => {
                Val::M(m.try_inverse().expect("an invertible matrix"))
            }
            v => map(v, |x| 1.0 / x),
        },
        Term::Pow(a, (p, q)) => {
            let k = f64::from(*p) / f64::from(*q);
            map(e(a), |x| x.powf(k))
        }
        Term::Apply(f, args) => apply(*f, args.iter().map(e).collect()),
        Term::Text(s) => env
            .get(s.as_str())
            .cloned()
            .unwrap_or_else(|| panic!("no value for `{s}`")),
        // A factorisation stands for its matrix.
        Term::Call(name, args, None)
            if ["cholesky", "lu", "qr", "col_piv_qr"].contains(&name.as_str()) =>
        {
            e(&args[0])
        }
        Term::Call(name, args, None) => apply(
            Func::Named(match name.as_str() {
                "exp" => "exp",
                other => panic!("the evaluator does not know `{other}`"),
            }),
            args.iter().map(e).collect(),
        ),
        other => panic!("the evaluator does not know {other:?}"),
    }
}

fn apply(f: Func, mut args: Vec<Val>) -> Val {
    let a = args.remove(0);
    // ⟨c·𝟙, b⟩ and ⟨c, b⟩ (a zero matrix simplified to 0) are c·Σ b.
    if let (Func::Inner, Val::Ones(c) | Val::S(c), b) | (Func::Inner, b, Val::Ones(c) | Val::S(c)) =
        (f, a.clone(), args.first().cloned().unwrap_or(Val::S(0.0)))
    {
        return Val::S(c * b.matrix().sum());
    }
    let m = || a.matrix();
    match f {
        Func::Ones => Val::M(DMatrix::from_element(m().nrows(), m().ncols(), 1.0)),
        Func::Identity => Val::M(DMatrix::identity(m().nrows(), m().ncols())),
        Func::Sqrt => map(a, f64::sqrt),
        Func::Cbrt => map(a, f64::cbrt),
        Func::Power => zip(a, args.remove(0), f64::powf),
        Func::Step => map(a, |x| match x {
            x if x > 0.0 => 1.0,
            x if x < 0.0 => 0.0,
            _ => 0.5,
        }),
        Func::Abs => map(a, f64::abs),
        Func::Norm => Val::S(m().norm()),
        Func::NormSquared => Val::S(m().norm_squared()),
        Func::Inner => Val::S(m().dot(&args[0].matrix())),
        Func::SumAll => Val::S(m().sum()),
        Func::SumRows => {
            let m = m();
            Val::M(DMatrix::from_fn(1, m.ncols(), |_, j| m.column(j).sum()))
        }
        Func::SumColumns => {
            let m = m();
            Val::M(DMatrix::from_fn(m.nrows(), 1, |i, _| m.row(i).sum()))
        }
        Func::Named(name) => match name {
            "tr" => Val::S(m().trace()),
            "det" => Val::S(m().determinant()),
            "exp" => map(a, f64::exp),
            "ln" => map(a, f64::ln),
            "sin" => map(a, f64::sin),
            "cos" => map(a, f64::cos),
            "sinh" => map(a, f64::sinh),
            "cosh" => map(a, f64::cosh),
            "tanh" => map(a, f64::tanh),
            "atan" => map(a, f64::atan),
            "sign" => map(a, f64::signum),
            "mean" => Val::S(m().mean()),
            "var" => Val::S(m().variance()),
            "log₂" => map(a, f64::log2),
            "log₁₀" => map(a, f64::log10),
            "max" => zip(a, args.remove(0), f64::max),
            "min" => zip(a, args.remove(0), f64::min),
            "clamp" => {
                let (lo, hi) = (args[0].scalar(), args[1].scalar());
                map(a, |x| x.clamp(lo, hi))
            }
            "tril" => Val::M(m().lower_triangle()),
            "triu" => Val::M(m().upper_triangle()),
            "diag" => match m() {
                v if v.ncols() == 1 => Val::M(DMatrix::from_diagonal(&v.column(0))),
                v => Val::M(DMatrix::from_column_slice(
                    v.nrows().min(v.ncols()),
                    1,
                    v.diagonal().as_slice(),
                )),
            },
            other => panic!("the evaluator does not know `{other}`"),
        },
        other => panic!("the evaluator does not know {other:?}"),
    }
}
