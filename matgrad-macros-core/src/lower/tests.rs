//! The lowering's output: values, regions and effects, for small bodies.

use crate::ir::{Head, Kind, Source, Step};
use crate::ops::Op;
use crate::testing::{body, lowered, named};

#[test]
fn an_expression_becomes_registry_operations_whatever_it_depends_on() {
    let b = body("fn f(x: f64, n: usize) -> f64 { let k = n as f64 * 2.0; let y = x * k; y }");
    let k = named(&b, "k");
    assert!(
        matches!(b.values[k].kind, Kind::Op { op: Op::Mul, .. }),
        "constant or not, `*` is the registry's"
    );
    match &b.values[k].source {
        Some(Source::Expr(e)) => assert_eq!(quote::quote!(#e).to_string(), "n as f64 * 2.0"),
        _ => panic!("a constant keeps the user's expression"),
    }
    let Kind::Op { inputs, .. } = &b.values[k].kind else {
        unreachable!()
    };
    assert!(
        matches!(
            b.values[inputs[0]].kind,
            Kind::Opaque {
                unsupported: Some(_),
                ..
            }
        ),
        "the cast"
    );
    assert_eq!(b.output, Some(named(&b, "y")));
}

#[test]
fn a_transposed_operand_makes_one_product() {
    let b = body("fn f(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 { let y = a.transpose() * x; let z = x.transpose() * x; y.sum() + z.sum() }");
    assert!(matches!(
        b.values[named(&b, "y")].kind,
        Kind::Op { op: Op::MulTn, .. }
    ));
}

#[test]
fn a_loop_carries_what_its_body_assigns_and_not_what_it_shadows() {
    let b = body(
        "fn f(x: f64) -> f64 { let mut h = x; let mut u = 0.0; for _ in 0..3 { h = h * x; let u = h + 1.0; } h + u }",
    );
    let l = b.loops()[0];
    let carried: Vec<&str> = l
        .carried
        .iter()
        .map(|c| b.values[c.phi].label.as_deref().unwrap())
        .collect();
    assert_eq!(carried, ["h"]);
}

#[test]
fn a_delay_line_carries_every_variable_of_the_chain() {
    let b = body(
        "fn f(w: f64, xs: &[f64]) -> f64 { let mut a = 0.0; let mut b = 0.0; let mut c = 0.0; \
         for x in xs.iter() { c = b; b = a; a = w * x; } c }",
    );
    let l = b.loops()[0];
    assert_eq!(l.carried.len(), 3);
    // `c`'s next value is `b`'s value at the start of the iteration.
    assert_eq!(l.carried[0].next, l.carried[1].phi);
}

#[test]
fn an_if_merges_what_either_arm_assigns() {
    let b =
        body("fn f(x: f64) -> f64 { let mut h = x; if x > 0.0 { h = h * x; let h = 7.0 + h; } h }");
    let br = b.branches()[0];
    assert_eq!(br.merged.len(), 1);
    assert!(matches!(br.head, Head::If { .. }));
    // The then-arm's value of `h` is the assignment's, not the inner `let`'s.
    assert!(matches!(
        b.values[br.arms[0].from[0]].kind,
        Kind::Op { op: Op::Mul, .. }
    ));
}

#[test]
fn match_if_let_and_cfg_are_branches() {
    let b = body("fn f(x: f64, k: usize, o: Option<f64>) -> f64 { let y = match k { 0 => x, _ => x * 2.0 }; \
                  let mut z = y; if let Some(c) = o { z = z * c; } #[cfg(any())] let z = z * 100.0; z }");
    let heads: Vec<&str> = b
        .branches()
        .iter()
        .map(|br| match br.head {
            Head::If { .. } => "if",
            Head::IfLet { .. } => "if let",
            Head::Match { .. } => "match",
            Head::Cfg { .. } => "cfg",
        })
        .collect();
    assert_eq!(heads, ["match", "if let", "cfg"]);
    assert_eq!(b.branches()[1].arms[0].bound.len(), 1, "`c`");
}

#[test]
fn a_kept_statement_gives_mutable_variables_a_new_version() {
    let b = body("fn f(x: f64) -> f64 { let mut v = Vec::new(); v.push(1.0); let n = 2.0; println!(\"{n}\"); x * v[0] }");
    let effects: Vec<usize> = b
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Effect(e) => Some(e.versions.len()),
            _ => None,
        })
        .collect();
    assert_eq!(effects, [1, 0], "`v` is mutable, `n` is not");
}

#[test]
fn a_local_closure_is_lowered_where_it_is_called() {
    let b = body("fn f(x: f64) -> f64 { let sq = |t: f64| t * t; sq(x) + 1.0 }");
    let ops = b
        .values
        .iter()
        .filter(|v| matches!(v.kind, Kind::Op { op: Op::Mul, .. }))
        .count();
    assert_eq!(ops, 1, "the closure's `t * t`, with `t` the argument");
}

#[test]
fn structural_errors_are_reported_where_they_are() {
    for (src, expected) in [
        (
            "fn f(x: f64) -> f64 { while x > 0.0 {} x }",
            "`while` and `loop`",
        ),
        (
            "fn f(x: f64) -> f64 { for _ in 0..2 { break; } x }",
            "`break`",
        ),
        (
            "fn f(x: f64) -> f64 { let y; y = x; y }",
            "`let` without a value",
        ),
        (
            "fn f(x: f64) -> f64 { let y = x; }",
            "must end with the value",
        ),
    ] {
        let (_, _, errors) = lowered("", src);
        assert!(
            errors.iter().any(|e| e.contains(expected)),
            "{src}: {errors:?}"
        );
    }
}
