//! `#[grad(checkpoint)]`: a top-level loop's reverse sweep replayed from ⌈√T⌉ saved states
//! gives the gradient of the same loop without checkpoints (to rounding: the products
//! deferred to a loop's end are summed stretch by stretch), and finite differences agree.
//! Each function below is written twice by `twins!`, once with `checkpoint`.

mod common;

use common::*;
use matgrad::{grad, tanh, Differentiable};
use nalgebra::{DMatrix, DVector};

/// `#[grad(args)] fn plain` and `#[grad(args, checkpoint)] fn checkpointed`, one body.
macro_rules! twins {
    ($plain:ident, $checkpointed:ident, ($($args:tt)*), ($($params:tt)*) -> $ret:ty $body:block) => {
        #[grad($($args)*)]
        fn $plain($($params)*) -> $ret $body

        #[grad($($args)*, checkpoint)]
        fn $checkpointed($($params)*) -> $ret $body
    };
}

twins!(rnn, rnn_c, (w, u, b),
    (w: &DMatrix<f64>, u: &DMatrix<f64>, b: &DVector<f64>, xs: &[DVector<f64>]) -> f64 {
        let mut h = DVector::zeros(b.len());
        let mut l = 0.0;
        for x in xs.iter() {
            h = w * tanh(&h) + u * x + b;
            l += h.norm_squared();
        }
        l
    }
);

/// Agreement to rounding, relative to the larger of the two.
#[track_caller]
fn assert_same(what: &str, a: &DMatrix<f64>, b: &DMatrix<f64>) {
    let scale = 1.0 + a.norm().max(b.norm());
    assert!(
        (a - b).norm() <= 1e-13 * scale,
        "{what}: {a} against {b} without checkpoints"
    );
}

fn column(v: &DVector<f64>) -> DMatrix<f64> {
    DMatrix::from_column_slice(v.len(), 1, v.as_slice())
}

#[test]
fn rnn_gradient_is_the_same_with_and_without_checkpoints() {
    let mut g = rng(1);
    for (h, i) in [(1, 1), (5, 3), (3, 7)] {
        let w = dmatrix(&mut g, h, h) * 0.8;
        let u = dmatrix(&mut g, h, i);
        let b = dvector(&mut g, h);
        for steps in [0, 1, 2, 3, 4, 5, 9, 10, 17, 100] {
            let at = format!("H = {h}, I = {i}, T = {steps}");
            let xs: Vec<DVector<f64>> = (0..steps).map(|_| dvector(&mut g, i)).collect();
            let (v0, g0) = rnn_grad(&w, &u, &b, &xs);
            let (v1, g1) = rnn_c_grad(&w, &u, &b, &xs);
            assert_eq!(v0, v1, "{at}: the value");
            assert_same(&format!("{at}: W"), &g1.w, &g0.w);
            assert_same(&format!("{at}: U"), &g1.u, &g0.u);
            assert_same(&format!("{at}: b"), &column(&g1.b), &column(&g0.b));
            if steps <= 10 {
                assert_fd(&at, |w| rnn_c(w, &u, &b, &xs), &w, &g1.w);
                assert_fd(&at, |u| rnn_c(&w, u, &b, &xs), &u, &g1.u);
                assert_fd(&at, |b| rnn_c(&w, &u, b, &xs), &b, &g1.b);
            }
        }
    }
}

#[test]
fn a_checkpointed_pullback_runs_again_with_the_same_result() {
    let mut g = rng(2);
    let (w, u, b) = (
        dmatrix(&mut g, 4, 4) * 0.5,
        dmatrix(&mut g, 4, 2),
        dvector(&mut g, 4),
    );
    let xs: Vec<DVector<f64>> = (0..11).map(|_| dvector(&mut g, 2)).collect();
    let (v, pullback) = rnn_c_pullback(&w, &u, &b, &xs);
    let (first, second) = (pullback(&2.0), pullback(&2.0));
    let (v0, g0) = rnn_grad(&w, &u, &b, &xs);
    assert_eq!(v, v0);
    assert_eq!(first.w, second.w, "the second call");
    assert_same("2·W", &first.w, &(g0.w * 2.0));
}

