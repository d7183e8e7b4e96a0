//! The tangent (JVP) rule of every registry operation users write: ẏ as registry operations
//! on the operands, the result and the operands' tangents, as JAX writes each primitive's
//! `jvp` with `lax` primitives. (The internal operations the rules build have pullbacks but
//! no rule of their own: there is no third order.) Because a rule builds registry operations (each with its
//! pullback), the tangent program is itself differentiable: its reverse sweep gives
//! Hessian-vector products with no second-order rule of its own.
//!
//! Rules do not know whether an operand is a float or a matrix, so element-wise products
//! are written `component_mul` (whose kernel takes floats too) and constants are built of
//! the operand's own shape ([`Build::filled`]).

use super::Op;
use crate::ir::ValueId;

/// What a rule builds with: new values of the tangent program, each computed after the
/// values it reads.
pub trait Build {
    /// The operation `op` on `inputs` (with `extras`), a new value.
    fn op(&mut self, op: Op, inputs: &[ValueId], extras: &[ValueId]) -> ValueId;
    /// The rule's own operation (with its extras and, for an operation written with generic
    /// arguments, as the user wrote it) on other operands.
    fn same(&mut self, inputs: &[ValueId]) -> ValueId;
    /// A constant of the shape and type of `like`, every entry `c`.
    fn filled(&mut self, like: ValueId, c: f64) -> ValueId;
    /// A constant computed by the runtime helper `helper` from `of` (by reference) and the
    /// operation's extras (cloned): piecewise constant in `of`, so zero to the derivative
    /// (a sign, the weights of a maximum's entries).
    fn piecewise(&mut self, helper: &str, of: &[ValueId]) -> ValueId;
    /// The operation that computed `id`, if an operation did.
    fn producer(&self, id: ValueId) -> Option<Op>;
}

/// The operation being differentiated: its operands, their tangents (`None`: zero), its
/// extras and its result.
pub struct Site<'a> {
    pub inputs: &'a [ValueId],
    pub dots: &'a [Option<ValueId>],
    pub extras: &'a [ValueId],
    pub result: ValueId,
}

/// Why an operation has no tangent rule yet.
pub struct Missing;

/// ẏ for the operation `op` at `s`; `None` when every tangent it reads is zero.
pub fn tangent(op: Op, b: &mut dyn Build, s: &Site) -> Result<Option<ValueId>, Missing> {
    use Op::*;
    let x = s.inputs[0];
    let dx = s.dots[0];
    Ok(match op {
        // ẏ = op(ẋ): linear in the one operand.
        Neg | Transpose | Sum | Trace | RowSum | ColumnSum | RowSumTr | RowMean | ColumnMean
        | RowMeanTr | Mean | Index | Column | Row | Rows | Columns | View | FixedRows
        | FixedColumns | FixedView | Diagonal | FromDiagonal => dx.map(|d| b.same(&[d])),
        // An owned tangent is passed on; one bound by reference (a parameter's direction, a
        // place in it) is copied, as the primal is, since a closure may take it by value.
        Identity => dx.map(|d| match b.producer(d) {
            Some(_) => d,
            None => b.same(&[d]),
        }),
        // A factorisation's tangent is its matrix's (symmetric for the symmetric ones).
        Lu | Qr | ColPivQr | Svd => dx,
        Cholesky | SymmetricEigen => dx.map(|d| symmetric_part(b, d)),
        Add => match (dx, s.dots[1]) {
            (Some(a), Some(c)) => Some(b.op(Add, &[a, c], &[])),
            (a, c) => a.or(c),
        },
        Sub => match (dx, s.dots[1]) {
            (Some(a), Some(c)) => Some(b.op(Sub, &[a, c], &[])),
            (Some(a), None) => Some(a),
            (None, c) => c.map(|c| b.op(Neg, &[c], &[])),
        },
        // ẏ = op(ȧ, ḃ), a zero of the operand's shape for a constant one.
        FromColumns | FromRows | BroadcastAdd | BroadcastSub | AddScalar => {
            linear2(b, s, |b, ins| b.same(ins))
        }
        // ẏ = op(ȧ, b) + op(a, ḃ).
        Mul | MulTn | MulNt | Dot | ComponentMul | BroadcastMul | Kronecker | Scale => {
            let l = dx.map(|d| b.same(&[d, s.inputs[1]]));
            let r = s.dots[1].map(|d| b.same(&[x, d]));
            plus(b, l, r)
        }
        Div | ComponentDiv | BroadcastDiv => quotient(op, b, s),
        NormSquared => dx.map(|d| {
            let t = b.op(Dot, &[x, d], &[]);
            b.op(Add, &[t, t], &[])
        }),
        // ⟨x, ẋ⟩/‖x‖, 0 at x = 0 (as the pullback).
        Norm => dx.map(|d| {
            let t = b.op(Dot, &[x, d], &[]);
            let r = b.op(RecipOrZero, &[s.result], &[]);
            b.op(ComponentMul, &[t, r], &[])
        }),
        Variance | RowVariance | ColumnVariance | RowVarianceTr => {
            dx.map(|d| variance(op, b, x, d))
        }
        _ => return others(op, b, s),
    })
}

