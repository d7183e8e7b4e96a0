//! The SVD and QR forms of the `linalg` family (dispatched from `spectral`), drawn from the
//! catalogue stream: `m.singular_values()`, `m.svd(true, true)` read by `.singular_values`,
//! `.u.unwrap()` and `.v_t.unwrap()` (bound once, the vectors moved out before the values are
//! read), and `m.qr()` or `m.col_piv_qr()` read by `.q()`, `.r()` (of any shape in a scalar
//! reading, tall or square in a matrix one), `.p()` (a constant) and, square,
//! `.solve(&b).unwrap()`.
//!
//! The decomposed matrices are [`Gen::spread_matrix`]es (singular values in [1.75, k + 1.25],
//! at least ½ apart: the vectors are well-conditioned and `R` invertible), or for a solve
//! `3I + E`. Vectors are read invariantly to their signs: `Σᵢ wᵢ·uᵢᵀ·P·vᵢ` (joint flips of
//! `uᵢ` and `vᵢ`), `U·diag(f(σ))·Vᵀ`, and `Q ∘ Q`, `R ∘ R` (flips of Q's columns and R's rows).

use super::catalogue::{from_diagonal, full_matrix};
use super::factorisations::factor_shape;
use super::Gen;
use crate::ast::Expr;
use crate::ty::{Dim, Shape, Ty};

impl Gen {
    /// A scalar reading of the SVD of shape `s`: `Σσ` by `singular_values()`, `‖σ‖²` of a bound
    /// `svd(true, true)`, or (a `DMatrix` or `SMatrix`) `Σᵢ wᵢ·uᵢᵀ·P·vᵢ` with `w = σ`
    /// (`⟨P, m⟩`, smooth everywhere) or `w = cos σ`.
    pub(crate) fn svd_scalar(&mut self, s: Shape, d: u32) -> Expr {
        let (r, c) = (s.rows.n(), s.cols.n());
        let k = r.min(c) as f64;
        let top = Self::sigma_top(s);
        let form = self.cat_below(if full_matrix(s) { 4 } else { 2 });
        let m = self.spread_matrix(s, d);
        let sv = self.fresh("sv");
        match form {
            0 => Expr::op("{0}.singular_values().sum()", vec![m], Ty::Scalar, k * top),
            1 => {
                let t = format!(
                    "({{ let {sv} = {{0}}.svd(true, true); {sv}.singular_values.norm_squared() }})"
                );
                Expr::op(t, vec![m], Ty::Scalar, k * top * top)
            }
            _ => {
                let p = self.matrix(s, d);
                let pb = p.bound * ((r * c) as f64).sqrt();
                let p = self.operand(p);
                let (weights, wb) = if form == 2 {
                    (format!("{sv}.singular_values"), top)
                } else {
                    (format!("{sv}.singular_values.map(|sg| sg.cos())"), 1.0)
                };
                let (u, vt) = (self.fresh("su"), self.fresh("svt"));
                let t = format!(
                    "({{ let {sv} = {{0}}.svd(true, true); let {u} = {sv}.u.unwrap(); \
                     let {vt} = {sv}.v_t.unwrap(); \
                     {u}.component_mul(&({{1}} * {vt}.transpose())).row_sum_tr().dot(&{weights}) }})"
                );
                Expr::op(t, vec![m, p], Ty::Scalar, k * wb * pb)
            }
        }
    }

    /// `U·diag(f(σ))·Vᵀ` of the SVD of a `DMatrix` or `SMatrix` of shape `t`: entries within
    /// `max|f(σ)|`.
    pub(crate) fn svd_function(&mut self, t: Shape, d: u32) -> Expr {
        let k = t.rows.n().min(t.cols.n());
        let m = self.spread_matrix(t, d);
        let (f, b) = match self.cat_below(4) {
            0 => ("sin", 1.0),
            1 => ("sqrt", Self::sigma_top(t).sqrt()),
            2 => ("ln", Self::sigma_top(t).ln()),
            _ => ("recip", 1.0 / 1.75),
        };
        let diag = from_diagonal(t, k);
        let (sv, u, vt) = (self.fresh("sv"), self.fresh("su"), self.fresh("svt"));
        let tmpl = format!(
            "({{ let {sv} = {{0}}.svd(true, true); let {u} = {sv}.u.unwrap(); \
             let {vt} = {sv}.v_t.unwrap(); \
             {u} * {diag}(&{sv}.singular_values.map(|sg| sg.{f}())) * {vt} }})"
        );
        Expr::op(tmpl, vec![m], Ty::Mat(t), b)
    }

