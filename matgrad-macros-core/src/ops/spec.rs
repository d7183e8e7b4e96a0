//! What a registry entry says about one differentiable operation.

/// How the user writes an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// A binary operator between two differentiable operands (`a + b`), also as a compound
    /// assignment (`a += b`).
    Binary(BinaryOp),
    /// `a * b` where one operand is written `m.transpose()`: the transpose is never built.
    TransposedProduct(Side),
    /// A prefix operator (`-x`).
    Negation,
    /// `x[idx]`.
    Index,
    /// `recv.name(args..)`: `args` arguments after the receiver (the differentiable ones
    /// first, then the extras).
    Method { name: &'static str, args: usize },
    /// `recv.first(args..).then()`, `then` with no arguments: `m.try_inverse().unwrap()`,
    /// `t.solve_lower_triangular(&b).unwrap()`.
    MethodPair {
        first: &'static str,
        args: usize,
        then: &'static str,
    },
    /// `path(args..)` where the path ends with `type_::name` for `type_` one of `f32`, `f64`
    /// (or a generic type parameter written `T::name`): `f64::max(a, b)`.
    Function { name: &'static str, args: usize },
    /// `Type::name(args..)` for a matrix type (`DMatrix::from_diagonal(&v)`,
    /// `Matrix3::from_diagonal(&v)`): an associated function that builds a matrix.
    Associated { name: &'static str, args: usize },
    /// `Type::name(&[a, b, ..])`: an associated function of an array of two or more values,
    /// folded from the left into the (binary) operation (`DMatrix::from_columns(&[a, b, c])`
    /// is `[[a b] c]`).
    AssociatedArray { name: &'static str },
    /// `recv.name`, reading a field: `e.eigenvalues` of an eigendecomposition.
    Field { name: &'static str },
    /// `recv.field.then()`: a field holding an `Option`, unwrapped (`svd.u.unwrap()`).
    FieldPair {
        field: &'static str,
        then: &'static str,
    },
    /// `x.clone()` and friends: the value itself.
    Identity { name: &'static str },
}

/// The arithmetic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// The left or right operand of a binary operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Lhs,
    Rhs,
}

/// A non-differentiated argument after the differentiable operands, passed to the kernels
/// by value (`Clone::clone` of the argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extra {
    /// The argument's placeholder in the catalogue: `n` in `.powi(n)`.
    pub arg: &'static str,
    /// What the argument is, for the error when it depends on a differentiated parameter:
    /// "the exponent of `.powi(n)`".
    pub what: &'static str,
}

/// How the pullback of each operand is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pullback {
    /// Through the runtime kernels `<kernel>_pullback` (one operand) or
    /// `<kernel>_pullback_lhs` / `<kernel>_pullback_rhs` (two).
    Kernel,
    /// The cotangent passes to each operand unchanged (`false`) or negated (`true`), with no
    /// kernel of the operation's own (`+`, `-`, unary `-`, `.clone()`).
    Pass([bool; 2]),
}

/// Which runtime variants exist that reuse a buffer instead of allocating.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Reuse {
    /// `<kernel>_reuse_lhs` (`<kernel>_reuse` for one operand): the first operand by value,
    /// the result computed in its buffer.
    pub forward_lhs: bool,
    /// `<kernel>_reuse_rhs`: the second operand by value (same-shaped operands only).
    pub forward_rhs: bool,
    /// `<kernel>_pullback[_side]_reuse_g` per operand: the cotangent by value, written over.
    pub pullback_g: [bool; 2],
    /// `<kernel>_pullback_reuse_x`: the (only) operand by value, its cotangent written in
    /// its buffer.
    pub pullback_x: bool,
    /// `<kernel>_pullback_lhs_later` and `<kernel>_pullback_lhs_all`: in a loop, the left
    /// pullbacks of a product whose left operand comes from before the loop can wait for
    /// its end and run as one product.
    pub deferred_lhs: bool,
}

/// What the operation applies to, for the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Domain {
    /// Floats only.
    Scalar,
    /// Matrices and vectors only.
    Matrix,
    /// Both.
    Any,
}

