//! The oracle shared by the kernel tests: seeded random values of several shapes, and a check
//! of one pullback against central finite differences and against its own accumulation.

use matgrad_runtime::{check_gradient, compare, Dense};
use nalgebra::{DMatrix, DVector, RowDVector, SMatrix};
use rand::{rngs::StdRng, Rng, SeedableRng};

/// The largest relative error against finite differences a pullback may show in `f64`.
pub const FD_TOL: f64 = 1e-7;

/// How far an accumulated slot may be from the sum computed out of place: rounding only.
pub const ACC_TOL: f64 = 1e-12;

/// How far an `f32` kernel may be from the `f64` one on the same inputs.
pub const F32_TOL: f64 = 1e-4;

/// The dynamic matrix shapes every matrix kernel is tested on, non-square among them.
pub const SHAPES: &[(usize, usize)] = &[(1, 1), (3, 2), (2, 5), (4, 4)];

/// The vector lengths every kernel is tested on, as columns and as rows.
pub const LENGTHS: &[usize] = &[1, 3, 7];

/// A generator seeded with `seed`, so every run sees the same inputs.
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// A uniform random number in `[-1, 1)`.
pub fn uniform(rng: &mut StdRng) -> f64 {
    rng.random_range(-1.0..1.0)
}

/// A random number whose magnitude is in `[lo, hi)`, with a random sign.
pub fn away_from_zero(rng: &mut StdRng, lo: f64, hi: f64) -> f64 {
    let m = rng.random_range(lo..hi);
    if rng.random_bool(0.5) {
        m
    } else {
        -m
    }
}

/// A value shaped like `like` with uniform random entries in `[-1, 1)`.
pub fn random_like<V: Dense<Scalar = f64>>(rng: &mut StdRng, like: &V) -> V {
    let mut v = like.clone();
    for i in 0..v.len() {
        *v.entry_mut(i) = uniform(rng);
    }
    v
}

/// A random `r×c` dynamic matrix.
pub fn dmatrix(rng: &mut StdRng, r: usize, c: usize) -> DMatrix<f64> {
    random_like(rng, &DMatrix::zeros(r, c))
}

/// A random column vector of length `n`.
pub fn dvector(rng: &mut StdRng, n: usize) -> DVector<f64> {
    random_like(rng, &DVector::zeros(n))
}

/// A random row vector of length `n`.
pub fn row_dvector(rng: &mut StdRng, n: usize) -> RowDVector<f64> {
    random_like(rng, &RowDVector::zeros(n))
}

/// A random statically sized `R×C` matrix.
pub fn smatrix<const R: usize, const C: usize>(rng: &mut StdRng) -> SMatrix<f64, R, C> {
    random_like(rng, &SMatrix::zeros())
}

/// A random `n×n` matrix plus `(n + 1)·I`: each diagonal entry exceeds `n`, the rest of its
/// row sums to less than `n - 1`, so it is strictly diagonally dominant and well conditioned.
pub fn well_conditioned(rng: &mut StdRng, n: usize) -> DMatrix<f64> {
    dmatrix(rng, n, n) + DMatrix::identity(n, n) * (n + 1) as f64
}

/// `⟨a, b⟩ = Σᵢ aᵢ·bᵢ`, written here rather than taken from the crate under test.
pub fn inner<V: Dense>(a: &V, b: &V) -> V::Scalar {
    assert_eq!(a.shape(), b.shape(), "inner: shapes differ");
    let mut s = nalgebra::zero::<V::Scalar>();
    for i in 0..a.len() {
        s += a.entry(i) * b.entry(i);
    }
    s
}

/// The entries of `v` in storage order.
pub fn flat<V: Dense>(v: &V) -> Vec<V::Scalar> {
    (0..v.len()).map(|i| v.entry(i)).collect()
}

