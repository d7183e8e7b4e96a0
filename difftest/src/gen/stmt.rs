//! Statements: `let` (with shadowing, `_bar` names, constants for closures), assignments
//! and compound assignments (recurrences when inside loops), `for` loops (ranges, reversed,
//! stepped, slice iterators, nested), `if` statements (with and without `else`, chains).
//! The constructs aimed at weak spots are in `constructs`.

use super::{Gen, Var, VAR_CAP};
use crate::ast::{Expr, LoopHeader, Stmt, StmtKind};
use crate::family::Family;
use crate::ty::{Shape, Ty};
use rand::Rng;

const BAR_NAMES: &[&str] = &["x_bar", "v_bar", "w_bar", "y_bar", "h_bar"];

impl Gen {
    /// Appends one statement (or a few, for the compound constructs) to `out`.
    pub(crate) fn stmt_into(&mut self, out: &mut Vec<Stmt>) {
        let in_block = self.block_depth > 0;
        self.budget = super::NODE_BUDGET;
        for _ in 0..20 {
            let done = match self.rng.random_range(0..20) {
                0..=5 => self.let_stmt(out, false),
                6..=8 => self.assign_stmt(out),
                9 | 10 => self.compound_stmt(out),
                11 | 12 => self.loop_stmt(out),
                13 | 14 => self.if_stmt(out),
                15 => self.delay_chain(out),
                16 => self.cfg_stmt(out),
                17 => self.const_let(out),
                18 if in_block => self.inner_shadow(out),
                _ => self.let_stmt(out, false),
            };
            if done {
                return;
            }
        }
        self.let_stmt(out, false);
    }

    /// A fresh local name: ordinary, a `_bar` name, or (shadowing) a visible one's.
    pub(crate) fn local_name(&mut self, shadow: bool) -> String {
        // Shadowing at the top level is `shadowing`; inside an arm or a loop body it is
        // `inner_shadow`.
        let family = if self.block_depth > 0 {
            Family::InnerShadow
        } else {
            Family::Shadowing
        };
        let shadow = shadow && self.on(family);
        if shadow || (self.on(family) && self.chance(0.2)) {
            let names: Vec<String> = self
                .visible()
                .iter()
                .filter(|v| v.ty.is_float() && v.name != "v" && !crate::model::is_path(&v.name))
                .map(|v| v.name.clone())
                .collect();
            if !names.is_empty() {
                self.mark(family);
                return names[self.rng.random_range(0..names.len())].clone();
            }
        }
        if self.on(Family::BarNames) && self.chance(0.2) {
            self.mark(Family::BarNames);
            return BAR_NAMES[self.rng.random_range(0..BAR_NAMES.len())].to_string();
        }
        let stem = ["y", "z", "h", "u", "q", "r", "acc"][self.rng.random_range(0..7)];
        self.fresh(stem)
    }

    /// A name for a `#[cfg]` `let`: it shadows only a variable of its own block (or, at the
    /// top level, a parameter). Shadowing one of an enclosing block, a later assignment would
    /// change that one where the `let` is configured out and the new one where it is not,
    /// which the macro refuses.
    pub(crate) fn cfg_local_name(&mut self, shadow: bool) -> String {
        let name = self.local_name(shadow);
        let here = self.block_depth == 0
            || self
                .scopes
                .last()
                .is_some_and(|s| s.iter().any(|v| v.name == name));
        if here || self.lookup(&name).is_none() {
            name
        } else {
            self.fresh("cf")
        }
    }

    /// `let [mut] name = e;` of a random type.
    pub(crate) fn let_stmt(&mut self, out: &mut Vec<Stmt>, mutable: bool) -> bool {
        let ty = self.float_ty();
        let init = self.expr(ty, 3);
        let init = self.clamp(init, VAR_CAP);
        let init = self.owned(init);
        let name = self.local_name(false);
        let mutable = mutable || self.chance(0.5);
        self.declare_let(out, name, mutable, init, None);
        true
    }

    /// Declares and appends `let name = init;` (under `cfg` if given).
    pub(crate) fn declare_let(
        &mut self,
        out: &mut Vec<Stmt>,
        name: String,
        mutable: bool,
        init: Expr,
        cfg: Option<&'static str>,
    ) {
        let active = self.is_active(&init);
        let bound = if mutable { VAR_CAP * 2.0 } else { init.bound };
        let capturable =
            !mutable && init.ty == Ty::Scalar && matches!(init.kind, crate::ast::ExprKind::Lit(_));
        self.declare(Var {
            name: name.clone(),
            ty: init.ty,
            bound,
            mutable,
            is_ref: false,
            active,
            capturable,
            max: 0,
        });
        out.push(Stmt {
            cfg,
            kind: StmtKind::Let {
                name,
                mutable,
                init,
            },
        });
    }

