//! The operations `#[grad]` differentiates, and the runtime functions that implement them.

/// One differentiable operation. Its runtime primal is `__private::<name>` and its pullbacks
/// `<name>_pullback` (one input) or `<name>_pullback_lhs` / `<name>_pullback_rhs` (two).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    /// `aᵀ·b` (`a.transpose() * b`, `a.tr_mul(&b)`), the transpose never materialised.
    MulTn,
    /// `a·bᵀ` (`a * b.transpose()`), the transpose never materialised.
    MulNt,
    Div,
    Dot,
    ComponentMul,
    ComponentDiv,
    BroadcastAdd,
    BroadcastSub,
    BroadcastMul,
    BroadcastDiv,
    Neg,
    Transpose,
    Sum,
    NormSquared,
    Norm,
    Trace,
    Determinant,
    Inverse,
    RowSum,
    ColumnSum,
    RowSumTr,
    RowMean,
    ColumnMean,
    RowMeanTr,
    Mean,
    Variance,
    RowVariance,
    ColumnVariance,
    RowVarianceTr,
    Sqrt,
    Exp,
    Ln,
    Tanh,
    Abs,
    Sin,
    Cos,
    /// `x.powi(n)`: one extra, non-differentiated argument.
    Powi,
    /// `x[idx]`: one extra, non-differentiated argument.
    Index,
    /// `x.column(j)`: one extra, non-differentiated argument.
    Column,
    /// `x.row(i)`: one extra, non-differentiated argument.
    Row,
}

const NULLARY: &[(&str, Op)] = &[
    ("transpose", Op::Transpose),
    ("sum", Op::Sum),
    ("norm_squared", Op::NormSquared),
    ("norm", Op::Norm),
    ("trace", Op::Trace),
    ("determinant", Op::Determinant),
    ("row_sum", Op::RowSum),
    ("column_sum", Op::ColumnSum),
    ("row_sum_tr", Op::RowSumTr),
    ("row_mean", Op::RowMean),
    ("column_mean", Op::ColumnMean),
    ("row_mean_tr", Op::RowMeanTr),
    ("mean", Op::Mean),
    ("variance", Op::Variance),
    ("row_variance", Op::RowVariance),
    ("column_variance", Op::ColumnVariance),
    ("row_variance_tr", Op::RowVarianceTr),
    ("sqrt", Op::Sqrt),
    ("exp", Op::Exp),
    ("ln", Op::Ln),
    ("tanh", Op::Tanh),
    ("abs", Op::Abs),
    ("sin", Op::Sin),
    ("cos", Op::Cos),
];

const BINARY: &[(&str, Op)] = &[
    ("dot", Op::Dot),
    ("component_mul", Op::ComponentMul),
    ("component_div", Op::ComponentDiv),
    ("broadcast_add", Op::BroadcastAdd),
    ("broadcast_sub", Op::BroadcastSub),
    ("broadcast_mul", Op::BroadcastMul),
    ("broadcast_div", Op::BroadcastDiv),
];

