//! Pieces shared by the companions: generics, parameters, the gradient struct, the imports
//! that hide outer items from generated locals.

use crate::ir::{Body, ValueId};
use crate::ops::helpers;
use crate::parse::Signature;
use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::{FnArg, GenericParam, Ident, ItemFn, Lifetime, Pat, Type};

/// `my_loss` → `MyLoss`.
pub fn camel(name: &str) -> String {
    name.trim_start_matches("r#")
        .split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

/// Whether `tokens` mention the identifier `ident`.
pub fn mentions(tokens: TokenStream, ident: &Ident) -> bool {
    tokens.into_iter().any(|tt| match tt {
        proc_macro2::TokenTree::Ident(i) => i == *ident,
        proc_macro2::TokenTree::Group(g) => mentions(g.stream(), ident),
        _ => false,
    })
}

/// The function's generics with `T: Scalar` for its `RealField` type parameters, and the
/// lifetime `lt` bounding every other lifetime and type parameter.
pub fn generics(
    func: &ItemFn,
    sig: &Signature,
    krate: &TokenStream,
    lifetime: Option<&Lifetime>,
) -> syn::Generics {
    let mut generics = func.sig.generics.clone();
    if let Some(lt) = lifetime {
        let declared: Vec<Lifetime> = generics.lifetimes().map(|l| l.lifetime.clone()).collect();
        let types: Vec<Ident> = generics.type_params().map(|t| t.ident.clone()).collect();
        generics.params.insert(0, syn::parse_quote!(#lt));
        let wc = generics.make_where_clause();
        for d in declared {
            wc.predicates.push(syn::parse_quote!(#d: #lt));
        }
        for t in types {
            wc.predicates.push(syn::parse_quote!(#t: #lt));
        }
    }
    if !sig.real_type_params.is_empty() {
        let wc = generics.make_where_clause();
        for t in &sig.real_type_params {
            wc.predicates
                .push(syn::parse_quote!(#t: #krate::__private::Scalar));
        }
    }
    generics
}

/// The parameters as declared, with elided reference lifetimes named `lt`.
pub fn inputs(func: &ItemFn, lifetime: Option<&Lifetime>) -> TokenStream {
    let inputs = func.sig.inputs.iter().map(|arg| match arg {
        FnArg::Typed(pt) => {
            let mut pt = pt.clone();
            if let (Type::Reference(r), Some(lt)) = (&mut *pt.ty, lifetime) {
                if r.lifetime.is_none() {
                    r.lifetime = Some(lt.clone());
                }
            }
            quote!(#pt)
        }
        arg => quote!(#arg),
    });
    quote!(#(#inputs),*)
}

/// The parameters as a pullback closure takes them again, and their types: as declared,
/// without `mut`, a destructuring pattern as `_`, reference lifetimes left to the closure.
pub fn closure_inputs(func: &ItemFn) -> (Vec<TokenStream>, Vec<TokenStream>) {
    func.sig
        .inputs
        .iter()
        .filter_map(|arg| match arg {
            FnArg::Typed(pt) => {
                let mut pt = pt.clone();
                strip_ref_lifetimes(&mut pt.ty);
                if let Pat::Ident(pi) = &mut *pt.pat {
                    pi.mutability = None;
                } else {
                    *pt.pat = syn::parse_quote!(_);
                }
                let ty = &pt.ty;
                Some((quote!(#pt), quote!(#ty)))
            }
            FnArg::Receiver(_) => None,
        })
        .unzip()
}

/// Removes the lifetimes of reference types (`&'a T` → `&T`), at any depth.
pub fn strip_ref_lifetimes(ty: &mut Type) {
    struct Strip;
    impl syn::visit_mut::VisitMut for Strip {
        fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
            r.lifetime = None;
            syn::visit_mut::visit_type_reference_mut(self, r);
        }
    }
    syn::visit_mut::VisitMut::visit_type_mut(&mut Strip, ty);
}

/// The type and const parameters, by name (what a turbofish or `use<..>` lists).
pub fn type_and_const_params(func: &ItemFn) -> Vec<TokenStream> {
    func.sig
        .generics
        .params
        .iter()
        .filter_map(|g| match g {
            GenericParam::Type(t) => Some(t.ident.to_token_stream()),
            GenericParam::Const(c) => Some(c.ident.to_token_stream()),
            GenericParam::Lifetime(_) => None,
        })
        .collect()
}

/// A parameter's finished gradient: its slot, or zeros.
pub fn finish(
    body: &Body,
    id: ValueId,
    slots: &[Option<Ident>],
    krate: &TokenStream,
) -> TokenStream {
    finish_like(body, id, id, slots, krate)
}

/// [`finish`] of the slot of `id` shaped (and its skipped fields valued) like the parameter
/// `like`, of the same type: `_hvp`'s gradient is its direction's cotangent, and keeps the
/// parameter's skipped fields, not the direction's.
pub fn finish_like(
    body: &Body,
    id: ValueId,
    like: ValueId,
    slots: &[Option<Ident>],
    krate: &TokenStream,
) -> TokenStream {
    let name = &body.values[like].name;
    let by_ref = matches!(
        body.values[like].kind,
        crate::ir::Kind::Param { by_ref: true, .. }
    );
    let r = if by_ref {
        quote!(#name)
    } else {
        quote!(&#name)
    };
    let finish = quote!(#krate::__private::finish);
    match &slots[id] {
        Some(d) => quote!(#finish(#d, #r)),
        None => quote!(#finish(#krate::__private::param_slot(#r), #r)),
    }
}

/// `func` with each `impl Trait` parameter type replaced by a type parameter of its own
/// (`g: impl Fn(f64) -> f64` → `<__G0: Fn(f64) -> f64>`, `g: __G0`): a pullback closure's
/// type names its parameters' types, and `impl Trait` cannot be named there.
pub fn without_impl_trait(func: &ItemFn) -> ItemFn {
    let mut func = func.clone();
    let mut added = Vec::new();
    for (k, arg) in func.sig.inputs.iter_mut().enumerate() {
        let FnArg::Typed(pt) = arg else { continue };
        let slot = match &mut *pt.ty {
            Type::Reference(r) => &mut *r.elem,
            other => other,
        };
        if let Type::ImplTrait(it) = slot {
            let ident = Ident::new(&format!("__Impl{k}"), Span::call_site());
            let bounds = &it.bounds;
            added.push(syn::parse_quote!(#ident: #bounds));
            *slot = syn::parse_quote!(#ident);
        }
    }
    for p in added {
        func.sig.generics.params.push(GenericParam::Type(p));
    }
    func
}

/// The imports at the top of a generated body: the runtime under the alias `rt` (when given
/// and the body mentions it), and a dummy function under every other generated name that `body`
/// mentions, so that an item of the same name outside the function (a `const x_bar`) cannot
/// be mistaken for a generated local.
pub fn shadows(
    generated: &[String],
    body: &TokenStream,
    krate: &TokenStream,
    rt: Option<&Ident>,
) -> TokenStream {
    let mut mentioned = std::collections::HashSet::new();
    idents(body.clone(), &mut mentioned);
    let rt_name = rt.map(|r| r.to_string()).unwrap_or_default();
    let mut out = TokenStream::new();
    if let Some(rt) = rt.filter(|_| mentioned.contains(&rt_name)) {
        out.extend(quote!(#[allow(unused_imports)] use #krate::__private as #rt;));
    }
    let shadow = Ident::new(helpers::SHADOW, Span::call_site());
    let names: Vec<Ident> = generated
        .iter()
        .filter(|n| **n != rt_name && mentioned.contains(n.as_str()))
        .map(|n| Ident::new(n, Span::mixed_site()))
        .collect();
    // Sixteen to a `use`: rustc's unused-import check is quadratic in the names of one `use`.
    out.extend(names.chunks(16).map(
        |names| quote!(#[allow(unused_imports)] use #krate::__private::{#(#shadow as #names),*};),
    ));
    out
}

/// Adds every identifier of `tokens` to `out`.
fn idents(tokens: TokenStream, out: &mut std::collections::HashSet<String>) {
    for tt in tokens {
        match tt {
            proc_macro2::TokenTree::Ident(i) => {
                out.insert(i.to_string());
            }
            proc_macro2::TokenTree::Group(g) => idents(g.stream(), out),
            _ => {}
        }
    }
}
