//! Stage 2½: chains of element-wise operations fused into one pass over the entries.
//!
//! `xc.broadcast_div(&sd).broadcast_mul(gamma).broadcast_add(beta)` is three kernels, each a
//! pass over the m×n entries (and a buffer), and its reverse sweep as many passes again.
//! Fused, it is one [`Kind::Fused`] value: a scalar function of one entry of each operand
//! (a *lane*: `xc` entry for entry, `sd`, `gamma` and `beta` broadcast), which the runtime
//! applies in one pass; its reverse sweep is that function's own, per entry (the closure
//! differentiation a `map` gets), with every lane's cotangent accumulated in the same pass.
//!
//! A chain is a tree of *members*: values that depend on a differentiated parameter, each
//! an element-wise operation (the registry's `component_*` and `broadcast_*`, `map` and
//! `zip_map` with a straight-line closure, and `+`, `-`, unary `-` and `/ s` on a member),
//! each read once, as an entry-for-entry operand of the member above it, in the same region.
//! Its root is the one value that stays; the others leave the steps. A chain is fused only
//! with two members or more and at least one that is element-wise whatever its operands'
//! types (`+` of two values the macro cannot see the types of may add two scalars).
//!
//! The forward companions' tangent program is built from the body before this stage.

mod scalar;

use crate::analysis::Activity;
use crate::ir::{Body, Completion, Kind, Role, Step, ValueId};
use crate::names::Names;
use crate::ops::Op;
use std::collections::HashSet;

/// Fuses the element-wise chains of `body`; whether it fused any.
pub fn fuse(body: &mut Body, names: &mut Names) -> bool {
    let activity = Activity::of(body);
    let uses = use_counts(body, &activity);
    let region = regions(body);
    let n = body.values.len();
    // The members each value is fused into: its one reader, or each of its readers for a
    // value computed again in every chain that reads it (`shared`).
    let mut parents: Vec<Vec<ValueId>> = vec![Vec::new(); n];
    let mut children: Vec<Vec<ValueId>> = vec![Vec::new(); n];
    for id in 0..n {
        if !activity.varied[id] || (element(body, id).is_none() && reduction(body, id).is_none()) {
            continue;
        }
        for (operand, role) in operands(body, id) {
            let fusable = role == Role::Full
                && activity.varied[operand]
                && region[operand].is_some()
                && region[operand] == region[id]
                && member(body, operand)
                && (uses[operand] == 1 || shared(body, operand, &children))
                && !parents[operand].contains(&id);
            if fusable {
                parents[operand].push(id);
                children[id].push(operand);
            }
        }
    }
    // A shared value some other reader needs stays whole: no chain computes it again.
    for o in 0..n {
        let covered: usize = parents[o]
            .iter()
            .map(|&p| {
                operands(body, p)
                    .iter()
                    .filter(|&&(v, r)| v == o && r == Role::Full)
                    .count()
            })
            .sum();
        if !parents[o].is_empty() && covered != uses[o] {
            for p in std::mem::take(&mut parents[o]) {
                children[p].retain(|&c| c != o);
            }
        }
    }
    let roots: Vec<ValueId> = (0..n)
        .filter(|&id| parents[id].is_empty() && !children[id].is_empty())
        .collect();
    let mut fused: Vec<(ValueId, Kind)> = Vec::new();
    let mut in_fused = HashSet::new();
    for root in roots {
        let members = chain(root, &children);
        // A reduction's operand is a matrix: so is every member then.
        let typed = reduction(body, root).is_some()
            || members.iter().any(|&m| element(body, m) == Some(true));
        if typed && !scalar::reads_mutable(body, &members) {
            fused.push((root, scalar::build(body, &members, &activity, names)));
            in_fused.extend(members);
        }
    }
    // A member leaves the steps once every chain that reads it computes it itself.
    let retired: HashSet<ValueId> = (0..n)
        .filter(|&m| !parents[m].is_empty() && parents[m].iter().all(|p| in_fused.contains(p)))
        .collect();
    for &m in &retired {
        retire(body, m);
    }
    for (root, kind) in fused {
        body.values[root].kind = kind;
    }
    drop_retired(&mut body.steps, &retired);
    !retired.is_empty()
}

