//! Magnitude control (`clamp`), borrowing and ownership of operands, conversions between
//! types, calls to helpers and rules (the rules' templates are in `rules`), blocks and `if` values,
//! map closures, and branch conditions.

use super::{Callee, Gen, Var};
use crate::ast::{Expr, ExprKind, Stmt, StmtKind};
use crate::family::Family;
use crate::model::{field_like, gaps, is_path};
use crate::ty::{Shape, Ty};
use rand::Rng;

/// Whether `e` is a field or element (`p.s`, an alias of one), or an entry of one (`p.w[0]`,
/// `ws[1][(0, 1)]`, `al3[(0, 1)]`).
fn field_place(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Var(n) => field_like(n),
        ExprKind::Op(t, args) => t.starts_with("{0}[") && args.first().is_some_and(field_place),
        _ => false,
    }
}

/// Rounds `x > 0` down to two significant digits.
fn nice_floor(x: f64) -> f64 {
    let p = 10f64.powf(x.log10().floor() - 1.0);
    let r = (x / p).floor() * p;
    // Printing must not round it back up.
    format!("{r:.12e}").parse::<f64>().unwrap_or(r).min(x)
}

impl Gen {
    /// `e`, scaled or squashed so that its magnitude stays below `cap`.
    pub(crate) fn clamp(&mut self, e: Expr, cap: f64) -> Expr {
        if e.bound <= cap {
            return e;
        }
        let ty = e.ty;
        if cap >= 1.0 && self.chance(0.4) {
            match ty {
                Ty::Scalar if self.on(Family::FloatFns) || self.closure => {
                    self.mark_float_fn();
                    return Expr::op("{0}.tanh()", vec![e], ty, 1.0);
                }
                Ty::Mat(_) if self.on(Family::Activations) && !self.closure => {
                    self.mark(Family::Activations);
                    let e = self.library_arg(e);
                    let e = self.borrow(e);
                    return Expr::op("matgrad::tanh({0})", vec![e], ty, 1.0);
                }
                Ty::Mat(_) if self.on(Family::Map) && !self.closure => {
                    self.mark(Family::Map);
                    return Expr::op("{0}.map(f64::tanh)", vec![e], ty, 1.0);
                }
                _ => {}
            }
        }
        let c = nice_floor(cap / e.bound);
        let b = e.bound * c;
        let e = self.operand(e);
        Expr::op(format!("({{0}} * {c:?})"), vec![e], ty, b)
    }

    fn var_of(&self, e: &Expr) -> Option<&Var> {
        match &e.kind {
            ExprKind::Var(n) => self.lookup(n),
            _ => None,
        }
    }

    /// An operand of an operator: an owned dynamic matrix variable is borrowed (`&m`), so
    /// that the operator does not move it.
    pub(crate) fn operand(&self, e: Expr) -> Expr {
        match self.var_of(&e) {
            Some(v) if matches!(v.ty, Ty::Mat(s) if !s.is_static()) && !v.is_ref => {
                let (ty, b) = (e.ty, e.bound);
                Expr::op("&{0}", vec![e], ty, b)
            }
            _ => e,
        }
    }

    /// An argument passed by reference: `&e`, or a reference variable as it is.
    pub(crate) fn borrow(&self, e: Expr) -> Expr {
        match self.var_of(&e) {
            Some(v) if v.is_ref => e,
            _ => {
                let (ty, b) = (e.ty, e.bound);
                Expr::op("&{0}", vec![e], ty, b)
            }
        }
    }

    /// A value that is stored (let, assignment, result): a bare matrix variable is cloned;
    /// a float field or entry (`p.s`, `p.w[0]`) is too, while [`gaps::FIELD_COPY`]
    /// is open.
    pub(crate) fn owned(&self, e: Expr) -> Expr {
        let place = gaps::FIELD_COPY && e.ty == Ty::Scalar && field_place(&e);
        if e.is_var() && matches!(e.ty, Ty::Mat(_)) || place {
            let (ty, b) = (e.ty, e.bound);
            return Expr::op("{0}.clone()", vec![e], ty, b);
        }
        e
    }

