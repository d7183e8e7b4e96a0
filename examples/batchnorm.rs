//! The seed's batch normalisation ("Computation Graph"): for a mini-batch X (m×d, one sample
//! per row) and every feature (column) j,
//!
//!   μ  = (1/m) Σᵢ xᵢ                 the batch mean           (1×d)
//!   σ² = (1/m) Σᵢ (xᵢ − μ)²          the batch variance       (1×d)
//!   x̂ᵢ = (xᵢ − μ) / √(σ² + ε)        the normalised samples   (m×d)
//!   yᵢ = γ x̂ᵢ + β                    the output Y             (m×d)
//!
//! with γ, β learnt 1×d rows and ε > 0 a constant. The loss is l = Σ G ⊙ Y for a fixed random
//! G, so ∂l/∂Y = G, the cotangent handed to the generated pullback.
//!
//! The pullback `#[grad]` generates is compared with
//!
//! (a) the seed's path-by-path derivation, evaluated by hand in [`seed_paths`], and — stage by
//!     stage — its intermediates ∂l/∂x̂, ∂l/∂σ², ∂l/∂μ, which the generated code gives when the
//!     stages are `#[grad]` functions of their own ([`generated`]);
//! (b) the compact closed form ∂l/∂X = (γ/(m√(σ²+ε)))·(m·G − ΣᵢG − X̂ ⊙ Σᵢ(G ⊙ X̂)), column
//!     by column ([`compact`]);
//! (c) central finite differences of φ(X) = ⟨G, f(X)⟩, and the same for γ and β.
//!
//! `cargo run --example batchnorm` prints the differences; with `--write-graph` it also
//! writes the generated computation graphs to `docs/batchnorm_graph.dot` and
//! `docs/batchnorm_paths.dot`.

use matgrad::{check_gradient, grad, Broadcast, GradCheck};
use nalgebra::{DMatrix, RowDVector};
use std::fmt;

// Shared with the other examples. `seed.rs` and `tests/` include this file as a module beside
// their own `support`; naming it `crate::support` makes this example build their one
// `Report`, and leaves this copy unused there.
#[allow(clippy::duplicate_mod)]
#[path = "support/mod.rs"]
mod support;
use crate::support::{self as common, relative_difference, Report};

/// The ε of the example: the usual default of batch-normalisation layers.
pub const EPS: f64 = 1e-5;

// ================================================================== batch norm in one body

/// Batch normalisation of the columns of `x`, written as one would without autodiff.
#[grad(x, gamma, beta)]
pub fn batch_norm(
    x: &DMatrix<f64>,
    gamma: &RowDVector<f64>,
    beta: &RowDVector<f64>,
    eps: f64,
) -> DMatrix<f64> {
    let mu = x.row_mean();
    let centred = x.broadcast_sub(&mu);
    let var = centred.component_mul(&centred).row_mean();
    let xhat = centred.broadcast_div(&var.map(|v| (v + eps).sqrt()));
    xhat.broadcast_mul(gamma).broadcast_add(beta)
}

// ======================================================== the same, one stage per function

/// μ = (1/m) Σᵢ xᵢ.
#[grad]
pub fn batch_mean(x: &DMatrix<f64>) -> RowDVector<f64> {
    x.row_mean()
}

/// σ² = (1/m) Σᵢ (xᵢ − μ)², a function of x and of μ as in the seed's graph.
#[grad]
pub fn batch_variance(x: &DMatrix<f64>, mu: &RowDVector<f64>) -> RowDVector<f64> {
    let centred = x.broadcast_sub(mu);
    centred.component_mul(&centred).row_mean()
}