/// The rules of the quotients: a / s: ẏ = ȧ/s − y·(ṡ/s); entry-wise and broadcast:
/// ẏ = (ȧ − y ⊙ ḃ) ⊘ b.
fn quotient(op: Op, b: &mut dyn Build, s: &Site) -> Option<ValueId> {
    use Op::*;
    let (dx, dd, divisor) = (s.dots[0], s.dots[1], s.inputs[1]);
    if op == Div {
        let l = dx.map(|d| b.same(&[d, divisor]));
        let r = dd.map(|d| {
            let q = b.op(Div, &[d, divisor], &[]);
            b.op(Mul, &[s.result, q], &[])
        });
        return minus(b, l, r);
    }
    let mul = if op == ComponentDiv {
        ComponentMul
    } else {
        BroadcastMul
    };
    let r = dd.map(|d| b.op(mul, &[s.result, d], &[]));
    minus(b, dx, r).map(|n| b.op(op, &[n, divisor], &[]))
}

/// The variances' rule: 2·mean((x − μ) ⊙ ẋ) over the same lanes (the mean of ẋ drops out:
/// the centred entries sum to zero).
fn variance(op: Op, b: &mut dyn Build, x: ValueId, d: ValueId) -> ValueId {
    use Op::*;
    if op == ColumnVariance {
        // By rows of xᵀ: broadcasting a row works for static matrices, a column does not.
        let (xt, dt) = (b.op(Transpose, &[x], &[]), b.op(Transpose, &[d], &[]));
        let m = b.op(RowMean, &[xt], &[]);
        let c = b.op(BroadcastSub, &[xt, m], &[]);
        let p = b.op(ComponentMul, &[c, dt], &[]);
        let t = b.op(RowMeanTr, &[p], &[]);
        return b.op(Add, &[t, t], &[]);
    }
    let (mean, reduce) = match op {
        Variance => (Mean, Mean),
        RowVariance => (RowMean, RowMean),
        _ => (RowMean, RowMeanTr),
    };
    let m = b.op(mean, &[x], &[]);
    let c = if op == Variance {
        let minus_m = b.op(Neg, &[m], &[]);
        b.op(AddScalar, &[x, minus_m], &[])
    } else {
        b.op(BroadcastSub, &[x, m], &[])
    };
    let p = b.op(ComponentMul, &[c, d], &[]);
    let t = b.op(reduce, &[p], &[]);
    b.op(Add, &[t, t], &[])
}

/// The rules of the other families: floats of two operands, linear algebra, element-wise
/// functions.
fn others(op: Op, b: &mut dyn Build, s: &Site) -> Result<Option<ValueId>, Missing> {
    use Op::*;
    match op {
        Max | Min | Powf | Hypot => binary_scalar(op, b, s),
        _ if s.dots.iter().all(Option::is_none) => Ok(None),
        Exp | Determinant | Inverse | Solve | LnDeterminant | SolveLower | SolveUpper
        | TrSolveLower | TrSolveUpper | LowerFactor | LuU | QrQ | QrR | Eigenvalues
        | Eigenvectors | SymmetricEigenvalues | SvdSingularValues | SvdU | SvdVt
        | SingularValues => super::tangent_linalg::tangent(op, b, s),
        _ => match s.dots[0] {
            Some(dx) => elementwise(op, b, s.inputs[0], s.result, dx).map(Some),
            None => Err(Missing),
        },
    }
}

