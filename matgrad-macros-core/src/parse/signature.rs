//! The annotated function's signature: which parameters are differentiated, what the
//! gradient struct holds, and what the function returns.

use super::args::Args;
use super::types::{classify, TypeClass, TypeParams};
use crate::error::Errors;
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
    /// What its type says.
    pub class: TypeClass,
}

/// What the function returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// A float: `_grad` seeds the reverse sweep with one.
    Float,
    /// A matrix or vector, or a type the macro cannot classify: `_grad` exists only when the
    /// type turns out to be a float (a bound says so otherwise).
    Other,
}

/// A function that returns `Option<T>` or `Result<T, E>`: `?` may leave it early, and its
/// companions return their results wrapped alike (`Option<(T, Grad)>`).
#[derive(Clone, Debug)]
pub struct Fallible {
    /// `Option` or `Result`: the variant that holds the value is `Some` or `Ok`.
    pub result: bool,
    /// `T`, the value differentiated.
    pub value_ty: Type,
    /// The return type as written (`Option<T>`, `Result<T, E>`, `anyhow::Result<T>`).
    pub written: syn::TypePath,
}

impl Fallible {
    /// The return type with `inner` in place of `T`: `Option<(T, Grad)>`.
    pub fn wrapping(&self, inner: Type) -> Type {
        let mut ty = self.written.clone();
        if let Some(syn::PathArguments::AngleBracketed(args)) =
            ty.path.segments.last_mut().map(|s| &mut s.arguments)
        {
            if let Some(first) = args.args.iter_mut().find_map(|a| match a {
                syn::GenericArgument::Type(t) => Some(t),
                _ => None,
            }) {
                *first = inner;
            }
        }
        Type::Path(ty)
    }
}

/// What the later stages need to know about the signature.
pub struct Signature {
    pub params: Vec<Param>,
    /// Type parameters bounded by `RealField`: the companions add `T: Scalar` for them.
    pub real_type_params: Vec<Ident>,
    /// Every type parameter (`T::max(a, b)` is a float function when `T` is one).
    pub type_params: Vec<Ident>,
    pub output: Output,
    /// Where the function returns an `Option` or a `Result`.
    pub fallible: Option<Fallible>,
    /// `checkpoint` as the attribute gave it: the top-level loops are checkpointed.
    pub checkpoint: Option<Ident>,
}

