//! The stream of the operation catalogue's forms and what they share. The forms added after
//! the CI corpus was fixed (the factorisations and solves, the spectral functions, the SVD and
//! QR, the matrix exponential, blocks and assembly, `clamp`, the softmax family, closures
//! capturing differentiated values, index queries) are taken at existing sites of their
//! family: the site first asks [`Gen::catalogue_turn`] (drawn from `Gen::catalogue_rng`);
//! when the turn is not taken, or the form finds no shape it needs, the site goes on as before
//! with neither `rng` nor `extra_rng` touched. So a program that takes no catalogue form is,
//! byte for byte, the program the generator wrote before the forms were added (at commit
//! 54d64bc); a program that takes one changes from there on (its operands are drawn from the
//! main stream, as every other operand).
//!
//! Shared here: the turns' probabilities, the picks from the stream, the shapes a form may
//! use, and the well-conditioned matrices the spectral forms and QR need.

use super::Gen;
use crate::ast::{Expr, Function, Taking};
use crate::family::Family;
use crate::ty::{Dim, Shape, Ty};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Mixed into the program's seed for `Gen::catalogue_rng` (the main stream takes the seed,
/// the extra stream the seed `^ 0x9e37_79b9_7f4a_7c15`).
pub(crate) const STREAM_SALT: u64 = 0xd1b5_4a32_d192_ed03;

/// The probability that a site takes a catalogue form: the scalar and matrix linalg sites
/// (spectral functions, SVD, QR, exp), the indexing sites (blocks, assembly, index queries),
/// the activation sites (the softmax family), the map sites (closures capturing
/// differentiated values) and the float-function sites (`clamp`).
pub(crate) mod turn {
    /// At a scalar linalg site (before the factorisations' half of the rest).
    pub const LINALG_SCALAR: f64 = 0.35;
    /// At a matrix linalg site.
    pub const LINALG_MATRIX: f64 = 0.3;
    /// At a scalar indexing site.
    pub const BLOCKS_SCALAR: f64 = 0.35;
    /// At a matrix view site.
    pub const BLOCKS_MATRIX: f64 = 0.4;
    /// At an activation site, scalar or matrix.
    pub const NORMALISED: f64 = 0.3;
    /// At a map site.
    pub const CAPTURES: f64 = 0.35;
    /// At a float-function site (in closures too).
    pub const CLAMP: f64 = 0.08;
}

/// `&name` for a dynamic matrix (an operand of `*` or `+` must not move it), `name` for a
/// static one (`Copy`).
pub(crate) fn operand_of(s: Shape, name: &str) -> String {
    if s.is_static() {
        name.to_string()
    } else {
        format!("&{name}")
    }
}

/// Whether `s` is a `DMatrix` or an `SMatrix` (not a dynamic vector or row), the shapes whose
/// decompositions' factors have a type the generator writes.
pub(crate) fn full_matrix(s: Shape) -> bool {
    s.is_static() || matches!((s.rows, s.cols), (Dim::Dyn(_), Dim::Dyn(_)))
}

/// The column vector of length `n` in `s`'s world: `DVector` or `SMatrix<f64, n, 1>`.
pub(crate) fn column_of(s: Shape, n: usize) -> Shape {
    if s.is_static() {
        Shape::smat(n, 1)
    } else {
        Shape::dvec(n)
    }
}

/// `Type::from_diagonal` for the square shape `n×n` of `s`'s world.
pub(crate) fn from_diagonal(s: Shape, n: usize) -> String {
    if s.is_static() {
        format!("SMatrix::<f64, {n}, {n}>::from_diagonal")
    } else {
        "DMatrix::from_diagonal".to_string()
    }
}

/// A constant matrix of shape `s` with `d(i)` at `(i, i)` and zeros elsewhere.
fn diagonal_literal(s: Shape, d: impl Fn(usize) -> f64) -> String {
    let (r, c) = (s.rows.n(), s.cols.n());
    let entries: Vec<String> = (0..r * c)
        .map(|k| {
            let (i, j) = (k / c, k % c);
            if i == j {
                format!("{:?}", d(i))
            } else {
                "0.0".to_string()
            }
        })
        .collect();
    s.from_rows(&entries.join(", "))
}

impl Gen {
    /// Records that the program takes the catalogue form `form` (`Program::catalogue`).
    pub(crate) fn took(&mut self, form: &'static str) {
        self.taken.push(form);
    }

    /// Whether a site takes a catalogue form, with probability `p`, from the catalogue stream.
    pub(crate) fn catalogue_turn(&mut self, p: f64) -> bool {
        self.catalogue_rng.random_bool(p)
    }