twins!(nested, nested_c, (a, x),
    (a: &DMatrix<f64>, x: &DVector<f64>, n: usize) -> f64 {
        let mut v = x.clone();
        let mut s = 0.0;
        let e = x.map(|t| t.exp());
        for k in 0..n {
            for _ in 0..2 {
                v = (a * &v).map(|t| t.sin()) + &e * 0.1;
            }
            if k % 3 == 0 {
                s += v.dot(x);
            } else {
                s -= 0.5 * v.norm_squared();
            }
        }
        let q = e.norm_squared();
        s + v.sum() + q
    }
);

#[test]
fn nested_loops_and_branches_in_a_checkpointed_loop() {
    let mut g = rng(3);
    for n in [0, 1, 2, 5, 8, 26] {
        for d in [1, 3, 4] {
            let at = format!("d = {d}, n = {n}");
            let (a, x) = (dmatrix(&mut g, d, d) * 0.6, dvector(&mut g, d));
            let (v0, g0) = nested_grad(&a, &x, n);
            let (v1, g1) = nested_c_grad(&a, &x, n);
            assert_eq!(v0, v1, "{at}");
            assert_same(&format!("{at}: a"), &g1.a, &g0.a);
            assert_same(&format!("{at}: x"), &column(&g1.x), &column(&g0.x));
            assert_fd(&at, |a| nested_c(a, &x, n), &a, &g1.a);
            assert_fd(&at, |x| nested_c(&a, x, n), &x, &g1.x);
        }
    }
}

/// y = tanh(W v), through its own pullback.
#[grad]
fn cell(w: &DMatrix<f64>, v: &DVector<f64>) -> DVector<f64> {
    tanh(&(w * v))
}

twins!(two_loops, two_loops_c, (w, x),
    (w: &DMatrix<f64>, x: &DVector<f64>, n: usize) -> f64 {
        let mut v = x.clone();
        for _ in 0..n {
            v = cell(w, &v);
        }
        let mut s = 0.0;
        for t in 0..n + 1 {
            s += (t as f64 + 1.0) * v.dot(x);
            v *= 0.9;
        }
        s
    }
);

#[test]
fn two_loops_and_calls_checkpointed() {
    let mut g = rng(4);
    for n in [0, 1, 3, 7, 16] {
        for d in [1, 2, 5] {
            let at = format!("d = {d}, n = {n}");
            let (w, x) = (dmatrix(&mut g, d, d), dvector(&mut g, d));
            let (v0, g0) = two_loops_grad(&w, &x, n);
            let (v1, g1) = two_loops_c_grad(&w, &x, n);
            assert_eq!(v0, v1, "{at}");
            assert_same(&format!("{at}: w"), &g1.w, &g0.w);
            assert_same(&format!("{at}: x"), &column(&g1.x), &column(&g0.x));
            assert_fd(&at, |w| two_loops_c(w, &x, n), &w, &g1.w);
            assert_fd(&at, |x| two_loops_c(&w, x, n), &x, &g1.x);
        }
    }
}

twins!(rnn_second_plain, rnn_second, (w, b, forward),
    (w: &DMatrix<f64>, b: &DVector<f64>, xs: &[DVector<f64>]) -> f64 {
        let mut h = b.clone();
        let mut l = 0.0;
        for x in xs.iter() {
            h = tanh(&(w * &h + x)) + b;
            l += h.norm_squared();
        }
        l
    }
);

