//! Terms as text: Unicode (`x̄ = 2·aᵀ·(a·x − b)`) and LaTeX (`\bar{x} = 2 a^{\top} (a x - b)`).
//!
//! Precedence levels: 1 a sum, 2 an entry-wise product or quotient, 3 a product, a fraction,
//! a negative product and a sum over an index, 4 a transpose or power, 5 an atom. A term
//! below the level its place needs is parenthesised.

use super::term::{Func, Sub, Term, Var};

/// How the text is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Unicode,
    Latex,
}

/// `t` as text.
pub fn text(t: &Term, style: Style) -> String {
    Writer { style }.term(t)
}

/// A variable as text.
pub fn var(v: &Var, style: Style) -> String {
    Writer { style }.var(v)
}

struct Writer {
    style: Style,
}

/// The level of `t` (the table above).
fn level(t: &Term) -> u8 {
    match t {
        Term::Sum(_) => 1,
        Term::Had(..) | Term::HadDiv(..) => 2,
        Term::Prod(c, _) if *c < 0.0 => 3,
        Term::Num(n) if *n < 0.0 => 3,
        Term::Prod(..) | Term::Frac(..) => 3,
        Term::Apply(f, args) if f.is_sum() && level(&args[0]) >= 4 => 3,
        Term::T(_) | Term::Pow(..) | Term::Apply(Func::Power, _) => 4,
        // `(√x)²`, not `√x²`.
        Term::Apply(Func::Sqrt | Func::Cbrt, _) => 4,
        Term::Text(s) if s.contains(' ') => 3,
        _ => 5,
    }
}

/// The level the left operand of ⊙ or ⊘ needs: another ⊙ or ⊘ reads left to right.
fn entrywise_left(a: &Term) -> u8 {
    match a {
        Term::Had(..) | Term::HadDiv(..) => 2,
        _ => 4,
    }
}

impl Func {
    fn is_sum(self) -> bool {
        matches!(
            self,
            Func::SumRows
                | Func::SumColumns
                | Func::SumAll
                | Func::SumIterations
                | Func::SumBroadcast
        )
    }
}

impl Writer {
    fn latex(&self) -> bool {
        self.style == Style::Latex
    }

    /// `t` parenthesised unless its level is at least `min`.
    fn at(&self, t: &Term, min: u8) -> String {
        let s = self.term(t);
        // `\frac` delimits itself.
        let framed = self.latex() && matches!(t, Term::Frac(..));
        if framed || level(t) >= min {
            s
        } else if self.latex() {
            format!("\\left({s}\\right)")
        } else {
            format!("({s})")
        }
    }

    fn term(&self, t: &Term) -> String {
        let l = self.latex();
        match t {
            Term::Num(n) if l => number(*n).replace('−', "-"),
            Term::Num(n) => number(*n),
            Term::Var(v) => self.var(v),
            Term::Sum(ts) => {
                let mut s = String::new();
                for (k, (minus, t)) in ts.iter().enumerate() {
                    let sign = match (k, minus, l) {
                        (0, false, _) => "",
                        (0, true, false) => "−",
                        (0, true, true) => "-",
                        (_, false, _) => " + ",
                        (_, true, false) => " − ",
                        (_, true, true) => " - ",
                    };
                    s.push_str(sign);
                    s.push_str(&self.at(t, 2));
                }
                s
            }
            Term::Prod(c, fs) => self.product(*c, fs),
            Term::Frac(a, b) if l => format!("\\frac{{{}}}{{{}}}", self.term(a), self.term(b)),
            Term::Frac(a, b) => format!("{}/{}", self.at(a, 3), self.at(b, 4)),
            // A product or fraction beside ⊙ or ⊘ is parenthesised: `(wᵀ·h̄) ⊙ y`.
            Term::Had(a, b) => {
                let op = if l { " \\odot " } else { " ⊙ " };
                format!("{}{op}{}", self.at(a, entrywise_left(a)), self.at(b, 4))
            }
            Term::HadDiv(a, b) => {
                let op = if l { " \\oslash " } else { " ⊘ " };
                format!("{}{op}{}", self.at(a, entrywise_left(a)), self.at(b, 4))
            }
            Term::T(a) => match &**a {
                Term::Pow(x, (-1, 1)) if l => format!("{}^{{-\\top}}", self.at(x, 5)),
                Term::Pow(x, (-1, 1)) => format!("{}⁻ᵀ", self.at(x, 5)),
                _ if l => format!("{}^{{\\top}}", self.at(a, 5)),
                _ => format!("{}ᵀ", self.at(a, 5)),
            },
            Term::Pow(a, (p, q)) => {
                let base = self.at(a, 5);
                match (l, *q) {
                    (true, 1) => format!("{base}^{{{p}}}"),
                    (true, _) => format!("{base}^{{{p}/{q}}}"),
                    (false, 1) => format!("{base}{}", superscript(*p)),
                    (false, _) => format!("{base}^({}/{q})", number(f64::from(*p))),
                }
            }
            Term::Apply(f, args) => self.apply(*f, args),
            Term::Cases(arms) => self.cases(arms),
            Term::Text(s) if l => latex_text(s),
            Term::Text(s) => s.clone(),
            Term::Call(name, args, pick) => self.call(name, args, *pick),
            Term::Pullback { y, x, g } => self.pullback(y, x, g),
        }
    }

