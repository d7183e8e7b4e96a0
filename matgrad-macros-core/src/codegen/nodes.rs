//! A value's pullback as one call in a long function: the runtime's `pull*` drivers take the
//! cotangent out of the slot and run the kernels, passed as function pointers (see the
//! runtime's `nodes` module for why: a function of thousands of values compiles in about
//! two thirds of the time).

use super::Gen;
use crate::ops::helpers;
use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;
use syn::Ident;

/// The number of values from which a function's pullback nodes are driver calls: long
/// functions (short ones read better written out).
pub(super) const NODES_FROM: usize = super::LONG_FUNCTION;

/// A value's pullback: its calls, in order, and the arguments every kernel among them takes
/// between the cotangent and the adjoint slot.
#[derive(Default)]
pub(super) struct Pullbacks {
    pub args: Vec<TokenStream>,
    pub calls: Vec<NodeCall>,
}

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
    pub slot: Ident,
    pub span: Span,
}

impl Pullbacks {
    /// A pullback that is no kernel call.
    pub fn other(tokens: TokenStream) -> Pullbacks {
        Pullbacks {
            args: Vec::new(),
            calls: vec![NodeCall::Other(tokens)],
        }
    }

    /// The calls written out, statement-terminated, reading the cotangent's binding `g`.
    pub fn to_tokens(&self, g: &Ident) -> TokenStream {
        let args = &self.args;
        self.calls
            .iter()
            .map(|call| match call {
                NodeCall::Other(tokens) => tokens.clone(),
                NodeCall::Kernel(KernelCall {
                    f,
                    owned,
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
            })
            .collect()
    }
}

impl Gen<'_> {
    /// `pullN_P(&mut d, args.., &mut slots.., kernels..)`: the node as one driver call, when
    /// its calls are one or two kernels and a driver of that shape is listed in
    /// [`helpers::PULL`]; else `None` (written out).
    pub(super) fn node(&self, d: &Ident, pullbacks: &Pullbacks, span: Span) -> Option<TokenStream> {
        let kernels: Vec<&KernelCall> = pullbacks
            .calls
            .iter()
            .map(|c| match c {
                NodeCall::Kernel(k) => Some(k),
                NodeCall::Other(_) => None,
            })
            .collect::<Option<_>>()?;
        let pattern = match kernels.as_slice() {
            [k] => if k.owned { "o" } else { "r" }.to_string(),
            [k0, k1] if !k0.owned => {
                let second = if k1.owned { "ro" } else { "rr" };
                match k0.slot == k1.slot {
                    true => format!("{second}_same"),
                    false => second.to_string(),
                }
            }
            _ => return None,
        };
        let args = &pullbacks.args;
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
