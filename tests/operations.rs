//! Every operation and piece of syntax the facade docs list as supported inside `#[grad]`,
//! each in a function of its own, with the gradient of every differentiated parameter
//! checked against central finite differences on seeded random inputs of several shapes,
//! and the generated value checked against the original function.

mod common;

use common::*;
use matgrad::{grad, Broadcast};
use nalgebra::{DMatrix, DVector, Matrix2x4, RowDVector, SMatrix, SVector, Vector3};

/// `m×n` shapes: a scalar-like one, tall, wide, square.
const SHAPES: &[(usize, usize)] = &[(1, 1), (3, 2), (2, 5), (4, 4)];

/// Vector lengths.
const LENGTHS: &[usize] = &[1, 3, 7];

/// Sizes of square matrices.
const SIZES: &[usize] = &[1, 2, 3, 5];

/// Random points for scalar functions.
fn scalars(rng: &mut rand::rngs::StdRng, n: usize) -> Vec<f64> {
    (0..n).map(|_| uniform(rng)).collect()
}

// ====================================================================== + and - and unary -

#[grad(x, y)]
fn add_matrices(x: &DMatrix<f64>, y: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    (x + y).dot(w)
}

#[grad(x, y)]
fn sub_matrices(x: &DMatrix<f64>, y: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    (x - y).dot(w)
}

#[grad(x, y)]
fn add_sub_vectors(x: &DVector<f64>, y: &DVector<f64>, w: &DVector<f64>) -> f64 {
    let s = x + y;
    let d = x - y;
    s.dot(w) + d.component_mul(&d).sum()
}

#[grad(x, y)]
fn add_sub_rows(x: &RowDVector<f64>, y: &RowDVector<f64>, w: &RowDVector<f64>) -> f64 {
    (x + y - w).norm_squared() + (y - x).dot(w)
}

/// `+` and `-` on matrices, column vectors and row vectors.
#[test]
fn add_and_sub() {
    let mut rng = rng(1);
    for &(m, n) in SHAPES {
        let (x, y, w) = (
            dmatrix(&mut rng, m, n),
            dmatrix(&mut rng, m, n),
            dmatrix(&mut rng, m, n),
        );
        let at = format!("{m}×{n}");
        let (v, g) = add_matrices_grad(&x, &y, &w);
        assert_value(&at, v, add_matrices(&x, &y, &w));
        assert_fd(&at, |x| add_matrices(x, &y, &w), &x, &g.x);
        assert_fd(&at, |y| add_matrices(&x, y, &w), &y, &g.y);
        let (v, g) = sub_matrices_grad(&x, &y, &w);
        assert_value(&at, v, sub_matrices(&x, &y, &w));
        assert_fd(&at, |x| sub_matrices(x, &y, &w), &x, &g.x);
        assert_fd(&at, |y| sub_matrices(&x, y, &w), &y, &g.y);
    }
    for &n in LENGTHS {
        let at = format!("n = {n}");
        let (x, y, w) = (
            dvector(&mut rng, n),
            dvector(&mut rng, n),
            dvector(&mut rng, n),
        );
        let (v, g) = add_sub_vectors_grad(&x, &y, &w);
        assert_value(&at, v, add_sub_vectors(&x, &y, &w));
        assert_fd(&at, |x| add_sub_vectors(x, &y, &w), &x, &g.x);
        assert_fd(&at, |y| add_sub_vectors(&x, y, &w), &y, &g.y);
        let (x, y, w) = (
            row_dvector(&mut rng, n),
            row_dvector(&mut rng, n),
            row_dvector(&mut rng, n),
        );
        let (v, g) = add_sub_rows_grad(&x, &y, &w);
        assert_value(&at, v, add_sub_rows(&x, &y, &w));
        assert_fd(&at, |x| add_sub_rows(x, &y, &w), &x, &g.x);
        assert_fd(&at, |y| add_sub_rows(&x, y, &w), &y, &g.y);
    }
}

#[grad]
fn add_sub_scalars(s: f64, t: f64) -> f64 {
    (s + t) * (s - t) - t + s
}

/// `+` and `-` on scalars.
#[test]
fn add_and_sub_scalars() {
    let mut rng = rng(2);
    for _ in 0..4 {
        let (s, t) = (uniform(&mut rng), uniform(&mut rng));
        let (v, g) = add_sub_scalars_grad(s, t);
        let at = format!("s = {s}, t = {t}");
        assert_value(&at, v, add_sub_scalars(s, t));
        assert_fd(&at, |s| add_sub_scalars(*s, t), &s, &g.s);
        assert_fd(&at, |t| add_sub_scalars(s, *t), &t, &g.t);
    }
}

#[grad(x, s)]
fn negations(x: &DMatrix<f64>, s: f64, w: &DMatrix<f64>) -> f64 {
    let y = -x;
    let z = -(y.clone() * s);
    -z.dot(w) + -s
}

/// Unary `-` on matrices, on scalars and on a parenthesised expression.
#[test]
fn unary_neg() {
    let mut rng = rng(3);
    for &(m, n) in SHAPES {
        let (x, w, s) = (
            dmatrix(&mut rng, m, n),
            dmatrix(&mut rng, m, n),
            uniform(&mut rng),
        );
        let at = format!("{m}×{n}");
        let (v, g) = negations_grad(&x, s, &w);
        assert_value(&at, v, negations(&x, s, &w));
        assert_fd(&at, |x| negations(x, s, &w), &x, &g.x);
        assert_fd(&at, |s| negations(&x, *s, &w), &s, &g.s);
    }
}

// ===================================================================================== *

#[grad]
fn mul_scalars(s: f64, t: f64) -> f64 {
    s * t * s
}

#[grad(x, s)]
fn mul_scalar_matrix(s: f64, x: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    let left = s * x;
    let right = x * s;
    left.dot(w) + (right * s).sum()
}

#[grad(a, b)]
fn mul_matrix_matrix(a: &DMatrix<f64>, b: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    (a * b).dot(w)
}

#[grad(a, x)]
fn mul_matrix_vector(a: &DMatrix<f64>, x: &DVector<f64>, w: &DVector<f64>) -> f64 {
    (a * x).dot(w)
}

#[grad(r, x)]
fn mul_row_column(r: &RowDVector<f64>, x: &DVector<f64>) -> f64 {
    let p = r * x;
    p[(0, 0)]
}

#[grad(x, r)]
fn mul_column_row(x: &DVector<f64>, r: &RowDVector<f64>, w: &DMatrix<f64>) -> f64 {
    (x * r).dot(w)
}

#[grad(r, a)]
fn mul_row_matrix(r: &RowDVector<f64>, a: &DMatrix<f64>, w: &RowDVector<f64>) -> f64 {
    (r * a).dot(w)
}

#[grad(x, s)]
fn mul_vector_scalar(x: &DVector<f64>, s: f64) -> f64 {
    (x * s).sum() + (s * x).norm_squared()
}

/// `*` for scalar·scalar.
#[test]
fn mul_scalar_scalar() {
    let mut rng = rng(4);
    for _ in 0..4 {
        let (s, t) = (uniform(&mut rng), uniform(&mut rng));
        let at = format!("s = {s}, t = {t}");
        let (v, g) = mul_scalars_grad(s, t);
        assert_value(&at, v, mul_scalars(s, t));
        assert_fd(&at, |s| mul_scalars(*s, t), &s, &g.s);
        assert_fd(&at, |t| mul_scalars(s, *t), &t, &g.t);
    }
}

