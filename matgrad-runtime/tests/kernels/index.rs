//! `m[(i, j)]` and `v[i]`.

use crate::common::{assert_f32_agrees, check_vjp, dmatrix, flat, rng, uniform, SHAPES};
use matgrad_runtime::{index, index_pullback, Dense, Scalar};
use nalgebra::DMatrix;

#[test]
fn index_by_row_and_column_matches_finite_differences() {
    let mut rng = rng(0x61);
    for &(r, c) in SHAPES {
        let x = dmatrix(&mut rng, r, c);
        for i in 0..r {
            for j in 0..c {
                check_vjp(
                    &format!("index ({i}, {j})"),
                    &mut rng,
                    &x,
                    |x| index(x, (i, j)),
                    |g, x, y, acc| index_pullback(g, x, (i, j), y, acc),
                );
            }
        }
    }
}

#[test]
fn index_by_storage_position_matches_finite_differences() {
    let mut rng = rng(0x62);
    for_each_matrix!(rng, |x| {
        for k in 0..x.len() {
            assert_eq!(index(&x, k), x[k]);
            check_vjp(
                &format!("index {k}"),
                &mut rng,
                &x,
                |x| index(x, k),
                |g, x, y, acc| index_pullback(g, x, k, y, acc),
            );
        }
    });
}

#[test]
#[should_panic(expected = "index (2, 0) is out of bounds for a 2×3 matrix")]
fn index_out_of_bounds_panics_with_the_shape() {
    index(&DMatrix::<f64>::zeros(2, 3), (2, 0));
}

/// Every pullback of the family, each into an empty slot then into a filled one.
fn family<T: Scalar>(x: &DMatrix<T>, g: T) -> Vec<(&'static str, Vec<T>)> {
    fn twice<X: Dense>(f: impl Fn(&mut Option<X>)) -> Vec<X::Scalar> {
        let mut slot = None;
        f(&mut slot);
        let once = flat(slot.as_ref().unwrap());
        f(&mut slot);
        [once, flat(&slot.unwrap())].concat()
    }
    vec![
        ("index (1, 2)", vec![index(x, (1, 2))]),
        (
            "index (1, 2) pullback",
            twice(|a| index_pullback(&g, x, (1, 2), &index(x, (1, 2)), a)),
        ),
        ("index 4", vec![index(x, 4)]),
        (
            "index 4 pullback",
            twice(|a| index_pullback(&g, x, 4, &index(x, 4), a)),
        ),
    ]
}

#[test]
fn f32_kernels_agree_with_f64() {
    let mut rng = rng(0x6f);
    let x = dmatrix(&mut rng, 3, 4);
    let g = uniform(&mut rng);
    assert_f32_agrees(&family(&x, g), &family(&x.cast(), g as f32));
}
