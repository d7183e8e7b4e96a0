//! The dense kernels against nalgebra's own products, inverses and solves.

use super::*;
use nalgebra::DMatrix;

/// A lower-triangular n×n matrix with a diagonal away from zero.
fn lower(n: usize) -> DMatrix<f64> {
    DMatrix::from_fn(n, n, |i, j| {
        if i < j {
            0.0
        } else if i == j {
            1.0 + (i % 7) as f64 * 0.25
        } else {
            (((i * 31 + j * 17) % 13) as f64 - 6.0) / (4.0 * n as f64)
        }
    })
}

fn close(a: &DMatrix<f64>, b: &DMatrix<f64>, tol: f64) {
    assert_eq!(a.shape(), b.shape());
    let d = (a - b).amax();
    assert!(d <= tol * b.amax().max(1.0), "differ by {d:e}");
}

#[test]
fn lower_inverse_is_the_inverse() {
    for n in [0, 1, 5, 32, 33, 70, 131] {
        let l = lower(n);
        // The upper triangle is not read.
        let mut dirty = l.clone();
        dirty.fill_upper_triangle(7.0, 1);
        let x = DMatrix::from_vec(n, n, lower_inverse(dirty.as_slice(), n));
        close(&x, &l.clone().try_inverse().unwrap(), 1e-12);
        assert_eq!(x.upper_triangle(), DMatrix::from_diagonal(&x.diagonal()));
    }
}

#[test]
fn lower_gram_is_xtx_and_symmetric() {
    for n in [0, 1, 5, 32, 33, 70, 131] {
        let x = lower(n);
        let r = DMatrix::from_vec(n, n, lower_gram(x.as_slice(), n));
        close(&r, &(x.transpose() * &x), 1e-13);
        assert_eq!(r, r.transpose());
    }
}

#[test]
fn product_triangle_is_the_masked_product() {
    for (n, k) in [(0, 3), (1, 1), (7, 1), (40, 8), (70, 3), (100, 40)] {
        let p = DMatrix::from_fn(n, k, |i, j| ((i * 7 + j * 3) % 11) as f64 - 5.0);
        let q = DMatrix::from_fn(n, k, |i, j| ((i * 5 + j * 13) % 9) as f64 * 0.5 - 2.0);
        let m0 = DMatrix::from_fn(n, n, |i, j| (i * n + j) as f64 * 0.01);
        for lower in [true, false] {
            let mut m = m0.clone();
            add_product_triangle(
                m.as_mut_slice(),
                n,
                -0.5,
                p.as_slice(),
                q.as_slice(),
                k,
                lower,
            );
            let full = &p * q.transpose() * -0.5;
            let want = DMatrix::from_fn(n, n, |i, j| {
                let kept = if lower { i >= j } else { i <= j };
                m0[(i, j)] + if kept { full[(i, j)] } else { 0.0 }
            });
            close(&m, &want, 1e-13);
        }
    }
}

#[test]
fn triangular_solve_matches_nalgebra() {
    // k < 4: column by column; k ≥ 4: the transposed solves four columns at a time.
    for (n, k) in [
        (0, 3),
        (1, 3),
        (2, 3),
        (7, 3),
        (40, 3),
        (1, 8),
        (7, 4),
        (40, 9),
        // Blocked (from 8 rows and 16 columns): one block, a last block shorter than the
        // others, exact blocks, many columns.
        (9, 16),
        (37, 16),
        (48, 17),
        (70, 23),
        (64, 100),
        (100, 40),
    ] {
        let t = DMatrix::from_fn(n, n, |i, j| {
            let v = ((i * 13 + j * 29 + 1) % 11) as f64 - 5.0;
            v / 10.0 + if i == j { 2.0 + (i % 3) as f64 } else { 0.0 }
        });
        let b = DMatrix::from_fn(n, k, |i, j| ((i * 3 + j * 7) % 5) as f64 - 2.0);
        let mut unit_l = t.lower_triangle();
        unit_l.fill_diagonal(1.0);
        let mut unit_u = t.upper_triangle();
        unit_u.fill_diagonal(1.0);
        let cases = [
            (true, false, false, t.solve_lower_triangular(&b)),
            (false, false, false, t.solve_upper_triangular(&b)),
            (true, true, false, t.tr_solve_lower_triangular(&b)),
            (false, true, false, t.tr_solve_upper_triangular(&b)),
            (true, false, true, unit_l.solve_lower_triangular(&b)),
            (false, false, true, unit_u.solve_upper_triangular(&b)),
            (true, true, true, unit_l.tr_solve_lower_triangular(&b)),
            (false, true, true, unit_u.tr_solve_upper_triangular(&b)),
        ];
        for (lower, transposed, unit, want) in cases {
            let mut y = b.clone();
            assert!(triangular_solve(
                t.as_slice(),
                n,
                lower,
                transposed,
                unit,
                y.as_mut_slice()
            ));
            close(&y, &want.unwrap(), 1e-13);
        }
    }
    let mut zero = DMatrix::<f64>::identity(3, 3);
    zero[(1, 1)] = 0.0;
    let mut y = DMatrix::from_element(3, 2, 1.0);
    assert!(!triangular_solve(
        zero.as_slice(),
        3,
        true,
        true,
        false,
        y.as_mut_slice()
    ));
    assert!(triangular_solve(
        zero.as_slice(),
        3,
        true,
        true,
        true,
        y.as_mut_slice()
    ));
}

