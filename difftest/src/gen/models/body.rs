//! The statements of the `models` family's functions: fields and elements declared as
//! variables named by their paths (`p.w`, `p.layers[0].b`, `p.inner.0`, `ws[1]`, `p.n`), so
//! that every other generator reads them; `let`s reaching a field (`reach`), aliases
//! (`let l = &p.layers[1];`), loops over collections (`.iter()`, `.iter().zip(..)`,
//! `.enumerate()`), over indices (`p.layers[i].w`) and over a skipped count
//! (`for _ in 0..p.n`), each carrying a value; calls of the part function.

use super::PartFn;
use crate::ast::{Expr, LoopHeader, Stmt, StmtKind};
use crate::family::Family;
use crate::gen::{Gen, Var, NODE_BUDGET, VAR_CAP};
use crate::model::{gaps, is_path, FieldTy, Kind, Models};
use crate::ty::Ty;
use rand::Rng;

/// A collection a loop may go over: a `Vec<Layer>`, a slice or array of floats or matrices.
#[derive(Clone, Debug)]
pub(crate) struct Coll {
    /// Its path (`p.layers`, `ws`, `p.gains`).
    pub path: String,
    /// The element type: a float type, or `Ty::Model(Kind::Layer)`.
    pub elem: Ty,
    /// Its length.
    pub len: usize,
    /// Whether its elements are differentiated.
    pub active: bool,
}

impl Coll {
    /// A collection.
    pub fn new(path: &str, elem: Ty, len: usize, active: bool) -> Coll {
        Coll {
            path: path.into(),
            elem,
            len,
            active,
        }
    }
}

/// What a function's model statements know besides the scopes.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ctx {
    /// The collections.
    pub colls: Vec<Coll>,
    /// Variables read like fields: loop elements of collections of floats, aliases.
    pub elems: Vec<String>,
    /// Values carried by loops at the top level, which the tail reads.
    pub outs: Vec<(String, Ty)>,
    /// The part function, if the program has one (and this is not it).
    pub part: Option<PartFn>,
    /// The program's structs.
    pub models: Option<Models>,
}

/// A loop's binding.
enum Bind {
    /// An index of this many values.
    Index(String, usize),
    /// An element (`layer`, `w`, `&g`) of this collection.
    Elem(String, Coll),
    /// The element at a path (`p.layers[i]`, `ws[i]`).
    At(String, Coll),
}

impl Gen {
    /// Declares the fields of the struct `kind` at `path` (the struct itself too, for calls).
    pub(crate) fn declare_fields(
        &mut self,
        models: &Models,
        ctx: &mut Ctx,
        path: &str,
        kind: Kind,
        active: bool,
    ) {
        for f in &models.def(kind).fields {
            let fp = format!("{path}.{}", f.name);
            match f.ty {
                FieldTy::Float(t) => self.declare_place(&fp, t, active),
                FieldTy::Array(t, n) => self.declare_coll(models, ctx, &fp, t, n, active),
                FieldTy::Layers(n) => {
                    let layer = Ty::Model(Kind::Layer);
                    self.declare_coll(models, ctx, &fp, layer, n, active);
                }
                FieldTy::Nested => {
                    self.declare_place(&fp, Ty::Model(Kind::Inner), active);
                    self.declare_fields(models, ctx, &fp, Kind::Inner, active);
                }
                FieldTy::Skip(v) => self.declare(Var {
                    name: fp,
                    ty: Ty::Usize,
                    bound: 0.0,
                    mutable: false,
                    is_ref: false,
                    active: false,
                    capturable: false,
                    max: v,
                }),
                // A constant float: read in arithmetic and by closures like any other.
                FieldTy::Frozen(c) => self.declare(Var {
                    name: fp,
                    ty: Ty::Scalar,
                    bound: f64::from(c) / 100.0,
                    mutable: false,
                    is_ref: false,
                    active: false,
                    capturable: true,
                    max: 0,
                }),
            }
        }
    }

    /// A collection and its elements at every index (`ws[0]`, `p.layers[1]` and its fields).
    pub(crate) fn declare_coll(
        &mut self,
        models: &Models,
        ctx: &mut Ctx,
        path: &str,
        elem: Ty,
        len: usize,
        active: bool,
    ) {
        ctx.colls.push(Coll::new(path, elem, len, active));
        for k in 0..len {
            self.declare_at(models, ctx, &format!("{path}[{k}]"), elem, active);
        }
    }

