//! Each registry operation in mathematical notation: its value from its operands' terms, and
//! each operand's adjoint contribution from the result's adjoint ḡ, as the operation's
//! `formula` line states it (`ops::table`).
//!
//! An operation without a notation here is written `name(x)`, its contributions `(∂y/∂x)ᵀ[ḡ]`,
//! and the derivation cites its registry `formula` line beneath (`Derivation::rules`): it is
//! never guessed.

use super::term::*;
use crate::ops::Op;

/// The terms an operation is written with: its operands, its non-differentiated extras and
/// its result.
#[derive(Clone, Copy)]
pub struct Operands<'a> {
    pub inputs: &'a [Term],
    pub extras: &'a [Term],
    /// Whether a broadcast operation's second operand is a row (`Some(true)`), a column
    /// (`Some(false)`), or of a shape known only at run time.
    pub row: Option<bool>,
    /// In a `map` closure: the operands stand for a matrix's entries, one at a time.
    pub entrywise: bool,
    /// The matrix a solve's or log-determinant's factorisation operand factorises, where the
    /// builder sees it (`None`: the operation is cited).
    pub factored: Option<&'a Term>,
}

impl Operands<'_> {
    /// `a·b`, entry-wise (`a ⊙ b`) in a closure.
    fn times(&self, a: Term, b: Term) -> Term {
        if self.entrywise {
            had(a, b)
        } else {
            mul(a, b)
        }
    }

    /// `a/b`, entry-wise (`a ⊘ b`) in a closure.
    fn over(&self, a: Term, b: Term) -> Term {
        if self.entrywise {
            had_div(a, b)
        } else {
            frac(a, b)
        }
    }

    /// Whether the operation applies to floats (or entry by entry), not to a matrix.
    fn on_floats(&self) -> bool {
        self.entrywise || self.inputs.iter().all(Term::is_scalar)
    }
}

impl Operands<'_> {
    fn x(&self) -> Term {
        self.inputs[0].clone()
    }
    fn b(&self) -> Term {
        self.inputs[1].clone()
    }
    /// The matrix a factorisation operand stands for.
    fn factored(&self) -> Option<Term> {
        self.factored.cloned()
    }
    /// The extra `k` (a bound of `clamp`).
    fn extra(&self, k: usize) -> Option<Term> {
        self.extras.get(k).cloned()
    }
}

/// The value of `op` on `o`, or `None` where the notation does not know the operation.
pub fn value(op: Op, o: &Operands) -> Option<Term> {
    use Op::*;
    let x = || o.x();
    let b = || o.b();
    Some(match op {
        Add => add(x(), b()),
        Sub => sub(x(), b()),
        Neg => neg(x()),
        Mul | Scale => o.times(x(), b()),
        MulTn => mul(tr(x()), b()),
        MulNt => mul(x(), tr(b())),
        Div => o.over(x(), b()),
        Dot => apply(Func::Inner, vec![x(), b()]),
        ComponentMul | BroadcastMul => had(x(), b()),
        ComponentDiv | BroadcastDiv => had_div(x(), b()),
        BroadcastAdd | AddScalar => add(x(), b()),
        BroadcastSub => sub(x(), b()),
        Transpose => tr(x()),
        Sum => apply(Func::SumAll, vec![x()]),
        NormSquared => apply(Func::NormSquared, vec![x()]),
        Norm => apply(Func::Norm, vec![x()]),
        Trace => named("tr", x()),
        Determinant => named("det", x()),
        Inverse => pow(x(), -1, 1),
        RowSum => apply(Func::SumRows, vec![x()]),
        RowSumTr => tr(apply(Func::SumRows, vec![x()])),
        ColumnSum => apply(Func::SumColumns, vec![x()]),
        RowMean => frac(apply(Func::SumRows, vec![x()]), Term::Text("m".into())),
        RowMeanTr => tr(frac(
            apply(Func::SumRows, vec![x()]),
            Term::Text("m".into()),
        )),
        ColumnMean => frac(apply(Func::SumColumns, vec![x()]), Term::Text("n".into())),
        Mean => named("mean", x()),
        Sqrt => apply(Func::Sqrt, vec![x()]),
        Exp if o.on_floats() => named("exp", x()),
        // The matrix exponential.
        Exp => named("expm", x()),
        Ln => named("ln", x()),
        Sin => named("sin", x()),
        Cos => named("cos", x()),
        Sinh => named("sinh", x()),
        Cosh => named("cosh", x()),
        Tanh => named("tanh", x()),
        Atan => named("atan", x()),
        Recip => o.over(num(1.0), x()),
        Abs => apply(Func::Abs, vec![x()]),
        Powi => Term::Pow(Box::new(x()), int_exponent(o)?),
        Identity => x(),
        Diagonal | FromDiagonal => named("diag", x()),
        Ln1p => named("ln", add(num(1.0), x())),
        ExpM1 => sub(named("exp", x()), num(1.0)),
        Log2 => named("log₂", x()),
        Log10 => named("log₁₀", x()),
        Cbrt => apply(Func::Cbrt, vec![x()]),
        Powf => power(x(), b()),
        Hypot => apply(Func::Sqrt, vec![add(pow(x(), 2, 1), pow(b(), 2, 1))]),
        Max => named2("max", x(), b()),
        Min => named2("min", x(), b()),
        Clamp => apply(Func::Named("clamp"), vec![x(), o.extra(0)?, o.extra(1)?]),
        Variance => named("var", x()),
        Solve => mul(pow(o.factored()?, -1, 1), b()),
        LnDeterminant => named("ln", named("det", o.factored()?)),
        SolveLower | SolveUpper => mul(pow(triangle(op, x()), -1, 1), b()),
        TrSolveLower | TrSolveUpper => mul(tr(pow(triangle(op, x()), -1, 1)), b()),
        _ => return None,
    })
}

