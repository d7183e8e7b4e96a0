//! Buffer reuse: which values the forward sweep may move into the one operation that reads
//! them (the result is computed in their buffer), and which the reverse sweep may move into
//! their last reader (`‖r‖²`'s `r̄ = 2ḡ·r` written over `r`).

use super::activity::Activity;
use super::bindings::Bindings;
use super::needed::Needed;
use crate::ir::{defined_at, Body, Head, Kind, Step, ValueId};

/// Invariant: a `consumable` value is a temporary computed by a kernel, read exactly once,
/// by an operation of its own region, not by the reverse sweep nor by anything kept as
/// written; a `consumed` value likewise has one reader in the reverse sweep, a pullback that
/// can take it by value, and nothing else reads it after the forward sweep.
pub struct Reuse {
    pub consumable: Vec<bool>,
    pub consumed: Vec<bool>,
    /// Named by code kept as the user wrote it, read from another region, or otherwise
    /// bound to stay where it is: never moved by the generated code's own choice.
    pub pinned: Vec<bool>,
}

impl Reuse {
    /// `owned`: the sweeps run in one function body that owns every value (`_grad`), so the
    /// reverse sweep may move values; a pullback closure may run again and only borrows.
    pub fn of(
        body: &Body,
        activity: &Activity,
        bindings: &Bindings,
        needed: &Needed,
        owned: bool,
    ) -> Reuse {
        let (consumable, pinned) = consumable(body, bindings, needed);
        let consumed = if owned {
            consumed_by_reverse(body, activity, needed)
        } else {
            vec![false; body.values.len()]
        };
        Reuse {
            consumable,
            consumed,
            pinned,
        }
    }
}

/// Reads counted per value, and the values pinned (read by name, or from another region).
struct Reads {
    uses: Vec<usize>,
    pinned: Vec<bool>,
    region: Vec<usize>,
    regions: usize,
}

impl Reads {
    fn read(&mut self, id: ValueId, here: usize) {
        self.uses[id] += 1;
        if self.region[id] != here {
            self.pinned[id] = true;
        }
    }

    fn pin(&mut self, ids: impl IntoIterator<Item = ValueId>) {
        for i in ids {
            self.pinned[i] = true;
        }
    }

    fn walk(&mut self, body: &Body, bindings: &Bindings, steps: &[Step], here: usize) {
        for id in defined_at(body, steps) {
            self.region[id] = here;
        }
        for step in steps {
            match step {
                Step::Value(id) => self.value(body, bindings, *id, here),
                Step::Effect(e) => self.pin(e.mentions.iter().copied()),
                Step::Destructure(d) => self.pin(body.values[d.init].mentions.iter().copied()),
                Step::Loop(l) => {
                    self.pin(body.values[l.iter].mentions.iter().copied());
                    self.regions += 1;
                    let inner = self.regions;
                    for c in &l.carried {
                        self.pin([c.init, c.next, c.phi]);
                        self.region[c.phi] = inner;
                    }
                    for &p in &l.pat_values {
                        self.region[p] = inner;
                    }
                    self.walk(body, bindings, &l.body, inner);
                }
                Step::Branch(b) => {
                    match &b.head {
                        Head::If { cond } => self.pin(body.values[*cond].mentions.iter().copied()),
                        Head::IfLet { scrutinee, .. } | Head::Match { scrutinee, .. } => {
                            self.pin(body.values[*scrutinee].mentions.iter().copied())
                        }
                        Head::Cfg { .. } => {}
                    }
                    for a in &b.arms {
                        self.pin(a.from.iter().copied());
                        self.regions += 1;
                        let inner = self.regions;
                        for &p in &a.bound {
                            self.region[p] = inner;
                        }
                        self.walk(body, bindings, &a.body, inner);
                    }
                }
            }
        }
    }

