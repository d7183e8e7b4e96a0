//! `for` loops inside `#[grad]` bodies: loop-carried scalars and matrices, compound
//! assignments, reversed and stepped ranges, nested loops, reading data and columns inside
//! the loop, a loop of 100 000 steps, loops that touch no differentiated value, and loops
//! that run zero times. Every gradient is checked against central finite differences on
//! seeded random inputs of several shapes (and, for the long loop, against a closed form).

// The bodies index on purpose: `&xs[t]` and `x[t]` inside `for t in 0..n` are what is tested.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use matgrad::{grad, tanh};
use nalgebra::{DMatrix, DVector};

/// `m×n` shapes: a scalar-like one, tall, wide, square.
const SHAPES: &[(usize, usize)] = &[(1, 1), (3, 2), (2, 5), (4, 4)];

/// Vector lengths.
const LENGTHS: &[usize] = &[1, 3, 7];

/// Iteration counts, zero included.
const COUNTS: &[usize] = &[0, 1, 2, 5];

/// `n` random vectors of length `m`.
fn dvectors(rng: &mut rand::rngs::StdRng, m: usize, n: usize) -> Vec<DVector<f64>> {
    (0..n).map(|_| dvector(rng, m)).collect()
}

// ============================================================================ carried values

/// xₖ = a·sin xₖ₋₁ + x₀, n times, from x₀ (converging to a fixed point whose derivatives do
/// not vanish, so finite differences stay accurate).
#[grad]
fn scalar_recurrence(a: f64, x0: f64, n: usize) -> f64 {
    let mut x = x0;
    for _ in 0..n {
        x = a * x.sin() + x0;
    }
    x
}

/// A carried scalar: both the rate and the start point get a gradient.
#[test]
fn carried_scalar() {
    let mut rng = rng(1);
    for &n in &[0, 1, 3, 10] {
        for _ in 0..3 {
            let (a, x0) = (uniform(&mut rng), uniform(&mut rng));
            let at = format!("n = {n}, a = {a}, x0 = {x0}");
            let (v, g) = scalar_recurrence_grad(a, x0, n);
            assert_value(&at, v, scalar_recurrence(a, x0, n));
            assert_fd(&at, |a| scalar_recurrence(*a, x0, n), &a, &g.a);
            assert_fd(&at, |x0| scalar_recurrence(a, *x0, n), &x0, &g.x0);
        }
    }
}

/// Mₖ = ½ A Mₖ₋₁ + X, n times, from M₀ = X; then ‖M‖²_F.
#[grad]
fn matrix_recurrence(a: &DMatrix<f64>, x: &DMatrix<f64>, n: usize) -> f64 {
    let mut m = x.clone();
    for _ in 0..n {
        m = a * &m * 0.5 + x;
    }
    m.norm_squared()
}

/// A carried matrix, fed from a differentiated parameter on every iteration.
#[test]
fn carried_matrix() {
    let mut rng = rng(2);
    for &(r, c) in SHAPES {
        for &n in COUNTS {
            let (a, x) = (dmatrix(&mut rng, r, r), dmatrix(&mut rng, r, c));
            let at = format!("{r}×{c}, n = {n}");
            let (v, g) = matrix_recurrence_grad(&a, &x, n);
            assert_value(&at, v, matrix_recurrence(&a, &x, n));
            assert_fd(&at, |a| matrix_recurrence(a, &x, n), &a, &g.a);
            assert_fd(&at, |x| matrix_recurrence(&a, x, n), &x, &g.x);
        }
    }
}

/// Several carried values, updated with `+=`, `-=`, `*=` and `/=`.
#[grad(x, s)]
fn compound_updates(x: &DVector<f64>, s: f64, n: usize) -> f64 {
    let mut acc = 0.0;
    let mut v = x.clone();
    let mut p = 1.0;
    let mut q = s;
    for _ in 0..n {
        acc += v.dot(x);
        v -= x * s;
        p *= s + 1.5;
        v *= 0.9;
        q /= 2.0 + x.norm_squared();
        acc -= q * p;
    }
    acc + p * v.sum() + q
}

