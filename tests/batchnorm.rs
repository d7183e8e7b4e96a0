//! Batch normalisation (`examples/batchnorm.rs`, the seed's "Computation Graph" section): the
//! generated pullback against the seed's path-by-path formulas (intermediates included), the
//! compact closed form and finite differences, on every shape m ∈ {1, 2, 64} × d ∈ {1, 3, 32}
//! and with a constant column; the seed's path counts read off the generated graph; and layer
//! normalisation, the same computation along the other axis.

#[path = "../examples/support/mod.rs"]
mod support;

#[allow(dead_code)]
#[path = "../examples/batchnorm.rs"]
mod batchnorm;

use batchnorm::{Comparison, Problem};
use matgrad::{check_gradient, grad, Broadcast};
use nalgebra::{DMatrix, RowDVector};
use std::collections::HashMap;

/// The largest relative difference between the generated pullback and a closed form (or
/// between two generated pullbacks): rounding only.
const ROUNDING: f64 = 1e-9;

/// The largest relative error against central finite differences where they resolve the
/// gradient to it. `check_gradient` steps by h ≈ 6e-6; its error is about
/// ε_mach·|l|/h + h²·|f'''|/6, near 1e-11 relative for well-spread data.
const FINITE_DIFFERENCES: f64 = 1e-9;

/// The same for groups of two or three values (m = 2 for batch norm, d = 2 or 3 for layer
/// norm), where finite differences cannot resolve the gradient to 1e-9. With two samples
/// x̂ = ±(x₁ − x₂)/√((x₁ − x₂)² + 4ε) is ±1 up to ε, so ∂l/∂X is what ε leaves of a
/// cancellation of O(1) terms (1e-4 in `two_samples`): the rounding noise of l over h,
/// about 2e-11, is 1e-7 of it. And a group whose values nearly coincide has a small σ²,
/// where the truncation error h²·|f'''|/6 ∝ h²/(σ² + ε) grows, up to 2e-7 of the gradient
/// at σ² = 0 with ε = 1e-5 (see `constant_column`). The closed forms still agree to
/// [`ROUNDING`].
const FINITE_DIFFERENCES_SMALL_GROUPS: f64 = 1e-6;

const MS: [usize; 3] = [1, 2, 64];
const DS: [usize; 3] = [1, 3, 32];

/// Asserts every difference of a [`Comparison`]: the closed forms to [`ROUNDING`], finite
/// differences to `fd`.
#[track_caller]
fn assert_agrees(c: &Comparison, fd: f64) {
    for r in &c.rows {
        assert!(
            r.vs_seed_paths < ROUNDING,
            "{}: generated vs the seed's path-by-path formula: {:e}\n{c}",
            r.quantity,
            r.vs_seed_paths
        );
        if let Some(e) = r.vs_compact {
            assert!(
                e < ROUNDING,
                "{}: generated vs the compact closed form: {e:e}\n{c}",
                r.quantity
            );
        }
        if let Some(e) = r.vs_finite_differences {
            assert!(
                e < fd,
                "{}: generated vs finite differences: {e:e}\n{c}",
                r.quantity
            );
        }
    }
    assert!(
        c.one_body_vs_staged < ROUNDING,
        "batch_norm_staged vs batch_norm: {:e}\n{c}",
        c.one_body_vs_staged
    );
}

/// The finite-difference tolerance for normalising over groups of `n` values.
fn fd_tolerance(n: usize) -> f64 {
    if n == 2 || n == 3 {
        FINITE_DIFFERENCES_SMALL_GROUPS
    } else {
        FINITE_DIFFERENCES
    }
}

// =============================================================================== batch norm

/// The three comparisons on every shape.
#[test]
fn every_shape_agrees() {
    for (k, m) in MS.into_iter().enumerate() {
        for (l, d) in DS.into_iter().enumerate() {
            let p = Problem::random(100 + 10 * k as u64 + l as u64, m, d);
            let c = batchnorm::compare(&p);
            assert_eq!(c.rows.len(), 11, "{c}");
            assert_agrees(&c, fd_tolerance(m));
        }
    }
}

/// Two samples: the gradient is small (ε-driven) and the closed forms still agree to 1e-9.
#[test]
fn two_samples() {
    let p = Problem::random(7, 2, 3);
    let c = batchnorm::compare(&p);
    let dx = c.rows.iter().find(|r| r.quantity == "∂l/∂X").unwrap();
    assert!(dx.size < 1e-3, "‖∂l/∂X‖ = {:e} is not small\n{c}", dx.size);
    assert_agrees(&c, FINITE_DIFFERENCES_SMALL_GROUPS);
}

