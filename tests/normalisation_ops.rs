//! Every reduction, broadcast, component-wise quotient and `map` form that normalisation
//! layers (batch norm, layer norm) use inside `#[grad]`, each in a function of its own,
//! checked through its generated pullback against central finite differences of
//! φ(x) = ⟨ḡ, f(x)⟩ for a random cotangent ḡ, on shapes with one row, one column, and
//! non-square ones.

mod common;

use common::*;
use matgrad::{grad, Broadcast, Dense};
use nalgebra::{DMatrix, DVector, RowDVector};
use rand::rngs::StdRng;

/// `m×n`: a single entry, one row, one column, wide, tall.
const SHAPES: &[(usize, usize)] = &[(1, 1), (1, 4), (4, 1), (3, 5), (5, 2)];

/// The ε of the `map` forms.
const EPS: f64 = 1e-3;

/// A value of `like`'s shape with entries uniform in [-1, 1).
fn random_like<Y: Dense<Scalar = f64>>(rng: &mut StdRng, like: &Y) -> Y {
    let mut y = like.zeros_like();
    for i in 0..y.len() {
        *y.entry_mut(i) = uniform(rng);
    }
    y
}

/// A value of `like`'s shape with entries uniform in [0.5, 1.5): safe to divide by, to take
/// the square root or the logarithm of.
fn positive_like<Y: Dense<Scalar = f64>>(rng: &mut StdRng, like: &Y) -> Y {
    let mut y = random_like(rng, like);
    for i in 0..y.len() {
        *y.entry_mut(i) = 1.0 + 0.5 * y.entry(i);
    }
    y
}

/// ⟨ḡ, y⟩, entry by entry in storage order.
fn pairing<Y: Dense<Scalar = f64>>(g: &Y, y: &Y) -> f64 {
    assert_eq!(
        g.shape(),
        y.shape(),
        "the cotangent's shape is not the value's"
    );
    (0..y.len()).map(|i| g.entry(i) * y.entry(i)).sum()
}

/// Asserts that `pulled`, the pullback of `g`, is the gradient of ⟨g, f⟩ at `x`.
#[track_caller]
fn assert_pulls_back<X, Y>(what: &str, f: impl Fn(&X) -> Y, x: &X, g: &Y, pulled: &X)
where
    X: Dense<Scalar = f64> + std::fmt::Debug,
    Y: Dense<Scalar = f64>,
{
    assert_fd(what, |x| pairing(g, &f(x)), x, pulled);
}

/// Checks a function of one matrix on every shape: its value, and its pullback for a
/// random cotangent. `positive` draws the matrix from [0.5, 1.5).
#[track_caller]
fn check_unary<Y: Dense<Scalar = f64> + PartialEq + std::fmt::Debug>(
    name: &str,
    seed: u64,
    positive: bool,
    f: fn(&DMatrix<f64>) -> Y,
    pullback: impl Fn(&DMatrix<f64>, &Y) -> (Y, DMatrix<f64>),
) {
    let mut rng = rng(seed);
    for &(m, n) in SHAPES {
        let at = format!("{name}, {m}×{n}");
        let x = dmatrix(&mut rng, m, n);
        let x = if positive {
            positive_like(&mut rng, &x)
        } else {
            x
        };
        let y = f(&x);
        let g = random_like(&mut rng, &y);
        let (value, pulled) = pullback(&x, &g);
        assert_eq!(value, y, "{at}: the generated value is not the function's");
        assert_pulls_back(&at, f, &x, &g, &pulled);
    }
}

// ============================================================================ reductions

#[grad]
fn row_sum(x: &DMatrix<f64>) -> RowDVector<f64> {
    x.row_sum()
}

#[grad]
fn column_sum(x: &DMatrix<f64>) -> DVector<f64> {
    x.column_sum()
}

#[grad]
fn row_mean(x: &DMatrix<f64>) -> RowDVector<f64> {
    x.row_mean()
}

#[grad]
fn column_mean(x: &DMatrix<f64>) -> DVector<f64> {
    x.column_mean()
}

#[grad]
fn row_variance(x: &DMatrix<f64>) -> RowDVector<f64> {
    x.row_variance()
}

