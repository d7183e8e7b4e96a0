//! Programs that used to compile and return a wrong value and a wrong gradient with no
//! warning, or that were rejected with a confusing error (the trust issue's reproducers).
//! Each is checked against the original function (value) and central finite differences
//! (gradient), and, where the issue states it, against the right numbers. The programs are
//! written as the issue reports them, hence the allowed lints.

#![allow(clippy::assign_op_pattern, clippy::non_minimal_cfg)]

mod common;

use common::*;
use matgrad::grad;
use nalgebra::{DMatrix, DVector};

// ============================================================ loop-carried chains of any length

/// A value carried down a chain of five loop variables (a delay line).
#[grad(w)]
fn delay5(w: f64, xs: &[f64]) -> f64 {
    let mut l1 = 0.0;
    let mut l2 = 0.0;
    let mut l3 = 0.0;
    let mut l4 = 0.0;
    let mut l5 = 0.0;
    for x in xs.iter() {
        l5 = l4;
        l4 = l3;
        l3 = l2;
        l2 = l1;
        l1 = w * w * x;
    }
    l5
}

#[test]
fn a_chain_of_five_carried_variables_is_differentiated() {
    let xs = [1., 2., 3., 4., 5., 6.];
    let (v, g) = delay5_grad(1.5, &xs);
    assert_eq!((v, g.w), (4.5, 6.0));
    assert_value("delay5", v, delay5(1.5, &xs));
}

/// A delay line of twelve, reached through a matrix: longer than any fixed number of retries.
#[grad(w)]
fn delay12(w: &DMatrix<f64>, x0: &DVector<f64>, steps: usize) -> f64 {
    let mut l1 = x0.clone();
    let mut l2 = x0.clone();
    let mut l3 = x0.clone();
    let mut l4 = x0.clone();
    let mut l5 = x0.clone();
    let mut l6 = x0.clone();
    let mut l7 = x0.clone();
    let mut l8 = x0.clone();
    let mut l9 = x0.clone();
    let mut l10 = x0.clone();
    let mut l11 = x0.clone();
    let mut l12 = x0.clone();
    for _ in 0..steps {
        l12 = l11;
        l11 = l10;
        l10 = l9;
        l9 = l8;
        l8 = l7;
        l7 = l6;
        l6 = l5;
        l5 = l4;
        l4 = l3;
        l3 = l2;
        l2 = l1.clone();
        l1 = w * &l1;
    }
    l12.norm_squared()
}

#[test]
fn a_chain_of_twelve_carried_matrices_is_differentiated() {
    let mut rng = rng(91);
    for (n, steps) in [(2, 13), (3, 15), (4, 12)] {
        let w = dmatrix(&mut rng, n, n) * 0.5;
        let x0 = dvector(&mut rng, n);
        let (v, g) = delay12_grad(&w, &x0, steps);
        assert_value("delay12", v, delay12(&w, &x0, steps));
        assert_fd("delay12", |w| delay12(w, &x0, steps), &w, &g.w);
        assert!(
            g.w.norm() > 0.0,
            "the chain reaches the output after 12 steps"
        );
    }
}

/// With no iteration, the carried value is its initial one: its gradient flows through.
#[grad]
fn empty_loop(x: f64, n: usize) -> f64 {
    let mut acc = x * 3.0;
    for _ in 0..n {
        acc = 2.0;
    }
    acc
}

#[test]
fn a_loop_that_runs_zero_times_passes_the_gradient_through() {
    assert_eq!(empty_loop_grad(2.0, 0).1.x, 3.0);
    assert_eq!(empty_loop_grad(2.0, 1).1.x, 0.0);
}

// ============================================================================ `#[cfg]` on statements

#[grad]
fn cfg_statements(x: f64) -> f64 {
    let y = x * 2.0;
    #[cfg(any())]
    let y = x * 100.0;
    #[cfg(all())]
    let y = y * x;
    y
}

#[grad]
fn cfg_assignments(x: f64) -> f64 {
    let mut y = x;
    #[cfg(any())]
    {
        y = y * 100.0;
    }
    #[cfg(all())]
    {
        y = y * x;
    }
    #[cfg_attr(all(), cfg(any()))]
    let y = y * 1000.0;
    #[cfg(not(any()))]
    for _ in 0..2 {
        y = y * x;
    }
    y
}

