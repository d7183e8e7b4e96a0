//! The registry's entries of the factorisations and what is read from them (Cholesky, LU,
//! QR, symmetric eigen, SVD: their factors, solves and determinants) and of the triangular
//! solves; `ops::table` lists them with the others.

use super::super::spec::{
    matrix_fn, method, method1, triangular_solve, unwrapped, Domain, Extra, OpSpec, Syntax,
};

pub(super) const CHOLESKY: OpSpec = OpSpec {
    kernel_when_constant: true,
    ..matrix_fn(
        &[unwrapped("cholesky", 0)],
        "cholesky",
        "x̄ += c̄: a factorisation's cotangent is its matrix's, symmetric for `cholesky()`",
        "ċ = (ẋ + ẋᵀ)/2: a factorisation's tangent is its matrix's, symmetrised",
        "x = L·Lᵀ for a symmetric positive-definite x (panics on another, as the `unwrap` would); \
         the gradient of a function of a symmetric matrix is symmetric",
    )
};

pub(super) const LU: OpSpec = OpSpec {
    kernel_when_constant: true,
    constant_methods: &["p"],
    ..matrix_fn(&[method("lu")], "lu", "x̄ += c̄: a factorisation's cotangent is its matrix's",
        "ċ = ẋ: a factorisation's tangent is its matrix's",
        "P·x = L·U, the LU factorisation with partial pivoting, of a square x; its permutation `.p()` is a constant")
};

pub(super) const LOWER_FACTOR: OpSpec = OpSpec {
    label: "l",
    ..matrix_fn(&[method("l")], "lower_factor",
        "of `cholesky()`: c̄ += L⁻ᵀ·½(Φ + Φᵀ)·L⁻¹ with Φ = Lᵀ·L̄'s lower triangle, its diagonal halved (Murray 2016, eq. 10); \
         of `lu()`: c̄ += Pᵀ·L⁻ᵀ·tril₋₁(Lᵀ·L̄)·U⁻ᵀ (JAX's `lu` JVP, transposed)",
        "of `cholesky()`: L̇ = L·Φ(L⁻¹·ċ·L⁻ᵀ), Φ the lower triangle with its diagonal halved; \
         of `lu()`: L̇ = L·tril₋₁(F), F = U·(c⁻¹·ċ)·U⁻¹ = L⁻¹·P·ċ·U⁻¹ (JAX's `lu` JVP); \
         not supported where the rule cannot see which factorisation `.l()` reads (a copy, a loop's value)",
        "the lower-triangular factor L of a `cholesky()`, or the unit lower-triangular L of an `lu()`")
};

pub(super) const LU_U: OpSpec = matrix_fn(
    &[method("u")],
    "lu_u",
    "c̄ += Pᵀ·L⁻ᵀ·triu(Ū·Uᵀ)·U⁻ᵀ (panics at a singular U)",
    "U̇ = triu(F)·U, F = U·(c⁻¹·ċ)·U⁻¹ as for `.l()`",
    "the upper-triangular factor U of an `lu()`",
);

pub(super) const SOLVE: OpSpec = OpSpec {
    syntax: &[method1("solve"), unwrapped("solve", 1)],
    operands: 2,
    reads_result: true,
    joint_pullback: true,
    kernel: "solve",
    label: "solve",
    formula: "b̄ += c⁻ᵀ·ḡ, c̄ −= (c⁻ᵀ·ḡ)·yᵀ (symmetrised for `cholesky()`), the factors reused",
    tangent: "ẏ = c⁻¹·(ḃ − ċ·y), a solve with the factorisation",
    doc: "y = c⁻¹·b for a `cholesky()`, `lu()`, `qr()` or `col_piv_qr()` factorisation c (all but `cholesky()`'s panic on a singular matrix)",
    domain: Domain::Matrix,
    ..OpSpec::DEFAULT
};

pub(super) const LN_DETERMINANT: OpSpec = matrix_fn(
    &[method("ln_determinant")],
    "ln_determinant",
    "c̄ += ḡ·c⁻¹",
    "ẏ = tr(c⁻¹·ċ), a solve with the factorisation",
    "ln |c| of a `cholesky()` factorisation",
);

pub(super) const SYMMETRIC_EIGEN: OpSpec = OpSpec {
    kernel_when_constant: true,
    ..matrix_fn(&[method("symmetric_eigen")], "symmetric_eigen",
        "x̄ += ē: the decomposition's cotangent is its matrix's, symmetric",
        "ė = (ẋ + ẋᵀ)/2: the decomposition's tangent is its matrix's, symmetrised",
        "x = V·Λ·Vᵀ for a symmetric x (panics on another); read by `.eigenvalues` and `.eigenvectors`")
};

