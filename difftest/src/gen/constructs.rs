//! The statement constructs aimed at the macro's weak spots: delay lines of carried
//! variables, `let`s shadowing inside arms and loop bodies, and `#[cfg]` on statements.

use super::{Gen, VAR_CAP};
use crate::ast::{Expr, LoopHeader, Stmt, StmtKind};
use crate::family::Family;
use crate::ty::Ty;
use rand::Rng;

/// Statements of the `long` family's padding: with about six values each, enough for the
/// macro's long-function threshold (400 values) and for its forward sweep in blocks.
const PAD: usize = 80;

impl Gen {
    /// In one function of ten (of the `long` family), `let pad_k = (pad_j * 0.9 + x * 0.001)
    /// .sin();` [`PAD`] times at the end of the body, reading a differentiated float `x`:
    /// the function becomes long to the macro, so its long-function code (type witnesses,
    /// each pullback one driver call, `_grad` through `vjp`, the forward sweep in blocks)
    /// runs under the random code before it. The last pad reaches the output through the
    /// tail.
    pub(crate) fn pad(&mut self, out: &mut Vec<Stmt>) {
        if !self.on(Family::Long) || !self.extra_rng.random_bool(0.1) {
            return;
        }
        let Some(x) = self
            .visible()
            .into_iter()
            .find(|v| v.ty == Ty::Scalar && v.active && !v.is_ref)
            .cloned()
        else {
            return;
        };
        self.mark(Family::Long);
        let mut prev = Expr::var(&x.name, Ty::Scalar, x.bound);
        for _ in 0..PAD {
            let name = self.fresh("pad");
            let args = vec![prev, Expr::var(&x.name, Ty::Scalar, x.bound)];
            let init = Expr::op("(({0} * 0.9 + {1} * 0.001).sin())", args, Ty::Scalar, 1.0);
            self.declare_let(out, name.clone(), false, init, None);
            prev = Expr::var(&name, Ty::Scalar, 1.0);
        }
    }

    /// `h = f(h); let h = g(h); ..` inside an arm or a loop body: the inner `let` must not
    /// leak out of the block.
    pub(crate) fn inner_shadow(&mut self, out: &mut Vec<Stmt>) -> bool {
        if !self.on(Family::InnerShadow) {
            return false;
        }
        let Some(v) = self.mutable_var() else {
            return false;
        };
        self.mark(Family::InnerShadow);
        let rhs = self.assign_rhs(&v);
        out.push(Stmt::new(StmtKind::Assign {
            name: v.name.clone(),
            op: "=",
            rhs,
        }));
        let cur = self.operand(Expr::var(&v.name, v.ty, v.bound));
        let k = self.literal();
        let b = cur.bound + k.abs();
        let init = match v.ty {
            Ty::Scalar => Expr::op(
                format!("({} + {{0}})", crate::ast::float_lit(k * 4.0)),
                vec![cur],
                v.ty,
                b,
            ),
            _ => Expr::op(
                format!("({{0}} * {})", crate::ast::float_lit(k * 4.0)),
                vec![cur],
                v.ty,
                b * 4.0,
            ),
        };
        let init = self.clamp(init, VAR_CAP * 4.0);
        let mutable = self.chance(0.3);
        self.declare_let(out, v.name.clone(), mutable, init, None);
        true
    }

