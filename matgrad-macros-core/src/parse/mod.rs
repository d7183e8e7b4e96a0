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
    if let Some(span) = too_deep(&item) {
        let message = format!(
            "`{attribute}` reads functions whose brackets nest at most {MAX_DEPTH} deep; \
             move the inner part into a `let` or a helper function"
        );
        let e = syn::Error::new(span, message).to_compile_error();
        return Err(quote!(#item #e));
    }
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

/// How deep brackets may nest in an item the macro reads: syn's parser recurses once or more
/// per level, and the compiler runs macros on a stack it does not grow.
const MAX_DEPTH: usize = 128;

/// Where the item's brackets nest deeper than [`MAX_DEPTH`], if they do (walked with an
/// explicit stack, so that the check itself cannot overflow).
fn too_deep(item: &TokenStream) -> Option<proc_macro2::Span> {
    let mut stack = vec![(item.clone(), 0usize)];
    while let Some((tokens, depth)) = stack.pop() {
        for tt in tokens {
            if let proc_macro2::TokenTree::Group(g) = tt {
                if depth + 1 > MAX_DEPTH {
                    return Some(g.span_open());
                }
                stack.push((g.stream(), depth + 1));
            }
        }
    }
    None
}