#[grad]
fn column_variance(x: &DMatrix<f64>) -> DVector<f64> {
    x.column_variance()
}

#[grad]
fn row_sum_tr(x: &DMatrix<f64>) -> DVector<f64> {
    x.row_sum_tr()
}

#[grad]
fn row_mean_tr(x: &DMatrix<f64>) -> DVector<f64> {
    x.row_mean_tr()
}

#[grad]
fn row_variance_tr(x: &DMatrix<f64>) -> DVector<f64> {
    x.row_variance_tr()
}

#[grad]
fn mean(x: &DMatrix<f64>) -> f64 {
    x.mean()
}

#[grad]
fn variance(x: &DMatrix<f64>) -> f64 {
    x.variance()
}

#[grad]
fn sum(x: &DMatrix<f64>) -> f64 {
    x.sum()
}

/// Sums and means over rows (a 1×n row) and over columns (an m×1 column), and their `_tr`
/// forms (the row results as n×1 columns).
#[test]
fn sums_and_means() {
    check_unary("row_sum", 1, false, row_sum, |x, g| {
        let (y, pb) = row_sum_pullback(x);
        (y, pb(g).x)
    });
    check_unary("column_sum", 2, false, column_sum, |x, g| {
        let (y, pb) = column_sum_pullback(x);
        (y, pb(g).x)
    });
    check_unary("row_mean", 3, false, row_mean, |x, g| {
        let (y, pb) = row_mean_pullback(x);
        (y, pb(g).x)
    });
    check_unary("column_mean", 4, false, column_mean, |x, g| {
        let (y, pb) = column_mean_pullback(x);
        (y, pb(g).x)
    });
    check_unary("row_sum_tr", 5, false, row_sum_tr, |x, g| {
        let (y, pb) = row_sum_tr_pullback(x);
        (y, pb(g).x)
    });
    check_unary("row_mean_tr", 6, false, row_mean_tr, |x, g| {
        let (y, pb) = row_mean_tr_pullback(x);
        (y, pb(g).x)
    });
}

/// Variances over rows, over columns, `_tr`, and of all entries (population variances:
/// divided by the count, as the seed's σ²). One row or one column gives zero variances
/// with zero gradients.
#[test]
fn variances() {
    check_unary("row_variance", 7, false, row_variance, |x, g| {
        let (y, pb) = row_variance_pullback(x);
        (y, pb(g).x)
    });
    check_unary("column_variance", 8, false, column_variance, |x, g| {
        let (y, pb) = column_variance_pullback(x);
        (y, pb(g).x)
    });
    check_unary("row_variance_tr", 9, false, row_variance_tr, |x, g| {
        let (y, pb) = row_variance_tr_pullback(x);
        (y, pb(g).x)
    });
    check_unary("variance", 10, false, variance, |x, g| {
        let (y, pb) = variance_pullback(x);
        (y, pb(g).x)
    });
    let x = DMatrix::from_row_slice(1, 3, &[0.3, -0.2, 0.9]);
    let ones = RowDVector::from_element(3, 1.0);
    assert_eq!(row_variance_pullback(&x).1(&ones).x, DMatrix::zeros(1, 3));
}

/// Reductions to a scalar, through `_grad` (the pullback at ḡ = 1) and through the pullback.
#[test]
fn scalar_reductions() {
    check_unary("mean", 11, false, mean, |x, g| {
        let (y, pb) = mean_pullback(x);
        (y, pb(g).x)
    });
    check_unary("sum", 12, false, sum, |x, g| {
        let (y, pb) = sum_pullback(x);
        (y, pb(g).x)
    });
    let mut rng = rng(13);
    for &(m, n) in SHAPES {
        let x = dmatrix(&mut rng, m, n);
        let at = format!("{m}×{n}");
        assert_fd(&at, mean, &x, &mean_grad(&x).1.x);
        assert_fd(&at, variance, &x, &variance_grad(&x).1.x);
        assert_fd(&at, sum, &x, &sum_grad(&x).1.x);
    }
}

// ============================================================================ broadcasts

#[grad]
fn add_row(x: &DMatrix<f64>, r: &RowDVector<f64>) -> DMatrix<f64> {
    x.broadcast_add(r)
}

