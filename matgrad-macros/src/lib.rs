//! The `#[grad]`, `#[vjp]` and `#[jvp]` attributes: source-to-source automatic
//! differentiation (reverse mode, and forward mode and second order) of functions over nalgebra matrices, done while the crate compiles;
//! and `#[derive(Differentiable)]` for structs of parameters.
//!
//! Use them through the `matgrad` facade crate, whose documentation describes the generated
//! API. This crate is a thin shim: the work is in `matgrad-macros-core`, an ordinary
//! library, so that every stage of the pipeline has unit tests. The shim adds only what a
//! proc macro alone can know: the name the calling crate gave the facade, and the source
//! file around the annotated function (for the error on `#[grad]` inside an `impl` block).

use proc_macro::TokenStream;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;

/// *(The attribute's implementation, in `matgrad-macros`: use it as `matgrad::grad`.)*
#[proc_macro_attribute]
pub fn grad(args: TokenStream, item: TokenStream) -> TokenStream {
    let context = matgrad_macros_core::Context {
        krate: facade(),
        source: source(&item),
    };
    matgrad_macros_core::expand_grad(args.into(), item.into(), &context).into()
}

/// *(The attribute's implementation, in `matgrad-macros`: use it as `matgrad::vjp`.)*
#[proc_macro_attribute]
pub fn vjp(args: TokenStream, item: TokenStream) -> TokenStream {
    let context = matgrad_macros_core::Context {
        krate: facade(),
        source: None,
    };
    matgrad_macros_core::expand_vjp(args.into(), item.into(), &context).into()
}

/// *(The attribute's implementation, in `matgrad-macros`: use it as `matgrad::jvp`.)*
#[proc_macro_attribute]
pub fn jvp(args: TokenStream, item: TokenStream) -> TokenStream {
    let context = matgrad_macros_core::Context {
        krate: facade(),
        source: None,
    };
    matgrad_macros_core::expand_jvp(args.into(), item.into(), &context).into()
}

/// *(The derive's implementation, in `matgrad-macros`: use it as
/// `matgrad::Differentiable`, whose documentation says what it generates.)*
#[proc_macro_derive(Differentiable, attributes(differentiable))]
pub fn derive_differentiable(item: TokenStream) -> TokenStream {
    let context = matgrad_macros_core::Context {
        krate: facade(),
        source: None,
    };
    matgrad_macros_core::expand_derive(item.into(), &context).into()
}

/// `use <facade>::__private::{..};` of every runtime item the registry and the generator
/// name: a test invokes it, so that a missing kernel fails to compile. Not for users.
#[doc(hidden)]
#[proc_macro]
pub fn __registry_kernels(_: TokenStream) -> TokenStream {
    let krate = facade();
    let names = matgrad_macros_core::ops::runtime_items();
    let idents = names
        .iter()
        .map(|n| proc_macro2::Ident::new(n, proc_macro2::Span::call_site()));
    quote::quote!(#[allow(unused_imports)] use #krate::__private::{#(#idents),*};).into()
}

/// The facade's path as the calling crate names it: `::matgrad`, or `::ad` for
/// `ad = { package = "matgrad", .. }`.
fn facade() -> proc_macro2::TokenStream {
    use proc_macro_crate::{crate_name, FoundCrate};
    match crate_name("matgrad") {
        Ok(FoundCrate::Name(name)) if name != "matgrad" => {
            let ident = proc_macro2::Ident::new(&name, proc_macro2::Span::call_site());
            quote::quote!(::#ident)
        }
        // The facade itself, its tests and examples (`extern crate self as matgrad`), and
        // crates whose manifest could not be read.
        _ => quote::quote!(::matgrad),
    }
}

thread_local! {
    /// Source files read so far in this compilation.
    static FILES: RefCell<HashMap<PathBuf, Option<String>>> = RefCell::new(HashMap::new());
}

/// The function's source file and the line of its `fn` keyword, if the compiler knows them.
fn source(item: &TokenStream) -> Option<(String, usize)> {
    let span = item.clone().into_iter().find_map(|tt| match tt {
        proc_macro::TokenTree::Ident(i) if i.to_string() == "fn" => Some(i.span()),
        _ => None,
    })?;
    let path = span.local_file()?;
    let text = FILES.with(|f| {
        f.borrow_mut()
            .entry(path.clone())
            .or_insert_with(|| std::fs::read_to_string(&path).ok())
            .clone()
    })?;
    Some((text, span.line()))
}
