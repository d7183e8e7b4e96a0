//! Compile-fail cases: every misuse of `#[grad]` and `#[derive(Differentiable)]` is a spanned error
//! saying what to write instead.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/args/*.rs");
    t.compile_fail("tests/ui/signature/*.rs");
    t.compile_fail("tests/ui/unsupported/*.rs");
    t.compile_fail("tests/ui/calls/*.rs");
    t.compile_fail("tests/ui/spans/*.rs");
    t.compile_fail("tests/ui/forward/*.rs");
    t.compile_fail("tests/ui/models/*.rs");
}

/// `#[derive(Differentiable)]` on what it cannot take, with arguments it does not know, or on
/// fields whose types do not fit: `cargo test --test ui -- derive` runs these alone.
#[test]
fn derive() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/derive/*.rs");
}
