//! Stage 3: passes over the IR that return side tables, each with its invariant, and the
//! errors that depend on which values are differentiated. Code generation reads the IR and
//! these tables and decides nothing on its own.

pub mod activity;
pub mod aliases;
pub mod bindings;
pub mod check;
pub mod deferred;
pub mod needed;
pub mod reuse;
#[cfg(test)]
mod tests;

pub use activity::Activity;
pub use bindings::Bindings;
pub use deferred::Deferred;
pub use needed::Needed;
pub use reuse::Reuse;

use crate::error::Errors;
use crate::ir::{Body, Kind, ValueId};
use std::collections::HashMap;

/// Every table of one body, for one way of running its sweeps.
pub struct Tables {
    pub activity: Activity,
    pub bindings: Bindings,
    pub needed: Needed,
    pub reuse: Reuse,
    pub deferred: Deferred,
    /// The tables of each `map` closure's body, by the map's value.
    pub closures: HashMap<ValueId, Tables>,
    /// The sweeps run in one function body that owns every value (`_grad`): the reverse
    /// sweep may move values, and reads a top-level loop's iterations from the forward
    /// sweep's binding.
    pub owned: bool,
}

impl Tables {
    /// The tables of `body`; `owned` when the sweeps run in one function body that owns
    /// every value (`_grad`).
    pub fn of(body: &Body, owned: bool) -> Tables {
        Tables::with_activity(body, owned, Activity::of(body), false)
    }

    /// The tables of `body` whose forward sweep alone runs (`f_jvp`): it keeps nothing for a
    /// reverse sweep.
    pub fn forward_only(body: &Body) -> Tables {
        Tables::with_activity(body, true, Activity::of(body), true)
    }

    /// The tables of `body` of the given activity.
    fn with_activity(body: &Body, owned: bool, activity: Activity, forward_only: bool) -> Tables {
        let bindings = Bindings::of(body, &activity);
        let needed = match forward_only {
            true => Needed::none(body),
            false => Needed::of(body, &activity, &bindings),
        };
        let reuse = Reuse::of(body, &activity, &bindings, &needed, owned);
        let deferred = Deferred::of(body, &activity);
        let closures = body
            .values
            .iter()
            .enumerate()
            .filter_map(|(id, v)| match &v.kind {
                // A closure the tangent stage generated has no text to fall back on: its
                // code is generated wherever its map is computed by the kernel.
                Kind::Map {
                    scalar, closure, ..
                } if activity.active(id) || (closure.is_none() && activity.varied[id]) => {
                    let inner = Activity::of_closure(scalar, &activity);
                    Some((
                        id,
                        Tables::with_activity(&scalar.body, false, inner, forward_only),
                    ))
                }
                _ => None,
            })
            .collect();
        Tables {
            owned,
            activity,
            bindings,
            needed,
            reuse,
            deferred,
            closures,
        }
    }
}

/// The errors of `body` that depend on activity.
pub fn check(body: &Body, errors: &mut Errors) {
    check::check(body, &Activity::of(body), errors);
}
