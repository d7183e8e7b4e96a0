//! `m.max()`, `m.min()` and the larger or smaller of two floats, ties included.

use crate::common::{check_vjp, dmatrix, rng};
use matgrad_runtime::{
    max, max_entry, max_entry_pullback, max_pullback_lhs, max_pullback_rhs, min, min_entry,
    min_entry_pullback, min_pullback_lhs, min_pullback_rhs,
};
use nalgebra::{dmatrix, DMatrix};

#[test]
fn entry_extrema_match_finite_differences_away_from_ties() {
    let mut rng = rng(0xe1);
    for &(r, c) in crate::common::SHAPES {
        let x = dmatrix(&mut rng, r, c);
        check_vjp("max_entry", &mut rng, &x, max_entry, max_entry_pullback);
        check_vjp("min_entry", &mut rng, &x, min_entry, min_entry_pullback);
    }
}

#[test]
fn a_tie_shares_the_cotangent_among_the_tied_entries() {
    let x = dmatrix![1.0, 3.0; 3.0, -2.0; 3.0, 0.5];
    let mut slot = None;
    max_entry_pullback(&6.0, &x, &max_entry(&x), &mut slot);
    assert_eq!(slot.unwrap(), dmatrix![0.0, 2.0; 2.0, 0.0; 2.0, 0.0]);
    let mut slot = Some(DMatrix::from_element(3, 2, 1.0));
    min_entry_pullback(&6.0, &x, &min_entry(&x), &mut slot);
    assert_eq!(slot.unwrap(), dmatrix![1.0, 1.0; 1.0, 7.0; 1.0, 1.0]);
}

#[test]
fn the_larger_of_two_floats_passes_the_cotangent_to_it() {
    let mut rng = rng(0xe2);
    for (a, b) in [(1.5, -0.5), (-2.0, 0.25), (0.1, 0.3)] {
        check_vjp(
            "max lhs",
            &mut rng,
            &a,
            |a| max(a, &b),
            |g, a, _, acc| max_pullback_lhs(g, a, &b, acc),
        );
        check_vjp(
            "max rhs",
            &mut rng,
            &b,
            |b| max(&a, b),
            |g, b, _, acc| max_pullback_rhs(g, &a, b, acc),
        );
        check_vjp(
            "min lhs",
            &mut rng,
            &a,
            |a| min(a, &b),
            |g, a, _, acc| min_pullback_lhs(g, a, &b, acc),
        );
        check_vjp(
            "min rhs",
            &mut rng,
            &b,
            |b| min(&a, b),
            |g, b, _, acc| min_pullback_rhs(g, &a, b, acc),
        );
    }
}

#[test]
fn a_tie_of_two_floats_gives_each_half() {
    for pullback in [
        max_pullback_lhs,
        max_pullback_rhs,
        min_pullback_lhs,
        min_pullback_rhs,
    ] {
        let mut slot = None;
        pullback(&3.0, &2.0, &2.0, &mut slot);
        assert_eq!(slot, Some(1.5));
    }
    let mut slot = None;
    max_pullback_rhs(&3.0, &2.0, &1.0, &mut slot);
    assert_eq!(slot, Some(0.0));
}
