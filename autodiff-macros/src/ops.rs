//! The operations `#[grad]` differentiates, and the runtime functions that implement them.

/// One differentiable operation. Its runtime primal is `__private::<name>` and its pullbacks
/// `<name>_pullback` (one input) or `<name>_pullback_lhs` / `<name>_pullback_rhs` (two).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Dot,
    ComponentMul,
    Neg,
    Transpose,
    Sum,
    NormSquared,
    Norm,
    Trace,
    Determinant,
    Inverse,
    Sqrt,
    Exp,
    Ln,
    /// `x.powi(n)`: one extra, non-differentiated argument.
    Powi,
    /// `x[idx]`: one extra, non-differentiated argument.
    Index,
}

impl Op {
    /// The runtime function's name.
    pub fn name(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Sub => "sub",
            Op::Mul => "mul",
            Op::Div => "div",
            Op::Dot => "dot",
            Op::ComponentMul => "component_mul",
            Op::Neg => "neg",
            Op::Transpose => "transpose",
            Op::Sum => "sum",
            Op::NormSquared => "norm_squared",
            Op::Norm => "norm",
            Op::Trace => "trace",
            Op::Determinant => "determinant",
            Op::Inverse => "inverse",
            Op::Sqrt => "sqrt",
            Op::Exp => "exp",
            Op::Ln => "ln",
            Op::Powi => "powi",
            Op::Index => "index",
        }
    }

    /// The method with no arguments that this operation stands for, if any.
    pub fn nullary_method(method: &str) -> Option<Op> {
        Some(match method {
            "transpose" => Op::Transpose,
            "sum" => Op::Sum,
            "norm_squared" => Op::NormSquared,
            "norm" => Op::Norm,
            "trace" => Op::Trace,
            "determinant" => Op::Determinant,
            "sqrt" => Op::Sqrt,
            "exp" => Op::Exp,
            "ln" => Op::Ln,
            _ => return None,
        })
    }

    /// The method with one differentiable argument that this operation stands for, if any.
    pub fn binary_method(method: &str) -> Option<Op> {
        Some(match method {
            "dot" => Op::Dot,
            "component_mul" => Op::ComponentMul,
            _ => return None,
        })
    }
}

/// Methods that return a shape or a count: their result is a constant, whatever the receiver.
pub const SHAPE_METHODS: &[&str] = &["nrows", "ncols", "len", "shape", "is_empty", "is_square"];

/// Methods that return their receiver's value unchanged.
pub const IDENTITY_METHODS: &[&str] = &["clone", "clone_owned", "into_owned"];

/// The supported methods, listed in error messages.
pub const SUPPORTED_METHODS: &str = "`.transpose()`, `.tr_mul(&b)`, `.dot(&b)`, `.component_mul(&b)`, \
`.norm_squared()`, `.norm()`, `.sum()`, `.trace()`, `.determinant()`, `.try_inverse().unwrap()`, \
`.sqrt()`, `.exp()`, `.ln()`, `.powi(n)`, `.clone()`, and the shape queries `.nrows()`, `.ncols()`, `.len()`, `.shape()`";

/// The supported syntax, listed in error messages.
pub const SUPPORTED_SYNTAX: &str = "`let` bindings (shadowing allowed), assignment and `+=`/`-=`/`*=`/`/=` to a local, \
`+`, `-`, `*`, `/`, unary `-`, parentheses, `&` borrows, indexing `m[(i, j)]`/`v[i]`, float literals, and the methods ";