/// `*` for scalar·matrix, matrix·scalar, scalar·vector and vector·scalar.
#[test]
fn mul_scalar_and_matrix() {
    let mut rng = rng(5);
    for &(m, n) in SHAPES {
        let (x, w, s) = (
            dmatrix(&mut rng, m, n),
            dmatrix(&mut rng, m, n),
            uniform(&mut rng),
        );
        let at = format!("{m}×{n}");
        let (v, g) = mul_scalar_matrix_grad(s, &x, &w);
        assert_value(&at, v, mul_scalar_matrix(s, &x, &w));
        assert_fd(&at, |x| mul_scalar_matrix(s, x, &w), &x, &g.x);
        assert_fd(&at, |s| mul_scalar_matrix(*s, &x, &w), &s, &g.s);
    }
    for &n in LENGTHS {
        let (x, s) = (dvector(&mut rng, n), uniform(&mut rng));
        let at = format!("n = {n}");
        let (v, g) = mul_vector_scalar_grad(&x, s);
        assert_value(&at, v, mul_vector_scalar(&x, s));
        assert_fd(&at, |x| mul_vector_scalar(x, s), &x, &g.x);
        assert_fd(&at, |s| mul_vector_scalar(&x, *s), &s, &g.s);
    }
}

/// `*` for matrix·matrix.
#[test]
fn mul_matrices() {
    let mut rng = rng(6);
    // A is m×k, B k×n.
    for &(m, k, n) in &[(1, 1, 1), (3, 2, 4), (2, 5, 1), (4, 4, 4)] {
        let (a, b, w) = (
            dmatrix(&mut rng, m, k),
            dmatrix(&mut rng, k, n),
            dmatrix(&mut rng, m, n),
        );
        let at = format!("{m}×{k} · {k}×{n}");
        let (v, g) = mul_matrix_matrix_grad(&a, &b, &w);
        assert_value(&at, v, mul_matrix_matrix(&a, &b, &w));
        assert_fd(&at, |a| mul_matrix_matrix(a, &b, &w), &a, &g.a);
        assert_fd(&at, |b| mul_matrix_matrix(&a, b, &w), &b, &g.b);
    }
}

/// `*` for matrix·vector, row·column, column·row and row·matrix.
#[test]
fn mul_vectors() {
    let mut rng = rng(7);
    for &(m, n) in SHAPES {
        let at = format!("{m}×{n}");
        let (a, x, w) = (
            dmatrix(&mut rng, m, n),
            dvector(&mut rng, n),
            dvector(&mut rng, m),
        );
        let (v, g) = mul_matrix_vector_grad(&a, &x, &w);
        assert_value(&at, v, mul_matrix_vector(&a, &x, &w));
        assert_fd(&at, |a| mul_matrix_vector(a, &x, &w), &a, &g.a);
        assert_fd(&at, |x| mul_matrix_vector(&a, x, &w), &x, &g.x);

        let (r, x) = (row_dvector(&mut rng, n), dvector(&mut rng, n));
        let (v, g) = mul_row_column_grad(&r, &x);
        assert_value(&at, v, mul_row_column(&r, &x));
        assert_fd(&at, |r| mul_row_column(r, &x), &r, &g.r);
        assert_fd(&at, |x| mul_row_column(&r, x), &x, &g.x);

        let (x, r, w) = (
            dvector(&mut rng, m),
            row_dvector(&mut rng, n),
            dmatrix(&mut rng, m, n),
        );
        let (v, g) = mul_column_row_grad(&x, &r, &w);
        assert_value(&at, v, mul_column_row(&x, &r, &w));
        assert_fd(&at, |x| mul_column_row(x, &r, &w), &x, &g.x);
        assert_fd(&at, |r| mul_column_row(&x, r, &w), &r, &g.r);

        let (r, a, w) = (
            row_dvector(&mut rng, m),
            dmatrix(&mut rng, m, n),
            row_dvector(&mut rng, n),
        );
        let (v, g) = mul_row_matrix_grad(&r, &a, &w);
        assert_value(&at, v, mul_row_matrix(&r, &a, &w));
        assert_fd(&at, |r| mul_row_matrix(r, &a, &w), &r, &g.r);
        assert_fd(&at, |a| mul_row_matrix(&r, a, &w), &a, &g.a);
    }
}

// ===================================================================================== /

#[grad(x, s)]
fn div_matrix_by_scalar(x: &DMatrix<f64>, s: f64, w: &DMatrix<f64>) -> f64 {
    (x / s).dot(w) + (x / 2.0).sum()
}

#[grad]
fn div_scalars(s: f64, t: f64) -> f64 {
    s / t + 1.0 / t - t / 4.0
}

/// `/` by a scalar: matrix / scalar and scalar / scalar, both sides differentiated.
#[test]
fn div_by_scalar() {
    let mut rng = rng(8);
    for &(m, n) in SHAPES {
        let (x, w) = (dmatrix(&mut rng, m, n), dmatrix(&mut rng, m, n));
        // The divisor stays away from zero.
        let s = 0.5 + uniform(&mut rng).abs();
        let at = format!("{m}×{n}");
        let (v, g) = div_matrix_by_scalar_grad(&x, s, &w);
        assert_value(&at, v, div_matrix_by_scalar(&x, s, &w));
        assert_fd(&at, |x| div_matrix_by_scalar(x, s, &w), &x, &g.x);
        assert_fd(&at, |s| div_matrix_by_scalar(&x, *s, &w), &s, &g.s);
    }
    for _ in 0..4 {
        let (s, t) = (uniform(&mut rng), 0.5 + uniform(&mut rng).abs());
        let at = format!("s = {s}, t = {t}");
        let (v, g) = div_scalars_grad(s, t);
        assert_value(&at, v, div_scalars(s, t));
        assert_fd(&at, |s| div_scalars(*s, t), &s, &g.s);
        assert_fd(&at, |t| div_scalars(s, *t), &t, &g.t);
    }
}

// ============================================================= parentheses, borrows, bindings

#[allow(unused_parens)]
#[grad(a, x, b)]
fn parens_and_borrows(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
    let ax = (a * x);
    let r = &ax - b;
    let q = &(&r + &ax) - &(b * 2.0);
    (r.dot(&(&q * 2.0)) + (q.sum() - (r.sum()))) * -(r.norm_squared())
}

/// Parentheses and `&` borrows, of parameters and of locals.
#[test]
fn parentheses_and_borrows() {
    let mut rng = rng(9);
    for &(m, n) in SHAPES {
        let (a, x, b) = (
            dmatrix(&mut rng, m, n),
            dvector(&mut rng, n),
            dvector(&mut rng, m),
        );
        let at = format!("{m}×{n}");
        let (v, g) = parens_and_borrows_grad(&a, &x, &b);
        assert_value(&at, v, parens_and_borrows(&a, &x, &b));
        assert_fd(&at, |a| parens_and_borrows(a, &x, &b), &a, &g.a);
        assert_fd(&at, |x| parens_and_borrows(&a, x, &b), &x, &g.x);
        assert_fd(&at, |b| parens_and_borrows(&a, &x, b), &b, &g.b);
    }
}

#[grad(a, x)]
fn shadowed(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    // Shadow a parameter, then a local, then the local again with a different type.
    let x = a * x;
    let y = x.component_mul(&x);
    let y = &y + &x;
    let y = y.sum();
    y * x.norm_squared()
}

/// `let` shadowing of parameters and of locals.
#[test]
fn shadowing() {
    let mut rng = rng(10);
    for &(m, n) in SHAPES {
        let (a, x) = (dmatrix(&mut rng, m, n), dvector(&mut rng, n));
        let at = format!("{m}×{n}");
        let (v, g) = shadowed_grad(&a, &x);
        assert_value(&at, v, shadowed(&a, &x));
        assert_fd(&at, |a| shadowed(a, &x), &a, &g.a);
        assert_fd(&at, |x| shadowed(&a, x), &x, &g.x);
    }
}

