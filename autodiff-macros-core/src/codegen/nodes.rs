//! A value's pullback as one call in a long function: the runtime's `pull*` drivers take the
//! cotangent out of the slot and run the kernels, passed as function pointers (see the
//! runtime's `nodes` module for why: a function of thousands of values compiles in about
//! half the time).

use super::Gen;
use crate::ops::helpers;
use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;
use syn::Ident;

/// The number of values from which a function's pullback nodes are driver calls: long
/// functions (short ones read better written out).
pub(super) const NODES_FROM: usize = super::LONG_FUNCTION;

/// One call of a value's pullback.
pub(super) enum NodeCall {
    /// A pullback kernel: `f(ḡ, args.., &mut slot)`.
    Kernel(KernelCall),
    /// Anything else (a deferred product, a map's or a call's pullback), written out with
    /// the cotangent's binding.
    Other(TokenStream),
}

/// `f(ḡ, args.., &mut slot)`, ḡ by value when `owned`, else by reference.
pub(super) struct KernelCall {
    pub f: TokenStream,
    pub owned: bool,
    pub args: Vec<TokenStream>,
    pub slot: Ident,
    pub span: Span,
}

impl NodeCall {
    /// The call, statement-terminated, reading the cotangent's binding `g`.
    pub fn to_tokens(&self, g: &Ident) -> TokenStream {
        match self {
            NodeCall::Other(tokens) => tokens.clone(),
            NodeCall::Kernel(KernelCall {
                f,
                owned,
                args,
                slot,
                span,
            }) => {
                let g = if *owned {
                    quote_spanned!(*span=> #g)
                } else {
                    quote_spanned!(*span=> &#g)
                };
                quote_spanned!(*span=> #f(#g, #(#args,)* &mut #slot);)
            }
        }
    }
}

impl Gen<'_> {
    /// `pullN_P(&mut d, args.., &mut slots.., kernels..)`: the node as one driver call, when
    /// its calls are one or two kernels with the same arguments and a driver of that shape
    /// is listed in [`helpers::PULL`]; else `None` (written out).
    pub(super) fn node(&self, d: &Ident, calls: &[NodeCall], span: Span) -> Option<TokenStream> {
        let kernels: Vec<&KernelCall> = calls
            .iter()
            .map(|c| match c {
                NodeCall::Kernel(k) => Some(k),
                NodeCall::Other(_) => None,
            })
            .collect::<Option<_>>()?;
        let first = kernels.first()?;
        let args = &first.args;
        let same_args = |k: &&KernelCall| {
            k.args.len() == args.len()
                && k.args
                    .iter()
                    .zip(args)
                    .all(|(a, b)| a.to_string() == b.to_string())
        };
        let pattern = match kernels.as_slice() {
            [k] => if k.owned { "o" } else { "r" }.to_string(),
            [k0, k1] if !k0.owned && same_args(k1) => {
                let second = if k1.owned { "ro" } else { "rr" };
                match k0.slot == k1.slot {
                    true => format!("{second}_same"),
                    false => second.to_string(),
                }
            }
            _ => return None,
        };
        let driver = format!("pull{}_{pattern}", args.len());
        if !helpers::PULL.contains(&driver.as_str()) {
            return None;
        }
        let driver = self.rt(&driver, span);
        let mut slots: Vec<&Ident> = kernels.iter().map(|k| &k.slot).collect();
        slots.dedup();
        let fs = kernels.iter().map(|k| &k.f);
        Some(quote_spanned! {span=>
            #driver(&mut #d, #(#args,)* #(&mut #slots,)* #(#fs),*);
        })
    }
}
