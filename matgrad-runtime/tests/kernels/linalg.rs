//! `.determinant()` and `.try_inverse().unwrap()`.

use crate::common::{
    assert_f32_agrees, check_vjp, dmatrix, flat, rng, smatrix, uniform, well_conditioned,
};
use matgrad_runtime::{
    determinant, determinant_pullback, finite_difference, inverse, inverse_pullback, Dense, Scalar,
};
use nalgebra::{DMatrix, Matrix2, Matrix3, Matrix4};

#[test]
fn determinant_pullback_matches_finite_differences() {
    let mut rng = rng(0x41);
    for n in 1..=6 {
        let x = well_conditioned(&mut rng, n);
        check_vjp(
            "determinant",
            &mut rng,
            &x,
            |x| determinant(x),
            determinant_pullback,
        );
    }
    let x: Matrix2<f64> = smatrix(&mut rng) + Matrix2::identity() * 2.0;
    check_vjp(
        "determinant",
        &mut rng,
        &x,
        |x| determinant(x),
        determinant_pullback,
    );
    let x: Matrix3<f64> = smatrix(&mut rng) + Matrix3::identity() * 3.0;
    check_vjp(
        "determinant",
        &mut rng,
        &x,
        |x| determinant(x),
        determinant_pullback,
    );
}

/// A random `n×n` matrix whose last row repeats its first: rank `n - 1`.
fn repeated_row(rng: &mut rand::rngs::StdRng, n: usize) -> DMatrix<f64> {
    let mut x = dmatrix(rng, n, n);
    let first = x.row(0).clone_owned();
    x.set_row(n - 1, &first);
    x
}

/// At a singular matrix the gradient of `|X|` is still defined: the transposed adjugate, the
/// matrix of cofactors. The determinant is affine in each entry, so central differences are
/// exact there up to rounding, and are the oracle.
#[test]
fn determinant_pullback_at_a_singular_matrix_is_the_cofactor_matrix() {
    let mut rng = rng(0x42);
    for n in 2..=6 {
        let x = repeated_row(&mut rng, n);
        let bar = check_vjp(
            "determinant at a repeated row",
            &mut rng,
            &x,
            |x| determinant(x),
            determinant_pullback,
        );
        assert!(bar.amax() > 1e-3, "rank n-1 has a nonzero adjugate: {bar}");

        let mut x = dmatrix(&mut rng, n, n);
        x.row_mut(n / 2).fill(0.0);
        assert_eq!(determinant(&x), 0.0, "a zero row makes |X| exactly zero");
        check_vjp(
            "determinant at a zero row",
            &mut rng,
            &x,
            |x| determinant(x),
            determinant_pullback,
        );
    }
    let mut x: Matrix4<f64> = smatrix(&mut rng);
    let first = x.row(0).clone_owned();
    x.set_row(2, &first);
    check_vjp(
        "determinant at a static repeated row",
        &mut rng,
        &x,
        |x| determinant(x),
        determinant_pullback,
    );
}

/// A rank-`(n - 1)` matrix built as a product `A·B` (`A` is `n×(n-1)`) is singular only up to
/// rounding: its computed determinant is tiny but need not be zero, and its computed inverse
/// is huge. The gradient must still be the adjugate.
#[test]
fn determinant_pullback_at_a_numerically_singular_matrix() {
    let mut rng = rng(0x43);
    for n in 2..=6 {
        for _ in 0..3 {
            let x = dmatrix(&mut rng, n, n - 1) * dmatrix(&mut rng, n - 1, n);
            check_vjp(
                "determinant at a rank-(n-1) product",
                &mut rng,
                &x,
                |x| determinant(x),
                determinant_pullback,
            );
        }
    }
}

