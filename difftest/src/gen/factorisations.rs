//! The factorisations and solves of the `linalg` family: `cholesky().unwrap()` of a symmetric
//! positive-definite matrix with `.l()`, `.solve(&b)`, `.inverse()`, `.determinant()` and
//! `.ln_determinant()`; `lu()` with `.solve(&b).unwrap()`, `.determinant()`,
//! `.try_inverse().unwrap()`, `.l()`, `.u()` and `.p()` (a constant); the four triangular solves (`solve_lower_triangular`, ...). A
//! factorisation is chained on a parenthesised temporary, or bound by a `let` in a block and
//! read twice there (of a temporary, or of `a.clone()` with `a` bound before it). Added after
//! the CI corpus was fixed: whether a site takes one and every choice of these forms is drawn
//! from the catalogue stream (`Gen::catalogue_rng`, see `catalogue`), so a linalg site that
//! does not take one makes the draws of the main and extra streams it made before.
//!
//! Every factorised matrix has its eigenvalues (of its triangle, for a triangular solve)
//! between 2 and 4, so a solve's result is within `n·|b|` and a determinant between 2ⁿ and 4ⁿ.

use super::catalogue::operand_of;
use super::Gen;
use crate::ast::Expr;
use crate::family::Family;
use crate::ty::{Dim, Shape, Ty};
use rand::Rng;

/// The triangular solves: each reads one triangle of a `3I + E` matrix, whose diagonal stays
/// within [2, 4] and whose other entries within `1/n`.
const TRIANGULAR: [&str; 4] = [
    "solve_lower_triangular",
    "solve_upper_triangular",
    "tr_solve_lower_triangular",
    "tr_solve_upper_triangular",
];

/// ln 4, the bound of `ln_determinant()` per dimension.
const LN4: f64 = 1.3863;

/// The square shape that factorises to solve for a right-hand side of shape `t`: `t.rows`
/// rows and columns, dynamic or fixed as `t.rows` (a `RowDVector`'s is `SMatrix<f64, 1, 1>`).
pub(crate) fn factor_shape(t: Shape) -> Shape {
    match t.rows {
        Dim::Dyn(r) => Shape::dmat(r, r),
        Dim::Fix(r) => Shape::smat(r, r),
    }
}

impl Gen {
    /// Whether a linalg site takes a factorisation form (half of them), from the catalogue
    /// stream.
    pub(crate) fn factorisation_turn(&mut self) -> bool {
        self.catalogue_rng.random_bool(0.5)
    }

    /// A symmetric positive-definite matrix of the square shape `s`, exactly symmetric (the
    /// macro's `cholesky()` refuses an asymmetric one), with eigenvalues in [2, 4]: `M·Mᵀ + 3I`
    /// or `MᵀM + 3I` with `n·|M| ≤ 1`, `(W + Wᵀ)·0.5` with `W = 3I + E` (`n·|E| ≤ 1`), or
    /// `3I + J·k` (`J` all ones, `n·|k| ≤ 1`) when products are off. As a parenthesised
    /// temporary.
    pub(crate) fn spd(&mut self, s: Shape, depth: u32) -> Expr {
        let ty = Ty::Mat(s);
        let n = s.rows.n() as f64;
        let id = Expr::lit(format!("({} * 3.0)", s.identity()), ty, 3.0);
        let form = if self.on(Family::Products) {
            self.catalogue_rng.random_range(0..5)
        } else {
            4
        };
        match form {
            0 | 1 => {
                self.mark(Family::Products);
                let m = self.matrix(s, depth);
                let m = self.clamp(m, 1.0 / n);
                let m = self.owned(m);
                let a = self.fresh("sq");
                let gram = if form == 0 {
                    format!("{} * {a}.transpose()", operand_of(s, &a))
                } else {
                    format!("{a}.tr_mul(&{a})")
                };
                let t = format!("({{ let {a} = {{0}}; ({gram} + {{1}}) }})");
                Expr::op(t, vec![m, id], ty, 4.0)
            }
            2 | 3 => {
                self.mark(Family::Products);
                let w = self.well_conditioned(s, depth);
                let a = self.fresh("sq");
                let sum = format!("({} + {a}.transpose())", operand_of(s, &a));
                Expr::op(
                    format!("({{ let {a} = {{0}}; ({sum} * 0.5) }})"),
                    vec![w],
                    ty,
                    4.0,
                )
            }
            _ => {
                let k = self.scalar(depth);
                let k = self.clamp(k, 1.0 / n);
                let t = format!("({{1}} + {} * {{0}})", s.filled("1.0"));
                Expr::op(t, vec![k, id], ty, 4.0)
            }
        }
    }

