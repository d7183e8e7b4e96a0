//! Loops, branches and `map` closures in the derivation: a loop as a recurrence over t (its
//! adjoints run t = T, …, 1), a branch as cases, a closure's derivative from its own body.

use super::build::{clean, Builder, Shape};
use super::term::*;
use super::{Line, Piece};
use crate::analysis::Activity;
use crate::ir::{defined_within, Body, Branch, Head, Kind, Loop, ScalarFn, Source, Step, ValueId};
use std::collections::{HashMap, HashSet};

/// The variable each named value is written as: the user's name, primed where the source
/// binds the name again, with a loop's subscript (`h₀` before, `hₜ₋₁` and `hₜ` in, `h_T`
/// after a loop that carries `h`).
pub(super) fn display_names(b: &Builder) -> Vec<Option<Var>> {
    let body = b.body;
    let mut roles = HashMap::new();
    let mut family = HashMap::new();
    loop_roles(body, &body.steps, false, &mut roles, &mut family);
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut display: Vec<Option<Var>> = vec![None; body.values.len()];
    for (id, v) in body.values.iter().enumerate() {
        let Some(label) = v.label.as_deref() else {
            continue;
        };
        let param = matches!(v.kind, Kind::Param { .. });
        if !(param || v.named || matches!(v.kind, Kind::Carried | Kind::Merged)) {
            continue;
        }
        let primes = match family
            .get(&id)
            .and_then(|&init: &ValueId| display[init].as_ref())
        {
            Some(init) if init.name == label => init.primes,
            _ => {
                let c = counts.entry(label).or_insert(0);
                *c += 1;
                *c - 1
            }
        };
        display[id] = Some(Var {
            name: label.to_string(),
            bar: false,
            sub: if param { None } else { roles.get(&id).copied() },
            primes,
            scalar: b.shapes[id] == Shape::Scalar,
        });
    }
    display
}

/// The loop subscript of each value a loop defines or carries, and the initial value of each
/// carried value's variable.
fn loop_roles(
    body: &Body,
    steps: &[Step],
    inside: bool,
    roles: &mut HashMap<ValueId, Sub>,
    family: &mut HashMap<ValueId, ValueId>,
) {
    for step in steps {
        match step {
            Step::Value(id) if inside => {
                roles.insert(*id, Sub::Now);
            }
            Step::Loop(l) => {
                for c in &l.carried {
                    let same = body.values[c.init].label == body.values[c.phi].label;
                    if same && !inside {
                        roles.insert(c.init, Sub::Zero);
                    }
                    roles.insert(c.phi, Sub::Prev);
                    roles.insert(c.out, if inside { Sub::Now } else { Sub::Last });
                    for v in [c.phi, c.next, c.out] {
                        family.insert(v, c.init);
                    }
                }
                for &p in &l.pat_values {
                    roles.insert(p, Sub::Now);
                }
                loop_roles(body, &l.body, true, roles, family);
                for c in &l.carried {
                    roles.insert(c.next, Sub::Now);
                }
            }
            Step::Branch(b) => {
                for a in &b.arms {
                    loop_roles(body, &a.body, inside, roles, family);
                }
                if inside {
                    for &m in &b.merged {
                        roles.insert(m, Sub::Now);
                    }
                }
            }
            _ => {}
        }
    }
}

/// A carried value has its initial value's shape; a merged value its first arm's.
pub(super) fn carried_shapes(steps: &[Step], shapes: &mut [Shape]) {
    for step in steps {
        match step {
            Step::Loop(l) => {
                for c in &l.carried {
                    shapes[c.phi] = shapes[c.init];
                    shapes[c.out] = shapes[c.init];
                }
                carried_shapes(&l.body, shapes);
            }
            Step::Branch(b) => {
                for a in &b.arms {
                    carried_shapes(&a.body, shapes);
                }
                if let Some(first) = b.arms.first() {
                    for (&m, &f) in b.merged.iter().zip(&first.from) {
                        shapes[m] = shapes[f];
                    }
                }
            }
            _ => {}
        }
    }
}

/// A `map`'s input, second input (`zip_map`) and closure.
fn map_parts(body: &Body, id: ValueId) -> Option<(ValueId, Option<ValueId>, &ScalarFn)> {
    match &body.values[id].kind {
        Kind::Map {
            input,
            second,
            scalar,
            ..
        } => Some((*input, *second, scalar)),
        _ => None,
    }
}

/// A closure's parameters (one, or two for `zip_map`), in order.
fn closure_params(body: &Body) -> Vec<ValueId> {
    (0..body.values.len())
        .filter(|&p| matches!(body.values[p].kind, Kind::Param { .. }))
        .collect()
}

/// Ends a block of lines; a block with no line is dropped.
fn close(lines: &mut Vec<Line>) {
    match lines.last() {
        Some(Line::Open(_)) => {
            lines.pop();
        }
        _ => lines.push(Line::Close),
    }
}