/// The rules of the element-wise functions: ẏ = f′(x) ⊙ ẋ, f′ from registry operations.
fn elementwise(
    op: Op,
    b: &mut dyn Build,
    x: ValueId,
    y: ValueId,
    dx: ValueId,
) -> Result<ValueId, Missing> {
    use Op::*;
    let times = |b: &mut dyn Build, f: ValueId| b.op(ComponentMul, &[dx, f], &[]);
    let over = |b: &mut dyn Build, f: ValueId| b.op(ComponentDiv, &[dx, f], &[]);
    Ok(match op {
        Sqrt => {
            let twice = b.op(Add, &[y, y], &[]);
            over(b, twice)
        }
        Ln => over(b, x),
        Sin => {
            let c = b.op(Cos, &[x], &[]);
            times(b, c)
        }
        Cos => {
            let sn = b.op(Sin, &[x], &[]);
            let t = times(b, sn);
            b.op(Neg, &[t], &[])
        }
        Ln1p => {
            let one_plus = b.op(Exp, &[y], &[]);
            over(b, one_plus)
        }
        ExpM1 => {
            let e = b.op(Exp, &[x], &[]);
            times(b, e)
        }
        Log2 | Log10 => {
            let base: f64 = if op == Log2 { 2.0 } else { 10.0 };
            let ln_base = b.filled(x, base.ln());
            let d = b.op(ComponentMul, &[x, ln_base], &[]);
            over(b, d)
        }
        Sinh => {
            let c = b.op(Cosh, &[x], &[]);
            times(b, c)
        }
        Cosh => {
            let sn = b.op(Sinh, &[x], &[]);
            times(b, sn)
        }
        Atan => {
            let one = b.filled(x, 1.0);
            let sq = b.op(ComponentMul, &[x, x], &[]);
            let d = b.op(Add, &[one, sq], &[]);
            over(b, d)
        }
        Recip => {
            let sq = b.op(ComponentMul, &[y, y], &[]);
            let t = times(b, sq);
            b.op(Neg, &[t], &[])
        }
        Cbrt => {
            let three = b.filled(x, 3.0);
            let sq = b.op(ComponentMul, &[y, y], &[]);
            let d = b.op(ComponentMul, &[three, sq], &[]);
            over(b, d)
        }
        // 1 − y² with y = tanh x, on floats and entry-wise on matrices.
        Tanh => {
            let sq = b.op(ComponentMul, &[y, y], &[]);
            let t = times(b, sq);
            b.op(Sub, &[dx, t], &[])
        }
        Abs | Powi | Clamp | MaxEntry | MinEntry | MaxAbs | MinAbs => piecewise(op, b, x, dx),
        _ => return Err(Missing),
    })
}

/// The rules whose factor is piecewise constant or a power: |x|, xⁿ, clamp and the entries'
/// extrema (ẏ = ⟨w, ẋ⟩ with w the weights of the chosen entries).
fn piecewise(op: Op, b: &mut dyn Build, x: ValueId, dx: ValueId) -> ValueId {
    use Op::*;
    let times = |b: &mut dyn Build, f: ValueId| b.op(ComponentMul, &[dx, f], &[]);
    match op {
        Abs => {
            let sign = b.piecewise("sign_of", &[x]);
            times(b, sign)
        }
        // n·xⁿ⁻¹.
        Powi => {
            let f = b.piecewise("powi_factor", &[x]);
            let p = b.op(Powi, &[x], &[f]);
            let n = b.piecewise("powi_exponent", &[x]);
            let d = b.op(ComponentMul, &[n, p], &[]);
            times(b, d)
        }
        Clamp => {
            let w = b.piecewise("clamp_weight", &[x]);
            times(b, w)
        }
        MaxEntry | MinEntry | MaxAbs | MinAbs => {
            let helper = match op {
                MaxEntry => "max_entry_weights",
                MinEntry => "min_entry_weights",
                MaxAbs => "max_abs_weights",
                _ => "min_abs_weights",
            };
            let w = b.piecewise(helper, &[x]);
            b.op(Dot, &[w, dx], &[])
        }
        _ => unreachable!("only the piecewise rules"),
    }
}