/// One differentiable operation.
#[derive(Clone, Copy, Debug)]
pub struct OpSpec {
    /// How it is written; the first form is the one the catalogue shows first.
    pub syntax: &'static [Syntax],
    /// Dense operands: the receiver (or left operand) first.
    pub operands: usize,
    /// Non-differentiated arguments after the operands.
    pub extras: &'static [Extra],
    /// Whether the second operand of a matrix operation is a float, passed by value as
    /// nalgebra takes it (`.scale(b)`, not `.dot(&b)`), for the catalogue.
    pub float_operand: bool,
    /// The runtime primal `__private::<kernel>`; the pullbacks and reuse variants are named
    /// after it.
    pub kernel: &'static str,
    pub pullback: Pullback,
    pub reuse: Reuse,
    /// Whether the pullbacks of a two-operand operation read its result too: `(a, b, y)`
    /// between ḡ and the slot (a one-operand operation's always do).
    pub reads_result: bool,
    /// `<kernel>_pullback_both`: both operands' pullbacks in one kernel, called where both
    /// are differentiated, for work they share (a solve's two pullbacks both need A⁻ᵀ·ḡ).
    pub joint_pullback: bool,
    /// Whether the forward value is the user's expression made owned (`(expr).into_owned()`),
    /// not a kernel call: for an operation whose result type the user's generic arguments fix
    /// (`x.fixed_rows::<N>(i)`); only its pullbacks are kernels.
    pub forward_as_written: bool,
    /// The generic arguments the user writes after the method's name, for the catalogue
    /// (`"::<N>"` in `.fixed_rows::<N>(i)`).
    pub turbofish: &'static str,
    /// Whether a constant use still goes through the kernel rather than the user's
    /// expression (nalgebra's `.column(j)` is a view, the kernels take owned values).
    pub kernel_when_constant: bool,
    /// Methods of the operation's value that are piecewise constant in its operands, so
    /// constants to `#[grad]` (a pivoted factorisation's permutation `.p()`).
    pub constant_methods: &'static [&'static str],
    /// The node's label in the computation graph.
    pub label: &'static str,
    /// The derivative as one line: the pullback's formula.
    pub formula: &'static str,
    /// The tangent (JVP) rule as one line, in the notation of `formula`: ẏ from the operands'
    /// tangents (ẋ, ȧ, ḃ), the operands and the result, as the rule of `ops::tangent` (or
    /// `tangent_linalg`, `tangent_spectral`) builds it, its conventions at ties and zeros
    /// included. An internal operation has no rule (forward mode never differentiates a
    /// tangent program again: `f_hvp` differentiates it in reverse), so its line is the
    /// derivative its pullbacks transpose.
    pub tangent: &'static str,
    /// What the operation computes, for the catalogue.
    pub doc: &'static str,
    pub domain: Domain,
}

impl OpSpec {
    /// The defaults the table's entries start from.
    pub const DEFAULT: OpSpec = OpSpec {
        syntax: &[],
        operands: 1,
        extras: &[],
        float_operand: false,
        kernel: "",
        pullback: Pullback::Kernel,
        reuse: Reuse {
            forward_lhs: false,
            forward_rhs: false,
            pullback_g: [false, false],
            pullback_x: false,
            deferred_lhs: false,
        },
        reads_result: false,
        joint_pullback: false,
        forward_as_written: false,
        turbofish: "",
        kernel_when_constant: false,
        constant_methods: &[],
        label: "",
        formula: "",
        tangent: "",
        doc: "",
        domain: Domain::Any,
    };
}

/// `recv.name()`.
pub const fn method(name: &'static str) -> Syntax {
    Syntax::Method { name, args: 0 }
}

/// `recv.name(a)`.
pub const fn method1(name: &'static str) -> Syntax {
    Syntax::Method { name, args: 1 }
}

/// `recv.first(args..).unwrap()`: an operation whose nalgebra method returns an `Option`.
pub const fn unwrapped(first: &'static str, args: usize) -> Syntax {
    Syntax::MethodPair {
        first,
        args,
        then: "unwrap",
    }
}

/// A unary float function written `x.name()` or `f64::name(x)`.
pub const fn scalar_fn(
    syntax: &'static [Syntax],
    kernel: &'static str,
    formula: &'static str,
    tangent: &'static str,
    doc: &'static str,
) -> OpSpec {
    OpSpec {
        syntax,
        kernel,
        label: kernel,
        formula,
        tangent,
        doc,
        domain: Domain::Scalar,
        ..OpSpec::DEFAULT
    }
}

/// A function of two floats written `a.name(b)` or `f64::name(a, b)`.
pub const fn scalar_fn2(
    syntax: &'static [Syntax],
    kernel: &'static str,
    formula: &'static str,
    tangent: &'static str,
    doc: &'static str,
) -> OpSpec {
    OpSpec {
        syntax,
        operands: 2,
        ..scalar_fn(syntax, kernel, formula, tangent, doc)
    }
}

/// A reduction or other one-operand matrix function written `m.name()`.
pub const fn matrix_fn(
    syntax: &'static [Syntax],
    kernel: &'static str,
    formula: &'static str,
    tangent: &'static str,
    doc: &'static str,
) -> OpSpec {
    OpSpec {
        syntax,
        kernel,
        label: kernel,
        formula,
        tangent,
        doc,
        domain: Domain::Matrix,
        ..OpSpec::DEFAULT
    }
}

/// `x.broadcast_<op>(&r)`: a 1×d row applied to every row, or an m×1 column to every column.
pub const fn broadcast(
    syntax: &'static [Syntax],
    kernel: &'static str,
    formula: &'static str,
    tangent: &'static str,
    doc: &'static str,
) -> OpSpec {
    OpSpec {
        syntax,
        operands: 2,
        kernel,
        reuse: Reuse {
            forward_lhs: true,
            pullback_g: [true, false],
            ..OpSpec::DEFAULT.reuse
        },
        label: kernel,
        formula,
        tangent,
        doc,
        domain: Domain::Matrix,
        ..OpSpec::DEFAULT
    }
}

/// `t.<name>(&b).unwrap()`: a solve with one triangle of `t` (the diagonal included), the
/// other ignored (its gradient is zero).
pub const fn triangular_solve(
    syntax: &'static [Syntax],
    kernel: &'static str,
    formula: &'static str,
    tangent: &'static str,
    doc: &'static str,
) -> OpSpec {
    OpSpec {
        syntax,
        operands: 2,
        reads_result: true,
        joint_pullback: true,
        kernel,
        label: kernel,
        formula,
        tangent,
        doc,
        domain: Domain::Matrix,
        ..OpSpec::DEFAULT
    }
}