/// One sample: σ² = 0, x̂ = 0 and Y = β whatever X and γ are, so ∂l/∂X and ∂l/∂γ are zero
/// and ∂l/∂β = G, with nothing undefined (ε carries the zero variance).
#[test]
fn one_sample_gives_exact_zeros() {
    let p = Problem::random(11, 1, 4);
    let (gen, staged) = batchnorm::generated(&p);
    assert_eq!(gen.x, DMatrix::zeros(1, 4));
    assert_eq!(gen.gamma, RowDVector::zeros(4));
    assert_eq!(gen.beta, p.g.row(0).into_owned());
    assert_eq!(staged.x, gen.x);
    let y = batchnorm::batch_norm(&p.x, &p.gamma, &p.beta, p.eps);
    assert_eq!(y.row(0).into_owned(), p.beta);
}

/// The data of [`constant_column`]: column 1 holds one value in every row.
fn with_constant_column(eps: f64) -> Problem {
    let mut p = Problem::random(9, 8, 3);
    p.x.column_mut(1).fill(0.3);
    p.eps = eps;
    p
}

/// A constant column: σ² = 0 there (up to the rounding of μ), carried by ε. With the usual
/// ε = 1e-5 the closed forms agree to rounding; finite differences do not resolve the
/// gradient to 1e-9 there, as the curvature in that column is set by √ε ≈ 3e-3, only 500
/// steps h wide: the truncation error h²·|f'''|/6 ∝ h²/ε is 2e-7 of the gradient. With
/// ε = 0.1 the same check holds to 1e-9.
#[test]
fn constant_column() {
    let c = batchnorm::compare(&with_constant_column(1e-5));
    assert_agrees(&c, 1e-5);
    let c = batchnorm::compare(&with_constant_column(0.1));
    assert_agrees(&c, FINITE_DIFFERENCES);

    // In the constant column x̂ = 0 (to rounding), so ∂l/∂X = γ/√ε·(G − mean G) there.
    let p = with_constant_column(1e-5);
    let (gen, _) = batchnorm::generated(&p);
    let g = p.g.column(1);
    let expected = (g.add_scalar(-g.mean())) * (p.gamma[1] / p.eps.sqrt());
    let got = gen.x.column(1).into_owned();
    let e = support::relative_difference(&got, &expected);
    assert!(e < 1e-9, "constant column: {e:e}\n{got}\n{expected}");
}

/// The generated value is the batch norm: the columns of Y have mean β and, up to ε,
/// standard deviation |γ|; and the function itself and the staged version compute the same Y.
#[test]
fn the_value_is_batch_norm() {
    let p = Problem::random(12, 64, 3);
    let (y, _) = batchnorm::batch_norm_pullback(&p.x, &p.gamma, &p.beta, p.eps);
    // The runtime sums in its own order (eight partial sums), nalgebra in another: rounding.
    let primal = batchnorm::batch_norm(&p.x, &p.gamma, &p.beta, p.eps);
    assert!((&y - &primal).amax() < 1e-12);
    let staged = batchnorm::batch_norm_staged(&p.x, &p.gamma, &p.beta, p.eps);
    assert!((&y - &staged).amax() < 1e-12);
    for j in 0..3 {
        let col = y.column(j);
        assert!((col.mean() - p.beta[j]).abs() < 1e-12);
        let var_x = p.x.column(j).variance();
        let expected = p.gamma[j].powi(2) * var_x / (var_x + p.eps);
        assert!((col.variance() - expected).abs() < 1e-12);
    }
}

/// The comparison can fail: the seed's formula for ∂l/∂xᵢ without its σ² path is caught.
#[test]
#[should_panic(expected = "∂l/∂X")]
fn dropping_the_variance_path_is_caught() {
    let p = Problem::random(13, 16, 3);
    let (gen, _) = batchnorm::generated(&p);
    let seed = batchnorm::seed_paths(&p);
    let without = &seed.x_via_xhat + &seed.x_via_mu;
    let e = support::relative_difference(&gen.x, &without);
    assert!(e < ROUNDING, "∂l/∂X without the σ² path: {e:e}");
}

