//! A chain's scalar function: each member's operation on one entry of its operands, a
//! `map` closure's body inlined.

use super::operands;
use crate::analysis::Activity;
use crate::ir::{Body, Completion, Kind, Lane, Role, ScalarFn, Source, Step, Value, ValueId};
use crate::names::Names;
use crate::ops::Op;
use proc_macro2::Span;
use std::collections::HashMap;
use syn::Ident;

/// Whether a `map` closure can be inlined into a chain: straight-line, of operations,
/// expressions kept as written and captured values only.
pub(super) fn inlinable(scalar: &ScalarFn) -> bool {
    scalar.errors.is_empty()
        && scalar.body.output.is_some()
        && scalar
            .body
            .steps
            .iter()
            .all(|s| matches!(s, Step::Value(_)))
        && scalar.body.values.iter().all(|v| {
            matches!(
                v.kind,
                Kind::Param { .. }
                    | Kind::Op { .. }
                    | Kind::Opaque { .. }
                    | Kind::Bound { from: None, .. }
            )
        })
}

/// Whether the chain reads a value that a statement may change in place between a member
/// and the root (a `mut` variable): then it is not fused.
pub(super) fn reads_mutable(body: &Body, members: &[ValueId]) -> bool {
    let versioned: Vec<ValueId> = body
        .values
        .iter()
        .filter_map(|v| match v.kind {
            Kind::Version { of } => Some(of),
            _ => None,
        })
        .collect();
    members.iter().any(|&m| {
        let captures = match &body.values[m].kind {
            Kind::Map { scalar, .. } => scalar.captures.clone(),
            _ => Vec::new(),
        };
        operands(body, m)
            .into_iter()
            .map(|(v, _)| v)
            .chain(captures)
            .any(|v| body.values[v].mutable || versioned.contains(&v))
    })
}

/// The [`Kind::Fused`] value of the chain `members` (each after the members it reads, the
/// root last).
pub(super) fn build(
    body: &Body,
    members: &[ValueId],
    activity: &Activity,
    names: &mut Names,
) -> Kind {
    let root = *members.last().expect("a chain has a root");
    let mut b = Builder {
        body,
        activity,
        names,
        lanes: Vec::new(),
        params: Vec::new(),
        values: Vec::new(),
        steps: Vec::new(),
        captured: Vec::new(),
        captures: Vec::new(),
        result: HashMap::new(),
    };
    let reduce = super::reduction(body, root);
    let mut ops = Vec::new();
    for &m in members {
        let (inner, op) = match reduce {
            Some(r) if m == root => {
                let operand = operands(body, m)[0].0;
                (b.result[&operand], r.spec().kernel)
            }
            _ => b.member(m),
        };
        b.result.insert(m, inner);
        ops.push(op);
    }
    let span = body.values[root].span;
    let scalar = ScalarFn {
        param: b.values[b.params[0]].name.clone(),
        second: None,
        body: Body {
            values: b.values,
            steps: b.steps,
            output: Some(b.result[&root]),
            captured: b.captured,
            kept: Vec::new(),
        },
        captures: b.captures,
        span,
        errors: Vec::new(),
    };
    Kind::Fused {
        lanes: b.lanes,
        scalar: Box::new(scalar),
        reduce,
        ops,
    }
}

struct Builder<'a> {
    body: &'a Body,
    activity: &'a Activity,
    names: &'a mut Names,
    lanes: Vec<Lane>,
    /// Each lane's parameter in the scalar body.
    params: Vec<ValueId>,
    values: Vec<Value>,
    steps: Vec<Step>,
    captured: Vec<ValueId>,
    captures: Vec<ValueId>,
    /// Each member's value in the scalar body.
    result: HashMap<ValueId, ValueId>,
}