#[allow(clippy::assign_op_pattern)]
#[grad(a, x, s)]
fn reassigned(a: &DMatrix<f64>, x: &DVector<f64>, s: f64) -> f64 {
    let mut y = a * x;
    y = y * 2.0;
    y = &y + &y.component_mul(&y);
    let mut t = s;
    t = t * y.sum();
    t = t - s;
    t + y.norm_squared()
}

/// Reassignment `y = y * 2.0;` of matrix and scalar locals.
#[test]
fn reassignment() {
    let mut rng = rng(11);
    for &(m, n) in SHAPES {
        let (a, x, s) = (
            dmatrix(&mut rng, m, n),
            dvector(&mut rng, n),
            uniform(&mut rng),
        );
        let at = format!("{m}×{n}");
        let (v, g) = reassigned_grad(&a, &x, s);
        assert_value(&at, v, reassigned(&a, &x, s));
        assert_fd(&at, |a| reassigned(a, &x, s), &a, &g.a);
        assert_fd(&at, |x| reassigned(&a, x, s), &x, &g.x);
        assert_fd(&at, |s| reassigned(&a, &x, *s), &s, &g.s);
    }
}

#[grad(x, b, q, s)]
fn compound_matrix(x: &DMatrix<f64>, b: &DMatrix<f64>, q: &DMatrix<f64>, s: f64) -> f64 {
    let mut y = x.clone();
    y += b;
    y -= &(x * 0.5);
    y *= 3.0;
    y *= s;
    y *= q;
    y /= s + 2.0;
    y /= 2.0;
    y.norm_squared()
}

#[grad]
fn compound_scalar(s: f64, t: f64) -> f64 {
    let mut u = s;
    u += t;
    u -= 0.25;
    u *= t;
    u /= 1.5 + t * t;
    u += u * s;
    u
}

/// `+=`, `-=`, `*=` (by a scalar and by a matrix) and `/=` on matrix and scalar locals.
#[test]
fn compound_assignment() {
    let mut rng = rng(12);
    for &(m, n) in SHAPES {
        // `y *= q` needs a square n×n right factor.
        let (x, b, q) = (
            dmatrix(&mut rng, m, n),
            dmatrix(&mut rng, m, n),
            dmatrix(&mut rng, n, n),
        );
        let s = 0.5 + uniform(&mut rng).abs();
        let at = format!("{m}×{n}");
        let (v, g) = compound_matrix_grad(&x, &b, &q, s);
        assert_value(&at, v, compound_matrix(&x, &b, &q, s));
        assert_fd(&at, |x| compound_matrix(x, &b, &q, s), &x, &g.x);
        assert_fd(&at, |b| compound_matrix(&x, b, &q, s), &b, &g.b);
        assert_fd(&at, |q| compound_matrix(&x, &b, q, s), &q, &g.q);
        assert_fd(&at, |s| compound_matrix(&x, &b, &q, *s), &s, &g.s);
    }
    for (s, t) in scalars(&mut rng, 4).into_iter().zip(scalars(&mut rng, 4)) {
        let at = format!("s = {s}, t = {t}");
        let (v, g) = compound_scalar_grad(s, t);
        assert_value(&at, v, compound_scalar(s, t));
        assert_fd(&at, |s| compound_scalar(*s, t), &s, &g.s);
        assert_fd(&at, |t| compound_scalar(s, *t), &t, &g.t);
    }
}

// =============================================================================== indexing

#[grad(x)]
fn index_matrix(x: &DMatrix<f64>, i: usize, j: usize) -> f64 {
    let y = x * 2.0;
    y[(i, j)] * x[(i, j)] + x[(0, 0)] - x[(i, 0)]
}

#[grad(v, r)]
fn index_vectors(v: &DVector<f64>, r: &RowDVector<f64>, i: usize) -> f64 {
    v[i] * r[i] + v[0] * v[0] - r[r.len() - 1] + v[v.len() / 2]
}

/// Indexing `m[(i, j)]` and `v[i]` with literal and parameter indices; an entry read twice.
#[test]
fn indexing() {
    let mut rng = rng(13);
    for &(m, n) in SHAPES {
        let x = dmatrix(&mut rng, m, n);
        for (i, j) in [(0, 0), (m - 1, n - 1), (m / 2, n / 3)] {
            let at = format!("{m}×{n} at ({i}, {j})");
            let (v, g) = index_matrix_grad(&x, i, j);
            assert_value(&at, v, index_matrix(&x, i, j));
            assert_fd(&at, |x| index_matrix(x, i, j), &x, &g.x);
        }
    }
    for &n in LENGTHS {
        let (v, r) = (dvector(&mut rng, n), row_dvector(&mut rng, n));
        for i in [0, n - 1, n / 2] {
            let at = format!("n = {n} at {i}");
            let (value, g) = index_vectors_grad(&v, &r, i);
            assert_value(&at, value, index_vectors(&v, &r, i));
            assert_fd(&at, |v| index_vectors(v, &r, i), &v, &g.v);
            assert_fd(&at, |r| index_vectors(&v, r, i), &r, &g.r);
        }
    }
}

// ================================================================================ methods

#[grad(x)]
fn transposed(x: &DMatrix<f64>, w: &DMatrix<f64>, v: &DVector<f64>) -> f64 {
    let xt = x.transpose();
    let col = x.transpose() * v;
    xt.dot(w) + col.transpose().sum()
}

/// `.transpose()` of matrices and of vectors.
#[test]
fn transpose() {
    let mut rng = rng(14);
    for &(m, n) in SHAPES {
        let (x, w, v) = (
            dmatrix(&mut rng, m, n),
            dmatrix(&mut rng, n, m),
            dvector(&mut rng, m),
        );
        let at = format!("{m}×{n}");
        let (value, g) = transposed_grad(&x, &w, &v);
        assert_value(&at, value, transposed(&x, &w, &v));
        assert_fd(&at, |x| transposed(x, &w, &v), &x, &g.x);
    }
}

#[grad(a, b)]
fn tr_mul(a: &DMatrix<f64>, b: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    a.tr_mul(b).dot(w) + a.tr_mul(a).trace()
}

/// `.tr_mul(&b)`: AᵀB, including AᵀA (a value used on both sides).
#[test]
fn tr_mul_method() {
    let mut rng = rng(15);
    // A is m×k, B m×n, AᵀB k×n.
    for &(m, k, n) in &[(1, 1, 1), (3, 2, 4), (2, 5, 1), (4, 4, 4)] {
        let (a, b, w) = (
            dmatrix(&mut rng, m, k),
            dmatrix(&mut rng, m, n),
            dmatrix(&mut rng, k, n),
        );
        let at = format!("A {m}×{k}, B {m}×{n}");
        let (v, g) = tr_mul_grad(&a, &b, &w);
        assert_value(&at, v, tr_mul(&a, &b, &w));
        assert_fd(&at, |a| tr_mul(a, &b, &w), &a, &g.a);
        assert_fd(&at, |b| tr_mul(&a, b, &w), &b, &g.b);
    }
}

#[grad]
fn dots(x: &DMatrix<f64>, y: &DMatrix<f64>) -> f64 {
    x.dot(y) * x.dot(x)
}

#[grad]
fn dots_vectors(x: &DVector<f64>, y: &DVector<f64>, r: &RowDVector<f64>) -> f64 {
    x.dot(y) + r.dot(&x.transpose()) + y.dot(&(x * 3.0))
}

