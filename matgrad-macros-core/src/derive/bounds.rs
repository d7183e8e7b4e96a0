//! The side table of the impls' types and bounds: the `Scalar` type and the where-predicates
//! that make every differentiated field `Differentiable` with that scalar (and every skipped
//! field of a generic type `Differentiable`).

use super::Derive;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use std::collections::HashSet;
use syn::spanned::Spanned;
use syn::visit::Visit;

/// The impls' scalar and bounds.
///
/// Invariant: `predicates` bounds, once per distinct type, every field whose type names a type
/// or const parameter of the struct, and, when the scalar field's type does (so that `Scalar`
/// is a projection the compiler will not normalise inside the impl), every other field too;
/// never a field that names the struct itself (`Vec<Tree<T>>`: proving its bound would need
/// the impl being defined, and the compiler reports an overflow). The scalar field's bound is
/// `F: Differentiable`, every other one's `F: Differentiable<Scalar = ..>`. A field of a
/// concrete type beside a concrete scalar field needs no bound: its impl is checked where the
/// generated methods call it, so a mismatch is reported in the impl, once, and not at every
/// use of the struct as a trivially false bound would be. A struct with a type parameter
/// also gets `Struct<..>: Clone` (the trait's supertrait), which a derived `Clone` makes
/// conditional on the parameters (`I: Clone` for a `PhantomData<I>`).
pub struct Bounds {
    /// `<F as Differentiable>::Scalar` of the scalar field.
    pub scalar: TokenStream,
    /// The scalar field's type's span, where an error about `Scalar` belongs (a private type
    /// in the public interface).
    pub scalar_span: proc_macro2::Span,
    /// The where-predicates of the `Differentiable` impl, each spanned on its field's type.
    pub predicates: Vec<TokenStream>,
}

impl Bounds {
    /// The table of `derive`.
    pub fn of(derive: &Derive) -> Bounds {
        let krate = &derive.krate;
        let kinds: Vec<Kind> = derive.fields.iter().map(|f| kind(derive, &f.ty)).collect();
        // The first field that does not name the struct: `Scalar` through a recursive field
        // would need the impl being defined.
        let first = kinds
            .iter()
            .position(|k| *k != Kind::Recursive)
            .unwrap_or(0);
        let scalar_ty = &derive.fields[first].ty;
        let scalar = quote_spanned!(scalar_ty.span()=>
            <#scalar_ty as #krate::Differentiable>::Scalar
        );
        let mut seen = HashSet::new();
        let mut predicates = Vec::new();
        let scalar_generic = kinds[first] == Kind::Generic;
        for (k, (field, kind)) in derive.fields.iter().zip(&kinds).enumerate() {
            let ty = &field.ty;
            let bounded = match kind {
                Kind::Generic => true,
                Kind::Concrete => scalar_generic,
                Kind::Recursive => false,
            };
            if !bounded || !seen.insert(ty.to_token_stream().to_string()) {
                continue;
            }
            let bound = if k == first {
                quote_spanned!(ty.span()=> #krate::Differentiable)
            } else {
                quote_spanned!(ty.span()=> #krate::Differentiable<Scalar = #scalar>)
            };
            predicates.push(quote!(#ty: #bound));
        }
        // A skipped field of a generic type is zeroed in directions without asking whether
        // its type is differentiable (which generic code cannot): it must be.
        for field in derive
            .skipped
            .iter()
            .filter(|f| zeroed_by_bound(derive, &f.ty))
        {
            let ty = &field.ty;
            if seen.insert(ty.to_token_stream().to_string()) {
                predicates.push(quote_spanned!(ty.span()=> #ty: #krate::Differentiable));
            }
        }
        let has_type_param = derive
            .generics
            .params
            .iter()
            .any(|p| matches!(p, syn::GenericParam::Type(_)));
        if has_type_param {
            let ty = derive.self_ty();
            predicates.push(quote!(#ty: ::core::clone::Clone));
        }
        Bounds {
            scalar,
            scalar_span: scalar_ty.span(),
            predicates,
        }
    }
}

/// Whether the skipped field's type `ty` names a parameter of the struct (and is not a
/// `PhantomData`): `zero_skipped` zeroes it through a `Differentiable` bound.
pub fn zeroed_by_bound(derive: &Derive, ty: &syn::Type) -> bool {
    let phantom = matches!(ty, syn::Type::Path(p)
        if p.path.segments.last().is_some_and(|s| s.ident == "PhantomData"));
    kind(derive, ty) == Kind::Generic && !phantom
}

/// What a field's type names, for its bound.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// No parameter of the struct, nor the struct: `DMatrix<f64>`.
    Concrete,
    /// A type or const parameter of the struct: `DMatrix<T>`, `SMatrix<f64, N, N>`.
    Generic,
    /// The struct itself, or `Self`: `Vec<Tree>`.
    Recursive,
}

/// What `ty` names (an over-approximation: any identifier spelled like a parameter counts).
pub fn kind(derive: &Derive, ty: &syn::Type) -> Kind {
    let params: HashSet<String> = derive
        .generics
        .params
        .iter()
        .filter_map(|p| match p {
            syn::GenericParam::Type(t) => Some(t.ident.to_string()),
            syn::GenericParam::Const(c) => Some(c.ident.to_string()),
            syn::GenericParam::Lifetime(_) => None,
        })
        .collect();
    let mut names = Names {
        params: &params,
        own: derive.ident.to_string(),
        generic: false,
        recursive: false,
    };
    names.visit_type(ty);
    if names.recursive {
        Kind::Recursive
    } else if names.generic {
        Kind::Generic
    } else {
        Kind::Concrete
    }
}

/// Finds the struct's parameters and its own name in a type.
struct Names<'p> {
    params: &'p HashSet<String>,
    own: String,
    generic: bool,
    recursive: bool,
}

impl<'ast> Visit<'ast> for Names<'_> {
    fn visit_ident(&mut self, ident: &'ast syn::Ident) {
        let name = ident.to_string();
        if name == self.own || name == "Self" {
            self.recursive = true;
        } else if self.params.contains(&name) {
            self.generic = true;
        }
    }

    fn visit_type_macro(&mut self, _: &'ast syn::TypeMacro) {
        // A macro's tokens are not parsed; assume they may name a parameter.
        self.generic = true;
    }
}
