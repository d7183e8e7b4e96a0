//! Unit tests of the derive's stages, and its whole expansion for a small struct as a
//! reviewed snapshot (`snapshots/`; `cargo insta review` after a change).

use super::bounds::{kind, Bounds, Kind};
use super::{expand, input, Derive};
use crate::emit::Context;
use crate::error::Errors;
use quote::{quote, ToTokens};

/// The expansion of the derive on `source`, with the facade at `::matgrad`.
fn expanded(source: &str) -> proc_macro2::TokenStream {
    expand(source.parse().expect("tokens"), &Context::default())
}

/// The expansion formatted as Rust source, after checking that it parses as items.
fn pretty(source: &str) -> String {
    let file: syn::File = syn::parse2(expanded(source)).expect("the expansion is valid Rust");
    prettyplease::unparse(&file)
}

/// The struct read from `source`, and the error messages.
fn read(source: &str) -> (Option<Derive>, Vec<String>) {
    let input: syn::DeriveInput = syn::parse_str(source).expect("a struct");
    let mut errors = Errors::default();
    let derive = input::read(&input, &Context::default(), &mut errors);
    (derive, errors.messages())
}

/// The error messages of the derive on `source` (`compile_error!`s of the expansion).
fn errors(source: &str) -> Vec<String> {
    let (derive, messages) = read(source);
    assert!(
        derive.is_none() || !messages.is_empty(),
        "no error for {source}"
    );
    let out = expanded(source).to_string();
    assert_eq!(
        out.matches("compile_error").count(),
        messages.len(),
        "{out}"
    );
    messages
}

const LAYER: &str = "struct Layer<T: RealField> {
    w: DMatrix<T>,
    b: DVector<T>,
    #[differentiable(skip)]
    name: String,
}";

#[test]
fn the_expansion_of_a_generic_struct() {
    insta::assert_snapshot!(pretty(LAYER));
}

#[test]
fn one_trait_impl_and_nineteen_operator_impls() {
    let file: syn::File = syn::parse2(expanded(LAYER)).unwrap();
    let traits: Vec<String> = file
        .items
        .iter()
        .map(|item| match item {
            syn::Item::Impl(i) => {
                let (_, path, _) = i.trait_.as_ref().expect("a trait impl");
                let last = path.segments.last().unwrap();
                last.ident.to_string()
            }
            other => panic!("not an impl: {}", other.to_token_stream()),
        })
        .collect();
    let count = |t: &str| traits.iter().filter(|x| *x == t).count();
    assert_eq!(count("Differentiable"), 1);
    for (t, n) in [("Add", 4), ("Sub", 4), ("AddAssign", 2), ("SubAssign", 2)] {
        assert_eq!(count(t), n, "{t}");
    }
    for (t, n) in [("Neg", 2), ("Mul", 2), ("MulAssign", 1), ("Sum", 2)] {
        assert_eq!(count(t), n, "{t}");
    }
    assert_eq!(traits.len(), 20);
}

#[test]
fn fields_are_visited_in_order_under_their_names() {
    let out =
        expanded("struct Pair(DVector<f64>, #[differentiable(skip)] usize, f64, Vec<Layer<f64>>);")
            .to_string();
    let at = |pattern: &str| {
        out.find(pattern)
            .unwrap_or_else(|| panic!("no `{pattern}` in {out}"))
    };
    // `visit_named`: fields 0, 2, 3 under their positions, in order; field 1 nowhere.
    let named = [
        "(& self . 0 , \"0\"",
        "(& self . 2 , \"2\"",
        "(& self . 3 , \"3\"",
    ];
    assert!(at(named[0]) < at(named[1]) && at(named[1]) < at(named[2]));
    let visited = ["(& self . 0 , f)", "(& self . 2 , f)", "(& self . 3 , f)"];
    assert!(at(visited[0]) < at(visited[1]) && at(visited[1]) < at(visited[2]));
    let mutated = [
        "(& mut self . 0 , f)",
        "(& mut self . 2 , f)",
        "(& mut self . 3 , f)",
    ];
    assert!(at(mutated[0]) < at(mutated[1]) && at(mutated[1]) < at(mutated[2]));
    assert!(
        !out.contains("self . 1"),
        "the skipped field is visited: {out}"
    );
    let raw = expanded("struct Raw { r#type: f64 }").to_string();
    assert!(raw.contains("(& self . r#type , \"type\""), "{raw}");
}

