//! `logsumexp`, `softmax` and `log_softmax` of a vector, and by rows and by columns of a
//! matrix: values and gradients against JAX (`tests/data/softmax_jax.py`) and finite
//! differences, exact and finite at logits of ±1 000.

mod common;

use common::*;
use matgrad::{
    grad, log_softmax, log_softmax_columns, log_softmax_rows, logsumexp, logsumexp_columns,
    logsumexp_rows, softmax, softmax_columns, softmax_rows,
};
use nalgebra::{DMatrix, DVector};
use serde_json::Value;

#[grad]
fn lse(x: &DVector<f64>) -> f64 {
    logsumexp(x)
}

#[grad]
fn weighted_softmax(x: &DVector<f64>, w: &DVector<f64>) -> f64 {
    softmax(x).dot(w)
}

#[grad]
fn weighted_log_softmax(x: &DVector<f64>, w: &DVector<f64>) -> f64 {
    log_softmax(x).dot(w)
}

#[grad(xm)]
fn by_lanes(
    xm: &DMatrix<f64>,
    wm: &DMatrix<f64>,
    w_rows: &DVector<f64>,
    w_cols: &DVector<f64>,
    which: usize,
) -> f64 {
    match which {
        0 => logsumexp_rows(xm).dot(w_rows),
        1 => logsumexp_columns(xm).transpose().dot(w_cols),
        2 => softmax_rows(xm).component_mul(wm).sum(),
        3 => softmax_columns(xm).component_mul(wm).sum(),
        4 => log_softmax_rows(xm).component_mul(wm).sum(),
        _ => log_softmax_columns(xm).component_mul(wm).sum(),
    }
}

/// The reference's names of [`by_lanes`]'s functions, in its order.
const LANE_FUNCTIONS: [&str; 6] = [
    "f_lse_rows",
    "f_lse_cols",
    "f_softmax_rows",
    "f_softmax_cols",
    "f_log_softmax_rows",
    "f_log_softmax_cols",
];

/// A vector of reference data, written as a list.
fn json_vector(v: &Value) -> DVector<f64> {
    let entries: Vec<f64> = serde_json::from_value(v.clone()).expect("a list of numbers");
    DVector::from_vec(entries)
}

#[track_caller]
fn assert_near(what: &str, got: &DVector<f64>, expected: &DVector<f64>) {
    assert!(got.iter().all(|v| v.is_finite()), "{what}: {got}");
    let e = rel_error(got, expected);
    assert!(
        e < 1e-12,
        "{what}: {got} but JAX {expected} (relative error {e:e})"
    );
}

#[test]
fn vectors_match_jax_and_finite_differences() {
    let data = reference_data("softmax_jax");
    let cases = data["vectors"].as_array().expect("vectors");
    assert_eq!(cases.len(), 5);
    for case in cases {
        let (x, w) = (json_vector(&case["x"]), json_vector(&case["w"]));
        let what = format!("x = {}", x.transpose());
        let f = &case["functions"];
        assert_near(&what, &softmax(&x), &json_vector(&case["softmax"]));
        assert_near(&what, &log_softmax(&x), &json_vector(&case["log_softmax"]));

        let (v, g) = lse_grad(&x);
        assert_value(&what, v, json_number(&f["logsumexp"]["value"]));
        assert_near(&what, &g.x, &json_vector(&f["logsumexp"]["grad"]["x"]));
        // The checker's step is relative to each entry, too coarse at ±1 000: there the
        // reference (checked by the script with absolute steps) is the oracle.
        let extreme = case["extreme"].as_bool().expect("extreme");
        if !extreme {
            assert_fd(&what, lse, &x, &g.x);
        }

        type Grad = fn(&DVector<f64>, &DVector<f64>) -> (f64, DVector<f64>, DVector<f64>);
        type Value2 = fn(&DVector<f64>, &DVector<f64>) -> f64;
        let weighted: [(&str, Value2, Grad); 2] = [
            ("f_softmax", weighted_softmax, |x, w| {
                let (v, g) = weighted_softmax_grad(x, w);
                (v, g.x, g.w)
            }),
            ("f_log_softmax", weighted_log_softmax, |x, w| {
                let (v, g) = weighted_log_softmax_grad(x, w);
                (v, g.x, g.w)
            }),
        ];
        for (name, value, grad) in weighted {
            let what = format!("{name} at {what}");
            let (v, gx, gw) = grad(&x, &w);
            assert_value(&what, v, value(&x, &w));
            assert_value(&what, v, json_number(&f[name]["value"]));
            assert_near(&what, &gx, &json_vector(&f[name]["grad"]["x"]));
            assert_near(&what, &gw, &json_vector(&f[name]["grad"]["w"]));
            if !extreme {
                assert_fd(&what, |x| value(x, &w), &x, &gx);
            }
        }
    }
}

#[test]
fn rows_and_columns_match_jax_and_finite_differences() {
    let data = reference_data("softmax_jax");
    let cases = data["matrices"].as_array().expect("matrices");
    assert_eq!(cases.len(), 2);
    for case in cases {
        let xm = json_matrix(&case["xm"]);
        let wm = json_matrix(&case["wm"]);
        let (wr, wc) = (json_vector(&case["w_rows"]), json_vector(&case["w_cols"]));
        assert_near(
            "rows",
            &logsumexp_rows(&xm),
            &json_vector(&case["logsumexp_rows"]),
        );
        let columns = logsumexp_columns(&xm).transpose();
        assert_near("columns", &columns, &json_vector(&case["logsumexp_cols"]));
        for (which, name) in LANE_FUNCTIONS.iter().enumerate() {
            let what = format!("{name} at {xm}");
            let f = &case["functions"][*name];
            let (v, g) = by_lanes_grad(&xm, &wm, &wr, &wc, which);
            assert_value(&what, v, by_lanes(&xm, &wm, &wr, &wc, which));
            assert_value(&what, v, json_number(&f["value"]));
            let jax = json_matrix(&f["grad"]["xm"]);
            assert!(g.xm.iter().all(|v| v.is_finite()), "{what}");
            assert!(
                rel_error(&g.xm, &jax) < 1e-12,
                "{what}: {} but JAX {jax}",
                g.xm
            );
            if !case["extreme"].as_bool().expect("extreme") {
                assert_fd(&what, |x| by_lanes(x, &wm, &wr, &wc, which), &xm, &g.xm);
            }
        }
    }
    let sm = softmax_rows(&json_matrix(&cases[0]["xm"]));
    assert_closed(
        "rows sum to one",
        &sm.column_sum(),
        &DVector::from_element(3, 1.0),
    );
}