#[test]
fn compound_assignments() {
    let mut rng = rng(3);
    for &m in LENGTHS {
        for &n in COUNTS {
            let (x, s) = (dvector(&mut rng, m), uniform(&mut rng));
            let at = format!("m = {m}, n = {n}, s = {s}");
            let (v, g) = compound_updates_grad(&x, s, n);
            assert_value(&at, v, compound_updates(&x, s, n));
            assert_fd(&at, |x| compound_updates(x, s, n), &x, &g.x);
            assert_fd(&at, |s| compound_updates(&x, *s, n), &s, &g.s);
        }
    }
}

// ================================================================== ranges and iterators

/// hₜ = tanh(W hₜ₊₁ + xₜ) for t = T−1 down to 0: the order matters, as W does not commute
/// with the data.
#[grad(w, h)]
fn reversed(w: &DMatrix<f64>, h: &DVector<f64>, xs: &[DVector<f64>]) -> f64 {
    let mut state = h.clone();
    for t in (0..xs.len()).rev() {
        state = tanh(&(w * &state + &xs[t]));
    }
    state.dot(&xs[0])
}

/// The same recurrence over the data reversed by hand, in a forward loop.
fn reversed_by_hand(w: &DMatrix<f64>, h: &DVector<f64>, xs: &[DVector<f64>]) -> f64 {
    let mut state = h.clone();
    for x in xs.iter().rev() {
        state = (w * &state + x).map(f64::tanh);
    }
    state.dot(&xs[0])
}

#[test]
fn reversed_range() {
    let mut rng = rng(4);
    for &m in LENGTHS {
        for &n in &[1, 2, 6] {
            let (w, h, xs) = (
                dmatrix(&mut rng, m, m),
                dvector(&mut rng, m),
                dvectors(&mut rng, m, n),
            );
            let at = format!("m = {m}, n = {n}");
            let (v, g) = reversed_grad(&w, &h, &xs);
            assert_value(&at, v, reversed_by_hand(&w, &h, &xs));
            assert_fd(&at, |w| reversed(w, &h, &xs), &w, &g.w);
            assert_fd(&at, |h| reversed(&w, h, &xs), &h, &g.h);
        }
    }
}

/// s ← c·s + x[t] over every `step`-th entry of x from the first, and once more over
/// every third entry of x from the second, backwards.
#[grad(x, c)]
fn stepped(x: &DVector<f64>, c: f64, step: usize) -> f64 {
    let mut s = 0.0;
    for t in (0..x.len()).step_by(step) {
        s = c * s + x[t] * x[t];
    }
    for t in (1..x.len()).step_by(3).rev() {
        s = s * x[t] + c;
    }
    s
}

#[test]
fn step_by() {
    let mut rng = rng(5);
    for &m in &[1, 2, 5, 8] {
        for step in 1..4 {
            let (x, c) = (dvector(&mut rng, m), uniform(&mut rng));
            let at = format!("m = {m}, step = {step}");
            let (v, g) = stepped_grad(&x, c, step);
            assert_value(&at, v, stepped(&x, c, step));
            assert_fd(&at, |x| stepped(x, c, step), &x, &g.x);
            assert_fd(&at, |c| stepped(&x, *c, step), &c, &g.c);
            // Entries no iteration reads have a zero gradient.
            for i in 0..m {
                let read = i % step == 0 || (i >= 1 && (i - 1) % 3 == 0);
                if !read {
                    assert_eq!(g.x[i], 0.0, "{at}: entry {i} is never read");
                }
            }
        }
    }
}

/// Σᵢ Σⱼ≤ᵢ aᵢⱼ xᵢ xⱼ (the lower triangle's quadratic form), the inner range depending on
/// the outer index; and a state carried through both loops.
#[grad]
fn triangular(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let mut s = 0.0;
    let mut h = x.clone();
    for i in 0..x.len() {
        for j in 0..=i {
            s += a[(i, j)] * x[i] * x[j];
            h = tanh(&(a * &h)) + x * 0.25;
        }
        h = h.component_mul(x);
        s += h.sum();
    }
    s
}

/// The lower-triangular quadratic form alone, computed without the macro.
fn lower_form(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    (0..x.len())
        .map(|i| (0..=i).map(|j| a[(i, j)] * x[i] * x[j]).sum::<f64>())
        .sum()
}

#[grad]
fn triangular_only(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        for j in 0..=i {
            s += a[(i, j)] * x[i] * x[j];
        }
    }
    s
}