#[test]
fn the_facade_path_comes_from_the_context_or_the_argument() {
    let given = expanded("#[differentiable(crate = ::ad)] struct S { x: f64 }").to_string();
    assert!(given.contains(":: ad :: Differentiable for S"), "{given}");
    assert!(!given.contains("matgrad ::"), "{given}");
    let context = Context {
        krate: quote!(::renamed),
        source: None,
    };
    let found = expand("struct S { x: f64 }".parse().unwrap(), &context).to_string();
    assert!(
        found.contains(":: renamed :: Differentiable for S"),
        "{found}"
    );
    assert!(
        found.contains(":: renamed :: __private :: sum_values"),
        "{found}"
    );
}

/// The kinds of `source`'s fields, in order.
fn kinds(source: &str) -> Vec<Kind> {
    let derive = read(source).0.expect("a struct");
    derive.fields.iter().map(|f| kind(&derive, &f.ty)).collect()
}

#[test]
fn field_kinds() {
    use Kind::*;
    let source = "struct S<T: RealField, const N: usize> {
        a: DMatrix<T>, b: f64, c: SMatrix<f64, N, N>, d: [f64; N], e: Vec<S<T, N>>,
        f: Box<Self>, g: Vec<nalgebra::DVector<f32>>, h: <T as Tr>::Out,
    }";
    let expected = [
        Generic, Concrete, Generic, Generic, Recursive, Recursive, Concrete, Generic,
    ];
    assert_eq!(kinds(source), expected);
}

/// The scalar and predicates of `source`, as text.
fn bounds(source: &str) -> (String, Vec<String>) {
    let derive = read(source).0.expect("a struct");
    let table = Bounds::of(&derive);
    let predicates = table.predicates.iter().map(|p| p.to_string()).collect();
    (table.scalar.to_string(), predicates)
}

#[test]
fn a_concrete_struct_has_no_bounds() {
    let (scalar, predicates) = bounds("struct S { w: DMatrix<f64>, b: f32 }");
    assert_eq!(
        scalar,
        "< DMatrix < f64 > as :: matgrad :: Differentiable > :: Scalar"
    );
    assert!(predicates.is_empty(), "{predicates:?}");
}

#[test]
fn generic_fields_are_bounded_by_the_first_fields_scalar() {
    let (scalar, predicates) =
        bounds("struct S<T: RealField> { w: DMatrix<T>, b: DVector<T>, v: DMatrix<T>, n: f64 }");
    let d = ":: matgrad :: Differentiable";
    assert_eq!(scalar, format!("< DMatrix < T > as {d} > :: Scalar"));
    // The scalar is a projection through `T`: the concrete `f64` is bounded too; `DMatrix<T>`
    // once; and `S<T>: Clone`, since `T` is a type parameter.
    let expected = [
        format!("DMatrix < T > : {d}"),
        format!("DVector < T > : {d} < Scalar = {scalar} >"),
        format!("f64 : {d} < Scalar = {scalar} >"),
        "S < T > : :: core :: clone :: Clone".to_string(),
    ];
    assert_eq!(predicates, expected);
}

#[test]
fn a_concrete_scalar_field_bounds_only_the_generic_fields() {
    let (scalar, predicates) =
        bounds("struct S<const N: usize> { t: f64, m: SMatrix<f64, N, N>, k: Vec<f64> }");
    let d = ":: matgrad :: Differentiable";
    assert_eq!(scalar, format!("< f64 as {d} > :: Scalar"));
    assert_eq!(
        predicates,
        [format!(
            "SMatrix < f64 , N , N > : {d} < Scalar = {scalar} >"
        )]
    );
}