    /// `name(args)`, the `k`-th entry of its result subscripted.
    fn call(&self, name: &str, args: &[Term], pick: Option<usize>) -> String {
        let l = self.latex();
        let args = args
            .iter()
            .map(|a| self.term(a))
            .collect::<Vec<_>>()
            .join(", ");
        let name = match l {
            true => format!("\\operatorname{{{}}}", name.replace('_', "\\_")),
            false => name.to_string(),
        };
        match (pick, l) {
            (None, true) => format!("{name}\\left({args}\\right)"),
            (None, false) => format!("{name}({args})"),
            (Some(k), true) => format!("{name}\\left({args}\\right)_{{{k}}}"),
            (Some(k), false) => format!("{name}({args}){}", subscript(k)),
        }
    }

    /// `(∂y/∂x)ᵀ[ḡ]`.
    fn pullback(&self, y: &Term, x: &Term, g: &Term) -> String {
        if self.latex() {
            format!(
                "\\left(\\frac{{\\partial {}}}{{\\partial {}}}\\right)^{{\\top}}\\left[{}\\right]",
                self.term(y),
                self.term(x),
                self.term(g)
            )
        } else {
            format!("(∂{}/∂{})ᵀ[{}]", self.at(y, 5), self.at(x, 5), self.term(g))
        }
    }

    fn product(&self, c: f64, fs: &[Term]) -> String {
        let l = self.latex();
        let sep = if l { " " } else { "·" };
        let body = fs
            .iter()
            .map(|f| self.at(f, if fs.len() == 1 { 3 } else { 4 }))
            .collect::<Vec<_>>()
            .join(sep);
        let minus = if c < 0.0 {
            if l {
                "-"
            } else {
                "−"
            }
        } else {
            ""
        };
        let a = c.abs();
        if a == 1.0 {
            format!("{minus}{body}")
        } else if (1.0 / a).fract() == 0.0 && a < 1.0 {
            let n = number(1.0 / a);
            if l {
                // The fraction bar groups its numerator: no parentheses.
                let body = match fs {
                    [f] => self.term(f),
                    _ => body,
                };
                format!("{minus}\\frac{{{body}}}{{{n}}}")
            } else {
                format!("{minus}{body}/{n}")
            }
        } else {
            format!("{minus}{}{sep}{body}", number(a))
        }
    }

