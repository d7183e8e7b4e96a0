//! The errors that depend on activity: an expression or statement the registry has no rule
//! for that turns out to read a differentiated value. Each is reported once, at its root:
//! in `s.lu().solve(&c).unwrap()`, at `.lu()`.

use super::activity::Activity;
use crate::error::Errors;
use crate::ir::{Body, Kind, Step, Unsupported, ValueId};

/// Reports every unsupported use of a differentiated value in `body` (and in its `map`
/// closures).
pub fn check(body: &Body, activity: &Activity, errors: &mut Errors) {
    let varied = &activity.varied;
    let reported = |id: ValueId| -> bool {
        matches!(
            &body.values[id].kind,
            Kind::Opaque {
                unsupported: Some(_),
                ..
            }
        ) && varied[id]
    };
    for (id, v) in body.values.iter().enumerate() {
        if !varied[id] {
            continue;
        }
        match &v.kind {
            Kind::Opaque { inputs, unsupported: Some(u) } if !inputs.iter().any(|&i| reported(i)) => {
                report(u, errors);
            }
            Kind::Op { inputs, .. } => untracked_inputs(body, activity, inputs, errors),
            Kind::Call { args, .. } => {
                let inputs: Vec<ValueId> = args.iter().map(|a| a.value).collect();
                untracked_inputs(body, activity, &inputs, errors);
            }
            Kind::Map {
                input,
                second,
                scalar,
                ..
            } => {
                let mut read: Vec<ValueId> = std::iter::once(*input).chain(*second).collect();
                read.extend(&scalar.captures);
                untracked_inputs(body, activity, &read, errors);
                for e in &scalar.errors {
                    errors.push(e.clone());
                }
                if scalar.errors.is_empty() {
                    let inner = Activity::of_closure(scalar, activity);
                    check(&scalar.body, &inner, errors);
                }
            }
            Kind::Bound { from: Some(s), .. }
                if matches!(body.values[*s].kind, Kind::Opaque { unsupported: None, .. }) =>
            {
                errors.at_span(
                v.span,
                "a pattern cannot bind a part of a value that depends on a differentiated parameter; use the value \
                 whole (a `match` or `if let` may compare it, not destructure it)",
                )
            }
            _ => {}
        }
    }
    crate::ir::walk::regions(&body.steps, &mut |s| {
        if let Step::Effect(e) = s {
            if let Some(u) = &e.unsupported {
                if e.reads.iter().any(|&r| varied[r]) {
                    report(u, errors);
                }
            }
        }
    });
    changed_after_checkpoint(body, errors);
}

/// A statement that changes in place a value a checkpointed loop reads (`v.fill(0.0)` after
/// the loop): the reverse sweep replays the loop and would read the changed value.
fn changed_after_checkpoint(body: &Body, errors: &mut Errors) {
    for l in body.loops().into_iter().filter(|l| l.checkpoint) {
        let read = crate::ir::replay_reads(body, l);
        for e in body.effects() {
            if let Some(&(old, _)) = e.versions.iter().find(|(old, _)| read.contains(old)) {
                let name = body.values[old].label.as_deref().unwrap_or("the variable");
                errors.at(
                    &e.tokens,
                    format_args!(
                        "this statement changes `{name}` in place after a checkpointed loop that \
                         reads it, and the reverse sweep replays that loop with `{name}` as it \
                         was; change a copy (`let mut {name}2 = {name}.clone();`) or remove \
                         `checkpoint`"
                    ),
                );
            }
        }
    }
}

/// A varied input that no adjoint can reach (an expression kept as written that was not
/// itself reported): the safety net that keeps a derivative from being silently wrong.
fn untracked_inputs(body: &Body, activity: &Activity, inputs: &[ValueId], errors: &mut Errors) {
    for &i in inputs {
        if activity.varied[i]
            && matches!(
                body.values[i].kind,
                Kind::Opaque {
                    unsupported: None,
                    ..
                }
            )
        {
            errors.at_span(
                body.values[i].span,
                "`#[grad]` cannot differentiate this expression, which depends on a differentiated parameter; write it \
                 with supported operations",
            );
        }
    }
}

fn report(u: &Unsupported, errors: &mut Errors) {
    errors.at(&u.at, &u.message);
}