    /// A constant a closure may capture: `let c = 0.5;` (or `let x_bar = 0.5;`).
    fn const_let(&mut self, out: &mut Vec<Stmt>) -> bool {
        let bar = self.on(Family::BarNames) && self.chance(0.5);
        if !bar && !self.on(Family::Map) {
            return false;
        }
        let name = if bar {
            self.mark(Family::BarNames);
            BAR_NAMES[self.rng.random_range(0..BAR_NAMES.len())].to_string()
        } else {
            self.fresh("c")
        };
        let lit = Expr::float(self.literal().abs());
        self.declare_let(out, name, false, lit, None);
        true
    }

    /// A random mutable variable (not a loop index).
    pub(crate) fn mutable_var(&mut self) -> Option<Var> {
        self.pick_var(|v| v.mutable && v.ty.is_float())
    }

    /// `v = e`, often a recurrence `v = v·k + e`.
    fn assign_stmt(&mut self, out: &mut Vec<Stmt>) -> bool {
        let Some(v) = self.mutable_var() else {
            return false;
        };
        let rhs = self.assign_rhs(&v);
        out.push(Stmt::new(StmtKind::Assign {
            name: v.name,
            op: "=",
            rhs,
        }));
        true
    }

    /// The right-hand side of `v = ..`.
    pub(crate) fn assign_rhs(&mut self, v: &Var) -> Expr {
        let mut rhs = self.expr(v.ty, 3);
        if self.chance(0.5) {
            let cur = self.operand(Expr::var(&v.name, v.ty, v.bound));
            let k = self.literal();
            let b = cur.bound * k.abs() + rhs.bound;
            let rhs_op = self.operand(rhs);
            rhs = Expr::op(
                format!("({{0}} * {} + {{1}})", crate::ast::float_lit(k)),
                vec![cur, rhs_op],
                v.ty,
                b,
            );
        }
        let rhs = self.clamp(rhs, VAR_CAP);
        if self.is_active(&rhs) {
            self.activate(&v.name);
        }
        self.owned(rhs)
    }

    /// `v += e`, `v -= e`, `v *= f`, `v /= f` with small increments and factors near 1.
    pub(crate) fn compound_stmt(&mut self, out: &mut Vec<Stmt>) -> bool {
        if !self.on(Family::Compound) {
            return false;
        }
        let Some(v) = self.mutable_var() else {
            return false;
        };
        self.mark(Family::Compound);
        let stmt = self.compound_for(&v);
        out.push(stmt);
        true
    }

    pub(crate) fn compound_for(&mut self, v: &Var) -> Stmt {
        let (op, rhs) = if self.chance(0.5) {
            let e = self.expr(v.ty, 2);
            let e = self.clamp(e, 0.5);
            (if self.chance(0.5) { "+=" } else { "-=" }, self.operand(e))
        } else {
            let e = self.scalar(2);
            let e = self.clamp(e, 0.2);
            let f = Expr::op("({0} + 1.0)", vec![e], Ty::Scalar, 1.2);
            (if self.chance(0.5) { "*=" } else { "/=" }, f)
        };
        if self.is_active(&rhs) {
            self.activate(&v.name);
        }
        Stmt::new(StmtKind::Assign {
            name: v.name.clone(),
            op,
            rhs,
        })
    }

    /// Makes sure a mutable variable exists before a loop or branch assigns it.
    pub(crate) fn ensure_mutable(&mut self, out: &mut Vec<Stmt>) {
        if self.mutable_var().is_none() {
            self.let_stmt(out, true);
        }
    }