    /// A matrix of shape `t` from a factorisation (from the catalogue stream): a `cholesky()` or
    /// `lu()` solve or a triangular solve with a right-hand side of shape `t`, chained on the
    /// factorised temporary; for a square `t`, `.l()`, `.inverse()` or `lu()`'s
    /// `.try_inverse().unwrap()`; or a block binding the factorisation and reading it twice.
    pub(crate) fn factorised_matrix(&mut self, t: Shape, depth: u32) -> Expr {
        self.mark(Family::Linalg);
        self.took("factorisation");
        let (ty, f, d) = (Ty::Mat(t), factor_shape(t), depth - 1);
        let n = f.rows.n() as f64;
        let form = self.catalogue_rng.random_range(0..9);
        if (5..=6).contains(&form) && t == f {
            return self.factor_square(t, d);
        }
        if form >= 7 {
            return self.matrix_read_twice(t, d);
        }
        let b = self.matrix(t, d);
        let bound = n * b.bound;
        let b = self.borrow(b);
        match form {
            0..=2 => {
                let s = self.spd(f, d);
                Expr::op("{0}.cholesky().unwrap().solve({1})", vec![s, b], ty, bound)
            }
            3 => {
                let w = self.well_conditioned(f, d);
                Expr::op("{0}.lu().solve({1}).unwrap()", vec![w, b], ty, bound)
            }
            _ => {
                let name = TRIANGULAR[self.catalogue_rng.random_range(0..4)];
                let w = self.well_conditioned(f, d);
                Expr::op(
                    format!("{{0}}.{name}({{1}}).unwrap()"),
                    vec![w, b],
                    ty,
                    bound,
                )
            }
        }
    }

    /// `.l()` (entries within 2) or `.inverse()` (within ½) of a `cholesky()`, or
    /// `.try_inverse().unwrap()` (within ½), `.l()` (within 1: partial pivoting) or `.u()`
    /// (within 5) of an `lu()`, of the square shape `s`.
    fn factor_square(&mut self, s: Shape, depth: u32) -> Expr {
        let ty = Ty::Mat(s);
        match self.catalogue_rng.random_range(0..5) {
            3 => {
                let m = self.well_conditioned(s, depth);
                Expr::op("{0}.lu().l()", vec![m], ty, 1.0)
            }
            4 => self.lu_factors(s, depth),
            0 => {
                let m = self.spd(s, depth);
                Expr::op("{0}.cholesky().unwrap().l()", vec![m], ty, 2.0)
            }
            1 => {
                let m = self.spd(s, depth);
                Expr::op("{0}.cholesky().unwrap().inverse()", vec![m], ty, 0.5)
            }
            _ => {
                let m = self.well_conditioned(s, depth);
                Expr::op("{0}.lu().try_inverse().unwrap()", vec![m], ty, 0.5)
            }
        }
    }

    /// `U` of a bound `lu()` of `3I + E` (entries within 5), scaled by `1 +` the length of its
    /// permutation `.p()` (a constant, at most `n − 1`), or `L + U`.
    fn lu_factors(&mut self, s: Shape, depth: u32) -> Expr {
        let n = s.rows.n() as f64;
        let m = self.well_conditioned(s, depth);
        let c = self.fresh("lu");
        let lets = self.bind_factor(&c, "lu()");
        if self.catalogue_rng.random_bool(0.5) {
            let t = format!("({{ {lets} {c}.u() * ({c}.p().len() as f64 + 1.0) }})");
            Expr::op(t, vec![m], Ty::Mat(s), 5.0 * n)
        } else {
            let t = format!("({{ {lets} {c}.l() + {c}.u() }})");
            Expr::op(t, vec![m], Ty::Mat(s), 6.0)
        }
    }