/// Whether a value read by several chains can be computed again in each (never stored): a
/// broadcast or entry-wise product or quotient of values none of which it fuses, so each
/// chain pays one operation per entry for a buffer written once and read by every chain.
fn shared(body: &Body, id: ValueId, children: &[Vec<ValueId>]) -> bool {
    let cheap = matches!(
        &body.values[id].kind,
        Kind::Op {
            op: Op::BroadcastAdd
                | Op::BroadcastSub
                | Op::BroadcastMul
                | Op::BroadcastDiv
                | Op::ComponentMul
                | Op::ComponentDiv,
            ..
        }
    );
    cheap && children[id].is_empty()
}

/// Whether the value is an element-wise operation: `Some(true)` when it is whatever its
/// operands' types, `Some(false)` when it is only if an operand is a matrix (`+`, `-`, unary
/// `-`, `/`), `None` when it is not one.
fn element(body: &Body, id: ValueId) -> Option<bool> {
    match (&body.values[id].kind, plain_op(body, id)) {
        (
            _,
            Some(
                Op::ComponentMul
                | Op::ComponentDiv
                | Op::BroadcastAdd
                | Op::BroadcastSub
                | Op::BroadcastMul
                | Op::BroadcastDiv,
            ),
        ) => Some(true),
        (_, Some(Op::Add | Op::Sub | Op::Neg | Op::Div)) => Some(false),
        (Kind::Map { scalar, .. }, _) if scalar::inlinable(scalar) => Some(true),
        _ => None,
    }
}

/// The reduction a value is, if it is one a chain can end in: a sum or mean of all entries
/// or along one axis.
fn reduction(body: &Body, id: ValueId) -> Option<Op> {
    plain_op(body, id).filter(|op| {
        matches!(
            op,
            Op::Sum | Op::Mean | Op::RowSum | Op::RowMean | Op::ColumnSum | Op::ColumnMean
        )
    })
}

/// The operation of a value computed by one, taken as written (no `?` or `.expect(..)`),
/// with no extra arguments.
fn plain_op(body: &Body, id: ValueId) -> Option<Op> {
    match &body.values[id].kind {
        Kind::Op {
            op,
            extras,
            completion: Completion::Plain,
            ..
        } if extras.is_empty() => Some(*op),
        _ => None,
    }
}

/// Whether the value can be fused into the member that reads it: an element-wise operation
/// that no statement changes (not `mut`).
fn member(body: &Body, id: ValueId) -> bool {
    element(body, id).is_some() && !body.values[id].mutable && !body.is_exit(id)
}

/// The operands of an element-wise value and how each meets its entries.
pub(crate) fn operands(body: &Body, id: ValueId) -> Vec<(ValueId, Role)> {
    match &body.values[id].kind {
        Kind::Op { op, inputs, .. } => match (op, inputs.as_slice()) {
            (Op::BroadcastAdd | Op::BroadcastSub | Op::BroadcastMul | Op::BroadcastDiv, [x, r]) => {
                vec![(*x, Role::Full), (*r, Role::Broadcast)]
            }
            (Op::Div, [x, s]) => vec![(*x, Role::Full), (*s, Role::Scalar)],
            _ => inputs.iter().map(|&i| (i, Role::Full)).collect(),
        },
        Kind::Map { input, second, .. } => std::iter::once(*input)
            .chain(*second)
            .map(|i| (i, Role::Full))
            .collect(),
        _ => Vec::new(),
    }
}

/// The members of the chain under `root`, each once and after the members it reads (`root`
/// last).
fn chain(root: ValueId, children: &[Vec<ValueId>]) -> Vec<ValueId> {
    fn visit(id: ValueId, children: &[Vec<ValueId>], out: &mut Vec<ValueId>) {
        if out.contains(&id) {
            return;
        }
        for &c in &children[id] {
            visit(c, children, out);
        }
        out.push(id);
    }
    let mut members = Vec::new();
    visit(root, children, &mut members);
    members
}