#[grad]
fn sub_row(x: &DMatrix<f64>, r: &RowDVector<f64>) -> DMatrix<f64> {
    x.broadcast_sub(r)
}

#[grad]
fn mul_row(x: &DMatrix<f64>, r: &RowDVector<f64>) -> DMatrix<f64> {
    x.broadcast_mul(r)
}

#[grad]
fn div_row(x: &DMatrix<f64>, r: &RowDVector<f64>) -> DMatrix<f64> {
    x.broadcast_div(r)
}

#[grad]
fn add_column(x: &DMatrix<f64>, c: &DVector<f64>) -> DMatrix<f64> {
    x.broadcast_add(c)
}

#[grad]
fn sub_column(x: &DMatrix<f64>, c: &DVector<f64>) -> DMatrix<f64> {
    x.broadcast_sub(c)
}

#[grad]
fn mul_column(x: &DMatrix<f64>, c: &DVector<f64>) -> DMatrix<f64> {
    x.broadcast_mul(c)
}

#[grad]
fn div_column(x: &DMatrix<f64>, c: &DVector<f64>) -> DMatrix<f64> {
    x.broadcast_div(c)
}

/// A pullback with respect to a matrix and the row (or column) broadcast over it.
type BroadcastPullback<V> = fn(&DMatrix<f64>, &V, &DMatrix<f64>) -> (DMatrix<f64>, V);

/// Checks `f(x, v)` with `v` broadcast over `x`: both operands, every shape; `v` drawn from
/// [0.5, 1.5) (so that it can divide).
fn check_broadcast<V: Dense<Scalar = f64> + std::fmt::Debug>(
    name: &str,
    seed: u64,
    vector: fn(&mut StdRng, usize, usize) -> V,
    f: fn(&DMatrix<f64>, &V) -> DMatrix<f64>,
    pullback: BroadcastPullback<V>,
) {
    let mut rng = rng(seed);
    for &(m, n) in SHAPES {
        let at = format!("{name}, {m}×{n}");
        let x = dmatrix(&mut rng, m, n);
        let v = vector(&mut rng, m, n);
        let v = positive_like(&mut rng, &v);
        let g = dmatrix(&mut rng, m, n);
        let (dx, dv) = pullback(&x, &v, &g);
        assert_pulls_back(&format!("{at}: matrix"), |x| f(x, &v), &x, &g, &dx);
        assert_pulls_back(&format!("{at}: vector"), |v| f(&x, v), &v, &g, &dv);
    }
}

fn a_row(rng: &mut StdRng, _m: usize, n: usize) -> RowDVector<f64> {
    row_dvector(rng, n)
}

fn a_column(rng: &mut StdRng, m: usize, _n: usize) -> DVector<f64> {
    dvector(rng, m)
}

/// `broadcast_add`, `_sub`, `_mul`, `_div` with a 1×n row applied to every row.
#[test]
fn broadcast_rows() {
    check_broadcast("broadcast_add(row)", 20, a_row, add_row, |x, r, g| {
        let grad = add_row_pullback(x, r).1(g);
        (grad.x, grad.r)
    });
    check_broadcast("broadcast_sub(row)", 21, a_row, sub_row, |x, r, g| {
        let grad = sub_row_pullback(x, r).1(g);
        (grad.x, grad.r)
    });
    check_broadcast("broadcast_mul(row)", 22, a_row, mul_row, |x, r, g| {
        let grad = mul_row_pullback(x, r).1(g);
        (grad.x, grad.r)
    });
    check_broadcast("broadcast_div(row)", 23, a_row, div_row, |x, r, g| {
        let grad = div_row_pullback(x, r).1(g);
        (grad.x, grad.r)
    });
}

/// `broadcast_add`, `_sub`, `_mul`, `_div` with an m×1 column applied to every column.
#[test]
fn broadcast_columns() {
    check_broadcast(
        "broadcast_add(column)",
        24,
        a_column,
        add_column,
        |x, c, g| {
            let grad = add_column_pullback(x, c).1(g);
            (grad.x, grad.c)
        },
    );
    check_broadcast(
        "broadcast_sub(column)",
        25,
        a_column,
        sub_column,
        |x, c, g| {
            let grad = sub_column_pullback(x, c).1(g);
            (grad.x, grad.c)
        },
    );
    check_broadcast(
        "broadcast_mul(column)",
        26,
        a_column,
        mul_column,
        |x, c, g| {
            let grad = mul_column_pullback(x, c).1(g);
            (grad.x, grad.c)
        },
    );
    check_broadcast(
        "broadcast_div(column)",
        27,
        a_column,
        div_column,
        |x, c, g| {
            let grad = div_column_pullback(x, c).1(g);
            (grad.x, grad.c)
        },
    );
}