/// `.dot(&b)` of matrices, of column vectors, of row vectors, and of a value with itself.
#[test]
fn dot() {
    let mut rng = rng(16);
    for &(m, n) in SHAPES {
        let (x, y) = (dmatrix(&mut rng, m, n), dmatrix(&mut rng, m, n));
        let at = format!("{m}×{n}");
        let (v, g) = dots_grad(&x, &y);
        assert_value(&at, v, dots(&x, &y));
        assert_fd(&at, |x| dots(x, &y), &x, &g.x);
        assert_fd(&at, |y| dots(&x, y), &y, &g.y);
    }
    for &n in LENGTHS {
        let (x, y, r) = (
            dvector(&mut rng, n),
            dvector(&mut rng, n),
            row_dvector(&mut rng, n),
        );
        let at = format!("n = {n}");
        let (v, g) = dots_vectors_grad(&x, &y, &r);
        assert_value(&at, v, dots_vectors(&x, &y, &r));
        assert_fd(&at, |x| dots_vectors(x, &y, &r), &x, &g.x);
        assert_fd(&at, |y| dots_vectors(&x, y, &r), &y, &g.y);
        assert_fd(&at, |r| dots_vectors(&x, &y, r), &r, &g.r);
    }
}

#[grad(x, y)]
fn component_products(x: &DMatrix<f64>, y: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    x.component_mul(y).dot(w) + x.component_mul(x).sum()
}

/// `.component_mul(&b)`, including a value with itself.
#[test]
fn component_mul() {
    let mut rng = rng(17);
    for &(m, n) in SHAPES {
        let (x, y, w) = (
            dmatrix(&mut rng, m, n),
            dmatrix(&mut rng, m, n),
            dmatrix(&mut rng, m, n),
        );
        let at = format!("{m}×{n}");
        let (v, g) = component_products_grad(&x, &y, &w);
        assert_value(&at, v, component_products(&x, &y, &w));
        assert_fd(&at, |x| component_products(x, &y, &w), &x, &g.x);
        assert_fd(&at, |y| component_products(&x, y, &w), &y, &g.y);
    }
}

#[grad]
fn norms_matrix(x: &DMatrix<f64>) -> f64 {
    x.norm_squared() + 3.0 * x.norm()
}

#[grad]
fn norms_vector(x: &DVector<f64>, r: &RowDVector<f64>) -> f64 {
    x.norm() * r.norm() + x.norm_squared() - r.norm_squared()
}

/// `.norm_squared()` and `.norm()` of matrices, column vectors and row vectors.
#[test]
fn norm_and_norm_squared() {
    let mut rng = rng(18);
    for &(m, n) in SHAPES {
        let x = dmatrix(&mut rng, m, n);
        let at = format!("{m}×{n}");
        let (v, g) = norms_matrix_grad(&x);
        assert_value(&at, v, norms_matrix(&x));
        assert_fd(&at, norms_matrix, &x, &g.x);
    }
    for &n in LENGTHS {
        let (x, r) = (dvector(&mut rng, n), row_dvector(&mut rng, n));
        let at = format!("n = {n}");
        let (v, g) = norms_vector_grad(&x, &r);
        assert_value(&at, v, norms_vector(&x, &r));
        assert_fd(&at, |x| norms_vector(x, &r), &x, &g.x);
        assert_fd(&at, |r| norms_vector(&x, r), &r, &g.r);
    }
}

#[grad]
fn sums(x: &DMatrix<f64>, v: &DVector<f64>) -> f64 {
    let s = x.sum();
    s * s + (x * v).sum() * v.sum()
}

/// `.sum()` of matrices and vectors.
#[test]
fn sum() {
    let mut rng = rng(19);
    for &(m, n) in SHAPES {
        let (x, v) = (dmatrix(&mut rng, m, n), dvector(&mut rng, n));
        let at = format!("{m}×{n}");
        let (value, g) = sums_grad(&x, &v);
        assert_value(&at, value, sums(&x, &v));
        assert_fd(&at, |x| sums(x, &v), &x, &g.x);
        assert_fd(&at, |v| sums(&x, v), &v, &g.v);
    }
}

#[grad]
fn traces(x: &DMatrix<f64>, y: &DMatrix<f64>) -> f64 {
    x.trace() * (x * y).trace() + (y * x).trace()
}

/// `.trace()` of square matrices, and of the square products of non-square ones.
#[test]
fn trace() {
    let mut rng = rng(20);
    for &n in SIZES {
        let (x, y) = (dmatrix(&mut rng, n, n), dmatrix(&mut rng, n, n));
        let at = format!("{n}×{n}");
        let (v, g) = traces_grad(&x, &y);
        assert_value(&at, v, traces(&x, &y));
        assert_fd(&at, |x| traces(x, &y), &x, &g.x);
        assert_fd(&at, |y| traces(&x, y), &y, &g.y);
    }
    for &(m, n) in &[(3, 2), (2, 5)] {
        let (a, b) = (dmatrix(&mut rng, m, n), dmatrix(&mut rng, n, m));
        let at = format!("{m}×{n}");
        let (v, g) = tr_ab_grad(&a, &b);
        assert_value(&at, v, tr_ab(&a, &b));
        assert_fd(&at, |a| tr_ab(a, &b), &a, &g.a);
        assert_fd(&at, |b| tr_ab(&a, b), &b, &g.b);
    }
}

#[grad]
fn tr_ab(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    (a * b).trace() + (b * a).trace() * 0.5
}

#[grad]
fn determinants(x: &DMatrix<f64>, a: &DMatrix<f64>) -> f64 {
    x.determinant() + (a * x).determinant() * 0.1
}

/// `.determinant()`, of a parameter and of a product.
#[test]
fn determinant() {
    let mut rng = rng(21);
    for &n in SIZES {
        let (x, a) = (well_conditioned(&mut rng, n), well_conditioned(&mut rng, n));
        let at = format!("{n}×{n}");
        let (v, g) = determinants_grad(&x, &a);
        assert_value(&at, v, determinants(&x, &a));
        assert_fd(&at, |x| determinants(x, &a), &x, &g.x);
        assert_fd(&at, |a| determinants(&x, a), &a, &g.a);
    }
}

#[grad(x)]
fn inverses(x: &DMatrix<f64>, w: &DMatrix<f64>, v: &DVector<f64>) -> f64 {
    let inv = x.clone().try_inverse().unwrap();
    let y = (x * 2.0).try_inverse().unwrap() * v;
    inv.dot(w) + y.norm_squared()
}

/// `.try_inverse().unwrap()`, of a parameter and of an expression.
#[test]
fn inverse() {
    let mut rng = rng(22);
    for &n in SIZES {
        let (x, w, v) = (
            well_conditioned(&mut rng, n),
            dmatrix(&mut rng, n, n),
            dvector(&mut rng, n),
        );
        let at = format!("{n}×{n}");
        let (value, g) = inverses_grad(&x, &w, &v);
        assert_value(&at, value, inverses(&x, &w, &v));
        assert_fd(&at, |x| inverses(x, &w, &v), &x, &g.x);
    }
}

#[allow(clippy::clone_on_copy)]
#[grad]
fn clones(x: &DMatrix<f64>, s: f64) -> f64 {
    let y = x.clone();
    let z = (x * s).clone();
    let t = s.clone();
    y.dot(&z) * t + y.clone().sum()
}

/// `.clone()` of parameters, of expressions and of scalars.
#[test]
fn clone() {
    let mut rng = rng(23);
    for &(m, n) in SHAPES {
        let (x, s) = (dmatrix(&mut rng, m, n), uniform(&mut rng));
        let at = format!("{m}×{n}");
        let (v, g) = clones_grad(&x, s);
        assert_value(&at, v, clones(&x, s));
        assert_fd(&at, |x| clones(x, s), &x, &g.x);
        assert_fd(&at, |s| clones(&x, *s), &s, &g.s);
    }
}

// ======================================================================= scalar functions

#[grad(x, s)]
fn scalar_functions(x: &DVector<f64>, s: f64, k: i32) -> f64 {
    let q = x.norm_squared() + 1.0;
    q.sqrt() + q.ln() * s.exp() + s.powi(3) - q.powi(k) + (s * s + 0.5).powi(-2)
}

