//! Workspace mode (`#[grad(.., workspace)]`): the dead values of one owned body go back to
//! the installed workspace's pool (`__private::recycle`), so that the next call takes its
//! buffers from there instead of allocating.
//!
//! Only what is certainly still bound is given back: a cotangent that no kernel took by
//! value, at the end of its pullback; and at the end of the sweeps, each top-level value
//! computed by a kernel that nothing moved (not into a kernel of either sweep, not into the
//! user's own code, which may name it). Anything else drops as before: a value missed costs
//! an allocation in the next call, never a wrong result.

use super::nodes::{NodeCall, Pullbacks};
use super::Gen;
use crate::ir::{defined_at, Kind, ValueId};
use crate::ops::helpers;
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

    /// The top-level values a kernel computed into a buffer of their own that are still
    /// bound when the sweeps end: neither sweep moved them into a kernel, no code kept as
    /// written names them, no operation kept as written (`into_owned`) takes them.
    fn alive_at_end(&self) -> Vec<ValueId> {
        let (body, t) = (self.body, self.t);
        let mut taken = vec![false; body.values.len()];
        for v in &body.values {
            if let Kind::Op { op, inputs, .. } = &v.kind {
                if op.spec().forward_as_written {
                    inputs.iter().for_each(|&i| taken[i] = true);
                }
            }
        }
        defined_at(body, &body.steps)
            .into_iter()
            .filter(|&id| {
                let v = &body.values[id];
                t.activity.active(id)
                    && t.bindings.bound[id]
                    && t.bindings.by_kernel[id]
                    && !t.bindings.reference[id]
                    && !t.reuse.consumable[id]
                    && !t.reuse.consumed[id]
                    && !t.reuse.pinned[id]
                    && !taken[id]
                    && !v.mutable
                    && !body.is_exit(id)
                    && !self.maybe_ref[id]
                    && matches!(
                        v.kind,
                        Kind::Op { .. } | Kind::Map { .. } | Kind::Call { .. }
                    )
            })
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