    /// A scalar reading of `qr()` or `col_piv_qr()` of the shape `s` (`m×n`, tall, square or
    /// wide; `k = min(m, n)`): `Σ W ∘ R ∘ R` (`R` k×n, entries within `σ_max`), `⟨Q ∘ Q, W⟩`
    /// (`Q` m×k, within `k·max|W|`: Q's columns are unit vectors), or both from one
    /// factorisation; of a bound `col_piv_qr()`, scaled by `1 + ` the length of its
    /// permutation `.p()` (a constant, at most `k`).
    pub(crate) fn qr_scalar(&mut self, s: Shape, d: u32) -> Expr {
        let (m, n) = (s.rows.n(), s.cols.n());
        let k = m.min(n);
        let top = Self::sigma_top(s);
        let rr_bound = (k * n) as f64 * top * top;
        let a = self.spread_matrix(s, d);
        let fac = self.qr_kind();
        let (q, qq, rr) = (self.fresh("qf"), self.fresh("qq"), self.fresh("rr"));
        let (scale, sb) = if fac == "col_piv_qr()" && self.cat_chance(0.5) {
            (format!(" * ({q}.p().len() as f64 + 1.0)"), (k + 1) as f64)
        } else {
            (String::new(), 1.0)
        };
        match self.cat_below(3) {
            0 => {
                let w = self.matrix(shape_in(s, k, n), d);
                let wb = w.bound;
                let w = self.borrow(w);
                let head = if scale.is_empty() && self.cat_chance(0.4) {
                    format!("let {rr} = {{0}}.{fac}.r();")
                } else {
                    format!("let {q} = {{0}}.{fac}; let {rr} = {q}.r();")
                };
                let t = format!(
                    "({{ {head} {rr}.component_mul(&{rr}).component_mul({{1}}).sum(){scale} }})"
                );
                Expr::op(t, vec![a, w], Ty::Scalar, rr_bound * wb * sb)
            }
            form => {
                let w = self.matrix(shape_in(s, m, k), d);
                let wb = k as f64 * w.bound;
                let w = self.borrow(w);
                let (lets, extra, bound) = if form == 2 {
                    (
                        format!(" let {rr} = {q}.r();"),
                        format!(" + {rr}.component_mul(&{rr}).sum()"),
                        wb + rr_bound,
                    )
                } else {
                    (String::new(), String::new(), wb)
                };
                let t = format!(
                    "({{ let {q} = {{0}}.{fac}; let {qq} = {q}.q();{lets} \
                     ({qq}.component_mul(&{qq}).dot({{1}}){extra}){scale} }})"
                );
                Expr::op(t, vec![a, w], Ty::Scalar, bound * sb)
            }
        }
    }

    /// `qr()`, or (a third of the time, from the catalogue stream) `col_piv_qr()`.
    fn qr_kind(&mut self) -> &'static str {
        if self.cat_chance(0.35) {
            "col_piv_qr()"
        } else {
            "qr()"
        }
    }

    /// `Q ∘ Q` of `qr()` of the tall or square shape `t` (Q has `t`'s shape): entries in [0, 1].
    pub(crate) fn qr_q_squared(&mut self, t: Shape, d: u32) -> Expr {
        let m = self.spread_matrix(t, d);
        let (q, qq) = (self.fresh("qf"), self.fresh("qq"));
        let head = if self.cat_chance(0.4) {
            format!("let {qq} = {{0}}.qr().q();")
        } else {
            format!("let {q} = {{0}}.qr(); let {qq} = {q}.q();")
        };
        let tmpl = format!("({{ {head} {qq}.component_mul(&{qq}) }})");
        Expr::op(tmpl, vec![m], Ty::Mat(t), 1.0)
    }

    /// `R ∘ R` of `qr()` of a tall or square matrix with `t`'s columns (`R` is square like `t`):
    /// entries within `σ_max²`.
    pub(crate) fn qr_r_squared(&mut self, t: Shape, d: u32) -> Expr {
        let c = t.cols.n();
        let rows = c + self.cat_below(2);
        let src = Shape {
            rows: if t.is_static() {
                Dim::Fix(rows)
            } else {
                Dim::Dyn(rows)
            },
            cols: t.cols,
        };
        let top = Self::sigma_top(src);
        let m = self.spread_matrix(src, d);
        let rr = self.fresh("rr");
        let tmpl = format!("({{ let {rr} = {{0}}.qr().r(); {rr}.component_mul(&{rr}) }})");
        Expr::op(tmpl, vec![m], Ty::Mat(t), top * top)
    }

    /// `qr().solve(&b).unwrap()` (or `col_piv_qr()`'s) of a square `3I + E` (singular values in [2, 4]) for a
    /// right-hand side of shape `t`: within `n·max|b|`. Chained, or bound and read.
    pub(crate) fn qr_solve(&mut self, t: Shape, d: u32) -> Expr {
        let f = factor_shape(t);
        let n = f.rows.n() as f64;
        let a = self.well_conditioned(f, d);
        let b = self.matrix(t, d);
        let bound = n * b.bound;
        let b = self.borrow(b);
        let fac = self.qr_kind();
        let tmpl = if self.cat_chance(0.5) {
            format!("{{0}}.{fac}.solve({{1}}).unwrap()")
        } else {
            let q = self.fresh("qf");
            format!("({{ let {q} = {{0}}.{fac}; {q}.solve({{1}}).unwrap() }})")
        };
        Expr::op(tmpl, vec![a, b], Ty::Mat(t), bound)
    }
}

/// The `r×c` shape of `s`'s world: `SMatrix<f64, r, c>` or `DMatrix` (`r, c ≥ 1`).
fn shape_in(s: Shape, r: usize, c: usize) -> Shape {
    if s.is_static() {
        Shape::smat(r, c)
    } else {
        Shape::dmat(r, c)
    }
}
