//! Blocks of a matrix as nalgebra users write them, `.rows(i, n)`, `.columns(j, n)`,
//! `.view((i, j), (r, c))`, `.diagonal()`, `DMatrix::from_diagonal(&v)`, `a.kronecker(&b)`, and
//! `DMatrix::from_columns(&[..])` / `from_rows(&[..])`, the fixed-size blocks: against the
//! original function and finite differences on several shapes, with constant blocks of
//! constant matrices, and the out-of-bounds panic naming the block and the matrix.

mod common;

use common::*;
use matgrad::grad;
use nalgebra::{stack, DMatrix, DVector, Matrix3, Matrix4, RowDVector, Vector2, Vector3};

/// The blocks of `x` in one function: overlapping, used twice, combined with products.
#[grad(x)]
fn blocks(x: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    let (m, n) = (x.nrows(), x.ncols());
    let top = x.rows(0, m - 1);
    let bottom = x.rows(1, m - 1);
    let left = x.columns(0, n - 1);
    let corner = x.view((1, 1), (m - 1, n - 1));
    (top.component_mul(&bottom)).sum()
        + left.norm_squared()
        + corner.component_mul(&w.view((0, 0), (m - 1, n - 1))).sum()
        + (corner.transpose() * x.view((0, 0), (m - 1, 1))).sum()
}

#[test]
fn blocks_match_finite_differences() {
    let mut rng = rng(31);
    for (m, n) in [(2, 2), (3, 5), (6, 2), (4, 4)] {
        let x = dmatrix(&mut rng, m, n);
        let w = dmatrix(&mut rng, m, n);
        let (v, g) = blocks_grad(&x, &w);
        assert_value("blocks", v, blocks(&x, &w));
        assert_fd("blocks", |x| blocks(x, &w), &x, &g.x);
    }
}

/// `diag(v)·x` through `from_diagonal`, and the diagonal of a product.
#[grad]
fn diagonals(v: &DVector<f64>, x: &DMatrix<f64>) -> f64 {
    let d = DMatrix::from_diagonal(v);
    let p = &d * x;
    let t = p.tr_mul(&p);
    t.diagonal().map(|s| s.sqrt()).sum() + (x * x.transpose()).diagonal().dot(v)
}

#[test]
fn diagonals_match_finite_differences() {
    let mut rng = rng(32);
    for n in [1, 3, 5] {
        let v = dvector(&mut rng, n);
        let x = well_conditioned(&mut rng, n);
        let (value, g) = diagonals_grad(&v, &x);
        assert_value("diagonals", value, diagonals(&v, &x));
        assert_fd("diagonals d/dv", |v| diagonals(v, &x), &v, &g.v);
        assert_fd("diagonals d/dx", |x| diagonals(&v, x), &x, &g.x);
    }
}

/// Static types keep their dimensions through `from_diagonal` and `diagonal`.
#[grad]
fn static_diagonals(v: &Vector3<f64>, x: &Matrix3<f64>) -> f64 {
    let d = Matrix3::from_diagonal(v);
    (d * x).diagonal().norm_squared() + x.rows(1, 2).sum()
}

#[test]
fn static_diagonals_match_finite_differences() {
    let mut rng = rng(33);
    let v: Vector3<f64> = svector(&mut rng);
    let x: Matrix3<f64> = smatrix(&mut rng);
    let (value, g) = static_diagonals_grad(&v, &x);
    assert_value("static", value, static_diagonals(&v, &x));
    assert_fd("static d/dv", |v| static_diagonals(v, &x), &v, &g.v);
    assert_fd("static d/dx", |x| static_diagonals(&v, x), &x, &g.x);
}

#[test]
#[should_panic(
    expected = "`rows` asks for a 3×2 block at (2, 0) of a 4×2 matrix: it is out of bounds"
)]
fn a_block_out_of_bounds_names_it_and_the_matrix() {
    let x = DMatrix::from_element(4, 2, 1.0);
    let _ = out_of_bounds_grad(&x);
}

#[grad]
fn out_of_bounds(x: &DMatrix<f64>) -> f64 {
    x.rows(2, 3).sum()
}

/// `A ⊗ B` weighed by a matrix, and a Kronecker product used again.
#[grad(a, b)]
fn kronecker_product(a: &DMatrix<f64>, b: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    let k = a.kronecker(b);
    k.component_mul(w).sum() + k.norm_squared() * 0.5
}

