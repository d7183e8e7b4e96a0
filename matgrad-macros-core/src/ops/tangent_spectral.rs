//! The tangent rules of the spectral operations: the symmetric eigendecomposition's and the
//! singular value decomposition's readings, and the eigenvalues and singular values alone.
//!
//! The vectors' tangents couple each pair by the inverse gap of their values (an internal
//! operation, `EigenCoupling` or `SvdCoupling`, differentiable in the values too), leaving
//! tied pairs uncoupled as the pullbacks do (`matgrad-runtime/src/spectral.rs`, `svd.rs`).

use super::tangent::{Build, Missing, Site};
use super::Op;
use crate::ir::ValueId;

/// ẏ for the spectral operation `op` at `s`; `None` when its operand's tangent is zero.
pub fn tangent(op: Op, b: &mut dyn Build, s: &Site) -> Result<Option<ValueId>, Missing> {
    use Op::*;
    let (x, y) = (s.inputs[0], s.result);
    let Some(d) = s.dots[0] else {
        return Ok(None);
    };
    Ok(Some(match op {
        // λ̇ = diag(Vᵀ·Ė·V).
        Eigenvalues => {
            let v = b.op(Eigenvectors, &[x], &[]);
            let m = congruence(b, v, d);
            b.op(Diagonal, &[m], &[])
        }
        // V̇ = V·(F ∘ Vᵀ·Ė·V), Fᵢⱼ = 1/(λⱼ − λᵢ).
        Eigenvectors => {
            let lambda = b.op(Eigenvalues, &[x], &[]);
            let m = congruence(b, y, d);
            let c = b.op(EigenCoupling, &[lambda, m], &[]);
            b.op(Mul, &[y, c], &[])
        }
        // λ̇ = diag(Vᵀ·Ẋ·V), V of the decomposition built here (Ẋ's antisymmetric part
        // adds nothing to the diagonal).
        SymmetricEigenvalues => {
            let e = b.op(SymmetricEigen, &[x], &[]);
            let v = b.op(Eigenvectors, &[e], &[]);
            let m = congruence(b, v, d);
            b.op(Diagonal, &[m], &[])
        }
        SvdSingularValues => singular_values(b, x, d),
        // The decomposition built here, with both U and Vᵀ.
        SingularValues => {
            let both = b.piecewise("svd_computes_vectors", &[x]);
            let e = b.op(Svd, &[x], &[both, both]);
            singular_values(b, e, d)
        }
        SvdU => {
            let (sv, vt) = (
                b.op(SvdSingularValues, &[x], &[]),
                b.op(SvdVtKept, &[x], &[]),
            );
            svd_u(b, Parts { u: y, s: sv, vt }, d)
        }
        SvdVt => {
            let (sv, u) = (
                b.op(SvdSingularValues, &[x], &[]),
                b.op(SvdUKept, &[x], &[]),
            );
            svd_vt(b, Parts { u, s: sv, vt: y }, d)
        }
        _ => return Err(Missing),
    }))
}

/// Vᵀ·Ė·V.
fn congruence(b: &mut dyn Build, v: ValueId, d: ValueId) -> ValueId {
    let dv = b.op(Op::Mul, &[d, v], &[]);
    b.op(Op::MulTn, &[v, dv], &[])
}

/// ṡ = diag(Uᵀ·Ė·V) for the decomposition `e` (U and Vᵀ whether or not it was asked for them).
fn singular_values(b: &mut dyn Build, e: ValueId, d: ValueId) -> ValueId {
    let u = b.op(Op::SvdUKept, &[e], &[]);
    let vt = b.op(Op::SvdVtKept, &[e], &[]);
    let utd = b.op(Op::MulTn, &[u, d], &[]);
    let m = b.op(Op::MulNt, &[utd, vt], &[]);
    b.op(Op::Diagonal, &[m], &[])
}

/// A decomposition's parts: U (m×k), s (k) and Vᵀ (k×n).
struct Parts {
    u: ValueId,
    s: ValueId,
    vt: ValueId,
}

/// U̇ = U·(F ∘ (dS·S + S·dSᵀ)) + (I − U·Uᵀ)·Ė·V·S⁻¹ with dS = Uᵀ·Ė·V and
/// Fᵢⱼ = 1/(sⱼ² − sᵢ²) (JAX's `svd` JVP; the second term vanishes for m ≤ n).
fn svd_u(b: &mut dyn Build, p: Parts, d: ValueId) -> ValueId {
    let ev = b.op(Op::MulNt, &[d, p.vt], &[]);
    let ds = b.op(Op::MulTn, &[p.u, ev], &[]);
    let sd = b.op(Op::FromDiagonal, &[p.s], &[]);
    let dss = b.op(Op::Mul, &[ds, sd], &[]);
    let coupled = coupling(b, p.s, dss);
    let inner = b.op(Op::Mul, &[p.u, coupled], &[]);
    // (I − U·Uᵀ)·Ė·V = Ė·V − U·dS.
    let uds = b.op(Op::Mul, &[p.u, ds], &[]);
    let outer = b.op(Op::Sub, &[ev, uds], &[]);
    let scaled = times_inverse(b, outer, p.s);
    b.op(Op::Add, &[inner, scaled], &[])
}

/// V̇ᵀ for V̇ = V·(F ∘ (S·dS + dSᵀ·S)) + (I − V·Vᵀ)·Ėᵀ·U·S⁻¹ (the second term vanishes for
/// n ≤ m).
fn svd_vt(b: &mut dyn Build, p: Parts, d: ValueId) -> ValueId {
    let etu = b.op(Op::MulTn, &[d, p.u], &[]);
    // dSᵀ = Vᵀ·Ėᵀ·U.
    let ds_t = b.op(Op::Mul, &[p.vt, etu], &[]);
    let sd = b.op(Op::FromDiagonal, &[p.s], &[]);
    let dst_s = b.op(Op::Mul, &[ds_t, sd], &[]);
    let coupled = coupling(b, p.s, dst_s);
    // (V·G)ᵀ = Gᵀ·Vᵀ.
    let inner_t = b.op(Op::MulTn, &[coupled, p.vt], &[]);
    // (I − V·Vᵀ)·Ėᵀ·U = Ėᵀ·U − V·dSᵀ.
    let vds = b.op(Op::MulTn, &[p.vt, ds_t], &[]);
    let outer = b.op(Op::Sub, &[etu, vds], &[]);
    let scaled = times_inverse(b, outer, p.s);
    let scaled_t = b.op(Op::Transpose, &[scaled], &[]);
    b.op(Op::Add, &[inner_t, scaled_t], &[])
}

/// F ∘ (P + Pᵀ), Fᵢⱼ = 1/(sⱼ² − sᵢ²).
fn coupling(b: &mut dyn Build, s: ValueId, p: ValueId) -> ValueId {
    let pt = b.op(Op::Transpose, &[p], &[]);
    let m = b.op(Op::Add, &[p, pt], &[]);
    b.op(Op::SvdCoupling, &[s, m], &[])
}

/// M·S⁻¹, 1/sᵢ zero at a singular value zero to rounding (as the pullbacks take it).
fn times_inverse(b: &mut dyn Build, m: ValueId, s: ValueId) -> ValueId {
    let inv = b.op(Op::PseudoRecip, &[s], &[]);
    let d = b.op(Op::FromDiagonal, &[inv], &[]);
    b.op(Op::Mul, &[m, d], &[])
}