    /// An argument of `f64::max` or `f64::min`: a field or an entry of one is cloned in a
    /// `forward` function while [`gaps::FORWARD_MAX_OF_FIELD`] is open.
    pub(crate) fn max_arg(&self, e: Expr) -> Expr {
        if gaps::FORWARD_MAX_OF_FIELD && self.forward && field_place(&e) {
            let (ty, b) = (e.ty, e.bound);
            return Expr::op("{0}.clone()", vec![e], ty, b);
        }
        e
    }

    /// An argument of one of the library's functions (`matgrad::relu`, ..), before it is
    /// borrowed: a field or element (or an entry of one) is cloned while [`gaps::FIELD_AS_LIBRARY_ARG`] is open.
    pub(crate) fn library_arg(&self, e: Expr) -> Expr {
        if gaps::FIELD_AS_LIBRARY_ARG && field_place(&e) {
            let (ty, b) = (e.ty, e.bound);
            return Expr::op("{0}.clone()", vec![e], ty, b);
        }
        e
    }

    /// `e` converted to type `to`: a matrix reduced to a scalar, a scalar times a constant
    /// matrix; `None` when no enabled family converts.
    pub(crate) fn convert(&mut self, e: Expr, to: Ty) -> Option<Expr> {
        if e.ty == to {
            return Some(e);
        }
        match (e.ty, to) {
            (Ty::Mat(s), Ty::Scalar) => {
                let n = s.len() as f64;
                let b = e.bound;
                let mut opts: Vec<(&str, f64, Family)> = Vec::new();
                if self.on(Family::Reductions) {
                    opts.push(("{0}.sum()", n * b, Family::Reductions));
                    opts.push(("{0}.norm_squared()", n * b * b, Family::Reductions));
                }
                if self.on(Family::Indexing) {
                    opts.push(("{0}[(0, 0)]", b, Family::Indexing));
                }
                if opts.is_empty() {
                    return None;
                }
                let (t, bound, f) = opts[self.rng.random_range(0..opts.len())];
                self.mark(f);
                Some(Expr::op(t, vec![e], to, bound))
            }
            (Ty::Scalar, Ty::Mat(s)) => {
                let b = e.bound;
                Some(Expr::op(
                    format!("({} * {{0}})", s.filled("1.0")),
                    vec![e],
                    to,
                    b,
                ))
            }
            _ => None,
        }
    }

    /// A call to a helper or rule returning `ret`, arguments within magnitude 1.
    pub(crate) fn call(&mut self, ret: Ty, depth: u32) -> Option<Expr> {
        if self.closure {
            return None;
        }
        let cands: Vec<Callee> = self
            .callees
            .iter()
            .filter(|c| c.ret == ret)
            .cloned()
            .collect();
        if cands.is_empty() {
            return None;
        }
        let c = cands[self.rng.random_range(0..cands.len())].clone();
        self.mark(if c.vjp { Family::Vjp } else { Family::Calls });
        let mut args = Vec::new();
        let mut holes = Vec::new();
        for (i, &(ty, by_ref, diff)) in c.params.iter().enumerate() {
            let a = if diff {
                let a = self.expr(ty, depth.saturating_sub(1));
                self.clamp(a, 1.0)
            } else {
                match ty {
                    Ty::Mat(s) => Expr::lit(s.filled("0.5"), ty, 0.5),
                    _ => Expr::float(0.75),
                }
            };
            let a = if by_ref {
                self.borrow(a)
            } else {
                self.owned(a)
            };
            args.push(a);
            holes.push(format!("{{{i}}}"));
        }
        // A helper that returns `Option`: `.unwrap()`, which the caller's taking may turn
        // into `.expect(..)` or `?` (`Function::render`).
        let taken = if c.fallible { ".unwrap()" } else { "" };
        Some(Expr::op(
            format!("{}({}){taken}", c.name, holes.join(", ")),
            args,
            ret,
            c.bound,
        ))
    }

    /// A block `{ let t = ..; value }` or an `if` value, of type `ty`.
    pub(crate) fn block_or_if(&mut self, ty: Ty, depth: u32) -> Option<Expr> {
        if self.closure {
            if !self.on(Family::MapBlock) {
                return None;
            }
            self.mark(Family::MapBlock);
            return Some(self.block(ty, depth, true));
        }
        if self.on(Family::Match) && self.chance(0.2) {
            if let Some(e) = self.match_value(ty, depth) {
                return Some(e);
            }
        }
        if self.on(Family::LocalClosures) && ty == Ty::Scalar && self.chance(0.2) {
            return Some(self.local_closure(depth));
        }
        let branch = self.on(Family::IfValue)
            && (self.on(Family::BranchConst) || self.on(Family::BranchValue));
        if self.on(Family::Blocks) && (!branch || self.chance(0.5)) {
            self.mark(Family::Blocks);
            return Some(self.block(ty, depth, true));
        }
        if !branch {
            return None;
        }
        Some(self.if_value(ty, depth, 0))
    }