    /// The `let` statements of a block that binds a factorisation `fac` (`cholesky().unwrap()`
    /// or `lu()`) of the block's operand `{0}` to `name`: of the temporary, or of `a.clone()`
    /// with `let a = {0};` before it.
    fn bind_factor(&mut self, name: &str, fac: &str) -> String {
        if self.catalogue_rng.random_bool(0.5) {
            format!("let {name} = {{0}}.{fac};")
        } else {
            let a = self.fresh("fm");
            format!("let {a} = {{0}}; let {name} = {a}.clone().{fac};")
        }
    }

    /// A block binding a `cholesky()` or `lu()` of the square shape with `t`'s rows and reading
    /// it twice: a solve for a right-hand side of shape `t` scaled by its `ln_determinant()`
    /// (at most `1.4n`), divided by its determinant (at least 2ⁿ), or added to another solve.
    fn matrix_read_twice(&mut self, t: Shape, depth: u32) -> Expr {
        let (ty, f) = (Ty::Mat(t), factor_shape(t));
        let n = f.rows.n();
        let b = self.matrix(t, depth);
        let bb = n as f64 * b.bound;
        let b = self.borrow(b);
        let form = self.catalogue_rng.random_range(0..4);
        let (m, fac, read, bound, b2) = match form {
            0 => (
                self.spd(f, depth),
                "cholesky().unwrap()",
                "({c}.solve({1}) * {c}.ln_determinant())",
                bb * LN4 * n as f64,
                None,
            ),
            1 => (
                self.spd(f, depth),
                "cholesky().unwrap()",
                "({c}.solve({1}) / {c}.determinant())",
                bb / 2f64.powi(n as i32),
                None,
            ),
            2 => (
                self.well_conditioned(f, depth),
                "lu()",
                "({c}.solve({1}).unwrap() / {c}.determinant())",
                bb / 2f64.powi(n as i32),
                None,
            ),
            _ => {
                let b2 = self.matrix(t, depth);
                let bound = bb + n as f64 * b2.bound;
                let b2 = self.borrow(b2);
                (
                    self.well_conditioned(f, depth),
                    "lu()",
                    "({c}.solve({1}).unwrap() + {c}.solve({2}).unwrap())",
                    bound,
                    Some(b2),
                )
            }
        };
        let c = self.fresh(if fac == "lu()" { "lu" } else { "chol" });
        let lets = self.bind_factor(&c, fac);
        let read = read.replace("{c}", &c);
        let mut args = vec![m, b];
        args.extend(b2);
        Expr::op(format!("({{ {lets} {read} }})"), args, ty, bound)
    }

    /// A scalar of the square shape `s`'s factorisations (from the catalogue stream): a
    /// `cholesky()`'s `.determinant()` or `.ln_determinant()`, an `lu()`'s `.determinant()`,
    /// chained; a block binding one and reading it twice; or `Σ L ∘ U` of a bound `lu()`
    /// (within `5n²`), scaled by `1 +` the length of its permutation `.p()` (at most `n`).
    pub(crate) fn factorised_scalar(&mut self, s: Shape, depth: u32) -> Expr {
        self.took("factorisation");
        let n = s.rows.n();
        let d = depth - 1;
        let det = 4f64.powi(n as i32);
        match self.catalogue_rng.random_range(0..8) {
            6 | 7 => {
                let m = self.well_conditioned(s, d);
                let c = self.fresh("lu");
                let lets = self.bind_factor(&c, "lu()");
                let t = format!(
                    "({{ {lets} {c}.l().component_mul(&{c}.u()).sum() * ({c}.p().len() as f64 + 1.0) }})"
                );
                let n = n as f64;
                Expr::op(t, vec![m], Ty::Scalar, 5.0 * n * n * n)
            }
            0 => {
                let m = self.spd(s, d);
                Expr::op(
                    "{0}.cholesky().unwrap().determinant()",
                    vec![m],
                    Ty::Scalar,
                    det,
                )
            }
            1 => {
                let m = self.spd(s, d);
                let b = LN4 * n as f64;
                Expr::op(
                    "{0}.cholesky().unwrap().ln_determinant()",
                    vec![m],
                    Ty::Scalar,
                    b,
                )
            }
            2 => {
                let m = self.well_conditioned(s, d);
                Expr::op("{0}.lu().determinant()", vec![m], Ty::Scalar, det)
            }
            3 | 4 => self.cholesky_read_twice(s, d),
            _ => self.lu_read_twice(s, d),
        }
    }

