//! The operators of a derived struct, each one line of a table over the trait's methods:
//! `a + b` and `a − b` (values and references, every combination), `a += b` and `a −= b`
//! (a value or a reference on the right), `−a`, `a·s` and `a *= s` for a scalar `s`, and
//! `Σ` of an iterator of values or references.
//!
//! Every impl is bounded by `Struct<..>: Differentiable` alone, so it exists exactly when the
//! trait's impl does. `s·a` (the scalar on the left) is not generated: for a generic struct
//! the impl would be `impl<T> Mul<Layer<T>> for <.. as Differentiable>::Scalar`, which the
//! orphan rule forbids (the scalar is not a local type).

use super::visit::{local, where_clause};
use super::Derive;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// A binary operator on two values of the struct, through an `_assign` method of the trait.
struct Binary {
    /// The operator's trait and method: `Add`, `add`.
    op: (&'static str, &'static str),
    /// The compound assignment's trait and method: `AddAssign`, `add_assign`.
    assign: (&'static str, &'static str),
}

/// `+` and `−`, each by `Differentiable::add_assign` or `sub_assign` (which check shapes).
const BINARY: [Binary; 2] = [
    Binary {
        op: ("Add", "add"),
        assign: ("AddAssign", "add_assign"),
    },
    Binary {
        op: ("Sub", "sub"),
        assign: ("SubAssign", "sub_assign"),
    },
];

/// The lifetimes of the reference operands; user structs have no lifetime of these names.
const LHS: &str = "'__matgrad_lhs";
const RHS: &str = "'__matgrad_rhs";

/// Every operator impl of the struct.
pub fn operator_impls(derive: &Derive) -> TokenStream {
    let mut out = TokenStream::new();
    for op in &BINARY {
        out.extend(binary(derive, op));
    }
    out.extend(neg(derive));
    out.extend(scalar_mul(derive));
    out.extend(sum(derive));
    out
}

/// An impl header's parts for the struct: its generic parameters with `lifetimes` first,
/// and its where-clause with `Struct<..>: Differentiable` added. (For a concrete struct the
/// bound holds unless the struct is not `Clone`, and then it is one error for every operator,
/// where the bodies' calls would be one each.)
fn header(derive: &Derive, lifetimes: &[&str]) -> (TokenStream, TokenStream) {
    let mut generics = derive.generics.clone();
    for (i, name) in lifetimes.iter().enumerate() {
        let lifetime = syn::Lifetime::new(name, proc_macro2::Span::call_site());
        let param = syn::GenericParam::Lifetime(syn::LifetimeParam::new(lifetime));
        generics.params.insert(i, param);
    }
    let (impl_generics, _, _) = generics.split_for_impl();
    let (krate, ty) = (&derive.krate, derive.self_ty());
    let bound = quote!(#ty: #krate::Differentiable);
    (quote!(#impl_generics), where_clause(derive, &[bound]))
}

/// `a op b` for the four combinations of values and references, and `a op= b` for a value
/// and a reference on the right.
fn binary(derive: &Derive, op: &Binary) -> TokenStream {
    let (krate, ty) = (&derive.krate, derive.self_ty());
    let (op_trait, op_fn) = (format_ident!("{}", op.op.0), format_ident!("{}", op.op.1));
    let (assign_trait, assign_fn) = (
        format_ident!("{}", op.assign.0),
        format_ident!("{}", op.assign.1),
    );
    let (lhs, rhs) = (
        syn::Lifetime::new(LHS, proc_macro2::Span::call_site()),
        syn::Lifetime::new(RHS, proc_macro2::Span::call_site()),
    );
    let (g, w) = header(derive, &[]);
    let (g_l, w_l) = header(derive, &[LHS]);
    let (g_r, w_r) = header(derive, &[RHS]);
    let (g_lr, w_lr) = header(derive, &[LHS, RHS]);
    let (other, out) = (local("other"), local("out"));
    let kernel = quote!(#krate::Differentiable::#assign_fn);
    let clone = quote!(::core::clone::Clone::clone);
    quote! {
        #[automatically_derived]
        impl #g ::core::ops::#op_trait for #ty #w {
            type Output = #ty;
            fn #op_fn(mut self, #other: #ty) -> #ty {
                #kernel(&mut self, &#other);
                self
            }
        }
        #[automatically_derived]
        impl #g_r ::core::ops::#op_trait<&#rhs #ty> for #ty #w_r {
            type Output = #ty;
            fn #op_fn(mut self, #other: &#rhs #ty) -> #ty {
                #kernel(&mut self, #other);
                self
            }
        }
        #[automatically_derived]
        impl #g_l ::core::ops::#op_trait<#ty> for &#lhs #ty #w_l {
            type Output = #ty;
            fn #op_fn(self, #other: #ty) -> #ty {
                let mut #out = #clone(self);
                #kernel(&mut #out, &#other);
                #out
            }
        }
        #[automatically_derived]
        impl #g_lr ::core::ops::#op_trait<&#rhs #ty> for &#lhs #ty #w_lr {
            type Output = #ty;
            fn #op_fn(self, #other: &#rhs #ty) -> #ty {
                let mut #out = #clone(self);
                #kernel(&mut #out, #other);
                #out
            }
        }
        #[automatically_derived]
        impl #g ::core::ops::#assign_trait for #ty #w {
            fn #assign_fn(&mut self, #other: #ty) {
                #kernel(self, &#other);
            }
        }
        #[automatically_derived]
        impl #g_r ::core::ops::#assign_trait<&#rhs #ty> for #ty #w_r {
            fn #assign_fn(&mut self, #other: &#rhs #ty) {
                #kernel(self, #other);
            }
        }
    }
}