/// `.powi(n)` (also negative and zero `n`), `.sqrt()`, `.exp()`, `.ln()` on scalars.
#[test]
fn powi_sqrt_exp_ln() {
    let mut rng = rng(24);
    for &n in LENGTHS {
        for k in [-1, 0, 1, 2, 5] {
            let (x, s) = (dvector(&mut rng, n), uniform(&mut rng));
            let at = format!("n = {n}, k = {k}");
            let (v, g) = scalar_functions_grad(&x, s, k);
            assert_value(&at, v, scalar_functions(&x, s, k));
            assert_fd(&at, |x| scalar_functions(x, s, k), &x, &g.x);
            assert_fd(&at, |s| scalar_functions(&x, *s, k), &s, &g.s);
        }
    }
}

#[grad]
fn literals(x: &DVector<f64>, s: f64) -> f64 {
    let y = 2.5 * x - x * 0.5 + x / 4.0;
    let t = 1.0 + s * 1e-1 - 3.0;
    y.norm_squared() * t + 0.75
}

/// Float literals as left and right operands of `*`, `+`, `-` and `/`.
#[test]
fn float_literals() {
    let mut rng = rng(25);
    for &n in LENGTHS {
        let (x, s) = (dvector(&mut rng, n), uniform(&mut rng));
        let at = format!("n = {n}");
        let (v, g) = literals_grad(&x, s);
        assert_value(&at, v, literals(&x, s));
        assert_fd(&at, |x| literals(x, s), &x, &g.x);
        assert_fd(&at, |s| literals(&x, *s), &s, &g.s);
    }
}

// =================================================================== constants and shapes

/// A user type passed as a constant.
struct Config {
    scale: f64,
    offset: usize,
}

/// A user type cannot be classified by its name, so the parameters to differentiate are named.
#[grad(x)]
fn with_constants(x: &DVector<f64>, n: usize, weights: &[f64], config: &Config) -> f64 {
    let w = DVector::from_column_slice(weights);
    let k = (n + config.offset) as f64;
    let shift = weights.iter().sum::<f64>();
    (x.dot(&w) * k + shift) * config.scale + x.norm_squared() / n as f64
}

/// Non-differentiated parameters (`usize`, a slice, a user type) used as constants.
#[test]
fn non_differentiated_parameters() {
    let mut rng = rng(26);
    for &n in LENGTHS {
        let x = dvector(&mut rng, n);
        let weights: Vec<f64> = scalars(&mut rng, n);
        let config = Config {
            scale: uniform(&mut rng),
            offset: 2,
        };
        let at = format!("n = {n}");
        let (v, g) = with_constants_grad(&x, n, &weights, &config);
        assert_value(&at, v, with_constants(&x, n, &weights, &config));
        assert_fd(&at, |x| with_constants(x, n, &weights, &config), &x, &g.x);
    }
}

#[grad]
fn shape_queries(x: &DMatrix<f64>) -> f64 {
    let mean = x.sum() / x.nrows() as f64 / x.ncols() as f64;
    let (m, n) = x.shape();
    let rows = x.nrows();
    // A constant built from the shapes of a differentiated value.
    let eye = DMatrix::<f64>::identity(x.nrows(), x.ncols());
    let corner = x[(x.nrows() - 1, n - 1)];
    mean * x.len() as f64 + x.norm_squared() / (rows * m) as f64 + (x + eye).sum() * corner
}

/// Shape queries `.nrows()`, `.ncols()`, `.len()`, `.shape()` of a differentiated value, as
/// constants: cast, destructured, in arithmetic, in an index and in a constructor call.
#[test]
fn shape_query_constants() {
    let mut rng = rng(27);
    for &(m, n) in SHAPES {
        let x = dmatrix(&mut rng, m, n);
        let at = format!("{m}×{n}");
        let (v, g) = shape_queries_grad(&x);
        assert_value(&at, v, shape_queries(&x));
        assert_fd(&at, shape_queries, &x, &g.x);
    }
}

// ======================================================= fan-out and unreachable parameters

#[grad]
fn fan_out(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let y = a * x;
    let z = &y + &y;
    y.dot(&y) + y.sum() * z.norm() + x.dot(x) + (a * x).sum()
}

/// A value used more than once (its adjoint accumulates every use).
#[test]
fn value_used_twice() {
    let mut rng = rng(28);
    for &(m, n) in SHAPES {
        let (a, x) = (dmatrix(&mut rng, m, n), dvector(&mut rng, n));
        let at = format!("{m}×{n}");
        let (v, g) = fan_out_grad(&a, &x);
        assert_value(&at, v, fan_out(&a, &x));
        assert_fd(&at, |a| fan_out(a, &x), &a, &g.a);
        assert_fd(&at, |x| fan_out(&a, x), &x, &g.x);
    }
}

#[grad]
fn unreachable(x: &DVector<f64>, _unused: &DMatrix<f64>, dead: &DMatrix<f64>, _s: f64) -> f64 {
    // `dead` is computed with, but the result never reaches the output.
    let _wasted = dead * 2.0 + dead;
    x.norm_squared()
}

#[grad(_x)]
fn constant_output(_x: &DVector<f64>, b: &DVector<f64>) -> f64 {
    b.norm_squared() + 1.0
}

/// Parameters that do not reach the output get zero gradients of their own shape.
#[test]
fn parameter_not_reaching_output() {
    let mut rng = rng(29);
    for &(m, n) in SHAPES {
        let (x, unused, dead, s) = (
            dvector(&mut rng, n),
            dmatrix(&mut rng, m, n),
            dmatrix(&mut rng, n, m),
            uniform(&mut rng),
        );
        let at = format!("{m}×{n}");
        let (v, g) = unreachable_grad(&x, &unused, &dead, s);
        assert_value(&at, v, unreachable(&x, &unused, &dead, s));
        assert_fd(&at, |x| unreachable(x, &unused, &dead, s), &x, &g.x);
        assert_eq!(g._unused, DMatrix::zeros(m, n), "{at}");
        assert_eq!(g.dead, DMatrix::zeros(n, m), "{at}");
        assert_eq!(g._s, 0.0, "{at}");

        let b = dvector(&mut rng, m);
        let (v, g) = constant_output_grad(&x, &b);
        assert_value(&at, v, constant_output(&x, &b));
        assert_eq!(g._x, DVector::zeros(n), "{at}");
    }
}

// ================================================================ owned and static parameters

#[grad]
fn owned(a: DMatrix<f64>, x: DVector<f64>, s: f64) -> f64 {
    let y = &a * &x;
    (y * s).norm_squared() + x.sum() + a.sum() * s
}

#[grad]
fn owned_mut(mut x: DVector<f64>, b: &DVector<f64>, mut s: f64) -> f64 {
    x *= 2.0;
    x += b;
    s *= s;
    x.norm_squared() * s
}

#[grad]
fn borrowed_scalar(s: &f64, x: &DVector<f64>) -> f64 {
    (x * *s).sum() * *s
}

#[grad]
fn identity(s: f64) -> f64 {
    s
}

