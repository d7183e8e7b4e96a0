//! Expressions of the `models` family that read a field (or a loop's element): the field in
//! an operation that takes its type to the one wanted (sums, norms, entries, `.dot`,
//! `.transpose()`, `.tr_mul`, products, component-wise products, sums with other generated
//! values), the loops' updates (`h = σ(layer.w·h + layer.b)`, `h = part(layer, &h)`,
//! recurrences), and the tail that reads what the loops carried.

use super::body::Ctx;
use crate::ast::Expr;
use crate::family::Family;
use crate::gen::{Gen, Var, NODE_BUDGET, VAR_CAP};
use crate::model::is_path;
use crate::ty::{Dim, Shape, Ty};
use rand::Rng;

impl Gen {
    /// The float variables read like fields: paths, loop elements, aliases.
    fn field_vars(&self, ctx: &Ctx) -> Vec<Var> {
        self.visible()
            .into_iter()
            .filter(|v| v.ty.is_float() && (is_path(&v.name) || ctx.elems.contains(&v.name)))
            .cloned()
            .collect()
    }

    /// An expression of type `target` that reads a field (of the target's type, two times in
    /// five), within [`VAR_CAP`].
    pub(crate) fn reach(&mut self, ctx: &Ctx, target: Ty) -> Expr {
        let fields = self.field_vars(ctx);
        let same: Vec<&Var> = fields.iter().filter(|v| v.ty == target).collect();
        let v = if !same.is_empty() && self.chance(0.4) {
            same[self.rng.random_range(0..same.len())].clone()
        } else if !fields.is_empty() {
            fields[self.rng.random_range(0..fields.len())].clone()
        } else {
            let e = self.expr(target, 2);
            return self.clamp(e, VAR_CAP);
        };
        let f = Expr::var(&v.name, v.ty, v.bound);
        let mut e = self.field_use(f, target);
        if self.chance(0.35) {
            let other = self.expr(target, 1);
            let b = e.bound + other.bound;
            let (e1, o) = (self.operand(e), self.operand(other));
            e = Expr::op("({0} + {1})", vec![e1, o], target, b);
        }
        self.clamp(e, VAR_CAP)
    }

    /// The field `f` in an operation of type `target`.
    fn field_use(&mut self, f: Expr, target: Ty) -> Expr {
        match (f.ty, target) {
            (Ty::Scalar, Ty::Scalar) => {
                let k = self.scalar(1);
                let fns = self.on(Family::FloatFns);
                let b = f.bound;
                match self.rng.random_range(0..4) {
                    0 => Expr::op("({0} * {1})", vec![f, k.clone()], target, b * k.bound),
                    1 if fns => {
                        self.mark_float_fn();
                        Expr::op("{0}.tanh()", vec![f], target, 1.0)
                    }
                    2 => Expr::op("({0} + {1})", vec![f, k.clone()], target, b + k.bound),
                    _ => Expr::op("({1} - {0})", vec![f, k.clone()], target, b + k.bound),
                }
            }
            (Ty::Mat(s), Ty::Scalar) => self.reduce_field(f, s),
            (Ty::Mat(s), Ty::Mat(t)) => self.matrix_field(f, s, t),
            (Ty::Scalar, Ty::Mat(t)) => {
                let m = self.matrix(t, 1);
                let b = m.bound * f.bound;
                let m = self.operand(m);
                Expr::op("({0} * {1})", vec![m, f], target, b)
            }
            _ => unreachable!("fields are floats"),
        }
    }

    /// A scalar of the matrix field `f`: `.sum()`, `.norm_squared()`, `.mean()`,
    /// `.transpose().sum()`, an entry, `.dot(&m)`.
    fn reduce_field(&mut self, f: Expr, s: Shape) -> Expr {
        let (n, b) = (s.len() as f64, f.bound);
        let mut forms: Vec<usize> = Vec::new();
        if self.on(Family::Reductions) {
            forms.extend([0, 1, 2]);
            if self.on(Family::Products) {
                forms.push(3);
            }
        }
        if self.on(Family::Indexing) {
            forms.push(4);
        }
        if self.on(Family::Products) {
            forms.push(5);
        }
        if forms.is_empty() {
            return self.scalar(1);
        }
        match forms[self.rng.random_range(0..forms.len())] {
            0 => self.marked(Family::Reductions, "{0}.sum()", vec![f], n * b),
            1 => self.marked(Family::Reductions, "{0}.norm_squared()", vec![f], n * b * b),
            2 => self.marked(Family::Reductions, "{0}.mean()", vec![f], b),
            3 => {
                self.mark(Family::Products);
                self.marked(Family::Reductions, "{0}.transpose().sum()", vec![f], n * b)
            }
            4 => {
                let (i, j) = (self.index(s.rows.n()), self.index(s.cols.n()));
                let tmpl = format!("{{0}}[({i}, {j})]");
                self.marked(Family::Indexing, &tmpl, vec![f], b)
            }
            _ => {
                let m = self.matrix(s, 1);
                let bound = n * b * m.bound;
                let m = self.borrow(m);
                self.marked(Family::Products, "{0}.dot({1})", vec![f, m], bound)
            }
        }
    }