/// The exponent of `.powi(n)` when the source writes it as an integer literal.
fn int_exponent(o: &Operands) -> Option<(i32, i32)> {
    match o.extras.first()? {
        Term::Num(n) if n.fract() == 0.0 => Some((*n as i32, 1)),
        _ => None,
    }
}

fn named2(name: &'static str, a: Term, b: Term) -> Term {
    apply(Func::Named(name), vec![a, b])
}

/// The contribution of `op`'s operand `i` to that operand's adjoint, given the result's
/// adjoint `g` and the result `y`; `None` where the notation does not know the operation.
pub fn adjoint(op: Op, i: usize, g: &Term, o: &Operands, y: &Term) -> Option<Term> {
    use Op::*;
    let g = || g.clone();
    let y = || y.clone();
    let x = || o.x();
    let b = || o.b();
    // The other operand.
    let other = || o.inputs[1 - i].clone();
    Some(match (op, i) {
        (Add | Identity, _) | (Sub, 0) => g(),
        (Sub | Neg, _) => neg(g()),
        (Mul | Scale, 0) if o.entrywise => had(g(), b()),
        (Mul | Scale, _) if o.entrywise => had(x(), g()),
        // A product with a float factor: that factor's adjoint is ⟨ḡ, the other factor⟩.
        (Mul | Scale, _) if o.inputs[i].is_scalar() && !other().is_scalar() => {
            apply(Func::Inner, vec![g(), other()])
        }
        (Mul | Scale, 0) => mul(g(), tr(b())),
        (Mul | Scale, _) => mul(tr(x()), g()),
        // `aᵀ·b` and `a·bᵀ` as products of the transposed operand, a float factor included.
        (MulTn | MulNt, _) => {
            let tn = op == MulTn;
            let inputs = match tn {
                true => [tr(x()), b()],
                false => [x(), tr(b())],
            };
            let product = Operands {
                inputs: &inputs,
                ..*o
            };
            let c = adjoint(Mul, i, &g(), &product, &y())?;
            match (tn, i) {
                (true, 0) | (false, 1) => tr(c),
                _ => c,
            }
        }
        (Div, 0) => o.over(g(), b()),
        (Div, _) if o.entrywise => neg(had_div(had(g(), x()), pow(b(), 2, 1))),
        (Div, _) => neg(frac(inner(g(), x()), pow(b(), 2, 1))),
        (Dot, _) => mul(g(), other()),
        (ComponentMul, _) => had_same(g(), other()),
        (ComponentDiv, 0) => had_div(g(), b()),
        (ComponentDiv, _) => neg(had_div(had(g(), y()), b())),
        (BroadcastAdd | AddScalar, 0) | (BroadcastSub, 0) => g(),
        (BroadcastAdd, _) => broadcast_sum(o, g()),
        (BroadcastSub, _) => neg(broadcast_sum(o, g())),
        (AddScalar, _) => apply(Func::SumAll, vec![g()]),
        (BroadcastMul, 0) => had(g(), b()),
        (BroadcastMul, _) => broadcast_sum(o, had(g(), x())),
        (BroadcastDiv, 0) => had_div(g(), b()),
        (BroadcastDiv, _) => neg(broadcast_sum(o, had_div(had(g(), y()), b()))),
        (Transpose, _) => tr(g()),
        (Sum, _) => mul(g(), apply(Func::Ones, vec![x()])),
        (NormSquared, _) => scale(2.0, mul(g(), x())),
        (Norm, _) => frac(mul(g(), x()), y()),
        (Trace, _) => mul(g(), apply(Func::Identity, vec![x()])),
        (Determinant, _) => mul(mul(g(), y()), tr(pow(x(), -1, 1))),
        (Inverse, _) => neg(prod(vec![tr(y()), g(), tr(y())])),
        (RowSum | ColumnSum, _) => g(),
        (RowSumTr, _) => tr(g()),
        (RowMean | RowMeanTr, _) => frac(
            if op == RowMeanTr { tr(g()) } else { g() },
            Term::Text("m".into()),
        ),
        (ColumnMean, _) => frac(g(), Term::Text("n".into())),
        (Sqrt, _) => o.over(g(), scale(2.0, y())),
        (Exp, _) if o.on_floats() => had_same(g(), y()),
        (Ln, _) => o.over(g(), x()),
        (Sin, _) => o.times(g(), named("cos", x())),
        (Cos, _) => neg(o.times(g(), named("sin", x()))),
        (Sinh, _) => o.times(g(), named("cosh", x())),
        (Cosh, _) => o.times(g(), named("sinh", x())),
        (Tanh, _) => had_same(g(), sub(num(1.0), had(y(), y()))),
        (Atan, _) => o.over(g(), add(num(1.0), pow(x(), 2, 1))),
        (Abs, _) => had_same(g(), named("sign", x())),
        (Mean, _) => frac(
            mul(g(), apply(Func::Ones, vec![x()])),
            Term::Text("mn".into()),
        ),
        (Recip, _) => neg(o.times(g(), pow(y(), 2, 1))),
        (Diagonal | FromDiagonal, _) => named("diag", g()),
        (Ln1p, _) => o.over(g(), add(num(1.0), x())),
        (ExpM1, _) => o.times(g(), named("exp", x())),
        (Powi, _) => {
            let (n, _) = int_exponent(o)?;
            scale(f64::from(n), o.times(g(), pow(x(), n - 1, 1)))
        }
        (Log2 | Log10, _) => {
            let base = num(if op == Log2 { 2.0 } else { 10.0 });
            o.over(g(), mul(named("ln", base), x()))
        }
        (Cbrt, _) => o.over(g(), scale(3.0, pow(y(), 2, 1))),
        (Powf, 0) => o.times(g(), o.times(b(), power(x(), sub(b(), num(1.0))))),
        (Powf, _) => o.times(g(), o.times(y(), named("ln", x()))),
        (Hypot, _) => o.over(o.times(g(), o.inputs[i].clone()), y()),
        // ḡ where this operand is the larger (`max`) or smaller (`min`), ḡ/2 at a tie.
        (Max, _) => o.times(g(), step(sub(o.inputs[i].clone(), other()))),
        (Min, _) => o.times(g(), step(sub(other(), o.inputs[i].clone()))),
        (Clamp, _) => o.times(
            g(),
            o.times(step(sub(x(), o.extra(0)?)), step(sub(o.extra(1)?, x()))),
        ),
        (Variance, _) => frac(
            scale(2.0, mul(g(), sub(x(), mul(named("mean", x()), ones(x()))))),
            Term::Text("mn".into()),
        ),
        // The factorisation's adjoint is its matrix's (`Cholesky`, `Lu`, …, below).
        (Solve, 0) => neg(prod(vec![tr(pow(o.factored()?, -1, 1)), g(), tr(y())])),
        (Solve, _) => mul(tr(pow(o.factored()?, -1, 1)), g()),
        (LnDeterminant, _) => mul(g(), pow(o.factored()?, -1, 1)),
        // `cholesky()` reads one triangle of a matrix taken as symmetric: its adjoint is
        // symmetrised.
        (Cholesky, _) => scale(0.5, add(g(), tr(g()))),
        (Lu | Qr | ColPivQr, _) => g(),
        (SolveLower | SolveUpper, 0) => {
            let t = tr(pow(triangle(op, x()), -1, 1));
            neg(triangle(op, mul(mul(t, g()), tr(y()))))
        }
        (TrSolveLower | TrSolveUpper, 0) => {
            let t = pow(triangle(op, x()), -1, 1);
            neg(triangle(op, mul(y(), tr(mul(t, g())))))
        }
        (SolveLower | SolveUpper, _) => mul(tr(pow(triangle(op, x()), -1, 1)), g()),
        (TrSolveLower | TrSolveUpper, _) => mul(pow(triangle(op, x()), -1, 1), g()),
        _ => return None,
    })
}

/// The triangle a triangular solve reads: `tril(t)` or `triu(t)`.
fn triangle(op: Op, t: Term) -> Term {
    match op {
        Op::SolveLower | Op::TrSolveLower => named("tril", t),
        _ => named("triu", t),
    }
}

/// `H(x)`, the step with `H(0) = ½`.
fn step(x: Term) -> Term {
    apply(Func::Step, vec![x])
}

/// `𝟙` of `x`'s shape.
fn ones(x: Term) -> Term {
    apply(Func::Ones, vec![x])
}

/// `⟨a, b⟩`, the product where both are floats.
fn inner(a: Term, b: Term) -> Term {
    if a.is_scalar() && b.is_scalar() {
        mul(a, b)
    } else {
        apply(Func::Inner, vec![a, b])
    }
}

/// A broadcast operand's adjoint: `g` summed over the rows (a row operand) or columns.
fn broadcast_sum(o: &Operands, g: Term) -> Term {
    let f = match o.row {
        Some(true) => Func::SumRows,
        Some(false) => Func::SumColumns,
        None => Func::SumBroadcast,
    };
    apply(f, vec![g])
}
