//! The tangent rules of the linear-algebra operations: factorisations' readings, solves,
//! determinants, inverses and the exponential (the spectral ones in `tangent_spectral`).
//!
//! A factorisation's tangent is its matrix's (symmetric for `cholesky()`), so a rule reads
//! `ċ` as a matrix and the factorisation itself through registry operations (`Solve`,
//! `LuU`, `QrR`, ...). Where a rule needs an operation no user writes (a triangle, Φ, the
//! Fréchet derivative of the exponential, a column permutation), it builds an internal one
//! (`Op::is_internal`) whose pullbacks make the rule differentiable again.

use super::tangent::{minus, Build, Missing, Site};
use super::Op;
use crate::ir::ValueId;

/// ẏ for the linear-algebra operation `op` at `s`; `None` when every tangent it reads is
/// zero.
pub fn tangent(op: Op, b: &mut dyn Build, s: &Site) -> Result<Option<ValueId>, Missing> {
    use Op::*;
    let (x, dx) = (s.inputs[0], s.dots[0]);
    Ok(match op {
        // ẋ·eˣ of a float, L(A, Ȧ) of a matrix: one kernel dispatched by type.
        Exp => dx.map(|d| b.op(ExpTangent, &[x, d], &[])),
        Determinant => dx.map(|d| determinant(b, s, d)),
        // ẏ = −y·Ẋ·y.
        Inverse => dx.map(|d| {
            let yd = b.op(Mul, &[s.result, d], &[]);
            let ydy = b.op(Mul, &[yd, s.result], &[]);
            b.op(Neg, &[ydy], &[])
        }),
        // ẏ = tr(c⁻¹·ċ).
        LnDeterminant => dx.map(|d| trace_of_solve(b, x, d)),
        // ẏ = c⁻¹·(ḃ − ċ·y).
        Solve => {
            let r = dx.map(|d| b.op(Mul, &[d, s.result], &[]));
            minus(b, s.dots[1], r).map(|n| b.op(Solve, &[x, n], &[]))
        }
        SolveLower | SolveUpper | TrSolveLower | TrSolveUpper => triangular_solve(op, b, s),
        LowerFactor => match (b.producer(x), dx) {
            (_, None) => None,
            (Some(Cholesky), Some(d)) => Some(cholesky_factor(b, s.result, d)),
            (Some(Lu), Some(d)) => {
                let u = b.op(LuU, &[x], &[]);
                let f = lu_mixed(b, x, u, d);
                let lower = b.op(StrictlyLower, &[f], &[]);
                Some(b.op(Mul, &[s.result, lower], &[]))
            }
            // The factorisation is not known here (a copy, a value carried by a loop).
            _ => return Err(Missing),
        },
        // U̇ = triu(F)·U.
        LuU => dx.map(|d| {
            let f = lu_mixed(b, x, s.result, d);
            let upper = b.op(UpperTriangle, &[f], &[]);
            b.op(Mul, &[upper, s.result], &[])
        }),
        QrQ | QrR => dx.map(|d| qr_factor(op, b, s, d)),
        _ => return super::tangent_spectral::tangent(op, b, s),
    })
}

/// ẏ = y·tr(X⁻¹·Ẋ): by a solve with a factorisation, by the inverse of a plain matrix (or of
/// a value whose factorisation the rule cannot see: the inverse reads both).
fn determinant(b: &mut dyn Build, s: &Site, d: ValueId) -> ValueId {
    let x = s.inputs[0];
    let t = match b.producer(x) {
        Some(Op::Cholesky | Op::Lu | Op::Qr | Op::ColPivQr) => trace_of_solve(b, x, d),
        _ => {
            let inv = b.op(Op::Inverse, &[x], &[]);
            let p = b.op(Op::Mul, &[inv, d], &[]);
            b.op(Op::Trace, &[p], &[])
        }
    };
    b.op(Op::Mul, &[s.result, t], &[])
}

/// tr(c⁻¹·ċ) for a factorisation `c`.
fn trace_of_solve(b: &mut dyn Build, c: ValueId, d: ValueId) -> ValueId {
    let solved = b.op(Op::Solve, &[c, d], &[]);
    b.op(Op::Trace, &[solved], &[])
}