impl Builder<'_> {
    /// The source's text of a constant value.
    fn source_text(&self, id: ValueId) -> String {
        match &self.body.values[id].source {
            Some(Source::Expr(e)) => clean(&quote::quote!(#e).to_string()),
            _ => super::render::text(&self.term(id), super::Style::Unicode),
        }
    }

    pub(super) fn forward_loop(&mut self, l: &Loop) {
        for c in &l.carried {
            let (Some(phi), true) = (self.display[c.phi].clone(), self.active(c.phi)) else {
                continue;
            };
            if self.display[c.init]
                .as_ref()
                .is_none_or(|v| v.sub != Some(Sub::Zero))
            {
                let start = Var {
                    sub: Some(Sub::Zero),
                    ..phi
                };
                self.out.forward.push(Line::Eq(start, self.term(c.init)));
            }
        }
        let header = format!(
            "for t = 1, …, T ({} in {}):",
            clean(&l.pat.to_string()),
            self.source_text(l.iter)
        );
        self.out.forward.push(Line::Open(header));
        self.forward_steps(&l.body);
        close(&mut self.out.forward);
    }

    pub(super) fn reverse_loop(&mut self, l: &Loop) {
        // Each carried adjoint at t = T: the adjoint of the value after the loop, written
        // where that is named (`h̄_T = …`), or zero.
        let starts: Vec<Option<Term>> = l
            .carried
            .iter()
            .map(|c| self.active(c.out).then(|| self.settle(c.out)).flatten())
            .collect();
        let before: Vec<usize> = self.contributions.iter().map(Vec::len).collect();
        self.out.adjoint.push(Line::Open("for t = T, …, 1:".into()));
        for (c, start) in l.carried.iter().zip(starts) {
            let (true, Some(next)) = (self.active(c.next), self.display[c.next].clone()) else {
                continue;
            };
            let carried = Var {
                sub: Some(Sub::Now),
                ..next.bar()
            };
            let from = match start {
                Some(t) => vec![
                    Piece::Words(" starts at t = T from ".into()),
                    Piece::Math(t),
                ],
                None => vec![Piece::Words(" starts at t = T from 0".into())],
            };
            let mut note = vec![Piece::Math(Term::Var(carried.clone()))];
            note.extend(from);
            self.out.adjoint.push(Line::Note(note));
            self.contributions[c.next].push(Term::Var(carried));
        }
        self.reverse_steps(&l.body);
        for c in &l.carried {
            if !self.active(c.phi) {
                continue;
            }
            let total = sum(self.take(c.phi));
            if let Some(phi) = self.display[c.phi].clone() {
                self.out.adjoint.push(Line::Eq(phi.bar(), total));
            }
        }
        close(&mut self.out.adjoint);
        let mut inside = HashSet::new();
        crate::ir::defined_in_loop(self.body, l, &mut inside);
        for (id, &n) in before.iter().enumerate() {
            if !inside.contains(&id) && self.contributions[id].len() > n {
                let new = self.contributions[id].split_off(n);
                let total = sum(new.into_iter().map(|t| (false, t)).collect());
                self.contributions[id].push(apply(Func::SumIterations, vec![total]));
            }
        }
        for c in &l.carried {
            if let (true, Some(phi)) = (self.active(c.phi), self.display[c.phi].clone()) {
                let start = Var {
                    sub: Some(Sub::Zero),
                    ..phi.bar()
                };
                self.contributions[c.init].push(Term::Var(start));
            }
        }
    }

    /// The condition of arm `k` of `b`, as text; empty for "otherwise".
    fn condition(&self, b: &Branch, k: usize) -> String {
        match (&b.head, k) {
            (Head::If { cond }, 0) => self.source_text(*cond),
            (Head::IfLet { pat, scrutinee }, 0) => format!(
                "let {} = {}",
                clean(&pat.to_string()),
                self.source_text(*scrutinee)
            ),
            (Head::Match { scrutinee, arms }, k) if k + 1 < arms.len() => {
                let (pat, guard) = &arms[k];
                let guard = guard
                    .as_ref()
                    .map(|g| format!(" if {}", clean(&quote::quote!(#g).to_string())))
                    .unwrap_or_default();
                format!(
                    "{} is {}{guard}",
                    self.source_text(*scrutinee),
                    clean(&pat.to_string())
                )
            }
            (Head::Cfg { pred }, 0) => format!("cfg({})", clean(&pred.to_string())),
            _ => String::new(),
        }
    }

    fn arm_header(&self, b: &Branch, k: usize) -> String {
        match self.condition(b, k) {
            c if c.is_empty() => "otherwise:".to_string(),
            c => format!("if {c}:"),
        }
    }

    pub(super) fn forward_branch(&mut self, b: &Branch) {
        for (k, arm) in b.arms.iter().enumerate() {
            self.out.forward.push(Line::Open(self.arm_header(b, k)));
            self.forward_steps(&arm.body);
            for (&m, &from) in b.merged.iter().zip(&arm.from) {
                if let (true, Some(var)) = (self.active(m), self.display[m].clone()) {
                    let t = self.term(from);
                    if t != Term::Var(var.clone()) {
                        self.out.forward.push(Line::Eq(var, t));
                    }
                }
            }
            close(&mut self.out.forward);
        }
    }

    pub(super) fn reverse_branch(&mut self, b: &Branch) {
        let merged: Vec<Option<Term>> = b
            .merged
            .iter()
            .map(|&m| self.active(m).then(|| self.settle(m)).flatten())
            .collect();
        let mut inside = HashSet::new();
        for a in &b.arms {
            defined_within(self.body, &a.body, &mut inside);
            inside.extend(&a.bound);
        }
        let mut per_arm: Vec<HashMap<ValueId, Term>> = Vec::new();
        for (k, arm) in b.arms.iter().enumerate() {
            let before: Vec<usize> = self.contributions.iter().map(Vec::len).collect();
            self.out.adjoint.push(Line::Open(self.arm_header(b, k)));
            for (g, &from) in merged.iter().zip(&arm.from) {
                if let (Some(g), true) = (g, self.active(from)) {
                    self.contributions[from].push(g.clone());
                }
            }
            self.reverse_steps(&arm.body);
            close(&mut self.out.adjoint);
            let mut mine = HashMap::new();
            for (id, &n) in before.iter().enumerate() {
                if !inside.contains(&id) && self.contributions[id].len() > n {
                    let new = self.contributions[id].split_off(n);
                    mine.insert(id, sum(new.into_iter().map(|t| (false, t)).collect()));
                }
            }
            per_arm.push(mine);
        }
        let mut ids: Vec<ValueId> = per_arm.iter().flat_map(|m| m.keys().copied()).collect();
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            let arms: Vec<(String, Term)> = (0..b.arms.len())
                .map(|k| {
                    let t = per_arm[k].get(&id).cloned().unwrap_or(num(0.0));
                    (self.condition(b, k), t)
                })
                .collect();
            let same = arms.windows(2).all(|w| w[0].1 == w[1].1);
            let c = match same {
                true => arms[0].1.clone(),
                false => Term::Cases(arms),
            };
            self.contributions[id].push(c);
        }
    }

    /// The closure's parameters and captures as the enclosing body's terms.
    fn closure_env(&self, id: ValueId) -> HashMap<ValueId, Term> {
        let Some((input, second, scalar)) = map_parts(self.body, id) else {
            return HashMap::new();
        };
        let mut env: HashMap<ValueId, Term> = closure_params(&scalar.body)
            .into_iter()
            .zip(std::iter::once(input).chain(second))
            .map(|(p, outer)| (p, self.term(outer)))
            .collect();
        for (&inner, &outer) in scalar.body.captured.iter().zip(&scalar.captures) {
            env.insert(inner, self.term(outer));
        }
        env
    }

    /// `x.map(|v| f(v))` as `f(x)`, entry-wise.
    pub(super) fn map_value(&self, id: ValueId) -> Term {
        let Kind::Map { scalar, .. } = &self.body.values[id].kind else {
            return Term::Text(String::new());
        };
        let activity = Activity::of_closure(scalar, self.activity);
        let mut inner = Builder::bare(&scalar.body, &activity);
        inner.env = self.closure_env(id);
        match scalar.body.output {
            Some(o) => inner.term(o),
            None => Term::Text("()".into()),
        }
    }

    /// What a `map` passes on: ḡ ⊙ f′(x) to its input (and ⊙ ∂f/∂w to a second input), the
    /// same summed for a captured float.
    pub(super) fn map_adjoint(&mut self, id: ValueId, g: &Term) {
        let Some((input, second, scalar)) = map_parts(self.body, id) else {
            return;
        };
        let activity = Activity::of_closure(scalar, self.activity);
        let mut inner = Builder::bare(&scalar.body, &activity);
        inner.env = self.closure_env(id);
        if let Some(o) = scalar.body.output.filter(|&o| activity.active(o)) {
            if self.display[id].is_some() {
                // f′ written with the map's own result where it reads it (1 − hₜ ⊙ hₜ).
                inner.env.insert(o, self.term(id));
            }
            inner.contributions[o].push(num(1.0));
            inner.reverse_steps(&scalar.body.steps);
        }
        let mut targets: Vec<(ValueId, ValueId)> = closure_params(&scalar.body)
            .into_iter()
            .zip(std::iter::once(input).chain(second))
            .collect();
        targets.extend(
            scalar
                .body
                .captured
                .iter()
                .copied()
                .zip(scalar.captures.clone()),
        );
        let entrywise = self.shapes[input] != Shape::Scalar;
        for (inner_id, outer) in targets {
            if !self.active(outer) {
                continue;
            }
            let d = sum(inner.take(inner_id));
            if d.is_zero() {
                continue;
            }
            // d, of the map's shape where it is not a float.
            let c = had_same(g.clone(), d);
            let c = match entrywise && self.shapes[outer] == Shape::Scalar {
                true => apply(Func::SumAll, vec![c]),
                false => c,
            };
            self.contributions[outer].push(c);
        }
        for rule in inner.out.rules {
            if !self.out.rules.contains(&rule) {
                self.out.rules.push(rule);
            }
        }
    }
}
