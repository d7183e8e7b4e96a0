//! Blocks, assembly and index queries (the `indexing` family), drawn from the catalogue
//! stream: `.rows(i, n)`, `.columns(j, n)`, `.view((i, j), (r, c))` and their fixed-size
//! forms `.fixed_rows::<N>(i)`, `.fixed_columns::<N>(j)`, `.fixed_view::<R, C>(i, j)` (of
//! dynamic and static matrices), `.diagonal()`, `Type::from_diagonal(&v)`, `a.kronecker(&b)`,
//! `DMatrix::from_columns(&[..])`, `DMatrix::from_rows(&[..])` and nalgebra's `stack!`, and the index queries
//! `.imax()`, `.imin()`, `.iamax()`, `.iamin()` used as indices (constants to the derivative).
//!
//! A block has a dynamic dimension: of a static matrix it is `OMatrix<f64, Dyn, C>` and the
//! like, which the generator writes only where it is a `DVector`, a `RowDVector` or a
//! `DMatrix`, or reduced at once to a scalar (`.sum()`, `.norm_squared()`, `.dot(..)` of two
//! blocks of one size). Blocks are made owned in the plain copy too (`.into_owned()`,
//! `.clone_owned()` or a product with a scalar), where nalgebra returns views.

use super::catalogue::{column_of, from_diagonal};
use super::Gen;
use crate::ast::Expr;
use crate::family::Family;
use crate::ty::{Dim, Shape, Ty};

/// The index queries.
const QUERIES: [&str; 4] = ["imax", "imin", "iamax", "iamin"];

/// Whether `s` is a column vector (`DVector` or `SMatrix<f64, n, 1>`), whose index queries
/// nalgebra defines.
fn is_column(s: Shape) -> bool {
    s.cols == Dim::Fix(1)
}

/// The shape `s` with `rows` rows (a dimension of its kind).
fn with_rows(s: Shape, rows: usize) -> Shape {
    Shape {
        rows: resize(s.rows, rows),
        cols: s.cols,
    }
}

/// The shape `s` with `cols` columns.
fn with_cols(s: Shape, cols: usize) -> Shape {
    Shape {
        rows: s.rows,
        cols: resize(s.cols, cols),
    }
}

fn resize(d: Dim, n: usize) -> Dim {
    match d {
        Dim::Dyn(_) => Dim::Dyn(n),
        Dim::Fix(_) => Dim::Fix(n),
    }
}