impl Builder<'_> {
    fn push(&mut self, v: Value) -> ValueId {
        self.values.push(v);
        self.values.len() - 1
    }

    /// The member `m` in the scalar body, and its operation's name.
    fn member(&mut self, m: ValueId) -> (ValueId, &'static str) {
        let v = &self.body.values[m];
        let inputs: Vec<ValueId> = operands(self.body, m)
            .into_iter()
            .map(|(o, role)| self.operand(o, role, m))
            .collect();
        match &v.kind {
            Kind::Op { op, .. } => {
                let scalar = match op {
                    Op::ComponentMul | Op::BroadcastMul => Op::Mul,
                    Op::ComponentDiv | Op::BroadcastDiv | Op::Div => Op::Div,
                    Op::BroadcastAdd | Op::Add => Op::Add,
                    Op::BroadcastSub | Op::Sub => Op::Sub,
                    other => *other,
                };
                (self.op(scalar, &inputs, v.span), op.spec().kernel)
            }
            Kind::Map { scalar, .. } => (self.inline(scalar, &inputs), "map"),
            _ => unreachable!("only element-wise values are members"),
        }
    }

    /// The scalar body's value for the operand `o` of member `m`: a member's value, or the
    /// parameter of the lane `(o, role)` (one lane for every reading of a value in one role).
    fn operand(&mut self, o: ValueId, role: Role, m: ValueId) -> ValueId {
        if let Some(&r) = self.result.get(&o) {
            return r;
        }
        if let Some(k) = self
            .lanes
            .iter()
            .position(|l| l.value == o && l.role == role)
        {
            return self.params[k];
        }
        let span = self.body.values[o].span;
        let op = match &self.body.values[m].kind {
            Kind::Op { op, .. } => op.spec().kernel,
            _ => "map",
        };
        let name = self.names.fresh("__lane", span);
        let mut p = Value::new(
            Kind::Param {
                by_ref: false,
                differentiated: self.activity.varied[o],
                structured: false,
            },
            name,
            span,
        );
        p.named = true;
        let id = self.push(p);
        self.lanes.push(Lane { value: o, role, op });
        self.params.push(id);
        id
    }

    /// `op` on scalar operands. It has no source: computed by its kernel even where its
    /// operands are constants (a closure that ignores its parameter), which are then bound.
    fn op(&mut self, op: Op, inputs: &[ValueId], span: Span) -> ValueId {
        let name = self.names.fresh("__entry", span);
        let v = Value::new(
            Kind::Op {
                op,
                inputs: inputs.to_vec(),
                extras: Vec::new(),
                completion: Completion::Plain,
            },
            name,
            span,
        );
        let id = self.push(v);
        self.steps.push(Step::Value(id));
        id
    }

    /// A `map` closure's body with its parameters bound to `inputs`: its values copied (the
    /// parameters as copies of the operands, under fresh names the copied expressions are
    /// renamed to), its captured values captured by the chain.
    fn inline(&mut self, scalar: &ScalarFn, inputs: &[ValueId]) -> ValueId {
        let offset = self.values.len();
        let mut renames: HashMap<String, Ident> = HashMap::new();
        let mut params = inputs.iter();
        for v in &scalar.body.values {
            let mut copy = v.clone();
            if let Kind::Param { .. } = v.kind {
                let input = *params.next().expect("a parameter per operand");
                let fresh = self.names.fresh(&v.name.to_string(), v.span);
                renames.insert(v.name.to_string(), fresh.clone());
                copy = Value::new(
                    Kind::Op {
                        op: Op::Identity,
                        inputs: vec![input],
                        extras: Vec::new(),
                        completion: Completion::Plain,
                    },
                    fresh,
                    v.span,
                );
                // Always bound: the copied expressions name it.
                copy.named = true;
            }
            self.values.push(copy);
        }
        let resolve = |n: &str| renames.get(n).cloned();
        for (i, v) in scalar.body.values.iter().enumerate() {
            if let Kind::Param { .. } = v.kind {
                continue;
            }
            let copy = &mut self.values[offset + i];
            shift(&mut copy.kind, offset);
            copy.mentions = v.mentions.iter().map(|m| m + offset).collect();
            copy.source = match &v.source {
                Some(Source::Expr(e)) => {
                    Some(Source::Expr(crate::lower::rename::rename(e, &resolve).out))
                }
                Some(Source::Compound { prev, op, rhs }) => Some(Source::Compound {
                    prev: prev + offset,
                    op: *op,
                    rhs: crate::lower::rename::rename(rhs, &resolve).out,
                }),
                None => None,
            };
        }
        for (i, v) in scalar.body.values.iter().enumerate() {
            if let Kind::Param { .. } = v.kind {
                self.steps.push(Step::Value(offset + i));
            }
        }
        for s in &scalar.body.steps {
            if let Step::Value(id) = s {
                self.steps.push(Step::Value(id + offset));
            }
        }
        self.captured
            .extend(scalar.body.captured.iter().map(|c| c + offset));
        self.captures.extend(&scalar.captures);
        scalar.body.output.map_or(offset, |o| o + offset)
    }
}

/// The value ids a copied kind names, moved by `offset`.
fn shift(kind: &mut Kind, offset: usize) {
    let completion = |c: &mut Completion| match c {
        Completion::Expect(v) | Completion::TryOr(v) => *v += offset,
        _ => {}
    };
    match kind {
        Kind::Op {
            inputs,
            extras,
            completion: c,
            ..
        } => {
            inputs.iter_mut().chain(extras).for_each(|i| *i += offset);
            completion(c);
        }
        Kind::Opaque { inputs, .. } => inputs.iter_mut().for_each(|i| *i += offset),
        Kind::Bound { from: Some(f), .. } => *f += offset,
        _ => {}
    }
}
