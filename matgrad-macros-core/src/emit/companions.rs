//! The companions of one function.

use super::items::{self, camel, mentions};
use crate::analysis::Tables;
use crate::codegen::chunks::chunked;
use crate::codegen::{sweeps, Locals, Seed};
use crate::ir::Body;
use crate::names::Names;
use crate::ops::helpers;
use crate::parse::types::TypeClass;
use crate::parse::{Output, Signature};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use syn::{FnArg, GenericParam, Ident, ItemFn, Lifetime, Type};

pub struct Companions<'a> {
    pub(super) func: &'a ItemFn,
    pub(super) sig: &'a Signature,
    pub(super) body: &'a Body,
    pub(super) krate: &'a TokenStream,
    pub(super) fn_name: &'a Ident,
    /// The function's attributes that the companions share (`cfg`, lints).
    pub(super) attrs: Vec<&'a syn::Attribute>,
    pub(super) output_ty: TokenStream,
    pub(super) grad_struct: Ident,
    /// The struct's generic arguments and parameters as declared (`<T, const N: usize>`).
    pub(super) struct_args: TokenStream,
    pub(super) struct_params: TokenStream,
    /// The derivative in mathematical notation (`F_DERIVATION`, and the companions' docs).
    pub(super) derivation: super::derivation::Texts,
}

/// The forward and reverse code of the three companions' bodies.
struct Bodies {
    grad: TokenStream,
    /// `None` where `_pullback` wraps `vjp`.
    pullback: Option<TokenStream>,
    vjp: TokenStream,
}

