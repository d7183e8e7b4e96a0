//! Terms of the derivation: matrix expressions, built by constructors that simplify as they
//! build (numeric factors folded and moved to the front, double transposes removed, zeros
//! dropped, equal terms of a sum merged).

/// A variable as the derivation writes it: the source's name, a bar for its adjoint, a
/// subscript inside a loop (`t`, `t−1`, `0`, `T`), primes for a name the source binds again.
#[derive(Clone, Debug, PartialEq)]
pub struct Var {
    pub name: String,
    pub bar: bool,
    pub sub: Option<Sub>,
    pub primes: usize,
    /// Known to be a float (a scalar commutes with every factor, and is its own transpose).
    pub scalar: bool,
}

/// A loop's subscript.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sub {
    /// Before the loop: `₀`.
    Zero,
    /// The previous iteration: `ₜ₋₁`.
    Prev,
    /// This iteration: `ₜ`.
    Now,
    /// After the loop: `_T`.
    Last,
}

/// A named function applied to its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    /// `√x`.
    Sqrt,
    /// `∛x`, the real cube root (of a negative `x` too).
    Cbrt,
    /// `‖x‖`.
    Norm,
    /// `‖x‖²`.
    NormSquared,
    /// `⟨a, b⟩`.
    Inner,
    /// `|x|`.
    Abs,
    /// `Σᵢ x`: the sum over rows (a row of column sums).
    SumRows,
    /// `Σⱼ x`: the sum over columns (a column of row sums).
    SumColumns,
    /// `Σ x`: the sum of every entry.
    SumAll,
    /// `Σₜ x`: the sum over a loop's iterations.
    SumIterations,
    /// `x summed over the broadcast rows or columns` (shape known only at run time).
    SumBroadcast,
    /// `𝟙`: the matrix of ones of its argument's shape (the argument is not written).
    Ones,
    /// `I`: the identity of its argument's size (the argument is not written).
    Identity,
    /// `aᵇ` for a real exponent `b` (a rational one is a [`Term::Pow`]).
    Power,
    /// `H(x)`: the Heaviside step, 1 above 0, ½ at 0, 0 below (the registry's ties, split
    /// evenly, of `max`, `min` and `clamp`).
    Step,
    /// `name(x, ..)` as written (`tr`, `det`, `exp`, `ln`, `sin`, ...).
    Named(&'static str),
}

impl Func {
    /// Whether the function's value is a float whatever its arguments.
    fn scalar_valued(self) -> bool {
        matches!(
            self,
            Func::Norm | Func::NormSquared | Func::Inner | Func::SumAll
        ) || matches!(self, Func::Named(n) if ["tr", "det", "ln det", "mean", "var"].contains(&n))
    }
}

/// A term of the derivation.
#[derive(Clone, Debug, PartialEq)]
pub enum Term {
    Num(f64),
    Var(Var),
    /// A sum of signed terms (`true`: subtracted), none a number zero.
    Sum(Vec<(bool, Term)>),
    /// `c·f₁·f₂·…`: a numeric coefficient and at least one factor, none a number, the known
    /// scalars first.
    Prod(f64, Vec<Term>),
    /// `a/b`.
    Frac(Box<Term>, Box<Term>),
    /// `a ⊙ b`.
    Had(Box<Term>, Box<Term>),
    /// `a ⊘ b`.
    HadDiv(Box<Term>, Box<Term>),
    /// `aᵀ`.
    T(Box<Term>),
    /// `a` to a rational power `(numerator, denominator)`.
    Pow(Box<Term>, (i32, i32)),
    Apply(Func, Vec<Term>),
    /// `cases`: the term of each arm of a branch, under its condition's text.
    Cases(Vec<(String, Term)>),
    /// Text of the source's own, kept as written (a constant the registry does not know).
    Text(String),
    /// `name(args)`, with `Some(k)` the k-th entry (from 1) of what it returns: a call of
    /// another function, or its pullback.
    Call(String, Vec<Term>, Option<usize>),
    /// `(∂y/∂x)ᵀ[ḡ]`: the pullback of an operation the notation does not know, applied to ḡ.
    Pullback {
        y: Box<Term>,
        x: Box<Term>,
        g: Box<Term>,
    },
}

