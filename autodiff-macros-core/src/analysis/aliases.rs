//! `#[cfg]` branches: where the statement is configured out, a variable it changes keeps its
//! own binding, of the user's own type (a reference stays a reference), rather than a copy.

use super::needed::Needed;
use crate::ir::{defined_at, walk, Body, Head, Step, ValueId};
use std::collections::HashSet;

/// Renames each merged value of a `#[cfg]` branch after the binding its configured-out arm
/// passes through, where that is safe: the passed-through value is defined before the branch
/// in the same block (not in an enclosing one: a loop's carried variable is updated by
/// assignment at the end of the body, which a shadowing `let` would hide), is not a
/// parameter, and the reverse sweep does not read it (the other arm's binding of the same
/// name shadows it from the branch on); and no user expression kept as text names the merged
/// value (a condition, a constant, a statement kept as written: their tokens hold the name
/// given at lowering).
///
/// Invariant: afterwards, a merged value and its configured-out arm's value share a name only
/// when both are bound in the same block, nothing reads the latter after the branch and no
/// kept text names the former.
pub fn cfg_aliases(body: &mut Body, needed: &Needed) {
    let mut renames: Vec<(ValueId, ValueId)> = Vec::new();
    aliases_in(body, &body.steps, needed, &mut renames);
    let named = named_in_text(body);
    renames.retain(|(m, _)| !named.contains(m));
    for (m, f) in renames {
        body.values[m].name = body.values[f].name.clone();
    }
}

/// The renames of [`cfg_aliases`] for the `#[cfg]` branches of one block and, recursively,
/// of the blocks nested in it.
fn aliases_in(body: &Body, steps: &[Step], needed: &Needed, out: &mut Vec<(ValueId, ValueId)>) {
    for (i, s) in steps.iter().enumerate() {
        match s {
            Step::Loop(l) => aliases_in(body, &l.body, needed, out),
            Step::Branch(b) => {
                b.arms
                    .iter()
                    .for_each(|a| aliases_in(body, &a.body, needed, out));
                if !matches!(b.head, Head::Cfg { .. }) {
                    continue;
                }
                let before: HashSet<ValueId> = defined_at(body, &steps[..i]).into_iter().collect();
                for (k, &m) in b.merged.iter().enumerate() {
                    let f = b.arms[1].from[k];
                    // A parameter's binding is read at the end (its gradient), so it stays
                    // visible.
                    let param = matches!(body.values[f].kind, crate::ir::Kind::Param { .. });
                    if before.contains(&f) && !needed.needed[f] && !param {
                        out.push((m, f));
                    }
                }
            }
            _ => {}
        }
    }
}

/// The values that some kept user text (a value's source expression, an effect's tokens)
/// names.
fn named_in_text(body: &Body) -> HashSet<ValueId> {
    let mut named: HashSet<ValueId> = body
        .values
        .iter()
        .flat_map(|v| v.mentions.iter().copied())
        .collect();
    walk::regions(&body.steps, &mut |s| {
        if let Step::Effect(e) = s {
            named.extend(&e.mentions);
        }
    });
    named
}