/// The comparison can fail: a wrong ∂l/∂γ (Σ G instead of Σ G ⊙ x̂) is caught by finite
/// differences.
#[test]
#[should_panic(expected = "finite differences")]
fn a_wrong_gamma_gradient_is_caught() {
    let p = Problem::random(14, 16, 3);
    let (mut gen, _) = batchnorm::generated(&p);
    gen.gamma = gen.beta.clone();
    let [_, fd_gamma, _] = batchnorm::finite_differences(&p, &gen);
    assert!(
        fd_gamma.rel_error < FINITE_DIFFERENCES,
        "∂l/∂γ vs finite differences: {fd_gamma}"
    );
}

/// The example's line in `cargo run --example seed` agrees.
#[test]
fn the_report_agrees() {
    let r = batchnorm::report();
    assert!(r.agrees(), "{r}");
    assert!(r.vs_closed_form < ROUNDING && r.vs_finite_differences < FINITE_DIFFERENCES);
}

// ======================================================== the seed's paths, in the graph

/// A DOT graph as `#[grad]` writes it: node labels by id, and edges (with multiplicity).
struct Dot {
    labels: HashMap<String, String>,
    edges: Vec<(String, String)>,
}

impl Dot {
    /// Reads `  v3 [shape=..., label="mu = ÷"];` and `  v3 -> v7;` lines.
    fn parse(dot: &str) -> Dot {
        let mut labels = HashMap::new();
        let mut edges = Vec::new();
        for line in dot.lines().map(str::trim) {
            if let Some((from, rest)) = line.split_once(" -> ") {
                let to = rest.trim_end_matches(';').split(' ').next().unwrap();
                edges.push((from.to_string(), to.trim_end_matches(';').to_string()));
            } else if let Some((id, attrs)) = line.split_once(" [") {
                if let Some(label) = attrs.split("label=\"").nth(1) {
                    let label = label.split('"').next().unwrap();
                    labels.insert(id.to_string(), label.to_string());
                }
            }
        }
        Dot { labels, edges }
    }

    /// The id of the node for the variable `name` (labelled `name` or `name = op`).
    #[track_caller]
    fn node(&self, name: &str) -> &str {
        let ids: Vec<&String> = self
            .labels
            .iter()
            .filter(|(_, l)| *l == name || l.starts_with(&format!("{name} = ")))
            .map(|(id, _)| id)
            .collect();
        assert_eq!(ids.len(), 1, "nodes named `{name}`: {ids:?}");
        ids[0]
    }

    /// The number of directed paths from `from` to `to` that pass through none of `avoid`.
    fn paths(&self, from: &str, to: &str, avoid: &[&str]) -> usize {
        if from == to {
            return 1;
        }
        self.edges
            .iter()
            .filter(|(a, b)| a == from && !avoid.contains(&b.as_str()))
            .map(|(_, b)| self.paths(b, to, avoid))
            .sum()
    }
}

/// The seed's path counts, read off the graph `#[grad]` generates for batch norm of one
/// feature over m = 3 samples (`docs/batchnorm_paths.svg`).
///
/// The seed draws μ → σ² as one edge (σ² as a function of x and μ). The generated graph
/// shows the operations, so that edge is m routes, μ → (xᵢ − μ) → (xᵢ − μ)² → σ², one per
/// sample. Counted that way, μ reaches l by m + m·m = 12 paths; the seed's 2m = 6 are the m
/// paths μ → x̂ᵢ → l that avoid σ², plus the m paths σ² → x̂ᵢ → l that follow its one edge
/// μ → σ².
#[test]
fn the_seed_path_counts_are_in_the_generated_graph() {
    let m = 3;
    let g = Dot::parse(batchnorm::BATCH_NORM_PATHS_GRAPH);
    let (mu, var, out) = (g.node("mu"), g.node("var"), "output");

    // σ²: m paths, σ² → x̂ᵢ → l.
    assert_eq!(g.paths(var, out, &[]), m);
    // μ: m paths μ → x̂ᵢ → l that avoid σ² ...
    assert_eq!(g.paths(mu, out, &[var]), m);
    // ... and the one edge μ → σ² of the seed is m routes in the generated graph ...
    assert_eq!(g.paths(mu, var, &[]), m);
    // ... so: 2m with that edge taken as one, m + m·m as the operations are drawn.
    assert_eq!(g.paths(mu, out, &[var]) + g.paths(var, out, &[]), 2 * m);
    assert_eq!(g.paths(mu, out, &[]), m + m * m);

    for i in 1..=m {
        let (x, xhat) = (g.node(&format!("x{i}")), g.node(&format!("xhat{i}")));
        // x̂ᵢ: one path, x̂ᵢ → yᵢ → l.
        assert_eq!(g.paths(xhat, out, &[]), 1, "x̂{i}");
        // xᵢ: three paths in the seed, xᵢ → x̂ᵢ, xᵢ → σ², xᵢ → μ: one route to each that
        // passes through neither of the other two.
        assert_eq!(g.paths(x, xhat, &[mu, var]), 1, "x{i} → x̂{i}");
        assert_eq!(g.paths(x, var, &[mu, xhat]), 1, "x{i} → σ²");
        assert_eq!(g.paths(x, mu, &[var, xhat]), 1, "x{i} → μ");
    }
    // γ and β: m paths each, γ → yᵢ → l.
    assert_eq!(g.paths(g.node("gamma"), out, &[]), m);
    assert_eq!(g.paths(g.node("beta"), out, &[]), m);
    // ε is a constant: drawn, but not differentiated.
    assert!(g.labels.values().any(|l| l == "eps"));
}