/// Broadcasting a reduction of the same matrix back over it: centring by rows and by
/// columns, the two paths from x to the output meeting again.
#[grad]
fn centre_both_ways(x: &DMatrix<f64>) -> DMatrix<f64> {
    let by_columns = x.broadcast_sub(&x.row_mean());
    by_columns.broadcast_sub(&by_columns.column_mean())
}

#[test]
fn broadcasting_a_reduction_of_itself() {
    check_unary("centre_both_ways", 28, false, centre_both_ways, |x, g| {
        let (y, pb) = centre_both_ways_pullback(x);
        (y, pb(g).x)
    });
}

// ================================================================ component-wise ⊙ and ⊘

#[grad]
fn component_div_matrices(x: &DMatrix<f64>, y: &DMatrix<f64>) -> DMatrix<f64> {
    x.component_div(y)
}

#[grad]
fn component_div_rows(x: &RowDVector<f64>, y: &RowDVector<f64>) -> RowDVector<f64> {
    x.component_div(y)
}

#[grad]
fn component_div_columns(x: &DVector<f64>, y: &DVector<f64>) -> DVector<f64> {
    x.component_div(y).component_mul(x)
}

/// `.component_div(&y)` of matrices, rows and columns, both operands differentiated (and a
/// value divided then multiplied by the same operand).
#[test]
fn component_div() {
    let mut rng = rng(30);
    for &(m, n) in SHAPES {
        let at = format!("{m}×{n}");
        let (x, y) = (dmatrix(&mut rng, m, n), dmatrix(&mut rng, m, n));
        let y = positive_like(&mut rng, &y);
        let g = dmatrix(&mut rng, m, n);
        let grad = component_div_matrices_pullback(&x, &y).1(&g);
        assert_pulls_back(&at, |x| component_div_matrices(x, &y), &x, &g, &grad.x);
        assert_pulls_back(&at, |y| component_div_matrices(&x, y), &y, &g, &grad.y);

        let (x, y, g) = (
            row_dvector(&mut rng, n),
            row_dvector(&mut rng, n),
            row_dvector(&mut rng, n),
        );
        let y = positive_like(&mut rng, &y);
        let grad = component_div_rows_pullback(&x, &y).1(&g);
        assert_pulls_back(&at, |x| component_div_rows(x, &y), &x, &g, &grad.x);
        assert_pulls_back(&at, |y| component_div_rows(&x, y), &y, &g, &grad.y);

        let (x, y, g) = (
            dvector(&mut rng, m),
            dvector(&mut rng, m),
            dvector(&mut rng, m),
        );
        let y = positive_like(&mut rng, &y);
        let grad = component_div_columns_pullback(&x, &y).1(&g);
        assert_pulls_back(&at, |x| component_div_columns(x, &y), &x, &g, &grad.x);
        assert_pulls_back(&at, |y| component_div_columns(&x, y), &y, &g, &grad.y);
    }
}

// =================================================================================== map

/// `√(v + ε)` reading the non-differentiated parameter `eps`.
#[grad(x)]
fn map_sqrt_eps(x: &DMatrix<f64>, eps: f64) -> DMatrix<f64> {
    x.map(|v| (v + eps).sqrt())
}

/// `1/√(v + ε)`, the inverse standard deviation.
#[grad(x)]
fn map_inverse_sqrt_eps(x: &DMatrix<f64>, eps: f64) -> DMatrix<f64> {
    x.map(|v| 1.0 / (v + eps).sqrt())
}

/// Method paths: `f64::sqrt`, `f64::exp`, `f64::ln`.
#[grad]
fn map_paths(x: &DMatrix<f64>) -> DMatrix<f64> {
    x.map(f64::sqrt) + x.map(f64::exp) + x.map(f64::ln)
}

