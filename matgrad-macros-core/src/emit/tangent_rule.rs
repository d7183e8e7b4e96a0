//! `#[jvp(rule)]`: a hand-written tangent for a function that has a hand-written `#[vjp]`
//! rule, used by the forward companions of `#[grad(.., forward)]` code that calls it (as
//! JAX's `custom_jvp` or ChainRules' `frule`).
//!
//! The rule receives every argument as the function does, then the tangent of each float or
//! matrix parameter by reference, and returns the tangent of the value. It must itself have
//! `#[grad]` or `#[vjp(..)]`: second-order companions (`f_hvp`) differentiate the tangent
//! again, through the rule's own `vjp`.

use super::items;
use super::rule::{callable, output_type, rule_params};
use crate::error::Errors;
use proc_macro2::TokenStream;
use quote::{format_ident, quote, ToTokens};
use syn::Ident;

/// The expansion of `#[jvp(rule)]` on `item`: the item unchanged and `tangent_vjp` on its
/// hidden struct (the one `#[vjp(..)]` declares).
pub fn expand(args: TokenStream, item: TokenStream, context: &super::Context) -> TokenStream {
    let mut errors = Errors::default();
    let func = match crate::parse::function(item, "#[jvp(rule)]") {
        Ok(f) => f,
        Err(tokens) => return tokens,
    };
    let Some(rule) = syn::parse2(args.clone()).ok().and_then(callable) else {
        let at = if args.is_empty() {
            func.sig.ident.to_token_stream()
        } else {
            args
        };
        errors.at(
            at,
            "`#[jvp(..)]` names the function computing the tangent, e.g. `#[jvp(softplus_tangent)]`, where \
             `fn softplus_tangent(x: &f64, dx: &f64) -> f64` returns ẏ = ∂y/∂x·ẋ (and has `#[grad]` or `#[vjp(..)]` itself)",
        );
        let e = errors.into_compile_errors();
        return quote!(#func #e);
    };
    let Some((params, differentiable)) = rule_params(&func, "#[jvp(..)]", &mut errors) else {
        let e = errors.into_compile_errors();
        return quote!(#func #e);
    };
    let _ = context;
    let fn_name = &func.sig.ident;
    let (impl_generics, _, where_clause) = func.sig.generics.split_for_impl();
    let (inputs, input_tys) = items::closure_inputs(&func);
    let captured = items::type_and_const_params(&func);
    let output_ty = output_type(&func.sig.output);
    let turbofish = (!captured.is_empty()).then(|| quote!(::<#(#captured),*>));
    let args: Vec<_> = params.iter().map(|p| &p.0).collect();
    let (pullback, ybar, c) = (
        format_ident!("__pullback"),
        format_ident!("__cotangent"),
        format_ident!("__cotangents"),
    );
    let Directions {
        params: dir_params,
        tys: dir_tys,
        cotangents: cot_tys,
        rule_args: rule_dirs,
        from_rule,
    } = directions(&params, &differentiable, &c);
    let args_cot = (0..params.len()).map(|k| {
        let i = syn::Index::from(k);
        quote!(#c.#i)
    });
    quote! {
        #func

        impl #fn_name {
            /// The tangent of the value along the directions and its pullback, from the
            /// hand-written tangent rule; used by the forward companions of `#[grad]`
            /// functions that call this one.
            #[doc(hidden)]
            #[allow(dead_code, unused_mut, unused_variables, non_snake_case, clippy::all)]
            pub fn tangent_vjp #impl_generics (#(#inputs,)* #(#dir_params),*)
                -> (#output_ty, impl ::core::ops::Fn(&#output_ty, &#output_ty, #(#input_tys,)* #(#dir_tys),*) -> (#(#cot_tys,)* #(#cot_tys,)*) + use<#(#captured),*>)
                #where_clause
            {
                let (__value, #pullback) = #rule::vjp #turbofish (#(#args,)* #(#rule_dirs),*);
                (__value, move |#ybar: &#output_ty, __y: &#output_ty, #(#inputs,)* #(#dir_params),*| {
                    let #c = #pullback(#ybar, __y, #(#args,)* #(#rule_dirs),*);
                    (#(#args_cot,)* #(#from_rule,)*)
                })
            }
        }
    }
}

/// The directions of `tangent_vjp` built on a rule, per parameter.
struct Directions {
    /// `__dirk: &X` (`&()` for a constant).
    params: Vec<TokenStream>,
    /// `&X` (`&()`).
    tys: Vec<TokenStream>,
    /// The parameter's (and its direction's) cotangent type, `X` (`()`).
    cotangents: Vec<TokenStream>,
    /// The directions the rule takes: those of the floats and matrices.
    rule_args: Vec<TokenStream>,
    /// Each direction's cotangent read from the rule's pullback's tuple `c` (`c.4`, or `()`).
    from_rule: Vec<TokenStream>,
}

fn directions(
    params: &[(Ident, syn::Type, bool)],
    differentiable: &[bool],
    c: &Ident,
) -> Directions {
    let mut d = Directions {
        params: vec![],
        tys: vec![],
        cotangents: vec![],
        rule_args: vec![],
        from_rule: vec![],
    };
    let mut next = params.len();
    for (k, (_, ty, _)) in params.iter().enumerate() {
        let name = format_ident!("__dir{}", k);
        if differentiable[k] {
            let i = syn::Index::from(next);
            next += 1;
            d.params.push(quote!(#name: &#ty));
            d.tys.push(quote!(&#ty));
            d.cotangents.push(quote!(#ty));
            d.rule_args.push(quote!(#name));
            d.from_rule.push(quote!(#c.#i));
        } else {
            d.params.push(quote!(#name: &()));
            d.tys.push(quote!(&()));
            d.cotangents.push(quote!(()));
            d.from_rule.push(quote!(()));
        }
    }
    d
}

/// `impl f { fn tangent_vjp(..) }` standing in for a function without a tangent (`#[grad]`
/// without `forward`, `#[vjp]` without `#[jvp]`), taking `params` arguments and as many
/// directions: a call from forward-mode code is the error of its bound, which says what to
/// add.
pub fn no_tangent(func: &syn::ItemFn, params: usize, krate: &TokenStream) -> TokenStream {
    if params == 0 {
        return TokenStream::new();
    }
    let fn_name = &func.sig.ident;
    let attrs = func
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg") || a.path().is_ident("cfg_attr"));
    let args: Vec<_> = (0..2 * params).map(|k| format_ident!("__A{}", k)).collect();
    let first = &args[0];
    quote! {
        #(#attrs)*
        impl #fn_name {
            /// Stands in for the tangent of a function without forward companions.
            #[doc(hidden)]
            #[allow(dead_code, clippy::all)]
            pub fn tangent_vjp<#(#args,)* __R, __P>(#(_: #args),*) -> (__R, __P)
            where
                #first: #krate::__private::HasTangent<#fn_name>,
            {
                ::core::unreachable!()
            }
        }
    }
}
