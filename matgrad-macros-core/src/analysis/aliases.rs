//! `#[cfg]` branches: where the statement is configured out, a variable it changes keeps its
//! own binding, of the user's own type (a reference stays a reference), rather than a copy.

use super::Tables;
use crate::ir::{defined_at, walk, Body, Head, Kind, Step, ValueId};
use std::collections::HashSet;

/// The renames (merged value, the value whose name it takes) of each merged value of a
/// `#[cfg]` branch after the binding its configured-out arm passes through, where that is
/// safe (the configured-in arm's binding of the same name shadows the passed-through one
/// from the branch on):
/// - the passed-through value is defined before the branch in the same block (not in an
///   enclosing one: a loop's carried variable is updated by assignment at the end of the
///   body, which a shadowing `let` would hide), and is not a parameter;
/// - nothing reads it after the branch: no later step of the block, not the block's own
///   result (an arm's value of a merged variable, a loop's next value of a carried one, the
///   function's output), not the reverse sweep;
/// - no user expression emitted as text names the merged value (a condition, a constant, a
///   statement kept as written: their tokens hold the name given at lowering; a kernel's
///   operands are named by value);
/// - the merged value is not read by the reverse sweep while the passed-through binding holds
///   a reference (a pullback closure would capture a borrow of the function's arguments).
///
/// Invariant: after [`rename`], a merged value and its configured-out arm's value share a name only
/// when both are bound in the same block, nothing reads the latter after the branch and no
/// kept text names the former.
///
/// Empty where the body has no `#[cfg]` branch or none may alias; [`rename`] applies them.
pub fn cfg_renames(body: &Body, t: &Tables) -> Vec<(ValueId, ValueId)> {
    let mut renames: Vec<(ValueId, ValueId)> = Vec::new();
    let exits: Vec<ValueId> = body.output.into_iter().chain(body.kept.clone()).collect();
    aliases_in(body, &body.steps, &exits, t, &mut renames);
    if renames.is_empty() {
        return renames;
    }
    let named = named_in_text(body, t);
    renames.retain(|(m, _)| !named.contains(m));
    renames
}

/// Gives each merged value of `renames` the name of its configured-out arm's value.
pub fn rename(body: &mut Body, renames: &[(ValueId, ValueId)]) {
    for &(m, f) in renames {
        body.values[m].name = body.values[f].name.clone();
    }
}

/// The renames of [`cfg_renames`] for the `#[cfg]` branches of one block, whose result is
/// `exits`, and, recursively, of the blocks nested in it.
fn aliases_in(
    body: &Body,
    steps: &[Step],
    exits: &[ValueId],
    t: &Tables,
    out: &mut Vec<(ValueId, ValueId)>,
) {
    for (i, s) in steps.iter().enumerate() {
        match s {
            Step::Loop(l) => {
                let next: Vec<ValueId> = l.carried.iter().map(|c| c.next).collect();
                aliases_in(body, &l.body, &next, t, out);
            }
            Step::Branch(b) => {
                for a in &b.arms {
                    aliases_in(body, &a.body, &a.from, t, out);
                }
                if !matches!(b.head, Head::Cfg { .. }) {
                    continue;
                }
                let before: HashSet<ValueId> = defined_at(body, &steps[..i]).into_iter().collect();
                let mut later: HashSet<ValueId> = exits.iter().copied().collect();
                walk::read_within(body, &steps[i + 1..], &mut later);
                for (k, &m) in b.merged.iter().enumerate() {
                    let f = b.arms[1].from[k];
                    let param = matches!(body.values[f].kind, Kind::Param { .. });
                    // A reference the reverse sweep reads would be captured, borrowed, by a
                    // pullback closure: the merged value is a copy instead.
                    let borrowed = t.needed.needed[m] && t.bindings.reference[f];
                    if before.contains(&f)
                        && !later.contains(&f)
                        && !t.needed.needed[f]
                        && !param
                        && !borrowed
                    {
                        out.push((m, f));
                    }
                }
            }
            _ => {}
        }
    }
}

/// The values that some user text emitted as written names: the source expression of a value
/// not computed by a kernel, a `map` closure (its captures), a branch's head (with `match`
/// guards), an effect's tokens.
fn named_in_text(body: &Body, t: &Tables) -> HashSet<ValueId> {
    let mut texts: Vec<ValueId> = (0..body.values.len())
        .filter(|&id| !t.bindings.by_kernel[id] || matches!(body.values[id].kind, Kind::Map { .. }))
        .collect();
    let mut named = HashSet::new();
    walk::regions(&body.steps, &mut |s| match s {
        Step::Effect(e) => named.extend(&e.mentions),
        Step::Branch(b) => match &b.head {
            Head::If { cond } => texts.push(*cond),
            Head::IfLet { scrutinee, .. } | Head::Match { scrutinee, .. } => texts.push(*scrutinee),
            Head::Cfg { .. } => {}
        },
        _ => {}
    });
    named.extend(
        texts
            .iter()
            .flat_map(|&id| body.values[id].mentions.iter().copied()),
    );
    named
}
