//! Tangents through regions: a loop carries the tangent of each carried value that gets
//! one, a branch merges the tangents its arms computed.

use super::Tangents;
use crate::ir::{Branch, Carried, Kind, Loop, Source, Step, Value, ValueId};
use crate::ops::tangent::Build;

impl Tangents<'_> {
    /// The loop with its carried tangents, after the steps that give them their first value.
    pub(super) fn tangent_loop(&mut self, l: &Loop) -> Result<Vec<Step>, syn::Error> {
        let mut before = Vec::new();
        let mut carried = l.carried.clone();
        let mut pending = Vec::new();
        for c in &l.carried {
            if !(self.active(c.phi) || self.active(c.out)) {
                continue;
            }
            self.current = c.phi;
            let init = match self.dot[c.init] {
                Some(d) => d,
                None => self.filled(c.init, 0.0),
            };
            before.append(&mut self.out);
            let phi = self.carried_twin(c.phi);
            self.dot[c.phi] = Some(phi);
            pending.push((c, init, phi));
        }
        let body = self.steps(&l.body)?;
        let mut body = body;
        for (c, init, phi) in pending {
            self.current = c.next;
            let next = match self.dot[c.next] {
                Some(d) => d,
                None => self.filled(c.next, 0.0),
            };
            body.append(&mut self.out);
            let out = self.carried_twin(c.out);
            // After the loop, the binding is the one the iterations updated.
            self.values[out].name = self.values[phi].name.clone();
            self.dot[c.out] = Some(out);
            carried.push(Carried {
                init,
                phi,
                next,
                out,
            });
        }
        let mut l = l.clone();
        l.carried = carried;
        l.body = body;
        before.push(Step::Loop(Box::new(l)));
        Ok(before)
    }

    /// The branch with its merged tangents: each arm's tangent of the value it merges, a zero
    /// where that value is constant in the arm.
    pub(super) fn tangent_branch(&mut self, b: &Branch) -> Result<Step, syn::Error> {
        let merged: Vec<(usize, ValueId)> = b
            .merged
            .iter()
            .copied()
            .enumerate()
            .filter(|&(_, m)| self.active(m))
            .collect();
        let mut b2 = b.clone();
        for (a, arm) in b.arms.iter().enumerate() {
            let mut body = self.steps(&arm.body)?;
            for &(k, _) in &merged {
                let from = arm.from[k];
                self.current = from;
                let d = match self.dot[from] {
                    Some(d) => d,
                    // A `#[cfg]` statement's new variable, configured out: so is its tangent.
                    None if is_unit_placeholder(&self.values[from]) => {
                        self.constant(quote::quote!(()), Vec::new())
                    }
                    None => self.filled(from, 0.0),
                };
                body.append(&mut self.out);
                b2.arms[a].from.push(d);
            }
            b2.arms[a].body = body;
        }
        for &(_, m) in &merged {
            let twin = self.carried_twin(m);
            self.dot[m] = Some(twin);
            b2.merged.push(twin);
        }
        Ok(Step::Branch(Box::new(b2)))
    }

    /// A new value of the kind of `of` (carried or merged), named after it.
    fn carried_twin(&mut self, of: ValueId) -> ValueId {
        let v = &self.values[of];
        let (kind, base, span, mutable) = (
            match v.kind {
                Kind::Merged => Kind::Merged,
                _ => Kind::Carried,
            },
            format!("{}_dot", v.name),
            v.span,
            v.mutable,
        );
        let id = self.push(kind, &base, span);
        self.values[id].named = true;
        self.values[id].mutable = mutable;
        self.varied[id] = true;
        id
    }
}

/// Whether `v` is the `()` standing for a variable that a configured-out `#[cfg]` statement
/// would declare.
fn is_unit_placeholder(v: &Value) -> bool {
    matches!(
        (&v.kind, &v.source),
        (Kind::Opaque { .. }, Some(Source::Expr(syn::Expr::Tuple(t)))) if t.elems.is_empty()
    )
}