impl Var {
    /// The variable `name`, without bar, subscript or primes.
    pub fn new(name: &str, scalar: bool) -> Var {
        Var {
            name: name.to_string(),
            bar: false,
            sub: None,
            primes: 0,
            scalar,
        }
    }

    /// Its adjoint.
    pub fn bar(&self) -> Var {
        Var {
            bar: true,
            ..self.clone()
        }
    }
}

/// The number `n`.
pub fn num(n: f64) -> Term {
    Term::Num(n)
}

impl Term {
    /// Whether the term is known to be a float.
    pub fn is_scalar(&self) -> bool {
        match self {
            Term::Num(_) => true,
            Term::Var(v) => v.scalar,
            Term::Sum(ts) => ts.iter().all(|(_, t)| t.is_scalar()),
            Term::Prod(_, fs) => fs.iter().all(Term::is_scalar),
            Term::Frac(a, _) | Term::Pow(a, _) | Term::T(a) => a.is_scalar(),
            Term::Had(a, b) | Term::HadDiv(a, b) => a.is_scalar() && b.is_scalar(),
            Term::Apply(f, args) => f.scalar_valued() || args.iter().all(Term::is_scalar),
            Term::Cases(arms) => arms.iter().all(|(_, t)| t.is_scalar()),
            Term::Text(_) | Term::Call(..) => false,
            Term::Pullback { x, .. } => x.is_scalar(),
        }
    }

    /// Whether `p` holds of this term or of any term inside it.
    pub fn any(&self, p: &dyn Fn(&Term) -> bool) -> bool {
        if p(self) {
            return true;
        }
        match self {
            Term::Num(_) | Term::Var(_) | Term::Text(_) => false,
            Term::Sum(ts) => ts.iter().any(|(_, t)| t.any(p)),
            Term::Cases(arms) => arms.iter().any(|(_, t)| t.any(p)),
            Term::Prod(_, ts) | Term::Apply(_, ts) | Term::Call(_, ts, _) => {
                ts.iter().any(|t| t.any(p))
            }
            Term::Frac(a, b) | Term::Had(a, b) | Term::HadDiv(a, b) => a.any(p) || b.any(p),
            Term::T(a) | Term::Pow(a, _) => a.any(p),
            Term::Pullback { y, x, g } => y.any(p) || x.any(p) || g.any(p),
        }
    }

    pub fn is_zero(&self) -> bool {
        matches!(self, Term::Num(n) if *n == 0.0)
    }

    /// The numeric coefficient and the rest: `(c, t)` with `self = c·t`.
    fn split(self) -> (f64, Option<Term>) {
        match self {
            Term::Num(n) => (n, None),
            Term::Prod(c, fs) if fs.len() == 1 => (c, fs.into_iter().next()),
            Term::Prod(c, fs) => (c, Some(Term::Prod(1.0, fs))),
            t => (1.0, Some(t)),
        }
    }
}

/// `c·t`.
pub fn scale(c: f64, t: Term) -> Term {
    prod(vec![num(c), t])
}

/// `−t`.
pub fn neg(t: Term) -> Term {
    scale(-1.0, t)
}

/// The product of `factors`, in order (matrix products do not commute: only the known
/// scalars move to the front, and the numbers into the coefficient).
pub fn prod(factors: Vec<Term>) -> Term {
    let mut c = 1.0;
    let mut scalars = Vec::new();
    let mut others = Vec::new();
    for f in factors {
        let (k, rest) = f.split();
        c *= k;
        let Some(rest) = rest else { continue };
        let parts = match rest {
            Term::Prod(_, fs) => fs,
            t => vec![t],
        };
        for p in parts {
            if p.is_scalar() {
                scalars.push(p);
            } else {
                others.push(p);
            }
        }
    }
    if c == 0.0 {
        return num(0.0);
    }
    // Floats commute: in one order (variables first), so that equal products merge in sums.
    scalars.sort_by_cached_key(|t| (!matches!(t, Term::Var(_)), format!("{t:?}")));
    scalars.extend(others);
    // `c·a·(k/d)` is `(c·k)·a/d`.
    if let Some(at) = scalars
        .iter()
        .position(|f| matches!(f, Term::Frac(n, _) if matches!(**n, Term::Num(_))))
    {
        if let Term::Frac(n, d) = scalars.remove(at) {
            let Term::Num(k) = *n else {
                unreachable!("matched a number")
            };
            let rest = match scalars.len() {
                0 => num(c * k),
                _ => Term::Prod(c * k, scalars),
            };
            return frac(rest, *d);
        }
    }
    match scalars.len() {
        0 => num(c),
        1 if c == 1.0 => scalars.pop().expect("one factor"),
        _ => Term::Prod(c, scalars),
    }
}

