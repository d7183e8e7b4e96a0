//! What the generator writes for small bodies (whole expansions: `tests/snapshots.rs`).

use crate::testing::expanded;

/// The generated code with its whitespace collapsed, for `contains` checks.
fn code(args: &str, src: &str) -> String {
    expanded(args, src)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Asserts that `code` contains `part`, showing the `_grad` companion if not.
#[track_caller]
fn has(code: &str, part: &str) {
    if !code.contains(part) {
        let grad = code.find("fn f_grad").map_or(code, |i| &code[i..]);
        let end = grad.find("fn f_pullback").unwrap_or(grad.len());
        panic!("missing `{part}` in:\n{}", &grad[..end]);
    }
}

#[test]
fn a_constant_is_computed_as_written_and_a_varied_value_by_its_kernel() {
    let c = code(
        "x",
        "fn f(x: f64, n: usize) -> f64 { let k = n as f64 * 2.0; x * k }",
    );
    has(&c, "let k = n as f64 * 2.0 ;");
    has(&c, "use :: matgrad :: __private as __rt ;");
    has(&c, "= __rt :: mul (& x , & k) ;");
}

#[test]
fn pullbacks_take_the_cotangent_by_value_where_they_can() {
    let c = code("x", "fn f(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 { let r = a * x - b; r.norm_squared() }");
    has(&c, "sub_reuse_lhs");
    has(&c, "norm_squared_pullback_reuse_x");
    has(&c, "mul_pullback_rhs_reuse_g");
}

#[test]
fn a_branch_is_replayed_from_the_save_of_the_arm_that_ran() {
    let c = code(
        "",
        "fn f(x: f64) -> f64 { let y = if x > 0.0 { x * x } else { x.sin() }; y }",
    );
    // Each arm sets its save; the reverse sweep replays the arm whose save is set.
    has(&c, "__saved = :: core :: option :: Option :: Some (())");
    has(&c, "= & __saved { # [allow (unused_variables)] let () =");
    has(&c, "} else if let :: core :: option :: Option :: Some");
}

#[test]
fn a_crate_path_replaces_the_facade() {
    let c = code("x, crate = ::ad", "fn f(x: f64) -> f64 { x * x }");
    has(&c, "use :: ad :: __private as __rt ;");
    has(&c, "__rt :: mul");
    assert!(!c.contains(":: matgrad ::"));
}

#[test]
fn every_generated_local_is_hidden_from_items_of_its_name() {
    let c = code("", "fn f(x: f64) -> f64 { let y = x * x; y }");
    has(&c, "use :: matgrad :: __private :: { shadow as __g");
    has(&c, "shadow as y_bar");
}

#[test]
fn a_long_function_calls_one_driver_per_pullback() {
    let mut src = String::from("fn f(x: f64, m: &DMatrix<f64>) -> f64 { let s0 = x;");
    for k in 1..120 {
        src.push_str(&format!(
            " let s{k} = (s{} * 0.9 + x * m.norm()).sin();",
            k - 1
        ));
    }
    src.push_str(" s119 * s119 }");
    let c = code("", &src);
    // `s119 * s119`: both kernels into one slot; `m.norm()` passes `m` on; `+` passes ḡ on.
    has(&c, "__rt :: pull2_ro_same (& mut __t");
    has(
        &c,
        "__rt :: mul_pullback_lhs , __rt :: mul_pullback_rhs_reuse_g)",
    );
    has(&c, "__rt :: pull2_o (& mut");
    has(&c, "__rt :: pull0_ro (& mut");
    assert!(!c.contains("Option :: take"), "no node is written out");
}

#[test]
fn a_solve_pulls_back_to_both_operands_in_one_kernel() {
    let src = "fn f(t: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 { t.solve_lower_triangular(b).unwrap().sum() }";
    let both = code("t, b", src);
    has(&both, "solve_lower_triangular_pullback_both (& __g ,");
    assert!(!both.contains("solve_lower_triangular_pullback_lhs"));
    let one = code("t", src);
    has(&one, "solve_lower_triangular_pullback_lhs");
    assert!(!one.contains("pullback_both"));
}