/// The rules of the float functions of two operands.
fn binary_scalar(op: Op, b: &mut dyn Build, s: &Site) -> Result<Option<ValueId>, Missing> {
    use Op::*;
    let (a, c, y) = (s.inputs[0], s.inputs[1], s.result);
    let (da, dc) = (s.dots[0], s.dots[1]);
    let weighted = |b: &mut dyn Build, d: Option<ValueId>, w: ValueId| {
        d.map(|d| b.op(ComponentMul, &[d, w], &[]))
    };
    Ok(match op {
        // The weight of each operand: 1 where it is the result, ½ each at a tie.
        Max | Min => {
            let helper = if op == Max {
                "max_weight"
            } else {
                "min_weight"
            };
            let l = da.and_then(|d| {
                let w = b.piecewise(helper, &[a, c]);
                weighted(b, Some(d), w)
            });
            let r = dc.and_then(|d| {
                let w = b.piecewise(helper, &[c, a]);
                weighted(b, Some(d), w)
            });
            plus(b, l, r)
        }
        // ȧ·b·aᵇ⁻¹ + ḃ·aᵇ·ln a (the second term 0 at a = 0, as JAX's).
        Powf => {
            let l = da.map(|d| {
                let one = b.filled(c, 1.0);
                let e = b.op(Sub, &[c, one], &[]);
                let p = b.op(Powf, &[a, e], &[]);
                let f = b.op(ComponentMul, &[c, p], &[]);
                b.op(ComponentMul, &[d, f], &[])
            });
            let r = dc.map(|d| {
                let f = b.op(Xlogy, &[y, a], &[]);
                b.op(ComponentMul, &[d, f], &[])
            });
            plus(b, l, r)
        }
        // (a·ȧ + b·ḃ)/h, 0 at h = 0 (as the pullback).
        Hypot => {
            let l = da.map(|d| b.op(ComponentMul, &[a, d], &[]));
            let r = dc.map(|d| b.op(ComponentMul, &[c, d], &[]));
            plus(b, l, r).map(|n| {
                let r = b.op(RecipOrZero, &[y], &[]);
                b.op(ComponentMul, &[n, r], &[])
            })
        }
        _ => return Err(Missing),
    })
}

/// ẏ = op(ȧ, ḃ) for an operation linear in both operands together, a zero of the operand's
/// shape standing for a constant one's tangent.
fn linear2(
    b: &mut dyn Build,
    s: &Site,
    apply: impl FnOnce(&mut dyn Build, &[ValueId]) -> ValueId,
) -> Option<ValueId> {
    if s.dots.iter().all(Option::is_none) {
        return None;
    }
    let ins: Vec<ValueId> = s
        .inputs
        .iter()
        .zip(s.dots)
        .map(|(&i, d)| d.unwrap_or_else(|| b.filled(i, 0.0)))
        .collect();
    Some(apply(b, &ins))
}

/// (Ṡ + Ṡᵀ)/2.
pub(super) fn symmetric_part(b: &mut dyn Build, d: ValueId) -> ValueId {
    let t = b.op(Op::Transpose, &[d], &[]);
    let sum = b.op(Op::Add, &[d, t], &[]);
    let half = b.filled(d, 0.5);
    b.op(Op::ComponentMul, &[sum, half], &[])
}

/// `l + r`, either possibly zero.
pub(super) fn plus(b: &mut dyn Build, l: Option<ValueId>, r: Option<ValueId>) -> Option<ValueId> {
    match (l, r) {
        (Some(l), Some(r)) => Some(b.op(Op::Add, &[l, r], &[])),
        (l, r) => l.or(r),
    }
}

/// `l − r`, either possibly zero.
pub(super) fn minus(b: &mut dyn Build, l: Option<ValueId>, r: Option<ValueId>) -> Option<ValueId> {
    match (l, r) {
        (Some(l), Some(r)) => Some(b.op(Op::Sub, &[l, r], &[])),
        (Some(l), None) => Some(l),
        (None, r) => r.map(|r| b.op(Op::Neg, &[r], &[])),
    }
}