impl Op {
    /// The runtime function's name.
    pub fn name(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Sub => "sub",
            Op::Mul => "mul",
            Op::MulTn => "mul_tn",
            Op::MulNt => "mul_nt",
            Op::Div => "div",
            Op::Neg => "neg",
            Op::Inverse => "inverse",
            Op::Powi => "powi",
            Op::Index => "index",
            Op::Column => "column",
            Op::Row => "row",
            other => NULLARY
                .iter()
                .chain(BINARY)
                .find(|(_, op)| *op == other)
                .map(|(n, _)| *n)
                .unwrap_or("unknown"),
        }
    }

    /// Whether the runtime has `<name>_pullback[_side]_owned`, taking the cotangent by value
    /// to reuse its buffer, for input `k`.
    pub fn owned_pullback(self, k: usize) -> bool {
        match self {
            Op::Mul | Op::ComponentMul => k <= 1,
            Op::Div
            | Op::ComponentDiv
            | Op::BroadcastAdd
            | Op::BroadcastSub
            | Op::BroadcastMul
            | Op::BroadcastDiv => k == 0,
            _ => false,
        }
    }

    /// Whether the runtime has `<name>_pullback_consuming`, taking the (only) input by value
    /// and writing its cotangent in the input's buffer.
    pub fn consuming_pullback(self) -> bool {
        matches!(self, Op::NormSquared | Op::Norm)
    }

    /// Whether the pullback only passes the cotangent through (`+`, `-`, unary `-`), reading
    /// no operand.
    pub fn passes_through(self) -> bool {
        matches!(self, Op::Add | Op::Sub | Op::Neg)
    }

    /// Whether the runtime has `<name>_owned`, taking the (first) operand by value and
    /// computing the result in its buffer.
    pub fn owned_forward(self) -> bool {
        matches!(
            self,
            Op::Add
                | Op::Sub
                | Op::Neg
                | Op::Div
                | Op::ComponentMul
                | Op::ComponentDiv
                | Op::BroadcastAdd
                | Op::BroadcastSub
                | Op::BroadcastMul
                | Op::BroadcastDiv
        )
    }

    /// Whether the runtime has `<name>_owned_rhs`, taking the right operand by value and
    /// computing the result in its buffer (same-shaped operands only).
    pub fn owned_forward_rhs(self) -> bool {
        matches!(
            self,
            Op::Add | Op::Sub | Op::ComponentMul | Op::ComponentDiv
        )
    }

    /// The label of the operation in the computation graph.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Add => "+",
            Op::Sub => "−",
            Op::Mul => "×",
            Op::MulTn => "ᵀ×",
            Op::MulNt => "×ᵀ",
            Op::Div => "÷",
            Op::Neg => "−x",
            other => other.name(),
        }
    }

    /// The method with no arguments that this operation stands for, if any.
    pub fn nullary_method(method: &str) -> Option<Op> {
        NULLARY
            .iter()
            .find(|(n, _)| *n == method)
            .map(|(_, op)| *op)
    }

    /// The method with one differentiable argument that this operation stands for, if any.
    pub fn binary_method(method: &str) -> Option<Op> {
        BINARY.iter().find(|(n, _)| *n == method).map(|(_, op)| *op)
    }
}

/// Methods that return a shape or a count: their result is a constant, whatever the receiver.
pub const SHAPE_METHODS: &[&str] = &["nrows", "ncols", "len", "shape", "is_empty", "is_square"];

/// Methods that return their receiver's value unchanged.
pub const IDENTITY_METHODS: &[&str] = &["clone", "clone_owned", "into_owned"];

/// The supported methods, listed in error messages.
pub const SUPPORTED_METHODS: &str = "`.transpose()`, `.tr_mul(&b)`, `.dot(&b)`, `.component_mul(&b)`, \
`.component_div(&b)`, `.broadcast_add(&r)` (and `_sub`, `_mul`, `_div`), `.norm_squared()`, `.norm()`, `.sum()`, \
`.mean()`, `.variance()`, `.row_sum()`, `.column_sum()`, `.row_mean()`, `.column_mean()`, `.row_variance()`, \
`.column_variance()`, `.trace()`, `.determinant()`, `.try_inverse().unwrap()`, `.column(j)`, `.row(i)`, \
`.map(|v| ...)`, `.clone()`, on floats `.sqrt()`, `.exp()`, `.ln()`, `.tanh()`, `.abs()`, `.sin()`, `.cos()`, \
`.powi(n)`, and the shape queries `.nrows()`, `.ncols()`, `.len()`, `.shape()`";

/// The supported syntax, listed in error messages.
pub const SUPPORTED_SYNTAX: &str = "`let` bindings (shadowing allowed), assignment and `+=`/`-=`/`*=`/`/=` to a local, \
`for` loops over a range, `if`/`else`, calls to functions with `#[grad]` or `#[vjp]`, \
`+`, `-`, `*`, `/`, unary `-`, parentheses, `&` borrows, indexing `m[(i, j)]`/`v[i]`, float literals, and the methods ";
