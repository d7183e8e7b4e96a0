//! Deferred products: in a loop, the left pullbacks of `a·vₜ` with `a` from before the loop
//! are collected over the iterations and applied after it as one product
//! `[ḡ₁…ḡ_T]·[v₁…v_T]ᵀ`.

use super::activity::Activity;
use crate::ir::{defined_in_loop, Body, Kind, Step, ValueId};
use std::collections::HashSet;

/// Invariant: a deferred product is an operation whose registry entry has
/// `reuse.deferred_lhs`, directly in a loop's body, both operands active, distinct, the left
/// one defined outside the loop.
pub struct Deferred {
    pub products: HashSet<ValueId>,
    /// The values some loop's iterations define.
    pub in_loops: HashSet<ValueId>,
}

impl Deferred {
    pub fn of(body: &Body, activity: &Activity) -> Deferred {
        let mut products = HashSet::new();
        let mut in_loops = HashSet::new();
        for l in body.loops() {
            let mut inside = HashSet::new();
            defined_in_loop(body, l, &mut inside);
            for step in &l.body {
                let Step::Value(id) = step else { continue };
                if let Kind::Op { op, inputs, .. } = &body.values[*id].kind {
                    let (a, v) = (inputs[0], inputs.get(1).copied().unwrap_or(inputs[0]));
                    if op.spec().reuse.deferred_lhs
                        && activity.active(*id)
                        && activity.active(a)
                        && a != v
                        && !inside.contains(&a)
                    {
                        products.insert(*id);
                    }
                }
            }
            in_loops.extend(inside);
        }
        Deferred { products, in_loops }
    }
}
