//! The registry's internal operations (`Op::is_internal`): no syntax, built by the tangent
//! rules of the linear algebra; `ops::table` lists them with the others.

use super::super::spec::{matrix_fn, Domain, OpSpec};

pub(super) const EXP_TANGENT: OpSpec = OpSpec {
    domain: Domain::Any,
    ..internal("exp_tangent", 2,
        "x̄ += ḡ·ẋ·eˣ, ẋ̄ += ḡ·eˣ; of a matrix Ā += N₁₁ + N₂₂ with N = L(Mᵀ, [[0, Ḡ], [0, 0]]), M = [[A, Ȧ], [0, A]], and Ǡ += L(Aᵀ, Ḡ)",
        "with u the direction operand (ẋ in the pullback): ẏ = (u̇ + u·ẋ)·eˣ; of a matrix L(A, U̇) + the upper right block of \
         L(M, [[Ȧ, 0], [0, Ȧ]]), M = [[A, U], [0, A]]",
        "the tangent of `.exp()`: ẋ·eˣ of a float, L(A, Ȧ) (the upper right block of exp([[A, Ȧ], [0, A]])) of a square matrix")
};

pub(super) const LOWER_TRIANGLE: OpSpec = internal(
    "lower_triangle",
    1,
    "x̄ += tril(ḡ)",
    "ẏ = tril(ẋ)",
    "tril(x), the lower triangle with the diagonal",
);

pub(super) const UPPER_TRIANGLE: OpSpec = internal(
    "upper_triangle",
    1,
    "x̄ += triu(ḡ)",
    "ẏ = triu(ẋ)",
    "triu(x), the upper triangle with the diagonal",
);

pub(super) const STRICTLY_LOWER: OpSpec = internal(
    "strictly_lower",
    1,
    "x̄ += tril₋₁(ḡ)",
    "ẏ = tril₋₁(ẋ)",
    "tril₋₁(x), the lower triangle below the diagonal",
);

pub(super) const LOWER_HALVED: OpSpec = internal(
    "lower_halved",
    1,
    "x̄ += Φ(ḡ)",
    "ẏ = Φ(ẋ)",
    "Φ(x), the lower triangle with its diagonal halved (L̇ = L·Φ(L⁻¹·Ȧ·L⁻ᵀ))",
);

pub(super) const LEADING_COLUMNS: OpSpec = internal(
    "leading_columns",
    1,
    "x̄ += [ḡ | 0]",
    "ẏ = the first min(m, n) columns of ẋ",
    "the first min(m, n) columns of an m×n matrix (the leading square block of a wide one)",
);

pub(super) const PERMUTE_COLUMNS: OpSpec = internal(
    "qr_permute",
    2,
    "x̄ += ḡ·Pᵀ (P locally constant: no cotangent of the factorisation)",
    "ẏ = ẋ·P (P locally constant: the factorisation's tangent adds nothing)",
    "x·P for the factorisation a·P = Q·R of a `col_piv_qr()` (x itself for a `qr()`)",
);

pub(super) const EIGEN_COUPLING: OpSpec = internal("eigen_coupling", 2, "λ̄ⱼ −= Σᵢ ḡᵢⱼ·mᵢⱼ·Fᵢⱼ², λ̄ᵢ += Σⱼ ḡᵢⱼ·mᵢⱼ·Fᵢⱼ², m̄ += ḡ ∘ F",
    "ẏ = F ∘ ṁ + Ḟ ∘ m, Ḟᵢⱼ = −Fᵢⱼ²·(λ̇ⱼ − λ̇ᵢ) (0 where Fᵢⱼ is)",
    "F ∘ m with Fᵢⱼ = 1/(λⱼ − λᵢ), 0 on the diagonal and between tied eigenvalues (differentiable in λ)");

pub(super) const SVD_COUPLING: OpSpec = internal("svd_coupling", 2, "s̄ⱼ −= Σᵢ ḡᵢⱼ·mᵢⱼ·2sⱼ·Fᵢⱼ², s̄ᵢ += Σⱼ ḡᵢⱼ·mᵢⱼ·2sᵢ·Fᵢⱼ², m̄ += ḡ ∘ F",
    "ẏ = F ∘ ṁ + Ḟ ∘ m, Ḟᵢⱼ = −2Fᵢⱼ²·(sⱼ·ṡⱼ − sᵢ·ṡᵢ) (0 where Fᵢⱼ is)",
    "F ∘ m with Fᵢⱼ = 1/(sⱼ² − sᵢ²), 0 on the diagonal and between tied singular values (differentiable in s)");

pub(super) const SVD_U_KEPT: OpSpec = internal(
    "svd_u_kept",
    1,
    "ē += U·((F ∘ (UᵀŪ − ŪᵀU))·S)·Vᵀ + (I − UUᵀ)·Ū·S⁻¹·Vᵀ (as `.u.unwrap()`)",
    "as `.u.unwrap()`'s: U̇ = U·(F ∘ (dS·S + S·dSᵀ)) + (I − UUᵀ)·ė·V·S⁻¹",
    "U of an `svd(..)`, whatever its `compute_u`",
);

pub(super) const SVD_VT_KEPT: OpSpec = internal(
    "svd_v_t_kept",
    1,
    "ē += U·(S·(F ∘ (VᵀV̄ − V̄ᵀV)))·Vᵀ + U·S⁻¹·V̄ᵀ·(I − VVᵀ) (as `.v_t.unwrap()`)",
    "as `.v_t.unwrap()`'s: V̇ᵀ = (V·(F ∘ (S·dS + dSᵀ·S)) + (I − VVᵀ)·ėᵀ·U·S⁻¹)ᵀ",
    "Vᵀ of an `svd(..)`, whatever its `compute_v`",
);

pub(super) const PSEUDO_RECIP: OpSpec = internal(
    "pseudo_recip",
    1,
    "s̄ −= ḡ ∘ y² with y = 1/s",
    "ẏ = −ṡ ∘ y² (0 where y is)",
    "1/sᵢ entry-wise, 0 where |sᵢ| ≤ √ε·max|s|",
);

pub(super) const RECIP_OR_ZERO: OpSpec = OpSpec {
    domain: Domain::Any,
    ..internal("recip_or_zero", 1, "x̄ −= ḡ ∘ y² with y = 1/x (0 at x = 0)", "ẏ = −ẋ ∘ y² with y = 1/x (0 at x = 0)",
        "1/x entry-wise, 0 where x = 0: the factor of the tangents of ‖x‖ and hypot, 0 at 0 as their pullbacks")
};

pub(super) const XLOGY: OpSpec = OpSpec {
    domain: Domain::Any,
    ..internal(
        "xlogy",
        2,
        "ȳ += ḡ·ln a, ā += ḡ·y/a (both 0 where y = 0)",
        "ż = ẏ·ln a + ȧ·y/a for z = y·ln a (0 where y = 0)",
        "y·ln a entry-wise, 0 where y = 0: the tangent of aᵇ along b, 0 at a = 0 as in JAX",
    )
};

/// An internal operation (no syntax) of `operands` matrix operands, its kernel run even on
/// constants (there is no user expression to run instead).
const fn internal(
    kernel: &'static str,
    operands: usize,
    formula: &'static str,
    tangent: &'static str,
    doc: &'static str,
) -> OpSpec {
    OpSpec {
        operands,
        kernel_when_constant: true,
        ..matrix_fn(&[], kernel, formula, tangent, doc)
    }
}