    /// `let mut l1 = ..; .. let mut lk = ..; for t in 0..m { lk = lk-1; ..; l1 = e; }`.
    pub(crate) fn delay_chain(&mut self, out: &mut Vec<Stmt>) -> bool {
        let short = self.on(Family::DelayChain);
        let long = self.on(Family::LongDelayChain);
        if self.loop_depth > 0 || !self.on(Family::Loops) || !(short || long) {
            return false;
        }
        let len = if long && (!short || self.chance(0.5)) {
            self.mark(Family::LongDelayChain);
            self.rng.random_range(4..=7)
        } else {
            self.mark(Family::DelayChain);
            self.rng.random_range(2..=3)
        };
        self.mark(Family::Loops);
        let ty = if self.chance(0.6) {
            Ty::Scalar
        } else {
            self.float_ty()
        };
        let stem = self.fresh("l");
        let names: Vec<String> = (1..=len).map(|i| format!("{stem}_{i}")).collect();
        for name in &names {
            let init = if self.chance(0.5) {
                self.expr(ty, 1)
            } else {
                self.zero(ty)
            };
            let init = self.clamp(init, VAR_CAP);
            let init = self.owned(init);
            self.declare_let(out, name.clone(), true, init, None);
        }
        let count = self.rng.random_range(len..=len + 2);
        let t = self.fresh("t");
        let iter = Expr::op(
            "0..{0}",
            vec![Expr::lit(count.to_string(), Ty::Usize, 0.0)],
            Ty::Usize,
            0.0,
        );
        let header = LoopHeader {
            pat: t.clone(),
            binds: vec![(t, Ty::Usize, count as f64)],
            iter,
        };
        let mut body = Vec::new();
        for i in (1..len).rev() {
            let src = self.lookup(&names[i - 1]).cloned().expect("declared");
            let rhs = self.owned(Expr::var(&src.name, ty, src.bound));
            body.push(Stmt::new(StmtKind::Assign {
                name: names[i].clone(),
                op: "=",
                rhs,
            }));
        }
        let first = self.lookup(&names[0]).cloned().expect("declared");
        let rhs = self.assign_rhs(&first);
        body.push(Stmt::new(StmtKind::Assign {
            name: names[0].clone(),
            op: "=",
            rhs,
        }));
        for n in &names {
            self.activate(n);
        }
        out.push(Stmt::new(StmtKind::For(header, body)));
        true
    }

    /// Zero of a float type.
    fn zero(&self, ty: Ty) -> Expr {
        match ty {
            Ty::Mat(s) => Expr::lit(s.filled("0.0"), ty, 0.0),
            _ => Expr::float(0.0),
        }
    }

    /// `#[cfg(all())]` on a live statement or `#[cfg(any())]` on a dead one: on `let`s, and
    /// on `if` and `for` statements (stable Rust allows attributes on those expression
    /// statements, not on assignments).
    pub(crate) fn cfg_stmt(&mut self, out: &mut Vec<Stmt>) -> bool {
        if !self.on(Family::Cfg) {
            return false;
        }
        let live = self.chance(0.5);
        let pred = if live { "all()" } else { "any()" };
        if self.chance(0.4) {
            // The mutable variable the statement assigns is declared outside the snapshot.
            self.ensure_mutable(out);
            let before = out.len();
            let scopes = self.scopes.clone();
            let made = if self.chance(0.5) {
                self.if_stmt(out)
            } else {
                self.loop_stmt(out)
            };
            if !made || out.len() == before {
                return false;
            }
            if !live {
                // A dead statement changes no value; but the macro cannot evaluate the
                // predicate, so a variable it would make active is active to the macro.
                let active: Vec<String> = self
                    .visible()
                    .iter()
                    .filter(|v| v.active)
                    .map(|v| v.name.clone())
                    .collect();
                self.scopes = scopes;
                active.iter().for_each(|n| self.activate_for_macro(n));
            }
            self.mark(Family::Cfg);
            out.last_mut().expect("pushed").cfg = Some(pred);
            return true;
        }
        self.mark(Family::Cfg);
        if live {
            let ty = self.float_ty();
            let init = self.expr(ty, 2);
            let init = self.clamp(init, VAR_CAP);
            let init = self.owned(init);
            let shadow = self.chance(0.5);
            let name = self.cfg_local_name(shadow);
            self.declare_let(out, name, false, init, Some(pred));
        } else {
            // Dead: not declared, so nothing after it may read it.
            let ty = self.float_ty();
            let e = self.expr(ty, 2);
            let e = self.operand(e);
            let b = e.bound * 100.0;
            let init = Expr::op("({0} * 100.0)", vec![e], ty, b);
            let name = self.cfg_local_name(true);
            if self.is_active(&init) {
                // Active to the macro, which cannot tell that the statement is dead.
                self.activate_for_macro(&name);
            }
            out.push(Stmt {
                cfg: Some(pred),
                kind: StmtKind::Let {
                    name,
                    mutable: false,
                    init,
                },
            });
        }
        true
    }
}