/// Reads the parameters and return type, reporting misuse into `errors`.
pub fn analyze(func: &ItemFn, args: &Args, errors: &mut Errors) -> Signature {
    let sig = &func.sig;
    let type_params = TypeParams {
        floats: bounded_type_params(func, &["RealField", "Scalar"]),
        values: bounded_type_params(func, &["Dense"]),
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
    let params: Vec<Param> = sig
        .inputs
        .iter()
        .filter_map(|input| param(input, args, &type_params, errors))
        .collect();
    check_named_parameters(func, args, &params, errors);
    let fallible = match &sig.output {
        ReturnType::Type(_, ty) => fallible(ty),
        ReturnType::Default => None,
    };
    let output = output(func, fallible.as_ref(), &type_params, errors);
    Signature {
        params,
        real_type_params: bounded_type_params(func, &["RealField"]),
        type_params: func
            .sig
            .generics
            .type_params()
            .map(|t| t.ident.clone())
            .collect(),
        output,
        fallible,
        checkpoint: args.checkpoint.clone(),
    }
}

/// One parameter: its class and whether it is differentiated.
fn param(
    input: &FnArg,
    args: &Args,
    type_params: &TypeParams,
    errors: &mut Errors,
) -> Option<Param> {
    let pt = match input {
        FnArg::Receiver(r) => {
            errors.at(
                r,
                "`#[grad]` does not support methods; write a free function that takes this value as a parameter",
            );
            return None;
        }
        FnArg::Typed(pt) => pt,
    };
    let ident = match &*pt.pat {
        Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => Some(pi.ident.clone()),
        _ => None,
    };
    let (value_ty, by_ref, mutable) = match &*pt.ty {
        Type::Reference(r) => ((*r.elem).clone(), true, r.mutability.is_some()),
        other => (other.clone(), false, false),
    };
    let class = classify(&value_ty, type_params);
    let listed = match (&args.wrt, &ident) {
        (Some(wrt), Some(id)) => wrt.contains(id),
        _ => false,
    };
    let ty_text = super::types::written(&value_ty);
    let differentiated = match (&args.wrt, &ident) {
        (_, None) => false,
        (Some(_), Some(_)) if !listed => false,
        (Some(_), Some(name)) => listed_param(name, &pt.ty, &ty_text, mutable, class, errors),
        (None, Some(name)) => unlisted_param(name, &pt.ty, &ty_text, mutable, class, errors),
    };
    Some(Param {
        ident,
        value_ty,
        by_ref,
        differentiated,
        class,
    })
}

/// Whether a parameter named in `#[grad(..)]` can be differentiated (else an error).
fn listed_param(
    name: &Ident,
    ty: &Type,
    ty_text: &str,
    mutable: bool,
    class: TypeClass,
    errors: &mut Errors,
) -> bool {
    if mutable {
        errors.at(
            ty,
            format_args!("`{name}` is a mutable reference, which `#[grad]` cannot differentiate; take it as `&{ty_text}` or by value"),
        );
        return false;
    }
    match class {
        TypeClass::Float | TypeClass::Matrix | TypeClass::Unknown | TypeClass::Collection => true,
        TypeClass::View => {
            errors.at(ty, view_message(name, ty_text));
            false
        }
        TypeClass::Constant => {
            errors.at(
                ty,
                format_args!(
                    "`{name}` has type `{ty_text}`, which is not differentiable; differentiate `f64`, `f32`, a `T: RealField` \
                     parameter or an nalgebra matrix such as `DMatrix<f64>`, or leave `{name}` out of `#[grad(...)]`"
                ),
            );
            false
        }
    }
}

/// Whether a parameter of a bare `#[grad]` is differentiated; a type the macro cannot
/// classify is an error rather than silently constant.
fn unlisted_param(
    name: &Ident,
    ty: &Type,
    ty_text: &str,
    mutable: bool,
    class: TypeClass,
    errors: &mut Errors,
) -> bool {
    match class {
        _ if mutable => false,
        TypeClass::Float | TypeClass::Matrix => true,
        TypeClass::Constant | TypeClass::Collection => false,
        TypeClass::View => {
            errors.at(ty, view_message(name, ty_text));
            false
        }
        TypeClass::Unknown => {
            errors.at(
                ty,
                format_args!(
                    "`#[grad]` cannot tell from the type `{ty_text}` whether `{name}` is differentiable (a type alias, your own \
                     type or an unbounded type parameter); name the parameters to differentiate: `#[grad({name}, ..)]` \
                     differentiates `{name}` as a value of `matgrad::Differentiable` type (derive it for a struct of parameters), leaving it out keeps it constant"
                ),
            );
            false
        }
    }
}

fn view_message(name: &Ident, ty_text: &str) -> String {
    format!(
        "`{name}` is a matrix view (`{ty_text}`), which has no gradient of its own type; take the matrix by \
         reference (e.g. `&DMatrix<f64>`), or name the parameters to differentiate without `{name}` to keep it constant"
    )
}

/// Every name in `#[grad(..)]` must be a parameter, and something must be differentiated.
fn check_named_parameters(func: &ItemFn, args: &Args, params: &[Param], errors: &mut Errors) {
    let sig = &func.sig;
    if let Some(wrt) = &args.wrt {
        let names: Vec<String> = params
            .iter()
            .filter_map(|p| p.ident.as_ref().map(|i| format!("`{i}`")))
            .collect();
        for w in wrt {
            if !params.iter().any(|p| p.ident.as_ref() == Some(w)) {
                let list = if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                };
                errors.at(
                    w,
                    format_args!(
                        "`{w}` is not a parameter of `{}`; its parameters are {list}",
                        sig.ident
                    ),
                );
            }
        }
    }
    let classified = params
        .iter()
        .all(|p| p.class != TypeClass::Unknown || p.differentiated);
    if params.iter().all(|p| !p.differentiated) && args.wrt.is_none() && classified {
        errors.at(
            &sig.ident,
            format_args!(
                "`{}` has no parameter to differentiate; `#[grad]` differentiates parameters of type `f64`, `f32`, \
                 a `T: RealField` parameter, or an nalgebra matrix such as `&DMatrix<f64>`",
                sig.ident
            ),
        );
    }
}

/// What the function returns; a type that cannot be differentiated is an error.
fn output(
    func: &ItemFn,
    fallible: Option<&Fallible>,
    type_params: &TypeParams,
    errors: &mut Errors,
) -> Output {
    let sig = &func.sig;
    if let Some(f) = fallible {
        return match classify(&f.value_ty, type_params) {
            TypeClass::Float => Output::Float,
            TypeClass::Matrix | TypeClass::Unknown => Output::Other,
            TypeClass::View | TypeClass::Constant | TypeClass::Collection => {
                errors.at(
                    &f.value_ty,
                    "`#[grad]` differentiates functions that return a float or an owned nalgebra matrix or vector, \
                     or an `Option` or `Result` of one",
                );
                Output::Other
            }
        };
    }
    match &sig.output {
        ReturnType::Default => {
            errors.at(
                &sig.ident,
                format_args!(
                    "`{}` returns nothing; `#[grad]` differentiates a function that returns a float or a matrix, e.g. `-> f64`",
                    sig.ident
                ),
            );
            Output::Other
        }
        ReturnType::Type(_, ty) => match classify(ty, type_params) {
            TypeClass::Float => Output::Float,
            TypeClass::Matrix | TypeClass::Unknown => Output::Other,
            TypeClass::View | TypeClass::Constant | TypeClass::Collection => {
                errors.at(
                    ty,
                    "`#[grad]` differentiates functions that return a float (`f64`, `f32`, a `T: RealField` parameter) \
                     or an owned nalgebra matrix or vector; return one value, not a tuple, a view or another type",
                );
                Output::Other
            }
        },
    }
}

