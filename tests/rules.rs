//! Hand-written derivative rules, `#[vjp(rule)]`, used by `#[grad]` code that calls the
//! function: bodies the macro could not differentiate (a `while` loop, `std` and nalgebra
//! routines), a numerically stabler rule than the body's own derivative, rules with two
//! differentiable parameters (a tuple of cotangents) and with non-differentiable ones. Every
//! gradient is checked against central finite differences on seeded random inputs.

mod common;

use common::*;
use matgrad::{grad, vjp};
use nalgebra::{DMatrix, DVector};

/// Vector lengths.
const LENGTHS: &[usize] = &[1, 3, 7];

// ====================================================== bodies the macro cannot differentiate

/// √x by Newton's iteration, a `while` loop `#[grad]` would reject. For x > 0.
#[vjp(newton_sqrt_rule)]
fn newton_sqrt(x: f64) -> f64 {
    let mut y = x.max(1.0);
    let mut steps = 0;
    while (y * y - x).abs() > 4.0 * f64::EPSILON * x && steps < 100 {
        y = 0.5 * (y + x / y);
        steps += 1;
    }
    y
}

/// x̄ = ḡ / (2√x), from the saved output.
fn newton_sqrt_rule(_x: &f64, y: &f64, g: &f64) -> f64 {
    g / (2.0 * y)
}

/// Σᵢ √(xᵢ² + 1) through the Newton square root.
#[grad]
fn newton_norms(x: &DVector<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += newton_sqrt(x[i] * x[i] + 1.0);
    }
    s
}

#[test]
fn rule_for_a_while_loop() {
    for x in [1e-6, 0.3, 1.0, 2.0, 1e4] {
        assert!(
            (newton_sqrt(x) - x.sqrt()).abs() <= 1e-15 * x.sqrt(),
            "x = {x}"
        );
    }
    let mut rng = rng(1);
    for &n in LENGTHS {
        let x = dvector(&mut rng, n) * 3.0;
        let at = format!("n = {n}");
        let (v, g) = newton_norms_grad(&x);
        assert_value(&at, v, newton_norms(&x));
        // ∇ = x / √(x² + 1)
        assert_closed(&at, &g.x, &x.map(|v| v / (v * v + 1.0).sqrt()));
        assert_fd(&at, newton_norms, &x, &g.x);
    }
}

/// ln det A by a Cholesky factorisation (nalgebra's, which reads the lower triangle only),
/// for a symmetric positive definite A.
#[vjp(log_det_rule)]
fn log_det(a: &DMatrix<f64>) -> f64 {
    let l = a.clone().cholesky().expect("positive definite").unpack();
    2.0 * l.diagonal().iter().map(|d| d.ln()).sum::<f64>()
}

/// Ā = ḡ A⁻¹ (= ḡ A⁻ᵀ, A being symmetric).
fn log_det_rule(a: &DMatrix<f64>, _y: &f64, g: &f64) -> DMatrix<f64> {
    a.clone().cholesky().expect("positive definite").inverse() * *g
}

/// ln det(XᵀX + I) + ‖X‖²: the symmetric matrix is built in the caller, so finite differences
/// in X move both of its triangles.
#[grad]
fn log_det_gram(x: &DMatrix<f64>) -> f64 {
    let n = x.ncols();
    let a = x.transpose() * x + DMatrix::identity(n, n);
    log_det(&a) + x.norm_squared()
}

#[test]
fn rule_for_a_factorisation() {
    let mut rng = rng(2);
    for &(m, n) in &[(1, 1), (3, 2), (2, 5), (4, 4)] {
        let x = dmatrix(&mut rng, m, n);
        let at = format!("{m}×{n}");
        let (v, g) = log_det_gram_grad(&x);
        let a = x.transpose() * &x + DMatrix::identity(n, n);
        assert_value(&at, v, a.determinant().ln() + x.norm_squared());
        // ∇ = 2X(XᵀX + I)⁻¹ + 2X
        let inverse = a.try_inverse().expect("invertible");
        assert_closed(&at, &g.x, &(2.0 * &x * inverse + 2.0 * &x));
        assert_fd(&at, log_det_gram, &x, &g.x);
    }
}

// =================================================================== a stabler derivative

/// ln(1 + eˣ) as written: overflows above x ≈ 709.
#[grad]
fn naive_log1pexp(x: f64) -> f64 {
    (1.0 + x.exp()).ln()
}

/// ln(1 + eˣ) computed as max(x, 0) + ln(1 + e^(−|x|)), finite everywhere.
#[vjp(log1pexp_rule)]
fn log1pexp(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// x̄ = ḡ σ(x), with σ evaluated on the side where the exponential cannot overflow.
fn log1pexp_rule(x: &f64, _y: &f64, g: &f64) -> f64 {
    let sigma = if *x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    };
    g * sigma
}

