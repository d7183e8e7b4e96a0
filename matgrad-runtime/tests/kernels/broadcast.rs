//! `.broadcast_add()`, `.broadcast_sub()`, `.broadcast_mul()` and `.broadcast_div()` of a
//! matrix with a row (applied to every row) or a column (applied to every column).

use crate::common::{
    assert_f32_agrees, away_from_zero, check_vjp, dmatrix, flat, random_like, rng, smatrix,
};
use matgrad_runtime::{
    broadcast_add, broadcast_add_pullback_lhs, broadcast_add_pullback_rhs, broadcast_div,
    broadcast_div_pullback_lhs, broadcast_div_pullback_rhs, broadcast_mul,
    broadcast_mul_pullback_lhs, broadcast_mul_pullback_rhs, broadcast_sub,
    broadcast_sub_pullback_lhs, broadcast_sub_pullback_rhs, Broadcast, Dense, Scalar,
};
use nalgebra::{DMatrix, DVector, Dyn, OMatrix, RowDVector, U2, U3};
use rand::rngs::StdRng;
use std::fmt::Debug;

/// The matrix shapes `m×d` the broadcasts are tested on: square and not, a single row
/// (`m = 1`), a single column (`d = 1`), and 1×1.
const SHAPES: &[(usize, usize)] = &[(1, 1), (3, 2), (2, 5), (4, 4), (1, 4), (5, 1)];

/// A value shaped like `like` with random entries of magnitude in `[0.5, 2)`: a safe divisor.
fn nonzero_like<V: Dense<Scalar = f64>>(rng: &mut StdRng, like: &V) -> V {
    let mut v = like.clone();
    for i in 0..v.len() {
        *v.entry_mut(i) = away_from_zero(rng, 0.5, 2.0);
    }
    v
}

/// An entry-wise binary operation.
type Op = fn(f64, f64) -> f64;

/// Checks the forward value of all four operations against `reference(s)`, the index of the
/// entry of `r` that meets entry `s` (storage order) of `l`, and both pullbacks of each
/// against finite differences.
#[track_caller]
fn check_all<L, R>(rng: &mut StdRng, l: &L, r: &R, reference: impl Fn(usize) -> usize)
where
    L: Broadcast<R> + Dense<Scalar = f64> + Debug,
    R: Dense<Scalar = f64> + Debug,
{
    let (m, d) = l.shape();
    let (rm, rd) = r.shape();
    let at = format!("{m}×{d} with {rm}×{rd}");
    let ops: [(&str, Op); 4] = [
        ("add", |a, b| a + b),
        ("sub", |a, b| a - b),
        ("mul", |a, b| a * b),
        ("div", |a, b| a / b),
    ];
    let results = [
        broadcast_add(l, r),
        broadcast_sub(l, r),
        broadcast_mul(l, r),
        broadcast_div(l, r),
    ];
    let methods = [
        l.broadcast_add(r),
        l.broadcast_sub(r),
        l.broadcast_mul(r),
        l.broadcast_div(r),
    ];
    for (((name, f), y), method) in ops.iter().zip(&results).zip(&methods) {
        assert_eq!(y.shape(), l.shape(), "broadcast_{name} {at}: shape");
        assert_eq!(
            flat(y),
            flat(method),
            "broadcast_{name} {at}: method and function"
        );
        for s in 0..l.len() {
            let expected = f(l.entry(s), r.entry(reference(s)));
            assert_eq!(y.entry(s), expected, "broadcast_{name} {at}: entry {s}");
        }
    }

    macro_rules! pair {
        ($name:literal, $op:ident, $lhs:ident, $rhs:ident) => {
            check_vjp(
                &format!("{} lhs, {at}", $name),
                rng,
                l,
                |l| $op(l, r),
                |g, l, _, acc| $lhs(g, l, r, acc),
            );
            check_vjp(
                &format!("{} rhs, {at}", $name),
                rng,
                r,
                |r| $op(l, r),
                |g, r, _, acc| $rhs(g, l, r, acc),
            );
        };
    }
    pair!(
        "broadcast_add",
        broadcast_add,
        broadcast_add_pullback_lhs,
        broadcast_add_pullback_rhs
    );
    pair!(
        "broadcast_sub",
        broadcast_sub,
        broadcast_sub_pullback_lhs,
        broadcast_sub_pullback_rhs
    );
    pair!(
        "broadcast_mul",
        broadcast_mul,
        broadcast_mul_pullback_lhs,
        broadcast_mul_pullback_rhs
    );
    pair!(
        "broadcast_div",
        broadcast_div,
        broadcast_div_pullback_lhs,
        broadcast_div_pullback_rhs
    );
}