/// x̂ᵢ = (xᵢ − μ) / √(σ² + ε).
#[grad(x, mu, var)]
pub fn normalise(
    x: &DMatrix<f64>,
    mu: &RowDVector<f64>,
    var: &RowDVector<f64>,
    eps: f64,
) -> DMatrix<f64> {
    // Written `var.map(|v| 1.0 / (v + eps).sqrt())`, as in `batch_norm`, this stage works on
    // its own, but `batch_norm_staged`, which calls it, fails to compile (E0308 on its
    // `#[grad]`): a macro bug, reported with the example. Adding ε outside the closure avoids it.
    let ones = RowDVector::from_element(var.len(), 1.0);
    let istd = (var + ones * eps).map(|v| 1.0 / v.sqrt());
    x.broadcast_sub(mu).broadcast_mul(&istd)
}

/// yᵢ = γ x̂ᵢ + β.
#[grad]
pub fn scale_shift(
    xhat: &DMatrix<f64>,
    gamma: &RowDVector<f64>,
    beta: &RowDVector<f64>,
) -> DMatrix<f64> {
    xhat.broadcast_mul(gamma).broadcast_add(beta)
}

/// [`batch_norm`] composed of the stages: the generated pullback runs through theirs.
#[grad(x, gamma, beta)]
pub fn batch_norm_staged(
    x: &DMatrix<f64>,
    gamma: &RowDVector<f64>,
    beta: &RowDVector<f64>,
    eps: f64,
) -> DMatrix<f64> {
    let mu = batch_mean(x);
    let var = batch_variance(x, &mu);
    let xhat = normalise(x, &mu, &var, eps);
    scale_shift(&xhat, gamma, beta)
}

// ================================================ one feature, three samples, as scalars

/// The seed's graph for one feature and m = 3 samples, with scalars only, so that every
/// xᵢ, x̂ᵢ and yᵢ is a node of its own in [`BATCH_NORM_PATHS_GRAPH`] (rendered as
/// `docs/batchnorm_paths.svg`): l = c₁y₁ + c₂y₂ + c₃y₃, so ∂l/∂yᵢ = cᵢ.
#[grad(x1, x2, x3, gamma, beta)]
pub fn batch_norm_paths(
    x1: f64,
    x2: f64,
    x3: f64,
    gamma: f64,
    beta: f64,
    eps: f64,
    c: [f64; 3],
) -> f64 {
    let mu = (x1 + x2 + x3) / 3.0;
    let d1 = x1 - mu;
    let d2 = x2 - mu;
    let d3 = x3 - mu;
    let var = (d1.powi(2) + d2.powi(2) + d3.powi(2)) / 3.0;
    let sd = (var + eps).sqrt();
    let xhat1 = d1 / sd;
    let xhat2 = d2 / sd;
    let xhat3 = d3 / sd;
    let y1 = gamma * xhat1 + beta;
    let y2 = gamma * xhat2 + beta;
    let y3 = gamma * xhat3 + beta;
    c[0] * y1 + c[1] * y2 + c[2] * y3
}

// ======================================================================= the comparison

/// A batch, the parameters, ε and the cotangent G = ∂l/∂Y.
#[derive(Clone, Debug)]
pub struct Problem {
    pub x: DMatrix<f64>,
    pub gamma: RowDVector<f64>,
    pub beta: RowDVector<f64>,
    pub eps: f64,
    pub g: DMatrix<f64>,
}

impl Problem {
    /// Seeded random data: X, G uniform in [-1, 1), γ in [0.5, 1.5), β in [-1, 1).
    pub fn random(seed: u64, m: usize, d: usize) -> Problem {
        let mut rng = common::rng(seed);
        let x = common::random_matrix(&mut rng, m, d);
        let gamma = common::random_matrix(&mut rng, 1, d).map(|u| 1.0 + 0.5 * u);
        let beta = common::random_matrix(&mut rng, 1, d);
        let g = common::random_matrix(&mut rng, m, d);
        Problem {
            x,
            gamma: RowDVector::from_row_slice(gamma.as_slice()),
            beta: RowDVector::from_row_slice(beta.as_slice()),
            eps: EPS,
            g,
        }
    }

