//! What every worked example shares: the [`Report`] it returns, the table `seed` prints, and
//! seeded random data.
//!
//! Not an example of its own (cargo builds only `examples/*.rs` and `examples/*/main.rs`):
//! each example includes it with `#[path = "support/mod.rs"] mod support;` and then names it
//! as `crate::support`, so that when `seed.rs` and `tests/examples.rs` include the examples
//! as modules, every example builds the one `Report` of the including crate. (Each example's
//! own `mod support` then goes unused there, which is why it carries
//! `#[allow(clippy::duplicate_mod)]`.)

// Each including crate uses a different part of this module.
#![allow(dead_code)]

use matgrad::{Dense, GradCheck};
use nalgebra::{DMatrix, DVector};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::fmt;

/// The largest accepted [`Report::vs_closed_form`]: the two are the same math in a different
/// order of floating-point operations.
pub const CLOSED_FORM_TOLERANCE: f64 = 1e-9;

/// The largest accepted [`Report::vs_finite_differences`]: central differences in f64 are
/// good to about 1e-10 relative on these inputs; this leaves room for larger examples.
pub const FINITE_DIFFERENCE_TOLERANCE: f64 = 1e-6;

/// One worked example's result: its value, and how far the gradient `#[grad]` generated is
/// from the seed's closed form and from central finite differences.
#[derive(Clone, Debug)]
pub struct Report {
    /// The example's name, as in `cargo run --example <name>`.
    pub name: &'static str,
    /// The function's value at the example's point.
    pub value: f64,
    /// `max|g − c| / max|c|` between the generated gradient `g` and the closed form `c`
    /// (the largest over the parameters checked).
    pub vs_closed_form: f64,
    /// [`GradCheck::rel_error`] of the generated gradient against finite differences (the
    /// largest over the parameters checked).
    pub vs_finite_differences: f64,
}

impl Report {
    /// The report of an example with one differentiated parameter: `generated` is the
    /// gradient `#[grad]` returned, `closed_form` the seed's formula evaluated by hand, and
    /// `check` what [`matgrad::check_gradient`] found for `generated`.
    pub fn new<X: Dense<Scalar = f64>>(
        name: &'static str,
        value: f64,
        generated: &X,
        closed_form: &X,
        check: GradCheck<f64>,
    ) -> Report {
        Report {
            name,
            value,
            vs_closed_form: relative_difference(generated, closed_form),
            vs_finite_differences: check.rel_error,
        }
    }

    /// Adds the gradient of one more parameter: the report keeps the worst differences.
    pub fn and<X: Dense<Scalar = f64>>(
        self,
        generated: &X,
        closed_form: &X,
        check: GradCheck<f64>,
    ) -> Report {
        Report {
            vs_closed_form: worst(
                self.vs_closed_form,
                relative_difference(generated, closed_form),
            ),
            vs_finite_differences: worst(self.vs_finite_differences, check.rel_error),
            ..self
        }
    }

    /// Whether both differences are within [`CLOSED_FORM_TOLERANCE`] and
    /// [`FINITE_DIFFERENCE_TOLERANCE`] (a NaN never is).
    pub fn agrees(&self) -> bool {
        self.vs_closed_form <= CLOSED_FORM_TOLERANCE
            && self.vs_finite_differences <= FINITE_DIFFERENCE_TOLERANCE
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: value {:.6}", self.name, self.value)?;
        writeln!(
            f,
            "  generated gradient vs closed form:        {:.1e} (max relative difference)",
            self.vs_closed_form
        )?;
        write!(
            f,
            "  generated gradient vs finite differences: {:.1e} (relative error)",
            self.vs_finite_differences
        )
    }
}

/// `max|g − c| / max|c|` over the entries; `max|g − c|` when `c` is zero. NaN if any entry
/// of either is NaN.
pub fn relative_difference<X: Dense<Scalar = f64>>(generated: &X, closed_form: &X) -> f64 {
    assert_eq!(
        generated.shape(),
        closed_form.shape(),
        "the generated gradient and the closed form differ in shape"
    );
    let (mut diff, mut scale) = (0.0, 0.0);
    for i in 0..generated.len() {
        let (g, c) = (generated.entry(i), closed_form.entry(i));
        diff = worst(diff, (g - c).abs());
        scale = worst(scale, c.abs());
    }
    if scale > 0.0 {
        diff / scale
    } else {
        diff
    }
}

/// The larger of two differences, NaN if either is (`f64::max` would drop a NaN).
fn worst(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// The table `cargo run --example seed` prints, one row per report, and a closing line that
/// says whether all of them agree.
pub fn table(reports: &[Report]) -> String {
    let mut out = format!(
        "{:<15} {:>14} {:>18} {:>22}\n",
        "example", "value", "vs closed form", "vs finite differences"
    );
    for r in reports {
        out += &format!(
            "{:<15} {:>14.6} {:>18.1e} {:>22.1e}\n",
            r.name, r.value, r.vs_closed_form, r.vs_finite_differences
        );
    }
    let failing: Vec<&str> = reports
        .iter()
        .filter(|r| !r.agrees())
        .map(|r| r.name)
        .collect();
    if failing.is_empty() {
        out += &format!(
            "all {} agree: the generated gradients match the closed forms to {:e} and finite differences to {:e}",
            reports.len(),
            CLOSED_FORM_TOLERANCE,
            FINITE_DIFFERENCE_TOLERANCE
        );
    } else {
        out += &format!(
            "NOT all agree: {} exceed the tolerances ({:e} against the closed form, {:e} against finite differences)",
            failing.join(", "),
            CLOSED_FORM_TOLERANCE,
            FINITE_DIFFERENCE_TOLERANCE
        );
    }
    out
}

/// An example's derivation as `#[grad]` wrote it (its `F_DERIVATION`), indented, under a
/// title, followed by the seed's own closed form for comparison.
pub fn derivation(name: &str, generated: &str, seed: &str) -> String {
    let mut out = format!("{name}: the derivation #[grad] generated\n");
    for line in generated.lines() {
        out += &format!("  {line}\n");
    }
    out += &format!("  the seed's closed form: {seed}");
    out
}

/// A generator seeded with `seed`, so every run sees the same data.
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// An `rows × cols` matrix of entries drawn uniformly from [-1, 1).
pub fn random_matrix(rng: &mut StdRng, rows: usize, cols: usize) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| rng.random_range(-1.0..1.0))
}

/// A vector of `n` entries drawn uniformly from [-1, 1).
pub fn random_vector(rng: &mut StdRng, n: usize) -> DVector<f64> {
    DVector::from_fn(n, |_, _| rng.random_range(-1.0..1.0))
}

/// An `rows × cols` matrix with condition number below about 3: `2·I + E`, where the
/// random `E` (entries of variance 1/3) is scaled by `1/(√rows + √cols)` so that its
/// spectral norm is about 0.6 and every singular value stays between about 1.4 and 2.6.
pub fn well_conditioned(rng: &mut StdRng, rows: usize, cols: usize) -> DMatrix<f64> {
    let scale = 1.0 / ((rows as f64).sqrt() + (cols as f64).sqrt());
    DMatrix::identity(rows, cols) * 2.0 + random_matrix(rng, rows, cols) * scale
}