#[test]
fn nested_loops() {
    let mut rng = rng(6);
    for &n in &[1, 2, 4] {
        let (a, x) = (dmatrix(&mut rng, n, n), dvector(&mut rng, n));
        let at = format!("n = {n}");
        let (v, g) = triangular_grad(&a, &x);
        assert_value(&at, v, triangular(&a, &x));
        assert_fd(&at, |a| triangular(a, &x), &a, &g.a);
        assert_fd(&at, |x| triangular(&a, x), &x, &g.x);

        let (v, g) = triangular_only_grad(&a, &x);
        assert_value(&at, v, lower_form(&a, &x));
        // ∂/∂aᵢⱼ = xᵢxⱼ on and below the diagonal, zero above it.
        let closed = DMatrix::from_fn(n, n, |i, j| if j <= i { x[i] * x[j] } else { 0.0 });
        assert_closed(&at, &g.a, &closed);
        assert_fd(&at, |x| triangular_only(&a, x), &x, &g.x);
    }
}

// ======================================================================== data in the loop

/// Σₜ (w·xₜ)² + Σₜ t·(w·xₜ) over a slice of data vectors, by index and by `enumerate`.
#[grad(w)]
fn data_by_index(w: &DVector<f64>, xs: &[DVector<f64>]) -> f64 {
    let mut l = 0.0;
    for t in 0..xs.len() {
        l += w.dot(&xs[t]).powi(2);
    }
    for (t, x) in xs.iter().enumerate() {
        l += w.dot(x) * (t as f64);
    }
    l
}

#[test]
fn reading_data() {
    let mut rng = rng(7);
    for &m in LENGTHS {
        for &n in COUNTS {
            let (w, xs) = (dvector(&mut rng, m), dvectors(&mut rng, m, n));
            let at = format!("m = {m}, n = {n}");
            let (v, g) = data_by_index_grad(&w, &xs);
            assert_value(&at, v, data_by_index(&w, &xs));
            // ∇ = Σₜ (2 w·xₜ + t) xₜ
            let closed = xs
                .iter()
                .enumerate()
                .fold(DVector::zeros(m), |acc, (t, x)| {
                    acc + x * (2.0 * w.dot(x) + t as f64)
                });
            assert_closed(&at, &g.w, &closed);
            assert_fd(&at, |w| data_by_index(w, &xs), &w, &g.w);
        }
    }
}

/// A state driven by the columns of a differentiated matrix, and a sum over its rows: the
/// cotangents of `x.column(t)` and `x.row(t)` are scattered back into x.
#[grad(x, v)]
fn columns_and_rows(x: &DMatrix<f64>, v: &DVector<f64>) -> f64 {
    let mut h = v.clone();
    let mut s = 0.0;
    for t in 0..x.ncols() {
        h = tanh(&(h.component_mul(&x.column(t)) + x.column(t)));
        s += x.column(t).dot(v) * (t as f64 + 1.0);
    }
    for i in 0..x.nrows() {
        s += x.row(i).norm_squared() * h[i];
    }
    s + h.sum()
}

#[test]
fn columns_of_a_differentiated_matrix() {
    let mut rng = rng(8);
    for &(r, c) in SHAPES {
        let (x, v) = (dmatrix(&mut rng, r, c), dvector(&mut rng, r));
        let at = format!("{r}×{c}");
        let (val, g) = columns_and_rows_grad(&x, &v);
        assert_value(&at, val, columns_and_rows(&x, &v));
        assert_fd(&at, |x| columns_and_rows(x, &v), &x, &g.x);
        assert_fd(&at, |v| columns_and_rows(&x, v), &v, &g.v);
    }
}

/// Data columns (not differentiated) read inside the loop.
///
/// Written `data.column(t).into_owned()`: a bare `data.column(t)` of a matrix that is not
/// differentiated stays a nalgebra view, which the runtime's `mul`, `dot`, `+` and
/// `component_mul` do not accept (bug: it does not compile).
#[grad(w)]
fn data_columns(w: &DMatrix<f64>, data: &DMatrix<f64>) -> f64 {
    let mut l = 0.0;
    for t in 0..data.ncols() {
        let r = w * data.column(t).into_owned();
        l += r.norm_squared();
    }
    l
}