    /// A loop header: a range (literal or `n`), reversed or stepped, or a slice iterator.
    fn header(&mut self) -> (LoopHeader, usize) {
        let xs = self.lookup("xs").cloned();
        if let (
            Some(Var {
                ty: Ty::Slice { n, len },
                ..
            }),
            true,
        ) = (xs, self.on(Family::LoopIter))
        {
            if self.chance(0.5) {
                self.mark(Family::LoopIter);
                let x = self.fresh("xi");
                let ty = Ty::Mat(Shape::dvec(n));
                let it = Expr::op(
                    "{0}.iter()",
                    vec![Expr::var("xs", Ty::Usize, 0.0)],
                    Ty::Usize,
                    0.0,
                );
                if self.chance(0.5) {
                    let i = self.fresh("i");
                    let it = Expr::op("{0}.enumerate()", vec![it], Ty::Usize, 0.0);
                    let binds = vec![(i.clone(), Ty::Usize, len as f64), (x.clone(), ty, 1.0)];
                    return (
                        LoopHeader {
                            pat: format!("({i}, {x})"),
                            binds,
                            iter: it,
                        },
                        len,
                    );
                }
                return (
                    LoopHeader {
                        pat: x.clone(),
                        binds: vec![(x, ty, 1.0)],
                        iter: it,
                    },
                    len,
                );
            }
        }
        let n_param = self.pick_var(|v| v.ty == Ty::Usize && v.name == "n");
        let (end, count) = match n_param {
            Some(v) if self.chance(0.5) => (Expr::var(&v.name, Ty::Usize, 0.0), v.max),
            _ => {
                let c = self.rng.random_range(0..=4);
                (Expr::lit(c.to_string(), Ty::Usize, 0.0), c)
            }
        };
        let t = self.fresh("t");
        let (tmpl, count) = match self.rng.random_range(0..4) {
            0 => ("(0..{0}).rev()".to_string(), count),
            1 => {
                let k = self.rng.random_range(1..=3);
                (format!("(0..{{0}}).step_by({k})"), count.div_ceil(k))
            }
            _ => ("0..{0}".to_string(), count),
        };
        let iter = Expr::op(tmpl, vec![end], Ty::Usize, 0.0);
        (
            LoopHeader {
                pat: t.clone(),
                binds: vec![(t, Ty::Usize, count as f64)],
                iter,
            },
            count,
        )
    }

    /// `for .. in .. { .. }` assigning variables declared before it.
    pub(crate) fn loop_stmt(&mut self, out: &mut Vec<Stmt>) -> bool {
        let max_depth = if self.on(Family::NestedLoops) { 2 } else { 1 };
        if !self.on(Family::Loops) || self.loop_depth >= max_depth {
            return false;
        }
        let in_arm = self.block_depth > self.loop_depth;
        if in_arm && !self.on(Family::LoopInBranch) {
            return false;
        }
        self.ensure_mutable(out);
        self.mark(Family::Loops);
        if in_arm {
            self.mark(Family::LoopInBranch);
        }
        if self.loop_depth > 0 {
            self.mark(Family::NestedLoops);
        }
        let (header, _count) = self.header();
        self.push();
        for (name, ty, max) in &header.binds {
            let (bound, max) = if *ty == Ty::Usize {
                (0.0, *max as usize)
            } else {
                (*max, 0)
            };
            self.declare(Var {
                name: name.clone(),
                ty: *ty,
                bound,
                mutable: false,
                is_ref: *ty != Ty::Usize,
                active: false,
                capturable: false,
                max,
            });
        }
        self.loop_depth += 1;
        self.block_depth += 1;
        let mut body = Vec::new();
        // The first statement carries a value across iterations.
        if !self.compound_stmt(&mut body) {
            self.assign_stmt(&mut body);
        }
        for _ in 0..self.rng.random_range(0..=2) {
            self.stmt_into(&mut body);
        }
        self.loop_depth -= 1;
        self.block_depth -= 1;
        self.pop();
        out.push(Stmt::new(StmtKind::For(header, body)));
        true
    }

    /// The statements of an `if` arm: an assignment to an outer variable, then a few more.
    fn arm(&mut self) -> Vec<Stmt> {
        self.push();
        self.block_depth += 1;
        let mut body = Vec::new();
        self.assign_stmt(&mut body);
        for _ in 0..self.rng.random_range(0..=1) {
            self.stmt_into(&mut body);
        }
        self.block_depth -= 1;
        self.pop();
        body
    }

    /// `if c { .. }`, `if c { .. } else { .. }`, `if c { .. } else if c2 { .. } else { .. }`.
    pub(crate) fn if_stmt(&mut self, out: &mut Vec<Stmt>) -> bool {
        if !self.on(Family::BranchConst) && !self.on(Family::BranchValue) {
            return false;
        }
        if self.loop_depth > 0 {
            if !self.on(Family::LoopCondAssign) {
                return false;
            }
            self.mark(Family::LoopCondAssign);
        }
        self.ensure_mutable(out);
        let stmt = self.if_chain(0);
        out.push(stmt);
        true
    }

    fn if_chain(&mut self, depth: usize) -> Stmt {
        let cond = self.cond();
        let then = self.arm();
        let els = match self.rng.random_range(0..3) {
            0 => None,
            1 if depth < 2 => Some(vec![self.if_chain(depth + 1)]),
            _ => Some(self.arm()),
        };
        Stmt::new(StmtKind::If(cond, then, els))
    }
}