/// The path counter can fail: on the matrix batch norm μ reaches σ² through one value, the
/// centred matrix, squared by multiplying it with itself — two edges, two paths, not one.
#[test]
fn the_path_counter_counts_edges() {
    let g = Dot::parse(batchnorm::BATCH_NORM_GRAPH);
    let (mu, var) = (g.node("mu"), g.node("var"));
    assert_eq!(g.paths(mu, var, &[]), 2);
    assert_eq!(g.paths(var, "output", &[]), 1);
    assert_eq!(g.paths(g.node("x"), "output", &[]), 1 + 2 + 2 + 1);
}

/// The scalar version computes the same gradient as the seed's formulas on a 3×1 batch.
#[test]
fn the_scalar_graph_function_is_batch_norm() {
    let p = Problem::random(15, 3, 1);
    let c = [p.g[0], p.g[1], p.g[2]];
    let (x1, x2, x3) = (p.x[0], p.x[1], p.x[2]);
    let (l, grad) = batchnorm::batch_norm_paths_grad(x1, x2, x3, p.gamma[0], p.beta[0], p.eps, c);
    assert!((l - p.loss(&p.x, &p.gamma, &p.beta)).abs() < 1e-12);
    let seed = batchnorm::seed_paths(&p);
    let got = DMatrix::from_column_slice(3, 1, &[grad.x1, grad.x2, grad.x3]);
    let e = support::relative_difference(&got, &seed.x);
    assert!(e < ROUNDING, "∂l/∂xᵢ: {e:e}");
    assert!((grad.gamma - seed.gamma[0]).abs() < 1e-12);
    assert!((grad.beta - seed.beta[0]).abs() < 1e-12);
}

/// `docs/` holds the graphs `#[grad]` generates now. Regenerate them with
/// `cargo run --example batchnorm -- --write-graph`, then render the SVGs as the README says.
#[test]
fn the_docs_show_the_generated_graphs() {
    let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/docs");
    for (file, dot) in [
        ("batchnorm_graph.dot", batchnorm::BATCH_NORM_GRAPH),
        ("batchnorm_paths.dot", batchnorm::BATCH_NORM_PATHS_GRAPH),
    ] {
        let path = format!("{docs}/{file}");
        let saved = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(
            saved == dot,
            "{path} is not the graph #[grad] generates now; run `cargo run --example batchnorm -- --write-graph` and render the SVGs again"
        );
        // The SVG rendered from it names the same variables (checked without Graphviz).
        let svg_path = path.replace(".dot", ".svg");
        let svg = std::fs::read_to_string(&svg_path).unwrap_or_else(|e| panic!("{svg_path}: {e}"));
        for label in Dot::parse(dot).labels.values() {
            assert!(
                svg.contains(&format!(">{label}</text>")),
                "{svg_path} has no node `{label}`: render it again from {path}"
            );
        }
    }
}

// =============================================================================== layer norm

/// Layer normalisation: each ROW (sample) normalised over its d features, then scaled and
/// shifted per feature.
#[grad(x, gamma, beta)]
fn layer_norm(
    x: &DMatrix<f64>,
    gamma: &RowDVector<f64>,
    beta: &RowDVector<f64>,
    eps: f64,
) -> DMatrix<f64> {
    let mu = x.column_mean();
    let centred = x.broadcast_sub(&mu);
    let var = centred.component_mul(&centred).column_mean();
    let xhat = centred.broadcast_div(&var.map(|v| (v + eps).sqrt()));
    xhat.broadcast_mul(gamma).broadcast_add(beta)
}

