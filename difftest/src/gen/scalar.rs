//! Scalar-valued expressions: arithmetic, reductions of matrices, dot products, indexing,
//! determinants and traces, activations, calls, blocks and `if` values, and the positive
//! expressions that divisions, `sqrt` and `ln` need. The catalogue's forms (`catalogue`) are
//! taken at the linalg, indexing and activation sites.

use super::catalogue::turn;
use super::Gen;
use crate::ast::Expr;
use crate::family::Family;
use crate::ty::{Shape, Ty};
use rand::Rng;

impl Gen {
    /// An expression of type `ty` (a float type) of depth at most `depth`.
    pub(crate) fn expr(&mut self, ty: Ty, depth: u32) -> Expr {
        match ty {
            Ty::Scalar => self.scalar(depth),
            Ty::Mat(s) => self.matrix(s, depth),
            _ => panic!("expr of {ty:?}"),
        }
    }

    /// A scalar leaf: a visible scalar variable (active ones preferred) or a literal.
    pub(crate) fn scalar_leaf(&mut self) -> Expr {
        let closure = self.closure;
        // In a closure: constants, and any active scalar in the `captures` forms.
        let capture = self.capture_active;
        let readable = move |v: &super::Var| {
            !closure
                || (v.capturable || capture && v.active) && !crate::model::closure_hidden(&v.name)
        };
        let mut pick = None;
        if self.chance(0.7) {
            pick = self.pick_var(|v| v.ty == Ty::Scalar && v.active && readable(v));
        }
        if pick.is_none() {
            pick = self.pick_var(|v| v.ty == Ty::Scalar && readable(v));
        }
        if pick.as_ref().is_some_and(|v| v.name.ends_with("_bar")) {
            self.mark(Family::BarNames);
        }
        if !closure && !pick.as_ref().is_some_and(|v| v.active) && self.chance(0.6) {
            if let Some(e) = self.entry_of_matrix() {
                return e;
            }
        }
        match pick {
            Some(v) if !self.chance(0.15) => Expr::var(&v.name, Ty::Scalar, v.bound),
            _ => Expr::float(self.literal()),
        }
    }

    /// An entry or the mean of an active matrix variable, as a scalar leaf when no active
    /// scalar is in scope.
    fn entry_of_matrix(&mut self) -> Option<Expr> {
        let v = self.pick_var(|v| v.active && matches!(v.ty, Ty::Mat(_)))?;
        let Ty::Mat(s) = v.ty else { return None };
        let m = Expr::var(&v.name, v.ty, v.bound);
        if self.on(Family::Indexing) && self.chance(0.6) {
            self.mark(Family::Indexing);
            let (i, j) = (self.index(s.rows.n()), self.index(s.cols.n()));
            return Some(Expr::op(
                format!("{{0}}[({i}, {j})]"),
                vec![m],
                Ty::Scalar,
                v.bound,
            ));
        }
        if self.on(Family::Reductions) {
            self.mark(Family::Reductions);
            return Some(Expr::op("{0}.mean()", vec![m], Ty::Scalar, v.bound));
        }
        None
    }

    /// A small literal.
    pub(crate) fn literal(&mut self) -> f64 {
        [0.5, 2.0, 1.5, 0.25, -0.75, 3.0, -1.25, 0.1][self.rng.random_range(0..8)]
    }

    /// A scalar expression.
    pub(crate) fn scalar(&mut self, depth: u32) -> Expr {
        if depth == 0 || self.budget == 0 {
            return self.scalar_leaf();
        }
        self.budget -= 1;
        for _ in 0..20 {
            let e = match self.rng.random_range(0..16) {
                0 | 1 => Some(self.scalar_leaf()),
                2..=4 => Some(self.scalar_arith(depth)),
                5 => Some(self.scalar_div(depth)),
                6 | 7 => self.float_fn(depth),
                8 | 9 => self.reduction(depth),
                10 => self.scalar_product(depth),
                11 => self.scalar_index(depth),
                12 => self.scalar_linalg(depth),
                13 => self.scalar_activation(depth),
                14 => self.call(Ty::Scalar, depth),
                _ => self.block_or_if(Ty::Scalar, depth),
            };
            if let Some(e) = e {
                return e;
            }
        }
        self.scalar_leaf()
    }

    /// `a + b`, `a - b`, `a * b`, `-a`.
    fn scalar_arith(&mut self, depth: u32) -> Expr {
        let a = self.scalar(depth - 1);
        if self.chance(0.15) {
            let b = a.bound;
            return Expr::op("(-{0})", vec![a], Ty::Scalar, b);
        }
        let b = self.scalar(depth - 1);
        let (t, bound) = match self.rng.random_range(0..3) {
            0 => ("({0} + {1})", a.bound + b.bound),
            1 => ("({0} - {1})", a.bound + b.bound),
            _ => ("({0} * {1})", a.bound * b.bound),
        };
        Expr::op(t, vec![a, b], Ty::Scalar, bound)
    }

