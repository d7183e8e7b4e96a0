//! The factorisations in a function generic over `T: RealField`, at `f64` (against finite
//! differences) and at `f32` (agreeing with `f64` to single precision): `lu()` read by
//! `.l()`, `.u()` and a solve, `col_piv_qr()` by `.r()`, and a Cholesky factorisation taken
//! with `?` in a function that returns `Option`.

mod common;

use common::*;
use matgrad::grad;
use nalgebra::{DMatrix, RealField};

#[grad(m)]
fn factors<T: RealField>(m: &DMatrix<T>, b: &DMatrix<T>) -> Option<T> {
    let lu = m.clone().lu();
    let y = lu.solve(b)?;
    let s = m.tr_mul(m) + DMatrix::identity(m.ncols(), m.ncols());
    let c = s.cholesky()?;
    let r = m.clone().col_piv_qr().r();
    Some(
        lu.l().component_mul(&lu.u()).sum()
            + y.norm_squared()
            + c.ln_determinant()
            + r.component_mul(&r).sum(),
    )
}

#[test]
fn factorisations_at_f64_and_f32() {
    let mut rng = rng(51);
    for n in [1, 3, 4] {
        let m = well_conditioned(&mut rng, n);
        let b = dmatrix(&mut rng, n, 2);
        let at = format!("n = {n}");
        let (v, g) = factors_grad::<f64>(&m, &b).expect("invertible");
        assert_eq!(Some(v), factors(&m, &b));
        assert_fd(&at, |m| factors(m, &b).unwrap(), &m, &g.m);

        let (m32, b32) = (m.map(|v| v as f32), b.map(|v| v as f32));
        let (v32, g32) = factors_grad::<f32>(&m32, &b32).expect("invertible");
        let err = (f64::from(v32) - v).abs() / v.abs().max(1.0);
        assert!(err < 1e-4, "{at}: the value is {v32} in f32 but {v} in f64");
        assert_f32_agrees(&at, &g32.m, &g.m);
    }
}
