//! `f_grad_with(&mut Workspace, ..)` (`#[grad(.., workspace)]`): `f_grad`'s sweeps in the
//! buffers of a workspace kept from call to call, and its gradient lent out of it.

use super::companions::Companions;
use super::items;
use crate::analysis::Tables;
use crate::codegen::chunks::chunked;
use crate::codegen::{sweeps_recycling, Locals, Seed};
use crate::names::Names;
use crate::ops::helpers;
use crate::parse::Output;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{Ident, Lifetime};

impl Companions<'_> {
    /// `f_grad_with`: installs the workspace, runs `f_grad`'s sweeps (their dead values and
    /// cotangents recycled into it), and keeps the gradient in it; or a compile error at
    /// `at` (the argument `workspace`) for a function whose value is a matrix.
    pub(super) fn grad_with_fn(
        &self,
        at: &Ident,
        owned: &Tables,
        names: &mut Names,
        locals: &Locals,
    ) -> TokenStream {
        let fn_name = self.fn_name;
        if self.output_is_matrix() {
            let msg = format!(
                "`workspace` generates `{fn_name}_grad_with`, the gradient of a function whose value is a float; \
                 `{fn_name}` returns a matrix: remove `workspace` and call `{fn_name}_pullback`"
            );
            return quote_spanned!(at.span()=> ::core::compile_error!(#msg););
        }
        let ws = names.parameter("workspace", Span::call_site());
        let body = self.grad_with_body(&ws, owned, names, locals);
        let shadows = items::shadows(names.generated(), &body, self.krate, Some(&locals.rt));
        let (vis, attrs, krate) = (&self.func.vis, &self.attrs, self.krate);
        let name = format_ident!("{}_grad_with", fn_name.to_string().trim_start_matches("r#"));
        let lt = Lifetime::new("'__workspace", Span::call_site());
        let mut generics = items::generics(self.func, self.sig, krate, None);
        generics.params.insert(0, syn::parse_quote!(#lt));
        if self.sig.output == Output::Other {
            let (output_ty, bound) = (
                &self.output_ty,
                Ident::new(helpers::SCALAR_OUTPUT, Span::call_site()),
            );
            generics.make_where_clause().predicates.push(
                syn::parse_quote!(for<'__grad> #output_ty: #krate::__private::#bound<#fn_name>),
            );
        }
        let (impl_generics, _, where_clause) = generics.split_for_impl();
        let inputs = items::inputs(self.func, None);
        let (output_ty, grad_struct, struct_args) =
            (&self.output_ty, &self.grad_struct, &self.struct_args);
        let doc = format!(
            "[`{fn_name}_grad`] in the buffers of a `Workspace`: the value of [`{fn_name}`] and its gradient with respect to {}, \
             the gradient lent out of the workspace until its next call. Called again with the same workspace, it takes \
             its buffers from there, so that a loop of calls allocates nothing once warm{}.",
            super::differentiated_list(self.sig),
            self.fallible_doc()
        );
        let returns = self.returns(quote!((#output_ty, &#lt #grad_struct #struct_args)));
        quote! {
            #[doc = #doc]
            #(#attrs)*
            #[allow(dead_code, unused_mut, unused_variables, unused_braces, unreachable_code, non_snake_case, clippy::all)]
            #vis fn #name #impl_generics (
                #ws: &#lt mut #krate::__private::Workspace,
                #inputs
            ) -> #returns #where_clause {
                #shadows
                #body
            }
        }
    }

    /// The body of `f_grad_with`.
    fn grad_with_body(
        &self,
        ws: &Ident,
        owned: &Tables,
        names: &mut Names,
        locals: &Locals,
    ) -> TokenStream {
        let at = Span::call_site();
        let (installed, value_name, grad_name) = (
            names.fresh("__installed", at),
            names.fresh("__value", at),
            names.fresh("__gradient", at),
        );
        let s = sweeps_recycling(self.body, owned, names, locals, Seed::One);
        let value = self
            .body
            .output
            .map(|o| super::companions::reference_to(self.body, o, owned))
            .unwrap_or_default();
        let gradient = self.gradient(&s.slots);
        let (reverse, recycle) = (&s.reverse, &s.recycle);
        let forward = chunked(
            s.forward.clone(),
            &[&value, reverse, &gradient, recycle],
            &s.references,
        );
        let (krate, grad_struct, struct_args) = (self.krate, &self.grad_struct, &self.struct_args);
        let result = self.ok(quote!((#value_name, #installed.keep(#grad_name))));
        let fields = self
            .sig
            .params
            .iter()
            .filter(|p| p.differentiated)
            .filter_map(|p| p.ident.as_ref());
        let recycle_fn = quote!(#krate::__private::recycle);
        quote! {
            let mut #installed = #krate::__private::Workspace::install(#ws);
            if let ::core::option::Option::Some(#grad_name) = #installed.take_kept::<#grad_struct #struct_args>() {
                #(#recycle_fn(#grad_name.#fields);)*
            }
            #forward
            #reverse
            let #value_name = ::core::clone::Clone::clone(#value);
            let #grad_name = #gradient;
            #recycle
            #result
        }
    }
}