    /// l = Σ G ⊙ f(X) = ⟨G, f(X)⟩ for the given X, γ, β.
    pub fn loss(&self, x: &DMatrix<f64>, gamma: &RowDVector<f64>, beta: &RowDVector<f64>) -> f64 {
        self.g.dot(&batch_norm(x, gamma, beta, self.eps))
    }
}

/// ∂l/∂· of every quantity of the seed's derivation. The contributions to ∂l/∂μ and ∂l/∂X
/// are kept apart by path.
#[derive(Clone, Debug)]
pub struct Adjoints {
    /// ∂l/∂x̂ (m×d).
    pub xhat: DMatrix<f64>,
    /// ∂l/∂σ² (1×d).
    pub var: RowDVector<f64>,
    /// The paths μ → x̂ᵢ → l: Σᵢ ∂l/∂x̂ᵢ·(−1/√(σ²+ε)).
    pub mu_via_xhat: RowDVector<f64>,
    /// The paths μ → σ² → l: ∂l/∂σ²·(−2/m)Σᵢ(xᵢ − μ), zero up to rounding.
    pub mu_via_var: RowDVector<f64>,
    /// ∂l/∂μ, the sum of the two.
    pub mu: RowDVector<f64>,
    /// The path xᵢ → x̂ᵢ → l: ∂l/∂x̂ᵢ/√(σ²+ε).
    pub x_via_xhat: DMatrix<f64>,
    /// The path xᵢ → σ² → l: ∂l/∂σ²·2(xᵢ − μ)/m.
    pub x_via_var: DMatrix<f64>,
    /// The path xᵢ → μ → l: ∂l/∂μ/m.
    pub x_via_mu: DMatrix<f64>,
    /// ∂l/∂X, the sum of the three.
    pub x: DMatrix<f64>,
    /// ∂l/∂γ (1×d).
    pub gamma: RowDVector<f64>,
    /// ∂l/∂β (1×d).
    pub beta: RowDVector<f64>,
}

/// What the generated code gives: ∂l/∂X, ∂l/∂γ, ∂l/∂β from the pullback of [`batch_norm`],
/// the intermediates from the pullbacks of the stages, each fed the cotangent the next stage
/// returned (the chain rule, applied by hand across the stages). Also the pullback of
/// [`batch_norm_staged`] for comparison with the one-body version.
pub fn generated(p: &Problem) -> (Adjoints, BatchNormStagedGrad) {
    let (_, pullback) = batch_norm_pullback(&p.x, &p.gamma, &p.beta, p.eps);
    let whole = pullback(&p.g);

    let mu = batch_mean(&p.x);
    let var = batch_variance(&p.x, &mu);
    let xhat = normalise(&p.x, &mu, &var, p.eps);
    let dxhat = scale_shift_pullback(&xhat, &p.gamma, &p.beta).1(&p.g).xhat;
    let through_xhat = normalise_pullback(&p.x, &mu, &var, p.eps).1(&dxhat);
    let through_var = batch_variance_pullback(&p.x, &mu).1(&through_xhat.var);
    let dmu = &through_xhat.mu + &through_var.mu;
    let through_mu = batch_mean_pullback(&p.x).1(&dmu).x;

    let (_, staged) = batch_norm_staged_pullback(&p.x, &p.gamma, &p.beta, p.eps);
    let adjoints = Adjoints {
        xhat: dxhat,
        var: through_xhat.var,
        mu_via_xhat: through_xhat.mu,
        mu_via_var: through_var.mu,
        mu: dmu,
        x_via_xhat: through_xhat.x,
        x_via_var: through_var.x,
        x_via_mu: through_mu,
        x: whole.x,
        gamma: whole.gamma,
        beta: whole.beta,
    };
    (adjoints, staged(&p.g))
}