/// Owned parameters (`x: DVector<f64>`, `s: f64`, `mut`), a borrowed scalar `&f64`, and a
/// function returning its parameter.
#[test]
fn owned_and_borrowed_parameters() {
    let mut rng = rng(30);
    for &n in LENGTHS {
        let (x, b, s) = (
            dvector(&mut rng, n),
            dvector(&mut rng, n),
            uniform(&mut rng),
        );
        let at = format!("n = {n}");
        let (v, g) = owned_mut_grad(x.clone(), &b, s);
        assert_value(&at, v, owned_mut(x.clone(), &b, s));
        assert_fd(&at, |x| owned_mut(x.clone(), &b, s), &x, &g.x);
        assert_fd(&at, |b| owned_mut(x.clone(), b, s), &b, &g.b);
        assert_fd(&at, |s| owned_mut(x.clone(), &b, *s), &s, &g.s);

        let (v, g) = borrowed_scalar_grad(&s, &x);
        assert_value(&at, v, borrowed_scalar(&s, &x));
        assert_fd(&at, |s| borrowed_scalar(s, &x), &s, &g.s);
        assert_fd(&at, |x| borrowed_scalar(&s, x), &x, &g.x);

        let (v, g) = identity_grad(s);
        assert_eq!(v, identity(s));
        assert_eq!(g.s, 1.0);
    }
    for &(m, n) in SHAPES {
        let (a, x, s) = (
            dmatrix(&mut rng, m, n),
            dvector(&mut rng, n),
            uniform(&mut rng),
        );
        let at = format!("{m}×{n}");
        let (v, g) = owned_grad(a.clone(), x.clone(), s);
        assert_value(&at, v, owned(a.clone(), x.clone(), s));
        assert_fd(&at, |a| owned(a.clone(), x.clone(), s), &a, &g.a);
        assert_fd(&at, |x| owned(a.clone(), x.clone(), s), &x, &g.x);
        assert_fd(&at, |s| owned(a.clone(), x.clone(), *s), &s, &g.s);
    }
}

#[grad]
fn static_shapes(a: &SMatrix<f64, 3, 2>, x: SVector<f64, 2>, w: &Vector3<f64>) -> f64 {
    let y = a * x;
    y.dot(w) + (x.transpose() * a.transpose() * a * x)[(0, 0)] + a.norm()
}

#[grad]
fn static_wide(a: &Matrix2x4<f64>, x: &SVector<f64, 4>) -> f64 {
    let y = a * x;
    y.norm_squared() + a.component_mul(a).sum() * x.sum()
}

#[grad]
fn static_square(x: &SMatrix<f64, 3, 3>, v: &SVector<f64, 3>) -> f64 {
    let inv = x.try_inverse().unwrap();
    x.determinant() + (inv * v).sum() + x.trace() + x.tr_mul(x).trace()
}

#[grad]
fn static_scalar_like(x: &SMatrix<f64, 1, 1>, s: f64) -> f64 {
    (x * s).sum() + x[(0, 0)] * x.norm_squared()
}

/// Statically sized `SMatrix` / `SVector` parameters (and their aliases), owned and
/// borrowed, of four shapes.
#[test]
fn static_parameters() {
    let mut rng = rng(31);
    for _ in 0..3 {
        let (a, x, w) = (
            smatrix::<3, 2>(&mut rng),
            svector::<2>(&mut rng),
            svector::<3>(&mut rng),
        );
        let (v, g) = static_shapes_grad(&a, x, &w);
        assert_value("3×2", v, static_shapes(&a, x, &w));
        assert_fd("3×2", |a| static_shapes(a, x, &w), &a, &g.a);
        assert_fd("3×2", |x| static_shapes(&a, *x, &w), &x, &g.x);
        assert_fd("3×2", |w| static_shapes(&a, x, w), &w, &g.w);

        let (a, x) = (smatrix::<2, 4>(&mut rng), svector::<4>(&mut rng));
        let (v, g) = static_wide_grad(&a, &x);
        assert_value("2×4", v, static_wide(&a, &x));
        assert_fd("2×4", |a| static_wide(a, &x), &a, &g.a);
        assert_fd("2×4", |x| static_wide(&a, x), &x, &g.x);

        let x = smatrix::<3, 3>(&mut rng) + SMatrix::<f64, 3, 3>::identity() * 3.0;
        let v3 = svector::<3>(&mut rng);
        let (v, g) = static_square_grad(&x, &v3);
        assert_value("3×3", v, static_square(&x, &v3));
        assert_fd("3×3", |x| static_square(x, &v3), &x, &g.x);
        assert_fd("3×3", |v3| static_square(&x, v3), &v3, &g.v);

        let (x, s) = (smatrix::<1, 1>(&mut rng), uniform(&mut rng));
        let (v, g) = static_scalar_like_grad(&x, s);
        assert_value("1×1", v, static_scalar_like(&x, s));
        assert_fd("1×1", |x| static_scalar_like(x, s), &x, &g.x);
        assert_fd("1×1", |s| static_scalar_like(&x, *s), &s, &g.s);
    }
}

// ===================================================================== the generated API

#[grad(x)]
fn quad_form_plus_norm(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let y = x.transpose() * a * x;
    y[(0, 0)] * 2.0 + x.dot(x).sqrt()
}

/// `#[grad(x)]` differentiates only `x`: the struct, named `<UpperCamelCase>Grad`, has one
/// field (the destructuring below is exhaustive, so another field would not compile).
#[test]
fn grad_selects_parameters_and_names_the_struct() {
    let mut rng = rng(32);
    for &n in LENGTHS {
        let (a, x) = (dmatrix(&mut rng, n, n), dvector(&mut rng, n));
        let at = format!("n = {n}");
        let (v, g): (f64, QuadFormPlusNormGrad) = quad_form_plus_norm_grad(&a, &x);
        let QuadFormPlusNormGrad { x: gx } = g.clone();
        assert_eq!(g, QuadFormPlusNormGrad { x: gx.clone() });
        assert_value(&at, v, quad_form_plus_norm(&a, &x));
        assert_fd(&at, |x| quad_form_plus_norm(&a, x), &x, &gx);
        // 2(A + Aᵀ)x + x/‖x‖, derived by hand.
        let expected = 2.0 * (&a + a.transpose()) * &x + &x / x.norm();
        assert_closed(&at, &gx, &expected);
    }
}

// ============================================= columns, rows, element-wise and reductions

#[grad(x)]
fn columns_and_rows(x: &DMatrix<f64>, i: usize, j: usize) -> f64 {
    let c = x.column(j);
    let r = x.row(i);
    c.norm_squared() * r.sum() + x.column(0).dot(&x.column(j))
}

/// `.column(j)` and `.row(i)`.
#[test]
fn column_and_row() {
    let mut rng = rng(40);
    for &(m, n) in SHAPES {
        let x = dmatrix(&mut rng, m, n);
        for (i, j) in [(0, 0), (m - 1, n - 1), (m / 2, n / 2)] {
            let at = format!("{m}×{n} at ({i}, {j})");
            let (v, g) = columns_and_rows_grad(&x, i, j);
            assert_value(&at, v, columns_and_rows(&x, i, j));
            assert_fd(&at, |x| columns_and_rows(x, i, j), &x, &g.x);
        }
    }
}

#[grad(x, y)]
fn component_quotients(x: &DMatrix<f64>, y: &DMatrix<f64>) -> f64 {
    x.component_div(y).sum() + y.component_div(&(x * 3.0 + y)).norm_squared()
}

/// `.component_div(&b)`, with divisors away from zero.
#[test]
fn component_div() {
    let mut rng = rng(41);
    for &(m, n) in SHAPES {
        let x = dmatrix(&mut rng, m, n).map(|v| 0.1 + v.abs());
        let y = dmatrix(&mut rng, m, n).map(|v| 0.5 + v.abs());
        let at = format!("{m}×{n}");
        let (v, g) = component_quotients_grad(&x, &y);
        assert_value(&at, v, component_quotients(&x, &y));
        assert_fd(&at, |x| component_quotients(x, &y), &x, &g.x);
        assert_fd(&at, |y| component_quotients(&x, y), &y, &g.y);
    }
}

#[grad]
fn statistics(x: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    let mean = x.mean();
    let variance = x.variance();
    let rows = x.row_sum().dot(&w.row_mean()) + x.row_mean().norm_squared();
    let columns = x.column_sum().dot(&w.column_mean()) + x.column_mean().sum();
    let spreads = x.row_variance().sum() * x.column_variance().norm_squared();
    mean * variance + rows * columns + spreads
}