/// The stable version through `#[grad]`: a call on a computed argument.
#[grad]
fn stable(x: f64) -> f64 {
    log1pexp(x * 2.0) * 0.5
}

/// Σᵢ ln(1 + e^(xᵢ)) with the stable rule, over a vector.
#[grad]
fn stable_sum(x: &DVector<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += log1pexp(x[i]);
    }
    s
}

#[test]
fn stable_rule_at_extremes() {
    // Where the naive body overflows, the rule stays finite and right.
    let (v, g) = naive_log1pexp_grad(800.0);
    assert!(v.is_infinite() && !g.x.is_finite(), "naive: {v}, {}", g.x);

    let (v, g) = stable_grad(400.0);
    assert_eq!(v, 400.0);
    assert_eq!(g.x, 1.0);
    let (v, g) = stable_grad(-400.0);
    assert!((0.0..1e-300).contains(&v), "{v}");
    assert!((0.0..1e-300).contains(&g.x), "{}", g.x);

    let x = DVector::from_vec(vec![800.0, -800.0, 0.0, 30.0, -30.0]);
    let (v, g) = stable_sum_grad(&x);
    let expected_value = 800.0 + 2f64.ln() + (30.0 + (-30f64).exp().ln_1p()) + (-30f64).exp();
    assert!(
        (v - expected_value).abs() <= 1e-12 * expected_value,
        "{v} vs {expected_value}"
    );
    let sigma = |v: f64| 1.0 / (1.0 + (-v).exp());
    let expected = DVector::from_vec(vec![1.0, 0.0, 0.5, sigma(30.0), sigma(-30.0)]);
    assert!(g.x.iter().all(|e| e.is_finite()), "{}", g.x);
    assert!(rel_error(&g.x, &expected) < 1e-15, "{} vs {expected}", g.x);
}

#[test]
fn stable_rule_agrees_with_the_naive_body() {
    let mut rng = rng(3);
    for &n in LENGTHS {
        let x = dvector(&mut rng, n) * 20.0;
        let at = format!("n = {n}");
        let (v, g) = stable_sum_grad(&x);
        let naive: f64 = x.iter().map(|&v| naive_log1pexp(v)).sum();
        assert_value(&at, v, naive);
        let naive_grad = x.map(|v| naive_log1pexp_grad(v).1.x);
        assert_closed(&at, &g.x, &naive_grad);
        assert_fd(&at, stable_sum, &x, &g.x);
    }
}

// ======================================================== two differentiable parameters

/// √(x² + y²) by `f64::hypot`.
#[vjp(hypot_rule)]
fn hypot(x: f64, y: f64) -> f64 {
    x.hypot(y)
}

/// (x̄, ȳ) = ḡ (x, y) / r.
fn hypot_rule(x: &f64, y: &f64, r: &f64, g: &f64) -> (f64, f64) {
    (g * x / r, g * y / r)
}

/// A⁻¹b by an LU solve: a matrix result, two matrix parameters.
#[vjp(solve_rule)]
fn solve(a: &DMatrix<f64>, b: &DVector<f64>) -> DVector<f64> {
    a.clone().lu().solve(b).expect("invertible")
}

/// b̄ = A⁻ᵀ x̄, Ā = −b̄ xᵀ, for x = A⁻¹b.
fn solve_rule(
    a: &DMatrix<f64>,
    _b: &DVector<f64>,
    x: &DVector<f64>,
    g: &DVector<f64>,
) -> (DMatrix<f64>, DVector<f64>) {
    let b_bar = a.transpose().lu().solve(g).expect("invertible");
    let a_bar = -(&b_bar * x.transpose());
    (a_bar, b_bar)
}

#[grad]
fn uses_hypot(s: f64, t: f64) -> f64 {
    hypot(s * t, s + 1.0) * t
}

#[grad]
fn uses_solve(a: &DMatrix<f64>, b: &DVector<f64>, c: &DVector<f64>) -> f64 {
    let x = solve(a, b);
    let y = solve(a, &x);
    x.dot(c) + y.norm_squared()
}

