use autodiff::grad;
use nalgebra::{DMatrix, DVector};

#[grad]
fn least_squares(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
    let r = a * x - b;
    r.norm_squared()
}

#[grad(x)]
fn quad(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let y = x.transpose() * a * x;
    y[(0, 0)] * 2.0 + x.dot(x).sqrt()
}

#[test]
fn smoke() {
    let a = DMatrix::from_row_slice(3, 2, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let x = DVector::from_vec(vec![0.5, -1.0]);
    let b = DVector::from_vec(vec![1.0, 0.0, 2.0]);
    let (v, g) = least_squares_grad(&a, &x, &b);
    assert_eq!(v, least_squares(&a, &x, &b));
    let closed = 2.0 * a.transpose() * (&a * &x - &b);
    assert!((g.x - closed).norm() < 1e-12);
    let sq = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]);
    let (_, g) = quad_grad(&sq, &x);
    let closed = 2.0 * (&sq + sq.transpose()) * &x + &x / x.norm();
    assert!((&g.x - closed).norm() < 1e-12, "{}", g.x);
}
