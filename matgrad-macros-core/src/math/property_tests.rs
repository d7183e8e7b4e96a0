//! Random programs: straight code over m×n matrices and floats, from operations the notation
//! spells out, nested and named at random. Each derivation's adjoint lines are held to
//! central differences of its own forward equations (so every adjoint rule, sum, merge and
//! fold is checked in compositions no hand-written case has), and its inlined gradients to
//! its adjoint lines. Whether the forward equations say what the Rust does is
//! `numeric_tests`' business.

use super::eval::{self, Env, Val};
use super::term::Var;
use super::{derive, Derivation, Line};
use crate::testing::lowered;
use nalgebra::DMatrix;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Programs per run; `MATH_PROPERTY_CASES` sets another count.
const CASES: usize = 300;

/// A random program's source, its matrix variables and its float variables growing as it is
/// written.
struct Program {
    rng: StdRng,
    matrices: Vec<String>,
    floats: Vec<String>,
    lines: Vec<String>,
}

impl Program {
    fn pick(&mut self, of: &[String]) -> String {
        of[self.rng.random_range(0..of.len())].clone()
    }

    /// An m×n expression, `depth` levels of operations deep at most.
    fn matrix(&mut self, depth: usize) -> String {
        if depth == 0 || self.rng.random_bool(0.3) {
            let m = self.matrices.clone();
            return self.pick(&m);
        }
        let (a, b) = (self.matrix(depth - 1), self.matrix(depth - 1));
        match self.rng.random_range(0..14) {
            0 => format!("({a} + {b})"),
            // Not `a − a` (nor `a − aᵀᵀ`): a zero matrix simplifies to 0, whose shape the
            // evaluator cannot know.
            1 if plain(&a) != plain(&b) => format!("({a} - {b})"),
            1 => format!("({a} - {b} * 0.5)"),
            2 => format!("{a}.component_mul(&{b})"),
            3 => format!("({a} * {})", self.float(depth - 1)),
            4 => format!("(-{a})"),
            5 => format!("{a}.map(|e| e.sin())"),
            6 => format!("{a}.map(|e| e.tanh() * e)"),
            7 => format!("{a}.component_div(&{b}.map(|e| e * e + 1.0))"),
            8 => format!("{a}.transpose().transpose()"),
            9 => format!("({a} * {b}.transpose() * {})", self.matrix(depth - 1)),
            10 => format!("{a}.map(|e| e.hypot(1.0) + (e * e + 1.0).log2())"),
            11 => format!("{a}.map(|e| (e * e + 0.5).powf(0.75) - (e * e + 1.0).cbrt().hypot(e))"),
            12 => format!("{a}.map(|e| e.max(0.25) - e.clamp(-0.5, 0.5) + e.min(-0.25))"),
            _ => format!("({a} / ({} * {} + 1.0))", self.float(0), self.float(0)),
        }
    }

    /// A float expression.
    fn float(&mut self, depth: usize) -> String {
        if depth == 0 || self.rng.random_bool(0.3) {
            let f = self.floats.clone();
            return self.pick(&f);
        }
        let a = self.matrix(depth - 1);
        match self.rng.random_range(0..9) {
            0 => format!("{a}.norm_squared()"),
            6 => format!("{a}.variance()"),
            7 => {
                let f = self.float(0);
                format!("({f} * {f} + 1.0).log10()")
            }
            8 => format!("{}.max({})", self.float(depth - 1), self.float(depth - 1)),
            1 => format!("{a}.dot(&{})", self.matrix(depth - 1)),
            2 => format!("{a}.sum()"),
            3 => format!("({} * {})", self.float(depth - 1), self.float(depth - 1)),
            4 => format!("{}.sin()", self.float(depth - 1)),
            _ => format!("{a}.norm()"),
        }
    }

    fn source(mut self) -> String {
        for k in 0..self.rng.random_range(2..6) {
            if self.rng.random_bool(0.7) {
                let e = self.matrix(2);
                self.lines.push(format!("let m{k} = {e};"));
                self.matrices.push(format!("m{k}"));
            } else {
                let e = self.float(2);
                self.lines.push(format!("let f{k} = {e};"));
                self.floats.push(format!("f{k}"));
            }
        }
        let (a, b) = (self.matrix(1), self.float(1));
        format!(
            "fn f(x: &DMatrix<f64>, y: &DMatrix<f64>, s: f64) -> f64 {{ {} {a}.norm_squared() + {b} }}",
            self.lines.join(" ")
        )
    }
}

/// An expression without its double transposes.
fn plain(e: &str) -> String {
    e.replace(".transpose().transpose()", "")
}