/// A `#[cfg]` `let` may declare a new variable, and a configured-out one may give a variable
/// another type: only the configured statement is compiled.
#[grad]
fn cfg_declarations(x: &DVector<f64>) -> f64 {
    #[cfg(all())]
    let s = x.norm_squared();
    #[cfg(any())]
    let x = x.sum();
    #[cfg(any())]
    let unused = x * 2.0;
    s * x.sum()
}

/// A `#[cfg]` `let` shadowing a parameter with a value of another type: the parameter's own
/// binding still receives its gradient.
#[grad(x, w)]
fn cfg_shadows_a_parameter(x: &DVector<f64>, w: f64) -> f64 {
    #[cfg(all())]
    let x = nalgebra::SMatrix::<f64, 2, 3>::from_element(1.0) * (w * x.sum());
    x.sum() * w
}

/// A `#[cfg]` loop nested in a loop, changing a variable the outer loop carries: the outer
/// loop's carried binding is updated (a `let` shadowing it in the body would drop the change).
/// Found by the difftest generator (seed 11, program 198).
#[grad]
fn cfg_loop_in_a_loop(x: f64, xs: &[f64]) -> nalgebra::SMatrix<f64, 1, 1> {
    let mut a = x;
    let mut b = x * 2.0;
    for _ in xs.iter() {
        a *= 0.8;
        #[cfg(all())]
        for _ in xs.iter() {
            a /= x;
            b = a * 0.4;
        }
    }
    nalgebra::SMatrix::<f64, 1, 1>::from_element(1.0) * (a + b)
}

/// A variable a configured-out `#[cfg]` loop would have changed, read afterwards by a
/// condition (user text the macro keeps). Found by the difftest generator (seed 11, program
/// 83): the condition named a binding that no longer existed.
#[grad]
fn cfg_out_then_condition(x: f64, _n: usize) -> f64 {
    let mut y = x * x;
    if y > 10.0 {
        y = y.sin();
    }
    #[cfg(any())]
    for _ in 0.._n {
        y += 1.0;
    }
    if y * 2.0 > 0.5 {
        y = y.tanh();
    }
    y * x
}

/// A `#[cfg]` `let` in an arm shadowing a variable the arm assigned: the arm's value of the
/// variable is the assigned one, not the shadowing binding (difftest seed 11, program 345).
#[grad]
fn cfg_let_shadows_in_an_arm(x: f64, s: f64) -> f64 {
    let mut y = x * 2.0;
    if s > 0.0 {
        y = y * x;
        #[cfg(all())]
        let y = DVector::from_element(3, 1.0) * (y * s);
        let _ = y.sum();
    }
    y * x
}

/// A configured-out `#[cfg]` `let` shadowing a constant reference parameter, which later
/// code reads as a reference (difftest seed 11, program 383).
#[grad(x)]
fn cfg_out_shadows_a_reference(x: f64, w: &DVector<f64>) -> f64 {
    #[cfg(any())]
    let w = w.sum() * 2.0;
    let r = matgrad::relu(w);
    let c = w.clone();
    x * r.sum() + c.sum() * x * x
}

