//! The spectral forms of the `linalg` family: `symmetric_eigen()` read by `.eigenvalues` and
//! `.eigenvectors`, `symmetric_eigenvalues()`, and a square matrix's `.exp()`; with the
//! dispatch of the catalogue's linalg sites among them, the SVD and QR (`svd_qr`). Drawn from
//! the catalogue stream (see `catalogue`).
//!
//! The readings of eigenvectors are invariant to their signs and order: `Σᵢ cos(λᵢ)·vᵢᵀ·W·vᵢ`
//! with `W` symmetric, `V·diag(f(λ))·Vᵀ`, and the top eigenvector (`.imax()` of the
//! eigenvalues) read as `vᵀ·M·v` or `(v·b)²`; they use [`Gen::spread_spd`] matrices, whose
//! eigenvalues are at least 1 apart. Readings of the eigenvalues alone (smooth at ties) use the
//! factorisations' `spd` half of the time (eigenvalues in [2, 4]). A matrix exponential's
//! argument has `n·max|m| ≤ 1`, so its entries are within `e`.

use super::catalogue::{column_of, from_diagonal, full_matrix, operand_of};
use super::factorisations::factor_shape;
use super::Gen;
use crate::ast::Expr;
use crate::ty::{Shape, Ty};
use std::f64::consts::E;

/// The kinds of the catalogue's linalg forms.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Eigen,
    Exp,
    Svd,
    Qr,
}

/// Whether QR's factors of `s` have types the generator writes and `s` is tall or square
/// (a wide matrix panics in the pullback by design).
pub(crate) fn qr_input(s: Shape) -> bool {
    full_matrix(s) && s.rows.n() >= s.cols.n()
}

/// The functions of eigenvalues (and singular values) that readings apply, with a bound of
/// their magnitude on [2, `top`] (singular values: [1.75, `top`]).
fn spectral_fn(which: usize, top: f64) -> (&'static str, f64) {
    match which {
        0 => ("sin", 1.0),
        1 => ("cos", 1.0),
        2 => ("ln", top.ln().max(1.75f64.ln().abs())),
        _ => ("recip", 1.0 / 1.75),
    }
}

impl Gen {
    /// A scalar of the catalogue's linalg forms: eigenvalues and eigenvectors, a matrix
    /// exponential's trace, the SVD's or QR's readings. `None` (having drawn nothing from the
    /// main stream) when the program has no shape for one.
    pub(crate) fn catalogue_linalg_scalar(&mut self, depth: u32) -> Option<Expr> {
        let mut kinds = Vec::new();
        if self.shapes.iter().any(|s| s.is_square()) {
            kinds.extend([
                Kind::Eigen,
                Kind::Eigen,
                Kind::Eigen,
                Kind::Eigen,
                Kind::Exp,
            ]);
        }
        if !self.shapes.is_empty() {
            kinds.extend([Kind::Svd, Kind::Svd]);
        }
        if self.shapes.iter().any(|&s| full_matrix(s)) {
            kinds.push(Kind::Qr);
        }
        if kinds.is_empty() {
            return None;
        }
        let d = depth - 1;
        let e = match kinds[self.cat_below(kinds.len())] {
            Kind::Eigen => {
                let s = self.cat_shape(|s| s.is_square())?;
                self.mark_linalg(s);
                self.took("spectral");
                self.eigen_scalar(s, d)
            }
            Kind::Exp => {
                let s = self.cat_shape(|s| s.is_square())?;
                self.mark_linalg(s);
                self.took("exp");
                let n = s.rows.n() as f64;
                let m = self.small_square(s, d);
                let x = self.fresh("ex");
                let t = format!("({{ let {x} = {{0}}; {x}.exp().trace() }})");
                Expr::op(t, vec![m], Ty::Scalar, n * E)
            }
            Kind::Svd => {
                let s = self.cat_shape(|_| true)?;
                self.mark_linalg(s);
                self.took("svd");
                self.svd_scalar(s, d)
            }
            Kind::Qr => {
                let s = self.cat_shape(full_matrix)?;
                self.mark_linalg(s);
                self.took("qr");
                self.qr_scalar(s, d)
            }
        };
        Some(e)
    }