#[test]
fn row_broadcasts_match_finite_differences() {
    let mut rng = rng(0x71);
    for &(m, d) in SHAPES {
        let x = dmatrix(&mut rng, m, d);
        let r = nonzero_like(&mut rng, &RowDVector::zeros(d));
        check_all(&mut rng, &x, &r, |s| s / m);
    }
}

#[test]
fn column_broadcasts_match_finite_differences() {
    let mut rng = rng(0x72);
    for &(m, d) in SHAPES {
        let x = dmatrix(&mut rng, m, d);
        let c = nonzero_like(&mut rng, &DVector::zeros(m));
        check_all(&mut rng, &x, &c, |s| s % m);
    }
}

#[test]
fn broadcasts_over_static_and_partly_static_matrices() {
    let mut rng = rng(0x73);
    // A static 2×3 matrix with a static 1×3 row.
    let x = smatrix::<2, 3>(&mut rng);
    let r = nonzero_like(&mut rng, &nalgebra::RowVector3::zeros());
    check_all(&mut rng, &x, &r, |s| s / 2);
    // Three static rows, a dynamic number of columns: a static column, or a dynamic row.
    let x: OMatrix<f64, U3, Dyn> = random_like(&mut rng, &OMatrix::<f64, U3, Dyn>::zeros(4));
    let c = nonzero_like(&mut rng, &nalgebra::Vector3::zeros());
    check_all(&mut rng, &x, &c, |s| s % 3);
    let r = nonzero_like(&mut rng, &RowDVector::zeros(4));
    check_all(&mut rng, &x, &r, |s| s / 3);
    // A dynamic number of rows, two static columns: a dynamic column, or a static row.
    let x: OMatrix<f64, Dyn, U2> = random_like(&mut rng, &OMatrix::<f64, Dyn, U2>::zeros(5));
    let c = nonzero_like(&mut rng, &DVector::zeros(5));
    check_all(&mut rng, &x, &c, |s| s % 5);
    let r = nonzero_like(&mut rng, &nalgebra::RowVector2::zeros());
    check_all(&mut rng, &x, &r, |s| s / 5);
}

#[test]
fn broadcasts_with_an_empty_dimension() {
    let mut rng = rng(0x74);
    for (m, d) in [(0, 3), (3, 0), (0, 0)] {
        let x = DMatrix::<f64>::zeros(m, d);
        let r = nonzero_like(&mut rng, &RowDVector::zeros(d));
        check_all(&mut rng, &x, &r, |s| s / m);
        let c = nonzero_like(&mut rng, &DVector::zeros(m));
        check_all(&mut rng, &x, &c, |s| s % m);
    }
}

/// The rhs pullback sums over the broadcast axis: for a row, over the rows of `ḡ`.
#[test]
fn rhs_pullbacks_sum_over_the_broadcast_axis() {
    let x = nalgebra::dmatrix![1.0, 2.0; 3.0, 4.0; 5.0, 6.0];
    let r = RowDVector::from_row_slice(&[2.0, 4.0]);
    let c = nalgebra::dvector![1.0, 2.0, 4.0];
    let g = DMatrix::from_element(3, 2, 1.0);
    let mut slot = None;
    broadcast_add_pullback_rhs(&g, &x, &r, &mut slot);
    assert_eq!(slot.unwrap(), RowDVector::from_row_slice(&[3.0, 3.0]));
    let mut slot = None;
    broadcast_sub_pullback_rhs(&g, &x, &c, &mut slot);
    assert_eq!(slot.unwrap(), nalgebra::dvector![-2.0, -2.0, -2.0]);
    let mut slot = None;
    broadcast_mul_pullback_rhs(&g, &x, &r, &mut slot);
    assert_eq!(slot.unwrap(), RowDVector::from_row_slice(&[9.0, 12.0]));
    // r̄ⱼ = −Σᵢ xᵢⱼ / rⱼ²: −9/4 and −12/16.
    let mut slot = None;
    broadcast_div_pullback_rhs(&g, &x, &r, &mut slot);
    assert_eq!(slot.unwrap(), RowDVector::from_row_slice(&[-2.25, -0.75]));
}

#[test]
#[should_panic(
    expected = "`broadcast_add` cannot apply a 1×4 row to every row of a 3×2 matrix: it needs a 1×2 row"
)]
fn broadcast_add_of_a_row_of_the_wrong_length_panics_with_both_shapes() {
    DMatrix::<f64>::zeros(3, 2).broadcast_add(&RowDVector::zeros(4));
}