    fn value(&mut self, body: &Body, bindings: &Bindings, id: ValueId, here: usize) {
        let v = &body.values[id];
        if !bindings.by_kernel[id] {
            // Evaluated from the user's expression: what it names must still be there.
            self.pin(v.mentions.iter().copied());
            if let Kind::Opaque { inputs, .. } = &v.kind {
                self.pin(inputs.iter().copied());
            }
            return;
        }
        match &v.kind {
            Kind::Op {
                inputs,
                extras,
                completion,
                ..
            } => {
                for &i in inputs {
                    self.read(i, here);
                }
                self.pin(extras.iter().copied().chain(completion.reads()));
            }
            Kind::Map {
                input,
                second,
                scalar,
                ..
            } => {
                self.read(*input, here);
                self.pin(scalar.captures.iter().copied().chain(*second));
            }
            Kind::Call {
                args, completion, ..
            } => self.pin(args.iter().map(|a| a.value).chain(completion.reads())),
            _ => {}
        }
    }
}

/// Which values the forward sweep may move into the one operation that reads them, and
/// which are pinned.
fn consumable(body: &Body, bindings: &Bindings, needed: &Needed) -> (Vec<bool>, Vec<bool>) {
    let n = body.values.len();
    let mut r = Reads {
        uses: vec![0; n],
        pinned: vec![false; n],
        region: vec![usize::MAX; n],
        regions: 0,
    };
    r.walk(body, bindings, &body.steps, 0);
    for v in &body.values {
        if let Kind::Version { of } = v.kind {
            r.pinned[of] = true;
        }
    }
    let consumable = (0..n)
        .map(|id| {
            let v = &body.values[id];
            r.uses[id] == 1
                && !r.pinned[id]
                && !needed.needed[id]
                && !body.is_exit(id)
                && !v.mutable
                && bindings.by_kernel[id]
                && matches!(v.kind, Kind::Op { .. } | Kind::Map { .. })
        })
        .collect();
    (consumable, r.pinned)
}

/// Which values the reverse sweep may move into their last reader: top-level temporaries
/// whose only reader in the reverse sweep is a pullback that can reuse their buffer.
fn consumed_by_reverse(body: &Body, activity: &Activity, needed: &Needed) -> Vec<bool> {
    let n = body.values.len();
    let mut reads = vec![0usize; n];
    let mut pinned = vec![false; n];
    for id in (0..n).filter(|&id| activity.active(id)) {
        match &body.values[id].kind {
            Kind::Op {
                op, inputs, extras, ..
            } if op.spec().pullback == crate::ops::Pullback::Kernel => {
                inputs.iter().for_each(|&i| reads[i] += 1);
                extras.iter().for_each(|&e| pinned[e] = true);
                if op.pullback_reads_result() {
                    reads[id] += 1;
                }
            }
            Kind::Map {
                input,
                second,
                scalar,
                ..
            } => {
                reads[*input] += 1;
                reads[id] += 1;
                scalar
                    .captures
                    .iter()
                    .chain(second)
                    .for_each(|&c| pinned[c] = true);
            }
            Kind::Call { pullback, args, .. } => {
                pinned[id] = true;
                pinned[*pullback] = true;
                args.iter().for_each(|a| pinned[a.value] = true);
            }
            _ => {}
        }
    }
    for (id, v) in body.values.iter().enumerate() {
        pinned[id] |= needed.replayed[id];
        if needed.recomputed[id] {
            v.mentions.iter().for_each(|&m| pinned[m] = true);
        }
        if let Kind::Version { of } = v.kind {
            pinned[of] = true;
        }
    }
    for l in body.loops() {
        l.carried.iter().for_each(|c| pinned[c.init] = true);
    }
    for b in body.branches() {
        b.arms
            .iter()
            .flat_map(|a| &a.from)
            .for_each(|&f| pinned[f] = true);
    }
    for (id, &w) in needed.witness.iter().enumerate() {
        if w != id {
            pinned[w] = true;
        }
    }
    let mut consumed = vec![false; n];
    for step in &body.steps {
        let Step::Value(id) = step else { continue };
        let Kind::Op { op, inputs, .. } = &body.values[*id].kind else {
            continue;
        };
        if let ([x], true) = (inputs.as_slice(), op.spec().reuse.pullback_x) {
            let v = &body.values[*x];
            consumed[*x] = activity.active(*id)
                && activity.active(*x)
                && reads[*x] == 1
                && !pinned[*x]
                && !body.is_exit(*x)
                && !v.mutable
                && !needed.snapshot[*x]
                && matches!(v.kind, Kind::Op { .. } | Kind::Map { .. });
        }
    }
    consumed
}