    /// `a / p` with `p` bounded away from zero.
    fn scalar_div(&mut self, depth: u32) -> Expr {
        let a = self.scalar(depth - 1);
        let (p, lo) = self.positive(depth - 1);
        let b = a.bound / lo;
        Expr::op("({0} / {1})", vec![a, p], Ty::Scalar, b)
    }

    /// A positive scalar and a lower bound of it.
    pub(crate) fn positive(&mut self, depth: u32) -> (Expr, f64) {
        let a = self.scalar(depth);
        let ab = a.bound;
        let k = [0.5, 1.0, 2.0][self.rng.random_range(0..3)];
        let fns = self.on(Family::FloatFns) || self.closure;
        match self.rng.random_range(0..4) {
            1 if fns => {
                self.mark_float_fn();
                (
                    Expr::op(
                        format!("({{0}}.powi(2) + {k:?})"),
                        vec![a],
                        Ty::Scalar,
                        ab * ab + k,
                    ),
                    k,
                )
            }
            2 if fns => {
                self.mark_float_fn();
                (Expr::op("({0}.cos() + 2.0)", vec![a], Ty::Scalar, 3.0), 1.0)
            }
            3 if self.on(Family::Activations) && !self.closure => {
                self.mark(Family::Activations);
                let a = self.library_arg(a);
                (
                    Expr::op(
                        format!("(matgrad::softplus(&{{0}}) + {k:?})"),
                        vec![a],
                        Ty::Scalar,
                        ab + 1.0 + k,
                    ),
                    k,
                )
            }
            _ => (
                Expr::op(
                    format!("({{0}} * {{0}} + {k:?})"),
                    vec![a],
                    Ty::Scalar,
                    ab * ab + k,
                ),
                k,
            ),
        }
    }

    /// A random shape among the program's.
    pub(crate) fn any_shape(&mut self) -> Option<Shape> {
        if self.shapes.is_empty() {
            None
        } else {
            let i = self.rng.random_range(0..self.shapes.len());
            Some(self.shapes[i])
        }
    }

    /// sum, mean, variance, norm, norm_squared (max, min, amax, amin) of a matrix.
    fn reduction(&mut self, depth: u32) -> Option<Expr> {
        if !self.on(Family::Reductions) || self.closure {
            return None;
        }
        let s = self.any_shape()?;
        self.mark(Family::Reductions);
        let m = self.matrix(s, depth - 1);
        let (n, b) = (s.len() as f64, m.bound);
        let (t, bound) = match self.rng.random_range(0..5) {
            0 => ("{0}.sum()", n * b),
            1 => ("{0}.mean()", b),
            2 => ("{0}.variance()", b * b),
            3 => ("{0}.norm()", n.sqrt() * b),
            _ => match self.extra_rng.random_range(0..6) {
                0 => ("{0}.max()", b),
                1 => ("{0}.min()", b),
                2 => ("{0}.amax()", b),
                3 => ("{0}.amin()", b),
                _ => ("{0}.norm_squared()", n * b * b),
            },
        };
        Some(Expr::op(t, vec![m], Ty::Scalar, bound))
    }

    /// `a.dot(&b)`, or a row times a column, indexed.
    fn scalar_product(&mut self, depth: u32) -> Option<Expr> {
        if !self.on(Family::Products) || self.closure {
            return None;
        }
        let s = self.any_shape()?;
        self.mark(Family::Products);
        if let (Some(n), true) = (dyn_vector_len(s), self.chance(0.3)) {
            let r = self.matrix(Shape::drow(n), depth - 1);
            let r = self.operand(r);
            let c = self.matrix(Shape::dvec(n), depth - 1);
            let c = self.operand(c);
            let b = n as f64 * r.bound * c.bound;
            return Some(Expr::op("({0} * {1})[(0, 0)]", vec![r, c], Ty::Scalar, b));
        }
        let a = self.matrix(s, depth - 1);
        let b = self.matrix(s, depth - 1);
        let bound = s.len() as f64 * a.bound * b.bound;
        Some(Expr::op("{0}.dot(&{1})", vec![a, b], Ty::Scalar, bound))
    }

    /// `m[(i, j)]`, `v[i]`, or a reduction of `.column(j)` / `.row(i)`; or, from the catalogue
    /// stream, a reduction of a block or an index query (`blocks.rs`).
    fn scalar_index(&mut self, depth: u32) -> Option<Expr> {
        if !self.on(Family::Indexing) || self.closure {
            return None;
        }
        if self.catalogue_turn(turn::BLOCKS_SCALAR) {
            if let Some(e) = self.block_scalar(depth) {
                return Some(e);
            }
        }
        let s = self.any_shape()?;
        self.mark(Family::Indexing);
        let m = self.matrix(s, depth - 1);
        let b = m.bound;
        let (r, c) = (s.rows.n(), s.cols.n());
        Some(match self.rng.random_range(0..4) {
            0 if s.is_vector() => {
                let i = self.index(s.len());
                Expr::op(format!("{{0}}[{i}]"), vec![m], Ty::Scalar, b)
            }
            1 => {
                let j = self.index(c);
                Expr::op(
                    format!("{{0}}.column({j}).sum()"),
                    vec![m],
                    Ty::Scalar,
                    r as f64 * b,
                )
            }
            2 => {
                let i = self.index(r);
                Expr::op(
                    format!("{{0}}.row({i}).norm_squared()"),
                    vec![m],
                    Ty::Scalar,
                    c as f64 * b * b,
                )
            }
            _ => {
                let (i, j) = (self.index(r), self.index(c));
                Expr::op(format!("{{0}}[({i}, {j})]"), vec![m], Ty::Scalar, b)
            }
        })
    }