#[test]
fn two_differentiable_parameters() {
    let mut rng = rng(4);
    for _ in 0..5 {
        let (s, t) = (uniform(&mut rng), uniform(&mut rng));
        let at = format!("s = {s}, t = {t}");
        let (v, g) = uses_hypot_grad(s, t);
        assert_value(&at, v, uses_hypot(s, t));
        assert_fd(&at, |s| uses_hypot(*s, t), &s, &g.s);
        assert_fd(&at, |t| uses_hypot(s, *t), &t, &g.t);
    }
    for &n in &[1, 2, 4, 6] {
        let (a, b, c) = (
            well_conditioned(&mut rng, n),
            dvector(&mut rng, n),
            dvector(&mut rng, n),
        );
        let at = format!("n = {n}");
        let (v, g) = uses_solve_grad(&a, &b, &c);
        assert_value(&at, v, uses_solve(&a, &b, &c));
        assert_fd(&at, |a| uses_solve(a, &b, &c), &a, &g.a);
        assert_fd(&at, |b| uses_solve(&a, b, &c), &b, &g.b);
        assert_fd(&at, |c| uses_solve(&a, &b, c), &c, &g.c);
    }
}

// ============================================================ non-differentiable parameters

/// Σᵢ wᵢ xᵢᵖ, by an iterator chain; `p` and the weights are constants.
#[vjp(power_sum_rule)]
fn power_sum(x: &DVector<f64>, p: i32, weights: &[f64]) -> f64 {
    x.iter().zip(weights).map(|(v, w)| w * v.powi(p)).sum()
}

/// x̄ᵢ = ḡ wᵢ p xᵢᵖ⁻¹; the rule still receives every argument.
fn power_sum_rule(x: &DVector<f64>, p: &i32, weights: &[f64], _y: &f64, g: &f64) -> DVector<f64> {
    DVector::from_fn(x.len(), |i, _| {
        g * weights[i] * f64::from(*p) * x[i].powi(*p - 1)
    })
}

/// A rule with a non-differentiable parameter in the middle, and a scalar after it.
#[vjp(shifted_rule)]
fn shifted(x: &DVector<f64>, k: usize, s: f64) -> f64 {
    x.iter().skip(k).sum::<f64>() * s
}

/// (x̄, s̄): x̄ is ḡ s on the entries from k on; s̄ = ḡ Σ_{i≥k} xᵢ.
fn shifted_rule(x: &DVector<f64>, k: &usize, s: &f64, y: &f64, g: &f64) -> (DVector<f64>, f64) {
    let x_bar = DVector::from_fn(x.len(), |i, _| if i >= *k { g * s } else { 0.0 });
    (x_bar, g * y / s)
}

#[grad(x, s)]
fn uses_constants(x: &DVector<f64>, s: f64, p: i32, weights: &[f64]) -> f64 {
    let y = x * s;
    power_sum(&y, p, weights) + shifted(x, 1, s + 2.0)
}

#[test]
fn non_differentiable_parameters() {
    let mut rng = rng(5);
    for &n in &[2, 3, 7] {
        for p in [1, 2, 3] {
            let (x, s) = (dvector(&mut rng, n), uniform(&mut rng));
            let weights: Vec<f64> = (0..n).map(|_| uniform(&mut rng)).collect();
            let at = format!("n = {n}, p = {p}");
            let (v, g) = uses_constants_grad(&x, s, p, &weights);
            assert_value(&at, v, uses_constants(&x, s, p, &weights));
            assert_fd(&at, |x| uses_constants(x, s, p, &weights), &x, &g.x);
            assert_fd(&at, |s| uses_constants(&x, *s, p, &weights), &s, &g.s);
        }
    }
}

// ============================================================================== pullbacks

/// The caller's `_pullback` goes through the rules too.
#[test]
fn pullback_through_rules() {
    let mut rng = rng(6);
    let (a, b, c) = (
        well_conditioned(&mut rng, 3),
        dvector(&mut rng, 3),
        dvector(&mut rng, 3),
    );
    let (v, pullback) = uses_solve_pullback(&a, &b, &c);
    let (v_grad, g) = uses_solve_grad(&a, &b, &c);
    assert_eq!(v, v_grad);
    let scaled = pullback(&0.25);
    assert_closed("a", &scaled.a, &(&g.a * 0.25));
    assert_closed("b", &scaled.b, &(&g.b * 0.25));
    assert_closed("c", &scaled.c, &(&g.c * 0.25));
}

/// x̄ = ḡ·3x², from a rule generic over the float and named with its type argument.
fn cube_rule<T: nalgebra::RealField + Copy>(x: &T, _y: &T, g: &T) -> T {
    *g * (*x * *x + *x * *x + *x * *x)
}

#[vjp(cube_rule<f64>)]
fn cube(x: f64) -> f64 {
    x.powi(3)
}

#[grad]
fn through_cube(x: f64) -> f64 {
    cube(x) * 2.0
}

#[test]
fn a_rule_may_be_named_with_generic_arguments() {
    let (v, g) = through_cube_grad(1.5);
    assert_eq!(v, 2.0 * 1.5f64.powi(3));
    assert!((g.x - 6.0 * 1.5f64.powi(2)).abs() < 1e-12, "{}", g.x);
}
