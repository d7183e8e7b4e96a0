//! Walks over the regions of the IR.

use super::{Body, Head, Kind, Loop, Step, ValueId};
use std::collections::HashSet;

/// Calls `f` on every step, entering loops and branches (outer steps first).
pub fn regions<'a>(steps: &'a [Step], f: &mut dyn FnMut(&'a Step)) {
    for s in steps {
        f(s);
        match s {
            Step::Loop(l) => regions(&l.body, f),
            Step::Branch(b) => b.arms.iter().for_each(|a| regions(&a.body, f)),
            _ => {}
        }
    }
}

/// The values a step list defines at its own level (not inside nested regions' bodies).
pub fn defined_at(body: &Body, steps: &[Step]) -> Vec<ValueId> {
    let mut out = Vec::new();
    for s in steps {
        match s {
            Step::Value(id) => {
                out.push(*id);
                if let Kind::Call { pullback, .. } = &body.values[*id].kind {
                    out.push(*pullback);
                }
            }
            Step::Effect(e) => out.extend(e.versions.iter().map(|v| v.1)),
            Step::Destructure(d) => out.extend(&d.bound),
            Step::Loop(l) => {
                out.push(l.iters);
                out.push(l.tape);
                out.extend(l.carried.iter().map(|c| c.out));
            }
            Step::Branch(b) => {
                match b.head {
                    // One arm is compiled; both arms' saves are one binding.
                    super::Head::Cfg { .. } => out.push(b.arms[0].save),
                    _ => out.extend(b.arms.iter().map(|a| a.save)),
                }
                out.extend(&b.merged);
            }
        }
    }
    out
}

/// Every value a step list defines, in nested regions too, with the loops' carried and
/// pattern values and the branches' pattern values.
pub fn defined_within(body: &Body, steps: &[Step], out: &mut HashSet<ValueId>) {
    out.extend(defined_at(body, steps));
    for step in steps {
        match step {
            Step::Loop(l) => defined_in_loop(body, l, out),
            Step::Branch(b) => {
                for a in &b.arms {
                    out.extend(&a.bound);
                    defined_within(body, &a.body, out);
                }
            }
            _ => {}
        }
    }
}

/// Every value a loop's iterations define: its body's, its carried and its pattern values.
pub fn defined_in_loop(body: &Body, l: &Loop, out: &mut HashSet<ValueId>) {
    out.extend(l.carried.iter().map(|c| c.phi));
    out.extend(&l.pat_values);
    defined_within(body, &l.body, out);
}

/// Every value a step list reads, in nested regions too: operands and what the user's
/// expressions mention, effects' reads, loop ranges and carried variables' initial and next
/// values, branch heads and arms' values.
pub fn read_within(body: &Body, steps: &[Step], out: &mut HashSet<ValueId>) {
    for step in steps {
        match step {
            Step::Value(id) => value_reads(body, *id, out),
            Step::Effect(e) => {
                out.extend(e.reads.iter().chain(&e.mentions));
                out.extend(e.versions.iter().map(|v| v.0));
            }
            Step::Destructure(d) => value_reads(body, d.init, out),
            Step::Loop(l) => {
                value_reads(body, l.iter, out);
                out.extend(l.carried.iter().flat_map(|c| [c.init, c.next]));
                read_within(body, &l.body, out);
            }
            Step::Branch(b) => {
                match &b.head {
                    Head::If { cond } => value_reads(body, *cond, out),
                    Head::IfLet { scrutinee, .. } | Head::Match { scrutinee, .. } => {
                        value_reads(body, *scrutinee, out)
                    }
                    Head::Cfg { .. } => {}
                }
                for a in &b.arms {
                    out.extend(&a.from);
                    read_within(body, &a.body, out);
                }
            }
        }
    }
}

/// A value and everything its computation reads.
fn value_reads(body: &Body, id: ValueId, out: &mut HashSet<ValueId>) {
    let v = &body.values[id];
    out.insert(id);
    out.extend(&v.mentions);
    out.extend(v.kind.inputs());
    out.extend(v.kind.kernel_reads());
    match &v.kind {
        Kind::Map { scalar, .. } => out.extend(&scalar.captures),
        Kind::Project { reads, .. } => out.extend(reads),
        _ => {}
    }
    if let Some(super::Source::Compound { prev, .. }) = &v.source {
        out.insert(*prev);
    }
}

/// The values a checkpointed loop's replay reads from before the loop: what its iterations
/// read and do not define themselves.
pub fn replay_reads(body: &Body, l: &Loop) -> HashSet<ValueId> {
    let mut read = HashSet::new();
    read_within(body, &l.body, &mut read);
    let mut inside = HashSet::new();
    defined_in_loop(body, l, &mut inside);
    read.retain(|id| !inside.contains(id));
    read
}