impl<'a> Companions<'a> {
    pub fn new(
        func: &'a ItemFn,
        sig: &'a Signature,
        body: &'a Body,
        krate: &'a TokenStream,
    ) -> Self {
        let attrs = func
            .attrs
            .iter()
            .filter(|a| matches!(a.style, syn::AttrStyle::Outer))
            .filter(|a| {
                [
                    "cfg", "cfg_attr", "allow", "expect", "warn", "deny", "forbid",
                ]
                .iter()
                .any(|n| a.path().is_ident(n))
            })
            .collect();
        let output_ty = match (&sig.fallible, &func.sig.output) {
            (Some(f), _) => f.value_ty.to_token_stream(),
            (None, syn::ReturnType::Type(_, ty)) => ty.to_token_stream(),
            (None, syn::ReturnType::Default) => quote!(()),
        };
        let field_tys: Vec<&Type> = sig
            .params
            .iter()
            .filter(|p| p.differentiated)
            .map(|p| &p.value_ty)
            .collect();
        let used = |ident: &Ident| {
            field_tys
                .iter()
                .any(|ty| mentions(ty.to_token_stream(), ident))
        };
        let mut declared = Vec::new();
        let mut args = Vec::new();
        for g in &func.sig.generics.params {
            match g {
                GenericParam::Type(t) if used(&t.ident) => {
                    let i = &t.ident;
                    declared.push(quote!(#i));
                    args.push(quote!(#i));
                }
                GenericParam::Const(c) if used(&c.ident) => {
                    let (i, ty) = (&c.ident, &c.ty);
                    declared.push(quote!(const #i: #ty));
                    args.push(quote!(#i));
                }
                _ => {}
            }
        }
        let (struct_params, struct_args) = if args.is_empty() {
            (quote!(), quote!())
        } else {
            (quote!(<#(#declared),*>), quote!(<#(#args),*>))
        };
        let fn_name = &func.sig.ident;
        Companions {
            func,
            sig,
            body,
            krate,
            fn_name,
            attrs,
            output_ty,
            grad_struct: format_ident!("{}Grad", camel(&fn_name.to_string())),
            struct_args,
            struct_params,
            derivation: super::derivation::Texts::of(body, sig),
        }
    }

    pub fn emit(
        &self,
        owned: &Tables,
        shared: &Tables,
        names: &mut Names,
        locals: &Locals,
    ) -> TokenStream {
        let bodies = self.bodies(owned, shared, names, locals);
        let wrapped = self
            .forwarded_params()
            .map(|args| (self.wrapper_names(names), args));
        let (grad, pullback) = match &wrapped {
            Some((n, args)) => (
                match self.grad_through_vjp() {
                    true => self.grad_through_vjp_body(args, n),
                    false => bodies.grad,
                },
                self.pullback_through_vjp(args, n),
            ),
            None => (bodies.grad, bodies.pullback.unwrap_or_default()),
        };
        let mut out = self.grad_struct_item();
        let shadows = |body: &TokenStream| {
            items::shadows(names.generated(), body, self.krate, Some(&locals.rt))
        };
        out.extend(self.grad_fn(&grad, &shadows(&grad)));
        out.extend(self.pullback_fn(&pullback, &shadows(&pullback)));
        out.extend(self.vjp_item(&bodies.vjp, &shadows(&bodies.vjp)));
        out.extend(self.graph_const());
        out.extend(self.derivation_consts());
        out
    }

    /// The sweeps of every companion (all names are handed out before any is emitted).
    fn bodies(
        &self,
        owned: &Tables,
        shared: &Tables,
        names: &mut Names,
        locals: &Locals,
    ) -> Bodies {
        let grad = match (self.sig.output, self.output_is_matrix()) {
            (Output::Other, true) => quote!(::core::unreachable!()),
            _ if self.grad_through_vjp() => TokenStream::new(),
            _ => {
                let s = sweeps(self.body, owned, names, locals, Seed::One);
                let (forward, reverse) = (&s.forward, &s.reverse);
                let value = self
                    .body
                    .output
                    .map(|o| self.output_ref(o, owned))
                    .unwrap_or_default();
                let gradient = self.gradient(&s.slots);
                let forward = chunked(
                    forward.clone(),
                    &[&value, reverse, &gradient],
                    &s.references,
                );
                let result = self.ok(quote!((::core::clone::Clone::clone(#value), #gradient)));
                quote! {
                    #forward
                    #reverse
                    #result
                }
            }
        };
        let pullback = self.forwarded_params().is_none().then(|| {
            self.pullback_parts(shared, names, locals, None, |slots| self.gradient(slots))
        });
        let (closure_params, _) = items::closure_inputs(&items::without_impl_trait(self.func));
        let closure_params = quote!(#(#closure_params),*);
        let vjp = self.pullback_parts(shared, names, locals, Some(&closure_params), |slots| {
            let items = self
                .sig
                .params
                .iter()
                .map(|p| match (&p.ident, p.differentiated) {
                    (Some(ident), true) => match self.body.param(ident) {
                        Some(id) => items::finish(self.body, id, slots, self.krate),
                        None => quote!(()),
                    },
                    _ => quote!(()),
                });
            quote!((#(#items,)*))
        });
        Bodies {
            grad,
            pullback,
            vjp,
        }
    }

    /// Whether the function certainly returns a matrix (its `_grad` can never be called).
    pub(super) fn output_is_matrix(&self) -> bool {
        let params = crate::parse::types::TypeParams::default();
        match (&self.sig.fallible, &self.func.sig.output) {
            (Some(f), _) => {
                crate::parse::types::classify(&f.value_ty, &params) == TypeClass::Matrix
            }
            (None, syn::ReturnType::Type(_, ty)) => {
                crate::parse::types::classify(ty, &params) == TypeClass::Matrix
            }
            (None, syn::ReturnType::Default) => true,
        }
    }

    fn output_ref(&self, o: usize, t: &Tables) -> TokenStream {
        reference_to(self.body, o, t)
    }

    /// The gradient struct built from the finished slots of the differentiated parameters.
    pub(super) fn gradient(&self, slots: &[Option<Ident>]) -> TokenStream {
        let grad_struct = &self.grad_struct;
        let fields = self
            .sig
            .params
            .iter()
            .filter(|p| p.differentiated)
            .filter_map(|p| {
                let ident = p.ident.as_ref()?;
                let id = self.body.param(ident)?;
                let grad = items::finish(self.body, id, slots, self.krate);
                Some(quote!(#ident: #grad))
            });
        quote!(#grad_struct { #(#fields),* })
    }

    fn grad_fn(&self, body: &TokenStream, shadows: &TokenStream) -> TokenStream {
        let fn_name = self.fn_name;
        let (vis, attrs, krate) = (&self.func.vis, &self.attrs, self.krate);
        let grad_fn = format_ident!("{}_grad", fn_name.to_string().trim_start_matches("r#"));
        let mut generics = items::generics(self.func, self.sig, krate, None);
        if self.sig.output == Output::Other {
            // Callable only when the value is a float; otherwise the bound's message says to
            // use the pullback. (A bound with a `for<..>` is checked where `_grad` is called.)
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
            "The value of [`{fn_name}`] and its gradient with respect to {}, by reverse-mode differentiation generated by `#[grad]`{}.{}",
            super::differentiated_list(self.sig),
            self.fallible_doc(),
            self.derivation_doc(self.sig.output == crate::parse::Output::Float)
        );
        let returns = self.returns(quote!((#output_ty, #grad_struct #struct_args)));
        quote! {
            #[doc = #doc]
            #(#attrs)*
            #[allow(dead_code, unused_mut, unused_variables, unused_braces, unreachable_code, non_snake_case, clippy::all)]
            #vis fn #grad_fn #impl_generics (#inputs) -> #returns #where_clause {
                #shadows
                #body
            }
        }
    }

    /// The forward sweep, then `(value, closure)` where the closure runs the reverse sweep
    /// for a cotangent. With `params` (for `vjp`), the closure also takes the function's
    /// parameters again, so that it keeps none of the caller's borrows.
    fn pullback_parts(
        &self,
        t: &Tables,
        names: &mut Names,
        locals: &Locals,
        params: Option<&TokenStream>,
        result: impl FnOnce(&[Option<Ident>]) -> TokenStream,
    ) -> TokenStream {
        let output_ty = self.output_ty.clone();
        self.pullback_parts_of(self.body, &output_ty, t, names, locals, params, result)
    }

    /// [`Companions::pullback_parts`] of another body of this function (its tangent
    /// program), whose output is of type `output_ty`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn pullback_parts_of(
        &self,
        body: &Body,
        output_ty: &TokenStream,
        t: &Tables,
        names: &mut Names,
        locals: &Locals,
        params: Option<&TokenStream>,
        result: impl FnOnce(&[Option<Ident>]) -> TokenStream,
    ) -> TokenStream {
        let ybar = names.fresh("__cotangent", Span::call_site());
        // A callee's pullback takes the value after the cotangent (a `#[vjp]` rule's reads
        // it; the caller keeps it), then the arguments.
        let value_param = params.map(|_| {
            let y = names.fresh("__y", Span::call_site());
            quote!(#y: &#output_ty,)
        });
        let s = sweeps(body, t, names, locals, Seed::Given(quote!(#ybar)));
        let (forward, reverse) = (&s.forward, &s.reverse);
        let value_name = names.fresh("__value", Span::call_site());
        let value = match body.output {
            Some(o) if !s.output_needed && !t.bindings.reference[o] => {
                let n = &body.values[o].name;
                quote!(#n)
            }
            Some(o) => {
                let r = reference_to(body, o, t);
                quote!(::core::clone::Clone::clone(#r))
            }
            None => quote!(()),
        };
        let result = result(&s.slots);
        let forward = chunked(forward.clone(), &[&value, reverse, &result], &s.references);
        let parts = self.ok(quote! {
            (#value_name, move |#ybar: &#output_ty, #value_param #params| {
                #reverse
                #result
            })
        });
        quote! {
            #forward
            let #value_name = #value;
            #parts
        }
    }

    fn pullback_fn(&self, parts: &TokenStream, shadows: &TokenStream) -> TokenStream {
        let fn_name = self.fn_name;
        let (vis, attrs) = (&self.func.vis, &self.attrs);
        let pullback_fn =
            format_ident!("{}_pullback", fn_name.to_string().trim_start_matches("r#"));
        let lt = Lifetime::new("'__pullback", Span::call_site());
        let generics = items::generics(self.func, self.sig, self.krate, Some(&lt));
        let (impl_generics, _, where_clause) = generics.split_for_impl();
        let inputs = items::inputs(self.func, Some(&lt));
        let (output_ty, grad_struct, struct_args) =
            (&self.output_ty, &self.grad_struct, &self.struct_args);
        let doc = format!(
            "The value of [`{fn_name}`] and its pullback: a function from a cotangent of the value (∂l/∂y) to the \
             cotangents of {} (∂l/∂x), callable any number of times without running the function again{}.{}",
            super::differentiated_list(self.sig),
            self.fallible_doc(),
            self.derivation_doc(self.sig.output != crate::parse::Output::Float)
        );
        let returns = self.returns(
            quote!((#output_ty, impl ::core::ops::Fn(&#output_ty) -> #grad_struct #struct_args + #lt)),
        );
        quote! {
            #[doc = #doc]
            #(#attrs)*
            #[allow(dead_code, unused_mut, unused_variables, unused_braces, non_snake_case, clippy::all)]
            #vis fn #pullback_fn #impl_generics (#inputs) -> #returns #where_clause
            {
                #shadows
                #parts
            }
        }
    }

    /// `struct name {}` with `vjp`: the value and a pullback returning one cotangent per
    /// parameter (`()` for those not differentiated), for calls from other `#[grad]` code.
    fn vjp_item(&self, parts: &TokenStream, shadows: &TokenStream) -> TokenStream {
        let fn_name = self.fn_name;
        let (vis, attrs) = (&self.func.vis, &self.attrs);
        let func = items::without_impl_trait(self.func);
        let generics = items::generics(&func, self.sig, self.krate, None);
        let (impl_generics, _, where_clause) = generics.split_for_impl();
        let inputs = items::inputs(&func, None);
        let output_ty = &self.output_ty;
        let (_, closure_param_tys) = items::closure_inputs(&func);
        let captured = items::type_and_const_params(&func);
        let tys = self.sig.params.iter().map(|p| {
            if p.differentiated {
                let t = super::gradient::gradient_type(&p.value_ty);
                quote!(#t)
            } else {
                quote!(())
            }
        });
        let keep_original = self.keep_original();
        let returns = self.returns(quote!((#output_ty, impl ::core::ops::Fn(&#output_ty, &#output_ty, #(#closure_param_tys),*) -> (#(#tys,)*) + use<#(#captured),*>)));
        quote! {
            #[doc(hidden)]
            #(#attrs)*
            #[allow(non_camel_case_types, dead_code)]
            #vis struct #fn_name {}

            #(#attrs)*
            impl #fn_name {
                #keep_original

                /// The value and a pullback to every parameter's cotangent, in order; used by
                /// `#[grad]` functions that call this one. The pullback takes the value (as a
                /// `#[vjp]` rule's does; this one does not read it) and the arguments again
                /// after the cotangent.
                #[doc(hidden)]
                #[allow(dead_code, unused_mut, unused_variables, unused_braces, non_snake_case, clippy::all)]
                pub fn vjp #impl_generics (#inputs) -> #returns #where_clause
                {
                    #shadows
                    #parts
                }
            }
        }
    }

    /// A use of the original function, so that calling only its companions does not make
    /// rustc call it dead code.
    fn keep_original(&self) -> TokenStream {
        let sig = &self.func.sig;
        let impl_trait_arg = sig
            .inputs
            .iter()
            .any(|a| matches!(a, FnArg::Typed(pt) if crate::parse::types::has_impl_trait(&pt.ty)));
        if impl_trait_arg {
            return quote!();
        }
        let fn_name = self.fn_name;
        let generics = items::generics(self.func, self.sig, self.krate, None);
        let (impl_generics, _, where_clause) = generics.split_for_impl();
        let args = items::type_and_const_params(self.func);
        let turbofish = if args.is_empty() {
            quote!()
        } else {
            quote!(::<#(#args),*>)
        };
        quote! {
            #[doc(hidden)]
            #[allow(dead_code, clippy::all)]
            fn __keep_original #impl_generics () #where_clause {
                let _ = #fn_name #turbofish;
            }
        }
    }

    /// A companion const's name: `F_GRAPH` for `f` and `"_GRAPH"`.
    pub(super) fn const_name(&self, suffix: &str) -> Ident {
        format_ident!(
            "{}{suffix}",
            self.fn_name
                .to_string()
                .trim_start_matches("r#")
                .to_uppercase()
        )
    }

    fn graph_const(&self) -> TokenStream {
        let fn_name = self.fn_name;
        let (vis, attrs) = (&self.func.vis, &self.attrs);
        let name = self.const_name("_GRAPH");
        let activity = crate::analysis::Activity::of(self.body);
        let dot = super::graph::dot(&fn_name.to_string(), self.body, &activity);
        let doc = format!(
            "The computation graph of [`{fn_name}`] in Graphviz DOT: parameters, intermediate values (named as in the \
             source, with their operation) and the output; render it with `dot -Tsvg`."
        );
        quote! {
            #[doc = #doc]
            #(#attrs)*
            #[allow(dead_code)]
            #vis const #name: &str = #dot;
        }
    }
}

/// A reference to the value `o` of `body`: its binding if that holds one, else `&binding`.
pub(super) fn reference_to(body: &Body, o: usize, t: &Tables) -> TokenStream {
    let name = &body.values[o].name;
    if t.bindings.reference[o] {
        quote!(#name)
    } else {
        quote!(&#name)
    }
}
