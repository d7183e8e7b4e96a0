//! `#[cfg]` branches: where the statement is configured out, a variable it changes keeps its
//! own binding, of the user's own type (a reference stays a reference), rather than a copy.

use super::needed::Needed;
use crate::ir::{defined_within, walk, Body, Head, Step, ValueId};
use std::collections::HashSet;

/// Renames each merged value of a `#[cfg]` branch after the binding its configured-out arm
/// passes through, where that is safe: the passed-through value is defined before the branch
/// and is not a parameter, and the reverse sweep does not read it (the other arm's binding of the same name shadows
/// it from the branch on).
///
/// Invariant: afterwards, a merged value and its configured-out arm's value share a name only
/// when nothing reads the latter after the branch.
pub fn cfg_aliases(body: &mut Body, needed: &Needed) {
    let mut renames: Vec<(ValueId, ValueId)> = Vec::new();
    walk::regions(&body.steps, &mut |s| {
        let Step::Branch(b) = s else { return };
        if !matches!(b.head, Head::Cfg { .. }) {
            return;
        }
        let out_arm = &b.arms[1];
        let mut inside = HashSet::new();
        defined_within(body, &out_arm.body, &mut inside);
        for (k, &m) in b.merged.iter().enumerate() {
            let f = out_arm.from[k];
            // A parameter's binding is read at the end (its gradient), so it stays visible.
            let param = matches!(body.values[f].kind, crate::ir::Kind::Param { .. });
            if !inside.contains(&f) && !needed.needed[f] && !param {
                renames.push((m, f));
            }
        }
    });
    for (m, f) in renames {
        body.values[m].name = body.values[f].name.clone();
    }
}