    fn apply(&self, f: Func, args: &[Term]) -> String {
        let l = self.latex();
        let one = || self.term(&args[0]);
        let list = || {
            args.iter()
                .map(|a| self.term(a))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match (f, l) {
            (Func::Sqrt, false) => format!("√{}", self.at(&args[0], 5)),
            (Func::Sqrt, true) => format!("\\sqrt{{{}}}", one()),
            (Func::Cbrt, false) => format!("∛{}", self.at(&args[0], 5)),
            (Func::Cbrt, true) => format!("\\sqrt[3]{{{}}}", one()),
            (Func::Norm, false) => format!("‖{}‖", one()),
            (Func::Norm, true) => format!("\\lVert {} \\rVert", one()),
            (Func::NormSquared, false) => format!("‖{}‖²", one()),
            (Func::NormSquared, true) => format!("\\lVert {} \\rVert^{{2}}", one()),
            (Func::Inner, false) => format!("⟨{}⟩", list()),
            (Func::Inner, true) => format!("\\langle {} \\rangle", list()),
            (Func::Abs, false) => format!("|{}|", one()),
            (Func::Abs, true) => format!("\\lvert {} \\rvert", one()),
            (Func::Ones, false) => "𝟙".to_string(),
            (Func::Ones, true) => "\\mathbf{1}".to_string(),
            (Func::Identity, _) => "I".to_string(),
            (Func::Power, false) => {
                format!("{}^{}", self.at(&args[0], 5), self.at(&args[1], 5))
            }
            (Func::Power, true) => format!("{}^{{{}}}", self.at(&args[0], 5), self.term(&args[1])),
            (Func::Step, false) => format!("H({})", one()),
            (Func::Step, true) => format!("H\\left({}\\right)", one()),
            (Func::Named(n), false) => format!("{n}({})", list()),
            (Func::Named(n), true) => format!("{}\\left({}\\right)", latex_operator(n), list()),
            (sum, _) => {
                let sign = match (sum, l) {
                    (Func::SumRows, false) => "Σᵢ",
                    (Func::SumColumns, false) => "Σⱼ",
                    (Func::SumIterations, false) => "Σₜ",
                    (Func::SumBroadcast, false) => "Σ_broadcast",
                    (_, false) => "Σ",
                    (Func::SumRows, true) => "\\sum_{i}",
                    (Func::SumColumns, true) => "\\sum_{j}",
                    (Func::SumIterations, true) => "\\sum_{t}",
                    (Func::SumBroadcast, true) => "\\sum_{\\text{broadcast}}",
                    (_, true) => "\\sum",
                };
                let arg = &args[0];
                if level(arg) >= 4 {
                    format!("{sign} {}", self.term(arg))
                } else if l {
                    format!("{sign} \\left({}\\right)", self.term(arg))
                } else {
                    format!("{sign}({})", self.term(arg))
                }
            }
        }
    }

    fn cases(&self, arms: &[(String, Term)]) -> String {
        let last = arms.len().saturating_sub(1);
        if self.latex() {
            let rows: Vec<String> = arms
                .iter()
                .enumerate()
                .map(|(k, (c, t))| match k == last && c.is_empty() {
                    true => format!("{} & \\text{{otherwise}}", self.term(t)),
                    false => format!("{} & \\text{{if }} {}", self.term(t), latex_text(c)),
                })
                .collect();
            format!("\\begin{{cases}} {} \\end{{cases}}", rows.join(" \\\\ "))
        } else {
            let rows: Vec<String> = arms
                .iter()
                .enumerate()
                .map(|(k, (c, t))| match k == last && c.is_empty() {
                    true => format!("{} otherwise", self.term(t)),
                    false => format!("{} if {c}", self.term(t)),
                })
                .collect();
            format!("{{{}}}", rows.join("; "))
        }
    }

    fn var(&self, v: &Var) -> String {
        let (letter, hat) = display_name(&v.name);
        if self.latex() {
            let mut base = match greek(letter) {
                Some((_, tex)) => tex.to_string(),
                None if letter.chars().count() == 1 => letter.to_string(),
                None => format!("\\mathit{{{}}}", letter.replace('_', "\\_")),
            };
            if hat {
                base = format!("\\hat{{{base}}}");
            }
            if v.bar {
                base = match letter.chars().count() == 1 || greek(letter).is_some() {
                    true => format!("\\bar{{{base}}}"),
                    false => format!("\\overline{{{base}}}"),
                };
            }
            match v.primes {
                0..=3 => base.push_str(&"'".repeat(v.primes)),
                k => base = format!("{base}^{{({k})}}"),
            }
            if let Some(s) = v.sub {
                let s = match s {
                    Sub::Zero => "0",
                    Sub::Prev => "t-1",
                    Sub::Now => "t",
                    Sub::Last => "T",
                };
                base = format!("{base}_{{{s}}}");
            }
            base
        } else {
            let mut base = match greek(letter) {
                Some((u, _)) => u.to_string(),
                None => letter.to_string(),
            };
            if hat {
                base.push('\u{302}');
            }
            if v.bar {
                base = match base.chars().filter(|c| !is_combining(*c)).count() {
                    1 => precomposed_bar(&base).unwrap_or_else(|| format!("{base}\u{304}")),
                    _ => base.chars().flat_map(|c| [c, '\u{305}']).collect(),
                };
            }
            base.push_str(&match v.primes {
                0 => String::new(),
                1 => "′".into(),
                2 => "″".into(),
                3 => "‴".into(),
                k => format!("⁽{}⁾", superscript(k as i32)),
            });
            if let Some(s) = v.sub {
                base.push_str(match s {
                    Sub::Zero => "₀",
                    Sub::Prev => "ₜ₋₁",
                    Sub::Now => "ₜ",
                    Sub::Last => "_T",
                });
            }
            base
        }
    }
}

/// The letter with a macron as one character, where Unicode has one (`ȳ`, `ā`, `ḡ`).
fn precomposed_bar(letter: &str) -> Option<String> {
    const BARRED: &[(&str, &str)] = &[
        ("a", "ā"),
        ("e", "ē"),
        ("g", "ḡ"),
        ("i", "ī"),
        ("o", "ō"),
        ("u", "ū"),
        ("y", "ȳ"),
        ("A", "Ā"),
        ("E", "Ē"),
        ("G", "Ḡ"),
        ("I", "Ī"),
        ("O", "Ō"),
        ("U", "Ū"),
        ("Y", "Ȳ"),
    ];
    BARRED
        .iter()
        .find(|(l, _)| *l == letter)
        .map(|(_, b)| b.to_string())
}

fn is_combining(c: char) -> bool {
    ('\u{300}'..='\u{36f}').contains(&c)
}

/// The name without a `hat` suffix (`xhat`, `x_hat`), and whether it had one.
fn display_name(name: &str) -> (&str, bool) {
    let name = name.trim_start_matches("r#");
    for suffix in ["_hat", "hat"] {
        if let Some(base) = name.strip_suffix(suffix) {
            if !base.is_empty() && base.chars().count() <= 2 || greek(base).is_some() {
                return (base, true);
            }
        }
    }
    (name, false)
}

/// A Greek letter's name as the letter, in Unicode and in LaTeX.
fn greek(name: &str) -> Option<(&'static str, &'static str)> {
    const LETTERS: &[(&str, &str, &str)] = &[
        ("alpha", "α", "\\alpha"),
        ("beta", "β", "\\beta"),
        ("gamma", "γ", "\\gamma"),
        ("delta", "δ", "\\delta"),
        ("eps", "ε", "\\varepsilon"),
        ("epsilon", "ε", "\\varepsilon"),
        ("zeta", "ζ", "\\zeta"),
        ("eta", "η", "\\eta"),
        ("theta", "θ", "\\theta"),
        ("kappa", "κ", "\\kappa"),
        ("lambda", "λ", "\\lambda"),
        ("mu", "μ", "\\mu"),
        ("nu", "ν", "\\nu"),
        ("xi", "ξ", "\\xi"),
        ("pi", "π", "\\pi"),
        ("rho", "ρ", "\\rho"),
        ("sigma", "σ", "\\sigma"),
        ("tau", "τ", "\\tau"),
        ("phi", "φ", "\\phi"),
        ("chi", "χ", "\\chi"),
        ("psi", "ψ", "\\psi"),
        ("omega", "ω", "\\omega"),
    ];
    LETTERS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, u, t)| (*u, *t))
}