#[test]
fn recursive_fields_are_unbounded_and_not_the_scalar() {
    let (scalar, predicates) = bounds("struct Tree<T: RealField> { kids: Vec<Tree<T>>, v: T }");
    assert_eq!(scalar, "< T as :: matgrad :: Differentiable > :: Scalar");
    assert_eq!(
        predicates,
        [
            "T : :: matgrad :: Differentiable",
            "Tree < T > : :: core :: clone :: Clone"
        ]
    );
}

#[test]
fn shapes_the_derive_cannot_take() {
    let enum_ = errors("enum E { A(f64), B(f64) }");
    assert!(enum_[0].contains("structs only") && enum_[0].contains("enum"));
    let union = errors("union U { a: f64, b: f32 }");
    assert!(union[0].contains("not unions"));
    for unit in ["struct S;", "struct S {}", "struct S();"] {
        assert!(errors(unit)[0].contains("`S` has no fields"), "{unit}");
    }
    let skipped =
        errors("struct S { #[differentiable(skip)] a: f64, #[differentiable(skip)] b: f64 }");
    assert!(skipped[0].contains("every field of `S` is `#[differentiable(skip)]`"));
}

#[test]
fn arguments_the_derive_does_not_take() {
    let cases = [
        (
            "#[differentiable(scalar = f64)] struct S { a: f64 }",
            "unknown argument `scalar`",
        ),
        (
            "struct S { #[differentiable(skipped)] a: f64, b: f64 }",
            "unknown argument `skipped`",
        ),
        (
            "struct S { #[differentiable(skip(1))] a: f64, b: f64 }",
            "expected `,`",
        ),
        (
            "#[differentiable(skip)] struct S { a: f64 }",
            "`skip` goes on a field",
        ),
        (
            "struct S { #[differentiable(crate = ad)] a: f64 }",
            "goes on the struct",
        ),
        (
            "struct S { #[differentiable(skip, skip)] a: f64, b: f64 }",
            "`skip` is given twice",
        ),
        (
            "#[differentiable(crate = a, crate = b)] struct S { a: f64 }",
            "given twice",
        ),
        (
            "#[differentiable(crate = a::<T>)] struct S { a: f64 }",
            "without generic arguments",
        ),
        (
            "#[differentiable(crate = \"ad\")] struct S { a: f64 }",
            "`#[differentiable(crate = ad)]`",
        ),
        (
            "#[differentiable(crate = 1)] struct S { a: f64 }",
            "names the path",
        ),
        (
            "#[differentiable] struct S { a: f64 }",
            "expected attribute arguments",
        ),
    ];
    for (source, expected) in cases {
        let messages = errors(source);
        assert_eq!(messages.len(), 1, "{source}: {messages:?}");
        assert!(messages[0].contains(expected), "{source}: {messages:?}");
    }
}

#[test]
fn every_argument_error_is_reported_and_the_impls_still_emitted() {
    let source = "#[differentiable(skip, nope)] struct S {
        #[differentiable(crate = ad)] a: f64,
        #[differentiable(what)] b: f64,
    }";
    assert_eq!(errors(source).len(), 4);
    let out = pretty(source);
    // Bodies that do not look at the fields: the errors above are the only ones.
    assert!(
        out.contains("impl ::matgrad::Differentiable for S"),
        "{out}"
    );
    assert_eq!(out.matches("::core::unreachable!()").count(), 3, "{out}");
    assert!(!out.contains("__matgrad_field"), "{out}");
}

#[test]
fn malformed_input_is_an_error_not_a_panic() {
    for source in [
        "",
        "fn f() {}",
        "struct",
        "struct S { a: }",
        "struct S<T { a: T }",
    ] {
        let out = expand(source.parse().unwrap(), &Context::default()).to_string();
        assert!(out.contains("compile_error"), "{source}: {out}");
    }
}