    /// A scalar operation marked with its family.
    fn marked(&mut self, fam: Family, tmpl: &str, args: Vec<Expr>, bound: f64) -> Expr {
        self.mark(fam);
        Expr::op(tmpl, args, Ty::Scalar, bound)
    }

    /// A matrix of shape `t` from the matrix field `f` of shape `s`: itself, a sum, a
    /// component-wise product or a multiple (same shape), `.transpose()`, a product `f·m`,
    /// `f.tr_mul(&m)`, or a reduction times a constant matrix.
    fn matrix_field(&mut self, f: Expr, s: Shape, t: Shape) -> Expr {
        let ty = Ty::Mat(t);
        let products = self.on(Family::Products);
        let world = |x: Shape| x.is_named() && x.is_static() == s.is_static();
        if s == t {
            let m = self.matrix(t, 1);
            let b = f.bound + m.bound;
            return match self.rng.random_range(0..4) {
                0 => self.owned(f),
                1 if self.on(Family::Componentwise) => {
                    self.mark(Family::Componentwise);
                    let b = f.bound * m.bound;
                    let m = self.borrow(m);
                    Expr::op("{0}.component_mul({1})", vec![f, m], ty, b)
                }
                2 => {
                    let k = self.scalar(1);
                    let b = f.bound * k.bound;
                    let f = self.operand(f);
                    Expr::op("({0} * {1})", vec![f, k], ty, b)
                }
                _ => {
                    let (f, m) = (self.operand(f), self.operand(m));
                    Expr::op("({0} - {1})", vec![f, m], ty, b)
                }
            };
        }
        if products && t == s.transposed() && t.is_named() {
            self.mark(Family::Products);
            let b = f.bound;
            return Expr::op("{0}.transpose()", vec![f], ty, b);
        }
        let inner = Shape {
            rows: s.cols,
            cols: t.cols,
        };
        if products && s.rows == t.rows && world(inner) && s.is_static() == t.is_static() {
            self.mark(Family::Products);
            let m = self.matrix(inner, 1);
            let b = s.cols.n() as f64 * f.bound * m.bound;
            let (f, m) = (self.operand(f), self.operand(m));
            return Expr::op("({0} * {1})", vec![f, m], ty, b);
        }
        let rhs = Shape {
            rows: s.rows,
            cols: t.cols,
        };
        if products && s.cols == t.rows && world(rhs) && s.is_static() == t.is_static() {
            self.mark(Family::Products);
            let m = self.matrix(rhs, 1);
            let b = s.rows.n() as f64 * f.bound * m.bound;
            let m = self.borrow(m);
            return Expr::op("{0}.tr_mul({1})", vec![f, m], ty, b);
        }
        let r = self.reduce_field(f, s);
        let r = self.clamp(r, VAR_CAP);
        self.convert(r, ty).expect("a scalar converts to a matrix")
    }

    /// The column type a square matrix field maps to itself (`DVector` of its size, or the
    /// static column), if one is in scope.
    pub(crate) fn square_field(&mut self) -> Option<Ty> {
        let squares: Vec<Shape> = self
            .visible()
            .into_iter()
            .filter(|v| is_path(&v.name))
            .filter_map(|v| v.ty.shape())
            .filter(|s| s.rows == s.cols)
            .collect();
        if squares.is_empty() || !self.on(Family::Products) {
            return None;
        }
        let s = squares[self.rng.random_range(0..squares.len())];
        Some(Ty::Mat(Shape {
            rows: s.rows,
            cols: Dim::Fix(1),
        }))
    }