/// A number as the derivation writes it: `2`, `0.5`, `1e-5`.
pub fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64).replace('-', "−")
    } else {
        // To 12 significant digits: 0.7 − 1 is −0.3, not −0.30000000000000004.
        let rounded: f64 = format!("{n:.11e}").parse().unwrap_or(n);
        format!("{rounded}").replace('-', "−")
    }
}

/// An integer exponent in superscript digits.
fn superscript(p: i32) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut s = String::new();
    if p < 0 {
        s.push('⁻');
    }
    for d in p.unsigned_abs().to_string().bytes() {
        s.push(DIGITS[usize::from(d - b'0')]);
    }
    s
}

/// A positive integer in subscript digits.
fn subscript(k: usize) -> String {
    const DIGITS: [char; 10] = ['₀', '₁', '₂', '₃', '₄', '₅', '₆', '₇', '₈', '₉'];
    k.to_string()
        .bytes()
        .map(|d| DIGITS[usize::from(d - b'0')])
        .collect()
}

/// Text of the source's own, or a symbol, in LaTeX.
fn latex_text(s: &str) -> String {
    match s {
        "m" | "n" | "mn" => s.to_string(),
        _ => {
            let escaped: String = s
                .chars()
                .flat_map(|c| match c {
                    '_' | '&' | '%' | '$' | '#' | '{' | '}' => vec!['\\', c],
                    c => vec![c],
                })
                .collect();
            format!("\\texttt{{{escaped}}}")
        }
    }
}

/// A named function's LaTeX operator: `\log_{2}` for `log₂`, else `\operatorname{name}`.
fn latex_operator(name: &str) -> String {
    match name {
        "log₂" => "\\log_{2}".to_string(),
        "log₁₀" => "\\log_{10}".to_string(),
        n => format!("\\operatorname{{{n}}}"),
    }
}