#[test]
fn columns_of_data() {
    let mut rng = rng(9);
    for &(r, c) in SHAPES {
        let (w, data) = (dmatrix(&mut rng, 2, r), dmatrix(&mut rng, r, c));
        let at = format!("{r}×{c}");
        let (v, g) = data_columns_grad(&w, &data);
        assert_value(&at, v, data_columns(&w, &data));
        // ‖WD‖²_F has gradient 2WDDᵀ.
        assert_closed(&at, &g.w, &(2.0 * &w * &data * data.transpose()));
        assert_fd(&at, |w| data_columns(w, &data), &w, &g.w);
    }
}

// ============================================================================== long loops

/// hₜ = a·hₜ₋₁ + c, `steps` times from h₀.
#[grad]
fn linear_recurrence(a: f64, c: f64, h0: f64, steps: usize) -> f64 {
    let mut h = h0;
    for _ in 0..steps {
        h = a * h + c;
    }
    h
}

/// 100 000 iterations: the tape must live on the heap, not the stack. h_T = aᵀh₀ +
/// c·Σₖ₌₀ᵀ⁻¹ aᵏ, so ∂h_T/∂a = T aᵀ⁻¹ h₀ + c·Σₖ₌₁ᵀ⁻¹ k aᵏ⁻¹, ∂h_T/∂c = Σₖ₌₀ᵀ⁻¹ aᵏ and
/// ∂h_T/∂h₀ = aᵀ.
#[test]
fn hundred_thousand_steps_scalar() {
    const T: usize = 100_000;
    for (a, c, h0) in [(0.99999, 0.3, -1.5), (1.0 - 2e-5, -0.7, 2.0)] {
        let (v, g) = linear_recurrence_grad(a, c, h0, T);
        assert_value("T = 100 000", v, linear_recurrence(a, c, h0, T));
        let (mut da, mut dc, mut power) = (0.0, 0.0, 1.0); // power = aᵏ
        for k in 0..T {
            dc += power;
            if k + 1 < T {
                da += c * (k + 1) as f64 * power; // c·(k+1)·aᵏ
            }
            power *= a;
        }
        da += T as f64 * h0 * power / a;
        assert!(
            rel_error(&g.a, &da) < 1e-9,
            "∂/∂a = {}, closed form {da}",
            g.a
        );
        assert!(
            rel_error(&g.c, &dc) < 1e-9,
            "∂/∂c = {}, closed form {dc}",
            g.c
        );
        assert!(
            rel_error(&g.h0, &power) < 1e-9,
            "∂/∂h0 = {}, closed form {power}",
            g.h0
        );
        assert_fd("T = 100 000", |c| linear_recurrence(a, *c, h0, T), &c, &g.c);
    }
}

/// hₜ = tanh(W hₜ₋₁ + x), a small vector state, `steps` times.
#[grad(w, x)]
fn vector_recurrence(w: &DMatrix<f64>, x: &DVector<f64>, steps: usize) -> f64 {
    let mut h = x.clone();
    for _ in 0..steps {
        h = tanh(&(w * &h + x));
    }
    h.sum()
}

#[test]
fn hundred_thousand_steps_vector() {
    const T: usize = 100_000;
    let mut rng = rng(10);
    let w = dmatrix(&mut rng, 2, 2) * 0.5;
    let x = dvector(&mut rng, 2);
    let (v, g) = vector_recurrence_grad(&w, &x, T);
    assert_value("T = 100 000", v, vector_recurrence(&w, &x, T));
    assert!(g.w.iter().chain(g.x.iter()).all(|e| e.is_finite()));
    assert_fd("T = 100 000", |w| vector_recurrence(w, &x, T), &w, &g.w);
    assert_fd("T = 100 000", |x| vector_recurrence(&w, x, T), &x, &g.x);
}

// ====================================================================== inactive loops

/// Loops that never touch a differentiated value: a weighted sum of data, a counter, a
/// running maximum; their results scale a differentiated value afterwards.
///
/// The counter is written `count = count + 1`: `count += 1` on an integer does not compile
/// (bug: a compound assignment is always lowered to the runtime's `add`, which takes only
/// floats and matrices), nor does `seen.push(..)` on a `let mut seen = Vec::new()` (bug: the
/// `mut` of a non-differentiated `let` is dropped).
#[allow(clippy::assign_op_pattern)]
#[grad(x)]
fn inactive_loops(x: &DVector<f64>, data: &[f64]) -> f64 {
    let mut k = 0.0;
    for t in 0..data.len() {
        k += data[t] * (t as f64 + 1.0);
    }
    let mut count = 0;
    for _ in data.iter() {
        count = count + 1;
    }
    let mut largest = 0.0_f64;
    for d in data.iter() {
        largest = largest.max(d.abs());
    }
    x.norm_squared() * k + x.sum() * (count as f64) + x[0] * largest
}

