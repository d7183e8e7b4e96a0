//! Matrix-valued expressions of a given shape: arithmetic, products (`*`, `.transpose()`,
//! `.tr_mul`), component-wise products and quotients, row and column reductions, inverses,
//! broadcasting, activations, map closures, column and row views, calls, blocks and `if`
//! values; the catalogue's forms (`catalogue`) at the linalg, view, activation and map sites.
//! Operands stay in their world: dynamic with dynamic, static with static (but for the
//! `SMatrix<f64, 1, 1>` factorised to solve for a `RowDVector`, and blocks of static matrices,
//! which are dynamic).

use super::catalogue::turn;
use super::Gen;
use crate::ast::Expr;
use crate::family::Family;
use crate::ty::{Dim, Shape, Ty};
use rand::Rng;

impl Gen {
    /// A matrix leaf: a variable of the shape, or a constant matrix times a scalar.
    pub(crate) fn matrix_leaf(&mut self, s: Shape) -> Expr {
        let ty = Ty::Mat(s);
        self.mark_world(ty);
        let active = if self.chance(0.7) {
            self.pick_var(|v| v.ty == ty && v.active)
        } else {
            None
        };
        if let Some(v) = active.or_else(|| self.pick_var(|v| v.ty == ty)) {
            if v.name.ends_with("_bar") {
                self.mark(Family::BarNames);
            }
            return Expr::var(&v.name, ty, v.bound);
        }
        let k = self.scalar_leaf();
        let b = k.bound;
        let k = self.operand(k);
        Expr::op(format!("({} * {{0}})", s.filled("1.0")), vec![k], ty, b)
    }

    /// A matrix expression of shape `s`.
    pub(crate) fn matrix(&mut self, s: Shape, depth: u32) -> Expr {
        if depth == 0 || self.closure || self.budget == 0 {
            return self.matrix_leaf(s);
        }
        self.budget -= 1;
        for _ in 0..20 {
            let e = match self.rng.random_range(0..17) {
                0 | 1 => Some(self.matrix_leaf(s)),
                2 | 3 => Some(self.matrix_arith(s, depth)),
                4 => Some(self.matrix_scale(s, depth)),
                5 | 6 => self.product(s, depth),
                7 => self.componentwise(s, depth),
                8 => self.row_col_reduction(s, depth),
                9 => self.inverse(s, depth),
                10 => self.broadcast(s, depth),
                11 => self.matrix_activation(s, depth),
                12 => self.map_expr(s, depth),
                13 => self.view(s, depth),
                14 => self.call(Ty::Mat(s), depth),
                _ => self.block_or_if(Ty::Mat(s), depth),
            };
            if let Some(e) = e {
                return e;
            }
        }
        self.matrix_leaf(s)
    }

    /// `a + b`, `a - b`, `-a`.
    fn matrix_arith(&mut self, s: Shape, depth: u32) -> Expr {
        let ty = Ty::Mat(s);
        let a = self.matrix(s, depth - 1);
        let a = self.operand(a);
        if self.chance(0.15) {
            let b = a.bound;
            return Expr::op("(-{0})", vec![a], ty, b);
        }
        let b = self.matrix(s, depth - 1);
        let b = self.operand(b);
        let t = if self.chance(0.5) {
            "({0} + {1})"
        } else {
            "({0} - {1})"
        };
        let bound = a.bound + b.bound;
        Expr::op(t, vec![a, b], ty, bound)
    }

    /// `m * k`, `k * m`, `m / p`.
    fn matrix_scale(&mut self, s: Shape, depth: u32) -> Expr {
        let ty = Ty::Mat(s);
        // The receiver of `.scale(k)` as written; an operand of `*` borrowed where needed.
        let receiver = self.matrix(s, depth - 1);
        let m = self.operand(receiver.clone());
        match self.rng.random_range(0..3) {
            0 => {
                let (p, lo) = self.positive(depth - 1);
                let b = m.bound / lo;
                Expr::op("({0} / {1})", vec![m, p], ty, b)
            }
            i => {
                let k = self.scalar(depth - 1);
                let (t, b, x) = match (i, self.extra_rng.random_range(0..4)) {
                    (1, 0) => ("{0}.scale({1})", m.bound * k.bound, receiver),
                    (1, 1) => ("{0}.add_scalar({1})", m.bound + k.bound, receiver),
                    (1, _) => ("({0} * {1})", m.bound * k.bound, m),
                    _ => ("({1} * {0})", m.bound * k.bound, m),
                };
                Expr::op(t, vec![x, k], ty, b)
            }
        }
    }

