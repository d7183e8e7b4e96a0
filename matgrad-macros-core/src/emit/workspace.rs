//! The workspace companions (`#[grad(.., workspace)]`): `f_grad_with(&mut ws, ..)` for a
//! float-valued function and `f_pullback_with(&mut ws, .., &ȳ)` for a matrix-valued one, each
//! `f_grad`'s owned sweeps in the buffers of a workspace kept from call to call, the result
//! lent out of it.

use super::companions::{reference_to, Companions};
use super::items;
use crate::analysis::Tables;
use crate::codegen::chunks::chunked;
use crate::codegen::{sweeps_recycling, Locals, Seed};
use crate::names::Names;
use crate::ops::helpers;
use crate::parse::Output;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Ident, Lifetime};

/// Which companion: the gradient of a float-valued function, or the one pullback of a given
/// cotangent of any other.
#[derive(Clone, Copy, PartialEq)]
enum Flavour {
    Grad,
    Pullback,
}

impl Companions<'_> {
    /// The workspace companions of the function: `f_grad_with` where its value is a float,
    /// `f_pullback_with` where it is a matrix, both where its type says neither for sure.
    pub(super) fn workspace_fns(
        &self,
        owned: &Tables,
        names: &mut Names,
        locals: &Locals,
    ) -> TokenStream {
        let flavours: &[Flavour] = match (self.sig.output, self.output_is_matrix()) {
            (Output::Float, _) => &[Flavour::Grad],
            (Output::Other, true) => &[Flavour::Pullback],
            (Output::Other, false) => &[Flavour::Grad, Flavour::Pullback],
        };
        flavours
            .iter()
            .map(|&f| self.with_fn(f, owned, names, locals))
            .collect()
    }

    /// One workspace companion: installs the workspace, recycles what the last call kept,
    /// runs the sweeps (their dead values and cotangents recycled), and keeps the result.
    fn with_fn(
        &self,
        flavour: Flavour,
        owned: &Tables,
        names: &mut Names,
        locals: &Locals,
    ) -> TokenStream {
        let fn_name = self.fn_name;
        let at = Span::call_site();
        let ws = names.parameter("workspace", at);
        let cotangent = (flavour == Flavour::Pullback).then(|| names.parameter("cotangent", at));
        let body = self.with_body(&ws, cotangent.as_ref(), owned, names, locals);
        let shadows = items::shadows(names.generated(), &body, self.krate, Some(&locals.rt));
        let (vis, attrs, krate) = (&self.func.vis, &self.attrs, self.krate);
        let base = fn_name.to_string();
        let base = base.trim_start_matches("r#");
        let lt = Lifetime::new("'__workspace", at);
        let mut generics = items::generics(self.func, self.sig, krate, None);
        generics.params.insert(0, syn::parse_quote!(#lt));
        let (output_ty, grad_struct, struct_args) =
            (&self.output_ty, &self.grad_struct, &self.struct_args);
        if flavour == Flavour::Grad && self.sig.output == Output::Other {
            let bound = Ident::new(helpers::SCALAR_OUTPUT, at);
            generics.make_where_clause().predicates.push(
                syn::parse_quote!(for<'__grad> #output_ty: #krate::__private::#bound<#fn_name>),
            );
        }
        let (impl_generics, _, where_clause) = generics.split_for_impl();
        let inputs = items::inputs(self.func, None);
        let wrt = super::differentiated_list(self.sig);
        let (name, extra, returns, doc) = match flavour {
            Flavour::Grad => (
                format_ident!("{base}_grad_with"),
                quote!(),
                quote!((#output_ty, &#lt #grad_struct #struct_args)),
                format!(
                    "[`{base}_grad`] in the buffers of a `Workspace`: the value of [`{fn_name}`] and its gradient with \
                     respect to {wrt}, the gradient lent out of the workspace until its next call"
                ),
            ),
            Flavour::Pullback => (
                format_ident!("{base}_pullback_with"),
                quote!(#cotangent: &#output_ty),
                quote!((&#lt #output_ty, &#lt #grad_struct #struct_args)),
                format!(
                    "[`{base}_pullback`] of one cotangent ∂l/∂y in the buffers of a `Workspace`: the value of \
                     [`{fn_name}`] and the cotangents of {wrt}, both lent out of the workspace until its next call"
                ),
            ),
        };
        let doc = format!(
            "{doc}. Called again with the same workspace, it takes its buffers from there, so that a loop of calls \
             allocates nothing of its own once warm{}.",
            self.fallible_doc()
        );
        let returns = self.returns(returns);
        let params = [
            quote!(#ws: &#lt mut #krate::__private::Workspace),
            inputs,
            extra,
        ]
        .into_iter()
        .filter(|p| !p.is_empty());
        quote! {
            #[doc = #doc]
            #(#attrs)*
            #[allow(dead_code, unused_mut, unused_variables, unused_braces, unreachable_code, non_snake_case, clippy::all)]
            #vis fn #name #impl_generics (#(#params),*) -> #returns #where_clause {
                #shadows
                #body
            }
        }
    }

    /// The body of a workspace companion; `cotangent`, the parameter of `f_pullback_with`.
    fn with_body(
        &self,
        ws: &Ident,
        cotangent: Option<&Ident>,
        owned: &Tables,
        names: &mut Names,
        locals: &Locals,
    ) -> TokenStream {
        let at = Span::call_site();
        let (installed, value_name, grad_name, kept) = (
            names.fresh("__installed", at),
            names.fresh("__value", at),
            names.fresh("__gradient", at),
            names.fresh("__kept", at),
        );
        let seed = match cotangent {
            Some(c) => Seed::Given(quote!(#c)),
            None => Seed::One,
        };
        let s = sweeps_recycling(self.body, owned, names, locals, seed);
        let value = self
            .body
            .output
            .map(|o| reference_to(self.body, o, owned))
            .unwrap_or_default();
        let gradient = self.gradient(&s.slots);
        let (reverse, recycle) = (&s.reverse, &s.recycle);
        let forward = chunked(
            s.forward.clone(),
            &[&value, reverse, &gradient, recycle],
            &s.references,
        );
        let kept_names = KeptNames {
            installed: &installed,
            kept: &kept,
            value: &value_name,
            gradient: &grad_name,
        };
        let value_copy = match (cotangent, s.output_bound, self.body.output) {
            (None, _, _) => quote!(::core::clone::Clone::clone(#value)),
            (Some(_), true, Some(o)) => {
                let name = &self.body.values[o].name;
                quote!(#name)
            }
            (Some(_), _, _) => {
                let krate = self.krate;
                quote!(#krate::__private::clone_pooled(#value))
            }
        };
        let (take_back, result) = self.kept_result(cotangent.is_some(), &kept_names);
        let result = self.ok(result);
        let krate = self.krate;
        quote! {
            let mut #installed = #krate::__private::Workspace::install(#ws);
            #take_back
            #forward
            #reverse
            let #value_name = #value_copy;
            let #grad_name = #gradient;
            #recycle
            #result
        }
    }

    /// What the last call kept, its buffers given back to the workspace (its gradient's
    /// fields; with `value`, the value too), and the result kept in the workspace and lent out.
    fn kept_result(&self, value: bool, n: &KeptNames) -> (TokenStream, TokenStream) {
        let (krate, grad_struct, struct_args) = (self.krate, &self.grad_struct, &self.struct_args);
        let rt = quote!(#krate::__private);
        let fields: Vec<&Ident> = self
            .sig
            .params
            .iter()
            .filter(|p| p.differentiated)
            .filter_map(|p| p.ident.as_ref())
            .collect();
        let KeptNames {
            installed,
            kept,
            value: value_name,
            gradient,
        } = n;
        if !value {
            return (
                quote! {
                    if let ::core::option::Option::Some(#kept) = #installed.take_kept::<#grad_struct #struct_args>() {
                        #(#rt::recycle(#kept.#fields);)*
                    }
                },
                quote!((#value_name, #installed.keep(#gradient))),
            );
        }
        let output_ty = &self.output_ty;
        (
            quote! {
                if let ::core::option::Option::Some(#kept) =
                    #installed.take_kept::<(#output_ty, #grad_struct #struct_args)>()
                {
                    #rt::recycle(#kept.0);
                    #(#rt::recycle(#kept.1.#fields);)*
                }
            },
            quote! {{
                let #kept = #installed.keep((#value_name, #gradient));
                (&#kept.0, &#kept.1)
            }},
        )
    }
}

/// The locals of a workspace companion's body that hold what it keeps.
struct KeptNames<'a> {
    installed: &'a Ident,
    kept: &'a Ident,
    value: &'a Ident,
    gradient: &'a Ident,
}
