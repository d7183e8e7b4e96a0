//! The generated programs as a small typed syntax tree: expressions (templates with typed
//! holes, variables, blocks, `if` values, map closures), statements, functions and programs,
//! rendered to Rust source.

use crate::family::FamilySet;
use crate::ty::Ty;

/// An expression with its type and an estimate of the largest magnitude of its entries.
#[derive(Clone, Debug)]
pub struct Expr {
    /// The type.
    pub ty: Ty,
    /// An upper estimate of `max |entry|`, which the generator keeps moderate.
    pub bound: f64,
    /// The expression.
    pub kind: ExprKind,
}

/// The forms of an expression.
#[derive(Clone, Debug)]
pub enum ExprKind {
    /// A variable.
    Var(String),
    /// Source text that names no variable (a literal, a constant matrix).
    Lit(String),
    /// A template: `{0}`, `{1}`, ... are replaced by the operands' source.
    Op(String, Vec<Expr>),
    /// `{ stmts; value }`.
    Block(Vec<Stmt>, Box<Expr>),
    /// `if cond { .. } else ..`: `then` is a block, `els` a block or another `If`.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `recv.map(|param| body)`.
    Map(Box<Expr>, String, Box<Expr>),
}

impl Expr {
    /// A variable of type `ty`.
    pub fn var(name: &str, ty: Ty, bound: f64) -> Expr {
        Expr {
            ty,
            bound,
            kind: ExprKind::Var(name.to_string()),
        }
    }
    /// Constant source text.
    pub fn lit(text: impl Into<String>, ty: Ty, bound: f64) -> Expr {
        Expr {
            ty,
            bound,
            kind: ExprKind::Lit(text.into()),
        }
    }
    /// A float literal.
    /// A typed float literal (`0.5_f64`), so that literal-only expressions have a type.
    pub fn float(v: f64) -> Expr {
        let t = if v < 0.0 {
            format!("({v:?}_f64)")
        } else {
            format!("{v:?}_f64")
        };
        Expr::lit(t, Ty::Scalar, v.abs())
    }
    /// A template over operands.
    pub fn op(template: impl Into<String>, args: Vec<Expr>, ty: Ty, bound: f64) -> Expr {
        Expr {
            ty,
            bound,
            kind: ExprKind::Op(template.into(), args),
        }
    }
    /// Whether the expression is a bare variable.
    pub fn is_var(&self) -> bool {
        matches!(self.kind, ExprKind::Var(_))
    }
    /// The source text at indentation `ind`.
    pub fn render(&self, ind: usize) -> String {
        match &self.kind {
            ExprKind::Var(n) => n.clone(),
            ExprKind::Lit(t) => t.clone(),
            ExprKind::Op(t, args) => {
                fill(t, &args.iter().map(|a| a.render(ind)).collect::<Vec<_>>())
            }
            ExprKind::Block(stmts, value) => render_block(stmts, value, ind),
            ExprKind::If(c, t, e) => {
                format!(
                    "if {} {} else {}",
                    c.render(ind),
                    t.render(ind),
                    e.render(ind)
                )
            }
            ExprKind::Map(recv, p, body) => {
                format!("{}.map(|{p}| {})", recv.render(ind), body.render(ind))
            }
        }
    }
    /// Number of nodes.
    pub fn size(&self) -> usize {
        1 + match &self.kind {
            ExprKind::Var(_) | ExprKind::Lit(_) => 0,
            ExprKind::Op(_, args) => args.iter().map(Expr::size).sum(),
            ExprKind::Block(s, v) => stmts_size(s) + v.size(),
            ExprKind::If(c, t, e) => c.size() + t.size() + e.size(),
            ExprKind::Map(r, _, b) => r.size() + b.size(),
        }
    }
}

/// A float literal that always has a decimal point, negative ones in parentheses.
pub fn float_lit(v: f64) -> String {
    if v < 0.0 {
        format!("({v:?})")
    } else {
        format!("{v:?}")
    }
}