#[test]
#[should_panic(
    expected = "`broadcast_sub` cannot apply a 2×1 column to every column of a 3×2 matrix: it needs a 3×1 column"
)]
fn broadcast_sub_of_a_column_of_the_wrong_length_panics_with_both_shapes() {
    broadcast_sub(&DMatrix::<f64>::zeros(3, 2), &DVector::zeros(2));
}

#[test]
#[should_panic(
    expected = "`broadcast_mul` cannot apply a 1×3 row to every row of a 3×2 matrix: it needs a 1×2 row"
)]
fn broadcast_mul_of_a_row_of_the_wrong_length_panics_with_both_shapes() {
    broadcast_mul(&DMatrix::<f64>::zeros(3, 2), &RowDVector::zeros(3));
}

#[test]
#[should_panic(
    expected = "`broadcast_div` cannot apply a 4×1 column to every column of a 3×2 matrix: it needs a 3×1 column"
)]
fn broadcast_div_of_a_column_of_the_wrong_length_panics_with_both_shapes() {
    DMatrix::<f64>::zeros(3, 2).broadcast_div(&DVector::zeros(4));
}

#[test]
#[should_panic(
    expected = "`broadcast_div` cannot apply a 1×3 row to every row of a 3×2 matrix: it needs a 1×2 row"
)]
fn broadcast_pullback_of_mismatched_shapes_panics_with_both() {
    let mut slot = None;
    broadcast_div_pullback_rhs(
        &DMatrix::<f64>::zeros(3, 2),
        &DMatrix::zeros(3, 2),
        &RowDVector::zeros(3),
        &mut slot,
    );
}

/// Every broadcast and pullback of the family, each into an empty slot then into a filled one,
/// on `x` (`m×d`), a row `r` (`1×d`), a column `c` (`m×1`) and a cotangent `g` (`m×d`).
fn family<T: Scalar>(
    x: &DMatrix<T>,
    r: &RowDVector<T>,
    c: &DVector<T>,
    g: &DMatrix<T>,
) -> Vec<(String, Vec<T>)> {
    fn twice<X: Dense>(f: impl Fn(&mut Option<X>)) -> Vec<X::Scalar> {
        let mut slot = None;
        f(&mut slot);
        let once = flat(slot.as_ref().unwrap());
        f(&mut slot);
        [once, flat(&slot.unwrap())].concat()
    }
    let mut out = vec![];
    macro_rules! both {
        ($name:literal, $op:ident, $lhs:ident, $rhs:ident) => {
            out.push((format!("{} row", $name), flat(&$op(x, r))));
            out.push((format!("{} row lhs", $name), twice(|a| $lhs(g, x, r, a))));
            out.push((format!("{} row rhs", $name), twice(|a| $rhs(g, x, r, a))));
            out.push((format!("{} column", $name), flat(&$op(x, c))));
            out.push((format!("{} column lhs", $name), twice(|a| $lhs(g, x, c, a))));
            out.push((format!("{} column rhs", $name), twice(|a| $rhs(g, x, c, a))));
        };
    }
    both!(
        "add",
        broadcast_add,
        broadcast_add_pullback_lhs,
        broadcast_add_pullback_rhs
    );
    both!(
        "sub",
        broadcast_sub,
        broadcast_sub_pullback_lhs,
        broadcast_sub_pullback_rhs
    );
    both!(
        "mul",
        broadcast_mul,
        broadcast_mul_pullback_lhs,
        broadcast_mul_pullback_rhs
    );
    both!(
        "div",
        broadcast_div,
        broadcast_div_pullback_lhs,
        broadcast_div_pullback_rhs
    );
    out
}

#[test]
fn f32_kernels_agree_with_f64() {
    let mut rng = rng(0x7f);
    let (m, d) = (3, 4);
    let x = dmatrix(&mut rng, m, d);
    let r = nonzero_like(&mut rng, &RowDVector::zeros(d));
    let c = nonzero_like(&mut rng, &DVector::zeros(m));
    let g = dmatrix(&mut rng, m, d);
    let wide = family(&x, &r, &c, &g);
    let narrow = family(&x.cast(), &r.cast(), &c.cast(), &g.cast());
    let wide: Vec<_> = wide.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
    let narrow: Vec<_> = narrow
        .iter()
        .map(|(n, v)| (n.as_str(), v.clone()))
        .collect();
    assert_f32_agrees(&wide, &narrow);
}