/// `powi` and arithmetic inside the closure, and a closure reading a non-differentiated
/// local (the number of rows).
#[grad]
fn map_polynomial(x: &DMatrix<f64>) -> DMatrix<f64> {
    let m = x.nrows() as f64;
    x.map(|v| v.powi(3) - 2.0 * v * v + v / m)
}

/// A map of a reduction: the batch variance's inverse standard deviation, 1×n.
#[grad(x)]
fn map_of_a_reduction(x: &DMatrix<f64>, eps: f64) -> RowDVector<f64> {
    x.row_variance().map(|v| 1.0 / (v + eps).sqrt())
}

/// Maps of a column and a row vector.
#[grad]
fn map_vectors(c: &DVector<f64>, r: &RowDVector<f64>) -> f64 {
    c.map(|v| (v + EPS).sqrt()).sum() * r.map(|v| v.powi(2)).sum()
}

/// The `map` forms, on matrices, on reductions, on vectors.
#[test]
fn maps() {
    check_unary(
        "map(√(v + ε))",
        40,
        true,
        |x| map_sqrt_eps(x, EPS),
        |x, g| {
            let (y, pb) = map_sqrt_eps_pullback(x, EPS);
            (y, pb(g).x)
        },
    );
    check_unary(
        "map(1/√(v + ε))",
        41,
        true,
        |x| map_inverse_sqrt_eps(x, EPS),
        |x, g| {
            let (y, pb) = map_inverse_sqrt_eps_pullback(x, EPS);
            (y, pb(g).x)
        },
    );
    check_unary("map(f64::sqrt + exp + ln)", 42, true, map_paths, |x, g| {
        let (y, pb) = map_paths_pullback(x);
        (y, pb(g).x)
    });
    check_unary(
        "map(v³ − 2v² + v/m)",
        43,
        false,
        map_polynomial,
        |x, g| {
            let (y, pb) = map_polynomial_pullback(x);
            (y, pb(g).x)
        },
    );
    check_unary(
        "row_variance().map(1/√(v + ε))",
        44,
        false,
        |x| map_of_a_reduction(x, EPS),
        |x, g| {
            let (y, pb) = map_of_a_reduction_pullback(x, EPS);
            (y, pb(g).x)
        },
    );
    let mut rng = rng(45);
    for &(m, n) in SHAPES {
        let at = format!("{m}, {n}");
        let (c, r) = (dvector(&mut rng, m), row_dvector(&mut rng, n));
        let c = positive_like(&mut rng, &c);
        let (v, grad) = map_vectors_grad(&c, &r);
        assert_value(&at, v, map_vectors(&c, &r));
        assert_fd(&at, |c| map_vectors(c, &r), &c, &grad.c);
        assert_fd(&at, |r| map_vectors(&c, r), &r, &grad.r);
    }
}

// ========================================================================= float methods

/// `.powi(n)` and `.sqrt()` on the scalar results of reductions, and ε added outside.
#[grad(x)]
fn scalar_methods(x: &DMatrix<f64>, eps: f64) -> f64 {
    let sd = (x.variance() + eps).sqrt();
    let m = x.mean();
    m.powi(3) / sd + (x.sum().powi(2) + 1.0).sqrt() - sd.powi(-2)
}

#[test]
fn float_methods_of_reductions() {
    let mut rng = rng(50);
    for &(m, n) in SHAPES {
        let at = format!("{m}×{n}");
        let x = dmatrix(&mut rng, m, n);
        let (v, grad) = scalar_methods_grad(&x, EPS);
        assert_value(&at, v, scalar_methods(&x, EPS));
        assert_fd(&at, |x| scalar_methods(x, EPS), &x, &grad.x);
    }
}

// ================================================================== the check can fail

/// The check can fail: the pullback of `row_mean` is not that of `row_sum` (off by m).
#[test]
#[should_panic(expected = "disagrees with finite differences")]
fn a_wrong_pullback_is_caught() {
    let mut rng = rng(60);
    let x = dmatrix(&mut rng, 3, 4);
    let g = row_dvector(&mut rng, 4);
    let wrong = row_sum_pullback(&x).1(&g).x;
    assert_pulls_back("row_mean", row_mean, &x, &g, &wrong);
}
