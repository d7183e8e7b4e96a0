//! The companions of a fallible function (one that returns `Option<T>` or `Result<T, E>`):
//! their results wrapped alike, `?` after `vjp`.

use super::companions::Companions;
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::Type;

impl Companions<'_> {
    /// The type a companion returns its `result` in: `result` itself, or for a fallible
    /// function its return type around it (`Option<(f64, FGrad)>`).
    pub(super) fn returns(&self, result: TokenStream) -> TokenStream {
        match &self.sig.fallible {
            Some(f) => match syn::parse2::<Type>(result.clone()) {
                Ok(inner) => f.wrapping(inner).to_token_stream(),
                Err(_) => result,
            },
            None => result,
        }
    }

    /// `result` as a companion returns it: wrapped in `Some` (`Ok`) for a fallible function.
    pub(super) fn ok(&self, result: TokenStream) -> TokenStream {
        match &self.sig.fallible {
            Some(f) if f.result => quote!(::core::result::Result::Ok(#result)),
            Some(_) => quote!(::core::option::Option::Some(#result)),
            None => result,
        }
    }

    /// `?` after a call of `vjp`, for a fallible function.
    pub(super) fn early(&self) -> TokenStream {
        match self.sig.fallible {
            Some(_) => quote!(?),
            None => TokenStream::new(),
        }
    }

    /// The docs' note on a fallible function's early return.
    pub(super) fn fallible_doc(&self) -> &'static str {
        match &self.sig.fallible {
            Some(f) if f.result => "; `Err` where the function returns one",
            Some(_) => "; `None` where the function returns `None`",
            None => "",
        }
    }
}
