//! The gradient struct of a `#[grad]` function: a field per differentiated parameter, of the
//! parameter's own type, itself `Differentiable` so that gradients add up.

use super::companions::Companions;
use super::items;
use crate::parse::types::TypeClass;
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{Ident, Type};

impl Companions<'_> {
    pub(super) fn grad_struct_item(&self) -> TokenStream {
        let fn_name = self.fn_name;
        let vis = &self.func.vis;
        let attrs = &self.attrs;
        let diff: Vec<_> = self
            .sig
            .params
            .iter()
            .filter(|p| p.differentiated)
            .collect();
        let field_names: Vec<&Ident> = diff.iter().filter_map(|p| p.ident.as_ref()).collect();
        let field_tys: Vec<Type> = diff.iter().map(|p| gradient_type(&p.value_ty)).collect();
        let field_docs = field_names
            .iter()
            .map(|n| format!("∂{fn_name}/∂{n}: the gradient with respect to `{n}`."));
        let doc = format!(
            "The gradient of [`{fn_name}`] with respect to each differentiated parameter, by name."
        );
        let (grad_struct, params, krate) = (&self.grad_struct, &self.struct_params, self.krate);
        // A parameter of the user's own type need not be `Debug` or `PartialEq`.
        let derives = if diff
            .iter()
            .any(|p| matches!(p.class, TypeClass::Unknown | TypeClass::Collection))
        {
            quote!(::core::clone::Clone)
        } else {
            quote!(
                ::core::clone::Clone,
                ::core::fmt::Debug,
                ::core::cmp::PartialEq
            )
        };
        // Its fields must share one float type to make it `Differentiable`.
        let differentiable = (!mixed_precision(&field_tys)).then(|| {
            quote!(
                #[derive(#krate::Differentiable)]
                #[differentiable(crate = #krate)]
            )
        });
        quote! {
            #[doc = #doc]
            #(#attrs)*
            #[derive(#derives)]
            #differentiable
            #[allow(dead_code)]
            #vis struct #grad_struct #params {
                #(
                    #[doc = #field_docs]
                    pub #field_names: #field_tys,
                )*
            }
        }
    }
}

/// The type of a parameter's gradient: the parameter's own, a `Vec<T>` for a slice `[T]`.
pub(super) fn gradient_type(ty: &Type) -> Type {
    match ty {
        Type::Slice(s) => {
            let elem = &s.elem;
            syn::parse_quote!(::std::vec::Vec<#elem>)
        }
        Type::Paren(p) => gradient_type(&p.elem),
        Type::Group(g) => gradient_type(&g.elem),
        other => other.clone(),
    }
}

/// Whether the types mention both `f32` and `f64`: a gradient struct of both is not one
/// `Differentiable` value.
fn mixed_precision(types: &[Type]) -> bool {
    let mentions = |name: &str| {
        let ident = Ident::new(name, proc_macro2::Span::call_site());
        types
            .iter()
            .any(|t| items::mentions(t.to_token_stream(), &ident))
    };
    mentions("f32") && mentions("f64")
}