/// The seed's path-by-path formulas, entry by entry, with plain loops.
pub fn seed_paths(p: &Problem) -> Adjoints {
    let (m, d) = p.x.shape();
    let mf = m as f64;
    let mut a = Adjoints {
        xhat: DMatrix::zeros(m, d),
        var: RowDVector::zeros(d),
        mu_via_xhat: RowDVector::zeros(d),
        mu_via_var: RowDVector::zeros(d),
        mu: RowDVector::zeros(d),
        x_via_xhat: DMatrix::zeros(m, d),
        x_via_var: DMatrix::zeros(m, d),
        x_via_mu: DMatrix::zeros(m, d),
        x: DMatrix::zeros(m, d),
        gamma: RowDVector::zeros(d),
        beta: RowDVector::zeros(d),
    };
    for j in 0..d {
        let x = p.x.column(j);
        let g = p.g.column(j);
        let mu = x.sum() / mf;
        let var = x.iter().map(|xi| (xi - mu).powi(2)).sum::<f64>() / mf;
        let sd = (var + p.eps).sqrt();
        for i in 0..m {
            let xhat = (x[i] - mu) / sd;
            // ∂l/∂x̂ᵢ = ∂l/∂yᵢ·γ: one path, x̂ᵢ → yᵢ → l.
            a.xhat[(i, j)] = g[i] * p.gamma[j];
            // ∂l/∂γ = Σᵢ ∂l/∂yᵢ·x̂ᵢ and ∂l/∂β = Σᵢ ∂l/∂yᵢ: m paths each, γ → yᵢ → l.
            a.gamma[j] += g[i] * xhat;
            a.beta[j] += g[i];
            // ∂l/∂σ² = Σᵢ ∂l/∂x̂ᵢ·(−½)(xᵢ − μ)(σ² + ε)^(−3/2): m paths, σ² → x̂ᵢ → l.
            a.var[j] += a.xhat[(i, j)] * -0.5 * (x[i] - mu) * (var + p.eps).powf(-1.5);
            // ∂l/∂μ, the m paths μ → x̂ᵢ → l: Σᵢ ∂l/∂x̂ᵢ·(−1/√(σ² + ε)), rounded as the path
            // xᵢ → x̂ᵢ below is, so that for m = 1, where ∂l/∂X = 0, the two cancel exactly.
            a.mu_via_xhat[j] += -(a.xhat[(i, j)] / sd);
        }
        // ∂l/∂μ, the m paths μ → σ² → x̂ᵢ → l: ∂l/∂σ²·∂σ²/∂μ = ∂l/∂σ²·(−2/m)Σᵢ(xᵢ − μ), zero
        // because the deviations from the mean sum to zero. (The seed writes the factor as
        // Σᵢ Σⱼ (2/m)(xⱼ − μ), with another sign and an extra m: zero all the same.)
        a.mu_via_var[j] = a.var[j] * (-2.0 / mf) * x.iter().map(|xi| xi - mu).sum::<f64>();
        a.mu[j] = a.mu_via_xhat[j] + a.mu_via_var[j];
        // ∂l/∂xᵢ, three paths: xᵢ → x̂ᵢ → l, xᵢ → σ² → l, xᵢ → μ → l.
        for i in 0..m {
            a.x_via_xhat[(i, j)] = a.xhat[(i, j)] / sd;
            a.x_via_var[(i, j)] = a.var[j] * 2.0 * (x[i] - mu) / mf;
            a.x_via_mu[(i, j)] = a.mu[j] / mf;
            a.x[(i, j)] = a.x_via_xhat[(i, j)] + a.x_via_var[(i, j)] + a.x_via_mu[(i, j)];
        }
    }
    a
}

/// The compact closed form, column by column: with s = 1/√(σ² + ε),
/// ∂l/∂X = (γ·s/m)(m·G − Σᵢ Gᵢ − X̂ ⊙ Σᵢ (Gᵢ ⊙ X̂ᵢ)).
pub fn compact(p: &Problem) -> DMatrix<f64> {
    let (m, d) = p.x.shape();
    let mf = m as f64;
    let mut dx = DMatrix::zeros(m, d);
    for j in 0..d {
        let x = p.x.column(j);
        let g = p.g.column(j);
        let mu = x.mean();
        let s = 1.0 / (x.variance() + p.eps).sqrt();
        let xhat = x.map(|v| (v - mu) * s);
        let (sum_g, sum_gx) = (g.sum(), g.dot(&xhat));
        for i in 0..m {
            dx[(i, j)] = p.gamma[j] * s / mf * (mf * g[i] - sum_g - xhat[i] * sum_gx);
        }
    }
    dx
}