/// Below rank `n - 1` every cofactor vanishes. Both gradients are rounding noise, so they are
/// compared in absolute terms.
#[test]
fn determinant_pullback_below_rank_n_minus_1_is_zero() {
    let mut rng = rng(0x44);
    for n in 3..=6 {
        let exact = {
            let mut x = repeated_row(&mut rng, n);
            let first = x.row(0).clone_owned();
            x.set_row(n - 2, &first);
            x
        };
        let numerical = dmatrix(&mut rng, n, n - 2) * dmatrix(&mut rng, n - 2, n);
        let zero_rows = {
            let mut x = dmatrix(&mut rng, n, n);
            x.row_mut(0).fill(0.0);
            x.row_mut(n - 1).fill(0.0);
            x
        };
        for x in [exact, numerical, zero_rows] {
            let mut slot = None;
            determinant_pullback(&1.0, &x, &determinant(&x), &mut slot);
            let bar = slot.unwrap();
            let fd = finite_difference(|x: &DMatrix<f64>| determinant(x), &x);
            assert!(bar.amax() < 1e-14, "{n}×{n} rank n-2: {bar}");
            assert!(
                fd.amax() < 1e-9,
                "{n}×{n} rank n-2, finite differences: {fd}"
            );
        }
    }
}

#[test]
fn inverse_pullback_matches_finite_differences() {
    let mut rng = rng(0x45);
    for n in 1..=6 {
        let x = well_conditioned(&mut rng, n);
        check_vjp("inverse", &mut rng, &x, inverse, inverse_pullback);
    }
    let x: Matrix3<f64> = smatrix(&mut rng) + Matrix3::identity() * 3.0;
    check_vjp("inverse", &mut rng, &x, inverse, inverse_pullback);
}

#[test]
#[should_panic(expected = "`try_inverse().unwrap()` on a singular 2×2 matrix")]
fn inverse_of_a_singular_matrix_panics_with_its_shape() {
    inverse(&nalgebra::dmatrix![1.0, 2.0; 2.0, 4.0]);
}

#[test]
#[should_panic(expected = "`try_inverse().unwrap()` on a singular 5×5 matrix")]
fn inverse_of_a_singular_large_matrix_panics_with_its_shape() {
    inverse(&repeated_row(&mut rng(0x46), 5));
}

#[test]
#[should_panic(expected = "`try_inverse` needs a square matrix, got 2×3")]
fn inverse_of_a_non_square_matrix_panics_with_its_shape() {
    inverse(&DMatrix::<f64>::zeros(2, 3));
}

#[test]
#[should_panic(expected = "`determinant` needs a square matrix, got 2×3")]
fn determinant_of_a_non_square_matrix_panics_with_its_shape() {
    determinant(&DMatrix::<f64>::zeros(2, 3));
}

/// Every pullback of the family, each into an empty slot then into a filled one.
fn family<T: Scalar>(x: &DMatrix<T>, g: &DMatrix<T>, s: T) -> Vec<(&'static str, Vec<T>)> {
    fn twice<X: Dense>(f: impl Fn(&mut Option<X>)) -> Vec<X::Scalar> {
        let mut slot = None;
        f(&mut slot);
        let once = flat(slot.as_ref().unwrap());
        f(&mut slot);
        [once, flat(&slot.unwrap())].concat()
    }
    let (det, inv) = (determinant(x), inverse(x));
    vec![
        ("determinant", vec![det]),
        (
            "determinant pullback",
            twice(|a| determinant_pullback(&s, x, &det, a)),
        ),
        ("inverse", flat(&inv)),
        (
            "inverse pullback",
            twice(|a| inverse_pullback(g, x, &inv, a)),
        ),
    ]
}

#[test]
fn f32_kernels_agree_with_f64() {
    let mut rng = rng(0x4f);
    for n in [2, 4, 5] {
        let x = well_conditioned(&mut rng, n);
        let g = dmatrix(&mut rng, n, n);
        let s = uniform(&mut rng);
        assert_f32_agrees(&family(&x, &g, s), &family(&x.cast(), &g.cast(), s as f32));
    }
}