    /// The element of type `elem` at `path`: a float place, or a layer and its fields.
    fn declare_at(&mut self, models: &Models, ctx: &mut Ctx, path: &str, elem: Ty, active: bool) {
        self.declare_place(path, elem, active);
        if let Ty::Model(k) = elem {
            self.declare_fields(models, ctx, path, k, active);
        }
    }

    /// A place (not a reference) of type `ty` named by its path.
    fn declare_place(&mut self, path: &str, ty: Ty, active: bool) {
        self.declare(Var {
            name: path.into(),
            ty,
            bound: 1.0,
            mutable: false,
            is_ref: false,
            active,
            capturable: false,
            max: 0,
        });
    }

    /// One statement of the family: a `let` reaching a field, an alias, a loop over a
    /// collection, over indices or over a skipped count, or a call of the part function.
    pub(crate) fn model_stmt(&mut self, out: &mut Vec<Stmt>, ctx: &mut Ctx) {
        for _ in 0..10 {
            self.budget = NODE_BUDGET;
            let done = match self.rng.random_range(0..9) {
                0 | 1 => self.reach_let(out, ctx),
                2 => self.alias_let(out, ctx),
                3 | 4 => self.coll_loop(out, ctx),
                5 => self.index_loop(out, ctx),
                6 => self.skip_loop(out, ctx),
                _ => self.part_let(out, ctx),
            };
            if done {
                return;
            }
        }
        self.budget = NODE_BUDGET;
        self.reach_let(out, ctx);
    }

    /// `let y = <an expression reading a field>;`
    fn reach_let(&mut self, out: &mut Vec<Stmt>, ctx: &mut Ctx) -> bool {
        let ty = self.float_ty();
        let init = self.reach(ctx, ty);
        let init = self.owned(init);
        let name = self.local_name(false);
        let mutable = self.chance(0.3);
        self.declare_let(out, name, mutable, init, None);
        true
    }

    /// `let a = &p.w;` (a matrix), `let a = p.s;` (a static matrix or a float), or
    /// `let l = &p.layers[1];` (a struct, whose fields are then read as `l.w`).
    fn alias_let(&mut self, out: &mut Vec<Stmt>, ctx: &mut Ctx) -> bool {
        let Some(v) = self.pick_var(|v| is_path(&v.name) && !v.is_ref && v.ty != Ty::Usize) else {
            return false;
        };
        let copy = match v.ty {
            Ty::Scalar => true,
            Ty::Mat(s) => s.is_static(),
            _ => false,
        };
        let name = self.fresh("al");
        let init = match v.ty {
            // `p.s.clone()` while [`gaps::FIELD_COPY`] is open.
            _ if copy && gaps::FIELD_COPY => "{0}.clone()",
            _ if copy => "{0}",
            _ => "&{0}",
        };
        let init = Expr::op(init, vec![Expr::var(&v.name, v.ty, v.bound)], v.ty, v.bound);
        out.push(Stmt::new(StmtKind::Let {
            name: name.clone(),
            mutable: false,
            init,
        }));
        self.declare(Var {
            name: name.clone(),
            ty: v.ty,
            bound: v.bound,
            mutable: false,
            is_ref: !copy,
            active: v.active,
            capturable: false,
            max: 0,
        });
        match v.ty {
            Ty::Model(k) => {
                let models = ctx.models.clone().expect("the structs");
                self.declare_fields(&models, ctx, &name, k, v.active);
            }
            _ => ctx.elems.push(name),
        }
        true
    }

    /// `let y = part(&p.layers[0], &x);` when a struct of the part function's kind is in scope.
    fn part_let(&mut self, out: &mut Vec<Stmt>, ctx: &mut Ctx) -> bool {
        let Some(f) = ctx.part.clone() else {
            return false;
        };
        let Some(arg) = self.pick_var(|v| v.ty == Ty::Model(f.kind)) else {
            return false;
        };
        let x = self.expr(f.x.0, 2);
        let call = self.part_call(&f, &arg, x);
        let init = self.clamp(call, VAR_CAP);
        let name = self.local_name(false);
        self.declare_let(out, name, false, init, None);
        true
    }

    /// `part(arg, x)` (`.unwrap()` after it when it returns an `Option`).
    pub(crate) fn part_call(&mut self, f: &PartFn, arg: &Var, x: Expr) -> Expr {
        self.mark(Family::Calls);
        let s = Expr::var(&arg.name, arg.ty, 1.0);
        let s = self.borrow(s);
        let x = self.clamp(x, 1.0);
        let x = if f.x.1 { self.borrow(x) } else { self.owned(x) };
        let taken = if f.fallible { ".unwrap()" } else { "" };
        let t = format!("{}({{0}}, {{1}}){taken}", f.name);
        Expr::op(t, vec![s, x], f.ret, f.bound)
    }

