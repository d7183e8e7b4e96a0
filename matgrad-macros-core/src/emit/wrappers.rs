//! `_pullback`, and `_grad` of a long function, as thin wrappers over `vjp`: one copy of the
//! sweeps where there would be two or three, which is most of what a long function costs the
//! compiler.
//!
//! `_pullback` and `vjp` run the same sweeps (the same tables, the same differentiated
//! parameters); they differ only in that `vjp`'s pullback takes the value (which it does
//! not read) and the arguments again, and returns a tuple. So `_pullback` keeps its arguments in the closure and passes them on,
//! which needs them to be `Copy`: shared references and primitive numbers. `_grad` runs its
//! own fused sweeps (it may consume what the forward sweep computed, so it is the fastest
//! form) unless the function is long, where it pulls one back through `vjp`.

use super::companions::Companions;
use crate::names::Names;
use crate::ops::helpers;
use crate::parse::Output;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{FnArg, Ident, Pat, Type};

use crate::codegen::LONG_FUNCTION;

/// The wrappers' local names.
pub struct WrapperNames {
    value: Ident,
    pullback: Ident,
    cotangent: Ident,
    /// One per parameter: its cotangent's binding (`None` when not differentiated).
    parts: Vec<Option<Ident>>,
}

impl Companions<'_> {
    /// The parameters' names, if `_pullback` can wrap `vjp`: every parameter is a plain name
    /// of a `Copy` type the macro can see (a shared reference, a primitive number, `bool`).
    pub(super) fn forwarded_params(&self) -> Option<Vec<Ident>> {
        self.func
            .sig
            .inputs
            .iter()
            .map(|arg| match arg {
                FnArg::Typed(pt) => match (&*pt.pat, &*pt.ty) {
                    (Pat::Ident(pi), ty)
                        if pi.by_ref.is_none() && pi.subpat.is_none() && is_copy(ty) =>
                    {
                        Some(pi.ident.clone())
                    }
                    _ => None,
                },
                FnArg::Receiver(_) => None,
            })
            .collect()
    }

    /// Whether `_grad` goes through `vjp`: a long float-valued function whose `_pullback`
    /// does.
    pub(super) fn grad_through_vjp(&self) -> bool {
        self.body.values.len() >= LONG_FUNCTION
            && self.sig.output == Output::Float
            && self.forwarded_params().is_some()
    }

    /// Fresh names for the wrappers' locals.
    pub(super) fn wrapper_names(&self, names: &mut Names) -> WrapperNames {
        let at = Span::call_site();
        WrapperNames {
            value: names.fresh("__value", at),
            pullback: names.fresh("__vjp", at),
            cotangent: names.fresh("__cotangent", at),
            parts: self
                .sig
                .params
                .iter()
                .enumerate()
                .map(|(k, p)| {
                    p.differentiated
                        .then(|| names.fresh(&format!("__c{k}"), at))
                })
                .collect(),
        }
    }

    /// `_pullback`'s body: `vjp`, and a closure passing its arguments on.
    pub(super) fn pullback_through_vjp(&self, args: &[Ident], n: &WrapperNames) -> TokenStream {
        let (value, pullback, cotangent) = (&n.value, &n.pullback, &n.cotangent);
        let call = self.vjp_call(args);
        let output_ty = &self.output_ty;
        let pats = self.parts_pattern(n);
        let gradient = self.gradient_of_parts(n);
        let early = self.early();
        // `vjp`'s pullback takes the value after the cotangent, for a `#[vjp]` rule's; this
        // function's own never reads it, and the value is the caller's now: the cotangent,
        // of the same type, stands in for it.
        let result = self.ok(quote! {
            (#value, move |#cotangent: &#output_ty| {
                let #pats = #pullback(#cotangent, #cotangent, #(#args),*);
                #gradient
            })
        });
        quote! {
            let (#value, #pullback) = #call #early;
            #result
        }
    }

    /// `_grad`'s body: `vjp`, its pullback of one.
    pub(super) fn grad_through_vjp_body(&self, args: &[Ident], n: &WrapperNames) -> TokenStream {
        let (value, pullback) = (&n.value, &n.pullback);
        let call = self.vjp_call(args);
        let one = self.rt(helpers::ONE);
        let pats = self.parts_pattern(n);
        let gradient = self.gradient_of_parts(n);
        let early = self.early();
        let result = self.ok(quote!((#value, #gradient)));
        quote! {
            let (#value, #pullback) = #call #early;
            let #pats = #pullback(&#one(&#value), &#value, #(#args),*);
            #result
        }
    }

    /// `name::vjp::<T, N>(args)`.
    fn vjp_call(&self, args: &[Ident]) -> TokenStream {
        let fn_name = self.fn_name;
        let params = super::items::type_and_const_params(self.func);
        let turbofish = (!params.is_empty()).then(|| quote!(::<#(#params),*>));
        quote!(#fn_name::vjp #turbofish (#(#args),*))
    }

    /// `(c0, _, c2,)`: the cotangents `vjp`'s pullback returns, `_` for the `()` of a
    /// parameter not differentiated.
    fn parts_pattern(&self, n: &WrapperNames) -> TokenStream {
        let pats = n.parts.iter().map(|p| match p {
            Some(p) => quote!(#p),
            None => quote!(_),
        });
        quote!((#(#pats,)*))
    }

    /// The gradient struct from the cotangents' bindings.
    fn gradient_of_parts(&self, n: &WrapperNames) -> TokenStream {
        let grad_struct = &self.grad_struct;
        let fields = self
            .sig
            .params
            .iter()
            .zip(&n.parts)
            .filter_map(|(p, part)| Some((p.ident.as_ref()?, part.as_ref()?)))
            .map(|(ident, part)| quote!(#ident: #part));
        quote!(#grad_struct { #(#fields),* })
    }

    /// A runtime helper's path.
    fn rt(&self, name: &str) -> TokenStream {
        let krate = self.krate;
        let name = Ident::new(name, Span::call_site());
        quote!(#krate::__private::#name)
    }
}

/// Whether the macro can see that `ty` is `Copy`: a shared reference, a primitive number,
/// `bool` or `char`.
fn is_copy(ty: &Type) -> bool {
    const PRIMITIVES: &[&str] = &[
        "f64", "f32", "usize", "isize", "u8", "u16", "u32", "u64", "u128", "i8", "i16", "i32",
        "i64", "i128", "bool", "char",
    ];
    match ty {
        Type::Reference(r) => r.mutability.is_none(),
        Type::Paren(p) => is_copy(&p.elem),
        Type::Path(p) if p.qself.is_none() => p
            .path
            .get_ident()
            .is_some_and(|i| PRIMITIVES.contains(&i.to_string().as_str())),
        _ => false,
    }
}
