//! What the reverse sweep reads: the values its pullbacks take (kept by the forward sweep,
//! on a loop's tape or in a branch's save), and a value of the same type for each adjoint
//! slot (its *witness*).

use super::activity::Activity;
use super::bindings::Bindings;
use crate::ir::{walk, Body, Kind, Step, ValueId};
use crate::ops::Pullback;
use std::collections::HashSet;

/// Invariant: the reverse sweep names a value only if it is `needed`; a needed value that is
/// `recomputed` is evaluated again by the reverse sweep (so that a pullback closure holds no
/// borrow), and every value its expression mentions is needed too.
pub struct Needed {
    pub needed: Vec<bool>,
    /// Evaluated again in the reverse sweep: borrowed constants and loop ranges.
    pub recomputed: Vec<bool>,
    /// A value of the same type as each value, kept anyway, to declare its adjoint slot.
    pub witness: Vec<ValueId>,
    /// Constants the reverse sweep reads that a later kept statement may change in place
    /// (`v.fill(0.0)`): copied just before that statement.
    pub snapshot: Vec<bool>,
    /// Kept whole until the reverse sweep of a loop reads it (never moved into a pullback):
    /// what a checkpointed loop's replay reads from before the loop, and a loop's value after
    /// it that stands for its last iteration's next value of a `shifted` variable.
    pub replayed: Vec<bool>,
    /// A carried variable's next value that the tape does not keep, since the next
    /// iteration's saved start value is the same value (or, for the last iteration, the
    /// value after the loop): the reverse sweep reads it from there.
    pub shifted: Vec<bool>,
}

impl Needed {
    /// Nothing needed: the tables of a forward sweep that no reverse sweep follows.
    pub fn none(body: &Body) -> Needed {
        let n = body.values.len();
        Needed {
            needed: vec![false; n],
            recomputed: vec![false; n],
            witness: (0..n).collect(),
            snapshot: vec![false; n],
            replayed: vec![false; n],
            shifted: vec![false; n],
        }
    }

    pub fn of(body: &Body, activity: &Activity, bindings: &Bindings) -> Needed {
        let n = body.values.len();
        let mut needed = read_by_pullbacks(body, activity);
        let mut recomputed = vec![false; n];
        walk::regions(&body.steps, &mut |s| match s {
            Step::Loop(l)
                if l.carried
                    .iter()
                    .any(|c| activity.active(c.out) || activity.active(c.phi)) =>
            {
                needed[l.iters] = true;
                needed[l.tape] = true;
                needed[l.iter] = true;
                recomputed[l.iter] = true;
            }
            Step::Branch(b) if b.merged.iter().any(|&m| activity.active(m)) => {
                b.arms.iter().for_each(|a| needed[a.save] = true);
            }
            _ => {}
        });
        let mut replayed = vec![false; n];
        for l in body.loops() {
            if l.checkpoint && needed[l.tape] {
                for id in crate::ir::replay_reads(body, l) {
                    needed[id] = true;
                    replayed[id] = true;
                }
            }
        }
        for (id, v) in body.values.iter().enumerate() {
            if bindings.reference[id]
                && !matches!(
                    v.kind,
                    Kind::Param { .. } | Kind::Bound { .. } | Kind::Version { .. }
                )
            {
                recomputed[id] = true;
            }
        }
        // What a recomputed value mentions is needed in its place.
        let mut work: Vec<ValueId> = (0..n).filter(|&i| needed[i] && recomputed[i]).collect();
        while let Some(v) = work.pop() {
            for &m in &body.values[v].mentions {
                if !needed[m] {
                    needed[m] = true;
                    if recomputed[m] {
                        work.push(m);
                    }
                }
            }
        }
        let mut snapshot = vec![false; n];
        for e in body.effects() {
            for &(old, _) in &e.versions {
                snapshot[old] |= needed[old] && !activity.varied[old];
            }
        }
        let shifted = shift_carried(
            body,
            bindings,
            &mut needed,
            &recomputed,
            &mut replayed,
            &snapshot,
        );
        let witness = witnesses(body);
        Needed {
            needed,
            recomputed,
            witness,
            snapshot,
            replayed,
            shifted,
        }
    }
}

/// The values the pullbacks of active values read: their operands (a registry operation's
/// extras too), their results where the pullback reads them, a map's captures, a call's
/// pullback and arguments.
fn read_by_pullbacks(body: &Body, activity: &Activity) -> Vec<bool> {
    let n = body.values.len();
    let mut needed = vec![false; n];
    for id in (0..n).filter(|&id| activity.active(id)) {
        match &body.values[id].kind {
            Kind::Op { op, .. } if matches!(op.spec().pullback, Pullback::Pass(_)) => {}
            Kind::Op {
                op, inputs, extras, ..
            } => {
                inputs.iter().chain(extras).for_each(|&i| needed[i] = true);
                if op.pullback_reads_result() {
                    needed[id] = true;
                }
            }
            Kind::Map {
                input,
                second,
                scalar,
                ..
            } => {
                needed[*input] = true;
                second.iter().for_each(|&s| needed[s] = true);
                needed[id] = true;
                scalar.captures.iter().for_each(|&c| needed[c] = true);
            }
            Kind::Call { pullback, args, .. } => {
                // The callee's pullback takes the value (see `codegen::pullback`).
                needed[id] = true;
                needed[*pullback] = true;
                args.iter().for_each(|a| needed[a.value] = true);
            }
            Kind::Project { root, reads, .. } => {
                needed[*root] = true;
                reads.iter().for_each(|&r| needed[r] = true);
            }
            _ => {}
        }
    }
    needed
}

/// The carried variables' next values a loop's tape need not keep: both the start value
/// (phi) and the next value are saved, the next value is defined by the iteration itself,
/// for this variable alone, as an owned value no statement changes in place. The iteration's
/// next value is then the next iteration's start value, and the last one's the value after
/// the loop, which is kept for it (needed, and never moved).
fn shift_carried(
    body: &Body,
    bindings: &Bindings,
    needed: &mut [bool],
    recomputed: &[bool],
    kept: &mut [bool],
    snapshot: &[bool],
) -> Vec<bool> {
    let mut shifted = vec![false; body.values.len()];
    for l in body.loops() {
        let inside: HashSet<ValueId> = crate::ir::defined_at(body, &l.body).into_iter().collect();
        for c in &l.carried {
            let saved = |id: ValueId| needed[id] && !recomputed[id] && !snapshot[id];
            if saved(c.phi)
                && saved(c.next)
                && inside.contains(&c.next)
                && l.carried.iter().filter(|d| d.next == c.next).count() == 1
                && matches!(body.values[c.next].kind, Kind::Op { .. } | Kind::Map { .. })
                && !l.pat_values.contains(&c.next)
                && bindings.bound[c.next]
                && !bindings.reference[c.next]
            {
                shifted[c.next] = true;
                needed[c.out] = true;
                kept[c.out] = true;
            }
        }
    }
    shifted
}

/// A carried variable's next value is typed like its phi, so it need not be kept for its
/// slot.
fn witnesses(body: &Body) -> Vec<ValueId> {
    let mut witness: Vec<ValueId> = (0..body.values.len()).collect();
    for l in body.loops() {
        let inside: HashSet<ValueId> = crate::ir::defined_at(body, &l.body).into_iter().collect();
        for c in &l.carried {
            if inside.contains(&c.next)
                && l.carried.iter().filter(|d| d.next == c.next).count() == 1
            {
                witness[c.next] = c.phi;
            }
        }
    }
    witness
}
