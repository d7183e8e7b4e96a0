//! Compile-fail cases: every misuse of `#[grad]` is a spanned error saying what to write instead.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/args/*.rs");
    t.compile_fail("tests/ui/signature/*.rs");
    t.compile_fail("tests/ui/unsupported/*.rs");
    t.compile_fail("tests/ui/calls/*.rs");
    t.compile_fail("tests/ui/spans/*.rs");
    t.compile_fail("tests/ui/forward/*.rs");
}
