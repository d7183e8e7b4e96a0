//! How each value is bound in the forward sweep: whether a constant gets a binding of its
//! own (or is evaluated inside the expression that reads it), and whether a binding holds a
//! reference.

use super::activity::Activity;
use crate::ir::{walk, Body, Kind, Step, ValueId};

/// Invariant: every value that generated code names is `bound`; a constant that is not is
/// read only by constant expressions, which evaluate it as part of the user's expression.
pub struct Bindings {
    /// The value has a binding (a `let`, a parameter, a pattern).
    pub bound: Vec<bool>,
    /// The binding holds a reference (`&T`): a parameter or pattern taken by reference, a
    /// constant the user borrowed, an unnamed constant place (`xs[t]`).
    pub reference: Vec<bool>,
    /// The value is computed by its kernel (it depends on a differentiated parameter, or its
    /// operation always runs through the kernel), not from the user's expression.
    pub by_kernel: Vec<bool>,
}

impl Bindings {
    pub fn of(body: &Body, activity: &Activity) -> Bindings {
        let n = body.values.len();
        // An operation the tangent stage generated has no text of the user's to evaluate.
        let by_kernel: Vec<bool> = (0..n)
            .map(|id| match &body.values[id].kind {
                Kind::Op { op, .. } => {
                    activity.varied[id]
                        || op.spec().kernel_when_constant
                        || body.values[id].source.is_none()
                }
                Kind::Map { .. } | Kind::Call { .. } => activity.varied[id],
                _ => false,
            })
            .collect();
        let mut bound: Vec<bool> = body
            .values
            .iter()
            .map(|v| {
                v.named
                    || !matches!(
                        v.kind,
                        Kind::Opaque { .. }
                            | Kind::Op { .. }
                            | Kind::Map { .. }
                            | Kind::Call { .. }
                    )
            })
            .collect();
        // Read by name by a kernel call, a region, or the output.
        for (id, v) in body.values.iter().enumerate() {
            if by_kernel[id] {
                v.kind
                    .kernel_reads()
                    .into_iter()
                    .for_each(|i| bound[i] = true);
            }
            if let Kind::Version { of } = v.kind {
                bound[of] = true;
            }
        }
        walk::regions(&body.steps, &mut |s| match s {
            Step::Loop(l) => l.carried.iter().for_each(|c| {
                bound[c.init] = true;
                bound[c.next] = true;
            }),
            Step::Branch(b) => b
                .arms
                .iter()
                .flat_map(|a| &a.from)
                .for_each(|&f| bound[f] = true),
            _ => {}
        });
        for &o in body.output.iter().chain(&body.kept) {
            bound[o] = true;
        }
        // Evaluated where they are used: a loop's range, a branch's condition or scrutinee,
        // a destructured value.
        walk::regions(&body.steps, &mut |s| match s {
            Step::Loop(l) => bound[l.iter] = false,
            Step::Branch(b) => match &b.head {
                crate::ir::Head::If { cond } => bound[*cond] = false,
                crate::ir::Head::IfLet { scrutinee, .. }
                | crate::ir::Head::Match { scrutinee, .. } => bound[*scrutinee] = false,
                crate::ir::Head::Cfg { .. } => {}
            },
            Step::Destructure(d) => bound[d.init] = false,
            _ => {}
        });
        let reference = (0..n)
            .map(|id| is_reference(body, &by_kernel, id))
            .collect();
        Bindings {
            bound,
            reference,
            by_kernel,
        }
    }
}

/// Whether the binding of `id` holds a reference.
fn is_reference(body: &Body, by_kernel: &[bool], id: ValueId) -> bool {
    let v = &body.values[id];
    match &v.kind {
        Kind::Param { by_ref, .. } | Kind::Bound { by_ref, .. } => *by_ref,
        Kind::Version { of } => is_reference(body, by_kernel, *of),
        Kind::Carried | Kind::Merged => false,
        Kind::Project { .. } => true,
        _ if by_kernel[id] => false,
        _ => v.borrowed || (v.place && !v.named),
    }
}
