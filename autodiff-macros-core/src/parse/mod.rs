//! Stage 1: the attribute's arguments and the annotated function's signature.

pub mod args;
pub mod signature;
pub mod types;

pub use args::Args;
pub use signature::{Output, Param, Signature};

use crate::error::Errors;
use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

/// The annotated item as a function, or, when it is not one, the tokens to emit instead: the
/// item unchanged and an error saying that `attribute` applies to a function.
pub fn function(item: TokenStream, attribute: &str) -> Result<ItemFn, TokenStream> {
    match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Fn(f)) => Ok(f),
        Ok(other) => {
            let mut errors = Errors::default();
            errors.at(
                &other,
                format_args!(
                    "`{attribute}` applies to a function, e.g. `{attribute} fn loss(x: &DVector<f64>) -> f64 {{ ... }}`"
                ),
            );
            let e = errors.into_compile_errors();
            Err(quote!(#item #e))
        }
        Err(e) => {
            let e = e.to_compile_error();
            Err(quote!(#item #e))
        }
    }
}
