//! A long function: 600 statements (about 2 400 values) of straight code, more than
//! `_grad`'s threshold for going through `vjp` and long enough that the forward sweep is cut
//! into blocks (the long-function work of docs/PERFORMANCE.md). Its value is the original
//! function's and its gradient agrees with finite differences; `_pullback` agrees with
//! `_grad`.

mod common;

use common::*;
use matgrad::grad;
use nalgebra::DVector;

/// `#[grad]` on a function of one statement per literal: `s` and `v` shadowed each time.
macro_rules! long_function {
    ($([$($k:literal)*])*) => {
        #[grad]
        fn long_chain(x: f64, w: &DVector<f64>) -> f64 {
            let s = x;
            let v = w * 0.5;
            $($(
                let s = (s * 0.9 + v.dot(w) * 1e-3 * $k as f64).tanh();
                let v = &v * 0.999 + w * (s * 1e-3);
            )*)*
            s + v.norm_squared()
        }
    };
}

long_function! {
        [0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2]
        [3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5]
        [6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1]
        [2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4]
        [5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0]
        [1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3]
        [4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6]
        [0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2]
        [3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5]
        [6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1]
        [2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4]
        [5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0]
        [1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3]
        [4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6]
        [0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2]
        [3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5]
        [6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1]
        [2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4]
        [5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0]
        [1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3]
        [4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6]
        [0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2]
        [3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5]
        [6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1]
        [2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4 5 6 0 1 2 3 4]
}

#[test]
fn a_function_of_600_statements_is_differentiated() {
    let w = DVector::from_vec(vec![0.3, -0.2, 0.5, 0.1]);
    let x = 0.7;
    let (v, g) = long_chain_grad(x, &w);
    assert_value("long", v, long_chain(x, &w));
    assert_fd("long, w", |w| long_chain(x, w), &w, &g.w);
    let e = 1e-6;
    let fd = (long_chain(x + e, &w) - long_chain(x - e, &w)) / (2.0 * e);
    assert!(
        (g.x - fd).abs() < 1e-6 * fd.abs().max(1.0),
        "{} vs {fd}",
        g.x
    );
    let (v2, pullback) = long_chain_pullback(x, &w);
    assert_eq!(v2, v);
    let g2 = pullback(&1.0);
    assert!((g2.x - g.x).abs() <= 1e-12 * g.x.abs().max(1.0));
    assert!((&g2.w - &g.w).norm() <= 1e-12 * g.w.norm().max(1.0));
}