/// `.mean()`, `.variance()`, `.row_sum()`, `.column_sum()`, `.row_mean()`, `.column_mean()`,
/// `.row_variance()`, `.column_variance()`.
#[test]
fn means_sums_and_variances() {
    let mut rng = rng(42);
    for &(m, n) in SHAPES {
        let (x, w) = (dmatrix(&mut rng, m, n), dmatrix(&mut rng, m, n));
        let at = format!("{m}×{n}");
        let (v, g) = statistics_grad(&x, &w);
        assert_value(&at, v, statistics(&x, &w));
        assert_fd(&at, |x| statistics(x, &w), &x, &g.x);
        assert_fd(&at, |w| statistics(&x, w), &w, &g.w);
    }
}

#[grad]
fn float_functions(s: f64, t: f64) -> f64 {
    s.tanh() * t.sin() + (s * t).cos() - (s - 2.0 * t).abs() + t.abs().sqrt()
}

/// `.tanh()`, `.abs()`, `.sin()`, `.cos()` on floats (away from the kink of `abs`).
#[test]
fn tanh_abs_sin_cos() {
    let mut rng = rng(43);
    for _ in 0..6 {
        let (s, t) = (uniform(&mut rng) * 3.0, uniform(&mut rng) * 3.0);
        let at = format!("s = {s}, t = {t}");
        let (v, g) = float_functions_grad(s, t);
        assert_value(&at, v, float_functions(s, t));
        assert_fd(&at, |s| float_functions(*s, t), &s, &g.s);
        assert_fd(&at, |t| float_functions(s, *t), &t, &g.t);
    }
}

// ============================================================ broadcasting and element-wise

#[grad]
fn broadcasts(x: &DMatrix<f64>, r: &RowDVector<f64>, c: &DVector<f64>) -> f64 {
    let a = x.broadcast_add(r).broadcast_mul(c);
    // Divide by 1 + r², away from zero.
    let b = x
        .broadcast_sub(c)
        .broadcast_div(&r.component_mul(r).map(|v| v + 1.0));
    a.norm_squared() + b.sum()
}

/// `broadcast_add`, `broadcast_sub`, `broadcast_mul`, `broadcast_div` with a 1×d row and an
/// m×1 column.
#[test]
fn broadcasting() {
    let mut rng = rng(44);
    for &(m, n) in SHAPES {
        let (x, r, c) = (
            dmatrix(&mut rng, m, n),
            row_dvector(&mut rng, n),
            dvector(&mut rng, m),
        );
        let at = format!("{m}×{n}");
        let (v, g) = broadcasts_grad(&x, &r, &c);
        assert_value(&at, v, broadcasts(&x, &r, &c));
        assert_fd(&at, |x| broadcasts(x, &r, &c), &x, &g.x);
        assert_fd(&at, |r| broadcasts(&x, r, &c), &r, &g.r);
        assert_fd(&at, |c| broadcasts(&x, &r, c), &c, &g.c);
    }
}

#[grad(x)]
fn mapped(x: &DMatrix<f64>, eps: f64) -> f64 {
    let y = x.map(|v| (v * 2.0).tanh() + v * v * eps);
    let z = x.map(f64::tanh);
    let w = x.map(|v| (v * v + eps).sqrt().ln() - v.sin() * v.cos() + v.exp().powi(2));
    y.dot(&z) + w.sum()
}

/// `.map(|v| ...)` with a closure of float operations reading a constant, and
/// `.map(f64::tanh)`.
#[test]
fn map_closures() {
    let mut rng = rng(45);
    for &(m, n) in SHAPES {
        let x = dmatrix(&mut rng, m, n);
        let eps = 0.25;
        let at = format!("{m}×{n}");
        let (v, g) = mapped_grad(&x, eps);
        assert_value(&at, v, mapped(&x, eps));
        assert_fd(&at, |x| mapped(x, eps), &x, &g.x);
    }
}

#[grad]
fn activated(x: &DMatrix<f64>, s: f64) -> f64 {
    let a = matgrad::sigmoid(x);
    let b = matgrad::tanh(&(x * 2.0));
    let c = matgrad::relu(x);
    let d = matgrad::softplus(&(x * s));
    let e = matgrad::abs(x);
    let t = matgrad::sigmoid(&s) + matgrad::tanh(&s) * matgrad::relu(&s) - matgrad::softplus(&s)
        + matgrad::abs(&s);
    a.dot(&b) + c.sum() * t + d.norm_squared() - e.component_mul(&a).sum()
}

/// The activations `sigmoid`, `tanh`, `relu`, `softplus`, `abs` on floats and matrices
/// (random points, almost surely away from the kinks of `relu` and `abs`).
#[test]
fn activations() {
    let mut rng = rng(46);
    for &(m, n) in SHAPES {
        let (x, s) = (dmatrix(&mut rng, m, n), uniform(&mut rng));
        let at = format!("{m}×{n}");
        let (v, g) = activated_grad(&x, s);
        assert_value(&at, v, activated(&x, s));
        assert_fd(&at, |x| activated(x, s), &x, &g.x);
        assert_fd(&at, |s| activated(&x, *s), &s, &g.s);
    }
}

// ================================================================= loops and branches

#[grad(w, h0)]
fn looped(w: &DMatrix<f64>, h0: &DVector<f64>, xs: &[DVector<f64>], steps: usize) -> f64 {
    let mut h = h0.clone();
    let mut loss = 0.0;
    for x in xs.iter() {
        h = w * matgrad::tanh(&h) + x;
        loss += h.norm_squared();
    }
    for i in (0..steps).rev() {
        loss += h[i % h0.len()] * 0.5;
        h = &h * 0.9;
    }
    for _ in 0..steps {
        loss = loss * 0.5 + h.sum();
    }
    loss
}

/// `for` loops over `xs.iter()`, `0..n` and `(0..n).rev()`, with variables declared before
/// the loop and reassigned inside (and loops of zero iterations).
#[test]
fn for_loops() {
    let mut rng = rng(47);
    for &n in &[1, 3, 5] {
        for (len, steps) in [(0, 0), (1, 2), (4, 3)] {
            let w = dmatrix(&mut rng, n, n) * 0.5;
            let h0 = dvector(&mut rng, n);
            let xs: Vec<DVector<f64>> = (0..len).map(|_| dvector(&mut rng, n)).collect();
            let at = format!("n = {n}, {len} inputs, {steps} steps");
            let (v, g) = looped_grad(&w, &h0, &xs, steps);
            assert_value(&at, v, looped(&w, &h0, &xs, steps));
            assert_fd(&at, |w| looped(w, &h0, &xs, steps), &w, &g.w);
            assert_fd(&at, |h0| looped(&w, h0, &xs, steps), &h0, &g.h0);
        }
    }
}

#[grad(x)]
fn nested_loops(x: &DVector<f64>, outer: usize, inner: usize) -> f64 {
    let mut h = x.clone();
    let mut loss = 0.0;
    for i in 0..outer {
        for j in 0..inner {
            // `x.len()`, not `h.len()`: see the report.
            loss += h[(i + j) % x.len()] * h.sum();
        }
        h = &h * 0.9 + x;
    }
    loss
}

/// Nested `for` loops, the inner one reading a value the outer one reassigns.
#[test]
fn nested_for_loops() {
    let mut rng = rng(53);
    for &n in &[1, 3, 5] {
        for (outer, inner) in [(2, 1), (3, 2), (1, 3)] {
            let x = dvector(&mut rng, n);
            let at = format!("n = {n}, {outer}×{inner} iterations");
            let (v, g) = nested_loops_grad(&x, outer, inner);
            assert_value(&at, v, nested_loops(&x, outer, inner));
            assert_fd(&at, |x| nested_loops(x, outer, inner), &x, &g.x);
        }
    }
}