    /// An inner dimension for a product producing `s` (with `left` the first factor's other
    /// dimension): dynamic sizes in the dynamic world, fixed in the static one.
    fn inner_dim(&mut self, s: Shape) -> Dim {
        let k = self.size();
        if s.is_static() {
            Dim::Fix(k)
        } else {
            Dim::Dyn(self.widen(k))
        }
    }

    /// `a * b` or `a.tr_mul(&b)` or `a.transpose()` producing `s`.
    fn product(&mut self, s: Shape, depth: u32) -> Option<Expr> {
        if !self.on(Family::Products) {
            return None;
        }
        self.mark(Family::Products);
        let ty = Ty::Mat(s);
        match self.rng.random_range(0..4) {
            0 => {
                let a = self.matrix(s.transposed(), depth - 1);
                let b = a.bound;
                Some(Expr::op("{0}.transpose()", vec![a], ty, b))
            }
            1 => {
                let k = self.inner_dim(s);
                let (la, lb) = (
                    Shape {
                        rows: k,
                        cols: s.rows,
                    },
                    Shape {
                        rows: k,
                        cols: s.cols,
                    },
                );
                if !la.is_named() || !lb.is_named() {
                    return None;
                }
                let a = self.matrix(la, depth - 1);
                let b = self.matrix(lb, depth - 1);
                let b = self.borrow(b);
                let bound = k.n() as f64 * a.bound * b.bound;
                Some(Expr::op("{0}.tr_mul({1})", vec![a, b], ty, bound))
            }
            _ => {
                // An outer product (inner dimension 1) of a column and a row, for a DMatrix.
                let k =
                    if matches!((s.rows, s.cols), (Dim::Dyn(_), Dim::Dyn(_))) && self.chance(0.3) {
                        Dim::Fix(1)
                    } else {
                        self.inner_dim(s)
                    };
                let (la, lb) = (
                    Shape {
                        rows: s.rows,
                        cols: k,
                    },
                    Shape {
                        rows: k,
                        cols: s.cols,
                    },
                );
                if !la.is_named() || !lb.is_named() {
                    return None;
                }
                let a = self.matrix(la, depth - 1);
                let a = self.operand(a);
                let b = self.matrix(lb, depth - 1);
                let b = self.operand(b);
                let bound = k.n() as f64 * a.bound * b.bound;
                Some(Expr::op("({0} * {1})", vec![a, b], ty, bound))
            }
        }
    }

    /// `a.component_mul(&b)`, `a.component_div(&p)`.
    fn componentwise(&mut self, s: Shape, depth: u32) -> Option<Expr> {
        if !self.on(Family::Componentwise) {
            return None;
        }
        self.mark(Family::Componentwise);
        let ty = Ty::Mat(s);
        let a = self.matrix(s, depth - 1);
        if self.chance(0.5) {
            let b = self.matrix(s, depth - 1);
            let b = self.borrow(b);
            let bound = a.bound * b.bound;
            return Some(Expr::op("{0}.component_mul({1})", vec![a, b], ty, bound));
        }
        let (p, lo) = self.positive_matrix(s, depth - 1);
        let p = self.borrow(p);
        let bound = a.bound / lo;
        Some(Expr::op("{0}.component_div({1})", vec![a, p], ty, bound))
    }