    /// An index below `n`: a literal, or a loop index or `usize` parameter reduced mod `n`.
    pub(crate) fn index(&mut self, n: usize) -> String {
        let closure = self.closure;
        if let Some(v) = self.pick_var(|v| v.ty == Ty::Usize && !closure) {
            if self.chance(0.6) {
                return if n == 1 {
                    "0".into()
                } else {
                    format!("({} % {n})", v.name)
                };
            }
        }
        self.rng.random_range(0..n).to_string()
    }

    /// `.trace()` and `.determinant()` of a square matrix; or, from the catalogue stream, a
    /// spectral, SVD, QR or matrix exponential reading (`spectral.rs`), else (half of the
    /// rest) a determinant of a factorisation or a block reading one twice
    /// (`factorisations.rs`).
    fn scalar_linalg(&mut self, depth: u32) -> Option<Expr> {
        if !self.on(Family::Linalg) || self.closure {
            return None;
        }
        if self.catalogue_turn(turn::LINALG_SCALAR) {
            if let Some(e) = self.catalogue_linalg_scalar(depth) {
                return Some(e);
            }
        }
        let s = self.square_shape()?;
        self.mark(Family::Linalg);
        if self.factorisation_turn() {
            return Some(self.factorised_scalar(s, depth));
        }
        let n = s.rows.n();
        if self.chance(0.5) {
            let m = self.matrix(s, depth - 1);
            let b = n as f64 * m.bound;
            return Some(Expr::op("{0}.trace()", vec![m], Ty::Scalar, b));
        }
        let m = self.well_conditioned(s, depth - 1);
        Some(Expr::op(
            "{0}.determinant()",
            vec![m],
            Ty::Scalar,
            4f64.powi(n as i32),
        ))
    }

    /// A random square shape among the program's.
    pub(crate) fn square_shape(&mut self) -> Option<Shape> {
        let sq: Vec<Shape> = self
            .shapes
            .iter()
            .copied()
            .filter(|s| s.is_square())
            .collect();
        if sq.is_empty() {
            None
        } else {
            Some(sq[self.rng.random_range(0..sq.len())])
        }
    }

    /// `3I + E` with `n·max|E| ≤ 1`: its inverse has entries below 1/2 and its determinant
    /// is between 2ⁿ and 4ⁿ.
    pub(crate) fn well_conditioned(&mut self, s: Shape, depth: u32) -> Expr {
        let m = self.matrix(s, depth);
        let m = self.clamp(m, 1.0 / s.rows.n() as f64);
        let m = self.operand(m);
        let id = Expr::lit(format!("({} * 3.0)", s.identity()), Ty::Mat(s), 3.0);
        Expr::op("({0} + {1})", vec![m, id], Ty::Mat(s), 4.0)
    }

    /// `matgrad::sigmoid(&a)` and the others, on a scalar; or, from the catalogue stream,
    /// the log-sum-exp of a matrix or its weighed softmax (`normalised.rs`).
    fn scalar_activation(&mut self, depth: u32) -> Option<Expr> {
        if !self.on(Family::Activations) || self.closure {
            return None;
        }
        if self.catalogue_turn(turn::NORMALISED) {
            if let Some(e) = self.normalised_scalar(depth) {
                return Some(e);
            }
        }
        self.mark(Family::Activations);
        let a = self.scalar(depth - 1);
        let a = self.library_arg(a);
        let (name, b) = self.activation(a.bound);
        Some(Expr::op(
            format!("matgrad::{name}(&{{0}})"),
            vec![a],
            Ty::Scalar,
            b,
        ))
    }

    /// An activation's name and its output bound for an input bound `b`.
    pub(crate) fn activation(&mut self, b: f64) -> (&'static str, f64) {
        match self.rng.random_range(0..5) {
            0 => ("sigmoid", 1.0),
            1 => ("tanh", 1.0),
            2 => ("relu", b),
            3 => ("softplus", b + 0.7),
            _ => ("abs", b),
        }
    }
}

/// The length of a dynamic vector shape or the columns of a row (for row·column products).
fn dyn_vector_len(s: Shape) -> Option<usize> {
    if s.is_static() {
        None
    } else if s.is_vector() {
        Some(s.len())
    } else {
        Some(s.cols.n())
    }
}