pub(super) const EIGENVALUES: OpSpec = OpSpec {
    kernel_when_constant: true,
    ..matrix_fn(
        &[Syntax::Field {
            name: "eigenvalues",
        }],
        "eigenvalues",
        "ē += V·diag(λ̄)·Vᵀ",
        "λ̇ = diag(Vᵀ·ė·V)",
        "the eigenvalues λ of a `symmetric_eigen()`, as a vector",
    )
};

pub(super) const EIGENVECTORS: OpSpec = OpSpec {
    kernel_when_constant: true,
    ..matrix_fn(&[Syntax::Field { name: "eigenvectors" }], "eigenvectors",
        "ē += V·(F ∘ Vᵀ·V̄)·Vᵀ, Fᵢⱼ = 1/(λⱼ − λᵢ), 0 on the diagonal and between equal eigenvalues (symmetrised)",
        "V̇ = V·(F ∘ Vᵀ·ė·V), Fᵢⱼ = 1/(λⱼ − λᵢ), 0 on the diagonal and where |λⱼ − λᵢ| ≤ √ε·max|λ| (as the pullback)",
        "the eigenvectors V of a `symmetric_eigen()`, one per column")
};

pub(super) const SYMMETRIC_EIGENVALUES: OpSpec = matrix_fn(
    &[method("symmetric_eigenvalues")],
    "symmetric_eigenvalues",
    "x̄ += V·diag(λ̄)·Vᵀ (V computed in the pullback)",
    "λ̇ = diag(Vᵀ·ẋ·V) (V of a `symmetric_eigen()` computed in the tangent)",
    "the eigenvalues of a symmetric x (panics on another)",
);

pub(super) const QR: OpSpec = OpSpec {
    kernel_when_constant: true,
    ..matrix_fn(&[method("qr")], "qr", "x̄ += f̄: a factorisation's cotangent is its matrix's",
        "ḟ = ẋ: a factorisation's tangent is its matrix's",
        "x = Q·R, Householder, thin; read by `.q()`, `.r()`, and for a square x `.solve(&b).unwrap()`, `.try_inverse().unwrap()`")
};

pub(super) const COL_PIV_QR: OpSpec = OpSpec {
    kernel_when_constant: true,
    constant_methods: &["p"],
    ..matrix_fn(&[method("col_piv_qr")], "col_piv_qr", "x̄ += f̄: a factorisation's cotangent is its matrix's",
        "ḟ = ẋ: a factorisation's tangent is its matrix's",
        "x·P = Q·R, Householder with column pivoting, thin; read as `qr()` is, and `.determinant()`; its permutation `.p()` is a constant")
};

pub(super) const QR_Q: OpSpec = matrix_fn(&[method("q")], "qr_q",
    "f̄ += (Q̄ − Q·copyltu(Q̄ᵀ·Q))·R⁻ᵀ·Pᵀ (Walter & Lehmann 2018; wide x = [X | Y]: of X with Q̄ + Y·R̄₂ᵀ, Ȳ = Q·R̄₂, as JAX)",
    "Q̇ = Q·(Ω − C) + X with Ḃ = ḟ·P (ḟ of a `qr()`), X = Ḃ₁·R₁⁻¹ (Ḃ₁, R₁ the first k columns), C = Qᵀ·X, \
         Ω = tril₋₁(C) − tril₋₁(C)ᵀ (JAX's `qr` JVP)",
    "the m×k factor Q of a `qr()` or `col_piv_qr()`, orthonormal columns");

pub(super) const QR_R: OpSpec = matrix_fn(
    &[method("r")],
    "qr_r",
    "f̄ += Q·copyltu(R·R̄ᵀ)·R⁻ᵀ·Pᵀ (wide x: of its first m columns, R̄₂ as for `.q()`)",
    "Ṙ = Qᵀ·Ḃ − Ω·R, Ḃ and Ω as for `.q()` (all n columns of a wide x)",
    "the k×n upper-triangular factor R of a `qr()` or `col_piv_qr()`",
);

pub(super) const SVD: OpSpec = OpSpec {
    syntax: &[Syntax::Method { name: "svd", args: 2 }],
    extras: &[Extra { arg: "true", what: "`compute_u` of `.svd(compute_u, compute_v)`" },
        Extra { arg: "true", what: "`compute_v` of `.svd(compute_u, compute_v)`" }],
    kernel_when_constant: true,
    ..matrix_fn(&[], "svd", "x̄ += ē: the decomposition's cotangent is its matrix's", "ė = ẋ: the decomposition's tangent is its matrix's",
        "x = U·S·Vᵀ, thin, singular values descending; read by `.singular_values`, `.u.unwrap()`, `.v_t.unwrap()`")
};