    /// `match` on a `usize` constant (a `|` pattern, a guard), `if let Some(c)` on a slice's
    /// first element, or `match` on a comparison of a differentiated value; arms are blocks.
    fn match_value(&mut self, ty: Ty, depth: u32) -> Option<Expr> {
        let (template, scrutinee) = match self.rng.random_range(0..3) {
            0 => {
                let hidden = |n: &str| gaps::MATCH_BINDS_SKIPPED && is_path(n);
                let v = self.pick_var(|v| v.ty == Ty::Usize && !hidden(&v.name))?;
                (
                    "(match {0} { 0 => {1}, 1 | 2 => {2}, km if km > 4 => {3}, _ => {1} })",
                    Expr::var(&v.name, Ty::Usize, 0.0),
                )
            }
            1 => {
                let v = self.pick_var(|v| matches!(v.ty, Ty::Slice { .. }))?;
                (
                    "(if let Some(cm) = {0}.first() { ({1}) * cm.sum().tanh() } else { {2} })",
                    Expr::var(&v.name, v.ty, 0.0),
                )
            }
            _ => (
                "(match ({0}) > 0.0137 { true => {1}, false => {2} })",
                self.scalar(1),
            ),
        };
        self.mark(Family::Match);
        let mut args = vec![scrutinee];
        for _ in 0..3 {
            let lets = self.chance(0.4);
            args.push(self.block(ty, depth, lets));
        }
        let bound = args[1..].iter().map(|a| a.bound).fold(0.0, f64::max);
        Some(Expr::op(template, args, ty, bound))
    }

    /// `{ let cl = |t: f64| body; cl(a) * 0.5 }`: a closure defined in the function, called.
    fn local_closure(&mut self, depth: u32) -> Expr {
        self.mark(Family::LocalClosures);
        let a = self.scalar(depth.saturating_sub(1));
        let b = a.bound;
        let (body, bound) = match self.rng.random_range(0..3) {
            0 => ("(t * t * 0.5 + t.tanh())", 0.5 * b * b + 1.0),
            1 => ("(t.sin() * 0.5 + t)", 0.5 + b),
            _ => ("((t * 0.3).tanh() * t)", b),
        };
        let template = format!("{{ let cl = |t: f64| {body}; cl({{0}}) * 0.5 }}");
        Expr::op(template, vec![a], Ty::Scalar, 0.5 * bound)
    }

    /// `{ let t = e; value }`; with `lets` false, `{ value }`.
    pub(crate) fn block(&mut self, ty: Ty, depth: u32, lets: bool) -> Expr {
        self.push();
        let mut stmts = Vec::new();
        for _ in 0..if lets {
            self.rng.random_range(1..=2)
        } else {
            0
        } {
            let t = if self.closure {
                Ty::Scalar
            } else {
                self.float_ty()
            };
            let init = self.expr(t, depth.saturating_sub(1));
            let init = self.clamp(init, super::VAR_CAP);
            let init = self.owned(init);
            let name = self.fresh("t");
            let active = self.is_active(&init);
            self.declare(Var {
                name: name.clone(),
                ty: t,
                bound: init.bound,
                mutable: false,
                is_ref: false,
                active,
                capturable: self.closure,
                max: 0,
            });
            stmts.push(Stmt::new(StmtKind::Let {
                name,
                mutable: false,
                init,
            }));
        }
        if lets && !self.closure && self.on(Family::Blocks) && self.chance(0.15) {
            // A value computed and dropped: `let _ = e;`.
            let t = self.float_ty();
            let mut init = self.expr(t, depth.saturating_sub(1));
            if gaps::LET_UNDERSCORE_ELEMENT && field_place(&init) {
                let b = init.bound;
                init = Expr::op("{0}.clone()", vec![init], t, b);
            }
            stmts.push(Stmt::new(StmtKind::Let {
                name: "_".into(),
                mutable: false,
                init,
            }));
        }
        let v = self.expr(ty, depth.saturating_sub(1));
        let v = self.clamp(v, super::VAR_CAP);
        let v = self.owned(v);
        self.pop();
        let b = v.bound;
        Expr {
            ty,
            bound: b,
            kind: ExprKind::Block(stmts, Box::new(v)),
        }
    }

