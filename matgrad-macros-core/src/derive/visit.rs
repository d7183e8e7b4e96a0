//! The `Differentiable` impl: `visit`, `visit_mut` and `visit_named` call the same method of
//! each differentiated field, in declaration order; every other method is the trait's.
//!
//! Each call goes through a local function bounded by `V: Differentiable<Scalar = S>` with
//! `S` the struct's scalar, spanned on the field's type, so that a field of another scalar (or
//! no `Differentiable` impl) is one trait error under that field per method, not a type
//! mismatch under the derive.

use super::bounds::{kind, zeroed_by_bound, Bounds, Kind};
use super::Derive;
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

/// A local of the generated code, hygienic: user code can neither name nor shadow it.
pub fn local(name: &str) -> syn::Ident {
    syn::Ident::new(name, Span::mixed_site())
}

/// The where-clause of the struct's own predicates followed by `extra`.
pub fn where_clause(derive: &Derive, extra: &[TokenStream]) -> TokenStream {
    let own = derive
        .generics
        .where_clause
        .iter()
        .flat_map(|w| w.predicates.iter());
    quote!(where #(#own,)* #(#extra,)*)
}

/// The three methods' bodies.
struct Bodies {
    visit: TokenStream,
    visit_mut: TokenStream,
    visit_named: TokenStream,
}

/// The bodies of `derive`'s methods: for each field, a call of a local function that visits
/// it. With `stub` (after an argument error), `unreachable!()`, so that the impl exists for
/// the struct's uses without adding errors of its own.
fn bodies(derive: &Derive, stub: bool) -> Bodies {
    if stub {
        let unreachable = quote!(::core::unreachable!());
        return Bodies {
            visit: unreachable.clone(),
            visit_mut: unreachable.clone(),
            visit_named: unreachable,
        };
    }
    let krate = &derive.krate;
    let scalar = quote!(<Self as #krate::Differentiable>::Scalar);
    let (mut visit, mut visit_mut, mut visit_named) = helpers(&derive.krate);
    for field in &derive.fields {
        let (member, name, span) = (&field.member, &field.name, field.ty.span());
        // The locals keep their hygiene and take the field's place in error messages.
        let f = syn::Ident::new("f", Span::mixed_site().located_at(span));
        let path = syn::Ident::new("path", Span::mixed_site().located_at(span));
        // `self` resolves at the call site: spanned like a field declared in a `macro_rules!`
        // expansion, it would not name the method's receiver.
        let this = syn::Token![self](Span::call_site().located_at(span));
        visit.extend(quote_spanned!(span=>
            __matgrad_field::<#scalar, _>(&#this.#member, #f);
        ));
        visit_mut.extend(quote_spanned!(span=>
            __matgrad_field::<#scalar, _>(&mut #this.#member, #f);
        ));
        visit_named.extend(quote_spanned!(span=>
            __matgrad_field::<#scalar, _>(&#this.#member, #name, #path, #f);
        ));
    }
    Bodies {
        visit,
        visit_mut,
        visit_named,
    }
}

/// The local function each method's body starts with: the trait's method of one field, whose
/// scalar `S` the call names.
fn helpers(krate: &TokenStream) -> (TokenStream, TokenStream, TokenStream) {
    let trait_ = quote!(#krate::Differentiable);
    let (leaf, leaf_mut) = (quote!(#krate::Leaf), quote!(#krate::LeafMut));
    let fn_mut = quote!(::core::ops::FnMut);
    let str_ = quote!(::core::primitive::str);
    let visit = quote! {
        fn __matgrad_field<'l, S, V: #trait_<Scalar = S>>(
            value: &'l V,
            f: &mut dyn #fn_mut(#leaf<'l, S>),
        ) {
            #trait_::visit(value, f);
        }
    };
    let visit_mut = quote! {
        fn __matgrad_field<'l, S, V: #trait_<Scalar = S>>(
            value: &'l mut V,
            f: &mut dyn #fn_mut(#leaf_mut<'l, S>),
        ) {
            #trait_::visit_mut(value, f);
        }
    };
    let visit_named = quote! {
        fn __matgrad_field<'l, S, V: #trait_<Scalar = S>>(
            value: &'l V,
            name: &#str_,
            path: &mut ::std::string::String,
            f: &mut dyn #fn_mut(&#str_, #leaf<'l, S>),
        ) {
            #krate::__private::visit_field(value, name, path, f);
        }
    };
    (visit, visit_mut, visit_named)
}

/// `impl Differentiable for Struct`, with the bounds of `table`; see [`bodies`] for `stub`.
pub fn differentiable_impl(derive: &Derive, table: &Bounds, stub: bool) -> TokenStream {
    let krate = &derive.krate;
    let ident = &derive.ident;
    let (impl_generics, ty_generics, _) = derive.generics.split_for_impl();
    let where_clause = where_clause(derive, &table.predicates);
    let scalar = &table.scalar;
    let scalar_item = quote_spanned!(table.scalar_span=> type Scalar = #scalar;);
    let (f, path) = if stub {
        (quote!(_), quote!(_))
    } else {
        let (f, path) = (local("f"), local("path"));
        (quote!(#f), quote!(#path))
    };
    let Bodies {
        visit,
        visit_mut,
        visit_named,
    } = bodies(derive, stub);
    let trait_ = quote!(#krate::Differentiable);
    let (leaf, leaf_mut) = (quote!(#krate::Leaf), quote!(#krate::LeafMut));
    let fn_mut = quote!(::core::ops::FnMut);
    let str_ = quote!(::core::primitive::str);
    let skipped = (!stub).then(|| skipped_items(derive));
    quote! {
        #[automatically_derived]
        impl #impl_generics #trait_ for #ident #ty_generics #where_clause {
            #scalar_item
            #skipped

            fn visit<'__matgrad_leaf>(
                &'__matgrad_leaf self,
                #f: &mut dyn #fn_mut(#leaf<'__matgrad_leaf, <Self as #trait_>::Scalar>),
            ) {
                #visit
            }

            fn visit_mut<'__matgrad_leaf>(
                &'__matgrad_leaf mut self,
                #f: &mut dyn #fn_mut(#leaf_mut<'__matgrad_leaf, <Self as #trait_>::Scalar>),
            ) {
                #visit_mut
            }

            fn visit_named<'__matgrad_leaf>(
                &'__matgrad_leaf self,
                #path: &mut ::std::string::String,
                #f: &mut dyn #fn_mut(&#str_, #leaf<'__matgrad_leaf, <Self as #trait_>::Scalar>),
            ) {
                #visit_named
            }
        }
    }
}

/// `HAS_SKIPPED`, `zero_skipped` and `restore_skipped`: the skipped fields themselves (zeroed
/// where their type is differentiable, by autoref specialisation; restored by a clone), and
/// the same asked of every differentiated field.
fn skipped_items(derive: &Derive) -> TokenStream {
    let krate = &derive.krate;
    let trait_ = quote!(#krate::Differentiable);
    let (this, from) = (local("self_"), local("from"));
    // A field whose type names the struct itself (a tree's `Vec<Tree>`) may hold skipped
    // fields: asking its type would be a cycle.
    let recursive = |ty: &syn::Type| kind(derive, ty) == Kind::Recursive;
    let own = !derive.skipped.is_empty() || derive.fields.iter().any(|f| recursive(&f.ty));
    // Each use of a field's impl is spanned on its type, as the bound's own error is: a field
    // that is not `Differentiable` stays one error there, not one more per item.
    let has = derive.fields.iter().filter(|f| !recursive(&f.ty)).map(|f| {
        let ty = &f.ty;
        quote_spanned!(ty.span()=> || <#ty as #trait_>::HAS_SKIPPED)
    });
    let zero_fields = derive.fields.iter().map(|f| {
        let (ty, m) = (&f.ty, &f.member);
        quote_spanned!(ty.span()=> <#ty as #trait_>::zero_skipped(&mut #this.#m);)
    });
    let restore_fields = derive.fields.iter().map(|f| {
        let (ty, m) = (&f.ty, &f.member);
        quote_spanned!(ty.span()=> <#ty as #trait_>::restore_skipped(&mut #this.#m, &#from.#m);)
    });
    let skipped: Vec<&syn::Member> = derive.skipped.iter().map(|f| &f.member).collect();
    let zero = derive.skipped.iter().map(|f| {
        let m = &f.member;
        if zeroed_by_bound(derive, &f.ty) {
            quote!(#this.#m = #trait_::zeros_like(&#this.#m);)
        } else {
            quote!((&#krate::__private::ZeroSkipped::new(&mut #this.#m)).zero();)
        }
    });
    quote! {
        const HAS_SKIPPED: bool = #own #(#has)*;

        fn zero_skipped(&mut self) {
            #[allow(unused_imports)]
            use #krate::__private::zero_skipped::{OfDifferentiable as _, OfOther as _};
            let #this = self;
            #(#zero)*
            #(#zero_fields)*
        }

        fn restore_skipped(&mut self, #from: &Self) {
            let #this = self;
            #(#this.#skipped = ::core::clone::Clone::clone(&#from.#skipped);)*
            #(#restore_fields)*
        }
    }
}
