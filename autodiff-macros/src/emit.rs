//! Emission: the unchanged function, then its companions:
//!
//! - `struct <Name>Grad`: the gradient, one field per differentiated parameter;
//! - `fn <name>_grad(..) -> (value, <Name>Grad)` for scalar-valued functions;
//! - `fn <name>_pullback(..) -> (value, impl Fn(&cotangent) -> <Name>Grad)`;
//! - `const <NAME>_GRAPH: &str`, the computation graph in Graphviz DOT;
//! - a hidden `struct <name> {}` whose `vjp` lets other `#[grad]` functions call this one.

use crate::args;
use crate::error::Errors;
use crate::graph;
use crate::ir::{Body, Kind};
use crate::lower::{self, ParamInfo};
use crate::names::Names;
use crate::signature::{self, Signature};
use crate::sweep::{self, Seed};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use syn::{FnArg, GenericParam, Ident, ItemFn, Lifetime, Type};

/// The attribute's expansion: the original item, plus companions or compile errors.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let func = match signature::parse_function(item, "#[grad]") {
        Ok(f) => f,
        Err(tokens) => return tokens,
    };
    let args = args::parse(args, &mut errors);
    let sig = signature::analyze(&func, &args, &mut errors);
    if !errors.is_empty() {
        // The signature is wrong: its errors say so, and the body's would only repeat them.
        let e = errors.into_compile_errors();
        return quote!(#func #e);
    }
    let mut names = Names::default();
    let selected = lower::lower(&func.block, &params(&sig), &mut names, &mut errors);
    if !errors.is_empty() {
        let e = errors.into_compile_errors();
        return quote!(#func #e);
    }
    let companions = Companions::new(&func, &sig).emit(&selected, &mut names);
    quote!(#func #companions)
}

fn params(sig: &Signature) -> Vec<ParamInfo> {
    sig.params
        .iter()
        .filter_map(|p| {
            Some(ParamInfo {
                ident: p.ident.clone()?,
                by_ref: p.by_ref,
                differentiated: p.differentiated,
            })
        })
        .collect()
}

/// `my_loss` → `MyLoss`.
fn camel(name: &str) -> String {
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
fn mentions(tokens: TokenStream, ident: &Ident) -> bool {
    tokens.into_iter().any(|tt| match tt {
        proc_macro2::TokenTree::Ident(i) => i == *ident,
        proc_macro2::TokenTree::Group(g) => mentions(g.stream(), ident),
        _ => false,
    })
}

struct Companions<'a> {
    func: &'a ItemFn,
    sig: &'a Signature,
    fn_name: &'a Ident,
    kept_attrs: Vec<&'a syn::Attribute>,
    output_ty: TokenStream,
    grad_struct: Ident,
    struct_generics: TokenStream,
    /// The struct's generic parameters as declared (`<T, const N: usize>`).
    struct_declared: TokenStream,
}

impl<'a> Companions<'a> {
    fn new(func: &'a ItemFn, sig: &'a Signature) -> Self {
        let fn_name = &func.sig.ident;
        let kept_attrs = func
            .attrs
            .iter()
            .filter(|a| {
                let p = a.path();
                [
                    "cfg", "cfg_attr", "allow", "expect", "warn", "deny", "forbid",
                ]
                .iter()
                .any(|n| p.is_ident(n))
            })
            .collect();
        let output_ty = match &func.sig.output {
            syn::ReturnType::Type(_, ty) => ty.to_token_stream(),
            syn::ReturnType::Default => quote!(()),
        };
        let field_tys: Vec<&Type> = sig
            .params
            .iter()
            .filter(|p| p.differentiated)
            .map(|p| &p.value_ty)
            .collect();
        // The struct's generics: the type and const parameters its fields mention.
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
        let (struct_declared, struct_generics) = if args.is_empty() {
            (quote!(), quote!())
        } else {
            (quote!(<#(#declared),*>), quote!(<#(#args),*>))
        };
        Companions {
            func,
            sig,
            fn_name,
            kept_attrs,
            output_ty,
            grad_struct: format_ident!("{}Grad", camel(&fn_name.to_string())),
            struct_generics,
            struct_declared,
        }
    }

    fn emit(&self, selected: &Body, names: &mut Names) -> TokenStream {
        let mut out = self.grad_struct_item();
        if self.sig.scalar_output {
            out.extend(self.grad_fn(selected, names));
        }
        out.extend(self.pullback_fn(selected, names));
        out.extend(self.vjp_item(selected, names));
        out.extend(self.graph_const(selected));
        out
    }

    fn grad_struct_item(&self) -> TokenStream {
        let fn_name = self.fn_name;
        let vis = &self.func.vis;
        let attrs = &self.kept_attrs;
        let diff: Vec<_> = self
            .sig
            .params
            .iter()
            .filter(|p| p.differentiated)
            .collect();
        let field_names: Vec<&Ident> = diff.iter().filter_map(|p| p.ident.as_ref()).collect();
        let field_tys: Vec<&Type> = diff.iter().map(|p| &p.value_ty).collect();
        let field_docs = field_names
            .iter()
            .map(|n| format!("∂{fn_name}/∂{n}: the gradient with respect to `{n}`."));
        let doc = format!(
            "The gradient of [`{fn_name}`] with respect to each differentiated parameter, by name."
        );
        let (grad_struct, generics) = (&self.grad_struct, &self.struct_declared);
        quote! {
            #[doc = #doc]
            #(#attrs)*
            #[derive(::core::clone::Clone, ::core::fmt::Debug, ::core::cmp::PartialEq)]
            #[allow(dead_code)]
            #vis struct #grad_struct #generics {
                #(
                    #[doc = #field_docs]
                    pub #field_names: #field_tys,
                )*
            }
        }
    }

    /// The function's generics with `T: Scalar` for its `RealField` type parameters.
    fn generics(&self, lifetime: Option<&Lifetime>) -> syn::Generics {
        let mut generics = self.func.sig.generics.clone();
        if let Some(lt) = lifetime {
            let declared: Vec<Lifetime> =
                generics.lifetimes().map(|l| l.lifetime.clone()).collect();
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
        if !self.sig.real_type_params.is_empty() {
            let wc = generics.make_where_clause();
            for t in &self.sig.real_type_params {
                wc.predicates
                    .push(syn::parse_quote!(#t: ::autodiff::__private::Scalar));
            }
        }
        generics
    }

    /// The parameters, with elided reference lifetimes named `lt`.
    fn inputs(&self, lifetime: Option<&Lifetime>) -> TokenStream {
        let inputs = self.func.sig.inputs.iter().map(|arg| match arg {
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

    /// The gradient struct built from the finished slots of the differentiated parameters.
    fn gradient(&self, body: &Body, slots: &[Option<Ident>]) -> TokenStream {
        let grad_struct = &self.grad_struct;
        let fields = self
            .sig
            .params
            .iter()
            .filter(|p| p.differentiated)
            .filter_map(|p| {
                let ident = p.ident.as_ref()?;
                let id = param_id(body, ident)?;
                let grad = finish(body, id, slots);
                Some(quote!(#ident: #grad))
            });
        quote!(#grad_struct { #(#fields),* })
    }

    fn grad_fn(&self, body: &Body, names: &mut Names) -> TokenStream {
        let fn_name = self.fn_name;
        let vis = &self.func.vis;
        let attrs = &self.kept_attrs;
        let grad_fn = format_ident!("{}_grad", fn_name.to_string().trim_start_matches("r#"));
        let generics = self.generics(None);
        let (impl_generics, _, where_clause) = generics.split_for_impl();
        let inputs = self.inputs(None);
        let (output_ty, grad_struct, struct_generics) =
            (&self.output_ty, &self.grad_struct, &self.struct_generics);
        let s = sweep::sweeps(body, names, Seed::One);
        let (forward, reverse) = (&s.forward, &s.reverse);
        let value = body.output.map(|o| body.reference(o)).unwrap_or_default();
        let gradient = self.gradient(body, &s.slots);
        let doc = format!(
            "The value of [`{fn_name}`] and its gradient with respect to {}, by reverse-mode differentiation generated by `#[grad]`.",
            self.differentiated_list()
        );
        quote! {
            #[doc = #doc]
            #(#attrs)*
            #[allow(dead_code, unused_mut, unused_variables, non_snake_case, clippy::all)]
            #vis fn #grad_fn #impl_generics (#inputs) -> (#output_ty, #grad_struct #struct_generics) #where_clause {
                #forward
                #reverse
                (::core::clone::Clone::clone(#value), #gradient)
            }
        }
    }

    fn differentiated_list(&self) -> String {
        self.sig
            .params
            .iter()
            .filter(|p| p.differentiated)
            .filter_map(|p| p.ident.as_ref().map(|i| format!("`{i}`")))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The forward sweep and a closure running the reverse sweep for a given cotangent.
    /// The forward sweep, then `(value, closure)` where the closure runs the reverse sweep for
    /// a cotangent. With `params` (for `vjp`), the closure also takes the function's
    /// parameters again, so that it keeps none of the caller's borrows.
    fn pullback_parts(
        &self,
        body: &Body,
        names: &mut Names,
        params: Option<&TokenStream>,
        result: impl FnOnce(&[Option<Ident>]) -> TokenStream,
    ) -> TokenStream {
        let output_ty = &self.output_ty;
        let ybar = Ident::new("__cotangent", Span::mixed_site());
        let s = sweep::sweeps(body, names, Seed::Given(quote!(#ybar)));
        let (forward, reverse) = (&s.forward, &s.reverse);
        let value_name = Ident::new("__value", Span::mixed_site());
        let value = match body.output {
            Some(o) if !s.output_needed && body.values[o].kind.is_owned_binding() => {
                let n = &body.values[o].name;
                quote!(#n)
            }
            Some(o) => {
                let r = body.reference(o);
                quote!(::core::clone::Clone::clone(#r))
            }
            None => quote!(()),
        };
        let result = result(&s.slots);
        quote! {
            #forward
            let #value_name = #value;
                        (#value_name, move |#ybar: &#output_ty, #params| {
                #reverse
                #result
            })
        }
    }

    fn pullback_fn(&self, body: &Body, names: &mut Names) -> TokenStream {
        let fn_name = self.fn_name;
        let vis = &self.func.vis;
        let attrs = &self.kept_attrs;
        let pullback_fn =
            format_ident!("{}_pullback", fn_name.to_string().trim_start_matches("r#"));
        let lt = Lifetime::new("'__pullback", Span::call_site());
        let generics = self.generics(Some(&lt));
        let (impl_generics, _, where_clause) = generics.split_for_impl();
        let inputs = self.inputs(Some(&lt));
        let (output_ty, grad_struct, struct_generics) =
            (&self.output_ty, &self.grad_struct, &self.struct_generics);
        let parts = self.pullback_parts(body, names, None, |slots| self.gradient(body, slots));
        let doc = format!(
            "The value of [`{fn_name}`] and its pullback: a function from a cotangent of the value (∂l/∂y) to the \
             cotangents of {} (∂l/∂x), callable any number of times without running the function again.",
            self.differentiated_list()
        );
        quote! {
            #[doc = #doc]
            #(#attrs)*
            #[allow(dead_code, unused_mut, unused_variables, non_snake_case, clippy::all)]
            #vis fn #pullback_fn #impl_generics (#inputs)
                -> (#output_ty, impl ::core::ops::Fn(&#output_ty) -> #grad_struct #struct_generics + #lt) #where_clause
            {
                #parts
            }
        }
    }

    /// `struct name {}` with `vjp`: the value and a pullback returning one cotangent per
    /// parameter (`()` for those not differentiated), for calls from other `#[grad]` code.
    /// A caller that differentiates through a parameter the callee does not differentiate
    /// gets a compile error saying so (`__private::accumulate_argument`).
    fn vjp_item(&self, body: &Body, names: &mut Names) -> TokenStream {
        let included = |p: &crate::signature::Param| p.differentiated;
        let fn_name = self.fn_name;
        let vis = &self.func.vis;
        let attrs = &self.kept_attrs;
        let generics = self.generics(None);
        let (impl_generics, _, where_clause) = generics.split_for_impl();
        let inputs = self.inputs(None);
        let output_ty = &self.output_ty;
        // The closure takes the parameters again, typed as declared with reference lifetimes
        // left to the closure (so it holds no borrow), and captures no lifetime.
        let (closure_params, closure_param_tys) = signature::closure_inputs(self.func);
        let closure_params = quote!(#(#closure_params),*);
        let captured = signature::type_and_const_params(self.func);
        let tys = self.sig.params.iter().map(|p| {
            if included(p) {
                let t = &p.value_ty;
                quote!(#t)
            } else {
                quote!(())
            }
        });
        let keep_original = self.keep_original();
        let parts = self.pullback_parts(body, names, Some(&closure_params), |slots| {
            let items = self
                .sig
                .params
                .iter()
                .map(|p| match (&p.ident, included(p)) {
                    (Some(ident), true) => match param_id(body, ident) {
                        Some(id) => finish(body, id, slots),
                        None => quote!(()),
                    },
                    _ => quote!(()),
                });
            quote!((#(#items,)*))
        });
        quote! {
            #[doc(hidden)]
            #(#attrs)*
            #[allow(non_camel_case_types, dead_code)]
            #vis struct #fn_name {}

            #(#attrs)*
                        impl #fn_name {
                #keep_original

                /// The value and a pullback to every parameter's cotangent, in order; used by
                /// `#[grad]` functions that call this one. The pullback takes the arguments
                /// again after the cotangent.
                #[doc(hidden)]
                #[allow(dead_code, unused_mut, unused_variables, non_snake_case, clippy::all)]
                pub fn vjp #impl_generics (#inputs)
                    -> (#output_ty, impl ::core::ops::Fn(&#output_ty, #(#closure_param_tys),*) -> (#(#tys,)*) + use<#(#captured),*>)
                    #where_clause
                {
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
            .any(|a| matches!(a, FnArg::Typed(pt) if matches!(&*pt.ty, Type::ImplTrait(_))));
        if impl_trait_arg {
            return quote!();
        }
        let fn_name = self.fn_name;
        let generics = self.generics(None);
        let (impl_generics, _, where_clause) = generics.split_for_impl();
        let args = signature::type_and_const_params(self.func);
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

    fn graph_const(&self, body: &Body) -> TokenStream {
        let fn_name = self.fn_name;
        let vis = &self.func.vis;
        let attrs = &self.kept_attrs;
        let name = format_ident!(
            "{}_GRAPH",
            fn_name.to_string().trim_start_matches("r#").to_uppercase()
        );
        let dot = graph::dot(&fn_name.to_string(), body);
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

/// The value id of the parameter named `ident`.
fn param_id(body: &Body, ident: &Ident) -> Option<usize> {
    body.values
        .iter()
        .position(|v| matches!(v.kind, Kind::Param { .. }) && v.name == *ident)
}

/// A parameter's finished gradient: its slot, or zeros.
fn finish(body: &Body, id: usize, slots: &[Option<Ident>]) -> TokenStream {
    let r = body.reference(id);
    match &slots[id] {
        Some(d) => quote!(::autodiff::__private::finish(#d, #r)),
        None => quote!(::autodiff::__private::finish(::autodiff::__private::slot(#r), #r)),
    }
}
