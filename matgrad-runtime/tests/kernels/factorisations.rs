//! The triangular solves, and what the factorisations' kernels compute besides their
//! pullbacks: LU's solve with the transposed matrix, Cholesky's symmetry check. (The
//! factorisations' pullbacks take the symmetric convention, which entry-wise finite
//! differences do not see; `tests/factorisations.rs` checks them through `#[grad]` against
//! symmetric perturbations and JAX.)

use crate::common::{check_vjp, dmatrix, dvector, rng, well_conditioned};
use matgrad_runtime::{
    cholesky, lu, solve, solve_lower_triangular, solve_lower_triangular_pullback_lhs,
    solve_lower_triangular_pullback_rhs, solve_upper_triangular,
    solve_upper_triangular_pullback_lhs, solve_upper_triangular_pullback_rhs,
    tr_solve_lower_triangular, tr_solve_lower_triangular_pullback_lhs,
    tr_solve_lower_triangular_pullback_rhs, tr_solve_upper_triangular,
    tr_solve_upper_triangular_pullback_lhs, tr_solve_upper_triangular_pullback_rhs, Factors,
};
use nalgebra::{DMatrix, DVector};

type Solve = fn(&DMatrix<f64>, &DMatrix<f64>) -> DMatrix<f64>;
type Pullback =
    fn(&DMatrix<f64>, &DMatrix<f64>, &DMatrix<f64>, &DMatrix<f64>, &mut Option<DMatrix<f64>>);

/// Each triangular solve with its pullbacks to the matrix and to the right-hand side.
const SOLVES: [(&str, Solve, Pullback, Pullback); 4] = [
    (
        "solve_lower_triangular",
        solve_lower_triangular,
        solve_lower_triangular_pullback_lhs,
        solve_lower_triangular_pullback_rhs,
    ),
    (
        "solve_upper_triangular",
        solve_upper_triangular,
        solve_upper_triangular_pullback_lhs,
        solve_upper_triangular_pullback_rhs,
    ),
    (
        "tr_solve_lower_triangular",
        tr_solve_lower_triangular,
        tr_solve_lower_triangular_pullback_lhs,
        tr_solve_lower_triangular_pullback_rhs,
    ),
    (
        "tr_solve_upper_triangular",
        tr_solve_upper_triangular,
        tr_solve_upper_triangular_pullback_lhs,
        tr_solve_upper_triangular_pullback_rhs,
    ),
];

#[test]
fn triangular_solves_match_finite_differences_and_ignore_the_other_triangle() {
    let mut rng = rng(0x71);
    for (name, f, lhs, rhs) in SOLVES {
        for (n, k) in [(1, 1), (2, 3), (4, 1), (5, 2)] {
            let t = well_conditioned(&mut rng, n);
            let b = dmatrix(&mut rng, n, k);
            let t_bar = check_vjp(
                name,
                &mut rng,
                &t,
                |t| f(t, &b),
                |g, t, y, acc| lhs(g, t, &b, y, acc),
            );
            let lower = name.contains("lower");
            for j in 0..n {
                for i in 0..n {
                    if (lower && i < j) || (!lower && i > j) {
                        assert_eq!(t_bar[(i, j)], 0.0, "{name}: ({i}, {j}) is not read");
                    }
                }
            }
            check_vjp(
                name,
                &mut rng,
                &b,
                |b| f(&t, b),
                |g, b, y, acc| rhs(g, &t, b, y, acc),
            );
        }
    }
}

/// `P·A = L·U`, so `Aᵀ·y = b` needs the permutation undone after the two triangular solves:
/// checked on matrices whose pivoting swaps rows.
#[test]
fn an_lu_factorisation_solves_with_the_transposed_matrix() {
    let mut rng = rng(0x72);
    for n in 1..=6 {
        let mut a = dmatrix(&mut rng, n, n);
        a[(0, 0)] = 1e-3; // the first pivot comes from another row
        let f = lu(&a);
        let b = dmatrix(&mut rng, n, 2);
        let y = f.solve_transposed(&b).expect("invertible");
        assert!((a.transpose() * &y - &b).amax() < 1e-9, "n = {n}");
        let v = dvector(&mut rng, n);
        let x = solve(&f, &v);
        assert!((&a * x - v).amax() < 1e-9, "n = {n}");
    }
}

#[test]
fn cholesky_accepts_rounding_and_refuses_an_asymmetric_matrix() {
    let mut rng = rng(0x73);
    let m = dmatrix(&mut rng, 4, 4);
    let mut s = m.tr_mul(&m) + DMatrix::identity(4, 4);
    s[(2, 1)] += 1e-14;
    let c = cholesky(&s);
    assert!((c.l() * c.l().transpose() - &s).amax() < 1e-12);
    s[(2, 1)] += 1e-6;
    let refused = std::panic::catch_unwind(|| cholesky(&s)).expect_err("not symmetric");
    let message = refused.downcast_ref::<String>().expect("a message");
    assert!(message.contains("not symmetric: entry (2, 1)"), "{message}");
}

#[test]
#[should_panic(expected = "`solve` cannot solve with a 3×3 matrix for a 2×1 right-hand side")]
fn a_solve_names_both_shapes() {
    let mut rng = rng(0x74);
    let f = lu(&well_conditioned(&mut rng, 3));
    let _ = solve(&f, &DVector::<f64>::zeros(2));
}