    /// A right-hand side for the square shape `s`: a program shape with `s`'s rows, or `s`.
    fn rhs_shape(&mut self, s: Shape) -> Shape {
        let mut cands: Vec<Shape> = self
            .shapes
            .iter()
            .copied()
            .filter(|b| b.rows == s.rows)
            .collect();
        cands.push(s);
        cands[self.catalogue_rng.random_range(0..cands.len())]
    }

    /// `{ let c = S.cholesky().unwrap(); let b = ..; c.solve(&b).dot(&b) * 0.5 +
    /// c.ln_determinant() }` (a Gaussian's negative log-likelihood), or `c.l().sum() +
    /// c.inverse().sum() + c.determinant()`.
    fn cholesky_read_twice(&mut self, s: Shape, depth: u32) -> Expr {
        let n = s.rows.n() as f64;
        let m = self.spd(s, depth);
        let c = self.fresh("chol");
        let lets = self.bind_factor(&c, "cholesky().unwrap()");
        if self.catalogue_rng.random_bool(0.6) {
            let bs = self.rhs_shape(s);
            let b = self.matrix(bs, depth);
            // |bᵀS⁻¹b| ≤ ‖b‖²/2 for S ≥ 2I.
            let bound = bs.len() as f64 * b.bound * b.bound * 0.25 + LN4 * n;
            let b = self.owned(b);
            let v = self.fresh("rhs");
            let t = format!(
                "({{ {lets} let {v} = {{1}}; ({c}.solve(&{v}).dot(&{v}) * 0.5 + {c}.ln_determinant()) }})"
            );
            return Expr::op(t, vec![m, b], Ty::Scalar, bound);
        }
        let bound = n * n * 2.0 + n * n * 0.5 + 4f64.powf(n);
        let t = format!("({{ {lets} ({c}.l().sum() + {c}.inverse().sum() + {c}.determinant()) }})");
        Expr::op(t, vec![m], Ty::Scalar, bound)
    }

    /// `{ let lu = W.lu(); lu.solve(&b).unwrap().sum() + lu.determinant() }`, or
    /// `lu.try_inverse().unwrap().trace() * lu.determinant()` (the adjugate's trace).
    fn lu_read_twice(&mut self, s: Shape, depth: u32) -> Expr {
        let n = s.rows.n() as f64;
        let det = 4f64.powf(n);
        let m = self.well_conditioned(s, depth);
        let c = self.fresh("lu");
        let lets = self.bind_factor(&c, "lu()");
        if self.catalogue_rng.random_bool(0.6) {
            let bs = self.rhs_shape(s);
            let b = self.matrix(bs, depth);
            let bound = bs.len() as f64 * n * b.bound + det;
            let b = self.borrow(b);
            let t = format!("({{ {lets} ({c}.solve({{1}}).unwrap().sum() + {c}.determinant()) }})");
            return Expr::op(t, vec![m, b], Ty::Scalar, bound);
        }
        let t = format!("({{ {lets} ({c}.try_inverse().unwrap().trace() * {c}.determinant()) }})");
        Expr::op(t, vec![m], Ty::Scalar, n * 0.5 * det)
    }
}