/// The kernels of the pullbacks that use these: `Factors::solve_transposed` of QR (its
/// reflections applied, Q never formed) and LU, and the Cholesky inverse, against the
/// dense formulas, at sizes across the blocks and with both signs of every reflection.
#[test]
fn factor_kernels_match_the_dense_formulas() {
    use crate::factorisations::Factors;
    use nalgebra::{Cholesky, DVector, Matrix3, Vector3, LU, QR};
    for n in [1, 2, 5, 33, 70] {
        let a = DMatrix::from_fn(n, n, |i, j| {
            let v = ((i * 37 + j * 11 + 3) % 17) as f64 - 8.0;
            v / 8.0 + if i == j { 3.0 } else { 0.0 }
        });
        let b = DMatrix::from_fn(n, 3, |i, j| ((i * 5 + j * 7) % 13) as f64 - 6.0);
        let want = a.transpose().try_inverse().unwrap() * &b;
        let qr = QR::new(a.clone());
        close(&qr.solve_transposed(&b).unwrap(), &want, 1e-12);
        let explicit = qr.q() * qr.r().tr_solve_upper_triangular(&b).unwrap();
        close(&qr.solve_transposed(&b).unwrap(), &explicit, 1e-13);
        let lu = LU::new(a.clone());
        close(&lu.solve_transposed(&b).unwrap(), &want, 1e-12);
        let v = DVector::from_fn(n, |i, _| i as f64 - 1.5);
        let want_v = a.transpose().try_inverse().unwrap() * &v;
        let got_v = Factors::solve_transposed(&qr, &v).unwrap();
        assert!((got_v - &want_v).amax() <= 1e-12 * want_v.amax().max(1.0));

        let s = a.transpose() * &a + DMatrix::identity(n, n);
        let chol = Cholesky::new(s.clone()).unwrap();
        close(&chol.solve_transposed(&b).unwrap(), &chol.solve(&b), 1e-13);
        let inv = Factors::inverse(&Cholesky::new(s.clone()).unwrap()).unwrap();
        close(&inv, &s.try_inverse().unwrap(), 1e-12);
        assert_eq!(inv, inv.transpose());
    }
    // A singular R: `None`, as before.
    let singular = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 4.0]);
    let qr = QR::new(singular);
    assert!(qr
        .solve_transposed(&DMatrix::from_element(2, 1, 1.0))
        .is_none());
    // Static dimensions.
    let m = Matrix3::new(2.0, -1.0, 0.5, 0.3, -3.0, 1.0, -0.7, 0.2, 4.0);
    let rhs = Vector3::new(1.0, -2.0, 0.5);
    let want = m.transpose().try_inverse().unwrap() * rhs;
    let got = Factors::solve_transposed(&QR::new(m), &rhs).unwrap();
    assert!((got - want).amax() <= 1e-13);
}

/// The symmetry check of `cholesky()`: an exact one passes at once, one within `√ε` of the
/// largest entry passes, one beyond panics naming the entry.
#[test]
fn symmetry_check_tolerates_rounding_only() {
    use crate::cholesky::check_symmetric;
    let s = DMatrix::from_fn(40, 40, |i, j| ((i + j) % 7) as f64 + 10.0);
    check_symmetric("cholesky", &s);
    let mut near = s.clone();
    near[(30, 2)] += 1e-9;
    check_symmetric("cholesky", &near);
    let mut far = s.clone();
    far[(30, 2)] += 1e-3;
    let err = std::panic::catch_unwind(|| check_symmetric("cholesky", &far)).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(msg.contains("not symmetric: entry (30, 2)"), "{msg}");
}

#[test]
fn mirror_lower_copies_the_lower_triangle() {
    for n in [0, 1, 3, 33, 70] {
        let m0 = DMatrix::from_fn(n, n, |i, j| (i * 100 + j) as f64);
        let mut m = m0.clone();
        mirror_lower(m.as_mut_slice(), n);
        assert_eq!(m, DMatrix::from_fn(n, n, |i, j| m0[(i.max(j), i.min(j))]));
    }
}

/// The blocked solve (inverted diagonal blocks) is as backward-accurate as substitution:
/// on lower-triangular matrices whose diagonal spans up to four orders of magnitude, its
/// residual ‖op(L)·Y − B‖ / (‖L‖·‖Y‖) is within 10× of nalgebra's substitution's.
#[test]
fn blocked_solve_residual_is_substitutions() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for (n, k, decades) in [(64, 64, 1.0), (64, 64, 4.0), (128, 40, 3.0)] {
        let l = DMatrix::from_fn(n, n, |i, j| match i.cmp(&j) {
            std::cmp::Ordering::Equal => 10f64.powf(-decades * i as f64 / n as f64),
            std::cmp::Ordering::Greater => rng.random_range(-0.3..0.3),
            std::cmp::Ordering::Less => 0.0,
        });
        let b = DMatrix::from_fn(n, k, |_, _| rng.random_range(-1.0..1.0));
        for transposed in [false, true] {
            let mut y = b.clone();
            assert!(triangular_solve(
                l.as_slice(),
                n,
                true,
                transposed,
                false,
                y.as_mut_slice()
            ));
            let want = match transposed {
                true => l.tr_solve_lower_triangular(&b),
                false => l.solve_lower_triangular(&b),
            };
            let op = if transposed { l.transpose() } else { l.clone() };
            let residual = |x: &DMatrix<f64>| (&op * x - &b).norm() / (op.norm() * x.norm());
            let (got, substitution) = (residual(&y), residual(&want.unwrap()));
            assert!(
                got <= 10.0 * substitution + 1e-20,
                "n {n}, 10^-{decades}, transposed {transposed}: {got:e} against {substitution:e}"
            );
        }
    }
}
