//! The derive's input: the struct's differentiated fields and the `#[differentiable(..)]`
//! arguments (`crate = path` on the struct, `skip` on a field), with an error for every shape
//! or argument the derive cannot take, saying what to write instead.

use super::{Derive, Field};
use crate::emit::Context;
use crate::error::Errors;
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Fields};

/// The attribute's name: `#[differentiable(..)]`.
const ATTR: &str = "differentiable";

/// The struct's fields and arguments, or `None` when no impl can be made (an enum, a union,
/// a struct without a differentiated field); every error found is in `errors`.
pub fn read(input: &DeriveInput, context: &Context, errors: &mut Errors) -> Option<Derive> {
    let krate = struct_args(&input.attrs, errors);
    let fields = match &input.data {
        Data::Struct(data) => &data.fields,
        Data::Enum(data) => {
            let (token, ident) = (&data.enum_token, &input.ident);
            errors.at(
                quote!(#token #ident),
                "`Differentiable` can be derived for structs only: the variants of an enum have \
                 different leaves, so two of its values cannot be added; use a struct (with an \
                 `Option` or `Vec` field for what varies), or implement the trait by hand",
            );
            return None;
        }
        Data::Union(data) => {
            let (token, ident) = (&data.union_token, &input.ident);
            errors.at(
                quote!(#token #ident),
                "`Differentiable` can be derived for structs only, not unions: use a struct \
                 whose fields are the float and matrix values",
            );
            return None;
        }
    };
    let (fields, skipped) = read_fields(fields, errors);
    let ident = &input.ident;
    if fields.is_empty() {
        errors.at(ident, no_fields_message(input));
        return None;
    }
    Some(Derive {
        krate: match krate {
            Some(path) => path.into_token_stream(),
            None => context.krate.clone(),
        },
        ident: ident.clone(),
        generics: input.generics.clone(),
        fields,
        skipped,
    })
}

/// Why a struct with no differentiated field cannot derive the trait, and what to write.
fn no_fields_message(input: &DeriveInput) -> String {
    let ident = &input.ident;
    let has_fields = matches!(&input.data, Data::Struct(s) if !s.fields.is_empty());
    if has_fields {
        format!(
            "every field of `{ident}` is `#[differentiable(skip)]`, so it has no entries to \
             differentiate; remove `skip` from the float and matrix fields, or remove \
             `Differentiable` from the derive"
        )
    } else {
        format!(
            "`{ident}` has no fields, so it has no entries to differentiate; give it a float or \
             matrix field, or remove `Differentiable` from the derive"
        )
    }
}

/// The fields not marked `#[differentiable(skip)]`, in declaration order, and those that are.
fn read_fields(fields: &Fields, errors: &mut Errors) -> (Vec<Field>, Vec<Field>) {
    let (mut out, mut skipped) = (Vec::new(), Vec::new());
    for (index, field) in fields.iter().enumerate() {
        let (member, name) = match &field.ident {
            Some(ident) => {
                let name = syn::ext::IdentExt::unraw(ident).to_string();
                (syn::Member::Named(ident.clone()), name)
            }
            None => {
                let member = syn::Index {
                    index: index as u32,
                    span: field.ty.span(),
                };
                (syn::Member::Unnamed(member), index.to_string())
            }
        };
        let skip = field_skipped(&field.attrs, errors);
        let field = Field {
            member,
            name,
            ty: field.ty.clone(),
        };
        match skip {
            true => skipped.push(field),
            false => out.push(field),
        }
    }
    (out, skipped)
}

/// The `#[differentiable(..)]` attributes among `attrs`.
fn ours(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|a| a.path().is_ident(ATTR))
}

/// The struct's arguments: `crate = path`, if given.
fn struct_args(attrs: &[Attribute], errors: &mut Errors) -> Option<syn::Path> {
    let mut krate: Option<syn::Path> = None;
    for attr in ours(attrs) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                let path = crate_path(&meta)?;
                if krate.is_some() {
                    errors.at(&meta.path, "`crate = ..` is given twice; give it once");
                } else {
                    krate = Some(path);
                }
            } else if meta.path.is_ident("skip") {
                errors.at(
                    &meta.path,
                    "`skip` goes on a field, not on the struct: \
                     `#[differentiable(skip)] name: Type`",
                );
            } else {
                errors.at(
                    &meta.path,
                    format_args!(
                        "unknown argument `{}` of `#[differentiable(..)]` on a struct; the \
                         struct takes `crate = path` (e.g. `#[differentiable(crate = ::ad)]`), \
                         a field `#[differentiable(skip)]`",
                        meta.path.to_token_stream()
                    ),
                );
                skip_value(&meta)?;
            }
            Ok(())
        });
        if let Err(e) = parsed {
            errors.push(e);
        }
    }
    krate
}

/// The path of `crate = path`: a module path without generic arguments or `Self`.
fn crate_path(meta: &syn::meta::ParseNestedMeta) -> syn::Result<syn::Path> {
    let value = meta.value()?;
    if value.peek(syn::LitStr) {
        let lit: syn::LitStr = value.parse()?;
        let message = format!(
            "write the path without quotes: `#[differentiable(crate = {})]`",
            lit.value()
        );
        return Err(syn::Error::new_spanned(lit, message));
    }
    let path: syn::Path = value.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            "`crate = ..` names the path of the `matgrad` crate, e.g. \
             `#[differentiable(crate = ::ad)]`",
        )
    })?;
    let module = path
        .segments
        .iter()
        .all(|s| s.arguments.is_none() && s.ident != "Self");
    if !module {
        return Err(syn::Error::new_spanned(
            path,
            "`crate = ..` names a crate or module by a path without generic arguments or \
             `Self`, e.g. `#[differentiable(crate = ::ad)]`",
        ));
    }
    Ok(path)
}

/// Consumes `= value` or `(..)` after an unknown argument, so that the next one is read.
fn skip_value(meta: &syn::meta::ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| skip_value(&inner))?;
    }
    Ok(())
}

/// Whether the field is marked `#[differentiable(skip)]`.
fn field_skipped(attrs: &[Attribute], errors: &mut Errors) -> bool {
    let mut skip = false;
    for attr in ours(attrs) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("skip") {
                if skip {
                    errors.at(&meta.path, "`skip` is given twice; give it once");
                }
                skip = true;
            } else if meta.path.is_ident("crate") {
                errors.at(
                    &meta.path,
                    "`crate = ..` goes on the struct, not on a field: \
                     `#[differentiable(crate = ::ad)] struct ..`",
                );
                skip_value(&meta)?;
            } else {
                errors.at(
                    &meta.path,
                    format_args!(
                        "unknown argument `{}` of `#[differentiable(..)]` on a field; write \
                         `#[differentiable(skip)]` to leave the field out of the leaves",
                        meta.path.to_token_stream()
                    ),
                );
                skip_value(&meta)?;
            }
            Ok(())
        });
        if let Err(e) = parsed {
            errors.push(e);
        }
    }
    skip
}