#[test]
fn hessian_vector_products_through_a_checkpointed_loop() {
    let mut g = rng(5);
    for (d, steps) in [(1, 1), (3, 5), (4, 10)] {
        let at = format!("d = {d}, T = {steps}");
        let (w, b) = (dmatrix(&mut g, d, d) * 0.5, dvector(&mut g, d));
        let (dw, db) = (dmatrix(&mut g, d, d), dvector(&mut g, d));
        let xs: Vec<DVector<f64>> = (0..steps).map(|_| dvector(&mut g, d)).collect();
        let (v0, g0, h0) = rnn_second_plain_hvp(&w, &b, &xs, &dw, &db);
        let (v1, g1, h1) = rnn_second_hvp(&w, &b, &xs, &dw, &db);
        assert_eq!(v0, v1, "{at}");
        assert_same(&format!("{at}: ∇w"), &g1.w, &g0.w);
        assert_same(&format!("{at}: Hv w"), &h1.w, &h0.w);
        assert_same(&format!("{at}: Hv b"), &column(&h1.b), &column(&h0.b));
    }
}

/// A recurrent cell as a struct.
#[derive(Clone, Debug, Differentiable)]
struct Cell {
    w: DMatrix<f64>,
    b: DVector<f64>,
}

twins!(run, run_c, (p),
    (p: &Cell, xs: &[DVector<f64>]) -> f64 {
        let mut h = p.b.clone();
        let mut l = 0.0;
        for x in xs {
            h = tanh(&(&p.w * &h + x)) + &p.b;
            l += h.sum();
        }
        l
    }
);

#[test]
fn a_model_struct_through_a_checkpointed_loop() {
    let mut g = rng(6);
    for (d, steps) in [(1, 2), (3, 9), (2, 16)] {
        let at = format!("d = {d}, T = {steps}");
        let p = Cell {
            w: dmatrix(&mut g, d, d) * 0.7,
            b: dvector(&mut g, d),
        };
        let xs: Vec<DVector<f64>> = (0..steps).map(|_| dvector(&mut g, d)).collect();
        let (v0, g0) = run_grad(&p, &xs);
        let (v1, g1) = run_c_grad(&p, &xs);
        assert_eq!(v0, v1, "{at}");
        assert_same(&format!("{at}: w"), &g1.p.w, &g0.p.w);
        assert_same(&format!("{at}: b"), &column(&g1.p.b), &column(&g0.p.b));
        let w = p.w.clone();
        assert_fd(
            &at,
            |w| {
                let q = Cell {
                    w: w.clone(),
                    b: p.b.clone(),
                };
                run_c(&q, &xs)
            },
            &w,
            &g1.p.w,
        );
    }
}

// Written out: `twins!`'s `$ret:ty` would hide the `Option` from the attribute.
#[grad(m, b)]
fn solves(m: &DMatrix<f64>, b: &DVector<f64>, n: usize) -> Option<f64> {
    let mut x = b.clone();
    for _ in 0..n {
        let c = (m * m.transpose()).cholesky()?;
        let z = c.l().solve_lower_triangular(&x)?;
        x = m.clone().lu().solve(&z)? * 0.5 + b;
    }
    Some(x.norm_squared())
}

#[grad(m, b, checkpoint)]
fn solves_c(m: &DMatrix<f64>, b: &DVector<f64>, n: usize) -> Option<f64> {
    let mut x = b.clone();
    for _ in 0..n {
        let c = (m * m.transpose()).cholesky()?;
        let z = c.l().solve_lower_triangular(&x)?;
        x = m.clone().lu().solve(&z)? * 0.5 + b;
    }
    Some(x.norm_squared())
}

#[test]
fn early_returns_in_a_checkpointed_loop() {
    let mut g = rng(7);
    for (d, n) in [(1, 1), (3, 4), (2, 10)] {
        let at = format!("d = {d}, n = {n}");
        let m = well_conditioned(&mut g, d);
        let b = dvector(&mut g, d);
        let (v0, g0) = solves_grad(&m, &b, n).expect("invertible");
        let (v1, g1) = solves_c_grad(&m, &b, n).expect("invertible");
        assert_eq!(v0, v1, "{at}");
        assert_same(&format!("{at}: m"), &g1.m, &g0.m);
        assert_same(&format!("{at}: b"), &column(&g1.b), &column(&g0.b));
        assert_fd(&at, |m| solves_c(m, &b, n).unwrap(), &m, &g1.m);
        let (v2, pullback) = solves_c_pullback(&m, &b, n).expect("invertible");
        assert_eq!(v2, v0, "{at}");
        assert_same(&format!("{at}: pulled m"), &pullback(&1.0).m, &g0.m);
    }
    // A failure in the first run returns `None`, as the function does.
    let singular = DMatrix::zeros(2, 2);
    assert!(solves_c_grad(&singular, &DVector::zeros(2), 3).is_none());
}