    /// A number below `n`, from the catalogue stream.
    pub(crate) fn cat_below(&mut self, n: usize) -> usize {
        self.catalogue_rng.random_range(0..n)
    }

    /// True with probability `p`, from the catalogue stream.
    pub(crate) fn cat_chance(&mut self, p: f64) -> bool {
        self.catalogue_rng.random_bool(p)
    }

    /// One of the program's shapes satisfying `pred`, picked from the catalogue stream.
    pub(crate) fn cat_shape(&mut self, pred: impl Fn(Shape) -> bool) -> Option<Shape> {
        let cands: Vec<Shape> = self.shapes.iter().copied().filter(|&s| pred(s)).collect();
        if cands.is_empty() {
            None
        } else {
            Some(cands[self.cat_below(cands.len())])
        }
    }

    /// A symmetric positive-definite matrix of the square shape `s` with spread eigenvalues:
    /// the factorisations' `spd` (eigenvalues in [2, 4]) plus `diag(0, 3, 6, ..)`, whose
    /// eigenvalues are (Weyl) within [3i + 2, 3i + 4] for the i-th smallest: in [2, 3n + 1],
    /// consecutive ones at least 1 apart, so that the eigenvectors are well-conditioned.
    /// Exactly symmetric.
    pub(crate) fn spread_spd(&mut self, s: Shape, depth: u32) -> Expr {
        let n = s.rows.n();
        let m = self.spd(s, depth);
        let d = Expr::lit(diagonal_literal(s, |i| 3.0 * i as f64), Ty::Mat(s), 0.0);
        Expr::op("({0} + {1})", vec![m, d], Ty::Mat(s), 3.0 * n as f64 + 1.0)
    }

    /// The largest eigenvalue of a [`Gen::spread_spd`] matrix of dimension `n`.
    pub(crate) fn spread_top(n: usize) -> f64 {
        3.0 * n as f64 + 1.0
    }

    /// A matrix of any shape `s` with spread singular values: `D + E`, `D` zero but for
    /// `D[(i, i)] = 2 + i`, and `max|E| ≤ 1/(4·max(r, c))` so `‖E‖₂ ≤ ¼`; its `k = min(r, c)`
    /// singular values are within ¼ of 2, 3, .., k + 1 (in [1.75, k + 1.25], consecutive ones
    /// at least ½ apart): a well-conditioned input for the SVD's vectors and for QR.
    pub(crate) fn spread_matrix(&mut self, s: Shape, depth: u32) -> Expr {
        let (r, c) = (s.rows.n(), s.cols.n());
        let e = self.matrix(s, depth);
        let e = self.clamp(e, 0.25 / r.max(c) as f64);
        let e = self.operand(e);
        let d = Expr::lit(diagonal_literal(s, |i| 2.0 + i as f64), Ty::Mat(s), 0.0);
        let top = Self::sigma_top(s);
        Expr::op("({0} + {1})", vec![e, d], Ty::Mat(s), top)
    }

    /// The bound of a [`Gen::spread_matrix`]'s singular values (and entries): `k + 1.25`.
    pub(crate) fn sigma_top(s: Shape) -> f64 {
        s.rows.n().min(s.cols.n()) as f64 + 1.25
    }

    /// Marks `linalg` and the matrix's world.
    pub(crate) fn mark_linalg(&mut self, s: Shape) {
        self.mark(Family::Linalg);
        self.mark_world(Ty::Mat(s));
    }
}

impl Gen {
    /// `.expect(msg)` for a quarter of the functions that take nalgebra's `Option`s (or call a
    /// helper that returns one), `?` for another quarter (the function returning `Option`; a
    /// top-level function, half of those times, `.ok_or(e)?` and `Result`); drawn from a
    /// stream of its own (a peek at the catalogue stream, which does not advance), so that the
    /// programs are otherwise unchanged. A helper's callers write `.unwrap()` after its calls
    /// (`Gen::call`), which only an `Option`-returning helper may need: helpers never return
    /// `Result`.
    pub(crate) fn choose_taking(&mut self, f: &mut Function, helper: bool) {
        if !f.render().contains(".unwrap()") {
            return;
        }
        let peek: u64 = self.catalogue_rng.clone().random();
        let mut rng = StdRng::seed_from_u64(peek ^ 0x7a4e_11f0_0b5e_55ed);
        f.taking = match rng.random_range(0..4) {
            0 => Taking::Expect,
            1 if !helper && rng.random_bool(0.5) => Taking::TryOr,
            1 => Taking::Try,
            _ => Taking::Unwrap,
        };
        match f.taking {
            Taking::Expect => self.took("expect"),
            Taking::Try => self.took("option_try"),
            Taking::TryOr => self.took("result_try"),
            Taking::Unwrap => {}
        }
    }
}