#[grad]
fn branched(x: &DVector<f64>, s: f64) -> f64 {
    let n = x.norm_squared();
    let mut y = x * s;
    if n > 1.0 {
        y = &y * n;
    }
    let t = if s > 0.0 {
        y.sum() * s
    } else if x[0] < 0.0 {
        -y.norm_squared()
    } else {
        s.exp()
    };
    t + if n > 0.5 { n.sqrt() } else { n }
}

/// `if`/`else` as a statement (without `else`) and as a value (with `else if`), on
/// conditions that read differentiated values; each random point takes some branch.
#[test]
fn if_else() {
    let mut rng = rng(48);
    let mut taken = [false; 4];
    for &n in &[1, 2, 3, 7] {
        for _ in 0..6 {
            let (x, s) = (dvector(&mut rng, n) * 1.5, uniform(&mut rng));
            let at = format!("n = {n}, s = {s}");
            taken[usize::from(x.norm_squared() > 1.0)] = true;
            taken[2 + usize::from(s > 0.0)] = true;
            let (v, g) = branched_grad(&x, s);
            assert_value(&at, v, branched(&x, s));
            assert_fd(&at, |x| branched(x, s), &x, &g.x);
            assert_fd(&at, |s| branched(&x, *s), &s, &g.s);
        }
    }
    assert!(
        taken.iter().all(|&t| t),
        "not every branch was taken: {taken:?}"
    );
}

// ================================================================ calls and custom rules

mod helpers {
    use matgrad::grad;
    use nalgebra::{DMatrix, DVector, RealField};

    /// A `#[grad]` function called from others by path.
    #[grad]
    pub fn quadratic(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
        (x.transpose() * a * x)[(0, 0)]
    }

    /// A generic `#[grad]` function called from others.
    #[grad]
    pub fn soft_norm<T: RealField + Copy>(x: &DVector<T>, eps: T) -> T {
        (x.norm_squared() + eps).sqrt()
    }
}

#[grad(a, x)]
fn calls(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let q = helpers::quadratic(a, x);
    let y = a * x;
    let r = helpers::soft_norm(&y, 0.5);
    q * r + helpers::quadratic(&(a * 2.0), &(x * q))
}

/// Calls to other `#[grad]` functions by path, generic and not, with differentiated and
/// computed arguments.
#[test]
fn calls_to_grad_functions() {
    let mut rng = rng(49);
    for &n in &[1, 3, 5] {
        let (a, x) = (dmatrix(&mut rng, n, n), dvector(&mut rng, n));
        let at = format!("n = {n}");
        let (v, g) = calls_grad(&a, &x);
        assert_value(&at, v, calls(&a, &x));
        assert_fd(&at, |a| calls(a, &x), &a, &g.a);
        assert_fd(&at, |x| calls(&a, x), &x, &g.x);
    }
}

/// `ln(1 + eˣ)` with a hand-written rule.
#[matgrad::vjp(log1p_exp_rule)]
fn log1p_exp(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// x̄ = ḡ·σ(x).
fn log1p_exp_rule(x: &f64, _y: &f64, g: &f64) -> f64 {
    g * matgrad::sigmoid(x)
}

/// `‖Ax‖²` scaled by `s`, with a hand-written rule for both differentiated arguments.
#[matgrad::vjp(scaled_norm_rule)]
fn scaled_norm(a: &DMatrix<f64>, x: &DVector<f64>, s: f64) -> f64 {
    (a * x).norm_squared() * s
}

/// Ā = 2s·ḡ·(Ax)xᵀ, x̄ = 2s·ḡ·Aᵀ(Ax), s̄ = ḡ·‖Ax‖².
fn scaled_norm_rule(
    a: &DMatrix<f64>,
    x: &DVector<f64>,
    s: &f64,
    _y: &f64,
    g: &f64,
) -> (DMatrix<f64>, DVector<f64>, f64) {
    let ax = a * x;
    (
        &ax * x.transpose() * (2.0 * s * g),
        a.transpose() * &ax * (2.0 * s * g),
        ax.norm_squared() * g,
    )
}

#[grad]
fn with_rules(a: &DMatrix<f64>, x: &DVector<f64>, s: f64) -> f64 {
    let t = log1p_exp(s * 3.0);
    scaled_norm(a, &(x * t), s) + log1p_exp(x.sum())
}

/// Calls to functions with a hand-written `#[vjp]` rule, of one float and of several
/// differentiated arguments.
#[test]
fn calls_to_vjp_rules() {
    let mut rng = rng(50);
    for &(m, n) in SHAPES {
        let (a, x, s) = (
            dmatrix(&mut rng, m, n),
            dvector(&mut rng, n),
            uniform(&mut rng),
        );
        let at = format!("{m}×{n}");
        let (v, g) = with_rules_grad(&a, &x, s);
        assert_value(&at, v, with_rules(&a, &x, s));
        assert_fd(&at, |a| with_rules(a, &x, s), &a, &g.a);
        assert_fd(&at, |x| with_rules(&a, x, s), &x, &g.x);
        assert_fd(&at, |s| with_rules(&a, &x, *s), &s, &g.s);
    }
}

// ============================================================== pullbacks and the graph

/// A matrix-valued function: each column centred, then scaled.
#[grad(x, gamma)]
fn scale_columns(x: &DMatrix<f64>, gamma: &RowDVector<f64>) -> DMatrix<f64> {
    let centred = x.broadcast_sub(&x.row_mean());
    centred.broadcast_mul(gamma) * 2.0
}

/// `<name>_pullback` of a matrix-valued function: for a random cotangent ḡ, the pullback is
/// the gradient of ⟨ḡ, f(x)⟩, and it can be called again with another ḡ.
#[test]
fn pullback_of_matrix_valued_function() {
    let mut rng = rng(51);
    for &(m, n) in SHAPES {
        let (x, gamma) = (dmatrix(&mut rng, m, n), row_dvector(&mut rng, n));
        let at = format!("{m}×{n}");
        let (y, pullback) = scale_columns_pullback(&x, &gamma);
        assert_eq!(y, scale_columns(&x, &gamma), "{at}");
        for _ in 0..2 {
            let cotangent = dmatrix(&mut rng, m, n);
            let g = pullback(&cotangent);
            let inner = |y: DMatrix<f64>| y.dot(&cotangent);
            assert_fd(&at, |x| inner(scale_columns(x, &gamma)), &x, &g.x);
            assert_fd(&at, |gm| inner(scale_columns(&x, gm)), &gamma, &g.gamma);
        }
    }
}

/// `<name>_pullback` of a scalar function: the pullback of ḡ is ḡ times the gradient.
#[test]
fn pullback_of_scalar_function() {
    let mut rng = rng(52);
    for &(m, n) in SHAPES {
        let (a, x, b) = (
            dmatrix(&mut rng, m, n),
            dvector(&mut rng, n),
            dvector(&mut rng, m),
        );
        let at = format!("{m}×{n}");
        let (v, g) = parens_and_borrows_grad(&a, &x, &b);
        let (v2, pullback) = parens_and_borrows_pullback(&a, &x, &b);
        assert_eq!(v, v2, "{at}");
        let scale = uniform(&mut rng);
        let scaled = pullback(&scale);
        assert_closed(&at, &scaled.a, &(&g.a * scale));
        assert_closed(&at, &scaled.x, &(&g.x * scale));
        assert_closed(&at, &scaled.b, &(&g.b * scale));
    }
}

/// `<NAME>_GRAPH`: the computation graph in Graphviz DOT names the parameters.
#[test]
fn graph_constant() {
    for (graph, names) in [
        (PARENS_AND_BORROWS_GRAPH, &["a", "x", "b"][..]),
        (SCALE_COLUMNS_GRAPH, &["x", "gamma"][..]),
    ] {
        assert!(graph.contains("digraph"), "not DOT: {graph}");
        for name in names {
            assert!(
                graph.contains(name),
                "`{name}` is not in the graph: {graph}"
            );
        }
    }
}
