//! The seeded generator of random, well-typed `#[grad]` programs: the environment of
//! variables in scope, the parameters, helper functions and the main function of a program.
//! Expressions are in `scalar` and `matrix`; the forms of the operation catalogue added after
//! the CI corpus was fixed (drawn from [`Gen::catalogue_rng`]) in `factorisations`, `spectral`,
//! `svd_qr`, `blocks`, `normalised` and `captures`, their stream and shared helpers in
//! `catalogue`; statements in `stmt`, closures, conditions, calls and magnitude control in
//! `special`; the rules' templates and the `forward` family's choice in `rules`; the
//! `models` family (parameters of the program's own types) in `models`.

mod blocks;
mod captures;
mod catalogue;
mod constructs;
mod factorisations;
mod float_fns;
mod matrix;
mod models;
mod normalised;
mod rules;
mod scalar;
mod special;
mod spectral;
mod stmt;
mod svd_qr;

use crate::ast::{Expr, Function, Param, Program, Taking, VjpFn};
use crate::family::{Family, FamilySet};
use crate::ty::{Shape, Ty};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The largest magnitude a variable is allowed to hold (assignments are scaled or squashed
/// to stay below it), so that long expressions and loops neither overflow nor lose
/// finite differences' accuracy.
pub const VAR_CAP: f64 = 4.0;

/// Expression nodes per statement: deeply nested generic nalgebra expressions make rustc's
/// type checking slow, so each statement's expressions share this many nodes.
pub const NODE_BUDGET: usize = 24;

/// A variable in scope.
#[derive(Clone, Debug)]
pub struct Var {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: Ty,
    /// Upper estimate of its magnitude.
    pub bound: f64,
    /// Whether it may be assigned.
    pub mutable: bool,
    /// Whether it is a reference (a `&T` parameter, a slice element).
    pub is_ref: bool,
    /// Whether it depends on a differentiated parameter (conservatively).
    pub active: bool,
    /// A constant float a map closure may read (an immutable, inactive scalar).
    pub capturable: bool,
    /// For `usize` variables: the largest value it takes.
    pub max: usize,
}

/// The signature of a callable function (a helper `#[grad]` function or a rule's function).
#[derive(Clone, Debug)]
pub struct Callee {
    /// The name.
    pub name: String,
    /// Parameters: type, by reference, differentiated.
    pub params: Vec<(Ty, bool, bool)>,
    /// The return type.
    pub ret: Ty,
    /// Estimate of the result's magnitude when every argument is within `VAR_CAP`.
    pub bound: f64,
    /// Whether this is a `#[vjp]` function (its family is `vjp`, not `calls`).
    pub vjp: bool,
    /// Whether it returns an `Option` (`?` in its body): its calls are written
    /// `name(..).unwrap()`, which the caller's own taking turns into `.expect(..)` or `?`.
    pub fallible: bool,
}

/// The generator of one program.
pub struct Gen {
    pub(crate) rng: StdRng,
    /// The stream of choices added after the CI corpus was fixed (the `long` family's
    /// padding, the later float functions), apart from `rng` so that each addition changes
    /// only the programs where it is drawn.
    pub(crate) extra_rng: StdRng,
    /// The stream of the operation catalogue's forms (factorisations and solves, spectral
    /// functions, the SVD and QR, the matrix exponential, blocks and assembly, `clamp`, the
    /// softmax family, closures capturing differentiated values, index queries): whether a
    /// site takes one, and every choice of the form. Apart from `rng` and `extra_rng`, so
    /// that a program taking none of them is, byte for byte, what it was before they were
    /// added (see `catalogue`).
    pub(crate) catalogue_rng: StdRng,
    /// Whether a map closure being generated may read any active scalar in scope (the
    /// `captures` forms), not only constants.
    pub(crate) capture_active: bool,
    /// The catalogue forms taken so far (`Program::catalogue`).
    pub(crate) taken: Vec<&'static str>,
    pub(crate) fam: FamilySet,
    pub(crate) used: FamilySet,
    pub(crate) scopes: Vec<Vec<Var>>,
    pub(crate) shapes: Vec<Shape>,
    pub(crate) callees: Vec<Callee>,
    pub(crate) vjps: Vec<VjpFn>,
    /// The `checkpoint` family's draws (`rules.rs`).
    pub(crate) checkpoint_rng: StdRng,
    /// Whether the program takes `forward` (the `forward` family, `rules.rs`).
    pub(crate) forward: bool,
    /// Whether the program's dynamic sizes are 6 and 7 (the `wide` family).
    pub(crate) wide: bool,
    pub(crate) loop_depth: usize,
    pub(crate) block_depth: usize,
    pub(crate) closure: bool,
    pub(crate) counter: usize,
    /// Expression nodes left for the current statement (keeps compile times bounded).
    pub(crate) budget: usize,
}

/// The salt of the `wide` family's stream (apart from the others, so that a program it does
/// not take is what it was before the family existed).
const WIDE_SALT: u64 = 0x3c6e_f372_fe94_f82b;

/// Generates program number `id` from `seed` with the enabled families.
pub fn generate(id: usize, seed: u64, families: FamilySet) -> Program {
    let mut g = Gen {
        rng: StdRng::seed_from_u64(seed),
        extra_rng: StdRng::seed_from_u64(seed ^ 0x9e37_79b9_7f4a_7c15),
        catalogue_rng: StdRng::seed_from_u64(seed ^ catalogue::STREAM_SALT),
        checkpoint_rng: StdRng::seed_from_u64(seed ^ rules::CHECKPOINT_SALT),
        capture_active: false,
        taken: Vec::new(),
        fam: families,
        used: FamilySet::EMPTY,
        scopes: Vec::new(),
        shapes: Vec::new(),
        callees: Vec::new(),
        vjps: Vec::new(),
        forward: false,
        wide: families.has(Family::Wide)
            && families.has(Family::Dynamic)
            && StdRng::seed_from_u64(seed ^ WIDE_SALT).random_bool(0.2),
        loop_depth: 0,
        block_depth: 0,
        closure: false,
        counter: 0,
        budget: 0,
    };
    g.pick_shapes();
    g.choose_forward(seed);
    let mut funcs = Vec::new();
    if g.on(Family::Vjp) && g.chance(0.5) {
        g.add_vjps();
    }
    if g.on(Family::Calls) && g.chance(0.6) {
        for i in 0..g.rng.random_range(1..=2) {
            let f = g.function(&format!("helper{i}"), true);
            g.callees.push(Callee {
                name: f.name.clone(),
                params: f.params.iter().map(|p| (p.ty, p.by_ref, p.diff)).collect(),
                ret: f.ret,
                bound: f.tail.bound.max(1.0),
                vjp: false,
                fallible: f.taking == Taking::Try,
            });
            funcs.push(f);
        }
    }
    funcs.push(g.function("f", false));
    let models = g.models(seed);
    Program {
        id,
        seed,
        vjps: g.vjps.clone(),
        funcs,
        families: g.used,
        catalogue: g.taken,
        models,
    }
}

impl Gen {
    /// Whether a family is enabled.
    pub(crate) fn on(&self, f: Family) -> bool {
        self.fam.has(f)
    }
    /// Records that the program uses a family.
    pub(crate) fn mark(&mut self, f: Family) {
        self.used.insert(f);
    }
    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }
    /// A fresh name with the given stem.
    pub(crate) fn fresh(&mut self, stem: &str) -> String {
        self.counter += 1;
        format!("{stem}{}", self.counter)
    }
    /// The shapes this program's matrices take: a few dynamic and static ones.
    fn pick_shapes(&mut self) {
        let (a, b, c) = (self.size(), self.size(), self.size());
        if self.on(Family::Dynamic) {
            let (a, b, c) = (self.widen(a), self.widen(b), self.widen(c));
            self.shapes.extend([
                Shape::dmat(a, b),
                Shape::dvec(a),
                Shape::dvec(b),
                Shape::drow(b),
            ]);
            if self.chance(0.5) {
                self.shapes.push(Shape::dmat(b, c));
            }
            if self.chance(0.5) {
                self.shapes.push(Shape::dmat(a, a));
            }
        }
        if self.on(Family::Static) {
            let (r, s) = (self.rng.random_range(1..=3), self.rng.random_range(1..=4));
            self.shapes
                .extend([Shape::smat(r, s), Shape::smat(s, 1), Shape::smat(r, r)]);
            if self.chance(0.5) {
                self.shapes.push(Shape::smat(1, s));
            }
            if !self.on(Family::Dynamic) && self.chance(0.5) {
                self.shapes.push(Shape::smat(s, r));
            }
        }
    }
    /// A dynamic size drawn by [`Gen::size`] as the `wide` family has it: 6 or 7 in a wide
    /// program (marking the family), else as drawn.
    pub(crate) fn widen(&mut self, n: usize) -> usize {
        if !self.wide {
            return n;
        }
        self.mark(Family::Wide);
        6 + n % 2
    }
    /// A dimension: 1 to 4, mostly 2 and 3.
    pub(crate) fn size(&mut self) -> usize {
        [1, 2, 2, 3, 3, 4][self.rng.random_range(0..6)]
    }
    /// A random float type among the program's scalar and shapes.
    pub(crate) fn float_ty(&mut self) -> Ty {
        if self.shapes.is_empty() || self.chance(0.35) {
            Ty::Scalar
        } else {
            let i = self.rng.random_range(0..self.shapes.len());
            Ty::Mat(self.shapes[i])
        }
    }

    // ------------------------------------------------------------------ environment

    /// Opens a scope.
    pub(crate) fn push(&mut self) {
        self.scopes.push(Vec::new());
    }
    /// Closes a scope.
    pub(crate) fn pop(&mut self) {
        self.scopes.pop();
    }
    /// Declares a variable in the innermost scope.
    pub(crate) fn declare(&mut self, v: Var) {
        self.scopes.last_mut().expect("a scope").push(v);
    }
    /// The visible variables (inner shadowing outer).
    pub(crate) fn visible(&self) -> Vec<&Var> {
        let mut out: Vec<&Var> = Vec::new();
        for scope in self.scopes.iter().rev() {
            for v in scope.iter().rev() {
                if !out.iter().any(|o| o.name == v.name) {
                    out.push(v);
                }
            }
        }
        out
    }
    /// The visible variable of this name.
    pub(crate) fn lookup(&self, name: &str) -> Option<&Var> {
        self.scopes
            .iter()
            .rev()
            .flat_map(|s| s.iter().rev())
            .find(|v| v.name == name)
    }
    /// Marks the visible variable `name` active to the macro though a dead `#[cfg]`
    /// statement made it so: active, and no closure may capture it.
    pub(crate) fn activate_for_macro(&mut self, name: &str) {
        for scope in self.scopes.iter_mut().rev() {
            if let Some(v) = scope.iter_mut().rev().find(|v| v.name == name) {
                v.active = true;
                v.capturable = false;
                return;
            }
        }
    }
    /// Marks the visible variable `name` as active (after an assignment of an active value).
    pub(crate) fn activate(&mut self, name: &str) {
        for scope in self.scopes.iter_mut().rev() {
            if let Some(v) = scope.iter_mut().rev().find(|v| v.name == name) {
                v.active = true;
                return;
            }
        }
    }
    /// A random visible variable satisfying `pred`.
    pub(crate) fn pick_var(&mut self, pred: impl Fn(&Var) -> bool) -> Option<Var> {
        let vs: Vec<Var> = self
            .visible()
            .into_iter()
            .filter(|v| pred(v))
            .cloned()
            .collect();
        if vs.is_empty() {
            None
        } else {
            let i = self.rng.random_range(0..vs.len());
            Some(vs[i].clone())
        }
    }
    /// Whether `e` reads an active variable.
    pub(crate) fn is_active(&self, e: &Expr) -> bool {
        use crate::ast::ExprKind::*;
        match &e.kind {
            Var(n) => self.lookup(n).is_some_and(|v| v.active),
            Lit(_) => false,
            Op(_, args) => args.iter().any(|a| self.is_active(a)),
            // Conservative: blocks, branches and maps are active when built from active parts,
            // which the generator only does for active targets.
            Block(..) | If(..) | Map(..) => true,
        }
    }

    // ------------------------------------------------------------------ functions

    /// A parameter of float type `ty`.
    fn float_param(&mut self, name: &str, ty: Ty) -> Param {
        let by_value = match ty {
            Ty::Scalar => true,
            _ => self.on(Family::ByValue) && self.chance(0.3),
        };
        if by_value && ty != Ty::Scalar {
            self.mark(Family::ByValue);
        }
        self.mark_world(ty);
        Param {
            name: name.into(),
            ty,
            by_ref: !by_value,
            diff: true,
            fixed: None,
        }
    }

    /// Marks `dynamic` or `static` for a matrix type.
    pub(crate) fn mark_world(&mut self, ty: Ty) {
        if let Ty::Mat(s) = ty {
            self.mark(if s.is_static() {
                Family::Static
            } else {
                Family::Dynamic
            });
        }
    }

    /// The parameters of a function: floats, and constants when enabled.
    fn params(&mut self, helper: bool) -> Vec<Param> {
        let names = ["x", "w", "a", "b", "s"];
        let count = self.rng.random_range(1..=if helper { 2 } else { 4 });
        let mut params = Vec::new();
        for name in names.iter().take(count) {
            let ty = self.float_ty();
            params.push(self.float_param(name, ty));
        }
        if !params.iter().any(|p| p.ty == Ty::Scalar) && self.chance(0.5) {
            params.push(self.float_param("s", Ty::Scalar));
        }
        if self.on(Family::Subset) && params.len() > 1 && self.chance(0.4) {
            // Leave one float parameter out of the list: it becomes a constant.
            let i = self.rng.random_range(0..params.len());
            params[i].diff = false;
            if params[i].ty == Ty::Scalar {
                params[i].fixed = Some("0.75".into());
            }
            self.mark(Family::Subset);
        }
        if !helper && self.on(Family::ConstParams) {
            if self.chance(0.5) {
                let n = self.rng.random_range(0..=4);
                params.push(Param {
                    name: "n".into(),
                    ty: Ty::Usize,
                    by_ref: false,
                    diff: false,
                    fixed: Some(n.to_string()),
                });
                self.mark(Family::ConstParams);
            }
            if self.chance(0.3) {
                let eps = [0.25, 0.5, 1.5][self.rng.random_range(0..3)];
                params.push(Param {
                    name: "eps".into(),
                    ty: Ty::Scalar,
                    by_ref: false,
                    diff: false,
                    fixed: Some(format!("{eps:?}")),
                });
                self.mark(Family::ConstParams);
            }
        }
        if !helper
            && self.on(Family::LoopIter)
            && self.on(Family::Loops)
            && self.on(Family::Dynamic)
            && self.chance(0.4)
        {
            let (n, len) = (self.size(), self.rng.random_range(0..=3));
            params.push(Param {
                name: "xs".into(),
                ty: Ty::Slice { n, len },
                by_ref: true,
                diff: false,
                fixed: None,
            });
        }
        params
    }

    /// Declares the parameters as variables of a new scope.
    fn declare_params(&mut self, params: &[Param]) {
        self.push();
        for p in params {
            let fixed: Option<f64> = p.fixed.as_ref().and_then(|f| f.parse().ok());
            self.declare(Var {
                name: p.name.clone(),
                ty: p.ty,
                bound: fixed.map_or(1.0, f64::abs),
                mutable: false,
                is_ref: p.by_ref,
                active: p.diff,
                capturable: !p.diff && p.ty == Ty::Scalar,
                max: fixed.map_or(0, |v| v as usize),
            });
        }
    }

    /// A function: parameters, statements, and a tail of the return type.
    fn function(&mut self, name: &str, helper: bool) -> Function {
        let params = self.params(helper);
        let ret = if self.on(Family::MatrixOutput) && !self.shapes.is_empty() && self.chance(0.3) {
            self.mark(Family::MatrixOutput);
            let i = self.rng.random_range(0..self.shapes.len());
            Ty::Mat(self.shapes[i])
        } else {
            Ty::Scalar
        };
        self.scopes.clear();
        self.declare_params(&params);
        self.push();
        let count = if helper {
            self.rng.random_range(1..=3)
        } else {
            self.rng.random_range(2..=7)
        };
        let mut body = Vec::new();
        for _ in 0..count {
            self.stmt_into(&mut body);
        }
        if !helper {
            self.pad(&mut body);
        }
        let tail = self.tail(ret);
        self.scopes.clear();
        let all_diff = params.iter().all(|p| p.diff || !p.ty.is_float());
        let grad_list = if all_diff && !self.chance(0.2) {
            None
        } else {
            Some(
                params
                    .iter()
                    .filter(|p| p.diff)
                    .map(|p| p.name.clone())
                    .collect(),
            )
        };
        let mut f = Function {
            name: name.into(),
            params,
            grad_list,
            ret,
            body,
            tail,
            taking: Taking::Unwrap,
            forward: self.forward,
            checkpoint: false,
        };
        self.choose_checkpoint(&mut f);
        self.choose_taking(&mut f, helper);
        f
    }

    /// The function's value: built from the locals of the body (so that what they compute
    /// reaches the output) and a fresh expression.
    fn tail(&mut self, ret: Ty) -> Expr {
        let locals: Vec<Var> = self.scopes.last().cloned().unwrap_or_default();
        let mut parts: Vec<Expr> = Vec::new();
        for v in locals.iter().rev().take(4) {
            if self.lookup(&v.name).is_some_and(|w| w.ty == v.ty) {
                let e = Expr::var(&v.name, v.ty, v.bound);
                if let Some(c) = self.convert(e, ret) {
                    parts.push(c);
                }
            }
        }
        self.budget = NODE_BUDGET;
        parts.push(self.expr(ret, 2));
        let mut acc = parts.pop().expect("one part");
        for p in parts {
            let b = acc.bound + p.bound;
            let (a, p) = (self.operand(acc), self.operand(p));
            acc = Expr::op("({0} + {1})", vec![a, p], ret, b);
        }
        self.owned(acc)
    }
}