/// `Option<T>` or `Result<T, E>` (by the last segment of the path, as written).
fn fallible(ty: &Type) -> Option<Fallible> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    let result = match last.ident.to_string().as_str() {
        "Option" => false,
        "Result" => true,
        _ => return None,
    };
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let value_ty = args.args.iter().find_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    })?;
    Some(Fallible {
        result,
        value_ty,
        written: p.clone(),
    })
}

/// The type parameters with a bound named in `traits`, inline or in the `where` clause.
pub fn bounded_type_params(func: &ItemFn, traits: &[&str]) -> Vec<Ident> {
    let bounded = |b: &TypeParamBound| match b {
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
            if t.bounds.iter().any(bounded) {
                out.push(t.ident.clone());
            }
        }
    }
    if let Some(wc) = &func.sig.generics.where_clause {
        for pred in &wc.predicates {
            if let WherePredicate::Type(pt) = pred {
                if let Type::Path(p) = &pt.bounded_ty {
                    if let Some(id) = p.path.get_ident() {
                        if pt.bounds.iter().any(bounded) && !out.contains(id) {
                            out.push(id.clone());
                        }
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn sig(args: Option<Vec<&str>>, func: ItemFn) -> (Signature, Vec<String>) {
        let args = Args {
            wrt: args.map(|v| {
                v.iter()
                    .map(|n| Ident::new(n, proc_macro2::Span::call_site()))
                    .collect()
            }),
            krate: None,
            forward: false,
            checkpoint: None,
            workspace: None,
        };
        let mut errors = Errors::default();
        let s = analyze(&func, &args, &mut errors);
        (s, errors.messages())
    }

    #[test]
    fn bare_grad_differentiates_floats_and_matrices() {
        let (s, e) = sig(
            None,
            parse_quote!(
                fn f(x: &DMatrix<f64>, n: usize, s: f64, xs: &[f64]) -> f64 {
                    s
                }
            ),
        );
        assert!(e.is_empty(), "{e:?}");
        let d: Vec<bool> = s.params.iter().map(|p| p.differentiated).collect();
        assert_eq!(d, [true, false, true, false]);
        assert_eq!(s.output, Output::Float);
    }

    #[test]
    fn an_alias_is_an_error_unless_listed() {
        let (_, e) = sig(
            None,
            parse_quote!(
                fn f(x: &Mat, s: f64) -> f64 {
                    s
                }
            ),
        );
        assert_eq!(e.len(), 1);
        assert!(
            e[0].contains("cannot tell from the type `Mat` whether `x` is differentiable"),
            "{e:?}"
        );
        let (s, e) = sig(
            Some(vec!["x", "s"]),
            parse_quote!(
                fn f(x: &Mat, s: f64) -> f64 {
                    s
                }
            ),
        );
        assert!(e.is_empty(), "{e:?}");
        assert!(s.params[0].differentiated);
        let (s, e) = sig(
            Some(vec!["s"]),
            parse_quote!(
                fn f(x: &Mat, s: f64) -> f64 {
                    s
                }
            ),
        );
        assert!(e.is_empty() && !s.params[0].differentiated);
    }

    #[test]
    fn constants_cannot_be_listed_and_matrices_may_be_returned() {
        let (_, e) = sig(
            Some(vec!["n"]),
            parse_quote!(
                fn f(x: f64, n: usize) -> f64 {
                    x
                }
            ),
        );
        assert!(
            e[0].contains("`n` has type `usize`, which is not differentiable"),
            "{e:?}"
        );
        let (s, e) = sig(
            None,
            parse_quote!(
                fn f(x: &DVector<f64>) -> DVector<f64> {
                    x.clone()
                }
            ),
        );
        assert!(e.is_empty());
        assert_eq!(s.output, Output::Other);
        let (_, e) = sig(
            None,
            parse_quote!(
                fn f(x: f64) -> (f64, f64) {
                    (x, x)
                }
            ),
        );
        assert_eq!(e.len(), 1);
    }
}