#[test]
fn kronecker_products_match_finite_differences() {
    let mut rng = rng(34);
    for ((m, n), (p, q)) in [
        ((1, 1), (2, 3)),
        ((2, 3), (1, 2)),
        ((3, 1), (2, 2)),
        ((2, 2), (3, 3)),
    ] {
        let a = dmatrix(&mut rng, m, n);
        let b = dmatrix(&mut rng, p, q);
        let w = dmatrix(&mut rng, m * p, n * q);
        let (v, g) = kronecker_product_grad(&a, &b, &w);
        assert_value("kronecker", v, kronecker_product(&a, &b, &w));
        assert_fd("kronecker d/da", |a| kronecker_product(a, &b, &w), &a, &g.a);
        assert_fd("kronecker d/db", |b| kronecker_product(&a, b, &w), &b, &g.b);
    }
}

/// Columns and rows assembled into matrices, one of them constant, one used twice.
#[grad(a, b, r)]
fn assembled(a: &DVector<f64>, b: &DVector<f64>, c: &DVector<f64>, r: &RowDVector<f64>) -> f64 {
    let m = DMatrix::from_columns(&[a.clone(), b * 2.0, c.clone(), a.clone()]);
    let rows = DMatrix::from_rows(&[r.clone(), r * 3.0]);
    (m.transpose() * &m).norm_squared().sqrt() + (rows * r.transpose()).sum()
}

#[test]
fn assembled_matrices_match_finite_differences() {
    let mut rng = rng(35);
    for n in [1, 3, 5] {
        let (a, b, c) = (
            dvector(&mut rng, n),
            dvector(&mut rng, n),
            dvector(&mut rng, n),
        );
        let r = row_dvector(&mut rng, n + 1);
        let (v, g) = assembled_grad(&a, &b, &c, &r);
        assert_value("assembled", v, assembled(&a, &b, &c, &r));
        assert_fd("assembled d/da", |a| assembled(a, &b, &c, &r), &a, &g.a);
        assert_fd("assembled d/db", |b| assembled(&a, b, &c, &r), &b, &g.b);
        assert_fd("assembled d/dr", |r| assembled(&a, &b, &c, r), &r, &g.r);
    }
}

/// nalgebra's `stack!`: blocks of different shapes in a 2×2 layout (one constant, one used
/// twice), vectors one under another, and a row of blocks in a loop.
#[grad(a, b, d, v)]
#[allow(clippy::toplevel_ref_arg)] // in nalgebra's `stack!` (`let ref block = ..`)
fn stacked(
    a: &DMatrix<f64>,
    b: &DMatrix<f64>,
    c: &DMatrix<f64>,
    d: &DMatrix<f64>,
    v: &DVector<f64>,
) -> f64 {
    let m = nalgebra::stack![a, b; c, d + c * a.transpose() * b];
    let tall = stack![v; v.map(|x| x * x); v];
    let mut total = (m.transpose() * &m).trace() + tall.norm_squared();
    for k in 1..3 {
        let row = stack![b * (k as f64), a];
        total += row.sum() * m.sum();
    }
    total
}

#[test]
fn stacked_blocks_match_finite_differences() {
    let mut rng = rng(36);
    for (r1, r2, c1, c2) in [(1, 1, 1, 1), (2, 3, 2, 1), (3, 2, 3, 4)] {
        let a = dmatrix(&mut rng, r1, c1);
        let b = dmatrix(&mut rng, r1, c2);
        let c = dmatrix(&mut rng, r2, c1);
        let d = dmatrix(&mut rng, r2, c2);
        let v = dvector(&mut rng, r2 + 1);
        let f = |a: &DMatrix<f64>, b: &DMatrix<f64>, d: &DMatrix<f64>, v: &DVector<f64>| {
            stacked(a, b, &c, d, v)
        };
        let (value, g) = stacked_grad(&a, &b, &c, &d, &v);
        assert_value("stacked", value, f(&a, &b, &d, &v));
        assert_fd("stacked d/da", |a| f(a, &b, &d, &v), &a, &g.a);
        assert_fd("stacked d/db", |b| f(&a, b, &d, &v), &b, &g.b);
        assert_fd("stacked d/dd", |d| f(&a, &b, d, &v), &d, &g.d);
        assert_fd("stacked d/dv", |v| f(&a, &b, &d, v), &v, &g.v);
    }
}

