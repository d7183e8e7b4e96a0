//! The types of generated programs: scalars, the nalgebra matrices the generator uses
//! (dynamic `DMatrix`/`DVector`/`RowDVector` and static `SMatrix`), and the constants
//! (`usize`, `bool` conditions, slices of vectors), with their Rust spelling.

use crate::model::Kind;
use std::fmt;

/// One dimension of a matrix type: dynamic (`Dyn`, its size known to the generator) or
/// fixed (`Const<N>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dim {
    /// A dynamic dimension of the given runtime size.
    Dyn(usize),
    /// A fixed dimension.
    Fix(usize),
}

impl Dim {
    /// The size.
    pub fn n(self) -> usize {
        match self {
            Dim::Dyn(n) | Dim::Fix(n) => n,
        }
    }
}

/// A matrix type: its two dimensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shape {
    /// Rows.
    pub rows: Dim,
    /// Columns.
    pub cols: Dim,
}

impl Shape {
    /// `DMatrix` of `r×c`.
    pub fn dmat(r: usize, c: usize) -> Shape {
        Shape {
            rows: Dim::Dyn(r),
            cols: Dim::Dyn(c),
        }
    }
    /// `DVector` of length `n`.
    pub fn dvec(n: usize) -> Shape {
        Shape {
            rows: Dim::Dyn(n),
            cols: Dim::Fix(1),
        }
    }
    /// `RowDVector` of length `n`.
    pub fn drow(n: usize) -> Shape {
        Shape {
            rows: Dim::Fix(1),
            cols: Dim::Dyn(n),
        }
    }
    /// `SMatrix` of `r×c`.
    pub fn smat(r: usize, c: usize) -> Shape {
        Shape {
            rows: Dim::Fix(r),
            cols: Dim::Fix(c),
        }
    }
    /// Whether every dimension is fixed (`SMatrix`).
    pub fn is_static(self) -> bool {
        matches!((self.rows, self.cols), (Dim::Fix(_), Dim::Fix(_)))
    }
    /// Whether this is one of the named types the generator writes (not `OMatrix<Dyn, Const<3>>`
    /// and not the dynamic world's 1×1 `Matrix1`).
    pub fn is_named(self) -> bool {
        match (self.rows, self.cols) {
            (Dim::Dyn(_), Dim::Dyn(_)) | (Dim::Fix(_), Dim::Fix(_)) => true,
            (Dim::Dyn(_), Dim::Fix(c)) => c == 1,
            (Dim::Fix(r), Dim::Dyn(_)) => r == 1,
        }
    }
    /// Whether the matrix is square.
    pub fn is_square(self) -> bool {
        self.rows.n() == self.cols.n() && (self.is_static() || self.rows == self.cols)
    }
    /// Whether this is a column or row vector (indexable as `v[i]`).
    pub fn is_vector(self) -> bool {
        self.rows.n() == 1 || self.cols.n() == 1
    }
    /// Number of entries.
    pub fn len(self) -> usize {
        self.rows.n() * self.cols.n()
    }
    /// Never empty: the generator uses sizes of at least 1.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
    /// The transposed shape.
    pub fn transposed(self) -> Shape {
        Shape {
            rows: self.cols,
            cols: self.rows,
        }
    }
    /// The Rust type, e.g. `DMatrix<f64>`, `SMatrix<f64, 3, 2>`.
    pub fn rust(self) -> String {
        match (self.rows, self.cols) {
            (Dim::Dyn(_), Dim::Dyn(_)) => "DMatrix<f64>".into(),
            (Dim::Dyn(_), Dim::Fix(1)) => "DVector<f64>".into(),
            (Dim::Fix(1), Dim::Dyn(_)) => "RowDVector<f64>".into(),
            (Dim::Fix(r), Dim::Fix(c)) => format!("SMatrix<f64, {r}, {c}>"),
            (r, c) => panic!("unnamed shape {r:?}×{c:?}"),
        }
    }
    /// The type's path for an associated function, e.g. `DMatrix::<f64>`.
    pub fn rust_path(self) -> String {
        match (self.rows, self.cols) {
            (Dim::Dyn(_), Dim::Dyn(_)) => "DMatrix::<f64>".into(),
            (Dim::Dyn(_), Dim::Fix(1)) => "DVector::<f64>".into(),
            (Dim::Fix(1), Dim::Dyn(_)) => "RowDVector::<f64>".into(),
            (Dim::Fix(r), Dim::Fix(c)) => format!("SMatrix::<f64, {r}, {c}>"),
            (r, c) => panic!("unnamed shape {r:?}×{c:?}"),
        }
    }
    /// A constant matrix of this shape with every entry `v`.
    pub fn filled(self, v: &str) -> String {
        match (self.rows, self.cols) {
            (Dim::Dyn(r), Dim::Dyn(c)) => format!("DMatrix::<f64>::from_element({r}, {c}, {v})"),
            (Dim::Dyn(n), Dim::Fix(1)) => format!("DVector::<f64>::from_element({n}, {v})"),
            (Dim::Fix(1), Dim::Dyn(n)) => format!("RowDVector::<f64>::from_element({n}, {v})"),
            _ => format!("{}::from_element({v})", self.rust_path()),
        }
    }
    /// The identity of this (square) shape.
    pub fn identity(self) -> String {
        match (self.rows, self.cols) {
            (Dim::Dyn(r), Dim::Dyn(c)) => format!("DMatrix::<f64>::identity({r}, {c})"),
            _ => format!("{}::identity()", self.rust_path()),
        }
    }
    /// A matrix of this shape from row-major entries.
    pub fn from_rows(self, entries: &str) -> String {
        match (self.rows, self.cols) {
            (Dim::Dyn(r), Dim::Dyn(c)) => {
                format!("DMatrix::<f64>::from_row_slice({r}, {c}, &[{entries}])")
            }
            (Dim::Dyn(_), Dim::Fix(1)) => format!("DVector::<f64>::from_vec(vec![{entries}])"),
            (Dim::Fix(1), Dim::Dyn(_)) => format!("RowDVector::<f64>::from_vec(vec![{entries}])"),
            _ => format!("{}::from_row_slice(&[{entries}])", self.rust_path()),
        }
    }
}

