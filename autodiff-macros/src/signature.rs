//! The annotated function's signature: which parameters are differentiated, what the
//! gradient struct holds, and whether the return type is a scalar.

use crate::args::Args;
use crate::error::Errors;
use proc_macro2::TokenStream;
use syn::{
    FnArg, GenericParam, Ident, ItemFn, Pat, ReturnType, Type, TypeParamBound, WherePredicate,
};

/// One parameter of the annotated function.
pub struct Param {
    /// The parameter's name (`None` for a destructuring pattern).
    pub ident: Option<Ident>,
    /// The value type with references stripped: `DMatrix<f64>` for `&DMatrix<f64>`.
    pub value_ty: Type,
    /// Whether the parameter is passed by shared reference.
    pub by_ref: bool,
    /// Whether `#[grad]` computes this parameter's gradient.
    pub differentiated: bool,
    /// Whether the parameter's type can be differentiated at all (a float or a matrix).
    pub differentiable: bool,
}

/// What the emitter needs to know about the signature.
pub struct Signature {
    pub params: Vec<Param>,
    /// Type parameters bounded by `RealField`: the companions add `T: Scalar` for them.
    pub real_type_params: Vec<Ident>,
    /// Whether the function returns a scalar (so it gets a value-and-gradient companion).
    pub scalar_output: bool,
}

/// How a parameter's type takes part in differentiation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `f32`, `f64` or a generic type parameter.
    Float,
    /// An owned nalgebra matrix or vector type.
    Matrix,
    /// Anything else: integers, booleans, slices, user types.
    Other,
}

const MATRIX_PREFIXES: &[&str] = &[
    "DMatrix",
    "DVector",
    "RowDVector",
    "Matrix",
    "OMatrix",
    "SMatrix",
    "Vector",
    "SVector",
    "OVector",
    "RowVector",
    "RowSVector",
    "RowOVector",
];

/// The type parameters that stand for floats (bounded by `RealField` or `Scalar`) and for
/// other differentiable values (bounded by `Differentiable`).
struct TypeParams {
    floats: Vec<Ident>,
    values: Vec<Ident>,
}

fn kind(ty: &Type, type_params: &TypeParams) -> Kind {
    match ty {
        Type::Paren(p) => kind(&p.elem, type_params),
        Type::Group(g) => kind(&g.elem, type_params),
        Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return Kind::Other;
            };
            let name = last.ident.to_string();
            if p.path.segments.len() == 1
                && (name == "f64" || name == "f32" || type_params.floats.contains(&last.ident))
            {
                Kind::Float
            } else if (p.path.segments.len() == 1 && type_params.values.contains(&last.ident))
                || (MATRIX_PREFIXES.iter().any(|m| name.starts_with(m))
                    && !name.contains("View")
                    && !name.contains("Slice"))
            {
                Kind::Matrix
            } else {
                Kind::Other
            }
        }
        _ => Kind::Other,
    }
}

