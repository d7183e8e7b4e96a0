//! Tangent kernels of the activations and the normalised exponentials, and the pullbacks of
//! those tangent maps (for second-order, reverse-over-forward derivatives).
//!
//! For `y = f(x)` the tangent is `ẏ = J(x)·ẋ`; its pullback maps ḡ to the pair `(x̄, ẋ̄)`, with
//! `ẋ̄ = J(x)ᵀḡ` (the pullback of `f` itself) and `x̄ = ∂⟨ḡ, J(x)·ẋ⟩/∂x` (second derivatives).
//! Each kernel is computed from the stable primal of [`crate::activations`] or from the
//! lane's softmax of [`crate::softmax`] (itself from the lane's largest entry), so all are
//! finite at logits of ±1 000.
//!
//! ```
//! use matgrad_runtime::{sigmoid_tangent, sigmoid_tangent_pullback};
//! use nalgebra::dvector;
//!
//! let (x, dx) = (dvector![0.0, 1000.0], dvector![1.0, 1.0]);
//! assert_eq!(sigmoid_tangent(&x, &dx), dvector![0.25, 0.0]); // ẏ = σ(1 − σ)·ẋ
//! let (x_bar, dx_bar) = sigmoid_tangent_pullback(&dvector![1.0, 1.0], &x, &dx);
//! assert_eq!(x_bar, dvector![0.0, 0.0]); // σ″(0) = 0
//! assert_eq!(dx_bar, dvector![0.25, 0.0]);
//! ```

use crate::activations::sigmoid;
use crate::softmax::{softmax_over, softmax_over_pullback, Lanes};
use crate::value::{Dense, Scalar};
#[allow(unused_imports)]
use crate::Differentiable as _;
#[allow(unused_imports)]
use nalgebra::ComplexField as _;
use nalgebra::{allocator::Allocator, DefaultAllocator, Dim, OMatrix, OVector, U1};

/// `ẏₛ = f′(xₛ)·ẋₛ` for every entry, with `d(x) = f′(x)`.
fn entrywise_tangent<V: Dense>(x: &V, dx: &V, d: impl Fn(V::Scalar) -> V::Scalar) -> V {
    x.zip_entries(dx, |v, t| d(v) * t)
}

/// `(x̄ₛ, ẋ̄ₛ) = (ḡₛ·f″(xₛ)·ẋₛ, ḡₛ·f′(xₛ))` for every entry, with `d(x) = (f′(x), f″(x))`.
fn entrywise_pullback<V: Dense>(
    g: &V,
    x: &V,
    dx: &V,
    d: impl Fn(V::Scalar) -> (V::Scalar, V::Scalar),
) -> (V, V) {
    let x_bar = x.map_entries(|s, v| g.entry(s) * d(v).1 * dx.entry(s));
    let dx_bar = x.map_entries(|s, v| g.entry(s) * d(v).0);
    (x_bar, dx_bar)
}

/// `(σ′, σ″) = (s(1 − s), s(1 − s)(1 − 2s))` for `s = σ(v)`.
fn sigmoid_derivatives<T: Scalar>(v: T) -> (T, T) {
    let s: T = sigmoid(&v);
    let d1 = s * (T::one() - s);
    (d1, d1 * (T::one() - (s + s)))
}

/// `(tanh′, tanh″) = (1 − t², −2t(1 − t²))` for `t = tanh v`.
fn tanh_derivatives<T: Scalar>(v: T) -> (T, T) {
    let t = v.tanh();
    let d1 = T::one() - t * t;
    (d1, -(t + t) * d1)
}

/// `(σ, σ(1 − σ))`: the first two derivatives of `softplus` at `v`.
fn softplus_derivatives<T: Scalar>(v: T) -> (T, T) {
    let s: T = sigmoid(&v);
    (s, s * (T::one() - s))
}

/// `([v > 0], 0)`: the derivatives of `relu` at `v` (zero at 0).
fn relu_derivatives<T: Scalar>(v: T) -> (T, T) {
    (if v > T::zero() { T::one() } else { T::zero() }, T::zero())
}

/// `(sign v, 0)`: the derivatives of `|v|` (zero at 0).
fn abs_derivatives<T: Scalar>(v: T) -> (T, T) {
    let sign = if v > T::zero() {
        T::one()
    } else if v < T::zero() {
        -T::one()
    } else {
        T::zero()
    };
    (sign, T::zero())
}

