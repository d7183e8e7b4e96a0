use super::*;
use nalgebra::{dmatrix, dvector, DVector, Matrix2x3};

#[test]
fn floats_and_matrices_are_one_leaf_each() {
    let m = dmatrix![1.0, 2.0, 3.0; 4.0, 5.0, 6.0];
    let leaves = m.leaves();
    assert_eq!(leaves.len(), 1);
    assert_eq!(leaves[0].shape, (2, 3));
    assert_eq!(leaves[0].entries, &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    assert_eq!(leaves[0].matrix(), m);
    assert_eq!(2.5f64.to_flat(), dvector![2.5]);
    let s = Matrix2x3::new(1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0);
    assert_eq!(s.entry_count(), 6);
    assert_eq!(Differentiable::norm_squared(&s), 91.0);
}

#[test]
fn vectors_of_values_are_their_elements_in_order() {
    let v = vec![dvector![1.0, 2.0], dvector![3.0]];
    let w = vec![dvector![-1.0, 0.5], dvector![2.0]];
    assert_eq!(v.to_flat(), dvector![1.0, 2.0, 3.0]);
    assert_eq!(Differentiable::dot(&v, &w), -1.0 + 1.0 + 6.0);
    let mut s = v.clone();
    Differentiable::axpy(&mut s, 2.0, &w);
    assert_eq!(s, vec![dvector![-1.0, 3.0], dvector![7.0]]);
    let mut d = s.clone();
    Differentiable::sub_assign(&mut d, &s);
    assert_eq!(d, v.zeros_like());
    let names: Vec<String> = v.named_leaves().into_iter().map(|(p, _)| p).collect();
    assert_eq!(names, ["[0]", "[1]"]);
}

#[test]
fn flat_round_trip() {
    let v = [dmatrix![1.0, 2.0; 3.0, 4.0], dmatrix![5.0, 6.0; 7.0, 8.0]];
    let flat = v.to_flat();
    assert_eq!(flat.len(), 8);
    let w = v.unflatten(&(flat * 2.0));
    assert_eq!(w[1], dmatrix![10.0, 12.0; 14.0, 16.0]);
    assert_eq!(Differentiable::norm(&v), (204.0f64).sqrt());
    assert_eq!(Differentiable::scaled(&3.0, 2.0), 6.0);
}

#[test]
#[should_panic(expected = "add_assign: `[1]` is 2×1 in one value and 3×1 in the other")]
fn shapes_that_differ_are_named() {
    let mut a = vec![dvector![1.0], dvector![1.0, 2.0]];
    let b = vec![dvector![1.0], dvector![1.0, 2.0, 3.0]];
    Differentiable::add_assign(&mut a, &b);
}

#[test]
#[should_panic(expected = "dot: the values have 1 and 2 leaves")]
fn lengths_that_differ_are_named() {
    let a = vec![dvector![1.0]];
    let b = vec![dvector![1.0], dvector![2.0]];
    Differentiable::dot(&a, &b);
}

#[test]
#[should_panic(expected = "unflatten: the vector has 2 entries, the value 3")]
fn a_flat_vector_of_another_length_is_refused() {
    dvector![1.0, 2.0, 3.0].unflatten(&dvector![1.0, 2.0]);
}

#[test]
#[should_panic(expected = "sum: no values to add")]
fn an_empty_sum_has_no_shape() {
    sum_values(Vec::<DVector<f64>>::new().into_iter());
}
