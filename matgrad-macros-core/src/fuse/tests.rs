//! Which chains fuse, and into which lanes.

use super::{fuse, lanes_of};
use crate::ir::{Body, Kind, Role, Step};
use crate::names::Names;
use crate::testing::{body, named};

/// `source` lowered and fused; whether it fused.
fn fused(source: &str) -> (Body, bool) {
    let mut b = body(source);
    let mut names = Names::default();
    let changed = fuse(&mut b, &mut names);
    (b, changed)
}

/// The number of values the top-level steps compute.
fn steps(b: &Body) -> usize {
    b.steps
        .iter()
        .filter(|s| matches!(s, Step::Value(_)))
        .count()
}

const BATCH_NORM: &str = "fn f(x: &DMatrix<f64>, gamma: &RowDVector<f64>, beta: &RowDVector<f64>, eps: f64) -> DMatrix<f64> {
    let mu = x.row_mean();
    let xc = x.broadcast_sub(&mu);
    let var = xc.component_mul(&xc).row_mean();
    let std = var.map(|v| (v + eps).sqrt());
    let xhat = xc.broadcast_div(&std);
    xhat.broadcast_mul(gamma).broadcast_add(beta)
}";

#[test]
fn batch_norm_is_two_chains_that_each_centre_x_again() {
    let before = body(BATCH_NORM);
    let (b, changed) = fused(BATCH_NORM);
    assert!(changed);
    let out = b.output.unwrap();
    let lanes = lanes_of(&b, out).expect("the output is fused");
    let names: Vec<(&str, Role)> = lanes.iter().map(|(n, r)| (n.as_str(), *r)).collect();
    let bc = Role::Broadcast;
    assert_eq!(
        names,
        [
            ("x", Role::Full),
            ("mu", bc),
            ("std", bc),
            ("gamma", bc),
            ("beta", bc)
        ]
    );
    // `xc` (read by both chains, computed again in each), `xc ⊙ xc`, `xhat` and `xhat ⊙ γ`
    // leave the steps; `std` (broadcast) and `mu` (a reduction of a parameter) stay.
    assert_eq!(steps(&b), steps(&before) - 4);
    assert!(matches!(b.values[named(&b, "std")].kind, Kind::Map { .. }));
    assert!(matches!(b.values[named(&b, "mu")].kind, Kind::Op { .. }));
    let Kind::Fused { ops, reduce, .. } = &b.values[out].kind else {
        unreachable!()
    };
    assert_eq!(
        ops,
        &[
            "broadcast_sub",
            "broadcast_div",
            "broadcast_mul",
            "broadcast_add"
        ]
    );
    assert_eq!(*reduce, None);
    // The variance: `(x − μ) ⊙ (x − μ)` summed down the columns, `x − μ` computed once.
    let var = named(&b, "var");
    let lanes = lanes_of(&b, var).unwrap();
    assert_eq!(
        lanes,
        [("x".to_string(), Role::Full), ("mu".to_string(), bc)]
    );
    let Kind::Fused { ops, reduce, .. } = &b.values[var].kind else {
        unreachable!()
    };
    assert_eq!(ops, &["broadcast_sub", "component_mul", "row_mean"]);
    assert_eq!(*reduce, Some(crate::ops::Op::RowMean));
}

#[test]
fn a_shared_value_another_reader_needs_whole_is_not_computed_again() {
    let (b, _) = fused(
        "fn f(x: &DMatrix<f64>, mu: &RowDVector<f64>, w: &DMatrix<f64>) -> f64 {
            let xc = x.broadcast_sub(mu);
            let p = xc.component_mul(&xc).sum();
            let q = (w * &xc).sum();
            p + q
        }",
    );
    // `xc` is read by a product: it stays, and the chain of `p` reads it as a lane.
    assert!(matches!(b.values[named(&b, "xc")].kind, Kind::Op { .. }));
    let lanes = lanes_of(&b, named(&b, "p")).unwrap();
    assert_eq!(lanes, [("xc".to_string(), Role::Full)]);
}

#[test]
fn a_value_read_twice_by_a_chain_is_computed_once_in_it() {
    let (b, changed) = fused(
        "fn f(x: &DMatrix<f64>, y: &DMatrix<f64>) -> DMatrix<f64> {
            let p = x.component_mul(y);
            let q = p.component_mul(&p);
            q.map(|v| v.exp())
        }",
    );
    assert!(changed);
    let out = b.output.unwrap();
    let lanes = lanes_of(&b, out).unwrap();
    assert_eq!(
        lanes,
        [("x".to_string(), Role::Full), ("y".to_string(), Role::Full)]
    );
    let Kind::Fused { ops, .. } = &b.values[out].kind else {
        unreachable!()
    };
    assert_eq!(ops, &["component_mul", "component_mul", "map"]);
}