    /// A matrix with every entry bounded away from zero, and a lower bound.
    pub(crate) fn positive_matrix(&mut self, s: Shape, depth: u32) -> (Expr, f64) {
        let ty = Ty::Mat(s);
        let k = [0.5, 1.0, 2.0][self.rng.random_range(0..3)];
        let a = self.matrix(s, depth);
        let ab = a.bound;
        match self.rng.random_range(0..4) {
            0 if self.on(Family::Componentwise) => {
                let a2 = self.borrow(a.clone());
                let c = Expr::lit(s.filled(&format!("{k:?}")), ty, k);
                (
                    Expr::op(
                        "({0}.component_mul({1}) + {2})",
                        vec![a, a2, c],
                        ty,
                        ab * ab + k,
                    ),
                    k,
                )
            }
            1 if self.on(Family::Map) => {
                self.mark(Family::Map);
                (
                    Expr::op(
                        format!("{{0}}.map(|v| v * v + {k:?})"),
                        vec![a],
                        ty,
                        ab * ab + k,
                    ),
                    k,
                )
            }
            2 if self.on(Family::Activations) => {
                self.mark(Family::Activations);
                let a = self.library_arg(a);
                let a = self.borrow(a);
                let c = Expr::lit(s.filled(&format!("{k:?}")), ty, k);
                (
                    Expr::op("(matgrad::sigmoid({0}) + {1})", vec![a, c], ty, 1.0 + k),
                    k,
                )
            }
            _ => {
                let a = self.clamp(a, k / 2.0);
                let a = self.operand(a);
                let c = Expr::lit(s.filled(&format!("{k:?}")), ty, k);
                (Expr::op("({0} + {1})", vec![a, c], ty, 1.5 * k), k / 2.0)
            }
        }
    }

    /// row_sum/mean/variance producing a row, column_sum/mean/variance producing a column.
    fn row_col_reduction(&mut self, s: Shape, depth: u32) -> Option<Expr> {
        if !self.on(Family::Reductions) {
            return None;
        }
        let ty = Ty::Mat(s);
        let k = self.size();
        let fixed_one = |d: Dim| d == Dim::Fix(1);
        let (src, kind) = if fixed_one(s.rows) && (self.chance(0.5) || !fixed_one(s.cols)) {
            let rows = if s.is_static() {
                Dim::Fix(k)
            } else if matches!(s.cols, Dim::Dyn(_)) {
                Dim::Dyn(k)
            } else {
                return None;
            };
            (Shape { rows, cols: s.cols }, "row")
        } else if fixed_one(s.cols) {
            let cols = if s.is_static() {
                Dim::Fix(k)
            } else if matches!(s.rows, Dim::Dyn(_)) {
                Dim::Dyn(k)
            } else {
                return None;
            };
            (Shape { rows: s.rows, cols }, "column")
        } else {
            return None;
        };
        if !src.is_named() {
            return None;
        }
        self.mark(Family::Reductions);
        let m = self.matrix(src, depth - 1);
        let b = m.bound;
        let (op, bound) = match self.rng.random_range(0..3) {
            0 => ("sum", k as f64 * b),
            1 => ("mean", b),
            _ => ("variance", b * b),
        };
        Some(Expr::op(format!("{{0}}.{kind}_{op}()"), vec![m], ty, bound))
    }

    /// `(3I + E).try_inverse().unwrap()`; or, from the catalogue stream, a matrix exponential,
    /// a spectral or SVD matrix function, QR's factors or solve (`spectral.rs`), else (half of
    /// the rest) a factorisation or a triangular solve of any shape (`factorisations.rs`).
    fn inverse(&mut self, s: Shape, depth: u32) -> Option<Expr> {
        if !self.on(Family::Linalg) {
            return None;
        }
        if self.catalogue_turn(turn::LINALG_MATRIX) {
            if let Some(e) = self.catalogue_linalg_matrix(s, depth) {
                return Some(e);
            }
        }
        if self.factorisation_turn() {
            return Some(self.factorised_matrix(s, depth));
        }
        if !s.is_square() {
            return None;
        }
        self.mark(Family::Linalg);
        let m = self.well_conditioned(s, depth - 1);
        Some(Expr::op(
            "{0}.try_inverse().unwrap()",
            vec![m],
            Ty::Mat(s),
            1.0,
        ))
    }

