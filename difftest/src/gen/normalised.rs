//! The softmax family of the `activations` family, drawn from the catalogue stream:
//! `matgrad::logsumexp(&m)` (over every entry), `softmax`, `log_softmax`, by rows and by
//! columns (`softmax_rows`, `log_softmax_columns`, ..), `logsumexp_rows` (a column) and
//! `logsumexp_columns` (a row), of dynamic and static matrices.
//!
//! Bounds, for entries within `b` over `n` entries (or lanes of `n`): the softmax is in
//! [0, 1]; the log-softmax in [−(2b + ln n), 0] (an entry minus the largest, at least −2b, minus
//! at most ln n); a log-sum-exp within `b + ln n`.

use super::Gen;
use crate::ast::Expr;
use crate::family::Family;
use crate::ty::{Dim, Shape, Ty};

/// `ln n` as a bound's term.
fn ln(n: usize) -> f64 {
    (n as f64).ln()
}

impl Gen {
    /// `matgrad::logsumexp(&m)` of one of the program's shapes, or `softmax(&m)` weighed by
    /// another matrix (`.dot`, within the weights' bound: the softmax sums to one). `None`
    /// (nothing drawn from the main stream) without shapes.
    pub(crate) fn normalised_scalar(&mut self, depth: u32) -> Option<Expr> {
        let s = self.cat_shape(|_| true)?;
        self.took("softmax");
        self.mark(Family::Activations);
        self.mark_world(Ty::Mat(s));
        let weighed = self.cat_chance(0.3);
        let m = self.matrix(s, depth - 1);
        let b = m.bound;
        let m = self.library_arg(m);
        let m = self.borrow(m);
        if weighed {
            let w = self.matrix(s, depth - 1);
            let wb = w.bound;
            let w = self.borrow(w);
            return Some(Expr::op(
                "matgrad::softmax({0}).dot({1})",
                vec![m, w],
                Ty::Scalar,
                wb,
            ));
        }
        Some(Expr::op(
            "matgrad::logsumexp({0})",
            vec![m],
            Ty::Scalar,
            b + ln(s.len()),
        ))
    }

    /// A matrix of shape `t` of the softmax family: `softmax`, `log_softmax` (of every entry,
    /// by rows, by columns), or for a column `logsumexp_rows` of a matrix with `t`'s rows, for
    /// a row `logsumexp_columns` of one with `t`'s columns.
    pub(crate) fn normalised_matrix(&mut self, t: Shape, depth: u32) -> Expr {
        self.took("softmax");
        self.mark(Family::Activations);
        self.mark_world(Ty::Mat(t));
        let (r, c) = (t.rows.n(), t.cols.n());
        let mut forms = vec![0, 1, 2, 3];
        if t.cols == Dim::Fix(1) {
            forms.extend([4, 4]);
        }
        if t.rows == Dim::Fix(1) {
            forms.extend([5, 5]);
        }
        let form = forms[self.cat_below(forms.len())];
        let lanes = ["rows", "columns"][self.cat_below(2)];
        let d = depth - 1;
        if form >= 4 {
            let k = 1 + self.cat_below(4);
            let (src, name) = if form == 4 {
                (self.world_shape(t, r, k), "logsumexp_rows")
            } else {
                (self.world_shape(t, k, c), "logsumexp_columns")
            };
            let m = self.matrix(src, d);
            let b = m.bound + ln(k);
            let m = self.library_arg(m);
            let m = self.borrow(m);
            return Expr::op(format!("matgrad::{name}({{0}})"), vec![m], Ty::Mat(t), b);
        }
        let m = self.matrix(t, d);
        let lane = match (form, lanes) {
            (0 | 1, _) => t.len(),
            (_, "rows") => c,
            _ => r,
        };
        let b = 2.0 * m.bound + ln(lane);
        let m = self.library_arg(m);
        let m = self.borrow(m);
        let (name, bound) = match form {
            0 => ("softmax".to_string(), 1.0),
            1 => ("log_softmax".to_string(), b),
            2 => (format!("softmax_{lanes}"), 1.0),
            _ => (format!("log_softmax_{lanes}"), b),
        };
        Expr::op(
            format!("matgrad::{name}({{0}})"),
            vec![m],
            Ty::Mat(t),
            bound,
        )
    }

    /// An `r×c` shape in `t`'s world: `SMatrix`, or a dynamic `DMatrix` (a `DVector` or
    /// `RowDVector` where `t` is one and the other dimension is 1).
    fn world_shape(&self, t: Shape, r: usize, c: usize) -> Shape {
        if t.is_static() {
            Shape::smat(r, c)
        } else if t.cols == Dim::Fix(1) && c == 1 {
            Shape::dvec(r)
        } else if t.rows == Dim::Fix(1) && r == 1 {
            Shape::drow(c)
        } else {
            Shape::dmat(r, c)
        }
    }
}