/// ẏ = op(T)⁻¹·(ḃ − op(mask(Ṫ))·y) for y = op(T)⁻¹·b, `mask` the triangle the solve reads,
/// `op` the transpose for the `tr_` forms.
fn triangular_solve(op: Op, b: &mut dyn Build, s: &Site) -> Option<ValueId> {
    let (mask, product) = match op {
        Op::SolveLower => (Op::LowerTriangle, Op::Mul),
        Op::SolveUpper => (Op::UpperTriangle, Op::Mul),
        Op::TrSolveLower => (Op::LowerTriangle, Op::MulTn),
        _ => (Op::UpperTriangle, Op::MulTn),
    };
    let r = s.dots[0].map(|d| {
        let m = b.op(mask, &[d], &[]);
        b.op(product, &[m, s.result], &[])
    });
    minus(b, s.dots[1], r).map(|n| b.op(op, &[s.inputs[0], n], &[]))
}

/// L̇ = L·Φ(L⁻¹·Ċ·L⁻ᵀ) for C = L·Lᵀ, Φ the lower triangle with its diagonal halved (Ċ is
/// symmetric, so L⁻¹·(L⁻¹·Ċ)ᵀ is L⁻¹·Ċ·L⁻ᵀ).
fn cholesky_factor(b: &mut dyn Build, l: ValueId, d: ValueId) -> ValueId {
    let left = b.op(Op::SolveLower, &[l, d], &[]);
    let left_t = b.op(Op::Transpose, &[left], &[]);
    let m = b.op(Op::SolveLower, &[l, left_t], &[]);
    let phi = b.op(Op::LowerHalved, &[m], &[]);
    b.op(Op::Mul, &[l, phi], &[])
}

/// F = L⁻¹·P·Ȧ·U⁻¹ for P·A = L·U, as U·(A⁻¹·Ȧ)·U⁻¹ (P·A·A⁻¹ = L·U·A⁻¹): then
/// L̇ = L·tril₋₁(F) and U̇ = triu(F)·U (JAX's `lu` JVP).
fn lu_mixed(b: &mut dyn Build, c: ValueId, u: ValueId, d: ValueId) -> ValueId {
    let solved = b.op(Op::Solve, &[c, d], &[]);
    let w = b.op(Op::Mul, &[u, solved], &[]);
    right_solve_upper(b, w, u)
}

/// W·U⁻¹ = (U⁻ᵀ·Wᵀ)ᵀ for an upper-triangular U.
fn right_solve_upper(b: &mut dyn Build, w: ValueId, u: ValueId) -> ValueId {
    let wt = b.op(Op::Transpose, &[w], &[]);
    let z = b.op(Op::TrSolveUpper, &[u, wt], &[]);
    b.op(Op::Transpose, &[z], &[])
}

/// Q̇ or Ṙ of A·P = Q·R (thin, Q m×k, R k×n): with Ḃ = Ȧ·P, R₁ and Ḃ₁ the first k columns
/// of R and Ḃ, X = Ḃ₁·R₁⁻¹, C = Qᵀ·X and Ω = tril₋₁(C) − tril₋₁(C)ᵀ,
/// Q̇ = Q·(Ω − C) + X and Ṙ = Qᵀ·Ḃ − Ω·R (JAX's `qr` JVP, the wide case's R₂ included).
fn qr_factor(op: Op, b: &mut dyn Build, s: &Site, d: ValueId) -> ValueId {
    let f = s.inputs[0];
    let (q, r) = if op == Op::QrQ {
        (s.result, b.op(Op::QrR, &[f], &[]))
    } else {
        (b.op(Op::QrQ, &[f], &[]), s.result)
    };
    let bdot = match b.producer(f) {
        Some(Op::Qr) => d,
        _ => b.op(Op::PermuteColumns, &[f, d], &[]),
    };
    let r1 = b.op(Op::LeadingColumns, &[r], &[]);
    let b1 = b.op(Op::LeadingColumns, &[bdot], &[]);
    let x = right_solve_upper(b, b1, r1);
    let c = b.op(Op::MulTn, &[q, x], &[]);
    let lower = b.op(Op::StrictlyLower, &[c], &[]);
    let upper = b.op(Op::Transpose, &[lower], &[]);
    let omega = b.op(Op::Sub, &[lower, upper], &[]);
    if op == Op::QrQ {
        let inner = b.op(Op::Sub, &[omega, c], &[]);
        let qi = b.op(Op::Mul, &[q, inner], &[]);
        b.op(Op::Add, &[qi, x], &[])
    } else {
        let qtb = b.op(Op::MulTn, &[q, bdot], &[]);
        let or = b.op(Op::Mul, &[omega, r], &[]);
        b.op(Op::Sub, &[qtb, or], &[])
    }
}
