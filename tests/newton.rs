//! The Newton example (`examples/newton.rs`): the generated Hessian of the logistic loss
//! against its closed form (1/n)·Xᵀ·diag(σ(mᵢ)(1 − σ(mᵢ)))·X + λI (mᵢ = yᵢ·xᵢᵀw, yᵢ² = 1) and
//! against finite differences of the gradient, and Newton's quadratic convergence.

#[allow(dead_code)]
#[path = "../examples/newton.rs"]
mod newton;

use nalgebra::{DMatrix, DVector};
use newton::*;

fn sigmoid(t: f64) -> f64 {
    1.0 / (1.0 + (-t).exp())
}

#[test]
fn the_hessian_is_the_closed_form() {
    let (x, y) = data(300, 6, 3);
    let lambda = 0.01;
    let w = DVector::from_fn(6, |i, _| 0.3 * (i as f64) - 0.7);
    let (value, g, h) = logistic_loss_hessian(&w, &x, &y, lambda);
    let n = x.nrows() as f64;
    let m = (&x * &w).component_mul(&y);
    let weights = m.map(|t| sigmoid(t) * (1.0 - sigmoid(t)) / n);
    let closed =
        x.transpose() * DMatrix::from_diagonal(&weights) * &x + DMatrix::identity(6, 6) * lambda;
    assert!(
        (&h - &closed).norm() <= 1e-12 * closed.norm(),
        "{h} {closed}"
    );
    // The gradient's closed form: −(1/n)·Xᵀ(y ⊙ σ(−m)) + λw.
    let closed_g = -(x.transpose() * y.component_mul(&m.map(|t| sigmoid(-t)))) / n + &w * lambda;
    assert!((&g.w - &closed_g).norm() <= 1e-12 * closed_g.norm());
    assert_eq!(value, logistic_loss(&w, &x, &y, lambda));
    // Column k of the Hessian against central differences of the gradient.
    for k in 0..6 {
        let e = DVector::from_fn(6, |i, _| if i == k { 1e-5 } else { 0.0 });
        let up = logistic_loss_grad(&(&w + &e), &x, &y, lambda).1.w;
        let down = logistic_loss_grad(&(&w - &e), &x, &y, lambda).1.w;
        let fd = (up - down) / 2e-5;
        assert!(
            (h.column(k) - &fd).norm() <= 1e-7 * fd.norm().max(1e-3),
            "{k}"
        );
    }
}

#[test]
fn newton_converges_quadratically_and_gradient_descent_does_not() {
    let (x, y) = data(2000, 20, 7);
    let lambda = 1e-3;
    let run = newton(&x, &y, lambda, 1e-10);
    let g = &run.gradient_norms;
    assert!(g.len() <= 12 && *g.last().unwrap() <= 1e-10, "{g:?}");
    // Quadratic: once close, ‖∇ₖ₊₁‖ ≤ C·‖∇ₖ‖² with a moderate C.
    let close: Vec<(f64, f64)> = g
        .windows(2)
        .filter(|p| p[0] < 1e-2)
        .map(|p| (p[0], p[1]))
        .collect();
    assert!(close.len() >= 2, "{g:?}");
    for (a, b) in close {
        assert!(b <= 50.0 * a * a, "‖∇‖ {a:e} → {b:e}");
    }
    let cg = newton_cg(&x, &y, lambda, 1e-10);
    assert!(cg.gradient_norms.len() <= 15);
    assert!((cg.losses.last().unwrap() - run.losses.last().unwrap()).abs() < 1e-12);
    let gd = gradient_descent(&x, &y, lambda, 200);
    assert!(*gd.gradient_norms.last().unwrap() > 1e-4);
}