pub(super) const SVD_SINGULAR_VALUES: OpSpec = OpSpec {
    kernel_when_constant: true,
    ..matrix_fn(
        &[Syntax::Field {
            name: "singular_values",
        }],
        "svd_singular_values",
        "ē += U·diag(s̄)·Vᵀ",
        "ṡ = diag(Uᵀ·ė·V)",
        "the singular values of an `svd(..)`, descending",
    )
};

pub(super) const SVD_U: OpSpec = OpSpec {
    kernel_when_constant: true,
    ..matrix_fn(&[Syntax::FieldPair { field: "u", then: "unwrap" }], "svd_u",
        "ē += U·((F ∘ (UᵀŪ − ŪᵀU))·S)·Vᵀ + (I − UUᵀ)·Ū·S⁻¹·Vᵀ, Fᵢⱼ = 1/(sⱼ² − sᵢ²) (Townsend 2016)",
        "U̇ = U·(F ∘ (dS·S + S·dSᵀ)) + (I − UUᵀ)·ė·V·S⁻¹ with dS = Uᵀ·ė·V, Fᵢⱼ = 1/(sⱼ² − sᵢ²) (0 on the diagonal and where \
         |sⱼ − sᵢ| ≤ √ε·max s), 1/sᵢ taken as 0 where sᵢ ≤ √ε·max s (JAX's `svd` JVP)",
        "the left singular vectors U of an `svd(true, ..)`")
};

pub(super) const SVD_VT: OpSpec = OpSpec {
    kernel_when_constant: true,
    ..matrix_fn(
        &[Syntax::FieldPair {
            field: "v_t",
            then: "unwrap",
        }],
        "svd_v_t",
        "ē += U·(S·(F ∘ (VᵀV̄ − V̄ᵀV)))·Vᵀ + U·S⁻¹·V̄ᵀ·(I − VVᵀ) (Townsend 2016)",
        "V̇ᵀ = (V·(F ∘ (S·dS + dSᵀ·S)) + (I − VVᵀ)·ėᵀ·U·S⁻¹)ᵀ, dS, F and S⁻¹ as for `.u`",
        "the right singular vectors Vᵀ (one per row) of an `svd(.., true)`",
    )
};

pub(super) const SINGULAR_VALUES: OpSpec = matrix_fn(
    &[method("singular_values")],
    "singular_values",
    "x̄ += U·diag(s̄)·Vᵀ (U, V computed in the pullback)",
    "ṡ = diag(Uᵀ·ẋ·V) (U, V of an `svd(true, true)` computed in the tangent)",
    "the singular values, descending",
);

pub(super) const SOLVE_LOWER: OpSpec = triangular_solve(
    &[unwrapped("solve_lower_triangular", 1)],
    "solve_lower_triangular",
    "t̄ −= tril((L⁻ᵀ·ḡ)·yᵀ), b̄ += L⁻ᵀ·ḡ",
    "ẏ = L⁻¹·(ḃ − tril(ṫ)·y)",
    "y = L⁻¹·b, L the lower triangle of t (panics at a zero on its diagonal)",
);

pub(super) const SOLVE_UPPER: OpSpec = triangular_solve(
    &[unwrapped("solve_upper_triangular", 1)],
    "solve_upper_triangular",
    "t̄ −= triu((U⁻ᵀ·ḡ)·yᵀ), b̄ += U⁻ᵀ·ḡ",
    "ẏ = U⁻¹·(ḃ − triu(ṫ)·y)",
    "y = U⁻¹·b, U the upper triangle of t (panics at a zero on its diagonal)",
);

pub(super) const TR_SOLVE_LOWER: OpSpec = triangular_solve(
    &[unwrapped("tr_solve_lower_triangular", 1)],
    "tr_solve_lower_triangular",
    "t̄ −= tril(y·(L⁻¹·ḡ)ᵀ), b̄ += L⁻¹·ḡ",
    "ẏ = L⁻ᵀ·(ḃ − tril(ṫ)ᵀ·y)",
    "y = L⁻ᵀ·b, L the lower triangle of t (panics at a zero on its diagonal)",
);

pub(super) const TR_SOLVE_UPPER: OpSpec = triangular_solve(
    &[unwrapped("tr_solve_upper_triangular", 1)],
    "tr_solve_upper_triangular",
    "t̄ −= triu(y·(U⁻¹·ḡ)ᵀ), b̄ += U⁻¹·ḡ",
    "ẏ = U⁻ᵀ·(ḃ − triu(ṫ)ᵀ·y)",
    "y = U⁻ᵀ·b, U the upper triangle of t (panics at a zero on its diagonal)",
);
