//! What a parameter's or the return value's written type says about differentiation.

use syn::{Ident, Type};

/// How a written type takes part in differentiation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeClass {
    /// `f32`, `f64` or a type parameter bounded by `RealField` or `Scalar`.
    Float,
    /// An owned nalgebra matrix or vector, or a type parameter bounded by `Dense`.
    Matrix,
    /// A nalgebra view (`DMatrixView`, ...): it has no owned gradient type.
    View,
    /// A type that is certainly not differentiable: integers, `bool`, strings, slices,
    /// arrays, tuples, collections, `impl Trait`, function pointers.
    Constant,
    /// A type the macro cannot classify by its name: a type alias, the user's own type, an
    /// unbounded type parameter.
    Unknown,
    /// A slice, array or `Vec` of floats, matrices or the user's own types: differentiated
    /// only when named in `#[grad(..)]` (its gradient a `Vec`, an array for an array).
    Collection,
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

const CONSTANT_TYPES: &[&str] = &[
    "usize",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "isize",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "bool",
    "char",
    "str",
    "String",
    "Vec",
    "VecDeque",
    "HashMap",
    "HashSet",
    "BTreeMap",
    "BTreeSet",
    "Option",
    "Result",
    "Range",
    "RangeInclusive",
    "PhantomData",
    "Duration",
    "Instant",
    "Path",
    "PathBuf",
    "OsString",
    "OsStr",
];

/// The type parameters of the function, by what their bounds say.
#[derive(Default)]
pub struct TypeParams {
    /// Bounded by `RealField` or `Scalar`.
    pub floats: Vec<Ident>,
    /// Bounded by `Dense`.
    pub values: Vec<Ident>,
}

/// The class of a value type (references already stripped).
pub fn classify(ty: &Type, params: &TypeParams) -> TypeClass {
    match ty {
        Type::Paren(p) => classify(&p.elem, params),
        Type::Group(g) => classify(&g.elem, params),
        Type::Reference(r) => match classify(&r.elem, params) {
            TypeClass::Constant => TypeClass::Constant,
            _ => TypeClass::Unknown,
        },
        Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return TypeClass::Unknown;
            };
            let name = last.ident.to_string();
            let single = p.path.segments.len() == 1;
            if single && (name == "f64" || name == "f32" || params.floats.contains(&last.ident)) {
                TypeClass::Float
            } else if single && params.values.contains(&last.ident) {
                TypeClass::Matrix
            } else if MATRIX_PREFIXES.iter().any(|m| name.starts_with(m)) {
                if name.contains("View") || name.contains("Slice") {
                    TypeClass::View
                } else {
                    TypeClass::Matrix
                }
            } else if name == "Vec" {
                element_class(vec_element(last), params)
            } else if CONSTANT_TYPES.contains(&name.as_str()) {
                TypeClass::Constant
            } else {
                TypeClass::Unknown
            }
        }
        Type::Slice(s) => element_class(Some(&s.elem), params),
        Type::Array(a) => element_class(Some(&a.elem), params),
        Type::Tuple(_)
        | Type::ImplTrait(_)
        | Type::BareFn(_)
        | Type::TraitObject(_)
        | Type::Ptr(_)
        | Type::Never(_) => TypeClass::Constant,
        _ => TypeClass::Unknown,
    }
}

/// The class of a collection of `element`s: [`TypeClass::Collection`] of differentiable
/// (or unknown) elements, else a constant.
fn element_class(element: Option<&Type>, params: &TypeParams) -> TypeClass {
    match element.map(|e| classify(e, params)) {
        Some(TypeClass::Float | TypeClass::Matrix | TypeClass::Unknown | TypeClass::Collection) => {
            TypeClass::Collection
        }
        _ => TypeClass::Constant,
    }
}

/// The element type of `Vec<T>`.
fn vec_element(segment: &syn::PathSegment) -> Option<&Type> {
    let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(t) if args.args.len() == 1 => Some(t),
        _ => None,
    }
}

/// `ty` as the user would write it (`DMatrixView<f64>`, not `DMatrixView < f64 >`).
pub fn written(ty: &Type) -> String {
    let text = quote::ToTokens::to_token_stream(ty).to_string();
    let mut out = text
        .replace(" < ", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" ,", ",")
        .replace("& ", "&");
    if out.starts_with(":: ") {
        out = out.replacen(":: ", "::", 1);
    }
    out
}

/// Whether `ty` mentions `impl Trait` anywhere.
pub fn has_impl_trait(ty: &Type) -> bool {
    struct Find(bool);
    impl<'ast> syn::visit::Visit<'ast> for Find {
        fn visit_type_impl_trait(&mut self, _: &'ast syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut f = Find(false);
    syn::visit::Visit::visit_type(&mut f, ty);
    f.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn class(ty: Type) -> TypeClass {
        let params = TypeParams {
            floats: vec![parse_quote!(T)],
            values: vec![parse_quote!(V)],
        };
        classify(&ty, &params)
    }

    #[test]
    fn floats_matrices_collections_constants_and_unknowns() {
        assert_eq!(class(parse_quote!(f64)), TypeClass::Float);
        assert_eq!(class(parse_quote!(T)), TypeClass::Float);
        assert_eq!(class(parse_quote!(DMatrix<f64>)), TypeClass::Matrix);
        assert_eq!(
            class(parse_quote!(nalgebra::SMatrix<T, 2, 3>)),
            TypeClass::Matrix
        );
        assert_eq!(class(parse_quote!(V)), TypeClass::Matrix);
        assert_eq!(class(parse_quote!(DMatrixView<'a, f64>)), TypeClass::View);
        assert_eq!(class(parse_quote!(usize)), TypeClass::Constant);
        assert_eq!(class(parse_quote!([DVector<f64>])), TypeClass::Collection);
        assert_eq!(
            class(parse_quote!(Vec<DVector<f64>>)),
            TypeClass::Collection
        );
        assert_eq!(class(parse_quote!([Layer; 3])), TypeClass::Collection);
        assert_eq!(class(parse_quote!(Vec<Vec<f64>>)), TypeClass::Collection);
        assert_eq!(class(parse_quote!([usize])), TypeClass::Constant);
        assert_eq!(class(parse_quote!(Vec<String>)), TypeClass::Constant);
        assert_eq!(class(parse_quote!(Vec<(f64, f64)>)), TypeClass::Constant);
        assert_eq!(
            class(parse_quote!(impl Fn(f64) -> f64)),
            TypeClass::Constant
        );
        assert_eq!(class(parse_quote!(Mat)), TypeClass::Unknown);
        assert_eq!(class(parse_quote!(U)), TypeClass::Unknown);
        assert_eq!(class(parse_quote!(crate::Model)), TypeClass::Unknown);
    }
}