impl Gen {
    /// A scalar from a block or an index query of one of the program's shapes: a block's
    /// `.sum()` or `.norm_squared()`, the `.dot(..)` of two views of one size, a square
    /// matrix's `.diagonal()` against a vector, `v[v.imax()]`, or `m.column(v.imax()).sum()`.
    /// `None` (nothing drawn from the main stream) without shapes.
    pub(crate) fn block_scalar(&mut self, depth: u32) -> Option<Expr> {
        let s = self.cat_shape(|_| true)?;
        let (r, c) = (s.rows.n(), s.cols.n());
        let mut forms = vec![0, 1, 2, 5];
        if s.is_square() {
            forms.push(3);
        }
        if is_column(s) {
            forms.extend([4, 4]);
        }
        let form = forms[self.cat_below(forms.len())];
        self.took(if form >= 4 { "index_query" } else { "blocks" });
        self.mark(Family::Indexing);
        self.mark_world(Ty::Mat(s));
        let d = depth - 1;
        let m = self.matrix(s, d);
        let b = m.bound;
        Some(match form {
            0 => {
                let (i, n) = self.cat_span(r);
                let t = if self.cat_chance(0.5) {
                    format!("{{0}}.fixed_rows::<{n}>({i}).sum()")
                } else {
                    format!("{{0}}.rows({i}, {n}).sum()")
                };
                Expr::op(t, vec![m], Ty::Scalar, (n * c) as f64 * b)
            }
            1 => {
                let (j, n) = self.cat_span(c);
                let t = if self.cat_chance(0.5) {
                    format!("{{0}}.fixed_columns::<{n}>({j}).norm_squared()")
                } else {
                    format!("{{0}}.columns({j}, {n}).norm_squared()")
                };
                Expr::op(t, vec![m], Ty::Scalar, (r * n) as f64 * b * b)
            }
            2 => {
                let ((i, h), (j, w)) = (self.cat_span(r), self.cat_span(c));
                let (i2, j2) = (self.cat_below(r - h + 1), self.cat_below(c - w + 1));
                let m2 = self.matrix(s, d);
                let bound = (h * w) as f64 * b * m2.bound;
                let t = if self.cat_chance(0.5) {
                    format!(
                        "{{0}}.fixed_view::<{h}, {w}>({i}, {j}).dot(&{{1}}.fixed_view::<{h}, {w}>({i2}, {j2}))"
                    )
                } else {
                    format!(
                        "{{0}}.view(({i}, {j}), ({h}, {w})).dot(&{{1}}.view(({i2}, {j2}), ({h}, {w})))"
                    )
                };
                Expr::op(t, vec![m, m2], Ty::Scalar, bound)
            }
            3 => {
                let v = self.matrix(column_of(s, r), d);
                let bound = r as f64 * b * v.bound;
                let v = self.borrow(v);
                Expr::op("{0}.diagonal().dot({1})", vec![m, v], Ty::Scalar, bound)
            }
            4 => {
                let q = QUERIES[self.cat_below(4)];
                let v = self.fresh("iq");
                let m = self.owned(m);
                let t = format!("({{ let {v} = {{0}}; {v}[{v}.{q}()] }})");
                Expr::op(t, vec![m], Ty::Scalar, b)
            }
            _ => {
                let q = QUERIES[self.cat_below(4)];
                let v = self.matrix(column_of(s, c), d);
                let t = format!("{{0}}.column({{1}}.{q}()).sum()");
                Expr::op(t, vec![m, v], Ty::Scalar, r as f64 * b)
            }
        })
    }

    /// A start and a length of a block of a dimension of size `n`, from the catalogue stream.
    fn cat_span(&mut self, n: usize) -> (usize, usize) {
        let len = 1 + self.cat_below(n);
        (self.cat_below(n - len + 1), len)
    }

    /// A program shape satisfying `pred`, else `fallback`, from the catalogue stream.
    fn cat_source(&mut self, pred: impl Fn(Shape) -> bool, fallback: Shape) -> Shape {
        self.cat_shape(pred).unwrap_or(fallback)
    }

    /// A block made owned: `.into_owned()`, `.clone_owned()`, or times a scalar.
    fn owned_block(&mut self, block: String, m: Expr, t: Shape, depth: u32) -> Expr {
        let b = m.bound;
        match self.cat_below(3) {
            0 => Expr::op(format!("{block}.into_owned()"), vec![m], Ty::Mat(t), b),
            1 => Expr::op(format!("{block}.clone_owned()"), vec![m], Ty::Mat(t), b),
            _ => {
                let k = self.scalar(depth);
                let bound = b * k.bound;
                Expr::op(format!("({block} * {{1}})"), vec![m, k], Ty::Mat(t), bound)
            }
        }
    }