    /// A matrix of shape `t` of the catalogue's linalg forms: `.exp()` or `V·diag(f(λ))·Vᵀ` of
    /// a square one, `V·diag(f(λ))·Vᵀ·b` for a right-hand side `b` of shape `t`, `U·diag(f(σ))·Vᵀ`
    /// of an SVD, QR's `Q ∘ Q`, `R ∘ R` or `.solve(&b)`. `None` (having drawn nothing from the
    /// main stream) when no form makes `t`, and at half of the vectors' sites (which have the
    /// right-hand side forms only).
    pub(crate) fn catalogue_linalg_matrix(&mut self, t: Shape, depth: u32) -> Option<Expr> {
        let mut kinds: Vec<usize> = Vec::new();
        if t.is_square() {
            kinds.extend([0, 0, 1, 1, 1, 2]);
        }
        if full_matrix(t) {
            kinds.extend([3, 3]);
        }
        if qr_input(t) {
            kinds.push(4);
        }
        if full_matrix(factor_shape(t)) {
            kinds.extend([5, 6, 6]);
        }
        if kinds.is_empty() || !full_matrix(t) && self.cat_chance(0.5) {
            return None;
        }
        self.mark_linalg(t);
        let d = depth - 1;
        let kind = kinds[self.cat_below(kinds.len())];
        self.took(["exp", "spectral", "qr", "svd", "qr", "qr", "spectral"][kind]);
        Some(match kind {
            0 => {
                let m = self.small_square(t, d);
                let x = self.fresh("ex");
                let tmpl = format!("({{ let {x} = {{0}}; {x}.exp() }})");
                Expr::op(tmpl, vec![m], Ty::Mat(t), E)
            }
            1 => self.eigen_function(t, d),
            2 => self.qr_r_squared(t, d),
            3 => self.svd_function(t, d),
            4 => self.qr_q_squared(t, d),
            5 => self.qr_solve(t, d),
            _ => self.eigen_apply(t, d),
        })
    }

    /// A square matrix of shape `s` with `n·max|m| ≤ 1` (its exponential's entries are within
    /// `e^‖m‖∞ ≤ e`), owned (a `let` binds it).
    fn small_square(&mut self, s: Shape, depth: u32) -> Expr {
        let m = self.matrix(s, depth);
        let m = self.clamp(m, 1.0 / s.rows.n() as f64);
        self.owned(m)
    }

    /// The symmetric matrix a value reading decomposes: `spd` (eigenvalues in [2, 4]) or
    /// [`Gen::spread_spd`], with the bound of its eigenvalues.
    fn eigen_input(&mut self, s: Shape, depth: u32) -> (Expr, f64) {
        if self.cat_chance(0.5) {
            (self.spd(s, depth), 4.0)
        } else {
            (self.spread_spd(s, depth), Self::spread_top(s.rows.n()))
        }
    }

    /// A scalar reading of `symmetric_eigen()` of the square shape `s`: `Σ f(λ)` (chained or
    /// bound), `‖λ‖²`, `symmetric_eigenvalues()`'s `Σ ln λ`, `Σᵢ cos(λᵢ)·vᵢᵀ·W·vᵢ`, or the top
    /// eigenvector's `vᵀ·M·v` or `(v·b)²`.
    fn eigen_scalar(&mut self, s: Shape, d: u32) -> Expr {
        let n = s.rows.n() as f64;
        let e = self.fresh("eig");
        match self.cat_below(6) {
            0 => {
                let (m, top) = self.eigen_input(s, d);
                let (f, b) = spectral_fn(self.cat_below(4), top);
                let read = format!("eigenvalues.map(|l| l.{f}()).sum()");
                let t = if self.cat_chance(0.4) {
                    format!("{{0}}.symmetric_eigen().{read}")
                } else {
                    format!("({{ let {e} = {{0}}.symmetric_eigen(); {e}.{read} }})")
                };
                Expr::op(t, vec![m], Ty::Scalar, n * b)
            }
            1 => {
                let (m, top) = self.eigen_input(s, d);
                let t = format!(
                    "({{ let {e} = {{0}}.symmetric_eigen(); {e}.eigenvalues.norm_squared() }})"
                );
                Expr::op(t, vec![m], Ty::Scalar, n * top * top)
            }
            2 => {
                let (m, top) = self.eigen_input(s, d);
                let t = "{0}.symmetric_eigenvalues().map(|l| l.ln()).sum()";
                Expr::op(t, vec![m], Ty::Scalar, n * top.ln())
            }
            3 | 4 => self.eigenvector_quadratics(s, d, &e),
            _ => self.top_eigenvector(s, d, &e),
        }
    }