    /// The deepest loop nesting allowed.
    fn may_loop(&self, iter: bool) -> bool {
        let max = if self.on(Family::NestedLoops) { 2 } else { 1 };
        self.on(Family::Loops)
            && (!iter || self.on(Family::LoopIter))
            && self.loop_depth < max
            && !self.closure
    }

    /// `for e in c.iter()`, `.iter().zip(d.iter())`, `.enumerate()` of either.
    fn coll_loop(&mut self, out: &mut Vec<Stmt>, ctx: &mut Ctx) -> bool {
        // `for &g in p.gains.iter()` while [`gaps::REF_PATTERN`] is open.
        let colls: Vec<Coll> = ctx
            .colls
            .iter()
            .filter(|c| !gaps::REF_PATTERN || c.elem != Ty::Scalar)
            .cloned()
            .collect();
        if !self.may_loop(true) || colls.is_empty() {
            return false;
        }
        self.mark(Family::LoopIter);
        let a = colls[self.rng.random_range(0..colls.len())].clone();
        let mut binds = vec![Bind::Elem(self.elem_name(&a), a.clone())];
        let mut iter = format!("{}.iter()", a.path);
        let mut pat = pattern(&binds[0]);
        let mut count = a.len;
        let zip = colls.len() > 1 && self.chance(0.35);
        if zip {
            let b = loop {
                let b = &colls[self.rng.random_range(0..colls.len())];
                if b.path != a.path {
                    break b.clone();
                }
            };
            iter = format!("{iter}.zip({}.iter())", b.path);
            count = count.min(b.len);
            let e = Bind::Elem(self.elem_name(&b), b);
            pat = format!("({pat}, {})", pattern(&e));
            binds.push(e);
        }
        if self.chance(0.4) && !(zip && gaps::ENUMERATE_ZIP) {
            let i = self.fresh("i");
            iter = format!("{iter}.enumerate()");
            pat = format!("({i}, {pat})");
            binds.push(Bind::Index(i, count));
        }
        self.model_loop(out, ctx, pat, iter, binds);
        true
    }

    /// A loop variable's name for an element of `c`.
    fn elem_name(&mut self, c: &Coll) -> String {
        self.fresh(if matches!(c.elem, Ty::Model(_)) {
            "layer"
        } else {
            "el"
        })
    }

    /// `for i in 0..c.len()` (or `0..k`, `(0..k).rev()`), reading `c[i]` and the other
    /// collections' elements at `i` where they are long enough.
    fn index_loop(&mut self, out: &mut Vec<Stmt>, ctx: &mut Ctx) -> bool {
        if !self.may_loop(false) || ctx.colls.is_empty() {
            return false;
        }
        let c = ctx.colls[self.rng.random_range(0..ctx.colls.len())].clone();
        let (iter, count) = match self.rng.random_range(0..3) {
            0 => (format!("0..{}.len()", c.path), c.len),
            1 => {
                let k = self.rng.random_range(1..=c.len);
                (format!("(0..{k}).rev()"), k)
            }
            _ => {
                let k = self.rng.random_range(1..=c.len);
                (format!("0..{k}"), k)
            }
        };
        let i = self.fresh("i");
        let mut binds = vec![Bind::Index(i.clone(), count)];
        for d in ctx.colls.iter().filter(|d| d.len >= count) {
            binds.push(Bind::At(format!("{}[{i}]", d.path), d.clone()));
        }
        self.model_loop(out, ctx, i, iter, binds);
        true
    }

    /// `for _ in 0..p.n` (or `for t in (0..p.n).rev()`) over a skipped count.
    fn skip_loop(&mut self, out: &mut Vec<Stmt>, ctx: &mut Ctx) -> bool {
        if !self.may_loop(false) {
            return false;
        }
        let Some(n) = self.pick_var(|v| v.ty == Ty::Usize && is_path(&v.name)) else {
            return false;
        };
        let (pat, binds) = if self.chance(0.5) {
            ("_".to_string(), Vec::new())
        } else {
            let t = self.fresh("t");
            (t.clone(), vec![Bind::Index(t, n.max)])
        };
        let iter = if self.chance(0.7) {
            format!("0..{}", n.name)
        } else {
            format!("(0..{}).rev()", n.name)
        };
        self.model_loop(out, ctx, pat, iter, binds);
        true
    }

