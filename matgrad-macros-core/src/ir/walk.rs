//! Walks over the regions of the IR.

use super::{Body, Kind, Loop, Step, ValueId};
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