/// A value's type in a generated program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    /// `f64`.
    Scalar,
    /// A matrix or vector.
    Mat(Shape),
    /// `usize`: loop indices and constant parameters.
    Usize,
    /// A condition.
    Bool,
    /// `&[DVector<f64>]` of `len` vectors of length `n`.
    Slice {
        /// Length of each vector.
        n: usize,
        /// Number of vectors.
        len: usize,
    },
    /// One of the `models` family's derived structs.
    Model(Kind),
    /// `Vec` of `len` matrices of one shape, a differentiated `&[M]` parameter (`models`).
    Mats {
        /// The matrices' shape.
        shape: Shape,
        /// Number of matrices.
        len: usize,
    },
    /// `Vec<Layer>` of `len` layers (`models`).
    Layers(usize),
}

impl Ty {
    /// Whether values of this type can be differentiated.
    pub fn is_float(self) -> bool {
        matches!(self, Ty::Scalar | Ty::Mat(_))
    }
    /// The matrix shape, if a matrix.
    pub fn shape(self) -> Option<Shape> {
        match self {
            Ty::Mat(s) => Some(s),
            _ => None,
        }
    }
    /// The Rust type.
    pub fn rust(self) -> String {
        match self {
            Ty::Scalar => "f64".into(),
            Ty::Mat(s) => s.rust(),
            Ty::Usize => "usize".into(),
            Ty::Bool => "bool".into(),
            Ty::Slice { .. } => "&[DVector<f64>]".into(),
            Ty::Model(k) => k.name().into(),
            Ty::Mats { shape, .. } => format!("Vec<{}>", shape.rust()),
            Ty::Layers(_) => format!("Vec<{}>", Kind::Layer.name()),
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rust())
    }
}