    /// The loop: a carried variable declared before it (or one that exists) is assigned first
    /// in its body from the bound elements (`h = σ(layer.w·h + layer.b)`, a call of the part
    /// function, a recurrence reading a field), then a few statements follow.
    fn model_loop(
        &mut self,
        out: &mut Vec<Stmt>,
        ctx: &mut Ctx,
        pat: String,
        iter: String,
        binds: Vec<Bind>,
    ) {
        self.mark(Family::Loops);
        if self.loop_depth > 0 {
            self.mark(Family::NestedLoops);
        }
        let carried = self.carried(out, ctx);
        self.push();
        let elems = ctx.elems.len();
        let prefixes = self.declare_binds(ctx, &binds);
        self.loop_depth += 1;
        self.block_depth += 1;
        let rhs = self.carried_update(ctx, &carried, &prefixes);
        let rhs = self.owned(rhs);
        if self.is_active(&rhs) {
            self.activate(&carried.name);
        }
        let mut body = vec![Stmt::new(StmtKind::Assign {
            name: carried.name.clone(),
            op: "=",
            rhs,
        })];
        for _ in 0..self.rng.random_range(0..=2) {
            if self.chance(0.4) {
                self.model_stmt(&mut body, ctx);
            } else {
                self.stmt_into(&mut body);
            }
        }
        self.loop_depth -= 1;
        self.block_depth -= 1;
        self.pop();
        ctx.elems.truncate(elems);
        let header = LoopHeader {
            pat,
            binds: Vec::new(),
            iter: Expr::lit(iter, Ty::Usize, 0.0),
        };
        out.push(Stmt::new(StmtKind::For(header, body)));
    }

    /// Declares a loop's bindings in its scope; the prefixes of the variables they bind
    /// (`layer3`, `p.layers[i4]`), which the loop's update prefers.
    fn declare_binds(&mut self, ctx: &mut Ctx, binds: &[Bind]) -> Vec<String> {
        let mut prefixes = Vec::new();
        let models = ctx.models.clone().expect("the program's structs");
        for b in binds {
            match b {
                Bind::Index(name, count) => self.declare(Var {
                    name: name.clone(),
                    ty: Ty::Usize,
                    bound: 0.0,
                    mutable: false,
                    is_ref: false,
                    active: false,
                    capturable: false,
                    max: *count,
                }),
                Bind::Elem(name, c) => {
                    prefixes.push(name.clone());
                    match c.elem {
                        Ty::Model(k) => {
                            self.declare_elem(name, c.elem, true, c.active);
                            self.declare_fields(&models, ctx, name, k, c.active);
                        }
                        // `&g` binds the float itself.
                        Ty::Scalar => self.declare_elem(name, c.elem, false, c.active),
                        _ => self.declare_elem(name, c.elem, true, c.active),
                    }
                    ctx.elems.push(name.clone());
                }
                Bind::At(path, c) => {
                    prefixes.push(path.clone());
                    self.declare_at(&models, ctx, path, c.elem, c.active);
                }
            }
        }
        prefixes
    }

    /// A loop's element variable: a reference (`layer`, `el` of `.iter()`) or a float (`&g`).
    fn declare_elem(&mut self, name: &str, ty: Ty, is_ref: bool, active: bool) {
        self.declare(Var {
            name: name.into(),
            ty,
            bound: 1.0,
            mutable: false,
            is_ref,
            active,
            capturable: false,
            max: 0,
        });
    }

    /// The variable a loop carries: a new `let mut h = ..;` before it (a vector that a
    /// square matrix field maps to itself, when there is one), or a mutable one in scope.
    fn carried(&mut self, out: &mut Vec<Stmt>, ctx: &mut Ctx) -> Var {
        if self.chance(0.25) {
            if let Some(v) = self.mutable_var() {
                return v;
            }
        }
        let ty = match self.square_field() {
            Some(t) if self.chance(0.7) => t,
            _ => self.float_ty(),
        };
        self.budget = NODE_BUDGET;
        let init = self.expr(ty, 2);
        let init = self.clamp(init, VAR_CAP);
        let init = self.owned(init);
        let name = self.fresh("h");
        self.declare_let(out, name.clone(), true, init, None);
        if self.block_depth == 0 {
            ctx.outs.push((name.clone(), ty));
        }
        self.lookup(&name).expect("just declared").clone()
    }
}

/// A binding's pattern.
fn pattern(b: &Bind) -> String {
    match b {
        Bind::Elem(name, c) if c.elem == Ty::Scalar => format!("&{name}"),
        Bind::Index(name, _) | Bind::Elem(name, _) | Bind::At(name, _) => name.clone(),
    }
}