#[test]
fn cfg_regions_inside_loops_and_before_conditions() {
    let xs = [1.0, 2.0];
    let plain = |x: f64| {
        let (mut a, mut b) = (x, x * 2.0);
        for _ in &xs {
            a *= 0.8;
            for _ in &xs {
                a /= x;
                b = a * 0.4;
            }
        }
        a + b
    };
    let (v, pb) = cfg_loop_in_a_loop_pullback(1.5, &xs);
    assert_value("cfg loop in a loop", v[0], plain(1.5));
    assert_value("cfg loop in a loop", v[0], cfg_loop_in_a_loop(1.5, &xs)[0]);
    let g = pb(&nalgebra::SMatrix::<f64, 1, 1>::from_element(1.0));
    let fd = (plain(1.5 + 1e-6) - plain(1.5 - 1e-6)) / 2e-6;
    assert!(
        (g.x - fd).abs() < 1e-6 * fd.abs().max(1.0),
        "{} vs {fd}",
        g.x
    );
    for (x, s) in [(0.3, 1.0), (1.5, -1.0), (-0.7, 2.0)] {
        let (v, g) = cfg_let_shadows_in_an_arm_grad(x, s);
        assert_value("cfg let in an arm", v, cfg_let_shadows_in_an_arm(x, s));
        // y = 2x² when s > 0 (the shadowing y ends with the arm), 2x otherwise; value y·x.
        let expected = if s > 0.0 { 6.0 * x * x } else { 4.0 * x };
        assert!((g.x - expected).abs() < 1e-12, "{} vs {expected}", g.x);
    }
    let w = DVector::from_vec(vec![0.5, -1.0, 2.0]);
    let (v, g) = cfg_out_shadows_a_reference_grad(1.5, &w);
    assert_value(
        "cfg out, a reference",
        v,
        cfg_out_shadows_a_reference(1.5, &w),
    );
    // ∂/∂x (x Σrelu(w) + Σw x²) = Σrelu(w) + 2x Σw.
    let expected = 2.5 + 2.0 * 1.5 * 1.5;
    assert!((g.x - expected).abs() < 1e-12, "{} vs {expected}", g.x);
    for x in [0.3, 1.5, 4.0] {
        let (v, g) = cfg_out_then_condition_grad(x, 3);
        assert_value("cfg out, then a condition", v, cfg_out_then_condition(x, 3));
        let h = 1e-6;
        let fd = (cfg_out_then_condition(x + h, 3) - cfg_out_then_condition(x - h, 3)) / (2.0 * h);
        assert!(
            (g.x - fd).abs() < 1e-6 * fd.abs().max(1.0),
            "x = {x}: {} vs {fd}",
            g.x
        );
    }
}

#[test]
fn cfg_on_statements_follows_the_build_configuration() {
    assert_eq!(
        cfg_statements_grad(1.5),
        (4.5, CfgStatementsGrad { x: 6.0 })
    );
    let (v, g) = cfg_assignments_grad(1.5);
    assert_value("cfg", v, cfg_assignments(1.5));
    assert_eq!(v, 1.5f64.powi(4));
    assert!((g.x - 4.0 * 1.5f64.powi(3)).abs() < 1e-12);
    let x = DVector::from_vec(vec![0.5, -1.0, 2.0]);
    let (v, g) = cfg_declarations_grad(&x);
    assert_value("cfg declarations", v, cfg_declarations(&x));
    assert_fd("cfg declarations", cfg_declarations, &x, &g.x);
    let (v, g) = cfg_shadows_a_parameter_grad(&x, 0.7);
    assert_value("cfg shadowing", v, cfg_shadows_a_parameter(&x, 0.7));
    assert_fd(
        "cfg shadowing",
        |x| cfg_shadows_a_parameter(x, 0.7),
        &x,
        &g.x,
    );
    // ∂/∂w (6 w · Σx · w) = 12 w Σx.
    assert!((g.w - 12.0 * 0.7 * x.sum()).abs() < 1e-12, "{}", g.w);
}

/// A borrowed temporary (`&(row * c)`) reading a scalar the reverse sweep holds saved (by
/// reference) is evaluated again there from a copy of it: in a branch and in a loop.
#[grad(w)]
fn borrowed_temporary_reads_a_saved_scalar(w: f64, h: f64, n: usize) -> f64 {
    let mut c = 0.1_f64;
    if h > 0.5 {
        c = 2.0 * w;
    } else {
        c = (c * 3.0).tanh();
        c += (DVector::<f64>::from_element(3, 1.0) * w)
            .dot(&(DVector::<f64>::from_element(3, 1.0) * c));
    }
    let mut s = c;
    for k in 0..n {
        let d = 0.5 + k as f64;
        s = s
            * (DVector::<f64>::from_element(2, 1.0) * w)
                .dot(&(DVector::<f64>::from_element(2, 1.0) * d));
    }
    s
}

#[test]
fn a_borrowed_temporary_is_evaluated_again_from_saved_values() {
    for h in [0.0, 1.0] {
        let (v, g) = borrowed_temporary_reads_a_saved_scalar_grad(0.3, h, 3);
        assert_value(
            "borrowed",
            v,
            borrowed_temporary_reads_a_saved_scalar(0.3, h, 3),
        );
        let e = 1e-6;
        let fd = (borrowed_temporary_reads_a_saved_scalar(0.3 + e, h, 3)
            - borrowed_temporary_reads_a_saved_scalar(0.3 - e, h, 3))
            / (2.0 * e);
        assert!(
            (g.w - fd).abs() < 1e-6 * fd.abs().max(1.0),
            "{} vs {fd}",
            g.w
        );
    }
}