    /// `Σᵢ cos(λᵢ)·vᵢᵀ·W·vᵢ` with `W = w + wᵀ`: each term within `‖W‖₂ ≤ 2n·max|w|`.
    fn eigenvector_quadratics(&mut self, s: Shape, d: u32, e: &str) -> Expr {
        let n = s.rows.n() as f64;
        let m = self.spread_spd(s, d);
        let w = self.matrix(s, d);
        let wb = w.bound;
        let w = self.owned(w);
        let (wn, w2) = (self.fresh("wsym"), self.fresh("wsym"));
        let sum = format!("{} + {wn}.transpose()", operand_of(s, &wn));
        let t = format!(
            "({{ let {e} = {{0}}.symmetric_eigen(); let {wn} = {{1}}; let {w2} = {sum}; \
             {e}.eigenvectors.component_mul(&({w2} * &{e}.eigenvectors)).row_sum_tr()\
             .dot(&{e}.eigenvalues.map(|l| l.cos())) }})"
        );
        Expr::op(t, vec![m, w], Ty::Scalar, 2.0 * n * n * wb)
    }

    /// The eigenvector of the largest eigenvalue, `v = V.column(λ.imax())`, read as `vᵀ·M·v`
    /// with `M = m + mᵀ` (within `2n·max|m|`) or as `(v·b)²` (within `n·max|b|²`).
    fn top_eigenvector(&mut self, s: Shape, d: u32, e: &str) -> Expr {
        let n = s.rows.n();
        let m = self.spread_spd(s, d);
        let v = self.fresh("ev");
        let head = format!(
            "let {e} = {{0}}.symmetric_eigen(); let {v} = {e}.eigenvectors.column({e}.eigenvalues.imax());"
        );
        if self.cat_chance(0.5) {
            let w = self.matrix(s, d);
            let wb = w.bound;
            let w = self.owned(w);
            let wn = self.fresh("wsym");
            let sum = format!("({} + {wn}.transpose())", operand_of(s, &wn));
            let t = format!(
                "({{ {head} let {wn} = {{1}}; ({v}.transpose() * {sum} * &{v})[(0, 0)] }})"
            );
            return Expr::op(t, vec![m, w], Ty::Scalar, 2.0 * n as f64 * wb);
        }
        let b = self.matrix(column_of(s, n), d);
        let bb = b.bound;
        let b = self.borrow(b);
        let t = format!("({{ {head} {v}.dot({{1}}).powi(2) }})");
        Expr::op(t, vec![m, b], Ty::Scalar, n as f64 * bb * bb)
    }

    /// `V·diag(f(λ))·Vᵀ` of a [`Gen::spread_spd`] matrix of the square shape `s`, through
    /// `from_diagonal`: a matrix function, entries within `max|f(λ)|`.
    fn eigen_function(&mut self, s: Shape, d: u32) -> Expr {
        let n = s.rows.n();
        let m = self.spread_spd(s, d);
        let (f, b) = spectral_fn(self.cat_below(4), Self::spread_top(n));
        let e = self.fresh("eig");
        let vecs = if s.is_static() {
            format!("{e}.eigenvectors")
        } else {
            format!("&{e}.eigenvectors")
        };
        let diag = from_diagonal(s, n);
        let t = format!(
            "({{ let {e} = {{0}}.symmetric_eigen(); \
             {vecs} * {diag}(&{e}.eigenvalues.map(|l| l.{f}())) * {e}.eigenvectors.transpose() }})"
        );
        Expr::op(t, vec![m], Ty::Mat(s), b)
    }

    /// `V·diag(f(λ))·(Vᵀ·b)`, the matrix function `f(S)` of a [`Gen::spread_spd`] matrix `S`
    /// (the square shape with `t`'s rows) applied to `b` of shape `t`: each column within
    /// `max|f(λ)|·√n·max|b|`.
    fn eigen_apply(&mut self, t: Shape, d: u32) -> Expr {
        let f_shape = factor_shape(t);
        let n = f_shape.rows.n();
        let m = self.spread_spd(f_shape, d);
        let b = self.matrix(t, d);
        let bb = b.bound;
        let b = self.borrow(b);
        let (f, fb) = spectral_fn(self.cat_below(4), Self::spread_top(n));
        let e = self.fresh("eig");
        let vecs = if f_shape.is_static() {
            format!("{e}.eigenvectors")
        } else {
            format!("&{e}.eigenvectors")
        };
        let diag = from_diagonal(f_shape, n);
        let tmpl = format!(
            "({{ let {e} = {{0}}.symmetric_eigen(); \
             {vecs} * ({diag}(&{e}.eigenvalues.map(|l| l.{f}())) * {e}.eigenvectors.tr_mul({{1}})) }})"
        );
        Expr::op(tmpl, vec![m, b], Ty::Mat(t), n as f64 * fb * bb)
    }
}