/// Central finite differences of ⟨G, f⟩ against the generated ∂l/∂X, ∂l/∂γ, ∂l/∂β.
pub fn finite_differences(p: &Problem, a: &Adjoints) -> [GradCheck<f64>; 3] {
    [
        check_gradient(|x| p.loss(x, &p.gamma, &p.beta), &p.x, &a.x),
        check_gradient(|gamma| p.loss(&p.x, gamma, &p.beta), &p.gamma, &a.gamma),
        check_gradient(|beta| p.loss(&p.x, &p.gamma, beta), &p.beta, &a.beta),
    ]
}

/// One row of the table: a quantity and how far the generated value is from each reference
/// (`None`: that reference does not give it).
#[derive(Clone, Debug)]
pub struct Row {
    pub quantity: &'static str,
    /// max |entry| of the generated value.
    pub size: f64,
    pub vs_seed_paths: f64,
    pub vs_compact: Option<f64>,
    pub vs_finite_differences: Option<f64>,
}

/// Every difference of one problem.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub m: usize,
    pub d: usize,
    pub eps: f64,
    /// l = ⟨G, Y⟩.
    pub loss: f64,
    pub rows: Vec<Row>,
    /// The largest relative difference between the pullbacks of [`batch_norm`] and of
    /// [`batch_norm_staged`] (over X, γ, β).
    pub one_body_vs_staged: f64,
}

impl Comparison {
    /// The largest difference from the seed's formulas, the compact form and the staged
    /// version: rounding only.
    pub fn worst_closed_form(&self) -> f64 {
        self.rows
            .iter()
            .flat_map(|r| [Some(r.vs_seed_paths), r.vs_compact])
            .flatten()
            .chain([self.one_body_vs_staged])
            .fold(0.0, worst)
    }

    /// The largest relative error against finite differences.
    pub fn worst_finite_differences(&self) -> f64 {
        self.rows
            .iter()
            .filter_map(|r| r.vs_finite_differences)
            .fold(0.0, worst)
    }
}

/// The larger, NaN if either is.
fn worst(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, e| worst(m, e.abs()))
}