/// Replaces `{i}` in `template` by `args[i]`.
pub fn fill(template: &str, args: &[String]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after
            .find('}')
            .and_then(|close| after[..close].parse::<usize>().ok().map(|i| (i, close)))
        {
            Some((i, close)) => {
                out.push_str(&args[i]);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn render_block(stmts: &[Stmt], value: &Expr, ind: usize) -> String {
    if stmts.is_empty() {
        return format!("{{ {} }}", tail(value, ind));
    }
    let mut s = String::from("{\n");
    for st in stmts {
        st.render_into(&mut s, ind + 1);
    }
    s.push_str(&format!(
        "{}{}\n{}}}",
        pad(ind + 1),
        tail(value, ind + 1),
        pad(ind)
    ));
    s
}

/// A block's value: parenthesised when an operation's text begins with `if` or a block
/// (`if c { a } else { b }[(0, 1)]` as a block's tail parses as an `if` statement).
fn tail(value: &Expr, ind: usize) -> String {
    let r = value.render(ind);
    let statement_like = r.starts_with("if ") || r.starts_with('{');
    if statement_like && !matches!(value.kind, ExprKind::If(..) | ExprKind::Block(..)) {
        format!("({r})")
    } else {
        r
    }
}

/// Four spaces per level.
pub fn pad(ind: usize) -> String {
    "    ".repeat(ind)
}

/// A `for` loop's header: the pattern's bindings and the iterator (which reads constants only).
#[derive(Clone, Debug)]
pub struct LoopHeader {
    /// The pattern's source, e.g. `(i, x)`.
    pub pat: String,
    /// The variables it binds, with their types and bounds.
    pub binds: Vec<(String, Ty, f64)>,
    /// The iterator expression.
    pub iter: Expr,
}

/// A statement, possibly under `#[cfg(..)]`.
#[derive(Clone, Debug)]
pub struct Stmt {
    /// `Some("all()")` or `Some("any()")`: the statement's cfg predicate.
    pub cfg: Option<&'static str>,
    /// The statement.
    pub kind: StmtKind,
}

/// The forms of a statement.
#[derive(Clone, Debug)]
pub enum StmtKind {
    /// `let [mut] name = init;`
    Let {
        /// The variable.
        name: String,
        /// Whether `mut`.
        mutable: bool,
        /// The value.
        init: Expr,
    },
    /// `name op rhs;` with `op` one of `=`, `+=`, `-=`, `*=`, `/=`.
    Assign {
        /// The variable.
        name: String,
        /// The operator.
        op: &'static str,
        /// The right-hand side.
        rhs: Expr,
    },
    /// `for pat in iter { body }`.
    For(LoopHeader, Vec<Stmt>),
    /// `if cond { then } [else { els }]`; an `else if` is an `else` holding one `If`.
    If(Expr, Vec<Stmt>, Option<Vec<Stmt>>),
}

impl Stmt {
    /// A statement without cfg.
    pub fn new(kind: StmtKind) -> Stmt {
        Stmt { cfg: None, kind }
    }
    /// Whether the statement is compiled in (no cfg or an always-true one).
    pub fn active(&self) -> bool {
        self.cfg != Some("any()")
    }
    /// Appends the statement's source at indentation `ind`.
    pub fn render_into(&self, s: &mut String, ind: usize) {
        let p = pad(ind);
        if let Some(c) = self.cfg {
            s.push_str(&format!("{p}#[cfg({c})]\n"));
        }
        match &self.kind {
            StmtKind::Let {
                name,
                mutable,
                init,
            } => {
                let m = if *mutable { "mut " } else { "" };
                s.push_str(&format!("{p}let {m}{name} = {};\n", init.render(ind)));
            }
            StmtKind::Assign { name, op, rhs } => {
                s.push_str(&format!("{p}{name} {op} {};\n", rhs.render(ind)));
            }
            StmtKind::For(h, body) => {
                s.push_str(&format!("{p}for {} in {} {{\n", h.pat, h.iter.render(ind)));
                render_stmts(s, body, ind + 1);
                s.push_str(&format!("{p}}}\n"));
            }
            StmtKind::If(..) => {
                s.push_str(&p);
                self.render_if(s, ind);
                s.push('\n');
            }
        }
    }
    fn render_if(&self, s: &mut String, ind: usize) {
        let StmtKind::If(c, then, els) = &self.kind else {
            unreachable!()
        };
        s.push_str(&format!("if {} {{\n", c.render(ind)));
        render_stmts(s, then, ind + 1);
        s.push_str(&format!("{}}}", pad(ind)));
        if let Some(els) = els {
            if let [one @ Stmt {
                cfg: None,
                kind: StmtKind::If(..),
            }] = els.as_slice()
            {
                s.push_str(" else ");
                one.render_if(s, ind);
            } else {
                s.push_str(" else {\n");
                render_stmts(s, els, ind + 1);
                s.push_str(&format!("{}}}", pad(ind)));
            }
        }
    }
    /// Number of nodes.
    pub fn size(&self) -> usize {
        1 + match &self.kind {
            StmtKind::Let { init, .. } => init.size(),
            StmtKind::Assign { rhs, .. } => rhs.size(),
            StmtKind::For(h, b) => h.iter.size() + stmts_size(b),
            StmtKind::If(c, t, e) => {
                c.size() + stmts_size(t) + e.as_ref().map_or(0, |e| stmts_size(e))
            }
        }
    }
}

fn render_stmts(s: &mut String, stmts: &[Stmt], ind: usize) {
    for st in stmts {
        st.render_into(s, ind);
    }
}

/// Total size of statements.
pub fn stmts_size(stmts: &[Stmt]) -> usize {
    stmts.iter().map(Stmt::size).sum()
}

/// A function parameter.
#[derive(Clone, Debug)]
pub struct Param {
    /// The name.
    pub name: String,
    /// The type.
    pub ty: Ty,
    /// Whether taken by reference (`&T`); slices always are.
    pub by_ref: bool,
    /// Whether differentiated (listed in the attribute, or all floats under a bare `#[grad]`).
    pub diff: bool,
    /// The value the checker passes, for constants the generator relied on (`usize`, `f64`
    /// constants); `None` for random inputs.
    pub fixed: Option<String>,
}

impl Param {
    /// `name: &T` or `name: T`.
    pub fn render(&self) -> String {
        match self.ty {
            Ty::Slice { .. } => format!("{}: &[DVector<f64>]", self.name),
            Ty::Mats { shape, .. } => format!("{}: &[{}]", self.name, shape.rust()),
            t if self.by_ref => format!("{}: &{}", self.name, t.rust()),
            t => format!("{}: {}", self.name, t.rust()),
        }
    }
}

/// A generated `#[grad]` function.
#[derive(Clone, Debug)]
pub struct Function {
    /// The name.
    pub name: String,
    /// The parameters.
    pub params: Vec<Param>,
    /// `None` for a bare `#[grad]`, else the listed parameters.
    pub grad_list: Option<Vec<String>>,
    /// The return type.
    pub ret: Ty,
    /// The body's statements.
    pub body: Vec<Stmt>,
    /// The body's value.
    pub tail: Expr,
    /// How the body takes the `Option`s of nalgebra's methods.
    pub taking: Taking,
    /// Whether `forward` is among the attribute's arguments (the `forward` family).
    pub forward: bool,
    /// Whether `checkpoint` is (the `checkpoint` family).
    pub checkpoint: bool,
}

/// How a function takes the `Option`s of nalgebra's methods (`s.cholesky()`, `lu.solve(&b)`):
/// as the forms are written, `.unwrap()`; with `.expect(msg)`; with `?`, the function
/// returning `Option<T>` and its value in `Some(..)`; or with `.ok_or(e)?`, the function
/// returning `Result<T, String>` and its value in `Ok(..)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Taking {
    #[default]
    Unwrap,
    Expect,
    Try,
    TryOr,
}

impl Function {
    /// The source of the function with its attribute.
    pub fn render(&self) -> String {
        let mut args = self.grad_list.clone().unwrap_or_default();
        if self.forward {
            args.push("forward".into());
        }
        if self.checkpoint {
            args.push("checkpoint".into());
        }
        // `f_grad_with` (`f_pullback_with`) of every function: the checks call it too.
        args.push("workspace".into());
        let attr = match args.is_empty() {
            true => "#[grad]".to_string(),
            false => format!("#[grad({})]", args.join(", ")),
        };
        let params: Vec<String> = self.params.iter().map(Param::render).collect();
        let ret = match self.taking {
            Taking::Try => format!("Option<{}>", self.ret.rust()),
            Taking::TryOr => format!("Result<{}, String>", self.ret.rust()),
            _ => self.ret.rust(),
        };
        let mut s = format!(
            "{attr}\npub fn {}({}) -> {ret} {{\n",
            self.name,
            params.join(", ")
        );
        let mut body = String::new();
        render_stmts(&mut body, &self.body, 1);
        let value = match self.taking {
            Taking::Try => format!("Some({})", tail(&self.tail, 1)),
            Taking::TryOr => format!("Ok({})", tail(&self.tail, 1)),
            _ => tail(&self.tail, 1),
        };
        body.push_str(&format!("    {value}\n}}\n"));
        s.push_str(&match self.taking {
            Taking::Unwrap => body,
            Taking::Expect => body.replace(".unwrap()", ".expect(\"an Option of nalgebra\")"),
            Taking::Try => body.replace(".unwrap()", "?"),
            Taking::TryOr => body.replace(".unwrap()", ".ok_or(String::from(\"None\"))?"),
        });
        s
    }
    /// The differentiated parameters.
    pub fn diff_params(&self) -> impl Iterator<Item = &Param> {
        self.params.iter().filter(|p| p.diff)
    }
    /// Number of nodes.
    pub fn size(&self) -> usize {
        stmts_size(&self.body) + self.tail.size()
    }
}

/// A function with a hand-written `#[vjp(rule)]`, from a fixed template.
#[derive(Clone, Debug)]
pub struct VjpFn {
    /// The function's name.
    pub name: String,
    /// The function and its rule, as source.
    pub source: String,
}

/// One generated program: helpers (called by later functions), rules, the main function,
/// and the families it uses. Every `#[grad]` function of it is checked.
#[derive(Clone, Debug)]
pub struct Program {
    /// The program's number within the run.
    pub id: usize,
    /// The seed it was generated from.
    pub seed: u64,
    /// Functions with hand-written rules.
    pub vjps: Vec<VjpFn>,
    /// `#[grad]` functions, in order; the last is the main one.
    pub funcs: Vec<Function>,
    /// The families it uses.
    pub families: FamilySet,
    /// The catalogue forms it takes (`factorisation`, `spectral`, `svd`, `qr`, `exp`,
    /// `blocks`, `index_query`, `clamp`, `softmax`, `capture`), in the order generated: none
    /// for a program the generator wrote before they were added.
    pub catalogue: Vec<&'static str>,
    /// The `models` family's structs and functions, if it takes them.
    pub models: Option<crate::model::Models>,
}

impl Program {
    /// The module name in a batch crate.
    pub fn module(&self) -> String {
        format!("p{:05}", self.id)
    }
    /// The source of the functions (without the checker).
    pub fn render_functions(&self) -> String {
        let mut s = String::new();
        for v in &self.vjps {
            s.push_str(&v.source);
            s.push('\n');
        }
        for f in &self.funcs {
            s.push_str(&f.render());
            s.push('\n');
        }
        if let Some(m) = &self.models {
            s.push_str(&m.render());
        }
        s
    }
    /// Number of nodes of all functions, plus one per rule.
    pub fn size(&self) -> usize {
        self.funcs.iter().map(Function::size).sum::<usize>() + self.vjps.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An `if` read by an operation in a block's tail is parenthesised (else it parses as an
    /// `if` statement followed by an array); a bare `if` tail is not.
    #[test]
    fn a_tail_starting_with_if_is_parenthesised() {
        let cond = Expr::lit("(2 > 1)", Ty::Bool, 0.0);
        let arm = |v: &str| Expr {
            ty: Ty::Scalar,
            bound: 1.0,
            kind: ExprKind::Block(Vec::new(), Box::new(Expr::var(v, Ty::Scalar, 1.0))),
        };
        let branch = Expr {
            ty: Ty::Scalar,
            bound: 1.0,
            kind: ExprKind::If(Box::new(cond), Box::new(arm("a")), Box::new(arm("b"))),
        };
        let indexed = Expr::op("{0}.abs()", vec![branch.clone()], Ty::Scalar, 1.0);
        assert_eq!(tail(&indexed, 0), "(if (2 > 1) { a } else { b }.abs())");
        assert_eq!(tail(&branch, 0), "if (2 > 1) { a } else { b }");
    }
}