/// `a·b`.
pub fn mul(a: Term, b: Term) -> Term {
    prod(vec![a, b])
}

/// The sum of signed terms (`true`: subtracted), zeros dropped, equal terms merged.
pub fn sum(terms: Vec<(bool, Term)>) -> Term {
    let mut out: Vec<(f64, Term)> = Vec::new();
    let mut constant = 0.0;
    // A number written before every other term stays first (`1 − y ⊙ y`).
    let mut constant_first = None;
    for (minus, t) in terms {
        let s = if minus { -1.0 } else { 1.0 };
        let parts = match t {
            Term::Sum(ts) => ts,
            t => vec![(false, t)],
        };
        for (m, p) in parts {
            let sign = if m { -s } else { s };
            let (k, rest) = p.split();
            match rest {
                None => {
                    constant += sign * k;
                    constant_first.get_or_insert(out.is_empty());
                }
                Some(r) => match out.iter_mut().find(|(_, t)| *t == r) {
                    Some(slot) => slot.0 += sign * k,
                    None => out.push((sign * k, r)),
                },
            }
        }
    }
    let mut terms: Vec<(bool, Term)> = out
        .into_iter()
        .filter(|(k, _)| *k != 0.0)
        .map(|(k, t)| (k < 0.0, scale(k.abs(), t)))
        .collect();
    if constant != 0.0 {
        let c = (constant < 0.0, num(constant.abs()));
        match constant_first {
            Some(true) => terms.insert(0, c),
            _ => terms.push(c),
        }
    }
    match terms.len() {
        0 => num(0.0),
        1 => {
            let (minus, t) = terms.pop().expect("one term");
            if minus {
                neg(t)
            } else {
                t
            }
        }
        _ => Term::Sum(terms),
    }
}

/// `a + b`.
pub fn add(a: Term, b: Term) -> Term {
    sum(vec![(false, a), (false, b)])
}

/// `a − b`.
pub fn sub(a: Term, b: Term) -> Term {
    sum(vec![(false, a), (true, b)])
}

/// `aᵀ`, with `(aᵀ)ᵀ = a`, a scalar its own transpose and `(c·a·b)ᵀ = c·bᵀ·aᵀ`.
pub fn tr(a: Term) -> Term {
    match a {
        Term::T(inner) => *inner,
        t if t.is_scalar() => t,
        Term::Prod(c, fs) => {
            let reversed = fs.into_iter().rev().map(tr);
            prod(std::iter::once(num(c)).chain(reversed).collect())
        }
        t => Term::T(Box::new(t)),
    }
}

/// `a/b`: a numeric divisor goes into the coefficient.
pub fn frac(a: Term, b: Term) -> Term {
    match b {
        Term::Num(n) if n != 0.0 => scale(1.0 / n, a),
        b => {
            let (c, rest) = a.split();
            match rest {
                None if c == 0.0 => num(0.0),
                None => Term::Frac(Box::new(num(c)), Box::new(b)),
                Some(r) => scale(c, Term::Frac(Box::new(r), Box::new(b))),
            }
        }
    }
}

/// `a ⊙ b` for `a` and `b` of one shape: `𝟙 ⊙ b` is `b`. (Of two shapes, a row or column
/// broadcast, `𝟙 ⊙ b` is not `b`: that is [`had`].)
pub fn had_same(a: Term, b: Term) -> Term {
    let ones = |t: &Term| matches!(t, Term::Apply(Func::Ones, _));
    match (ones(&a), ones(&b)) {
        (true, _) if !b.is_scalar() => b,
        (_, true) if !a.is_scalar() => a,
        _ => had(a, b),
    }
}