/// How many times each value is read: as an operand, by a constant's expression, a
/// closure, a statement, a region, or after the sweeps.
fn use_counts(body: &Body, activity: &Activity) -> Vec<usize> {
    let mut uses = vec![0usize; body.values.len()];
    for (id, v) in body.values.iter().enumerate() {
        let mut read = v.kind.kernel_reads();
        if !matches!(
            v.kind,
            Kind::Op { .. } | Kind::Map { .. } | Kind::Call { .. }
        ) {
            read.extend(v.kind.inputs());
        }
        match &v.kind {
            Kind::Map { scalar, .. } | Kind::Fused { scalar, .. } => read.extend(&scalar.captures),
            Kind::Project { reads, .. } => read.extend(reads),
            Kind::Bound { from: Some(f), .. } => read.push(*f),
            _ => {}
        }
        if !activity.varied[id] {
            read.extend(&v.mentions);
        }
        if let Some(crate::ir::Source::Compound { prev, .. }) = &v.source {
            read.push(*prev);
        }
        read.into_iter().for_each(|r| uses[r] += 1);
    }
    let mut add = |r: ValueId| uses[r] += 1;
    crate::ir::walk::regions(&body.steps, &mut |s| match s {
        Step::Value(_) => {}
        Step::Effect(e) => {
            e.reads.iter().chain(&e.mentions).for_each(|&r| add(r));
            e.versions.iter().for_each(|v| add(v.0));
        }
        Step::Destructure(d) => add(d.init),
        Step::Loop(l) => {
            add(l.iter);
            l.carried.iter().for_each(|c| {
                add(c.init);
                add(c.next);
            });
        }
        Step::Branch(b) => {
            match &b.head {
                crate::ir::Head::If { cond } => add(*cond),
                crate::ir::Head::IfLet { scrutinee, .. }
                | crate::ir::Head::Match { scrutinee, .. } => add(*scrutinee),
                crate::ir::Head::Cfg { .. } => {}
            }
            b.arms.iter().flat_map(|a| &a.from).for_each(|&f| add(f));
        }
    });
    body.output.iter().chain(&body.kept).for_each(|&o| add(o));
    uses
}

/// The step list (numbered in walking order) each value computed by a step is in.
fn regions(body: &Body) -> Vec<Option<usize>> {
    fn walk(steps: &[Step], next: &mut usize, out: &mut Vec<Option<usize>>) {
        let here = *next;
        *next += 1;
        for s in steps {
            match s {
                Step::Value(id) => out[*id] = Some(here),
                Step::Loop(l) => walk(&l.body, next, out),
                Step::Branch(b) => b.arms.iter().for_each(|a| walk(&a.body, next, out)),
                _ => {}
            }
        }
    }
    let mut out = vec![None; body.values.len()];
    walk(&body.steps, &mut 0, &mut out);
    out
}

/// A member fused into its chain's root: nothing computes or reads it any more.
fn retire(body: &mut Body, id: ValueId) {
    let v = &mut body.values[id];
    v.kind = Kind::Opaque {
        inputs: Vec::new(),
        unsupported: None,
    };
    v.mentions.clear();
    v.source = None;
    v.named = false;
}

/// The steps without the retired members'.
fn drop_retired(steps: &mut Vec<Step>, retired: &HashSet<ValueId>) {
    steps.retain(|s| !matches!(s, Step::Value(id) if retired.contains(id)));
    for s in steps.iter_mut() {
        match s {
            Step::Loop(l) => drop_retired(&mut l.body, retired),
            Step::Branch(b) => b
                .arms
                .iter_mut()
                .for_each(|a| drop_retired(&mut a.body, retired)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;

/// The lanes' roles and values, for tests.
#[cfg(test)]
pub(crate) fn lanes_of(body: &Body, id: ValueId) -> Option<Vec<(String, Role)>> {
    match &body.values[id].kind {
        Kind::Fused { lanes, .. } => Some(
            lanes
                .iter()
                .map(|l: &crate::ir::Lane| (body.values[l.value].name.to_string(), l.role))
                .collect(),
        ),
        _ => None,
    }
}