#[test]
fn loops_without_differentiated_values() {
    let mut rng = rng(11);
    for &m in LENGTHS {
        for &n in COUNTS {
            let x = dvector(&mut rng, m);
            let data: Vec<f64> = (0..n).map(|_| uniform(&mut rng)).collect();
            let at = format!("m = {m}, n = {n}");
            let (v, g) = inactive_loops_grad(&x, &data);
            assert_value(&at, v, inactive_loops(&x, &data));
            let k: f64 = data
                .iter()
                .enumerate()
                .map(|(t, d)| d * (t + 1) as f64)
                .sum();
            let largest = data.iter().fold(0.0_f64, |m, d| m.max(d.abs()));
            let mut closed = 2.0 * k * &x + DVector::repeat(m, n as f64);
            closed[0] += largest;
            assert_closed(&at, &g.x, &closed);
            assert_fd(&at, |x| inactive_loops(x, &data), &x, &g.x);
        }
    }
}

// ===================================================================== zero iterations

/// With `n = 0` the loop does nothing: the value is 2·Σx and the gradient 2 everywhere.
#[grad]
fn maybe_empty(x: &DVector<f64>, n: usize) -> f64 {
    let mut h = x * 2.0;
    for _ in 0..n {
        h = h.component_mul(x);
    }
    for _ in n..n {
        h *= 100.0;
    }
    h.sum()
}

#[test]
fn zero_iterations() {
    let mut rng = rng(12);
    for &m in LENGTHS {
        let x = dvector(&mut rng, m);
        let (v, g) = maybe_empty_grad(&x, 0);
        assert_value("n = 0", v, 2.0 * x.sum());
        assert_closed("n = 0", &g.x, &DVector::repeat(m, 2.0));
        for n in 1..4 {
            let at = format!("m = {m}, n = {n}");
            let (v, g) = maybe_empty_grad(&x, n);
            assert_value(&at, v, maybe_empty(&x, n));
            assert_fd(&at, |x| maybe_empty(x, n), &x, &g.x);
        }
    }
    // An empty slice of data.
    let w = dvector(&mut rng, 3);
    let (v, g) = data_by_index_grad(&w, &[]);
    assert_eq!(v, 0.0);
    assert_eq!(g.w, DVector::zeros(3));
}

// ============================================================================ pullbacks

/// The `_pullback` of a loop scales with the cotangent.
#[test]
fn loop_pullback_scales() {
    let mut rng = rng(13);
    let (a, x) = (dmatrix(&mut rng, 3, 3), dmatrix(&mut rng, 3, 2));
    let (v, pullback) = matrix_recurrence_pullback(&a, &x, 4);
    let (v_grad, g) = matrix_recurrence_grad(&a, &x, 4);
    assert_eq!(v, v_grad);
    let scaled = pullback(&-2.5);
    assert_closed("pullback a", &scaled.a, &(&g.a * -2.5));
    assert_closed("pullback x", &scaled.x, &(&g.x * -2.5));
    // Called again, it gives the same.
    assert_eq!(pullback(&1.0), g);
}

/// A carried variable reassigned and changed after its loop: the loop's reverse sweep reads
/// the last iteration's value from the binding after the loop (the tape does not keep it
/// twice), which later statements must not have changed.
#[grad(w)]
fn changed_after_the_loop(w: &DMatrix<f64>, x: &DVector<f64>, n: usize) -> f64 {
    let mut h = x.clone();
    for _ in 0..n {
        h = tanh(&(w * &h));
    }
    let s = h.norm_squared();
    h *= 2.0;
    h = &h * 3.0 + x;
    h.sum() + s
}

#[test]
fn a_carried_variable_changed_after_its_loop() {
    let mut g = rng(31);
    for (d, n) in [(1, 1), (3, 4), (2, 7)] {
        let (w, x) = (dmatrix(&mut g, d, d), dvector(&mut g, d));
        let (v, gr) = changed_after_the_loop_grad(&w, &x, n);
        assert_value("value", v, changed_after_the_loop(&w, &x, n));
        assert_fd("∂w", |w| changed_after_the_loop(w, &x, n), &w, &gr.w);
    }
}