    /// A matrix of shape `t` from a block, an assembly or an index query: `.rows(i, n)`,
    /// `.columns(j, n)`, `.view(..)` (of a static matrix too, where the block is a
    /// `DMatrix`, `DVector` or `RowDVector`), `.diagonal()`, `from_diagonal`, `kronecker`,
    /// `from_columns`, `from_rows`, `m.column(v.imax())`. `None` (nothing drawn from the main
    /// stream) when none makes `t`.
    pub(crate) fn block_matrix(&mut self, t: Shape, depth: u32) -> Option<Expr> {
        let (r, c) = (t.rows.n(), t.cols.n());
        let forms: Vec<usize> = match (t.rows, t.cols) {
            (Dim::Dyn(_), Dim::Dyn(_)) => {
                let mut f = vec![0, 1, 2, 2, 4, 4];
                if r == c {
                    f.push(3);
                }
                // Arrays of one value are refused by `#[grad]` (README, "Results").
                if c > 1 {
                    f.extend([5, 5]);
                }
                if r > 1 {
                    f.extend([6, 6]);
                }
                if r > 1 || c > 1 {
                    f.extend([9, 9]);
                }
                f
            }
            (Dim::Dyn(_), Dim::Fix(1)) if r > 1 => vec![0, 7, 8, 9],
            (Dim::Dyn(_), Dim::Fix(1)) => vec![0, 7, 8],
            (Dim::Fix(1), Dim::Dyn(_)) => vec![1],
            (Dim::Fix(_), Dim::Fix(1)) if r > 1 => vec![7, 8],
            (Dim::Fix(_), Dim::Fix(_)) if r == c => vec![3],
            _ => return None,
        };
        let form = forms[self.cat_below(forms.len())];
        self.took(if form == 8 { "index_query" } else { "blocks" });
        self.mark(Family::Indexing);
        self.mark_world(Ty::Mat(t));
        let d = depth - 1;
        Some(match form {
            0..=2 => self.sub_block(t, form, d),
            3 => {
                let v = self.matrix(column_of(t, r), d);
                let b = v.bound;
                let v = self.borrow(v);
                let f = from_diagonal(t, r);
                Expr::op(format!("{f}({{0}})"), vec![v], Ty::Mat(t), b)
            }
            4 => self.kronecker(t, d),
            5 | 6 => self.assembled(t, form == 5, d),
            9 => self.stacked(t, d),
            7 => {
                let src = Shape {
                    rows: t.rows,
                    cols: resize(t.rows, r),
                };
                let m = self.matrix(src, d);
                let b = m.bound;
                Expr::op("{0}.diagonal()", vec![m], Ty::Mat(t), b)
            }
            _ => self.queried_column(t, d),
        })
    }

    /// `.rows(i, n)` (form 0), `.columns(j, n)` (1) or `.view((i, j), (r, c))` (2) making `t`,
    /// of a program shape that holds it (else of a slightly larger one): rows of a static
    /// column give a `DVector`, columns of a static row a `RowDVector`, a view of any matrix a
    /// `DMatrix`.
    fn sub_block(&mut self, t: Shape, form: usize, d: u32) -> Expr {
        let (r, c) = (t.rows.n(), t.cols.n());
        let (src, block) = match form {
            0 => {
                let fixed_one = t.cols == Dim::Fix(1);
                let fallback = with_rows(t, r + 1 + self.cat_below(2));
                let src = self.cat_source(
                    |s| {
                        s.cols.n() == c
                            && s.rows.n() >= r
                            && (s.cols == t.cols || fixed_one && s.cols == Dim::Fix(1))
                    },
                    fallback,
                );
                let i = self.cat_below(src.rows.n() - r + 1);
                (src, format!("{{0}}.rows({i}, {r})"))
            }
            1 => {
                let fixed_one = t.rows == Dim::Fix(1);
                let fallback = with_cols(t, c + 1 + self.cat_below(2));
                let src = self.cat_source(
                    |s| {
                        s.rows.n() == r
                            && s.cols.n() >= c
                            && (s.rows == t.rows || fixed_one && s.rows == Dim::Fix(1))
                    },
                    fallback,
                );
                let j = self.cat_below(src.cols.n() - c + 1);
                (src, format!("{{0}}.columns({j}, {c})"))
            }
            _ => {
                let fallback = Shape::dmat(r + self.cat_below(2), c + self.cat_below(2));
                let src = self.cat_source(|s| s.rows.n() >= r && s.cols.n() >= c, fallback);
                let i = self.cat_below(src.rows.n() - r + 1);
                let j = self.cat_below(src.cols.n() - c + 1);
                (src, format!("{{0}}.view(({i}, {j}), ({r}, {c}))"))
            }
        };
        let m = self.matrix(src, d);
        self.owned_block(block, m, t, d)
    }

