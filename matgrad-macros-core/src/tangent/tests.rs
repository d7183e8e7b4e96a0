//! The tangent stage's invariants, on lowered bodies.

use super::{jvp, Jvp};
use crate::ir::{Kind, Step};
use crate::names::Names;
use crate::ops::Op;
use crate::testing::{body, named};
use proc_macro2::Span;
use syn::Ident;

fn tangent(source: &str) -> Result<Jvp, String> {
    let b = body(source);
    let mut names = Names::default();
    let rt = Ident::new("__rt", Span::call_site());
    jvp(&b, &mut names, &rt).map_err(|e| e.to_string())
}

/// The operation computing `id`.
fn op(j: &Jvp, id: usize) -> Option<Op> {
    match &j.body.values[id].kind {
        Kind::Op { op, .. } => Some(*op),
        _ => None,
    }
}

#[test]
fn each_differentiated_parameter_gets_a_direction_and_the_output_is_the_tangent() {
    let j = tangent("fn f(x: f64, w: &DMatrix<f64>, n: usize) -> f64 { (w * x).sum() }").unwrap();
    let names: Vec<String> = j
        .directions
        .iter()
        .map(|&(_, d)| j.body.values[d].name.to_string())
        .collect();
    assert_eq!(names, ["x_dot", "w_dot"]);
    for &(_, d) in &j.directions {
        assert!(matches!(
            j.body.values[d].kind,
            Kind::Param {
                by_ref: true,
                differentiated: true,
                ..
            }
        ));
    }
    assert_eq!(j.body.output, Some(j.tangent));
    assert_eq!(j.body.kept, vec![j.value]);
    // ẏ = Σ(ẇ·x + w·ẋ): the sum of the product's tangent.
    assert_eq!(op(&j, j.tangent), Some(Op::Sum));
}

#[test]
fn a_tangent_follows_its_value_and_only_active_values_get_one() {
    let j = tangent(
        "fn f(x: f64, k: usize) -> f64 { let c = (k as f64).sqrt(); let y = x * c; y.sin() }",
    )
    .unwrap();
    let order: Vec<usize> = j
        .body
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Value(id) => Some(*id),
            _ => None,
        })
        .collect();
    let y = named(&j.body, "y");
    let pos = |id| order.iter().position(|&v| v == id).unwrap();
    // The constant `c` gets no tangent: nothing was built between it and `y`.
    let c = named(&j.body, "c");
    assert_eq!(pos(y), pos(c) + 1);
    assert!(pos(j.tangent) > pos(y));
}

#[test]
fn a_loop_carries_the_tangent_of_each_carried_value() {
    let j = tangent(
        "fn f(x: f64, n: usize) -> f64 { let mut s = x; let mut k = 0.0; for _ in 0..n { s = s * x; k = k + 1.0; } s + k }",
    )
    .unwrap();
    let l = j.body.loops()[0];
    // `s` and its tangent are carried; `k` is constant and has no tangent.
    assert_eq!(l.carried.len(), 3);
    let twin = &l.carried[2];
    assert!(matches!(j.body.values[twin.phi].kind, Kind::Carried));
    assert_eq!(j.body.values[twin.phi].name, j.body.values[twin.out].name);
}

#[test]
fn a_branch_merges_tangents_with_a_zero_where_an_arm_is_constant() {
    let j =
        tangent("fn f(x: f64) -> f64 { let y = if x > 0.0 { x * x } else { 1.0 }; y }").unwrap();
    let b = j.body.branches()[0];
    assert_eq!(b.merged.len(), 2);
    let zero = b.arms[1].from[1];
    assert!(matches!(j.body.values[zero].kind, Kind::Opaque { .. }));
}

#[test]
fn a_map_gets_a_generated_closure_over_the_value_and_its_tangent() {
    let j = tangent("fn f(x: &DVector<f64>) -> f64 { x.map(|v| v.sin()).sum() }").unwrap();
    let map = j
        .body
        .values
        .iter()
        .find_map(|v| match &v.kind {
            Kind::Map {
                closure: None,
                second,
                scalar,
                ..
            } => Some((second.is_some(), scalar.second.is_some())),
            _ => None,
        })
        .expect("a generated map");
    assert_eq!(map, (true, true));
}

#[test]
fn a_call_goes_through_the_callees_tangent_vjp() {
    let j = tangent("fn f(x: f64) -> f64 { helper(x, 3) }").unwrap();
    let callee = j
        .body
        .values
        .iter()
        .filter_map(|v| match &v.kind {
            Kind::Call { callee, args, .. } => Some((callee.to_string(), args.len())),
            _ => None,
        })
        .next_back()
        .unwrap();
    assert_eq!(callee, ("helper :: tangent_vjp".to_string(), 4));
}