/// The derivation's forward equations only.
fn forward_only(d: &Derivation) -> Derivation {
    Derivation {
        forward: d.forward.clone(),
        ..Derivation::default()
    }
}

/// The value of the output (the last forward equation) at `env`.
fn value(d: &Derivation, env: &Env) -> f64 {
    let Some(Line::Eq(l, _)) = d.forward.last() else {
        panic!("no forward equation")
    };
    eval::run(&forward_only(d), env.clone())[&eval::key(l)].scalar()
}

fn params(rng: &mut StdRng) -> Env {
    let mut env = Env::new();
    for name in ["x", "y"] {
        let m = DMatrix::from_fn(3, 2, |_, _| rng.random_range(-1.0..1.0));
        env.insert(name.into(), Val::M(m));
    }
    env.insert("s".into(), Val::S(rng.random_range(0.5..1.5)));
    // The entry count a variance divides by.
    env.insert("mn".into(), Val::S(6.0));
    env
}

/// Central differences of the forward equations' value in the parameter `name`.
fn differences(d: &Derivation, env: &Env, name: &str) -> DMatrix<f64> {
    let h = 1e-6;
    let shifted = |i: usize, by: f64| {
        let mut e = env.clone();
        let moved = match &env[name] {
            Val::M(m) => {
                let mut m = m.clone();
                m[i] += by;
                Val::M(m)
            }
            v => Val::S(v.scalar() + by),
        };
        e.insert(name.into(), moved);
        value(d, &e)
    };
    let shape = env[name].matrix().shape();
    DMatrix::from_fn(shape.0, shape.1, |r, c| {
        let i = r + c * shape.0;
        (shifted(i, h) - shifted(i, -h)) / (2.0 * h)
    })
}

#[test]
fn random_programs_match_their_own_differences() {
    let cases = std::env::var("MATH_PROPERTY_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(CASES);
    let (mut inlined, mut named, mut undefined) = (0, 0, 0);
    for case in 0..cases as u64 {
        let mut rng = StdRng::seed_from_u64(case);
        let source = Program {
            rng: StdRng::seed_from_u64(case ^ 0x5eed),
            matrices: vec!["x".into(), "y".into()],
            floats: vec!["s".into()],
            lines: Vec::new(),
        }
        .source();
        let (sig, body, errors) = lowered("", &source);
        assert!(errors.is_empty(), "{source}\n{errors:?}");
        let d = derive(&body, &sig);
        let text = d.text(super::Style::Unicode);
        // Shown only when the test fails (an evaluation that panics names its program).
        println!("case {case}: {source}\n{text}");
        let env = params(&mut rng);
        let all = eval::run(&d, env.clone());
        for name in ["x", "y", "s"] {
            let bar = Var::new(name, name == "s").bar();
            let got = match &all[&eval::key(&bar)] {
                Val::Ones(c) => DMatrix::from_element(1, 1, *c),
                v => v.matrix(),
            };
            let want = differences(&d, &env, name);
            let got = match got.len() {
                1 if want.len() > 1 => DMatrix::from_element(want.nrows(), want.ncols(), got[0]),
                _ => got,
            };
            if got.iter().any(|g| g.is_nan()) {
                // ‖0‖ (`(x − x′).norm()` with x′ = x): no derivative, as the notation says.
                undefined += 1;
                continue;
            }
            let error = (&got - &want).abs().max() / want.abs().max().max(1.0);
            assert!(
                error < 1e-5,
                "case {case}: {source}\n{text}\n{name}̄: {got} ≠ {want}"
            );
            if let Some((_, t)) = d.inlined.iter().find(|(v, _)| *v == bar) {
                let direct = eval::eval(t, &env).matrix();
                let direct = match direct.len() {
                    1 if got.len() > 1 => {
                        DMatrix::from_element(got.nrows(), got.ncols(), direct[0])
                    }
                    _ => direct,
                };
                let same = direct.shape() == got.shape();
                let gap = if same {
                    (&direct - &got).abs().max()
                } else {
                    f64::INFINITY
                };
                let scale = got.abs().max().max(1.0);
                assert!(
                    same && gap < 1e-9 * scale,
                    "case {case}: inlined {name}̄ {direct} ≠ {got}\n{text}"
                );
                inlined += 1;
            }
        }
        named += usize::from(d.adjoint.len() > 4);
    }
    // The programs reach both the inlined form and derivations of several named adjoints.
    assert!(
        inlined > cases / 4 && named > cases / 4,
        "{inlined} {named}"
    );
    assert!(
        undefined <= cases / 100,
        "{undefined} gradients at points without one"
    );
}