    /// `if c { .. } else [if c2 { .. } else] { .. }` as a value.
    fn if_value(&mut self, ty: Ty, depth: u32, chain: usize) -> Expr {
        self.mark(Family::IfValue);
        let cond = self.cond();
        let lets = self.on(Family::ArmLets) && self.chance(0.6);
        if lets {
            self.mark(Family::ArmLets);
        }
        let then = self.block(ty, depth, lets);
        let els = if chain < 2 && self.chance(0.3) {
            self.if_value(ty, depth, chain + 1)
        } else {
            self.block(ty, depth, lets)
        };
        let b = then.bound.max(els.bound);
        Expr {
            ty,
            bound: b,
            kind: ExprKind::If(Box::new(cond), Box::new(then), Box::new(els)),
        }
    }

    /// A condition: on constants (loop indices, `usize` parameters) or on values.
    pub(crate) fn cond(&mut self) -> Expr {
        let consts = self.on(Family::BranchConst);
        let values = self.on(Family::BranchValue);
        if consts && (!values || self.chance(0.5)) {
            if let Some(v) = self.pick_var(|v| v.ty == Ty::Usize) {
                self.mark(Family::BranchConst);
                let k = self.rng.random_range(1..=2);
                let t = match self.rng.random_range(0..3) {
                    0 => "({0} % 2 == 0)".to_string(),
                    1 => format!("({{0}} > {k})"),
                    _ => format!("({{0}} < {k})"),
                };
                return Expr::op(t, vec![Expr::var(&v.name, Ty::Usize, 0.0)], Ty::Bool, 0.0);
            }
            if let Some(v) = self.pick_var(|v| v.ty == Ty::Scalar && v.capturable && !v.active) {
                self.mark(Family::BranchConst);
                return Expr::op(
                    "({0} > 0.3)",
                    vec![Expr::var(&v.name, Ty::Scalar, v.bound)],
                    Ty::Bool,
                    0.0,
                );
            }
            if !values {
                self.mark(Family::BranchConst);
                return Expr::lit("(2 > 1)", Ty::Bool, 0.0);
            }
        }
        self.mark(Family::BranchValue);
        let a = self.scalar(1);
        // Thresholds no generated scalar equals identically: one that is zero in exact
        // arithmetic (the variance of a constant matrix, `a - a`) lands on either side of 0
        // by rounding, differently at the points finite differences probe.
        let b = Expr::float([0.0137, 0.5, -0.25][self.rng.random_range(0..3)]);
        let t = if self.chance(0.5) {
            "({0} > {1})"
        } else {
            "({0} < {1})"
        };
        Expr::op(t, vec![a, b], Ty::Bool, 0.0)
    }

    /// `m.map(|v| body)` or `m.map(f64::tanh)`; or, from the catalogue stream, a closure
    /// reading a differentiated value (`captures.rs`).
    pub(crate) fn map_expr(&mut self, s: Shape, depth: u32) -> Option<Expr> {
        if !self.on(Family::Map) {
            return None;
        }
        if self.catalogue_turn(super::catalogue::turn::CAPTURES) {
            return Some(self.capturing_map(s, depth));
        }
        self.mark(Family::Map);
        let ty = Ty::Mat(s);
        let m = self.matrix(s, depth - 1);
        if self.chance(0.2) {
            return Some(Expr::op("{0}.map(f64::tanh)", vec![m], ty, 1.0));
        }
        let (mb, p) = (m.bound, "v".to_string());
        self.push();
        self.declare(Var {
            name: p.clone(),
            ty: Ty::Scalar,
            bound: mb,
            mutable: false,
            is_ref: false,
            active: true,
            capturable: true,
            max: 0,
        });
        self.closure = true;
        let body = self.scalar(depth.clamp(1, 3));
        let body = self.clamp(body, super::VAR_CAP);
        self.closure = false;
        self.pop();
        let b = body.bound;
        Some(Expr {
            ty,
            bound: b,
            kind: ExprKind::Map(Box::new(m), p, Box::new(body)),
        })
    }
}
