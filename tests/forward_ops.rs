//! Forward mode (`#[grad(.., forward)]`), operation by operation: for each operation with a
//! tangent rule, a scalar function of it (its value read through fixed weights w as
//! ⟨w, y⟩ + ½⟨w, y ⊙ y⟩, so every entry of y matters and the Hessian is not zero), every
//! operand differentiated, on random inputs of several shapes, held to the checks of
//! `forward_support::check_scalar`: J·v against finite differences and against ⟨∇f, v⟩,
//! H·v against finite differences of the gradient, the Hessian symmetric and made of HVPs.

#[macro_use]
mod forward_support;

use forward_support::*;
use matgrad::{grad, Broadcast};
use nalgebra::{stack, DMatrix, DVector, Dyn, Matrix1, Matrix2, OMatrix, RowDVector, U2};
use rand::{rngs::StdRng, seq::SliceRandom, Rng};

/// `op! { name(matrix: Type, ..; float, ..) -> Output { body } sample |g, r, c| Params }`:
/// a module `name` with the function `f` (every parameter differentiated, matrices by
/// reference, floats by value), its parameters as a struct `P`, and a test `forward` that
/// checks its companions at a sample of each shape of `SHAPES`.
macro_rules! op {
    ($(#[$m:meta])* $name:ident($($p:ident: $pt:ty),*; $($s:ident),*) -> f64 $body:block
     sample |$g:ident, $r:ident, $c:ident| $sample:expr) => {
        op!(@module $(#[$m])* $name($($p: $pt),*; $($s),*) $sample, $g, $r, $c, {
            let y: f64 = $body;
            0.7 * y + 0.5 * y * y
        });
    };
    ($(#[$m:meta])* $name:ident($($p:ident: $pt:ty),*; $($s:ident),*) -> $yt:ty $body:block
     sample |$g:ident, $r:ident, $c:ident| $sample:expr) => {
        op!(@module $(#[$m])* $name($($p: $pt),*; $($s),*) $sample, $g, $r, $c, {
            let y: $yt = $body;
            let w: $yt = weights(y.nrows(), y.ncols());
            y.dot(&w) + 0.5 * y.component_mul(&y).dot(&w)
        });
    };
    (@module $(#[$m:meta])* $name:ident($($p:ident: $pt:ty),*; $($s:ident),*)
     $sample:expr, $g:ident, $r:ident, $c:ident, $readout:block) => {
        #[allow(clippy::toplevel_ref_arg, unused_imports)]
        mod $name {
            use super::*;

            params!(P { $($p: $pt,)* $($s: f64,)* });

            #[grad(forward)]
            pub fn f($($p: &$pt,)* $($s: f64,)*) -> f64 $readout

            fn flat_grad(g: FGrad) -> DVector<f64> {
                P { $($p: g.$p,)* $($s: g.$s,)* }.flat()
            }

            $(#[$m])*
            #[test]
            fn forward() {
                let name = stringify!($name);
                let mut g = rng(name.bytes().map(u64::from).sum());
                let mut worst = Worst::default();
                for &($r, $c) in SHAPES {
                    let x: P = {
                        let $g: &mut StdRng = &mut g;
                        $sample
                    };
                    let what = format!("{name} at {}x{} ({x:?})", $r, $c);
                    let fns = Scalar {
                        f: &|a: &P| f($(&a.$p,)* $(a.$s,)*),
                        grad: &|a: &P| {
                            let (v, gr) = f_grad($(&a.$p,)* $(a.$s,)*);
                            (v, flat_grad(gr))
                        },
                        jvp: &|a: &P, d: &P| f_jvp($(&a.$p,)* $(a.$s,)* $(&d.$p,)* $(&d.$s,)*),
                        hvp: &|a: &P, d: &P| {
                            let (v, gr, hv) = f_hvp($(&a.$p,)* $(a.$s,)* $(&d.$p,)* $(&d.$s,)*);
                            (v, flat_grad(gr), flat_grad(hv))
                        },
                        hessian: &|a: &P| {
                            let (v, gr, h) = f_hessian($(&a.$p,)* $(a.$s,)*);
                            (v, flat_grad(gr), h)
                        },
                    };
                    check_scalar(&what, &x, &fns, &mut g, &mut worst);
                }
                worst.print(name);
            }
        }
    };
}

/// A random row of length `n`.
fn row(g: &mut StdRng, n: usize) -> RowDVector<f64> {
    RowDVector::from_fn(n, |_, _| uniform(g))
}

/// A random number in `[lo, hi)` with a random sign.
fn signed(g: &mut StdRng, lo: f64, hi: f64) -> f64 {
    let m = g.random_range(lo..hi);
    if g.random_bool(0.5) {
        m
    } else {
        -m
    }
}

/// An `r×c` matrix with entries of random sign, magnitudes in `[lo, hi)`: away from zero.
fn away(g: &mut StdRng, r: usize, c: usize, lo: f64, hi: f64) -> DMatrix<f64> {
    DMatrix::from_fn(r, c, |_, _| signed(g, lo, hi))
}

/// An `r×c` matrix whose entries' magnitudes (and so values) are at least `0.5/rc` apart,
/// none below 0.1: the largest and smallest (absolute) entries are far from ties, more than
/// the finite-difference steps move them.
fn distinct(g: &mut StdRng, r: usize, c: usize) -> DMatrix<f64> {
    let n = r * c;
    let mut levels: Vec<usize> = (0..n).collect();
    levels.shuffle(g);
    DMatrix::from_fn(r, c, |i, j| {
        let m = 0.1 + (levels[i + j * r] as f64 + 0.5 + g.random_range(-0.2..0.2)) / n as f64;
        if g.random_bool(0.5) {
            m
        } else {
            -m
        }
    })
}

// ============================================================ sums, differences, scalings

op! { add(a: DMatrix<f64>, b: DMatrix<f64>;) -> DMatrix<f64> { a + b }
sample |g, r, c| P { a: mat(g, r, c), b: mat(g, r, c) } }
op! { sub(a: DMatrix<f64>, b: DMatrix<f64>;) -> DMatrix<f64> { a - b }
sample |g, r, c| P { a: mat(g, r, c), b: mat(g, r, c) } }
op! { neg(a: DMatrix<f64>;) -> DMatrix<f64> { -a }
sample |g, r, c| P { a: mat(g, r, c) } }
op! { compound(a: DMatrix<f64>, b: DMatrix<f64>; t) -> DMatrix<f64> {
    let mut s = a.clone();
    s += b;
    s -= a * t;
    s *= t;
    s /= t * t + 1.0;
    s
}
sample |g, r, c| P { a: mat(g, r, c), b: mat(g, r, c), t: uniform(g) } }
op! { scalar_times(a: DMatrix<f64>; t, u) -> DMatrix<f64> { t * a + a * (t * u) - a / u }
sample |g, r, c| P { a: mat(g, r, c), t: uniform(g), u: signed(g, 0.5, 2.0) } }
op! { div_scalar(a: DMatrix<f64>; t) -> DMatrix<f64> { a / t }
sample |g, r, c| P { a: mat(g, r, c), t: signed(g, 0.5, 2.0) } }
op! { scale(a: DMatrix<f64>; t) -> DMatrix<f64> { a.scale(t) }
sample |g, r, c| P { a: mat(g, r, c), t: uniform(g) } }
op! { add_scalar(a: DMatrix<f64>; t) -> DMatrix<f64> { a.add_scalar(t) }
sample |g, r, c| P { a: mat(g, r, c), t: uniform(g) } }
op! { clone(a: DMatrix<f64>;) -> DMatrix<f64> {
    let b = a.clone();
    let d = a.clone_owned();
    b.component_mul(&d) + a.view((0, 0), (a.nrows(), a.ncols())).into_owned()
}
sample |g, r, c| P { a: mat(g, r, c) } }

// ================================================================================ products

op! { mul_matrix(a: DMatrix<f64>, b: DMatrix<f64>;) -> DMatrix<f64> { a * b }
sample |g, r, c| P { a: mat(g, r, c), b: mat(g, c, 3) } }
op! { mul_vector(a: DMatrix<f64>, v: DVector<f64>;) -> DVector<f64> { a * v }
sample |g, r, c| P { a: mat(g, r, c), v: vec(g, c) } }
op! { row_times_column(u: RowDVector<f64>, v: DVector<f64>;) -> Matrix1<f64> { u * v }
sample |g, r, c| P { u: row(g, r * c), v: vec(g, r * c) } }
op! { tr_mul(a: DMatrix<f64>, b: DMatrix<f64>;) -> DMatrix<f64> { a.tr_mul(b) }
sample |g, r, c| P { a: mat(g, r + 1, r), b: mat(g, r + 1, c) } }
op! { transpose_times(a: DMatrix<f64>, b: DMatrix<f64>;) -> DMatrix<f64> { a.transpose() * b }
sample |g, r, c| P { a: mat(g, r + 1, r), b: mat(g, r + 1, c) } }
op! { times_transpose(a: DMatrix<f64>, b: DMatrix<f64>;) -> DMatrix<f64> { a * b.transpose() }
sample |g, r, c| P { a: mat(g, r, c), b: mat(g, 3, c) } }
op! { kronecker(a: DMatrix<f64>, b: DMatrix<f64>;) -> DMatrix<f64> { a.kronecker(b) }
sample |g, r, c| P { a: mat(g, r, c), b: mat(g, 2, 3) } }
op! { dot(a: DMatrix<f64>, b: DMatrix<f64>;) -> f64 { a.dot(b) }
sample |g, r, c| P { a: mat(g, r, c), b: mat(g, r, c) } }
op! { component_mul(a: DMatrix<f64>, b: DMatrix<f64>;) -> DMatrix<f64> { a.component_mul(b) }
sample |g, r, c| P { a: mat(g, r, c), b: mat(g, r, c) } }
op! { component_div(a: DMatrix<f64>, b: DMatrix<f64>;) -> DMatrix<f64> { a.component_div(b) }
sample |g, r, c| P { a: mat(g, r, c), b: away(g, r, c, 0.5, 1.5) } }

// ============================================================================ broadcasting

op! { broadcast_add_row(x: DMatrix<f64>, u: RowDVector<f64>;) -> DMatrix<f64> { x.broadcast_add(u) }
sample |g, r, c| P { x: mat(g, r, c), u: row(g, c) } }
op! { broadcast_add_column(x: DMatrix<f64>, v: DVector<f64>;) -> DMatrix<f64> { x.broadcast_add(v) }
sample |g, r, c| P { x: mat(g, r, c), v: vec(g, r) } }
op! { broadcast_sub_row(x: DMatrix<f64>, u: RowDVector<f64>;) -> DMatrix<f64> { x.broadcast_sub(u) }
sample |g, r, c| P { x: mat(g, r, c), u: row(g, c) } }
op! { broadcast_sub_column(x: DMatrix<f64>, v: DVector<f64>;) -> DMatrix<f64> { x.broadcast_sub(v) }
sample |g, r, c| P { x: mat(g, r, c), v: vec(g, r) } }
op! { broadcast_mul_row(x: DMatrix<f64>, u: RowDVector<f64>;) -> DMatrix<f64> { x.broadcast_mul(u) }
sample |g, r, c| P { x: mat(g, r, c), u: row(g, c) } }
op! { broadcast_mul_column(x: DMatrix<f64>, v: DVector<f64>;) -> DMatrix<f64> { x.broadcast_mul(v) }
sample |g, r, c| P { x: mat(g, r, c), v: vec(g, r) } }
op! { broadcast_div_row(x: DMatrix<f64>, u: RowDVector<f64>;) -> DMatrix<f64> { x.broadcast_div(u) }
sample |g, r, c| P { x: mat(g, r, c), u: away(g, 1, c, 0.5, 1.5).row(0).into_owned() } }
op! { broadcast_div_column(x: DMatrix<f64>, v: DVector<f64>;) -> DMatrix<f64> { x.broadcast_div(v) }
sample |g, r, c| P { x: mat(g, r, c), v: away(g, r, 1, 0.5, 1.5).column(0).into_owned() } }

// ================================================================ reductions and statistics

op! { transpose(a: DMatrix<f64>;) -> DMatrix<f64> { a.transpose() }
sample |g, r, c| P { a: mat(g, r, c) } }
op! { sum(a: DMatrix<f64>;) -> f64 { a.sum() }
sample |g, r, c| P { a: mat(g, r, c) } }
op! { norm_squared(a: DMatrix<f64>;) -> f64 { a.norm_squared() }
sample |g, r, c| P { a: mat(g, r, c) } }
op! { norm(a: DMatrix<f64>;) -> f64 { a.norm() }
sample |g, r, c| P { a: mat(g, r, c) } }
op! { trace(a: DMatrix<f64>;) -> f64 { a.trace() }
sample |g, r, c| P { a: mat(g, r.max(c), r.max(c)) } }
op! { mean(a: DMatrix<f64>;) -> f64 { a.mean() }
sample |g, r, c| P { a: mat(g, r, c) } }
op! { variance(a: DMatrix<f64>;) -> f64 { a.variance() }
sample |g, r, c| P { a: mat(g, r, c) } }
op! { row_sum(a: DMatrix<f64>;) -> RowDVector<f64> { a.row_sum() }
sample |g, r, c| P { a: mat(g, r, c) } }
op! { column_sum(a: DMatrix<f64>;) -> DVector<f64> { a.column_sum() }
sample |g, r, c| P { a: mat(g, r, c) } }
op! { row_sum_tr(a: DMatrix<f64>;) -> DVector<f64> { a.row_sum_tr() }
sample |g, r, c| P { a: mat(g, r, c) } }
op! { row_mean(a: DMatrix<f64>;) -> RowDVector<f64> { a.row_mean() }
sample |g, r, c| P { a: mat(g, r, c) } }
op! { column_mean(a: DMatrix<f64>;) -> DVector<f64> { a.column_mean() }
sample |g, r, c| P { a: mat(g, r, c) } }
op! { row_mean_tr(a: DMatrix<f64>;) -> DVector<f64> { a.row_mean_tr() }
sample |g, r, c| P { a: mat(g, r, c) } }
op! { row_variance(a: DMatrix<f64>;) -> RowDVector<f64> { a.row_variance() }
sample |g, r, c| P { a: mat(g, r + 1, c) } }
op! { column_variance(a: DMatrix<f64>;) -> DVector<f64> { a.column_variance() }
sample |g, r, c| P { a: mat(g, r, c + 1) } }
op! { row_variance_tr(a: DMatrix<f64>;) -> DVector<f64> { a.row_variance_tr() }
sample |g, r, c| P { a: mat(g, r + 1, c) } }
op! { max_entry(a: DMatrix<f64>;) -> f64 { a.max() }
sample |g, r, c| P { a: distinct(g, r, c) } }
op! { min_entry(a: DMatrix<f64>;) -> f64 { a.min() }
sample |g, r, c| P { a: distinct(g, r, c) } }
op! { amax(a: DMatrix<f64>;) -> f64 { a.amax() }
sample |g, r, c| P { a: distinct(g, r, c) } }
op! { amin(a: DMatrix<f64>;) -> f64 { a.amin() }
sample |g, r, c| P { a: distinct(g, r, c) } }
op! { abs_entries(a: DMatrix<f64>;) -> DMatrix<f64> { a.abs() }
sample |g, r, c| P { a: away(g, r, c, 0.1, 1.0) } }

// ======================================================================= blocks and assembly

op! { index(a: DMatrix<f64>;) -> f64 {
    a[(a.nrows() - 1, 0)] * a[(0, a.ncols() - 1)] + a[(0, 0)]
}
sample |g, r, c| P { a: mat(g, r, c) } }
op! { index_vector(v: DVector<f64>;) -> f64 { v[0] * v[v.len() - 1] + v[v.len() / 2] }
sample |g, r, c| P { v: vec(g, r * c) } }
op! { column(a: DMatrix<f64>;) -> DVector<f64> { a.column(a.ncols() - 1) * 2.0 + a.column(0) }
sample |g, r, c| P { a: mat(g, r, c) } }
op! { row(a: DMatrix<f64>;) -> RowDVector<f64> { a.row(0) - a.row(a.nrows() - 1) * 3.0 }
sample |g, r, c| P { a: mat(g, r, c) } }
op! { rows(a: DMatrix<f64>;) -> DMatrix<f64> { a.rows(a.nrows() / 2, a.nrows() - a.nrows() / 2).into_owned() }
sample |g, r, c| P { a: mat(g, r, c) } }
op! { columns(a: DMatrix<f64>;) -> DMatrix<f64> { a.columns(a.ncols() / 2, a.ncols() - a.ncols() / 2).into_owned() }
sample |g, r, c| P { a: mat(g, r, c) } }
op! { view(a: DMatrix<f64>;) -> DMatrix<f64> { a.view((1, 1), (a.nrows() - 1, a.ncols() - 1)).into_owned() }
sample |g, r, c| P { a: mat(g, r + 1, c + 1) } }
op! { fixed_rows(a: DMatrix<f64>;) -> OMatrix<f64, U2, Dyn> { a.fixed_rows::<2>(a.nrows() - 2).into_owned() }
sample |g, r, c| P { a: mat(g, r + 1, c) } }
op! { fixed_columns(a: DMatrix<f64>;) -> OMatrix<f64, Dyn, U2> { a.fixed_columns::<2>(0).into_owned() }
sample |g, r, c| P { a: mat(g, r, c + 1) } }
op! { fixed_view(a: DMatrix<f64>;) -> Matrix2<f64> { a.fixed_view::<2, 2>(0, a.ncols() - 2).into_owned() }
sample |g, r, c| P { a: mat(g, r + 1, c + 1) } }
op! { diagonal(a: DMatrix<f64>;) -> DVector<f64> { a.diagonal() }
sample |g, r, c| P { a: mat(g, r + c, r + c) } }
op! { from_diagonal(v: DVector<f64>;) -> DMatrix<f64> { DMatrix::from_diagonal(v) + v * v.transpose() }
sample |g, r, c| P { v: vec(g, r * c) } }
op! { from_columns(u: DVector<f64>, v: DVector<f64>;) -> DMatrix<f64> {
    DMatrix::from_columns(&[u.clone(), v * 2.0, u.component_mul(v)])
}
sample |g, r, c| P { u: vec(g, r + c), v: vec(g, r + c) } }
op! { from_rows(u: RowDVector<f64>, v: RowDVector<f64>;) -> DMatrix<f64> {
    DMatrix::from_rows(&[u.clone(), u + v])
}
sample |g, r, c| P { u: row(g, r * c), v: row(g, r * c) } }
op! { stack(a: DMatrix<f64>, b: DMatrix<f64>, d: DMatrix<f64>;) -> DMatrix<f64> {
    stack![a, b; d, DMatrix::zeros(2, 2)]
}
sample |g, r, c| P { a: mat(g, r, c), b: mat(g, r, 2), d: mat(g, 2, c) } }

// ========================================================================= float functions
// y = f(a)·b (or f(a, b)), a and b floats, both differentiated; `SHAPES` only repeats the draw.

op! { scalar_arithmetic(; a, b) -> f64 { a * b - a / b + -a * a + (a - b) / (a + 3.0) }
sample |g, _r, _c| P { a: uniform(g), b: signed(g, 0.5, 2.0) } }
op! { sqrt(; a, b) -> f64 { a.sqrt() * b }
sample |g, _r, _c| P { a: g.random_range(0.5..2.0), b: uniform(g) } }
op! { ln(; a, b) -> f64 { a.ln() * b }
sample |g, _r, _c| P { a: g.random_range(0.5..2.0), b: uniform(g) } }
op! { sin(; a, b) -> f64 { a.sin() * b }
sample |g, _r, _c| P { a: 2.0 * uniform(g), b: uniform(g) } }
op! { cos(; a, b) -> f64 { a.cos() * b }
sample |g, _r, _c| P { a: 2.0 * uniform(g), b: uniform(g) } }
op! { ln_1p(; a, b) -> f64 { a.ln_1p() * b }
sample |g, _r, _c| P { a: g.random_range(-0.5..2.0), b: uniform(g) } }
op! { exp_m1(; a, b) -> f64 { a.exp_m1() * b }
sample |g, _r, _c| P { a: uniform(g), b: uniform(g) } }
op! { log2(; a, b) -> f64 { a.log2() * b }
sample |g, _r, _c| P { a: g.random_range(0.5..2.0), b: uniform(g) } }
op! { log10(; a, b) -> f64 { a.log10() * b }
sample |g, _r, _c| P { a: g.random_range(0.5..2.0), b: uniform(g) } }
op! { sinh(; a, b) -> f64 { a.sinh() * b }
sample |g, _r, _c| P { a: 1.5 * uniform(g), b: uniform(g) } }
op! { cosh(; a, b) -> f64 { a.cosh() * b }
sample |g, _r, _c| P { a: 1.5 * uniform(g), b: uniform(g) } }
op! { atan(; a, b) -> f64 { a.atan() * b }
sample |g, _r, _c| P { a: 2.0 * uniform(g), b: uniform(g) } }
op! { recip(; a, b) -> f64 { a.recip() * b }
sample |g, _r, _c| P { a: signed(g, 0.5, 2.0), b: uniform(g) } }
op! { cbrt(; a, b) -> f64 { a.cbrt() * b }
sample |g, _r, _c| P { a: signed(g, 0.3, 2.0), b: uniform(g) } }
op! { tanh(; a, b) -> f64 { a.tanh() * b }
sample |g, _r, _c| P { a: 2.0 * uniform(g), b: uniform(g) } }
op! { abs(; a, b) -> f64 { a.abs() * b }
sample |g, _r, _c| P { a: signed(g, 0.1, 1.0), b: uniform(g) } }
op! { powi(; a, b) -> f64 { a.powi(3) * b + a.powi(-2) + b.powi(0) + b.powi(1) * a.powi(2) }
sample |g, _r, _c| P { a: signed(g, 0.5, 1.5), b: uniform(g) } }
op! { max(; a, b) -> f64 { a.max(b) * a }
sample |g, _r, _c| P { a: uniform(g), b: signed(g, 0.1, 1.0) + 2.0 * uniform(g).signum() } }
op! { min(; a, b) -> f64 { a.min(b) * a }
sample |g, _r, _c| P { a: uniform(g), b: signed(g, 0.1, 1.0) + 2.0 * uniform(g).signum() } }
op! { powf(; a, b) -> f64 { a.powf(b) }
sample |g, _r, _c| P { a: g.random_range(0.5..2.0), b: 2.0 * uniform(g) } }
op! { hypot(; a, b) -> f64 { a.hypot(b) }
sample |g, _r, _c| P { a: uniform(g), b: signed(g, 0.2, 1.0) } }
op! { clamp(; a, b) -> f64 { a.clamp(-0.5, 0.5) * b }
sample |g, _r, _c| P { a: signed(g, 0.01, 0.49) + 0.52 * uniform(g).signum() * f64::from(g.random_bool(0.5)), b: uniform(g) } }
op! { function_paths(; a, b) -> f64 {
    f64::sqrt(a) * f64::sin(b) + f64::max(a, b) * f64::hypot(a, b) + f64::powi(b, 3) + f64::ln(a)
}
sample |g, _r, _c| P { a: g.random_range(0.5..2.0), b: -uniform(g).abs() } }

// ==================================================================== constant operands
// The rules where one operand is a constant (its tangent zero): `c` a fixed matrix of
// `weights`, literals for floats.

/// Fixed weights of `r×c`.
fn cw(r: usize, c: usize) -> DMatrix<f64> {
    weights(r, c)
}

op! { const_products(a: DMatrix<f64>;) -> DMatrix<f64> {
    let (r, c) = (a.nrows(), a.ncols());
    cw(2, r) * a + cw(r, 2).tr_mul(a) + cw(r, 2).transpose() * a
        + (a.transpose() * cw(r, 2)).transpose() + a.tr_mul(&cw(r, 2)).transpose()
        + cw(2, r) * (a * cw(c, c))
}
sample |g, r, c| P { a: mat(g, r, c) } }
op! { const_transposed_products(a: DMatrix<f64>;) -> DMatrix<f64> {
    cw(2, a.ncols()) * a.transpose() + (a * cw(2, a.ncols()).transpose()).transpose()
}
sample |g, r, c| P { a: mat(g, r, c) } }
op! { const_kronecker(a: DMatrix<f64>;) -> DMatrix<f64> { a.kronecker(&cw(2, 2)) + cw(2, 2).kronecker(a) }
sample |g, r, c| P { a: mat(g, r, c) } }
op! { const_entrywise(a: DMatrix<f64>;) -> DMatrix<f64> {
    let c = cw(a.nrows(), a.ncols());
    c.component_mul(a) + a.component_div(&c) + c.component_div(a) + a * a.dot(&c)
}
sample |g, r, c| P { a: away(g, r, c, 0.5, 1.5) } }
op! { const_broadcast(x: DMatrix<f64>, u: RowDVector<f64>;) -> DMatrix<f64> {
    let c = cw(x.nrows(), x.ncols());
    let row = cw(1, x.ncols()).row(0).into_owned();
    x.broadcast_div(&row) + c.broadcast_mul(u) + c.broadcast_div(u) + c.broadcast_sub(u)
        + x.broadcast_add(&row)
}
sample |g, r, c| P { x: mat(g, r, c), u: away(g, 1, c, 0.5, 1.5).row(0).into_owned() } }
op! { const_scalings(a: DMatrix<f64>; t) -> DMatrix<f64> {
    let c = cw(a.nrows(), a.ncols());
    c.scale(t) + a.scale(2.0) + c.add_scalar(t) + a.add_scalar(-0.5) + &c / t + c * t + a / 3.0
}
sample |g, r, c| P { a: mat(g, r, c), t: signed(g, 0.5, 2.0) } }
op! { const_assembly(u: DVector<f64>;) -> DMatrix<f64> {
    let c = cw(u.len(), 1).column(0).into_owned();
    DMatrix::from_columns(&[c.clone(), u.clone(), c.component_mul(u)])
        + DMatrix::from_rows(&[u.transpose(), c.transpose(), u.transpose()]).transpose()
}
sample |g, r, c| P { u: vec(g, r + c) } }
op! { const_stack(a: DMatrix<f64>;) -> DMatrix<f64> { stack![a, cw(a.nrows(), 2); cw(1, a.ncols()), a.view((0, 0), (1, 2)).into_owned()] }
sample |g, r, c| P { a: mat(g, r, c + 2) } }
op! { const_floats(; a, b) -> f64 {
    2.0 / a + a / 3.0 - (3.0 - b) * b + a.max(0.3) * b.min(-0.2) + 0.3_f64.max(a) + a.hypot(0.7) * 1.5_f64.hypot(b)
}
sample |g, _r, _c| P { a: signed(g, 0.5, 1.0) + 0.0 * uniform(g), b: signed(g, 0.5, 1.0) } }

// ===================================================================== aliased operands
// One value as both operands (both tangents the same value, both cotangents into one slot).

op! { aliased_products(a: DMatrix<f64>;) -> DMatrix<f64> {
    a * a.transpose() + a.tr_mul(a).trace() * a.transpose().tr_mul(&a.transpose())
        .view((0, 0), (a.nrows(), a.nrows())).into_owned()
}
sample |g, r, c| P { a: mat(g, r, c.max(r)) } }
op! { aliased_entrywise(a: DMatrix<f64>;) -> DMatrix<f64> {
    a.component_mul(a) + a.kronecker(a).view((0, 0), (a.nrows(), a.ncols())).into_owned()
        + a.scale(a[(0, 0)]) + a / a.norm() + a.add_scalar(a.sum()) * a.dot(a)
}
sample |g, r, c| P { a: mat(g, r, c) } }
op! { aliased_broadcast(a: DMatrix<f64>;) -> DMatrix<f64> {
    let r0 = a.row(0).into_owned();
    let c0 = a.column(0).into_owned();
    a.broadcast_mul(&r0) + a.broadcast_div(&r0) + a.broadcast_sub(&c0).broadcast_mul(&c0)
}
sample |g, r, c| P { a: away(g, r, c, 0.5, 1.5) } }
op! { aliased_floats(; a) -> f64 { a * a + a / (a * a + 1.0) + a.hypot(a) + a.max(a) + a.powf(a) }
sample |g, _r, _c| P { a: g.random_range(0.5..2.0) } }