/// Fixed-size blocks, static and dynamic, keep their static sizes: a `Matrix2x3` block of a
/// `Matrix4` multiplies a `Vector3` and adds to a `Vector2`.
#[grad(x)]
fn fixed_blocks(x: &Matrix4<f64>, v: &Vector3<f64>, d: &DMatrix<f64>) -> f64 {
    let top: Vector2<f64> = x.fixed_view::<2, 3>(1, 0) * v;
    let rows = x.fixed_rows::<2>(2);
    let cols = x.fixed_columns::<3>(1);
    let constant = d.fixed_rows::<1>(0).sum();
    (top + rows.column(0)).norm_squared() + cols.sum() * constant
}

#[test]
fn fixed_blocks_match_finite_differences() {
    let mut rng = rng(36);
    let x: Matrix4<f64> = smatrix(&mut rng);
    let v: Vector3<f64> = svector(&mut rng);
    let d = dmatrix(&mut rng, 2, 3);
    let (value, g) = fixed_blocks_grad(&x, &v, &d);
    assert_value("fixed", value, fixed_blocks(&x, &v, &d));
    assert_fd("fixed", |x| fixed_blocks(x, &v, &d), &x, &g.x);
}

/// Fixed blocks in a loop whose index moves the block, of a value carried around the loop.
#[grad(x)]
fn fixed_in_a_loop(x: &Matrix4<f64>) -> f64 {
    let mut m = *x;
    let mut s = 0.0;
    for t in 0..3 {
        let block = m.fixed_view::<2, 2>(t % 2, t);
        s += block.norm_squared() * (t as f64 + 1.0);
        m = m * 0.9 + x.transpose() * 0.1;
    }
    s
}

#[test]
fn fixed_blocks_in_a_loop_match_finite_differences() {
    let x: Matrix4<f64> = smatrix(&mut rng(37));
    let (value, g) = fixed_in_a_loop_grad(&x);
    assert_value("fixed loop", value, fixed_in_a_loop(&x));
    assert_fd("fixed loop", fixed_in_a_loop, &x, &g.x);
}

/// A fixed block of a temporary whose operand's buffer the temporary reuses.
#[grad(x)]
fn fixed_of_a_temporary(x: &Matrix4<f64>) -> f64 {
    let y = x * 2.0;
    (y + Matrix4::identity()).fixed_rows::<2>(1).norm_squared()
}

#[test]
fn a_fixed_block_of_a_temporary_matches_finite_differences() {
    let x: Matrix4<f64> = smatrix(&mut rng(38));
    let (value, g) = fixed_of_a_temporary_grad(&x);
    assert_value("fixed temporary", value, fixed_of_a_temporary(&x));
    assert_fd("fixed temporary", fixed_of_a_temporary, &x, &g.x);
}

#[grad(x)]
fn fixed_of_a_dynamic_temporary(x: &DMatrix<f64>) -> f64 {
    let y = x * 2.0;
    (y + DMatrix::identity(4, 4))
        .fixed_rows::<2>(1)
        .norm_squared()
}

#[test]
fn a_fixed_block_of_a_dynamic_temporary_matches_finite_differences() {
    let x = dmatrix(&mut rng(39), 4, 4);
    let (value, g) = fixed_of_a_dynamic_temporary_grad(&x);
    assert_value("fixed temporary", value, fixed_of_a_dynamic_temporary(&x));
    assert_fd("fixed temporary", fixed_of_a_dynamic_temporary, &x, &g.x);
}

#[grad(x)]
fn borrowed_fixed_block(x: &DMatrix<f64>, v: &Vector2<f64>) -> f64 {
    let y = x * 2.0;
    let dot = v.dot(&y.fixed_view::<2, 1>(0, 1));
    dot + y.sum()
}

#[test]
fn a_borrowed_fixed_block_matches_finite_differences() {
    let x = dmatrix(&mut rng(40), 3, 3);
    let v: Vector2<f64> = svector(&mut rng(41));
    let (value, g) = borrowed_fixed_block_grad(&x, &v);
    assert_value("borrowed fixed", value, borrowed_fixed_block(&x, &v));
    assert_fd("borrowed fixed", |x| borrowed_fixed_block(x, &v), &x, &g.x);
}