/// Compares the generated pullback on `p` with the seed's formulas, the compact form and
/// finite differences.
pub fn compare(p: &Problem) -> Comparison {
    let (gen, staged) = generated(p);
    let seed = seed_paths(p);
    let dx = compact(p);
    let [fd_x, fd_gamma, fd_beta] = finite_differences(p, &gen);
    let row = |quantity, generated: &[f64], seed: &[f64]| Row {
        quantity,
        size: max_abs(generated),
        vs_seed_paths: relative(generated, seed),
        vs_compact: None,
        vs_finite_differences: None,
    };
    // The path μ → σ² → l is zero up to rounding: its difference is measured against the
    // size of ∂l/∂μ, as a relative difference of two roundings would say nothing.
    let mu_scale = max_abs(seed.mu.as_slice()).max(f64::MIN_POSITIVE);
    let mu_via_var = Row {
        vs_seed_paths: max_abs(
            (&gen.mu_via_var - &seed.mu_via_var)
                .scale(1.0 / mu_scale)
                .as_slice(),
        ),
        ..row("∂l/∂μ via σ² (= 0)", gen.mu_via_var.as_slice(), &[])
    };
    let rows = vec![
        row("∂l/∂x̂", gen.xhat.as_slice(), seed.xhat.as_slice()),
        row("∂l/∂σ²", gen.var.as_slice(), seed.var.as_slice()),
        row(
            "∂l/∂μ via x̂",
            gen.mu_via_xhat.as_slice(),
            seed.mu_via_xhat.as_slice(),
        ),
        mu_via_var,
        row("∂l/∂μ", gen.mu.as_slice(), seed.mu.as_slice()),
        row(
            "∂l/∂X via x̂",
            gen.x_via_xhat.as_slice(),
            seed.x_via_xhat.as_slice(),
        ),
        row(
            "∂l/∂X via σ²",
            gen.x_via_var.as_slice(),
            seed.x_via_var.as_slice(),
        ),
        row(
            "∂l/∂X via μ",
            gen.x_via_mu.as_slice(),
            seed.x_via_mu.as_slice(),
        ),
        Row {
            vs_compact: Some(relative_difference(&gen.x, &dx)),
            vs_finite_differences: Some(fd_x.rel_error),
            ..row("∂l/∂X", gen.x.as_slice(), seed.x.as_slice())
        },
        Row {
            vs_finite_differences: Some(fd_gamma.rel_error),
            ..row("∂l/∂γ", gen.gamma.as_slice(), seed.gamma.as_slice())
        },
        Row {
            vs_finite_differences: Some(fd_beta.rel_error),
            ..row("∂l/∂β", gen.beta.as_slice(), seed.beta.as_slice())
        },
    ];
    let one_body_vs_staged = [
        relative_difference(&staged.x, &gen.x),
        relative_difference(&staged.gamma, &gen.gamma),
        relative_difference(&staged.beta, &gen.beta),
    ]
    .into_iter()
    .fold(0.0, worst);
    Comparison {
        m: p.x.nrows(),
        d: p.x.ncols(),
        eps: p.eps,
        loss: p.loss(&p.x, &p.gamma, &p.beta),
        rows,
        one_body_vs_staged,
    }
}

/// [`relative_difference`] of two slices of one length (an empty `reference` is not
/// compared: 0).
fn relative(generated: &[f64], reference: &[f64]) -> f64 {
    if reference.is_empty() {
        return 0.0;
    }
    relative_difference(
        &DMatrix::from_row_slice(1, generated.len(), generated),
        &DMatrix::from_row_slice(1, reference.len(), reference),
    )
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cell = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.1e}"));
        writeln!(
            f,
            "batch norm, m = {}, d = {}, ε = {:e}: l = ⟨G, Y⟩ = {:.6}",
            self.m, self.d, self.eps, self.loss
        )?;
        writeln!(
            f,
            "{} {:>9} {:>14} {:>11} {:>15}",
            pad("generated", 19),
            "max |·|",
            "vs seed paths",
            "vs compact",
            "vs finite diff"
        )?;
        for r in &self.rows {
            writeln!(
                f,
                "{} {:>9.1e} {:>14.1e} {:>11} {:>15}",
                pad(r.quantity, 19),
                r.size,
                r.vs_seed_paths,
                cell(r.vs_compact),
                cell(r.vs_finite_differences)
            )?;
        }
        writeln!(
            f,
            "(∂l/∂μ via σ² is zero up to rounding: its difference is relative to max |∂l/∂μ|)"
        )?;
        write!(
            f,
            "batch_norm_staged vs batch_norm (∂l/∂X, ∂l/∂γ, ∂l/∂β): {:.1e}",
            self.one_body_vs_staged
        )
    }
}

/// `s` padded with spaces to `width` columns on a terminal (combining accents, as in x̂, take
/// none).
fn pad(s: &str, width: usize) -> String {
    let shown = s
        .chars()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .count();
    format!("{s}{}", " ".repeat(width.saturating_sub(shown)))
}

/// The batch of the example: m = 16 samples of d = 5 features.
pub fn problem() -> Problem {
    Problem::random(4, 16, 5)
}

/// The example's line in `cargo run --example seed`: the worst difference from the seed's
/// formulas and the compact form, and from finite differences.
pub fn report() -> Report {
    let c = compare(&problem());
    Report {
        name: "batchnorm",
        value: c.loss,
        vs_closed_form: c.worst_closed_form(),
        vs_finite_differences: c.worst_finite_differences(),
    }
}

