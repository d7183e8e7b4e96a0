//! `#[vjp(rule)]`: a hand-written derivative for a function, used by `#[grad]` code that
//! calls it (as JAX's `custom_vjp` or ChainRules' `rrule`).
//!
//! The rule receives every argument by reference, then a reference to the function's value,
//! then a reference to the value's cotangent, and returns the cotangent of each
//! differentiable parameter (floats and matrices), in order: the bare cotangent when there is
//! one such parameter, a tuple when there are several.

use crate::args::Args;
use crate::error::Errors;
use crate::signature;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use syn::Ident;

/// The expansion of `#[vjp(rule)]` on `item`.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let func = match signature::parse_function(item, "#[vjp(rule)]") {
        Ok(f) => f,
        Err(tokens) => return tokens,
    };
    let rule: syn::Path = match syn::parse2(args.clone()) {
        Ok(p) => p,
        Err(_) => {
            let at = if args.is_empty() {
                func.sig.ident.to_token_stream()
            } else {
                args
            };
            errors.at(
                at,
                "`#[vjp(..)]` names the function computing the derivative, e.g. `#[vjp(softplus_rule)]`, \
                 where `fn softplus_rule(x: &f64, y: &f64, g: &f64) -> f64` returns x̄ = ḡ·∂y/∂x",
            );
            let e = errors.into_compile_errors();
            return quote!(#func #e);
        }
    };
    let sig = signature::analyze(&func, &Args { wrt: None }, &mut errors);
    if !errors.is_empty() {
        let e = errors.into_compile_errors();
        return quote!(#func #e);
    }
    let Some(idents) = sig
        .params
        .iter()
        .map(|p| p.ident.clone())
        .collect::<Option<Vec<Ident>>>()
    else {
        errors.at(
            &func.sig.inputs,
            "`#[vjp(..)]` needs every parameter to have a plain name",
        );
        let e = errors.into_compile_errors();
        return quote!(#func #e);
    };

    let fn_name = &func.sig.ident;
    let vis = &func.vis;
    let generics = func.sig.generics.clone();
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let (inputs, input_tys) = signature::closure_inputs(&func);
    let captured = signature::type_and_const_params(&func);
    let output_ty = match &func.sig.output {
        syn::ReturnType::Type(_, ty) => ty.to_token_stream(),
        syn::ReturnType::Default => quote!(()),
    };
    let turbofish = if captured.is_empty() {
        quote!()
    } else {
        quote!(::<#(#captured),*>)
    };
    // The rule takes every argument by reference.
    let call_args = &idents;
    let rule_args =
        sig.params
            .iter()
            .zip(&idents)
            .map(|(p, i)| if p.by_ref { quote!(#i) } else { quote!(&#i) });
    let diff: Vec<usize> = (0..sig.params.len())
        .filter(|&k| sig.params[k].differentiable)
        .collect();
    let parts: Vec<Ident> = (0..diff.len())
        .map(|k| format_ident!("__c{}", k, span = Span::mixed_site()))
        .collect();
    let destructure = if parts.len() == 1 {
        let p = &parts[0];
        quote!(#p)
    } else {
        quote!((#(#parts),*))
    };
    let items = (0..sig.params.len()).map(|k| match diff.iter().position(|&d| d == k) {
        Some(j) => {
            let p = &parts[j];
            quote!(#p)
        }
        None => quote!(()),
    });
    let tys = sig.params.iter().map(|p| {
        if p.differentiable {
            p.value_ty.to_token_stream()
        } else {
            quote!(())
        }
    });
    let value = Ident::new("__value", Span::mixed_site());
    let kept = Ident::new("__kept", Span::mixed_site());
    let ybar = Ident::new("__cotangent", Span::mixed_site());
    quote! {
        #func

        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #fn_name {}

        impl #fn_name {
            /// The value and a pullback built from the hand-written rule; used by `#[grad]`
            /// functions that call this one.
            #[doc(hidden)]
            #[allow(dead_code, unused_mut, unused_variables, clippy::all)]
                        pub fn vjp #impl_generics (#(#inputs),*)
                -> (#output_ty, impl ::core::ops::Fn(&#output_ty, #(#input_tys),*) -> (#(#tys,)*) + use<#(#captured),*>)
                #where_clause
            {
                let #value = #fn_name #turbofish (#(#call_args),*);
                let #kept = ::core::clone::Clone::clone(&#value);
                (#value, move |#ybar: &#output_ty, #(#inputs),*| {
                    let #destructure = #rule(#(#rule_args,)* &#kept, #ybar);
                    (#(#items,)*)
                })
            }
        }
    }
}