    /// `m.column(v.imax())` (or another index query) of a matrix with `t`'s rows, a column
    /// `t`, owned.
    fn queried_column(&mut self, t: Shape, d: u32) -> Expr {
        let r = t.rows.n();
        let k = 1 + self.cat_below(4);
        let q = QUERIES[self.cat_below(4)];
        let src = if t.is_static() {
            Shape::smat(r, k)
        } else {
            Shape::dmat(r, k)
        };
        let m = self.matrix(src, d);
        let v = self.matrix(column_of(t, k), d);
        let b = m.bound;
        let block = format!("{{0}}.column({{1}}.{q}())");
        match self.cat_below(2) {
            0 => Expr::op(format!("{block}.into_owned()"), vec![m, v], Ty::Mat(t), b),
            _ => Expr::op(format!("({block} * 2.0)"), vec![m, v], Ty::Mat(t), 2.0 * b),
        }
    }

    /// `a.kronecker(&b)` of two `DMatrix`es whose sizes multiply to `t`'s.
    fn kronecker(&mut self, t: Shape, d: u32) -> Expr {
        let (r, c) = (t.rows.n(), t.cols.n());
        let divisors = |n: usize| (1..=n).filter(|k| n.is_multiple_of(*k)).collect::<Vec<_>>();
        let (dr, dc) = (divisors(r), divisors(c));
        let r1 = dr[self.cat_below(dr.len())];
        let c1 = dc[self.cat_below(dc.len())];
        let a = self.matrix(Shape::dmat(r1, c1), d);
        let b = self.matrix(Shape::dmat(r / r1, c / c1), d);
        let bound = a.bound * b.bound;
        let b = self.borrow(b);
        Expr::op("{0}.kronecker({1})", vec![a, b], Ty::Mat(t), bound)
    }

    /// nalgebra's `stack![a, b; c, d]` of blocks making `t` (a `DMatrix` or `DVector`
    /// with two rows or columns at least): split after a drawn row and, for a matrix of two
    /// columns or more, after a drawn column (a 2×2, 2×1 or 1×2 layout).
    fn stacked(&mut self, t: Shape, d: u32) -> Expr {
        let (r, c) = (t.rows.n(), t.cols.n());
        let heights = if r > 1 {
            let r1 = 1 + self.cat_below(r - 1);
            vec![r1, r - r1]
        } else {
            vec![r]
        };
        let widths = if c > 1 {
            let c1 = 1 + self.cat_below(c - 1);
            vec![c1, c - c1]
        } else {
            vec![c]
        };
        let mut args = Vec::new();
        let mut rows = Vec::new();
        for &h in &heights {
            let mut row = Vec::new();
            for &w in &widths {
                let shape = Shape {
                    rows: Dim::Dyn(h),
                    cols: resize(t.cols, w),
                };
                let e = self.matrix(shape, d);
                row.push(format!("{{{}}}", args.len()));
                // `stack!` borrows its blocks (`let ref block = ..`): a variable stays usable.
                args.push(e);
            }
            rows.push(row.join(", "));
        }
        let bound = args.iter().map(|a| a.bound).fold(0.0, f64::max);
        let src = format!("nalgebra::stack![{}]", rows.join("; "));
        Expr::op(src, args, Ty::Mat(t), bound)
    }

    /// `DMatrix::from_columns(&[..])` of `t`'s columns (`DVector`s) or `DMatrix::from_rows(&[..])`
    /// of its rows (`RowDVector`s), each an owned value; at least two of them.
    fn assembled(&mut self, t: Shape, columns: bool, d: u32) -> Expr {
        let (r, c) = (t.rows.n(), t.cols.n());
        let (count, part, name) = if columns {
            (c, Shape::dvec(r), "from_columns")
        } else {
            (r, Shape::drow(c), "from_rows")
        };
        let mut args = Vec::new();
        for _ in 0..count {
            let e = self.matrix(part, d);
            args.push(self.owned(e));
        }
        let bound = args.iter().map(|a| a.bound).fold(0.0, f64::max);
        let holes: Vec<String> = (0..count).map(|i| format!("{{{i}}}")).collect();
        let t_src = format!("DMatrix::{name}(&[{}])", holes.join(", "));
        Expr::op(t_src, args, Ty::Mat(t), bound)
    }
}