/// The closed form, row by row: with s = 1/√(σ² + ε) of the row and D = G ⊙ γ,
/// ∂l/∂xᵢ = (s/d)(d·Dᵢ − Σⱼ Dᵢⱼ − x̂ᵢ Σⱼ Dᵢⱼ x̂ᵢⱼ); ∂l/∂γ = Σᵢ Gᵢ ⊙ x̂ᵢ; ∂l/∂β = Σᵢ Gᵢ.
fn layer_norm_closed_form(p: &Problem) -> (DMatrix<f64>, RowDVector<f64>, RowDVector<f64>) {
    let (m, d) = p.x.shape();
    let df = d as f64;
    let mut dx = DMatrix::zeros(m, d);
    let mut dgamma = RowDVector::zeros(d);
    for i in 0..m {
        let x = p.x.row(i);
        let mu = x.mean();
        let s = 1.0 / (x.variance() + p.eps).sqrt();
        let xhat = x.map(|v| (v - mu) * s);
        let dxhat = p.g.row(i).component_mul(&p.gamma);
        let (sum, sum_x) = (dxhat.sum(), dxhat.dot(&xhat));
        for j in 0..d {
            dx[(i, j)] = s / df * (df * dxhat[j] - sum - xhat[j] * sum_x);
        }
        dgamma += p.g.row(i).component_mul(&xhat);
    }
    (dx, dgamma, p.g.row_sum())
}

/// Layer norm on every shape, against the closed form and finite differences. d = 1 is the
/// zero-variance case here; d = 2 is batch norm's m = 2.
#[test]
fn layer_norm_agrees() {
    for (k, m) in MS.into_iter().enumerate() {
        for (l, d) in DS.into_iter().chain([2]).enumerate() {
            let p = Problem::random(200 + 10 * k as u64 + l as u64, m, d);
            let at = format!("layer norm {m}×{d}");
            let (y, pullback) = layer_norm_pullback(&p.x, &p.gamma, &p.beta, p.eps);
            assert_eq!(y, layer_norm(&p.x, &p.gamma, &p.beta, p.eps), "{at}");
            let grad = pullback(&p.g);
            let (dx, dgamma, dbeta) = layer_norm_closed_form(&p);
            for (name, e) in [
                ("X", support::relative_difference(&grad.x, &dx)),
                ("γ", support::relative_difference(&grad.gamma, &dgamma)),
                ("β", support::relative_difference(&grad.beta, &dbeta)),
            ] {
                assert!(e < ROUNDING, "{at}: ∂l/∂{name} vs the closed form: {e:e}");
            }
            let loss = |x: &DMatrix<f64>, gamma: &RowDVector<f64>, beta: &RowDVector<f64>| {
                p.g.dot(&layer_norm(x, gamma, beta, p.eps))
            };
            let fd = fd_tolerance(d);
            for (name, check) in [
                (
                    "X",
                    check_gradient(|x| loss(x, &p.gamma, &p.beta), &p.x, &grad.x),
                ),
                (
                    "γ",
                    check_gradient(|g| loss(&p.x, g, &p.beta), &p.gamma, &grad.gamma),
                ),
                (
                    "β",
                    check_gradient(|b| loss(&p.x, &p.gamma, b), &p.beta, &grad.beta),
                ),
            ] {
                assert!(
                    check.rel_error < fd,
                    "{at}: ∂l/∂{name} vs finite differences: {check}"
                );
            }
        }
    }
}

/// Layer norm is batch norm of the transpose, with γ and β applied after transposing back:
/// on a square batch with γ = 1, β = 0, ∂l/∂X of the one is ∂l/∂Xᵀ of the other.
#[test]
fn layer_norm_is_batch_norm_transposed() {
    let p = Problem::random(16, 5, 5);
    let (ones, zeros) = (RowDVector::from_element(5, 1.0), RowDVector::zeros(5));
    let (y, pullback) = layer_norm_pullback(&p.x, &ones, &zeros, p.eps);
    let xt = p.x.transpose();
    let (yt, pullback_t) = batchnorm::batch_norm_pullback(&xt, &ones, &zeros, p.eps);
    assert!((y - yt.transpose()).amax() < 1e-12);
    let dx = pullback(&p.g).x;
    let dxt = pullback_t(&p.g.transpose()).x;
    let e = support::relative_difference(&dx, &dxt.transpose());
    assert!(e < ROUNDING, "{e:e}");
}
