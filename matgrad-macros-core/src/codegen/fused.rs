//! A fused chain (`fuse`): its lanes, and its pullback, one pass of the runtime's
//! `fused_pullback` with the chain's scalar function differentiated per entry.

use super::Gen;
use crate::ir::{Kind, ValueId};
use crate::ops::helpers;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

impl Gen<'_> {
    /// A fused chain's lanes (`lane_full(&x, "op")`, ...), and the first lane read entry for
    /// entry, whose type and shape the result has.
    pub(super) fn fused_lanes(
        &self,
        lanes: &[crate::ir::Lane],
        span: proc_macro2::Span,
        ref_bound: &[bool],
    ) -> (TokenStream, Vec<TokenStream>) {
        use crate::ir::Role;
        let full = lanes.iter().find(|l| l.role == Role::Full);
        let like = full.map_or_else(TokenStream::new, |l| {
            self.input_ref(l.value, span, ref_bound)
        });
        let lanes = lanes
            .iter()
            .map(|l| {
                let role = match l.role {
                    Role::Full => 0,
                    Role::Broadcast => 1,
                    Role::Scalar => 2,
                };
                let f = self.rt(helpers::FUSED_LANE[role], span);
                let x = self.input_ref(l.value, span, ref_bound);
                let op = l.op;
                quote_spanned!(span=> #f(#x, #op))
            })
            .collect();
        (like, lanes)
    }

    /// A fused chain: its scalar function's own sweeps per entry, every lane's cotangent in
    /// one pass (`fused_pullback`), then merged into the lanes' slots; the captured values'
    /// sums as a `map`'s.
    pub(super) fn fused_pullback(
        &self,
        id: ValueId,
        lanes: &[crate::ir::Lane],
        ref_bound: &[bool],
    ) -> TokenStream {
        let v = &self.body.values[id];
        let span = v.span;
        let Kind::Fused { scalar, reduce, .. } = &v.kind else {
            return TokenStream::new();
        };
        let (inner, _, cotangents) = &self.closures[&id];
        let captured = self.captured_slots(id, scalar);
        let slots: Vec<Option<&syn::Ident>> = lanes.iter().map(|l| self.slot(l.value)).collect();
        if slots.iter().all(Option::is_none) && captured.is_empty() {
            return TokenStream::new();
        }
        let rebind = self.copied_captures(scalar, ref_bound);
        let params = fused_params(scalar);
        let grads: Vec<TokenStream> = params
            .iter()
            .enumerate()
            .map(|(k, p)| self.parameter_gradient(scalar, inner, k, p, span))
            .collect();
        let wanted = slots.iter().map(Option::is_some);
        let (like, lane_args) = self.fused_lanes(lanes, span, ref_bound);
        let (declare, add, merge_sums) = self.capture_sums(&captured, span);
        let (fwd, rev) = (&inner.forward, &inner.reverse);
        let (g, g_elem) = (self.g(), &self.locals.g_elem);
        let (f, leading) = match reduce {
            Some(r) => {
                let reduction = self.rt(helpers::REDUCTION, span);
                let variant = syn::Ident::new(&reduction_variant(r.spec().kernel), span);
                let f = self.rt(helpers::FUSED_PULLBACK_REDUCED, span);
                (f, quote_spanned!(span=> #g, #like, #reduction::#variant))
            }
            None => (self.rt(helpers::FUSED_PULLBACK, span), quote!(#g)),
        };
        let merge = self.rt(helpers::FUSED_MERGE, span);
        let merges = lanes.iter().zip(&slots).enumerate().filter_map(|(k, (l, s))| {
            let s = (*s)?;
            let x = self.input_ref(l.value, span, ref_bound);
            Some(quote_spanned!(span=> #merge(&mut #s, #x, ::core::mem::take(&mut #cotangents[#k]));))
        });
        quote_spanned! {span=>
            #rebind
            #declare
            let mut #cotangents = #f(#leading, [#(#lane_args),*], [#(#wanted),*], |[#(#params),*], #g_elem| {
                #fwd #rev #add [#(#grads),*]
            });
            #(#merges)*
            #merge_sums
        }
    }
}

/// The parameters of a fused chain's scalar function, one per lane, in order.
pub(super) fn fused_params(scalar: &crate::ir::ScalarFn) -> Vec<&syn::Ident> {
    scalar
        .body
        .values
        .iter()
        .filter(|v| matches!(v.kind, Kind::Param { .. }))
        .map(|v| &v.name)
        .collect()
}

/// The runtime's `Reduction` variant of a reduction kernel: `row_mean` → `RowMean`.
fn reduction_variant(kernel: &str) -> String {
    kernel
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}