/// Reads the parameters and return type, reporting misuse into `errors`.
pub fn analyze(func: &ItemFn, args: &Args, errors: &mut Errors) -> Signature {
    let sig = &func.sig;
    let type_params = TypeParams {
        floats: bounded_type_params(func, &["RealField", "Scalar"]),
        values: bounded_type_params(func, &["Differentiable"]),
    };

    if let Some(asyncness) = &sig.asyncness {
        errors.at(
            asyncness,
            "`#[grad]` cannot differentiate an `async fn`; remove `async`",
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.at(
            variadic,
            "`#[grad]` cannot differentiate a variadic function",
        );
    }

    let mut params = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(r) => errors.at(
                r,
                "`#[grad]` does not support methods yet; write a free function that takes this value as a parameter",
            ),
            FnArg::Typed(pt) => {
                let ident = match &*pt.pat {
                    Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => Some(pi.ident.clone()),
                    _ => None,
                };
                let (value_ty, by_ref, mutable) = match &*pt.ty {
                    Type::Reference(r) => ((*r.elem).clone(), true, r.mutability.is_some()),
                    other => (other.clone(), false, false),
                };
                let k = kind(&value_ty, &type_params);
                let named = match (&args.wrt, &ident) {
                    (Some(wrt), Some(id)) => wrt.iter().find(|w| *w == id).cloned(),
                    _ => None,
                };
                let differentiated = match (&args.wrt, &named) {
                    (None, _) => k != Kind::Other && !mutable && ident.is_some(),
                    (Some(_), Some(name)) => {
                        if ident.is_none() {
                            false
                        } else if mutable {
                            errors.at(
                                &pt.ty,
                                format_args!(
                                    "`{name}` is a mutable reference, which `#[grad]` cannot differentiate; take it as `&{}` or by value",
                                    quote::quote!(#value_ty)
                                ),
                            );
                            false
                        } else if k == Kind::Other {
                            errors.at(
                                &pt.ty,
                                format_args!(
                                    "`{name}` has type `{}`, which is not differentiable; differentiate `f64`, `f32`, a `T: RealField` \
                                     parameter or an nalgebra matrix such as `DMatrix<f64>`, or leave `{name}` out of `#[grad(...)]`",
                                    quote::quote!(#value_ty)
                                ),
                            );
                            false
                        } else {
                            true
                        }
                    }
                    (Some(_), None) => false,
                };
                let differentiable = k != Kind::Other && !mutable && ident.is_some();
                params.push(Param { ident, value_ty, by_ref, differentiated, differentiable });
            }
        }
    }

    if let Some(wrt) = &args.wrt {
        let names: Vec<String> = params
            .iter()
            .filter_map(|p| p.ident.as_ref().map(|i| format!("`{i}`")))
            .collect();
        for w in wrt {
            if !params.iter().any(|p| p.ident.as_ref() == Some(w)) {
                errors.at(
                    w,
                    format_args!(
                        "`{w}` is not a parameter of `{}`; its parameters are {}",
                        sig.ident,
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    ),
                );
            }
        }
    }
    if params.iter().all(|p| !p.differentiated) && args.wrt.as_ref().is_none_or(|w| w.is_empty()) {
        errors.at(
            &sig.ident,
            format_args!(
                "`{}` has no parameter to differentiate; `#[grad]` differentiates parameters of type `f64`, `f32`, \
                 a `T: RealField` parameter, or an nalgebra matrix such as `&DMatrix<f64>`",
                sig.ident
            ),
        );
    }

    let mut scalar_output = false;
    match &sig.output {
        ReturnType::Default => errors.at(
            &sig.ident,
            format_args!(
                "`{}` returns nothing; `#[grad]` differentiates a function that returns a float or a matrix, e.g. `-> f64`",
                sig.ident
            ),
        ),
        ReturnType::Type(_, ty) => match kind(ty, &type_params) {
            Kind::Float => scalar_output = true,
            Kind::Matrix => {}
            Kind::Other => errors.at(
                ty,
                "`#[grad]` differentiates functions that return a float (`f64`, `f32`, a `T: RealField` parameter) \
                 or an nalgebra matrix or vector; return one value, not a tuple or another type",
            ),
        },
    }

    Signature {
        params,
        real_type_params: bounded_type_params(func, &["RealField"]),
        scalar_output,
    }
}

/// The type parameters with a bound named in `traits`, inline or in the `where` clause.
fn bounded_type_params(func: &ItemFn, traits: &[&str]) -> Vec<Ident> {
    let is_real = |b: &TypeParamBound| match b {
        TypeParamBound::Trait(t) => t
            .path
            .segments
            .last()
            .is_some_and(|s| traits.iter().any(|t| s.ident == t)),
        _ => false,
    };
    let mut out = Vec::new();
    for g in &func.sig.generics.params {
        if let GenericParam::Type(t) = g {
            if t.bounds.iter().any(is_real) {
                out.push(t.ident.clone());
            }
        }
    }
    if let Some(wc) = &func.sig.generics.where_clause {
        for pred in &wc.predicates {
            if let WherePredicate::Type(pt) = pred {
                if let Type::Path(p) = &pt.bounded_ty {
                    if let Some(id) = p.path.get_ident() {
                        if pt.bounds.iter().any(is_real) && !out.contains(id) {
                            out.push(id.clone());
                        }
                    }
                }
            }
        }
    }
    out
}

/// Removes the lifetimes of reference types (`&'a T` → `&T`), at any depth: the pullback
/// closures of `vjp` take their arguments for any lifetime.
pub fn strip_ref_lifetimes(ty: &mut Type) {
    struct Strip;
    impl syn::visit_mut::VisitMut for Strip {
        fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
            r.lifetime = None;
            syn::visit_mut::visit_type_reference_mut(self, r);
        }
    }
    syn::visit_mut::VisitMut::visit_type_mut(&mut Strip, ty);
}

/// The annotated item as a function, or, when it is not one, the tokens to emit instead: the
/// item unchanged and an error saying that `attribute` applies to a function.
pub fn parse_function(item: TokenStream, attribute: &str) -> Result<ItemFn, TokenStream> {
    match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Fn(f)) => Ok(f),
        Ok(other) => {
            let mut errors = Errors::default();
            errors.at(
                &other,
                format_args!("`{attribute}` applies to a function, e.g. `{attribute} fn loss(x: &DVector<f64>) -> f64 {{ ... }}`"),
            );
            let e = errors.into_compile_errors();
            Err(quote::quote!(#item #e))
        }
        Err(e) => {
            let e = e.to_compile_error();
            Err(quote::quote!(#item #e))
        }
    }
}

/// The parameters as a pullback closure takes them again, and their types: as declared,
/// without `mut`, a destructuring pattern as `_`, reference lifetimes left to the closure.
pub fn closure_inputs(func: &ItemFn) -> (Vec<TokenStream>, Vec<TokenStream>) {
    func.sig
        .inputs
        .iter()
        .filter_map(|arg| match arg {
            FnArg::Typed(pt) => {
                let mut pt = pt.clone();
                strip_ref_lifetimes(&mut pt.ty);
                if let Pat::Ident(pi) = &mut *pt.pat {
                    pi.mutability = None;
                } else {
                    *pt.pat = syn::parse_quote!(_);
                }
                let ty = &pt.ty;
                Some((quote::quote!(#pt), quote::quote!(#ty)))
            }
            FnArg::Receiver(_) => None,
        })
        .unzip()
}

/// The type and const parameters, by name (what a turbofish or `use<..>` lists).
pub fn type_and_const_params(func: &ItemFn) -> Vec<TokenStream> {
    func.sig
        .generics
        .params
        .iter()
        .filter_map(|g| match g {
            GenericParam::Type(t) => Some(quote::ToTokens::to_token_stream(&t.ident)),
            GenericParam::Const(c) => Some(quote::ToTokens::to_token_stream(&c.ident)),
            GenericParam::Lifetime(_) => None,
        })
        .collect()
}