/// Value-less statements whose expressions have a value (`if b { 0 } else { 1 };`) are kept
/// as statements.
#[grad(x)]
#[allow(unused_must_use, clippy::no_effect, clippy::unused_unit)]
fn statements_with_unused_values(x: f64, b: bool) -> f64 {
    if b {
        0
    } else {
        1
    };
    let y = x * 2.0;
    match b {
        true => 1,
        false => 2,
    };
    y * x
}

#[test]
fn statements_with_unused_values_are_kept() {
    for b in [false, true] {
        let (v, g) = statements_with_unused_values_grad(1.5, b);
        assert_eq!(v, statements_with_unused_values(1.5, b));
        assert_eq!(g.x, 6.0);
    }
}

// ===================================================== block-scoped `let` in arms and loop bodies

#[grad]
fn let_in_arm(x: f64) -> f64 {
    let mut h = x;
    if x > 0.0 {
        h = h * x;
        #[allow(unused_variables)]
        let h = 7.0 + h;
    }
    h
}

#[grad]
fn let_in_loop(x: f64) -> f64 {
    let mut h = x;
    for _ in 0..3 {
        h = h * x;
        #[allow(unused_variables)]
        let h = h + 1.0;
    }
    h
}

#[test]
fn a_let_inside_an_arm_or_a_loop_body_ends_with_it() {
    assert_eq!(let_in_arm_grad(1.5), (2.25, LetInArmGrad { x: 3.0 }));
    assert_eq!(let_in_loop_grad(1.5), (5.0625, LetInLoopGrad { x: 13.5 }));
}

// ========================================================= generated names in nested sweeps

#[grad(x)]
fn map_reads_names_like_generated_ones(x: &DVector<f64>, x_bar: f64, v_bar: f64) -> f64 {
    x.map(|v| (v * x_bar).sin() + v_bar * v).sum()
}

#[test]
fn a_map_closure_may_read_variables_named_like_adjoints() {
    let mut rng = rng(92);
    let x = dvector(&mut rng, 4);
    let (v, g) = map_reads_names_like_generated_ones_grad(&x, 0.7, -0.3);
    assert_value("map", v, map_reads_names_like_generated_ones(&x, 0.7, -0.3));
    assert_fd(
        "map",
        |x| map_reads_names_like_generated_ones(x, 0.7, -0.3),
        &x,
        &g.x,
    );
}

// =========================================================== parameters named by a type alias

type Mat = DMatrix<f64>;

/// A type the macro cannot classify by its name is differentiated when named in the list.
#[grad(x, s)]
fn through_alias(x: &Mat, s: f64) -> f64 {
    (x * s).norm_squared()
}

#[test]
fn a_listed_parameter_of_an_alias_type_is_differentiated() {
    let mut rng = rng(93);
    let x = dmatrix(&mut rng, 2, 3);
    let (_, g) = through_alias_grad(&x, 0.5);
    assert_fd("alias", |x| through_alias(x, 0.5), &x, &g.x);
    assert_fd("s", |s| through_alias(&x, *s), &0.5, &g.s);
}

// ============================================================= constructs that used to be rejected

#[grad]
fn local_closure(x: f64, w: &DVector<f64>) -> f64 {
    let sq = |t: f64| t * t;
    let scaled = |v: &DVector<f64>| v * x;
    sq(x) + scaled(w).norm_squared()
}

#[test]
fn local_closures_are_called_inline() {
    let mut rng = rng(94);
    let w = dvector(&mut rng, 3);
    let (v, g) = local_closure_grad(0.8, &w);
    assert_value("closure", v, local_closure(0.8, &w));
    assert_fd("x", |x| local_closure(*x, &w), &0.8, &g.x);
    assert_fd("w", |w| local_closure(0.8, w), &w, &g.w);
}