/// `−a`, of a value (in place) and of a reference; skipped fields keep their value.
fn neg(derive: &Derive) -> TokenStream {
    let (krate, ty) = (&derive.krate, derive.self_ty());
    let lhs = syn::Lifetime::new(LHS, proc_macro2::Span::call_site());
    let (g, w) = header(derive, &[]);
    let (g_l, w_l) = header(derive, &[LHS]);
    let (leaf, v, out) = (local("leaf"), local("v"), local("out"));
    let negate = |value: &TokenStream| {
        quote! {
            #krate::Differentiable::visit_mut(#value, &mut |#leaf| {
                for #v in #leaf.entries.iter_mut() {
                    *#v = -*#v;
                }
            });
        }
    };
    let in_place = negate(&quote!(&mut self));
    let of_copy = negate(&quote!(&mut #out));
    quote! {
        #[automatically_derived]
        impl #g ::core::ops::Neg for #ty #w {
            type Output = #ty;
            fn neg(mut self) -> #ty {
                #in_place
                self
            }
        }
        #[automatically_derived]
        impl #g_l ::core::ops::Neg for &#lhs #ty #w_l {
            type Output = #ty;
            fn neg(self) -> #ty {
                let mut #out = ::core::clone::Clone::clone(self);
                #of_copy
                #out
            }
        }
    }
}

/// `a·s` of a value and of a reference, and `a *= s`, by `Differentiable::scale_mut`.
fn scalar_mul(derive: &Derive) -> TokenStream {
    let (krate, ty) = (&derive.krate, derive.self_ty());
    let scalar = quote!(<#ty as #krate::Differentiable>::Scalar);
    let lhs = syn::Lifetime::new(LHS, proc_macro2::Span::call_site());
    let (g, w) = header(derive, &[]);
    let (g_l, w_l) = header(derive, &[LHS]);
    let s = local("s");
    quote! {
        #[automatically_derived]
        impl #g ::core::ops::Mul<#scalar> for #ty #w {
            type Output = #ty;
            fn mul(mut self, #s: #scalar) -> #ty {
                #krate::Differentiable::scale_mut(&mut self, #s);
                self
            }
        }
        #[automatically_derived]
        impl #g_l ::core::ops::Mul<#scalar> for &#lhs #ty #w_l {
            type Output = #ty;
            fn mul(self, #s: #scalar) -> #ty {
                #krate::Differentiable::scaled(self, #s)
            }
        }
        #[automatically_derived]
        impl #g ::core::ops::MulAssign<#scalar> for #ty #w {
            fn mul_assign(&mut self, #s: #scalar) {
                #krate::Differentiable::scale_mut(self, #s);
            }
        }
    }
}

/// `Σ` of values (the first plus the others) and of references (a clone of the first plus
/// the others); both panic on an empty iterator, by the runtime's `sum_values`.
fn sum(derive: &Derive) -> TokenStream {
    let (krate, ty) = (&derive.krate, derive.self_ty());
    let item = syn::Lifetime::new(LHS, proc_macro2::Span::call_site());
    let (g, w) = header(derive, &[]);
    let (g_l, w_l) = header(derive, &[LHS]);
    let (iter, first, total, v) = (local("iter"), local("first"), local("total"), local("v"));
    let iterator = quote!(::core::iter::Iterator);
    quote! {
        #[automatically_derived]
        impl #g ::core::iter::Sum for #ty #w {
            fn sum<__AutodiffIter: #iterator<Item = #ty>>(#iter: __AutodiffIter) -> #ty {
                #krate::__private::sum_values(#iter)
            }
        }
        #[automatically_derived]
        impl #g_l ::core::iter::Sum<&#item #ty> for #ty #w_l {
            fn sum<__AutodiffIter: #iterator<Item = &#item #ty>>(
                mut #iter: __AutodiffIter,
            ) -> #ty {
                match #iterator::next(&mut #iter) {
                    ::core::option::Option::Some(#first) => {
                        let mut #total = ::core::clone::Clone::clone(#first);
                        for #v in #iter {
                            #krate::Differentiable::add_assign(&mut #total, #v);
                        }
                        #total
                    }
                    ::core::option::Option::None => {
                        #krate::__private::sum_values(::core::iter::empty::<#ty>())
                    }
                }
            }
        }
    }
}