/// Checks the pullback of `y = forward(x)` with respect to `x`.
///
/// With a random cotangent `ḡ` shaped like `y`, the pullback started from an empty slot must
/// match the finite-difference gradient of `φ(x) = ⟨ḡ, forward(x)⟩` to [`FD_TOL`]. Then it
/// must accumulate: run twice into one slot it gives twice its contribution, and run into a
/// slot pre-filled with a random `V` it gives `V + contribution`.
///
/// `pullback(ḡ, x, y, slot)` receives the saved output `y = forward(x)`.
///
/// Returns the contribution, for further checks by the caller.
#[track_caller]
pub fn check_vjp<X, Y>(
    name: &str,
    rng: &mut StdRng,
    x: &X,
    forward: impl Fn(&X) -> Y,
    pullback: impl Fn(&Y, &X, &Y, &mut Option<X>),
) -> X
where
    X: Dense<Scalar = f64> + std::fmt::Debug,
    Y: Dense<Scalar = f64>,
{
    let y = forward(x);
    let g = random_like(rng, &y);
    let at = format!("{name} at a {}×{} input", x.shape().0, x.shape().1);

    let mut slot = None;
    pullback(&g, x, &y, &mut slot);
    let contribution = slot.unwrap_or_else(|| panic!("{at}: the pullback left its slot empty"));
    assert_eq!(
        contribution.shape(),
        x.shape(),
        "{at}: the pullback's shape is not the input's"
    );
    let report = check_gradient(|xp: &X| inner(&g, &forward(xp)), x, &contribution);
    assert!(
        report.passes(FD_TOL),
        "{at}: the pullback disagrees with finite differences: {report}\n  x = {x:?}\n  pullback = {contribution:?}"
    );

    let mut slot = None;
    pullback(&g, x, &y, &mut slot);
    pullback(&g, x, &y, &mut slot);
    let twice = slot.expect("slot filled");
    let report = compare(&twice, &contribution.scaled(2.0));
    assert!(
        report.passes(ACC_TOL),
        "{at}: two pullbacks into one slot do not give twice the contribution: {report}"
    );

    let prefill = random_like(rng, x);
    let mut slot = Some(prefill.clone());
    pullback(&g, x, &y, &mut slot);
    let mut expected = prefill;
    expected.add_assign(&contribution);
    let report = compare(&slot.expect("slot filled"), &expected);
    assert!(
        report.passes(ACC_TOL),
        "{at}: a pullback into a filled slot does not add its contribution: {report}"
    );

    contribution
}

/// Asserts that each named `f32` result agrees with the `f64` one of the same name to
/// [`F32_TOL`], relative to the largest entry of the `f64` result.
#[track_caller]
pub fn assert_f32_agrees(wide: &[(&str, Vec<f64>)], narrow: &[(&str, Vec<f32>)]) {
    assert_eq!(wide.len(), narrow.len());
    for ((name, w), (name32, n)) in wide.iter().zip(narrow) {
        assert_eq!(name, name32);
        assert_eq!(w.len(), n.len(), "{name}: lengths differ");
        let scale = w.iter().fold(f64::MIN_POSITIVE, |m, v| m.max(v.abs()));
        for (i, (a, b)) in w.iter().zip(n).enumerate() {
            let err = (a - f64::from(*b)).abs() / scale;
            assert!(
                err <= F32_TOL,
                "{name}: entry {i} is {b} in f32 but {a} in f64 (relative error {err:e})"
            );
        }
    }
}

/// Runs `$body` with `$x` bound in turn to a random value of every test shape: the dynamic
/// matrices of [`SHAPES`], column and row vectors of each of [`LENGTHS`], and a static 2×3.
macro_rules! for_each_matrix {
    ($rng:ident, |$x:ident| $body:block) => {{
        for &(r, c) in $crate::common::SHAPES {
            let $x = $crate::common::dmatrix(&mut $rng, r, c);
            $body
        }
        for &n in $crate::common::LENGTHS {
            let $x = $crate::common::dvector(&mut $rng, n);
            $body
            let $x = $crate::common::row_dvector(&mut $rng, n);
            $body
        }
        let $x = $crate::common::smatrix::<2, 3>(&mut $rng);
        $body
    }};
}

/// [`for_each_matrix!`], and a random scalar `f64`.
macro_rules! for_each_value {
    ($rng:ident, |$x:ident| $body:block) => {{
        for_each_matrix!($rng, |$x| $body);
        let $x: f64 = $crate::common::uniform(&mut $rng);
        $body
    }};
}