/// The seed's path-by-path equations (its "Computation Graph" section), each beside the line
/// of [`BATCH_NORM_DERIVATION`] that computes the same adjoint (`var` is σ², `centred` is
/// x − μ, and `x̂ = centred ⊘ √(var + ε)`).
pub const SEED_PATHS: &[(&str, &str, &str)] = &[
    ("∂l/∂x̂ᵢ = ∂l/∂yᵢ·γ", "x̂̄ = ȳ ⊙ γ", "the one path x̂ → y → l"),
    (
        "∂l/∂γ = Σᵢ ∂l/∂yᵢ·x̂ᵢ",
        "γ̄ = Σᵢ(ȳ ⊙ x̂)",
        "m paths γ → yᵢ → l",
    ),
    ("∂l/∂β = Σᵢ ∂l/∂yᵢ", "β̄ = Σᵢ ȳ", "m paths β → yᵢ → l"),
    (
        "∂l/∂σ² = Σᵢ ∂l/∂x̂ᵢ·(xᵢ − μ)·(−½)(σ² + ε)^(−3/2)",
        "v̅a̅r̅ = −(Σᵢ(x̂̄ ⊙ x̂ ⊘ √(var + ε)) ⊘ (2·√(var + ε)))",
        "x̂ ⊘ √(var + ε) is (x − μ)(σ² + ε)^(−1), and ⊘ (2√(σ² + ε)) the other ½(σ² + ε)^(−1/2)",
    ),
    (
        "∂l/∂μ = Σᵢ ∂l/∂x̂ᵢ·(−1/√(σ² + ε)) + ∂l/∂σ²·Σᵢ (−2/m)(xᵢ − μ)",
        "μ̄ = −Σᵢ c̅e̅n̅t̅r̅e̅d̅",
        "c̅e̅n̅t̅r̅e̅d̅ is the x̂ path plus the σ² path; Σᵢ of the σ² path's part is 0, as the seed says",
    ),
    (
        "∂l/∂xᵢ = ∂l/∂x̂ᵢ/√(σ² + ε) + ∂l/∂σ²·2(xᵢ − μ)/m + ∂l/∂μ/m",
        "c̅e̅n̅t̅r̅e̅d̅ = x̂̄ ⊘ √(var + ε) + 2·((v̅a̅r̅/m) ⊙ centred)",
        "the x̂ path and the σ² path of ∂l/∂xᵢ",
    ),
    (
        "",
        "x̄ = c̅e̅n̅t̅r̅e̅d̅ + μ̄/m",
        "the μ path added: the seed's three paths",
    ),
];

/// [`BATCH_NORM_DERIVATION`] and the seed's path-by-path equations, line by line.
pub fn derivation() -> String {
    let mut out = String::from("batch_norm: the derivation #[grad] generated\n");
    for line in BATCH_NORM_DERIVATION.lines() {
        out += &format!("  {line}\n");
    }
    out += "the seed's path-by-path equations, and the line above that computes each:\n";
    for (seed, line, how) in SEED_PATHS {
        if !seed.is_empty() {
            out += &format!("  seed:      {seed}\n");
        }
        out += &format!("  generated: {line}\n             ({how})\n");
    }
    out
}

fn main() {
    println!("{}", compare(&problem()));
    println!("\n{}", derivation());
    if std::env::args().any(|a| a == "--write-graph") {
        let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/docs");
        std::fs::create_dir_all(docs).expect("create docs/");
        for (file, dot) in [
            ("batchnorm_graph.dot", BATCH_NORM_GRAPH),
            ("batchnorm_paths.dot", BATCH_NORM_PATHS_GRAPH),
        ] {
            let path = format!("{docs}/{file}");
            std::fs::write(&path, dot).unwrap_or_else(|e| panic!("write {path}: {e}"));
            println!("wrote {path}");
        }
    }
}
