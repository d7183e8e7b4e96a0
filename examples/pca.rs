//! Principal components through `symmetric_eigen()`: the reconstruction error of the first
//! principal component, whose gradient has a closed form, and a linear map learnt by gradient
//! descent so that the data's first principal direction turns to a chosen one.
//!
//! For data X (n×d, one sample per row) and C = XᵀX, the first principal direction v₁ is the
//! eigenvector of C's largest eigenvalue λ₁ (`e.eigenvalues.imax()`: an index, constant to
//! the derivative). Projecting onto it leaves the error E(X) = ‖X − X·v₁v₁ᵀ‖² = tr C − λ₁,
//! whose gradient is ∇E = 2X·(I − v₁v₁ᵀ) (dλ₁ = v₁ᵀ·dC·v₁: Magnus & Neudecker, "Matrix
//! Differential Calculus", ch. 8). `#[grad]` gets it through the eigenvectors' pullback.
//!
//! `cargo run --release --example pca`

use matgrad::{check_gradient, grad};
use nalgebra::{DMatrix, DVector};
use rand::{rngs::StdRng, Rng, SeedableRng};

/// `‖X − X·v₁v₁ᵀ‖²`, the error of the projection onto the first principal direction.
#[grad]
pub fn reconstruction_error(x: &DMatrix<f64>) -> f64 {
    let c = x.tr_mul(x);
    let e = c.symmetric_eigen();
    let v = e.eigenvectors.column(e.eigenvalues.imax());
    let projector = v * v.transpose();
    (x - x * projector).norm_squared()
}

/// `1 − (v₁ᵀu)²` for the first principal direction `v₁` of the mapped data `X·A`: zero when
/// it is `±u`.
#[grad(a)]
pub fn misalignment(a: &DMatrix<f64>, x: &DMatrix<f64>, u: &DVector<f64>) -> f64 {
    let y = x * a;
    let c = y.tr_mul(&y) / y.nrows() as f64;
    let e = c.symmetric_eigen();
    let v = e.eigenvectors.column(e.eigenvalues.imax());
    let cos = v.dot(u);
    1.0 - cos * cos
}

/// `n` samples in `d` dimensions, feature `j` scaled by `scales[j]`.
pub fn data(n: usize, scales: &[f64], seed: u64) -> DMatrix<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    DMatrix::from_fn(n, scales.len(), |_, j| {
        scales[j] * rng.random_range(-1.0..1.0)
    })
}

/// Gradient descent on `A` from the identity with a fixed step; the misalignment after each
/// step.
pub fn align(
    x: &DMatrix<f64>,
    u: &DVector<f64>,
    steps: usize,
    rate: f64,
) -> (DMatrix<f64>, Vec<f64>) {
    let d = x.ncols();
    let mut a = DMatrix::identity(d, d);
    let mut history = Vec::with_capacity(steps);
    for _ in 0..steps {
        let (_, g) = misalignment_grad(&a, x, u);
        a -= g.a * rate;
        history.push(misalignment(&a, x, u));
    }
    (a, history)
}

fn main() {
    // The first feature dominates; the target direction is the third feature's axis.
    let x = data(200, &[3.0, 1.0, 0.8, 0.5], 11);
    let (e, g) = reconstruction_error_grad(&x);
    let c = x.tr_mul(&x);
    let eig = c.clone().symmetric_eigen();
    let v = eig.eigenvectors.column(eig.eigenvalues.imax()).into_owned();
    let closed = (&x - &x * &v * v.transpose()) * 2.0;
    println!("PCA, 200 samples in 4 dimensions");
    println!(
        "  reconstruction error {e:.4} = tr C − λ₁ = {:.4}",
        c.trace() - eig.eigenvalues.max()
    );
    println!(
        "  its gradient against 2X(I − v₁v₁ᵀ): relative difference {:.1e}; against finite differences: {}",
        (&g.x - &closed).amax() / closed.amax(),
        check_gradient(reconstruction_error, &x, &g.x)
    );

    let u = DVector::from_vec(vec![0.0, 0.0, 1.0, 0.0]);
    let start = std::time::Instant::now();
    let (a, history) = align(&x, &u, 200, 0.02);
    for (i, m) in history.iter().enumerate().filter(|(i, _)| i % 40 == 0) {
        println!("  step {i:3}: 1 − (v₁ᵀu)² = {m:.6}");
    }
    println!(
        "  after {} steps ({:.2} s): 1 − (v₁ᵀu)² = {:.2e}, from {:.6} at A = I",
        history.len(),
        start.elapsed().as_secs_f64(),
        history.last().copied().unwrap_or(1.0),
        misalignment(&DMatrix::identity(4, 4), &x, &u)
    );
    println!("  learnt A = {a:.3}");
}
