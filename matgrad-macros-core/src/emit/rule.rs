//! `#[vjp(rule)]`: a hand-written derivative for a function, used by `#[grad]` code that
//! calls it (as JAX's `custom_vjp` or ChainRules' `rrule`).
//!
//! The rule receives every argument by reference, then a reference to the function's value,
//! then a reference to the value's cotangent, and returns the cotangent of each float or
//! matrix parameter, in order: the bare cotangent when there is one such parameter, a tuple
//! when there are several.

use super::items;
use crate::error::Errors;
use crate::parse::signature::bounded_type_params;
use crate::parse::types::{classify, TypeClass, TypeParams};
use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::{FnArg, Ident, Pat, Type};

/// The expansion of `#[vjp(rule)]` on `item`.
pub fn expand(args: TokenStream, item: TokenStream, context: &super::Context) -> TokenStream {
    let mut errors = Errors::default();
    let mut names = crate::names::Names::for_item(&item);
    let func = match crate::parse::function(item, "#[vjp(rule)]") {
        Ok(f) => f,
        Err(tokens) => return tokens,
    };
    let rule = match syn::parse2(args.clone()).ok().and_then(callable) {
        Some(p) => p,
        None => {
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
    let (params, differentiable) = match rule_params(&func, "#[vjp(..)]", &mut errors) {
        Some(p) => p,
        None => {
            let e = errors.into_compile_errors();
            return quote!(#func #e);
        }
    };
    let item = rule_item(
        &func,
        &rule,
        &params,
        &differentiable,
        &mut names,
        &context.krate,
    );
    // `#[jvp(..)]` after this attribute gives the function its tangent.
    let has_jvp = func
        .attrs
        .iter()
        .any(|a| a.path().segments.last().is_some_and(|s| s.ident == "jvp"));
    let stand_in =
        (!has_jvp).then(|| super::tangent_rule::no_tangent(&func, params.len(), &context.krate));
    quote!(#item #stand_in)
}

/// Each parameter's name, value type and whether it is a reference; and whether each is a
/// float or a matrix (it has a cotangent).
pub(super) type RuleParams = (Vec<(Ident, Type, bool)>, Vec<bool>);

/// The [`RuleParams`] of `func`; `None` after reporting a parameter without a plain name.
pub(super) fn rule_params(
    func: &syn::ItemFn,
    attr: &str,
    errors: &mut Errors,
) -> Option<RuleParams> {
    let mut params = Vec::new();
    for input in &func.sig.inputs {
        match input {
            FnArg::Receiver(r) => errors.at(
                r,
                format!("`{attr}` applies to a free function, not a method"),
            ),
            FnArg::Typed(pt) => match &*pt.pat {
                Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                    let (value_ty, by_ref) = match &*pt.ty {
                        Type::Reference(r) if r.mutability.is_none() => ((*r.elem).clone(), true),
                        other => (other.clone(), false),
                    };
                    params.push((pi.ident.clone(), value_ty, by_ref));
                }
                other => errors.at(
                    other,
                    format!("`{attr}` needs every parameter to have a plain name"),
                ),
            },
        }
    }
    if !errors.is_empty() {
        return None;
    }
    let type_params = TypeParams {
        floats: bounded_type_params(func, &["RealField", "Scalar"]),
        values: bounded_type_params(func, &["Dense"]),
    };
    let differentiable = params
        .iter()
        .map(|(_, ty, _)| {
            matches!(
                classify(ty, &type_params),
                TypeClass::Float | TypeClass::Matrix
            )
        })
        .collect();
    Some((params, differentiable))
}

/// `path` as the callee of a call expression: generic arguments written as a turbofish
/// (`rule<f64>` becomes `rule::<f64>`); `None` when it cannot name a function (it ends in a
/// keyword such as `self` or `crate`, or has `Fn(..)`-style arguments).
pub(super) fn callable(mut path: syn::Path) -> Option<syn::Path> {
    let last = path.segments.last()?;
    if ["self", "super", "crate", "Self"].contains(&last.ident.to_string().as_str()) {
        return None;
    }
    for segment in &mut path.segments {
        match &mut segment.arguments {
            syn::PathArguments::None => {}
            syn::PathArguments::AngleBracketed(a) => a.colon2_token = Some(Default::default()),
            syn::PathArguments::Parenthesized(_) => return None,
        }
    }
    Some(path)
}

/// The return type as written inside `&` and tuples: `T + 'a` and `impl T` in parentheses,
/// `()` for none.
pub(super) fn output_type(output: &syn::ReturnType) -> TokenStream {
    match output {
        syn::ReturnType::Type(_, ty)
            if matches!(**ty, Type::TraitObject(_) | Type::ImplTrait(_)) =>
        {
            quote!((#ty))
        }
        syn::ReturnType::Type(_, ty) => ty.to_token_stream(),
        syn::ReturnType::Default => quote!(()),
    }
}

/// The function, its hidden struct and the `vjp` built from the rule.
fn rule_item(
    func: &syn::ItemFn,
    rule: &syn::Path,
    params: &[(Ident, Type, bool)],
    differentiable: &[bool],
    names: &mut crate::names::Names,
    krate: &TokenStream,
) -> TokenStream {
    let fn_name = &func.sig.ident;
    let vis = &func.vis;
    let (impl_generics, _, where_clause) = func.sig.generics.split_for_impl();
    let (inputs, input_tys) = items::closure_inputs(func);
    let captured = items::type_and_const_params(func);
    let output_ty = output_type(&func.sig.output);
    let turbofish = (!captured.is_empty()).then(|| quote!(::<#(#captured),*>));
    let call_args = params.iter().map(|p| &p.0);
    let rule_args = params
        .iter()
        .map(|(i, _, by_ref)| if *by_ref { quote!(#i) } else { quote!(&#i) });
    let diff: Vec<usize> = (0..params.len()).filter(|&k| differentiable[k]).collect();
    let parts: Vec<Ident> = (0..diff.len())
        .map(|k| names.fresh(&format!("__c{k}"), Span::call_site()))
        .collect();
    let destructure = if parts.len() == 1 {
        let p = &parts[0];
        quote!(#p)
    } else {
        quote!((#(#parts),*))
    };
    let items = (0..params.len()).map(|k| match diff.iter().position(|&d| d == k) {
        Some(j) => {
            let p = &parts[j];
            quote!(#p)
        }
        None => quote!(()),
    });
    let tys =
        params
            .iter()
            .zip(differentiable)
            .map(|((_, ty, _), d)| if *d { ty.to_token_stream() } else { quote!(()) });
    let value = names.fresh("__value", Span::call_site());
    let y = names.fresh("__y", Span::call_site());
    let ybar = names.fresh("__cotangent", Span::call_site());
    let shadows = items::shadows(
        names.generated(),
        &quote!(#(#parts)* #value #y #ybar),
        krate,
        None,
    );
    quote! {
        #func

        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #fn_name {}

        impl #fn_name {
            /// The value and a pullback built from the hand-written rule; used by `#[grad]`
            /// functions that call this one. The pullback takes the cotangent, the value
            /// and the arguments again (the caller keeps the value: no copy here).
            #[doc(hidden)]
            #[allow(dead_code, unused_mut, unused_variables, clippy::all)]
            pub fn vjp #impl_generics (#(#inputs),*)
                -> (#output_ty, impl ::core::ops::Fn(&#output_ty, &#output_ty, #(#input_tys),*) -> (#(#tys,)*) + use<#(#captured),*>)
                #where_clause
            {
                #shadows
                let #value = #fn_name #turbofish (#(#call_args),*);
                (#value, move |#ybar: &#output_ty, #y: &#output_ty, #(#inputs),*| {
                    let #destructure = #rule(#(#rule_args,)* #y, #ybar);
                    (#(#items,)*)
                })
            }
        }
    }
}
