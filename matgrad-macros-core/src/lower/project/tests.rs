//! Places inside parameters of the user's own type: what the lowering makes of them.

use crate::analysis::Activity;
use crate::ir::{Kind, Step, ValueId};
use crate::testing::{lowered, named};
use quote::ToTokens;

/// The place and root of the projection `id`, as text.
fn place(b: &crate::ir::Body, id: ValueId) -> (String, String) {
    match &b.values[id].kind {
        Kind::Project { root, place, .. } => (
            b.values[*root].name.to_string(),
            place.to_token_stream().to_string().replace(' ', ""),
        ),
        _ => panic!("not a projection"),
    }
}

#[test]
fn a_field_chain_is_one_projection_from_the_parameter() {
    let (_, b, errors) = lowered(
        "p",
        "fn f(p: &Model, i: usize) -> f64 { let w = &p.layers[i].w; w.sum() }",
    );
    assert!(errors.is_empty(), "{errors:?}");
    let w = named(&b, "w");
    assert_eq!(place(&b, w), ("p".into(), "p.layers[i].w".into()));
    let Kind::Project { reads, .. } = &b.values[w].kind else {
        unreachable!()
    };
    assert_eq!(reads.len(), 1, "the index is read");
    assert_eq!(b.values[reads[0]].name, "i");
}

#[test]
fn a_place_of_a_local_bound_to_a_place_is_flattened() {
    let (_, b, errors) = lowered(
        "p",
        "fn f(p: &Model) -> f64 { let l = &p.layers[0]; let w = &l.w; w.sum() }",
    );
    assert!(errors.is_empty(), "{errors:?}");
    let (root, text) = place(&b, named(&b, "w"));
    assert_eq!(root, "p");
    assert_eq!(text, "p.layers[0].w");
}

#[test]
fn a_constant_parameters_fields_are_not_projections() {
    let (_, b, errors) = lowered(
        "x",
        "fn f(x: &DVector<f64>, data: &Data) -> f64 { let y = &data.y; (x - y).sum() }",
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert!(!matches!(
        b.values[named(&b, "y")].kind,
        Kind::Project { .. }
    ));
}

#[test]
fn a_loop_over_a_collection_inside_a_parameter_runs_over_indices() {
    let (_, b, errors) = lowered(
        "p",
        "fn f(p: &Model, x: &DVector<f64>) -> f64 { let mut h = x.clone(); \
         for layer in p.layers.iter() { h = &layer.w * &h; } h.sum() }",
    );
    assert!(errors.is_empty(), "{errors:?}");
    let l = b.loops()[0];
    let pat = l.pat.to_string();
    assert!(pat.starts_with("__k"), "an index: {pat}");
    let layer = b
        .values
        .iter()
        .position(|v| v.label.as_deref() == Some("layer"))
        .expect("the element");
    let (_, text) = place(&b, layer);
    assert!(text.starts_with("p.layers[__k"), "{text}");
    assert!(matches!(b.steps.last(), Some(Step::Value(_))));
}

#[test]
fn a_count_read_as_a_loop_range_is_a_probed_place_not_a_varied_range() {
    let (_, b, errors) = lowered(
        "p",
        "fn f(p: &Model, x: &DVector<f64>) -> f64 { let mut h = x.clone(); \
         for _ in 0..p.n { h = &p.w * &h; } h.sum() }",
    );
    assert!(errors.is_empty(), "{errors:?}");
    let activity = Activity::of(&b);
    let iter = b.loops()[0].iter;
    assert!(!activity.varied[iter], "the range is a constant");
    let Kind::Opaque { inputs, .. } = &b.values[iter].kind else {
        panic!("the range is kept as written")
    };
    let probed: Vec<ValueId> = inputs
        .iter()
        .copied()
        .filter(|&i| activity.probed[i])
        .collect();
    assert_eq!(probed.len(), 1);
    assert_eq!(place(&b, probed[0]).1, "p.n");
}

#[test]
fn a_parameter_read_whole_where_no_derivative_flows_stays_an_error() {
    let (_, b, _) = lowered(
        "p",
        "fn f(p: &Model, x: &DVector<f64>) -> f64 { let k = size_of(p) as f64; x.sum() * k }",
    );
    let activity = Activity::of(&b);
    assert!(
        activity.probed.iter().all(|p| !p),
        "nothing to probe: `p` itself is read"
    );
}