#[grad(x)]
fn if_let_on_a_constant(x: f64, scale: Option<f64>) -> f64 {
    let mut y = x * x;
    if let Some(c) = scale {
        y = y * c;
    }
    y
}

#[grad(x)]
fn match_on_a_constant(x: f64, k: usize) -> f64 {
    let y = match k {
        0 => x,
        1 | 2 => x * x,
        n if n > 10 => x.sin(),
        _ => {
            let t = x * 3.0;
            t * x
        }
    };
    y + 1.0
}

#[test]
fn if_let_and_match_on_constants_are_branches() {
    assert_eq!(if_let_on_a_constant_grad(1.5, Some(2.0)).1.x, 6.0);
    assert_eq!(if_let_on_a_constant_grad(1.5, None).1.x, 3.0);
    for k in [0, 1, 2, 3, 11] {
        let (v, g) = match_on_a_constant_grad(0.7, k);
        assert_value("match", v, match_on_a_constant(0.7, k));
        assert_fd("match", |x| match_on_a_constant(*x, k), &0.7, &g.x);
    }
}

#[grad(x)]
fn blocks(x: &DVector<f64>, c: f64) -> f64 {
    let s = {
        let t = x.norm_squared();
        t * 2.0
    };
    let _ = x.sum();
    let m = x
        .map(|v| {
            let t = v * v;
            t.sin() + c
        })
        .sum();
    m + s
}

#[test]
fn blocks_are_scopes_in_the_body_and_in_map_closures() {
    let mut rng = rng(95);
    let x = dvector(&mut rng, 5);
    let (v, g) = blocks_grad(&x, 0.3);
    assert_value("blocks", v, blocks(&x, 0.3));
    assert_fd("blocks", |x| blocks(x, 0.3), &x, &g.x);
}

#[grad]
fn takes_impl_trait(x: f64, f: impl Fn(f64) -> f64) -> f64 {
    x * f(2.0)
}

#[grad]
fn calls_impl_trait(x: f64) -> f64 {
    takes_impl_trait(x, |t| t + 1.0) * x
}

#[test]
fn an_impl_trait_parameter_is_a_constant() {
    assert_eq!(takes_impl_trait_grad(1.5, |t| t * t).1.x, 4.0);
    assert_eq!(
        calls_impl_trait_grad(2.0),
        (12.0, CallsImplTraitGrad { x: 12.0 })
    );
}

// ========================================================== constants changed in place

/// A constant the reverse sweep reads, then changed in place: the sweep reads it as it was.
#[grad(w)]
fn changed_in_place(w: &DMatrix<f64>, m: &DMatrix<f64>, d: &DMatrix<f64>) -> f64 {
    let mut c = m.clone();
    let y = (w * &c).sum();
    c.fill(0.5);
    let z = (w * &c).norm_squared();
    c += d;
    y + z + (w * &c).sum()
}

/// The same in a loop and a branch: a `Vec` filled as it goes, a counter.
#[grad(w)]
fn pushed_in_a_loop(w: &DVector<f64>, n: usize) -> f64 {
    let mut scales = Vec::new();
    let mut count = 0;
    let mut acc = 0.0;
    for i in 0..n {
        scales.push(i as f64 + 1.0);
        if i % 2 == 0 {
            count += 1;
            scales.push(0.5);
        }
        acc += w.sum() * scales[scales.len() - 1] * count as f64;
    }
    acc
}

#[test]
fn a_value_changed_in_place_after_the_reverse_sweep_reads_it() {
    let mut rng = rng(96);
    for (r, c) in [(2, 3), (3, 3)] {
        let (w, m) = (dmatrix(&mut rng, r, c), dmatrix(&mut rng, c, 2));
        let d = dmatrix(&mut rng, c, 2);
        let (v, g) = changed_in_place_grad(&w, &m, &d);
        assert_value("in place", v, changed_in_place(&w, &m, &d));
        assert_fd("in place", |w| changed_in_place(w, &m, &d), &w, &g.w);
    }
    let w = dvector(&mut rng, 3);
    for n in [0, 1, 4] {
        let (v, g) = pushed_in_a_loop_grad(&w, n);
        assert_value("pushed", v, pushed_in_a_loop(&w, n));
        assert_fd("pushed", |w| pushed_in_a_loop(w, n), &w, &g.w);
    }
}