twins!(in_block, in_block_c, (x),
    (x: &DVector<f64>, n: usize) -> f64 {
        let y = {
            let mut y = x.clone();
            for k in 0..n {
                y = y.map(|v| (v * 0.9).sin()) + x * (k as f64 * 0.1);
            }
            y
        };
        y.norm_squared()
    }
);

#[test]
fn a_loop_in_a_top_level_block_is_checkpointed() {
    let mut g = rng(8);
    for (d, n) in [(1, 3), (4, 12)] {
        let x = dvector(&mut g, d);
        let (v0, g0) = in_block_grad(&x, n);
        let (v1, g1) = in_block_c_grad(&x, n);
        assert_eq!(v0, v1);
        assert_same("x", &column(&g1.x), &column(&g0.x));
        assert_fd("x", |x| in_block_c(x, n), &x, &g1.x);
    }
}

// A `?` in an expression of constants, kept as written, inside a checkpointed loop.
#[grad(x)]
fn constant_try(x: &DVector<f64>, m: &DMatrix<f64>, n: usize) -> Option<f64> {
    let mut y = x.clone();
    for _ in 0..n {
        let inv = (m * 0.5).try_inverse()?;
        y = &inv * y.map(|v| v.sin());
    }
    Some(y.sum())
}

#[grad(x, checkpoint)]
fn constant_try_c(x: &DVector<f64>, m: &DMatrix<f64>, n: usize) -> Option<f64> {
    let mut y = x.clone();
    for _ in 0..n {
        let inv = (m * 0.5).try_inverse()?;
        y = &inv * y.map(|v| v.sin());
    }
    Some(y.sum())
}

#[test]
fn a_constant_try_in_a_checkpointed_loop() {
    let mut g = rng(9);
    for (d, n) in [(1, 2), (3, 7)] {
        let (x, m) = (dvector(&mut g, d), well_conditioned(&mut g, d));
        let (v0, g0) = constant_try_grad(&x, &m, n).expect("invertible");
        let (v1, g1) = constant_try_c_grad(&x, &m, n).expect("invertible");
        assert_eq!(v0, v1);
        assert_same("x", &column(&g1.x), &column(&g0.x));
        let (_, pullback) = constant_try_c_pullback(&x, &m, n).expect("invertible");
        assert_same("pulled x", &column(&pullback(&1.0).x), &column(&g0.x));
    }
    assert!(constant_try_c_grad(&DVector::zeros(2), &DMatrix::zeros(2, 2), 3).is_none());
}

twins!(reset, reset_c, (x),
    (x: &DVector<f64>, n: usize) -> f64 {
        let c = x.norm();
        let mut t = 0.5;
        let mut s = 0.0;
        for k in 0..n {
            s += t * x.sum() + (k as f64) * t.sin();
            t = c;
        }
        s + c.sin()
    }
);

#[test]
fn a_carried_variable_set_to_a_value_from_before_the_loop() {
    let mut g = rng(10);
    for (d, n) in [(2, 1), (3, 6)] {
        let x = dvector(&mut g, d);
        let (v0, g0) = reset_grad(&x, n);
        let (v1, g1) = reset_c_grad(&x, n);
        assert_eq!(v0, v1);
        assert_same("x", &column(&g1.x), &column(&g0.x));
        assert_fd("x", |x| reset_c(x, n), &x, &g1.x);
    }
}
