//! `#[derive(Differentiable)]`: the trait's impl for a struct, visiting its fields in
//! declaration order, and the vector-space operators built on the trait's methods.
//!
//! The stages, each reading only its predecessor's output:
//!
//! 1. [`input`]: the struct's fields and the `#[differentiable(..)]` arguments, checked (the
//!    errors for enums, unions, structs without a differentiated field, unknown arguments);
//! 2. [`bounds`]: the side table of the impls' `Scalar` type and where-predicates;
//! 3. [`visit`]: the `Differentiable` impl; [`ops`]: `Add`, `Sub`, `Neg`, `Mul`, `Sum`, ...

pub mod bounds;
pub mod input;
pub mod ops;
pub mod visit;

use crate::emit::Context;
use crate::error::Errors;
use proc_macro2::TokenStream;
use quote::quote;

/// A struct that derives `Differentiable`, read from its definition.
pub struct Derive {
    /// The facade's path: `crate = ..` if given, else the shim's.
    pub krate: TokenStream,
    /// The struct's name.
    pub ident: syn::Ident,
    /// The struct's generic parameters and where-clause, as written.
    pub generics: syn::Generics,
    /// The differentiated fields (those not skipped), in declaration order; never empty.
    pub fields: Vec<Field>,
    /// The skipped fields (`#[differentiable(skip)]`).
    pub skipped: Vec<Field>,
}

/// One field.
pub struct Field {
    /// How `self` reaches it: `self.w` or `self.0`.
    pub member: syn::Member,
    /// Its name in leaf paths: `w` (without `r#`), or the tuple position `0`.
    pub name: String,
    /// Its type, as written.
    pub ty: syn::Type,
}

impl Derive {
    /// The struct's type with its parameters: `Layer<T>`.
    pub fn self_ty(&self) -> TokenStream {
        let ident = &self.ident;
        let (_, ty_generics, _) = self.generics.split_for_impl();
        quote!(#ident #ty_generics)
    }
}

/// The expansion of `#[derive(Differentiable)]` on `input`: the impls, or the errors (every
/// one found) as `compile_error!`s. After an argument error the impls are still emitted, with
/// bodies that do not look at the fields, so that the error does not cascade into errors at
/// every use of the struct or in the impl.
pub fn expand(input: TokenStream, context: &Context) -> TokenStream {
    let input: syn::DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error(),
    };
    let mut errors = Errors::default();
    let Some(derive) = input::read(&input, context, &mut errors) else {
        return errors.into_compile_errors();
    };
    let table = bounds::Bounds::of(&derive);
    let imp = visit::differentiable_impl(&derive, &table, !errors.is_empty());
    let ops = ops::operator_impls(&derive);
    let e = errors.into_compile_errors();
    quote!(#imp #ops #e)
}

#[cfg(test)]
mod tests;