/// One entry per activation makes its tangent and the tangent's pullback from `$d`, the
/// activation's first two derivatives.
macro_rules! activation_tangents {
    ($(
        $(#[$tangent_doc:meta])* $tangent:ident,
        $(#[$pullback_doc:meta])* $pullback:ident = $d:ident;
    )*) => {$(
        $(#[$tangent_doc])*
        pub fn $tangent<V: Dense>(x: &V, dx: &V) -> V {
            entrywise_tangent(x, dx, |v| $d(v).0)
        }

        $(#[$pullback_doc])*
        pub fn $pullback<V: Dense>(g: &V, x: &V, dx: &V) -> (V, V) {
            entrywise_pullback(g, x, dx, $d)
        }
    )*};
}

activation_tangents! {
    /// `ẏ = σ(x) ⊙ (1 − σ(x)) ⊙ ẋ`: the tangent of `sigmoid`.
    sigmoid_tangent,
    /// `(x̄, ẋ̄) = (ḡ ⊙ ẋ ⊙ s(1 − s)(1 − 2s), ḡ ⊙ s(1 − s))` for `s = σ(x)`.
    sigmoid_tangent_pullback = sigmoid_derivatives;

    /// `ẏ = (1 − tanh² x) ⊙ ẋ`: the tangent of `tanh`.
    tanh_tangent,
    /// `(x̄, ẋ̄) = (−2ḡ ⊙ ẋ ⊙ t(1 − t²), ḡ ⊙ (1 − t²))` for `t = tanh x`.
    tanh_tangent_pullback = tanh_derivatives;

    /// `ẏ = [x > 0] ⊙ ẋ` (zero at 0): the tangent of `relu`.
    relu_tangent,
    /// `(x̄, ẋ̄) = (0, ḡ ⊙ [x > 0])`.
    relu_tangent_pullback = relu_derivatives;

    /// `ẏ = σ(x) ⊙ ẋ`: the tangent of `softplus`.
    softplus_tangent,
    /// `(x̄, ẋ̄) = (ḡ ⊙ ẋ ⊙ σ(1 − σ), ḡ ⊙ σ)` for `σ = σ(x)`.
    softplus_tangent_pullback = softplus_derivatives;

    /// `ẏ = sign(x) ⊙ ẋ` (zero at 0): the tangent of `abs`.
    abs_tangent,
    /// `(x̄, ẋ̄) = (0, ḡ ⊙ sign(x))`.
    abs_tangent_pullback = abs_derivatives;
}

/// The lane of storage index `s` of a value of shape `(r, c)`.
fn lane_of(shape: (usize, usize), lanes: Lanes, s: usize) -> usize {
    match lanes {
        Lanes::All => 0,
        Lanes::Rows => s % shape.0,
        Lanes::Columns => s / shape.0,
    }
}

/// `⟨a, b⟩` over each lane.
fn lane_dots<V: Dense>(a: &V, b: &V, lanes: Lanes) -> Vec<V::Scalar> {
    let shape = a.shape();
    let count = match lanes {
        Lanes::All => 1,
        Lanes::Rows => shape.0,
        Lanes::Columns => shape.1,
    };
    let mut out = vec![nalgebra::zero::<V::Scalar>(); count];
    for (s, (u, v)) in a.entries().iter().zip(b.entries()).enumerate() {
        let l = lane_of(shape, lanes, s);
        out[l] += *u * *v;
    }
    out
}

/// `ẏ = p ⊙ (ẋ − ⟨p, ẋ⟩)` per lane, for `p = softmax(x)`: the tangent of the softmax.
pub fn softmax_tangent_over<V: Dense>(x: &V, dx: &V, lanes: Lanes) -> V {
    softmax_over_pullback(dx, &softmax_over(x, lanes), lanes)
}

/// `(x̄, ẋ̄) = (J_pᵀ(ḡ ⊙ (ẋ − ⟨p, ẋ⟩) − ⟨ḡ, p⟩·ẋ), p ⊙ (ḡ − ⟨p, ḡ⟩))` per lane, `p = softmax(x)`.
///
/// `J_pᵀu = p ⊙ (u − ⟨p, u⟩)` is the softmax's pullback; the first argument of it is the
/// gradient of `⟨ḡ, p ⊙ (ẋ − ⟨p, ẋ⟩)⟩` with respect to `p`.
pub fn softmax_tangent_over_pullback<V: Dense>(g: &V, x: &V, dx: &V, lanes: Lanes) -> (V, V) {
    let p = softmax_over(x, lanes);
    let shape = p.shape();
    let (p_dx, g_p) = (lane_dots(&p, dx, lanes), lane_dots(g, &p, lanes));
    let u = dx.map_entries(|s, t| {
        let l = lane_of(shape, lanes, s);
        g.entry(s) * (t - p_dx[l]) - g_p[l] * t
    });
    (
        softmax_over_pullback(&u, &p, lanes),
        softmax_over_pullback(g, &p, lanes),
    )
}

/// `ẏ = ẋ − ⟨p, ẋ⟩` per lane, for `p = softmax(x)`: the tangent of the log-softmax.
pub fn log_softmax_tangent_over<V: Dense>(x: &V, dx: &V, lanes: Lanes) -> V {
    let p = softmax_over(x, lanes);
    let p_dx = lane_dots(&p, dx, lanes);
    let shape = p.shape();
    dx.map_entries(|s, t| t - p_dx[lane_of(shape, lanes, s)])
}

/// `(x̄, ẋ̄) = (−Σḡ · p ⊙ (ẋ − ⟨p, ẋ⟩), ḡ − p·Σḡ)` per lane, for `p = softmax(x)`.
pub fn log_softmax_tangent_over_pullback<V: Dense>(g: &V, x: &V, dx: &V, lanes: Lanes) -> (V, V) {
    let p = softmax_over(x, lanes);
    let shape = p.shape();
    let ones = g.map_entries(|_, _| nalgebra::one());
    let sums = lane_dots(g, &ones, lanes);
    let dp = softmax_over_pullback(dx, &p, lanes);
    let x_bar = dp.map_entries(|s, v| -sums[lane_of(shape, lanes, s)] * v);
    let dx_bar = g.map_entries(|s, gs| gs - p.entry(s) * sums[lane_of(shape, lanes, s)]);
    (x_bar, dx_bar)
}

/// `(x̄, ẋ̄) = (ḡₗ · p ⊙ (ẋ − ⟨p, ẋ⟩), ḡₗ · p)` in each lane `l`, for `p = softmax(x)`.
fn logsumexp_tangent_lanes_pullback<V: Dense>(
    g: &[V::Scalar],
    x: &V,
    dx: &V,
    lanes: Lanes,
) -> (V, V) {
    let p = softmax_over(x, lanes);
    let shape = p.shape();
    let dp = softmax_over_pullback(dx, &p, lanes);
    let x_bar = dp.map_entries(|s, v| g[lane_of(shape, lanes, s)] * v);
    let dx_bar = p.map_entries(|s, v| g[lane_of(shape, lanes, s)] * v);
    (x_bar, dx_bar)
}

/// `ẏ = ⟨softmax(x), ẋ⟩`: the tangent of `logsumexp` over every entry.
pub fn logsumexp_tangent<V: Dense>(x: &V, dx: &V) -> V::Scalar {
    lane_dots(&softmax_over(x, Lanes::All), dx, Lanes::All)[0]
}

/// `(x̄, ẋ̄) = (ḡ · p ⊙ (ẋ − ⟨p, ẋ⟩), ḡ·p)` for `p = softmax(x)`.
pub fn logsumexp_tangent_pullback<V: Dense>(g: &V::Scalar, x: &V, dx: &V) -> (V, V) {
    logsumexp_tangent_lanes_pullback(&[*g], x, dx, Lanes::All)
}

/// `ẏᵢ = ⟨softmax(xᵢ·), ẋᵢ·⟩` for each row `i`, as a column.
pub fn logsumexp_rows_tangent<T: Scalar, R: Dim, C: Dim>(
    x: &OMatrix<T, R, C>,
    dx: &OMatrix<T, R, C>,
) -> OVector<T, R>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R>,
{
    let dots = lane_dots(&softmax_over(x, Lanes::Rows), dx, Lanes::Rows);
    OVector::from_iterator_generic(x.shape_generic().0, U1, dots)
}

/// `(x̄ᵢ·, ẋ̄ᵢ·) = (ḡᵢ · pᵢ ⊙ (ẋᵢ· − ⟨pᵢ, ẋᵢ·⟩), ḡᵢ·pᵢ)` for `pᵢ = softmax(xᵢ·)`.
pub fn logsumexp_rows_tangent_pullback<T: Scalar, R: Dim, C: Dim>(
    g: &OVector<T, R>,
    x: &OMatrix<T, R, C>,
    dx: &OMatrix<T, R, C>,
) -> (OMatrix<T, R, C>, OMatrix<T, R, C>)
where
    DefaultAllocator: Allocator<R, C> + Allocator<R>,
{
    logsumexp_tangent_lanes_pullback(g.as_slice(), x, dx, Lanes::Rows)
}

/// `ẏⱼ = ⟨softmax(x·ⱼ), ẋ·ⱼ⟩` for each column `j`, as a row.
pub fn logsumexp_columns_tangent<T: Scalar, R: Dim, C: Dim>(
    x: &OMatrix<T, R, C>,
    dx: &OMatrix<T, R, C>,
) -> OMatrix<T, U1, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<U1, C>,
{
    let dots = lane_dots(&softmax_over(x, Lanes::Columns), dx, Lanes::Columns);
    OMatrix::from_iterator_generic(U1, x.shape_generic().1, dots)
}

/// `(x̄·ⱼ, ẋ̄·ⱼ) = (ḡⱼ · pⱼ ⊙ (ẋ·ⱼ − ⟨pⱼ, ẋ·ⱼ⟩), ḡⱼ·pⱼ)` for `pⱼ = softmax(x·ⱼ)`.
pub fn logsumexp_columns_tangent_pullback<T: Scalar, R: Dim, C: Dim>(
    g: &OMatrix<T, U1, C>,
    x: &OMatrix<T, R, C>,
    dx: &OMatrix<T, R, C>,
) -> (OMatrix<T, R, C>, OMatrix<T, R, C>)
where
    DefaultAllocator: Allocator<R, C> + Allocator<U1, C>,
{
    logsumexp_tangent_lanes_pullback(g.as_slice(), x, dx, Lanes::Columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{compare, finite_difference};
    use nalgebra::{DMatrix, DVector, Matrix2x3, RowDVector};

    /// `⟨a, b⟩` over every entry.
    fn dot<V: Dense<Scalar = f64>>(a: &V, b: &V) -> f64 {
        let pairs = a.entries().iter().zip(b.entries());
        pairs.map(|(u, v)| u * v).sum()
    }

    /// Checks the tangent `t` of `f` and its pullback `pb` at `(x, ẋ)` with cotangent `ḡ`
    /// against central differences: `⟨ḡ, ẏ⟩ = ⟨∇⟨ḡ, f⟩, ẋ⟩`, `x̄ = ∇ₓ⟨ḡ, t(x, ẋ)⟩` and
    /// `ẋ̄ = ∇ₓ̇⟨ḡ, t(x, ẋ)⟩`; returns the worst relative error.
    fn check<V, Y>(
        f: impl Fn(&V) -> Y,
        t: impl Fn(&V, &V) -> Y,
        pb: impl Fn(&Y, &V, &V) -> (V, V),
        (x, dx, g): (&V, &V, &Y),
    ) -> f64
    where
        V: Dense<Scalar = f64>,
        Y: Dense<Scalar = f64>,
    {
        let fd = finite_difference(|x| dot(g, &f(x)), x);
        let (tangent, expect) = (dot(g, &t(x, dx)), dot(&fd, dx));
        let jvp = (tangent - expect).abs() / tangent.abs().max(expect.abs()).max(1e-300);
        let (x_bar, dx_bar) = pb(g, x, dx);
        let fd_x = finite_difference(|x| dot(g, &t(x, dx)), x);
        let fd_dx = finite_difference(|d| dot(g, &t(x, d)), dx);
        let (ex, edx) = (compare(&x_bar, &fd_x), compare(&dx_bar, &fd_dx));
        for (what, e) in [("jvp", jvp), ("x̄", ex.rel_error), ("ẋ̄", edx.rel_error)] {
            assert!(e < 1e-6, "{what}: relative error {e:e}");
        }
        jvp.max(ex.rel_error).max(edx.rel_error)
    }

    /// A matrix of distinct entries in about `[-2, 2]`.
    fn sample(r: usize, c: usize, seed: usize) -> DMatrix<f64> {
        DMatrix::from_fn(r, c, |i, j| {
            ((3 * i + 7 * j + seed) as f64 * 1.3).sin() * 2.0
        })
    }

    /// Each activation's kernels on a float, a vector and a static matrix.
    macro_rules! check_activation {
        ($f:path, $t:path, $pb:path) => {{
            let x = sample(2, 3, 1);
            let (dx, g) = (sample(2, 3, 5), sample(2, 3, 9));
            let m: Matrix2x3<f64> = x.fixed_view::<2, 3>(0, 0).into_owned();
            let dm: Matrix2x3<f64> = dx.fixed_view::<2, 3>(0, 0).into_owned();
            let gm: Matrix2x3<f64> = g.fixed_view::<2, 3>(0, 0).into_owned();
            let v = DVector::from_column_slice(x.as_slice());
            let (dv, gv) = (
                DVector::from_column_slice(dx.as_slice()),
                DVector::from_column_slice(g.as_slice()),
            );
            check($f, $t, $pb, (&0.7, &-1.3, &0.4))
                .max(check($f, $t, $pb, (&m, &dm, &gm)))
                .max(check($f, $t, $pb, (&v, &dv, &gv)))
        }};
    }

    #[test]
    fn activation_tangents_match_finite_differences() {
        use crate::activations::{abs, relu, sigmoid, softplus, tanh};
        let worst = [
            check_activation!(sigmoid, sigmoid_tangent, sigmoid_tangent_pullback),
            check_activation!(tanh, tanh_tangent, tanh_tangent_pullback),
            check_activation!(relu, relu_tangent, relu_tangent_pullback),
            check_activation!(softplus, softplus_tangent, softplus_tangent_pullback),
            check_activation!(abs, abs_tangent, abs_tangent_pullback),
        ];
        println!("activation tangents: worst relative errors {worst:?}");
    }

    #[test]
    fn normalised_tangents_match_finite_differences() {
        use crate::softmax::{log_softmax_over, logsumexp, logsumexp_columns, logsumexp_rows};
        let (x, dx, g) = (sample(3, 4, 2), sample(3, 4, 6), sample(3, 4, 11));
        let mut worst = 0.0_f64;
        for lanes in [Lanes::All, Lanes::Rows, Lanes::Columns] {
            let soft = check(
                |x: &DMatrix<f64>| softmax_over(x, lanes),
                |x, d| softmax_tangent_over(x, d, lanes),
                |g, x, d| softmax_tangent_over_pullback(g, x, d, lanes),
                (&x, &dx, &g),
            );
            let log = check(
                |x: &DMatrix<f64>| log_softmax_over(x, lanes),
                |x, d| log_softmax_tangent_over(x, d, lanes),
                |g, x, d| log_softmax_tangent_over_pullback(g, x, d, lanes),
                (&x, &dx, &g),
            );
            worst = worst.max(soft).max(log);
        }
        let all = check(
            logsumexp,
            logsumexp_tangent,
            logsumexp_tangent_pullback,
            (&x, &dx, &0.8),
        );
        let gr = DVector::from_vec(vec![0.5, -1.0, 2.0]);
        let rows = check(
            logsumexp_rows,
            logsumexp_rows_tangent,
            logsumexp_rows_tangent_pullback,
            (&x, &dx, &gr),
        );
        let gc = RowDVector::from_vec(vec![0.5, -1.0, 2.0, 0.3]);
        let columns = check(
            logsumexp_columns,
            logsumexp_columns_tangent,
            logsumexp_columns_tangent_pullback,
            (&x, &dx, &gc),
        );
        println!(
            "normalised tangents: worst relative error {:e}",
            worst.max(all).max(rows).max(columns)
        );
    }

    #[test]
    fn tangents_are_finite_at_extreme_logits() {
        let x = DMatrix::from_row_slice(2, 3, &[1000.0, -1000.0, 0.0, -1000.0, 999.0, 1000.0]);
        let (dx, g) = (sample(2, 3, 3), sample(2, 3, 4));
        let finite = |m: &DMatrix<f64>| m.iter().all(|v| v.is_finite());
        for lanes in [Lanes::All, Lanes::Rows, Lanes::Columns] {
            assert!(finite(&softmax_tangent_over(&x, &dx, lanes)));
            let (a, b) = softmax_tangent_over_pullback(&g, &x, &dx, lanes);
            assert!(finite(&a) && finite(&b));
            assert!(finite(&log_softmax_tangent_over(&x, &dx, lanes)));
            let (a, b) = log_softmax_tangent_over_pullback(&g, &x, &dx, lanes);
            assert!(finite(&a) && finite(&b));
        }
        assert!(logsumexp_tangent(&x, &dx).is_finite());
        let (a, b) = logsumexp_tangent_pullback(&1.0, &x, &dx);
        assert!(finite(&a) && finite(&b));
        for (t, (a, b)) in [
            (
                sigmoid_tangent(&x, &dx),
                sigmoid_tangent_pullback(&g, &x, &dx),
            ),
            (
                softplus_tangent(&x, &dx),
                softplus_tangent_pullback(&g, &x, &dx),
            ),
            (tanh_tangent(&x, &dx), tanh_tangent_pullback(&g, &x, &dx)),
        ] {
            assert!(finite(&t) && finite(&a) && finite(&b));
        }
    }
}