#[test]
fn a_map_read_twice_is_not_computed_again() {
    // `exp` per entry is worth a buffer: `e` stays, a lane of the chain.
    let (b, _) = fused(
        "fn f(x: &DMatrix<f64>) -> f64 {
            let e = x.map(|v| v.exp());
            e.component_mul(&e).sum()
        }",
    );
    assert!(matches!(b.values[named(&b, "e")].kind, Kind::Map { .. }));
    let root = fused_values(&b)[0];
    assert_eq!(lanes_of(&b, root).unwrap(), [("e".to_string(), Role::Full)]);
}

#[test]
fn a_sum_of_a_chain_is_one_reduction() {
    let (b, changed) = fused(
        "fn f(x: &DMatrix<f64>, y: &DMatrix<f64>) -> f64 {
            let r = x - y;
            (r.component_mul(&r) * 0.5).sum() + (x + y).mean()
        }",
    );
    assert!(changed);
    let reductions: Vec<_> = b
        .values
        .iter()
        .filter_map(|v| match &v.kind {
            Kind::Fused { reduce, ops, .. } => Some((*reduce, ops.clone())),
            _ => None,
        })
        .collect();
    // `r ⊙ r` (r read twice: a lane) summed; `(r ⊙ r) * 0.5` is a product the macro cannot
    // tell from a matrix product, so the sum reads it whole; `x + y` is a matrix (a mean
    // reads it), so `(x + y).mean()` fuses.
    assert_eq!(
        reductions,
        [(Some(crate::ops::Op::Mean), vec!["add", "mean"])]
    );
}

#[test]
fn sums_of_values_of_unknown_type_do_not_fuse() {
    // `a + b` may add scalars: without an element-wise operation the chain is not fused.
    let (_, changed) = fused("fn f(a: f64, b: f64) -> f64 { let s = a + b; -s / 2.0 }");
    assert!(!changed);
}

#[test]
fn a_product_two_sums_read_is_computed_in_each() {
    let (b, changed) = fused(
        "fn f(x: &DMatrix<f64>, y: &DMatrix<f64>) -> f64 {
            let p = x.component_mul(y);
            let q = p.component_div(y);
            q.sum() + p.sum()
        }",
    );
    assert!(changed);
    let chains = fused_values(&b);
    assert_eq!(chains.len(), 2, "`q.sum()` and `p.sum()`");
    for c in chains {
        let lanes = lanes_of(&b, c).unwrap();
        assert_eq!(
            lanes,
            [("x".to_string(), Role::Full), ("y".to_string(), Role::Full)]
        );
    }
    assert!(!b
        .steps
        .iter()
        .any(|s| matches!(s, Step::Value(v) if *v == named(&b, "p"))));
}

#[test]
fn a_scalar_divisor_is_a_scalar_lane_and_a_closure_is_inlined() {
    let (b, changed) = fused(
        "fn f(x: &DMatrix<f64>, y: &DMatrix<f64>, s: f64, c: f64) -> f64 {
            let p = x.component_mul(y) / s;
            p.map(|v| (v * c).tanh()).sum()
        }",
    );
    assert!(changed);
    let root = fused_values(&b)[0];
    let lanes = lanes_of(&b, root).unwrap();
    let roles: Vec<Role> = lanes.iter().map(|l| l.1).collect();
    assert_eq!(roles, [Role::Full, Role::Full, Role::Scalar]);
    let Kind::Fused { scalar, ops, .. } = &b.values[root].kind else {
        unreachable!()
    };
    assert_eq!(ops, &["component_mul", "div", "map", "sum"]);
    assert_eq!(scalar.captures.len(), 1, "the closure's `c`");
}

#[test]
fn chains_do_not_reach_into_another_region() {
    let (b, _) = fused(
        "fn f(x: &DMatrix<f64>, y: &DMatrix<f64>, n: usize) -> f64 {
            let p = x.component_mul(y);
            let mut s = 0.0;
            for _ in 0..n { s += p.component_div(y).sum(); }
            s
        }",
    );
    // The loop's chain reads `p`, computed once before the loop, as a lane.
    assert!(matches!(b.values[named(&b, "p")].kind, Kind::Op { .. }));
    let lanes = lanes_of(&b, fused_values(&b)[0]).unwrap();
    assert_eq!(lanes[0], ("p".to_string(), Role::Full));
}

/// The fused values of `b`, in order.
fn fused_values(b: &Body) -> Vec<usize> {
    (0..b.values.len())
        .filter(|&id| matches!(b.values[id].kind, Kind::Fused { .. }))
        .collect()
}

#[test]
fn a_chain_reading_a_variable_changed_in_place_does_not_fuse() {
    let (_, changed) = fused(
        "fn f(x: &DMatrix<f64>, y: &DMatrix<f64>) -> f64 {
            let mut w = y.clone_owned();
            let p = x.component_mul(&w);
            w.fill(0.0);
            p.component_div(y).sum()
        }",
    );
    assert!(!changed);
}