    /// `m.broadcast_op(&r)` with a row (or, for a `DMatrix`, a column).
    fn broadcast(&mut self, s: Shape, depth: u32) -> Option<Expr> {
        if !self.on(Family::Broadcast) {
            return None;
        }
        let rhs = match (s.rows, s.cols) {
            (Dim::Dyn(r), Dim::Dyn(c)) => {
                if self.chance(0.5) {
                    Shape::drow(c)
                } else {
                    Shape::dvec(r)
                }
            }
            (Dim::Fix(1), Dim::Dyn(c)) => Shape::drow(c),
            (Dim::Fix(_), Dim::Fix(c)) => Shape::smat(1, c),
            _ => return None,
        };
        self.mark(Family::Broadcast);
        let ty = Ty::Mat(s);
        let a = self.matrix(s, depth - 1);
        let (op, r, bound) = match self.rng.random_range(0..4) {
            0 | 1 => {
                let r = self.matrix(rhs, depth - 1);
                let b = a.bound + r.bound;
                (if self.chance(0.5) { "add" } else { "sub" }, r, b)
            }
            2 => {
                let r = self.matrix(rhs, depth - 1);
                let b = a.bound * r.bound;
                ("mul", r, b)
            }
            _ => {
                let (p, lo) = self.positive_matrix(rhs, depth - 1);
                let b = a.bound / lo;
                ("div", p, b)
            }
        };
        let r = self.borrow(r);
        Some(Expr::op(
            format!("{{0}}.broadcast_{op}({{1}})"),
            vec![a, r],
            ty,
            bound,
        ))
    }

    /// `matgrad::sigmoid(&m)` and the others; or, from the catalogue stream, the softmax
    /// family (`normalised.rs`).
    fn matrix_activation(&mut self, s: Shape, depth: u32) -> Option<Expr> {
        if !self.on(Family::Activations) {
            return None;
        }
        if self.catalogue_turn(turn::NORMALISED) {
            return Some(self.normalised_matrix(s, depth));
        }
        self.mark(Family::Activations);
        let a = self.matrix(s, depth - 1);
        let (name, b) = self.activation(a.bound);
        let a = self.library_arg(a);
        let a = self.borrow(a);
        Some(Expr::op(
            format!("matgrad::{name}({{0}})"),
            vec![a],
            Ty::Mat(s),
            b,
        ))
    }

    /// `m.column(j) * k` (a column) or `m.row(i) * k` (a row); or, from the catalogue stream,
    /// a block, an assembly or a column chosen by an index query (`blocks.rs`).
    fn view(&mut self, s: Shape, depth: u32) -> Option<Expr> {
        if !self.on(Family::Indexing) {
            return None;
        }
        if self.catalogue_turn(turn::BLOCKS_MATRIX) {
            if let Some(e) = self.block_matrix(s, depth) {
                return Some(e);
            }
        }
        let k = self.size();
        let other = if s.is_static() {
            Dim::Fix(k)
        } else {
            Dim::Dyn(k)
        };
        let (src, t) = if s.cols == Dim::Fix(1) && (s.is_static() || matches!(s.rows, Dim::Dyn(_)))
        {
            let j = self.index(k);
            (
                Shape {
                    rows: s.rows,
                    cols: other,
                },
                format!("({{0}}.column({j}) * {{1}})"),
            )
        } else if s.rows == Dim::Fix(1) && (s.is_static() || matches!(s.cols, Dim::Dyn(_))) {
            let i = self.index(k);
            (
                Shape {
                    rows: other,
                    cols: s.cols,
                },
                format!("({{0}}.row({i}) * {{1}})"),
            )
        } else {
            return None;
        };
        if !src.is_named() {
            return None;
        }
        self.mark(Family::Indexing);
        let m = self.matrix(src, depth - 1);
        let c = self.scalar(depth - 1);
        let b = m.bound * c.bound;
        Some(Expr::op(t, vec![m, c], Ty::Mat(s), b))
    }
}
