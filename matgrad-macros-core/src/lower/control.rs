//! Regions: `for` loops, `if`/`else`, `if let`, `match`, and statements under `#[cfg]`.
//! Variables a region changes become carried (loops) or merged (branches) values.

use super::attrs::StmtAttrs;
use super::rename::{pat_idents, rename_tokens};
use super::scan::{self, Changed};
use super::Lowerer;
use crate::ir::{Arm, Branch, Carried, Head, Kind, Loop, Step, Value, ValueId};
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use std::collections::HashMap;
use syn::spanned::Spanned;
use syn::{Attribute, Block, Expr, ExprForLoop, ExprIf, ExprMatch, Ident, Pat, Stmt};

/// A variable a branch changes.
#[derive(Clone)]
enum Target {
    /// A variable declared before the branch.
    Var(usize),
    /// A `let` under `#[cfg]` that shadows a variable: declared anew after the branch.
    Declared { mutable: bool },
}

/// What an arm saved of the enclosing state.
struct ArmState {
    outer_steps: Vec<Step>,
    before: Vec<ValueId>,
}

impl Lowerer<'_> {
    /// A `for` loop: the variables it changes become carried values.
    pub(super) fn for_loop(&mut self, f: &ExprForLoop, attrs: Vec<Attribute>) {
        if let Some(indexed) = self.indexed_loop(f) {
            return self.for_loop(&indexed, attrs);
        }
        if let Some(label) = &f.label {
            self.errors
                .at(label, "loop labels are not supported by `#[grad]`");
        }
        let message = "the range of a `for` loop must not depend on a differentiated parameter";
        let iter = self.opaque(&f.expr, Vec::new(), self.unsupported(&f.expr, message));
        let mut pat_names = Vec::new();
        pat_idents(&f.pat, &mut pat_names);
        let vars = self.changed_vars(&scan::changed_outer(&f.body, false), &pat_names);
        let iters = self.value(
            "__iters",
            Kind::Bound {
                by_ref: false,
                from: None,
            },
            f.expr.span(),
        );
        let tape = self.value(
            "__tape",
            Kind::Bound {
                by_ref: false,
                from: None,
            },
            f.span(),
        );
        self.scope.push();
        let (pat, pat_values) = self.bind_pattern(&f.pat, &pat_names, None);
        let mut phis = Vec::new();
        for &(ref name, var) in &vars {
            let init = self.scope.get(var).value;
            let phi = self.carried_value(name, var, f.span());
            self.scope.get_mut(var).value = phi;
            phis.push((init, phi));
        }
        let outer_steps = std::mem::take(&mut self.steps);
        self.scope.push();
        self.block_stmts(&f.body, false);
        self.scope.pop();
        let body = std::mem::replace(&mut self.steps, outer_steps);
        self.scope.pop();
        let mut carried = Vec::new();
        for (&(_, var), &(init, phi)) in vars.iter().zip(&phis) {
            let next = self.scope.get(var).value;
            let mut out = Value::new(Kind::Carried, self.values[phi].name.clone(), f.span());
            out.mutable = self.values[phi].mutable;
            out.named = true;
            out.label = self.values[phi].label.clone();
            let out = self.push(out);
            self.scope.get_mut(var).value = out;
            carried.push(Carried {
                init,
                phi,
                next,
                out,
            });
        }
        self.steps.push(Step::Loop(Box::new(Loop {
            pat,
            pat_values,
            iter,
            iters,
            tape,
            carried,
            body,
            span: f.span(),
            attrs,
            checkpoint: false,
        })));
    }

    /// A carried variable's value at the start of an iteration.
    fn carried_value(&mut self, name: &str, var: usize, span: Span) -> ValueId {
        let ident = self.names.user(name, span);
        let mut v = Value::new(Kind::Carried, ident, span);
        v.mutable = self.scope.get(var).mutable;
        v.named = true;
        v.label = Some(name.to_string());
        self.push(v)
    }

    /// The variables declared before a region that it changes: assigned ones, and mutable
    /// ones a kept statement names; not those its pattern binds.
    fn changed_vars(&self, changed: &[Changed], bound: &[String]) -> Vec<(String, usize)> {
        changed
            .iter()
            .filter(|c| !bound.contains(&c.name))
            .filter_map(|c| {
                let var = self.scope.var(&c.name)?;
                (c.assigned || self.scope.get(var).mutable).then(|| (c.name.clone(), var))
            })
            .collect()
    }

    /// Declares a pattern's names as values bound by it; the pattern with them renamed.
    fn bind_pattern(
        &mut self,
        pat: &Pat,
        names: &[String],
        from: Option<ValueId>,
    ) -> (TokenStream, Vec<ValueId>) {
        let mut fresh = HashMap::new();
        let mut values = Vec::new();
        for n in names {
            let ident = self.names.user(n, pat.span());
            let mut v = Value::new(
                Kind::Bound {
                    by_ref: false,
                    from,
                },
                ident.clone(),
                pat.span(),
            );
            v.named = true;
            v.label = Some(n.clone());
            let id = self.push(v);
            fresh.insert(n.clone(), ident);
            values.push(id);
            self.declare(n, id, false);
        }
        let renamed = rename_tokens(pat.to_token_stream(), &|n| fresh.get(n).cloned()).out;
        (renamed, values)
    }

    pub(super) fn if_stmt(&mut self, i: &ExprIf) {
        self.branch_if(i, false);
    }

    pub(super) fn if_value(&mut self, i: &ExprIf) -> ValueId {
        match self.branch_if(i, true) {
            Some(v) => v,
            None => self.opaque(&syn::parse_quote!(()), Vec::new(), None),
        }
    }

    /// `if cond { .. } else { .. }` or `if let pat = value { .. } else { .. }`.
    fn branch_if(&mut self, i: &ExprIf, want_value: bool) -> Option<ValueId> {
        if want_value && i.else_branch.is_none() {
            self.errors.at(i, "an `if` used as a value needs an `else`");
            return None;
        }
        let mut changed = scan::changed_outer(&i.then_branch, want_value);
        if let Some((_, e)) = &i.else_branch {
            for c in scan::changed_in_expr(e, want_value) {
                if !changed.iter().any(|d| d.name == c.name) {
                    changed.push(c);
                }
            }
        }
        let (head, pattern) = match &*i.cond {
            Expr::Let(l) => {
                let scrutinee = self.scrutinee(&l.expr);
                (None, Some((scrutinee, &*l.pat)))
            }
            cond => (Some(self.opaque(cond, Vec::new(), None)), None),
        };
        let mut bound_names = Vec::new();
        if let Some((_, pat)) = pattern {
            pat_idents(pat, &mut bound_names);
        }
        let targets: Vec<(String, Target)> = self
            .changed_vars(&changed, &[])
            .into_iter()
            .map(|(n, v)| (n, Target::Var(v)))
            .collect();
        let mut arms = Vec::new();
        let mut values = Vec::new();
        let mut if_let_pat = TokenStream::new();
        // The first arm.
        let state = self.enter_arm(&targets);
        let mut bound = Vec::new();
        if let Some((scrutinee, pat)) = pattern {
            let (p, b) = self.bind_pattern(pat, &bound_names, Some(scrutinee));
            if_let_pat = p;
            bound = b;
        }
        values.push(self.arm_value(&i.then_branch, want_value));
        arms.push(self.leave_arm(&targets, state, bound, i.span()));
        // The second arm.
        let state = self.enter_arm(&targets);
        let value = match i.else_branch.as_ref().map(|(_, e)| &**e) {
            None => None,
            Some(Expr::Block(b)) => self.arm_value(&b.block, want_value),
            Some(Expr::If(nested)) => self.branch_if(nested, want_value),
            Some(other) => Some(self.expr(other)),
        };
        values.push(value);
        arms.push(self.leave_arm(&targets, state, Vec::new(), i.span()));
        let head = match (head, pattern) {
            (Some(cond), _) => Head::If { cond },
            (None, Some((scrutinee, _))) => Head::IfLet {
                pat: if_let_pat,
                scrutinee,
            },
            (None, None) => return None,
        };
        self.finish_branch(head, arms, &targets, values, want_value, i.span())
    }

    /// An arm's block in its own scope, with its value.
    fn arm_value(&mut self, block: &Block, want_value: bool) -> Option<ValueId> {
        let v = self.block_stmts(block, want_value);
        if want_value && v.is_none() {
            self.errors.at_span(
                block.brace_token.span.join(),
                "this branch must end with a value, without a semicolon",
            );
        }
        v
    }

    pub(super) fn match_stmt(&mut self, m: &ExprMatch) {
        self.branch_match(m, false);
    }

    pub(super) fn match_value(&mut self, m: &ExprMatch) -> ValueId {
        match self.branch_match(m, true) {
            Some(v) => v,
            None => self.opaque(&syn::parse_quote!(()), Vec::new(), None),
        }
    }

    /// `match scrutinee { pat if guard => body, .. }`.
    fn branch_match(&mut self, m: &ExprMatch, want_value: bool) -> Option<ValueId> {
        if m.arms.is_empty() {
            self.errors
                .at(m, "a `match` without arms has no value to differentiate");
            return None;
        }
        let scrutinee = self.scrutinee(&m.expr);
        let mut changed: Vec<Changed> = Vec::new();
        for arm in &m.arms {
            let mut bound = Vec::new();
            pat_idents(&arm.pat, &mut bound);
            for c in scan::changed_in_expr(&arm.body, want_value) {
                if !bound.contains(&c.name) && !changed.iter().any(|d| d.name == c.name) {
                    changed.push(c);
                }
            }
        }
        let targets: Vec<(String, Target)> = self
            .changed_vars(&changed, &[])
            .into_iter()
            .map(|(n, v)| (n, Target::Var(v)))
            .collect();
        let mut arms = Vec::new();
        let mut values = Vec::new();
        let mut heads = Vec::new();
        for arm in &m.arms {
            let state = self.enter_arm(&targets);
            let mut names = Vec::new();
            pat_idents(&arm.pat, &mut names);
            let (pat, bound) = self.bind_pattern(&arm.pat, &names, Some(scrutinee));
            let guard = arm.guard.as_ref().map(|(_, g)| {
                let (renamed, mentions, _) = self.renamed(g);
                self.values[scrutinee]
                    .mentions
                    .extend(mentions.iter().map(|m| m.0));
                renamed
            });
            heads.push((pat, guard));
            let value = match &*arm.body {
                Expr::Block(b) if b.label.is_none() => self.arm_value(&b.block, want_value),
                body if want_value => Some(self.expr(body)),
                body => {
                    self.stmt(&Stmt::Expr(body.clone(), Some(Default::default())));
                    None
                }
            };
            values.push(value);
            arms.push(self.leave_arm(&targets, state, bound, arm.span()));
        }
        let head = Head::Match {
            scrutinee,
            arms: heads,
        };
        self.finish_branch(head, arms, &targets, values, want_value, m.span())
    }

    /// `#[cfg(pred)] statement`: a branch between the statement and nothing, fixed when the
    /// crate compiles. A `let` under it must shadow a variable declared before.
    pub(super) fn cfg_stmt(&mut self, pred: TokenStream, stmt: &Stmt, attrs: Vec<Attribute>) {
        let (changed, declared) = scan::changed_by_stmt(stmt);
        let mut targets: Vec<(String, Target)> = self
            .changed_vars(&changed, &[])
            .into_iter()
            .map(|(n, v)| (n, Target::Var(v)))
            .collect();
        let mut new_names = Vec::new();
        let mut outer_shadows = Vec::new();
        for d in &declared {
            if self.scope.var(d).is_none() {
                new_names.push(d.clone());
            } else if !self.scope.in_this_block(d) {
                outer_shadows.push(d.clone());
            }
            let mutable = matches!(stmt, Stmt::Local(l) if matches!(&l.pat, Pat::Ident(p) if p.mutability.is_some()));
            targets.push((d.clone(), Target::Declared { mutable }));
        }
        let span = stmt.span();
        let state = self.enter_arm(&targets);
        match stmt {
            Stmt::Local(l) => self.local(l, attrs),
            Stmt::Expr(e, _) => self.statement(
                e,
                StmtAttrs {
                    cfg: None,
                    others: attrs,
                },
            ),
            other => self.stmt(other),
        }
        let first = self.leave_arm(&targets, state, Vec::new(), span);
        let state = self.enter_arm(&targets);
        // A variable the statement declares anew does not exist when it is configured out
        // (nor does the user's code that reads it): a placeholder stands in for it there.
        for n in &new_names {
            let unit = self.opaque(&syn::parse_quote!(()), Vec::new(), None);
            self.declare(n, unit, false);
        }
        let second = self.leave_arm(&targets, state, Vec::new(), span);
        // Exactly one arm is compiled: both keep their saved values under one name.
        let name = self.values[first.save].name.clone();
        self.values[second.save].name = name;

        self.finish_branch(
            Head::Cfg { pred },
            vec![first, second],
            &targets,
            vec![None, None],
            false,
            span,
        );
        for n in &outer_shadows {
            if let Some(v) = self.scope.var(n) {
                self.scope.get_mut(v).cfg_shadow = true;
            }
        }
    }

    /// The error for an assignment to a name a `#[cfg]` `let` of this block took from a
    /// variable of an enclosing block: which of the two it changes depends on the build's
    /// configuration, which the macro cannot evaluate.
    pub(super) fn cfg_shadow_error(&mut self, ident: &Ident) {
        self.errors.at(
            ident,
            format_args!(
                "`{ident}` is the variable of the `#[cfg]` `let` above where that statement is \
                 configured in, and the `{ident}` of an enclosing block where it is not; \
                 `#[grad]` cannot tell which one this assignment changes: give the `#[cfg]` \
                 variable a name of its own"
            ),
        );
    }

    fn enter_arm(&mut self, targets: &[(String, Target)]) -> ArmState {
        let before = targets
            .iter()
            .map(|(n, t)| match t {
                Target::Var(v) => self.scope.get(*v).value,
                Target::Declared { .. } => self.scope.value(n).unwrap_or(usize::MAX),
            })
            .collect();
        self.scope.push();
        ArmState {
            outer_steps: std::mem::take(&mut self.steps),
            before,
        }
    }

    /// The arm's steps and the values it leaves in the changed variables; the variables get
    /// their values from before the arm back.
    fn leave_arm(
        &mut self,
        targets: &[(String, Target)],
        state: ArmState,
        bound: Vec<ValueId>,
        span: Span,
    ) -> Arm {
        let from = targets
            .iter()
            .zip(&state.before)
            .map(|((n, t), &before)| match t {
                Target::Var(v) => self.scope.get(*v).value,
                Target::Declared { .. } => self.scope.value(n).unwrap_or(before),
            })
            .collect();
        self.scope.pop();
        for ((_, t), &before) in targets.iter().zip(&state.before) {
            if let Target::Var(v) = t {
                self.scope.get_mut(*v).value = before;
            }
        }
        let body = std::mem::replace(&mut self.steps, state.outer_steps);
        let save = self.value(
            "__saved",
            Kind::Bound {
                by_ref: false,
                from: None,
            },
            span,
        );
        Arm {
            body,
            save,
            from,
            bound,
        }
    }

    /// The merged values after a branch, the variables updated, the branch placed.
    fn finish_branch(
        &mut self,
        head: Head,
        mut arms: Vec<Arm>,
        targets: &[(String, Target)],
        values: Vec<Option<ValueId>>,
        want_value: bool,
        span: Span,
    ) -> Option<ValueId> {
        let mut merged = Vec::new();
        for (k, (name, target)) in targets.iter().enumerate() {
            let ident = self.names.user(name, span);
            let mut v = Value::new(Kind::Merged, ident, span);
            v.mutable = match target {
                Target::Var(var) => self.scope.get(*var).mutable,
                Target::Declared { mutable, .. } => *mutable,
            } || arms.iter().any(|a| self.values[a.from[k]].mutable);
            v.named = true;
            v.label = Some(name.clone());
            let id = self.push(v);
            merged.push(id);
            match target {
                Target::Var(var) => self.scope.get_mut(*var).value = id,
                Target::Declared { mutable, .. } => {
                    self.declare(name, id, *mutable);
                }
            }
        }
        let mut result = None;
        if want_value {
            let vals: Option<Vec<ValueId>> = values.into_iter().collect();
            if let Some(vals) = vals {
                for (arm, v) in arms.iter_mut().zip(vals) {
                    arm.from.push(v);
                }
                let id = self.value(&format!("__t{}", self.values.len()), Kind::Merged, span);
                merged.push(id);
                result = Some(id);
            }
        }
        self.steps.push(Step::Branch(Box::new(Branch {
            head,
            arms,
            merged,
            span,
        })));
        result
    }
}