    /// The first assignment of a loop's body to the carried `h`: a layer step
    /// `σ(w·h + b)` from the bound elements' fields (those starting with `prefixes`) when
    /// their shapes fit, a call `part(layer, &h)`, or a recurrence `h·k + <a field>`.
    pub(crate) fn carried_update(&mut self, ctx: &Ctx, h: &Var, prefixes: &[String]) -> Expr {
        self.budget = NODE_BUDGET;
        let bound_here = |v: &Var| prefixes.iter().any(|p| v.name.starts_with(p.as_str()));
        if self.chance(0.7) {
            if let Some(e) = self.layer_step(ctx, h, &bound_here) {
                return e;
            }
        }
        if let Some(f) = ctx.part.clone().filter(|f| f.ret == h.ty) {
            let arg = self.pick_var(|v| v.ty == Ty::Model(f.kind) && bound_here(v));
            if let Some(arg) = arg.filter(|_| self.chance(0.7)) {
                let x = if f.x.0 == h.ty {
                    Expr::var(&h.name, h.ty, h.bound)
                } else {
                    self.expr(f.x.0, 2)
                };
                let call = self.part_call(&f, &arg, x);
                return self.clamp(call, VAR_CAP);
            }
        }
        let r = self.reach(ctx, h.ty);
        if self.chance(0.5) {
            return r;
        }
        let cur = self.operand(Expr::var(&h.name, h.ty, h.bound));
        let k = self.literal().abs().min(0.9);
        let b = cur.bound * k + r.bound;
        let r = self.operand(r);
        let e = Expr::op(format!("({{0}} * {k:?} + {{1}})"), vec![cur, r], h.ty, b);
        self.clamp(e, VAR_CAP)
    }

    /// `σ(w·h + b)`: `w` a field mapping `h`'s shape to itself, `b` one of `h`'s shape, `σ`
    /// an activation (`matgrad::tanh`, `matgrad::sigmoid`, `.map(f64::tanh)`) or a scaling.
    fn layer_step(&mut self, ctx: &Ctx, h: &Var, here: &dyn Fn(&Var) -> bool) -> Option<Expr> {
        let Ty::Mat(hs) = h.ty else { return None };
        if !self.on(Family::Products) {
            return None;
        }
        let fields = self.field_vars(ctx);
        let fits = |v: &&Var| matches!(v.ty, Ty::Mat(s) if s.cols == hs.rows && Shape { rows: s.rows, cols: hs.cols } == hs);
        let mut ws: Vec<&Var> = fields.iter().filter(|v| fits(v) && here(v)).collect();
        if ws.is_empty() {
            ws = fields.iter().filter(fits).collect();
        }
        let w = (*ws.get(self.rng.random_range(0..ws.len().max(1)))?).clone();
        let prefix = w.name.rsplit_once('.').map_or("", |(p, _)| p);
        let bs: Vec<&Var> = fields
            .iter()
            .filter(|v| v.ty == h.ty && v.name.starts_with(prefix))
            .collect();
        self.mark(Family::Products);
        let cur = self.operand(Expr::var(&h.name, h.ty, h.bound));
        let n = hs.rows.n() as f64;
        let wv = self.operand(Expr::var(&w.name, w.ty, w.bound));
        let z = match bs.get(self.rng.random_range(0..bs.len().max(1))) {
            Some(b) => {
                let bv = self.operand(Expr::var(&b.name, b.ty, b.bound));
                let bound = n * w.bound * h.bound + b.bound;
                Expr::op("({0} * {1} + {2})", vec![wv, cur, bv], h.ty, bound)
            }
            None => Expr::op("({0} * {1})", vec![wv, cur], h.ty, n * w.bound * h.bound),
        };
        let acts = self.on(Family::Activations);
        Some(match self.rng.random_range(0..4) {
            0 | 1 if acts => {
                self.mark(Family::Activations);
                let f = ["matgrad::tanh", "matgrad::sigmoid"][self.rng.random_range(0..2)];
                Expr::op(format!("{f}(&{{0}})"), vec![z], h.ty, 1.0)
            }
            2 if self.on(Family::Map) => {
                self.mark(Family::Map);
                Expr::op("{0}.map(f64::tanh)", vec![z], h.ty, 1.0)
            }
            _ => self.clamp(z, VAR_CAP),
        })
    }

    /// The function's value: the usual tail (the last locals and a fresh expression), the
    /// values the top-level loops carried, and an expression reading a field.
    pub(crate) fn model_tail(&mut self, ret: Ty, ctx: &Ctx) -> Expr {
        let mut acc = self.tail(ret);
        let mut parts = Vec::new();
        for (name, ty) in &ctx.outs {
            if self.lookup(name).is_some_and(|v| v.ty == *ty) {
                let b = self.lookup(name).map_or(1.0, |v| v.bound);
                if let Some(e) = self.convert(Expr::var(name, *ty, b), ret) {
                    parts.push(e);
                }
            }
        }
        self.budget = NODE_BUDGET;
        parts.push(self.reach(ctx, ret));
        for p in parts {
            let b = acc.bound + p.bound;
            let (a, p) = (self.operand(acc), self.operand(p));
            acc = Expr::op("({0} + {1})", vec![a, p], ret, b);
        }
        self.owned(acc)
    }
}