/// `a ⊙ b`: with a float operand, the product; `a ⊙ (c/d)` and `a ⊙ (c ⊘ d)` are
/// `c·(a ⊘ d)`.
pub fn had(a: Term, b: Term) -> Term {
    if a.is_scalar() || b.is_scalar() {
        return mul(a, b);
    }
    if let Term::Frac(n, d) | Term::HadDiv(n, d) = &b {
        if let Term::Num(c) = **n {
            return scale(c, had_div(a, (**d).clone()));
        }
    }
    let (ca, ra) = a.split();
    let (cb, rb) = b.split();
    match (ra, rb) {
        (Some(ra), Some(rb)) => scale(ca * cb, Term::Had(Box::new(ra), Box::new(rb))),
        _ => scale(ca * cb, num(1.0)),
    }
}

/// `a ⊘ b`: with a float divisor, the quotient.
pub fn had_div(a: Term, b: Term) -> Term {
    if b.is_scalar() {
        return frac(a, b);
    }
    let (c, rest) = a.split();
    match rest {
        None if c == 0.0 => num(0.0),
        None => Term::HadDiv(Box::new(num(c)), Box::new(b)),
        Some(r) => scale(c, Term::HadDiv(Box::new(r), Box::new(b))),
    }
}

/// `a` to the power `p/q`.
pub fn pow(a: Term, p: i32, q: i32) -> Term {
    match (p, q) {
        (1, 1) => a,
        (0, _) => num(1.0),
        _ => Term::Pow(Box::new(a), (p, q)),
    }
}

/// `f(args)`.
pub fn apply(f: Func, args: Vec<Term>) -> Term {
    Term::Apply(f, args)
}

/// A named function of one argument.
pub fn named(name: &'static str, a: Term) -> Term {
    apply(Func::Named(name), vec![a])
}

/// `aᵇ`: a rational power where `b` is a number with a denominator up to 4.
pub fn power(a: Term, b: Term) -> Term {
    if let Term::Num(n) = b {
        // Not −1, which is a matrix's inverse.
        let q = (1..=4).find(|q| (n * f64::from(*q)).fract() == 0.0);
        if let Some(q) = q.filter(|_| n != -1.0 && n.abs() < 1e6) {
            return pow(a, (n * f64::from(q)) as i32, q);
        }
    }
    apply(Func::Power, vec![a, b])
}

/// `t` with every variable `v` for which `f` gives a term replaced by it, simplified again.
pub fn rebuild(t: &Term, f: &dyn Fn(&Var) -> Option<Term>) -> Term {
    let r = |t: &Term| rebuild(t, f);
    let rs = |ts: &[Term]| ts.iter().map(r).collect::<Vec<_>>();
    match t {
        Term::Num(_) | Term::Text(_) => t.clone(),
        Term::Var(v) => f(v).unwrap_or_else(|| t.clone()),
        Term::Sum(ts) => sum(ts.iter().map(|(m, t)| (*m, r(t))).collect()),
        Term::Prod(c, fs) => prod(std::iter::once(num(*c)).chain(rs(fs)).collect()),
        Term::Frac(a, b) => frac(r(a), r(b)),
        Term::Had(a, b) => had(r(a), r(b)),
        Term::HadDiv(a, b) => had_div(r(a), r(b)),
        Term::T(a) => tr(r(a)),
        Term::Pow(a, (p, q)) => pow(r(a), *p, *q),
        Term::Apply(func, args) => apply(*func, rs(args)),
        Term::Cases(arms) => Term::Cases(arms.iter().map(|(c, t)| (c.clone(), r(t))).collect()),
        Term::Call(n, args, k) => Term::Call(n.clone(), rs(args), *k),
        Term::Pullback { y, x, g } => Term::Pullback {
            y: Box::new(r(y)),
            x: Box::new(r(x)),
            g: Box::new(r(g)),
        },
    }
}
