//! The registry: every operation `#[grad]` differentiates, one entry each.
//!
//! An entry says how the operation is written, which runtime kernels implement it (named
//! after `kernel`: the primal, its pullbacks, the variants that reuse a buffer), its graph
//! label and its derivative as two lines, the pullback's formula and the tangent rule's (the
//! rule itself is code, in `ops::tangent`). The generator reads entries and never names an
//! operation itself; adding an operation is one entry here, its tangent rule, plus its kernels
//! in `matgrad-runtime` and their tests (`tests/registry.rs` fails if a kernel an entry names
//! does not exist). This is JAX's `lax.py` (each primitive with its rules) and ChainRules'
//! `rrule`s (each rule beside its primal), for a source-to-source generator.

use super::spec::{
    broadcast, matrix_fn, method, method1, scalar_fn, scalar_fn2, unwrapped, BinaryOp, Domain,
    Extra, OpSpec, Pullback, Reuse, Side, Syntax,
};
use factorisations::*;
use internal::*;

mod factorisations;
mod internal;

/// No reuse variants.
const NONE: Reuse = OpSpec::DEFAULT.reuse;

/// `op = spec, ...` → `enum Op` and `Op::spec`.
macro_rules! registry {
    ($( $(#[$doc:meta])* $variant:ident => $spec:expr ),* $(,)?) => {
        /// One differentiable operation: a registry entry.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Op { $( $(#[$doc])* $variant ),* }

        impl Op {
            /// Every operation, in the registry's order.
            pub const ALL: &'static [Op] = &[$(Op::$variant),*];

            /// The operation's registry entry.
            pub fn spec(self) -> &'static OpSpec {
                match self {
                    $( Op::$variant => { const SPEC: OpSpec = $spec; &SPEC } )*
                }
            }
        }
    };
}

registry! {
    Add => OpSpec {
        syntax: &[Syntax::Binary(BinaryOp::Add)],
        operands: 2,
        kernel: "add",
        pullback: Pullback::Pass([false, false]),
        reuse: Reuse { forward_lhs: true, forward_rhs: true, ..NONE },
        label: "+",
        formula: "ā += ḡ, b̄ += ḡ",
        tangent: "ẏ = ȧ + ḃ",
        doc: "the sum of two values of one shape",
        ..OpSpec::DEFAULT
    },
    Sub => OpSpec {
        syntax: &[Syntax::Binary(BinaryOp::Sub)],
        operands: 2,
        kernel: "sub",
        pullback: Pullback::Pass([false, true]),
        reuse: Reuse { forward_lhs: true, forward_rhs: true, ..NONE },
        label: "−",
        formula: "ā += ḡ, b̄ −= ḡ",
        tangent: "ẏ = ȧ − ḃ",
        doc: "the difference of two values of one shape",
        ..OpSpec::DEFAULT
    },
    Neg => OpSpec {
        syntax: &[Syntax::Negation],
        kernel: "neg",
        pullback: Pullback::Pass([true, false]),
        reuse: Reuse { forward_lhs: true, ..NONE },
        label: "−x",
        formula: "x̄ −= ḡ",
        tangent: "ẏ = −ẋ",
        doc: "the negation",
        ..OpSpec::DEFAULT
    },
    Mul => OpSpec {
        syntax: &[Syntax::Binary(BinaryOp::Mul)],
        operands: 2,
        kernel: "mul",
        reuse: Reuse { pullback_g: [true, true], deferred_lhs: true, ..NONE },
        label: "×",
        formula: "Ā += Ḡ·Bᵀ, B̄ += Aᵀ·Ḡ (a scalar factor s: s̄ += ⟨Ḡ, M⟩)",
        tangent: "Ẏ = Ȧ·B + A·Ḃ (either factor a scalar too)",
        doc: "scalar·scalar, scalar·matrix, matrix·scalar, matrix·matrix, matrix·vector, row·column",
        ..OpSpec::DEFAULT
    },
    /// `aᵀ·b`, the transpose never materialised.
    MulTn => OpSpec {
        syntax: &[method1("tr_mul"), Syntax::TransposedProduct(Side::Lhs)],
        operands: 2,
        kernel: "mul_tn",
        label: "ᵀ×",
        formula: "Ā += B·Ḡᵀ, B̄ += A·Ḡ",
        tangent: "Ẏ = Ȧᵀ·B + Aᵀ·Ḃ",
        doc: "`a.transpose() * b` without building the transpose",
        domain: Domain::Matrix,
        ..OpSpec::DEFAULT
    },
    /// `a·bᵀ`, the transpose never materialised.
    MulNt => OpSpec {
        syntax: &[Syntax::TransposedProduct(Side::Rhs)],
        operands: 2,
        kernel: "mul_nt",
        label: "×ᵀ",
        formula: "Ā += Ḡ·B, B̄ += Ḡᵀ·A",
        tangent: "Ẏ = Ȧ·Bᵀ + A·Ḃᵀ",
        doc: "`a * b.transpose()` without building the transpose",
        domain: Domain::Matrix,
        ..OpSpec::DEFAULT
    },
    Div => OpSpec {
        syntax: &[Syntax::Binary(BinaryOp::Div)],
        operands: 2,
        kernel: "div",
        reuse: Reuse { forward_lhs: true, pullback_g: [true, false], ..NONE },
        label: "÷",
        formula: "ā += ḡ/s, s̄ −= ⟨ḡ, a⟩/s²",
        tangent: "ẏ = ȧ/s − y·(ṡ/s)",
        doc: "division by a scalar",
        ..OpSpec::DEFAULT
    },
    Dot => OpSpec {
        syntax: &[method1("dot")],
        operands: 2,
        kernel: "dot",
        label: "dot",
        formula: "ā += ḡ·b, b̄ += ḡ·a",
        tangent: "ẏ = ⟨ȧ, b⟩ + ⟨a, ḃ⟩",
        doc: "the inner product Σᵢ aᵢbᵢ",
        domain: Domain::Matrix,
        ..OpSpec::DEFAULT
    },
    ComponentMul => OpSpec {
        syntax: &[method1("component_mul")],
        operands: 2,
        kernel: "component_mul",
        reuse: Reuse { forward_lhs: true, forward_rhs: true, pullback_g: [true, true], ..NONE },
        label: "component_mul",
        formula: "ā += ḡ ⊙ b, b̄ += ḡ ⊙ a",
        tangent: "ẏ = ȧ ⊙ b + a ⊙ ḃ",
        doc: "the entry-wise product",
        domain: Domain::Matrix,
        ..OpSpec::DEFAULT
    },
    ComponentDiv => OpSpec {
        syntax: &[method1("component_div")],
        operands: 2,
        kernel: "component_div",
        reuse: Reuse { forward_lhs: true, forward_rhs: true, pullback_g: [true, false], ..NONE },
        label: "component_div",
        formula: "ā += ḡ ⊘ b, b̄ −= ḡ ⊙ a ⊘ b²",
        tangent: "ẏ = (ȧ − y ⊙ ḃ) ⊘ b",
        doc: "the entry-wise quotient",
        domain: Domain::Matrix,
        ..OpSpec::DEFAULT
    },
    BroadcastAdd => broadcast(&[method1("broadcast_add")], "broadcast_add",
        "x̄ += ḡ, r̄ += ḡ summed over the broadcast rows (or columns)",
        "ẏ = ẋ + ṙ, ṙ broadcast as r is (a zero for a constant operand)",
        "`x + r` with the row (or column) `r` added to every row (column) of `x`"),
    BroadcastSub => broadcast(&[method1("broadcast_sub")], "broadcast_sub",
        "x̄ += ḡ, r̄ −= ḡ summed over the broadcast rows (or columns)",
        "ẏ = ẋ − ṙ, ṙ broadcast as r is (a zero for a constant operand)",
        "`x − r` with `r` subtracted from every row (column) of `x`"),
    BroadcastMul => broadcast(&[method1("broadcast_mul")], "broadcast_mul",
        "x̄ += ḡ ⊙ r, r̄ += (ḡ ⊙ x) summed over the broadcast rows (or columns)",
        "ẏ = ẋ ⊙ r + x ⊙ ṙ, r and ṙ broadcast",
        "every row (column) of `x` multiplied entry-wise by `r`"),
    BroadcastDiv => broadcast(&[method1("broadcast_div")], "broadcast_div",
        "x̄ += ḡ ⊘ r, r̄ −= (ḡ ⊙ x ⊘ r²) summed over the broadcast rows (or columns)",
        "ẏ = (ẋ − y ⊙ ṙ) ⊘ r, r and ṙ broadcast",
        "every row (column) of `x` divided entry-wise by `r`"),
    Transpose => matrix_fn(&[method("transpose")], "transpose", "x̄ += ḡᵀ", "ẏ = ẋᵀ", "the transpose"),
    Sum => matrix_fn(&[method("sum")], "sum", "x̄ᵢⱼ += ḡ", "ẏ = Σᵢⱼ ẋᵢⱼ", "the sum of the entries"),
    NormSquared => OpSpec {
        reuse: Reuse { pullback_x: true, ..NONE },
        ..matrix_fn(&[method("norm_squared")], "norm_squared", "x̄ += 2ḡ·x", "ẏ = 2⟨x, ẋ⟩", "Σᵢⱼ xᵢⱼ², the squared Frobenius norm")
    },
    Norm => OpSpec {
        reuse: Reuse { pullback_x: true, ..NONE },
        ..matrix_fn(&[method("norm")], "norm", "x̄ += ḡ·x/‖x‖ (zero at x = 0)", "ẏ = ⟨x, ẋ⟩/‖x‖ (0 at x = 0)", "the Frobenius norm")
    },
    Trace => matrix_fn(&[method("trace")], "trace", "x̄ += ḡ·I", "ẏ = tr(ẋ)", "the sum of the diagonal"),
    Determinant => matrix_fn(&[method("determinant")], "determinant",
        "x̄ += ḡ·adj(x)ᵀ (= ḡ·det(x)·x⁻ᵀ where x is invertible)",
        "ẏ = y·tr(x⁻¹·ẋ): of a factorisation c by a solve with it, y·tr(c⁻¹·ċ); of a matrix through x⁻¹ (panics at a singular x)",
        "the determinant, of a matrix or of its `lu()`, `cholesky()` or `col_piv_qr()` factorisation"),
    Inverse => matrix_fn(&[unwrapped("try_inverse", 0), method("inverse")], "inverse",
        "x̄ −= yᵀ·ḡ·yᵀ with y = x⁻¹",
        "ẏ = −y·ẋ·y with y = x⁻¹ (ẋ = ċ of a factorisation)",
        "the inverse, of a matrix or of its `lu()`, `qr()` or `col_piv_qr()` factorisation (`.inverse()` of its `cholesky()`)"),
    Cholesky => CHOLESKY,
    Lu => LU,
    /// `.l()` of a `cholesky()` or an `lu()`, dispatched by the runtime on the factorisation.
    LowerFactor => LOWER_FACTOR,
    LuU => LU_U,
    Solve => SOLVE,
    LnDeterminant => LN_DETERMINANT,
    SymmetricEigen => SYMMETRIC_EIGEN,
    Eigenvalues => EIGENVALUES,
    Eigenvectors => EIGENVECTORS,
    SymmetricEigenvalues => SYMMETRIC_EIGENVALUES,
    Qr => QR,
    ColPivQr => COL_PIV_QR,
    QrQ => QR_Q,
    QrR => QR_R,
    Svd => SVD,
    SvdSingularValues => SVD_SINGULAR_VALUES,
    SvdU => SVD_U,
    SvdVt => SVD_VT,
    SingularValues => SINGULAR_VALUES,
    SolveLower => SOLVE_LOWER,
    SolveUpper => SOLVE_UPPER,
    TrSolveLower => TR_SOLVE_LOWER,
    TrSolveUpper => TR_SOLVE_UPPER,
    RowSum => matrix_fn(&[method("row_sum")], "row_sum", "x̄ᵢⱼ += ḡⱼ", "ẏⱼ = Σᵢ ẋᵢⱼ", "the 1×n row of column sums"),
    ColumnSum => matrix_fn(&[method("column_sum")], "column_sum", "x̄ᵢⱼ += ḡᵢ", "ẏᵢ = Σⱼ ẋᵢⱼ", "the m×1 column of row sums"),
    RowSumTr => matrix_fn(&[method("row_sum_tr")], "row_sum_tr", "x̄ᵢⱼ += ḡⱼ", "ẏⱼ = Σᵢ ẋᵢⱼ", "the column sums as an n×1 column"),
    RowMean => matrix_fn(&[method("row_mean")], "row_mean", "x̄ᵢⱼ += ḡⱼ/m", "ẏⱼ = Σᵢ ẋᵢⱼ/m", "the 1×n row of column means"),
    ColumnMean => matrix_fn(&[method("column_mean")], "column_mean", "x̄ᵢⱼ += ḡᵢ/n", "ẏᵢ = Σⱼ ẋᵢⱼ/n", "the m×1 column of row means"),
    RowMeanTr => matrix_fn(&[method("row_mean_tr")], "row_mean_tr", "x̄ᵢⱼ += ḡⱼ/m", "ẏⱼ = Σᵢ ẋᵢⱼ/m", "the column means as an n×1 column"),
    Mean => matrix_fn(&[method("mean")], "mean", "x̄ᵢⱼ += ḡ/(mn)", "ẏ = Σᵢⱼ ẋᵢⱼ/(mn)", "the mean of the entries"),
    Variance => matrix_fn(&[method("variance")], "variance", "x̄ += 2ḡ(x − x̄)/(mn)", "ẏ = 2Σᵢⱼ (xᵢⱼ − μ)·ẋᵢⱼ/(mn)",
        "the population variance of the entries"),
    RowVariance => matrix_fn(&[method("row_variance")], "row_variance", "x̄ᵢⱼ += 2ḡⱼ(xᵢⱼ − μⱼ)/m", "ẏⱼ = 2Σᵢ (xᵢⱼ − μⱼ)·ẋᵢⱼ/m",
        "the 1×n row of column variances"),
    ColumnVariance => matrix_fn(&[method("column_variance")], "column_variance", "x̄ᵢⱼ += 2ḡᵢ(xᵢⱼ − μᵢ)/n", "ẏᵢ = 2Σⱼ (xᵢⱼ − μᵢ)·ẋᵢⱼ/n",
        "the m×1 column of row variances"),
    RowVarianceTr => matrix_fn(&[method("row_variance_tr")], "row_variance_tr", "x̄ᵢⱼ += 2ḡⱼ(xᵢⱼ − μⱼ)/m", "ẏⱼ = 2Σᵢ (xᵢⱼ − μⱼ)·ẋᵢⱼ/m",
        "the column variances as an n×1 column"),
    Sqrt => scalar_fn(&[method("sqrt"), Syntax::Function { name: "sqrt", args: 1 }], "sqrt", "x̄ += ḡ/(2√x)", "ẏ = ẋ/(2y) with y = √x", "√x"),
    Exp => OpSpec {
        domain: Domain::Any,
        ..scalar_fn(&[method("exp"), Syntax::Function { name: "exp", args: 1 }], "exp",
            "x̄ += ḡ·eˣ; of a matrix Ā += L(Aᵀ, Ḡ), the Fréchet derivative at Aᵀ: the upper right block of exp([[Aᵀ, Ḡ], [0, Aᵀ]])",
            "ẏ = ẋ·eˣ; of a matrix L(A, Ȧ), the upper right block of exp([[A, Ȧ], [0, A]])",
            "eˣ; of a square matrix, the matrix exponential, as nalgebra's `.exp()`")
    },
    Ln => scalar_fn(&[method("ln"), Syntax::Function { name: "ln", args: 1 }], "ln", "x̄ += ḡ/x", "ẏ = ẋ/x", "the natural logarithm"),
    Sin => scalar_fn(&[method("sin"), Syntax::Function { name: "sin", args: 1 }], "sin", "x̄ += ḡ·cos x", "ẏ = ẋ·cos x", "sin x"),
    Cos => scalar_fn(&[method("cos"), Syntax::Function { name: "cos", args: 1 }], "cos", "x̄ −= ḡ·sin x", "ẏ = −ẋ·sin x", "cos x"),
    Ln1p => scalar_fn(&[method("ln_1p"), Syntax::Function { name: "ln_1p", args: 1 }], "ln_1p", "x̄ += ḡ/(1 + x)", "ẏ = ẋ/eʸ (= ẋ/(1 + x))",
        "ln(1 + x), accurate near 0"),
    ExpM1 => scalar_fn(&[method("exp_m1"), Syntax::Function { name: "exp_m1", args: 1 }], "exp_m1", "x̄ += ḡ·eˣ", "ẏ = ẋ·eˣ",
        "eˣ − 1, accurate near 0"),
    Log2 => scalar_fn(&[method("log2"), Syntax::Function { name: "log2", args: 1 }], "log2", "x̄ += ḡ/(x ln 2)", "ẏ = ẋ/(x ln 2)", "log₂ x"),
    Log10 => scalar_fn(&[method("log10"), Syntax::Function { name: "log10", args: 1 }], "log10", "x̄ += ḡ/(x ln 10)", "ẏ = ẋ/(x ln 10)",
        "log₁₀ x"),
    Sinh => scalar_fn(&[method("sinh"), Syntax::Function { name: "sinh", args: 1 }], "sinh", "x̄ += ḡ·cosh x", "ẏ = ẋ·cosh x", "sinh x"),
    Cosh => scalar_fn(&[method("cosh"), Syntax::Function { name: "cosh", args: 1 }], "cosh", "x̄ += ḡ·sinh x", "ẏ = ẋ·sinh x", "cosh x"),
    Atan => scalar_fn(&[method("atan"), Syntax::Function { name: "atan", args: 1 }], "atan", "x̄ += ḡ/(1 + x²)", "ẏ = ẋ/(1 + x²)",
        "the arctangent"),
    Recip => scalar_fn(&[method("recip"), Syntax::Function { name: "recip", args: 1 }], "recip", "x̄ −= ḡ·y² with y = 1/x", "ẏ = −ẋ·y² with y = 1/x",
        "1/x"),
    Cbrt => scalar_fn(&[method("cbrt"), Syntax::Function { name: "cbrt", args: 1 }], "cbrt",
        "x̄ += ḡ/(3y²) with y = ∛x (infinite at 0)", "ẏ = ẋ/(3y²) with y = ∛x (infinite at 0)", "the cube root"),
    Tanh => OpSpec {
        domain: Domain::Any,
        ..scalar_fn(&[method("tanh"), Syntax::Function { name: "tanh", args: 1 }], "tanh", "x̄ += ḡ(1 − y²)", "ẏ = ẋ − ẋ ⊙ y² with y = tanh x",
            "tanh x (entry-wise on a matrix)")
    },
    Abs => OpSpec {
        domain: Domain::Any,
        ..scalar_fn(&[method("abs"), Syntax::Function { name: "abs", args: 1 }], "abs", "x̄ += ḡ·sign x (0 at x = 0)", "ẏ = ẋ ⊙ sign x (0 at x = 0)",
            "|x| (entry-wise on a matrix)")
    },
    Powi => OpSpec {
        extras: &[Extra { arg: "n", what: "the exponent of `.powi(n)`" }],
        ..scalar_fn(&[method1("powi"), Syntax::Function { name: "powi", args: 2 }], "powi",
            "x̄ += ḡ·n·xⁿ⁻¹", "ẏ = ẋ·n·xⁿ⁻¹ (0 for n = 0)", "xⁿ for an integer n")
    },
    Index => OpSpec {
        syntax: &[Syntax::Index],
        extras: &[Extra { arg: "idx", what: "an index" }],
        kernel: "index",
        label: "[·]",
        formula: "x̄ᵢⱼ += ḡ at the indexed entry",
        tangent: "ẏ = ẋ at the indexed entry",
        doc: "one entry, `m[(i, j)]` or `v[i]`",
        domain: Domain::Matrix,
        ..OpSpec::DEFAULT
    },
    Column => OpSpec {
        syntax: &[method1("column")],
        extras: &[Extra { arg: "j", what: "the column index of `.column(j)`" }],
        kernel_when_constant: true,
        ..matrix_fn(&[], "column", "x̄·ⱼ += ḡ", "ẏ = ẋ·ⱼ", "column j, as an owned vector")
    },
    Row => OpSpec {
        syntax: &[method1("row")],
        extras: &[Extra { arg: "i", what: "the row index of `.row(i)`" }],
        kernel_when_constant: true,
        ..matrix_fn(&[], "row", "x̄ᵢ· += ḡ", "ẏ = ẋᵢ·", "row i, as an owned row vector")
    },
    Rows => OpSpec {
        syntax: &[Syntax::Method { name: "rows", args: 2 }],
        extras: &[Extra { arg: "i", what: "the first row of `.rows(i, n)`" }, Extra { arg: "n", what: "the row count of `.rows(i, n)`" }],
        kernel_when_constant: true,
        ..matrix_fn(&[], "rows", "x̄[i..i+n, :] += ḡ", "ẏ = ẋ[i..i+n, :]", "rows i..i+n, as an owned matrix")
    },
    Columns => OpSpec {
        syntax: &[Syntax::Method { name: "columns", args: 2 }],
        extras: &[Extra { arg: "j", what: "the first column of `.columns(j, n)`" }, Extra { arg: "n", what: "the column count of `.columns(j, n)`" }],
        kernel_when_constant: true,
        ..matrix_fn(&[], "columns", "x̄[:, j..j+n] += ḡ", "ẏ = ẋ[:, j..j+n]", "columns j..j+n, as an owned matrix")
    },
    View => OpSpec {
        syntax: &[Syntax::Method { name: "view", args: 2 }],
        extras: &[Extra { arg: "(i, j)", what: "the start of `.view(start, shape)`" }, Extra { arg: "(r, c)", what: "the shape of `.view(start, shape)`" }],
        kernel_when_constant: true,
        ..matrix_fn(&[], "view", "x̄[i..i+r, j..j+c] += ḡ", "ẏ = ẋ[i..i+r, j..j+c]", "the r×c block at (i, j), as an owned matrix")
    },
    FixedRows => OpSpec {
        syntax: &[Syntax::Method { name: "fixed_rows", args: 1 }],
        extras: &[Extra { arg: "i", what: "the first row of `.fixed_rows::<N>(i)`" }],
        forward_as_written: true,
        turbofish: "::<N>",
        kernel_when_constant: true,
        ..matrix_fn(&[], "fixed_rows", "x̄[i..i+N, :] += ḡ", "ẏ = ẋ[i..i+N, :]", "`.fixed_rows::<N>(i)`: N rows from i, owned, of static size")
    },
    FixedColumns => OpSpec {
        syntax: &[Syntax::Method { name: "fixed_columns", args: 1 }],
        extras: &[Extra { arg: "j", what: "the first column of `.fixed_columns::<N>(j)`" }],
        forward_as_written: true,
        turbofish: "::<N>",
        kernel_when_constant: true,
        ..matrix_fn(&[], "fixed_columns", "x̄[:, j..j+N] += ḡ", "ẏ = ẋ[:, j..j+N]", "`.fixed_columns::<N>(j)`: N columns from j, owned, of static size")
    },
    FixedView => OpSpec {
        syntax: &[Syntax::Method { name: "fixed_view", args: 2 }],
        extras: &[Extra { arg: "i", what: "the first row of `.fixed_view::<R, C>(i, j)`" },
            Extra { arg: "j", what: "the first column of `.fixed_view::<R, C>(i, j)`" }],
        forward_as_written: true,
        turbofish: "::<R, C>",
        kernel_when_constant: true,
        ..matrix_fn(&[], "fixed_view", "x̄[i..i+R, j..j+C] += ḡ", "ẏ = ẋ[i..i+R, j..j+C]", "`.fixed_view::<R, C>(i, j)`: the R×C block at (i, j), owned, of static size")
    },
    Diagonal => matrix_fn(&[method("diagonal")], "diagonal", "x̄ᵢᵢ += ḡᵢ", "ẏᵢ = ẋᵢᵢ", "the diagonal as a column vector"),
    FromDiagonal => matrix_fn(&[Syntax::Associated { name: "from_diagonal", args: 1 }], "from_diagonal", "v̄ᵢ += ḡᵢᵢ", "ẏ = diag(v̇)",
        "the square matrix with v on its diagonal (any matrix type's `from_diagonal`)"),
    FromColumns => OpSpec {
        operands: 2,
        kernel_when_constant: true,
        ..matrix_fn(&[Syntax::AssociatedArray { name: "from_columns" }], "hstack", "ā += ḡ's first columns, b̄ += the rest",
            "ẏ = [ȧ | ḃ] (a zero block for a constant operand)",
            "the matrix with the given columns (or blocks of columns) side by side; a row of `stack![a, b; c, d]` (of dynamic width, as nalgebra's is when a block is dynamic)")
    },
    FromRows => OpSpec {
        operands: 2,
        kernel_when_constant: true,
        ..matrix_fn(&[Syntax::AssociatedArray { name: "from_rows" }], "vstack", "ā += ḡ's first rows, b̄ += the rest",
            "ẏ = [ȧ; ḃ], one under the other (a zero block for a constant operand)",
            "the matrix with the given rows (or blocks of rows) one under another; the rows of `stack![a, b; c, d]` (of dynamic height)")
    },
    MaxEntry => matrix_fn(&[method("max")], "max_entry",
        "x̄ᵢ += ḡ/k at the k entries equal to the maximum (a tie shares ḡ equally, as JAX and PyTorch do)",
        "ẏ = Σᵢ ẋᵢ/k over the k entries equal to the maximum (a tie averages their tangents)",
        "the largest entry"),
    MinEntry => matrix_fn(&[method("min")], "min_entry",
        "x̄ᵢ += ḡ/k at the k entries equal to the minimum (a tie shares ḡ equally)",
        "ẏ = Σᵢ ẋᵢ/k over the k entries equal to the minimum (a tie averages their tangents)",
        "the smallest entry"),
    MaxAbs => matrix_fn(&[method("amax")], "amax_entry",
        "x̄ᵢ += sign(xᵢ)·ḡ/k at the k entries of largest |xᵢ| (a tie shares ḡ equally, as JAX does)",
        "ẏ = Σᵢ sign(xᵢ)·ẋᵢ/k over the k entries of largest |xᵢ|",
        "the largest absolute value of the entries"),
    MinAbs => matrix_fn(&[method("amin")], "amin_entry",
        "x̄ᵢ += sign(xᵢ)·ḡ/k at the k entries of smallest |xᵢ| (0 where xᵢ = 0)",
        "ẏ = Σᵢ sign(xᵢ)·ẋᵢ/k over the k entries of smallest |xᵢ| (0 where xᵢ = 0)",
        "the smallest absolute value of the entries"),
    Max => scalar_fn2(&[method1("max"), Syntax::Function { name: "max", args: 2 }], "max",
        "ā += ḡ where a > b, b̄ += ḡ where b > a, ḡ/2 each at a tie", "ẏ = ȧ where a > b, ḃ where b > a, (ȧ + ḃ)/2 at a tie", "the larger of two floats"),
    Min => scalar_fn2(&[method1("min"), Syntax::Function { name: "min", args: 2 }], "min",
        "ā += ḡ where a < b, b̄ += ḡ where b < a, ḡ/2 each at a tie", "ẏ = ȧ where a < b, ḃ where b < a, (ȧ + ḃ)/2 at a tie", "the smaller of two floats"),
    Powf => scalar_fn2(&[method1("powf"), Syntax::Function { name: "powf", args: 2 }], "powf",
        "ā += ḡ·b·aᵇ⁻¹, b̄ += ḡ·aᵇ·ln a (0 at a = 0, as in JAX)",
        "ẏ = ȧ·b·aᵇ⁻¹ + ḃ·y·ln a, the second term 0 where y = aᵇ = 0", "aᵇ for a real exponent b, differentiable in both"),
    Hypot => scalar_fn2(&[method1("hypot"), Syntax::Function { name: "hypot", args: 2 }], "hypot",
        "ā += ḡ·a/h, b̄ += ḡ·b/h with h = √(a² + b²) (0 at h = 0)", "ẏ = (a·ȧ + b·ḃ)/h with h = √(a² + b²) (0 at h = 0)", "√(a² + b²) without overflow"),
    Clamp => OpSpec {
        extras: &[Extra { arg: "lo", what: "the lower bound of `.clamp(lo, hi)`" },
            Extra { arg: "hi", what: "the upper bound of `.clamp(lo, hi)`" }],
        ..scalar_fn(&[Syntax::Method { name: "clamp", args: 2 }, Syntax::Function { name: "clamp", args: 3 }], "clamp",
            "x̄ += ḡ inside (lo, hi), ḡ/2 at a bound (as JAX's clip), 0 outside",
            "ẏ = ẋ inside (lo, hi), ẋ/2 at a bound, 0 outside", "x clamped to [lo, hi]")
    },
    Kronecker => OpSpec {
        operands: 2,
        ..matrix_fn(&[method1("kronecker")], "kronecker",
            "āᵢⱼ += ⟨Ḡ's block (i, j), B⟩, B̄ += Σᵢⱼ aᵢⱼ·(Ḡ's block (i, j))", "Ẏ = Ȧ ⊗ B + A ⊗ Ḃ", "the Kronecker product A ⊗ B")
    },
    Scale => OpSpec {
        syntax: &[method1("scale")],
        operands: 2,
        float_operand: true,
        kernel: "mul",
        reuse: Reuse { pullback_g: [true, true], ..NONE },
        label: "scale",
        formula: "x̄ += ḡ·b, b̄ += ⟨ḡ, x⟩",
        tangent: "ẏ = ẋ·b + x·ḃ",
        doc: "every entry times the float b (`x * b`)",
        domain: Domain::Matrix,
        ..OpSpec::DEFAULT
    },
    AddScalar => OpSpec {
        syntax: &[method1("add_scalar")],
        operands: 2,
        float_operand: true,
        kernel: "add_scalar",
        label: "add_scalar",
        formula: "x̄ += ḡ, b̄ += Σᵢⱼ ḡᵢⱼ",
        tangent: "ẏᵢⱼ = ẋᵢⱼ + ḃ",
        doc: "the float b added to every entry",
        domain: Domain::Matrix,
        ..OpSpec::DEFAULT
    },
    /// `x.clone()`: the value itself.
    Identity => OpSpec {
        syntax: &[
            Syntax::Identity { name: "clone" },
            Syntax::Identity { name: "clone_owned" },
            Syntax::Identity { name: "into_owned" },
        ],
        kernel: "identity",
        pullback: Pullback::Pass([false, false]),
        label: "clone",
        formula: "x̄ += ḡ",
        tangent: "ẏ = ẋ",
        doc: "a copy of the value",
        ..OpSpec::DEFAULT
    },
    // Internal operations (`Op::is_internal`): no syntax, so no user writes them and the
    // catalogue leaves them out; the tangent rules of the linear-algebra operations build them
    // (`ops::tangent_linalg`, `ops::tangent_spectral`), and their pullbacks differentiate those
    // rules again (`f_hvp`). No rule builds their own tangent (nothing differentiates a tangent
    // program forward again): their `tangent` is the derivative their pullbacks transpose.
    ExpTangent => EXP_TANGENT,
    LowerTriangle => LOWER_TRIANGLE,
    UpperTriangle => UPPER_TRIANGLE,
    StrictlyLower => STRICTLY_LOWER,
    LowerHalved => LOWER_HALVED,
    LeadingColumns => LEADING_COLUMNS,
    PermuteColumns => PERMUTE_COLUMNS,
    EigenCoupling => EIGEN_COUPLING,
    SvdCoupling => SVD_COUPLING,
    SvdUKept => SVD_U_KEPT,
    SvdVtKept => SVD_VT_KEPT,
    PseudoRecip => PSEUDO_RECIP,
    RecipOrZero => RECIP_OR_ZERO,
    Xlogy => XLOGY,
}
