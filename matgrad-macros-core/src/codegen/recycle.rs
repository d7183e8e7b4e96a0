//! Workspace mode (`#[grad(.., workspace)]`): the dead values of one owned body go back to
//! the installed workspace's pool (`__private::recycle`), so that the next call takes its
//! buffers from there instead of allocating.
//!
//! Only what is certainly still bound is given back: a cotangent that no kernel took by
//! value, at the end of its pullback; at the end of a loop iteration, the values it computed
//! that neither its tape nor its carried variables take; after a top-level loop's reverse
//! sweep, its tape and its deferred products; and at the end of the sweeps, each top-level
//! value computed by a kernel that nothing moved (not into a kernel of either sweep, not into
//! the user's own code, which may name it). Anything else drops as before: a value missed
//! costs an allocation in the next call, never a wrong result.

use super::nodes::{NodeCall, Pullbacks};
use super::Gen;
use crate::ir::{defined_at, Completion, Kind, Loop, Step, ValueId};
use crate::ops::{helpers, Side};
use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;
use syn::Ident;

impl Gen<'_> {
    /// `recycle(ḡ);` after a pullback whose calls all `borrowed` ḡ (in workspace mode).
    pub(super) fn recycle_cotangent(&self, borrowed: bool, g: &Ident, at: Span) -> TokenStream {
        if !self.recycle || !borrowed {
            return TokenStream::new();
        }
        let f = self.rt(helpers::RECYCLE, at);
        quote_spanned!(at=> #f(#g);)
    }

    /// `recycle(v);` for each top-level value still bound after both sweeps.
    pub(super) fn recycle_at_end(&self) -> TokenStream {
        let f = self.rt(helpers::RECYCLE, Span::call_site());
        self.alive_at_end()
            .into_iter()
            .map(|id| {
                let name = &self.body.values[id].name;
                quote_spanned!(Span::call_site()=> #f(#name);)
            })
            .collect()
    }

    /// After a top-level loop's reverse sweep: `recycle` of each value its tape saved (the
    /// tape taken apart by value), and of each cotangent and copy its deferred products kept.
    pub(super) fn recycle_tape(&self, l: &Loop, saved: &[ValueId]) -> TokenStream {
        let at = l.span;
        let f = self.rt(helpers::RECYCLE, at);
        let tape = &self.body.values[l.tape].name;
        let entry = &self.locals.saved;
        let parts: Vec<TokenStream> = saved
            .iter()
            .map(|&s| match self.recyclable(s) {
                true => {
                    let n = &self.body.values[s].name;
                    quote_spanned!(at=> #n)
                }
                false => quote_spanned!(at=> _),
            })
            .collect();
        let names = saved
            .iter()
            .filter(|&&s| self.recyclable(s))
            .map(|&s| &self.body.values[s].name);
        // The deferred lists first: their operands may borrow from the tape.
        let pairs = self.rt(helpers::RECYCLE_PAIRS, at);
        let mut out = TokenStream::new();
        for step in &l.body {
            if let Step::Value(id) = step {
                if let Some(list) = self.deferred.get(id) {
                    out.extend(quote_spanned!(at=> #pairs(#list);));
                }
            }
        }
        out.extend(quote_spanned! {at=>
            for #entry in #tape {
                let (#(#parts,)*) = #entry;
                #(#f(#names);)*
            }
        });
        out
    }

    /// At the end of an iteration of a loop's forward sweep (before the carried variables'
    /// update and the tape's push): `recycle` of each value the iteration computed into a
    /// buffer of its own that neither the tape, the carried variables nor anything else takes.
    pub(super) fn recycle_iteration(&self, l: &Loop, saved: &[ValueId]) -> TokenStream {
        let f = self.rt(helpers::RECYCLE, l.span);
        let nexts: Vec<ValueId> = l.carried.iter().map(|c| c.next).collect();
        defined_at(self.body, &l.body)
            .into_iter()
            .filter(|id| !saved.contains(id) && !nexts.contains(id) && self.dead_when_bound(*id))
            .map(|id| {
                let n = &self.body.values[id].name;
                quote_spanned!(l.span=> #f(#n);)
            })
            .collect()
    }

    /// Whether a value a kernel computed into a buffer of its own stays bound where it is
    /// defined: nothing moves it (not the forward sweep's next kernel, not the reverse sweep,
    /// not code kept as written or read from another region, not an operation kept as
    /// written such as `into_owned`).
    fn dead_when_bound(&self, id: ValueId) -> bool {
        !self.body.is_exit(id) && self.bound_at_end(id)
    }

    /// Whether the output is still bound, owned, when the sweeps end (so that the result can
    /// take it rather than a copy).
    pub(super) fn output_bound_at_end(&self) -> bool {
        self.body
            .output
            .is_some_and(|o| !self.body.kept.contains(&o) && self.bound_at_end(o))
    }

    /// [`Gen::dead_when_bound`] but for a value read after the sweeps (the output).
    fn bound_at_end(&self, id: ValueId) -> bool {
        let (body, t) = (self.body, self.t);
        let v = &body.values[id];
        self.recyclable(id)
            && t.bindings.bound[id]
            && t.bindings.by_kernel[id]
            && !t.reuse.consumed[id]
            && !t.reuse.pinned[id]
            && !self.moved_forward[id]
            && !v.mutable
            && matches!(
                v.kind,
                Kind::Op { .. } | Kind::Map { .. } | Kind::Call { .. }
            )
    }

    /// Per value, whether the forward code of another moves it: into the kernel that
    /// computes in its buffer, into `map_reuse`, or into an operation kept as written
    /// (`into_owned`).
    pub(super) fn moved_forward(&self) -> Vec<bool> {
        let mut moved = vec![false; self.body.values.len()];
        for (u, value) in self.body.values.iter().enumerate() {
            if !self.t.bindings.bound[u] || !self.t.bindings.by_kernel[u] {
                continue;
            }
            match &value.kind {
                Kind::Op { op, inputs, .. } if op.spec().forward_as_written => {
                    inputs.iter().for_each(|&i| moved[i] = true)
                }
                Kind::Op {
                    op,
                    inputs,
                    completion: Completion::Plain | Completion::Unwrap,
                    ..
                } => match self.forward_reuse(*op, inputs) {
                    Some(Side::Lhs) => moved[inputs[0]] = true,
                    Some(Side::Rhs) => moved[inputs[1]] = true,
                    None => {}
                },
                Kind::Map {
                    input,
                    second: None,
                    ..
                } if self.t.reuse.consumable[*input] => moved[*input] = true,
                _ => {}
            }
        }
        moved
    }

    /// Whether a saved value is an owned differentiable value (active, not a reference).
    fn recyclable(&self, id: ValueId) -> bool {
        self.t.activity.active(id) && !self.t.bindings.reference[id] && !self.maybe_ref[id]
    }

    /// The top-level values still bound when the sweeps end.
    fn alive_at_end(&self) -> Vec<ValueId> {
        defined_at(self.body, &self.body.steps)
            .into_iter()
            .filter(|&id| self.dead_when_bound(id))
            .collect()
    }
}

impl Pullbacks {
    /// Whether every call borrows ḡ (kernels by reference; nothing else, which may move it).
    pub(super) fn borrow_g(&self) -> bool {
        !self.calls.is_empty()
            && self
                .calls
                .iter()
                .all(|c| matches!(c, NodeCall::Kernel(k) if !k.owned))
    }
}
