//! Functions that return `Option` or `Result`: `?` after nalgebra's methods that return an
//! `Option` and after calls of other fallible `#[grad]` functions; the companions return
//! `None` (`Err`) where the function does, and otherwise its value and gradient, which are
//! the `.unwrap()` form's (compared exactly) and right against finite differences.

mod common;

use common::*;
use matgrad::grad;
use nalgebra::{DMatrix, DVector};

/// A Gaussian negative log-likelihood, `None` where the covariance is not positive definite.
#[grad(s, mu)]
fn gaussian_nll(s: &DMatrix<f64>, mu: &DVector<f64>, x: &DVector<f64>) -> Option<f64> {
    let c = s.clone().cholesky()?;
    let r = x - mu;
    let z = c.l().solve_lower_triangular(&r)?;
    Some(0.5 * z.norm_squared() + 0.5 * c.ln_determinant())
}

#[grad(s, mu)]
fn gaussian_nll_unwrapped(s: &DMatrix<f64>, mu: &DVector<f64>, x: &DVector<f64>) -> f64 {
    let c = s.clone().cholesky().unwrap();
    let r = x - mu;
    let z = c.l().solve_lower_triangular(&r).unwrap();
    0.5 * z.norm_squared() + 0.5 * c.ln_determinant()
}

#[test]
fn a_fallible_function_differentiates_as_its_unwrapped_form() {
    let mut rng = rng(41);
    for n in [1, 2, 4] {
        let s = spd(&mut rng, n);
        let s = (&s + s.transpose()) * 0.5;
        let (mu, x) = (dvector(&mut rng, n), dvector(&mut rng, n));
        let (v, g) = gaussian_nll_grad(&s, &mu, &x).expect("positive definite");
        let (v_u, g_u) = gaussian_nll_unwrapped_grad(&s, &mu, &x);
        assert_eq!((v, &g.s, &g.mu), (v_u, &g_u.s, &g_u.mu));
        assert_eq!(Some(v), gaussian_nll(&s, &mu, &x));
        assert_fd("∂mu", |mu| gaussian_nll_unwrapped(&s, mu, &x), &mu, &g.mu);
        let (v_p, pullback) = gaussian_nll_pullback(&s, &mu, &x).expect("positive definite");
        assert_eq!(v_p, v);
        assert_eq!(pullback(&1.0).mu, g.mu);
    }
}

#[test]
fn the_companions_return_none_where_the_function_does() {
    let s = nalgebra::dmatrix![1.0, 2.0; 2.0, 1.0];
    let (mu, x) = (DVector::zeros(2), DVector::from_element(2, 1.0));
    assert_eq!(gaussian_nll(&s, &mu, &x), None);
    assert!(gaussian_nll_grad(&s, &mu, &x).is_none());
    assert!(gaussian_nll_pullback(&s, &mu, &x).is_none());
}

/// A `Result` with the function's own error, `?` on a call of a fallible `#[grad]` function
/// (through `.ok_or`), on a constant `Result` and in a loop.
#[derive(Debug, PartialEq)]
enum FitError {
    Indefinite,
    Parse,
}

#[grad(s, mu)]
fn summed(
    s: &DMatrix<f64>,
    mu: &DVector<f64>,
    xs: &[DVector<f64>],
    k: &str,
) -> Result<f64, FitError> {
    let weight = k.parse::<f64>().map_err(|_| FitError::Parse)?;
    let mut total = 0.0;
    for x in xs {
        let nll = gaussian_nll(s, mu, x).ok_or(FitError::Indefinite)?;
        total += weight * nll;
    }
    Ok(total)
}

#[test]
fn a_result_with_the_functions_own_error() {
    let mut rng = rng(42);
    let n = 3;
    let s = spd(&mut rng, n);
    let s = (&s + s.transpose()) * 0.5;
    let mu = dvector(&mut rng, n);
    let xs: Vec<_> = (0..4).map(|_| dvector(&mut rng, n)).collect();
    let (v, g) = summed_grad(&s, &mu, &xs, "0.5").expect("fits");
    assert_eq!(Ok(v), summed(&s, &mu, &xs, "0.5"));
    let plain = |s: &DMatrix<f64>, mu: &DVector<f64>| summed(s, mu, &xs, "0.5").unwrap();
    assert_fd("∂mu", |mu| plain(&s, mu), &mu, &g.mu);
    assert_symmetric_fd("∂s", |s| plain(s, &mu), &s, &g.s);
    assert_eq!(
        summed_grad(&s, &mu, &xs, "half").err(),
        Some(FitError::Parse)
    );
    let indefinite = nalgebra::dmatrix![1.0, 2.0, 0.0; 2.0, 1.0, 0.0; 0.0, 0.0, 1.0];
    assert_eq!(
        summed_grad(&indefinite, &mu, &xs, "0.5").err(),
        Some(FitError::Indefinite)
    );
}

/// `.unwrap()` and `.expect(msg)` of a call of a fallible `#[grad]` function.
#[grad(s)]
fn unwrapped_call(s: &DMatrix<f64>, mu: &DVector<f64>, x: &DVector<f64>) -> f64 {
    let a = gaussian_nll(s, mu, x).expect("S is positive definite");
    let b = gaussian_nll(&(s * 2.0), mu, x).unwrap();
    a * b
}

#[test]
fn a_fallible_function_unwrapped_by_its_caller() {
    let mut rng = rng(43);
    for n in [1, 3] {
        let s = spd(&mut rng, n);
        let s = (&s + s.transpose()) * 0.5;
        let (mu, x) = (dvector(&mut rng, n), dvector(&mut rng, n));
        let (v, g) = unwrapped_call_grad(&s, &mu, &x);
        assert_value("unwrapped_call", v, unwrapped_call(&s, &mu, &x));
        assert_symmetric_fd("∂s", |s| unwrapped_call(s, &mu, &x), &s, &g.s);
    }
}

#[test]
#[should_panic(expected = "S is positive definite")]
fn expect_on_a_call_panics_with_the_users_message() {
    let s = nalgebra::dmatrix![1.0, 0.0; 0.0, -1.0];
    let _ = unwrapped_call_grad(&s, &DVector::zeros(2), &DVector::zeros(2));
}

/// `?` of an LU solve and of an inverse; an `Option` of a matrix.
#[grad]
fn solved(m: &DMatrix<f64>, b: &DMatrix<f64>) -> Option<DMatrix<f64>> {
    let y = m.clone().lu().solve(b)?;
    let inv = m.clone().try_inverse()?;
    Some(inv * y)
}

#[test]
fn a_fallible_function_of_a_matrix() {
    let mut rng = rng(44);
    let m = well_conditioned(&mut rng, 3);
    let b = dmatrix(&mut rng, 3, 2);
    let (v, pullback) = solved_pullback(&m, &b).expect("invertible");
    assert_eq!(Some(v.clone()), solved(&m, &b));
    let w = dmatrix(&mut rng, 3, 2);
    let g = pullback(&w);
    let f = |m: &DMatrix<f64>| solved(m, &b).unwrap().dot(&w);
    assert_fd("∂m", f, &m, &g.m);
    assert!(solved_pullback(&DMatrix::zeros(3, 3), &b).is_none());
}

/// A long fallible function (past `_grad`'s threshold for going through `vjp`, its forward
/// sweep cut into blocks), with a `?` in the middle: 280 statements of ~2 values each.
macro_rules! long_fallible {
    ($($k:literal)*) => {
        #[grad]
        fn long_fallible(x: f64, s: &DMatrix<f64>) -> Option<f64> {
            let mut t = x;
            $( t = (t * 0.995 + 1e-3 * $k as f64).tanh(); )*
            let c = (s * t.exp()).cholesky()?;
            $( t = (t * 0.995 + 1e-3 * $k as f64).tanh(); )*
            Some(t + c.ln_determinant())
        }
    };
}

long_fallible! {
    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9
    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9
    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9
    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9
}

#[test]
fn a_long_fallible_function() {
    let s = nalgebra::dmatrix![2.0, 0.5; 0.5, 1.0];
    let x = 0.3;
    let (v, g) = long_fallible_grad(x, &s).expect("positive definite");
    assert_eq!(Some(v), long_fallible(x, &s));
    assert_fd("∂x", |x: &f64| long_fallible(*x, &s).unwrap(), &x, &g.x);
    assert_symmetric_fd("∂s", |s| long_fallible(x, s).unwrap(), &s, &g.s);
    assert!(long_fallible_grad(x, &-s).is_none());
}

/// A borrowed constant with a `?` read by a pullback (the product's): kept from the forward
/// sweep, never evaluated again in the pullback, which returns no `Option`.
#[grad(x)]
fn constant_tried(x: &DVector<f64>, s: &DMatrix<f64>, b: &DVector<f64>) -> Option<f64> {
    let y = x.dot(&(s.clone().cholesky()?.solve(b)));
    Some(y * y)
}

#[test]
fn a_constant_with_a_try_read_by_a_pullback() {
    let mut rng = rng(45);
    let s = spd(&mut rng, 3);
    let s = (&s + s.transpose()) * 0.5;
    let (x, b) = (dvector(&mut rng, 3), dvector(&mut rng, 3));
    let (_, pullback) = constant_tried_pullback(&x, &s, &b).expect("positive definite");
    let g = pullback(&1.0);
    assert_fd("∂x", |x| constant_tried(x, &s, &b).unwrap(), &x, &g.x);
}

/// A `Result` alias of one parameter, as `anyhow::Result<T>` or `io::Result<T>` are: the
/// companions return the alias around their results.
mod alias {
    use matgrad::grad;
    use nalgebra::DMatrix;

    type Result<T> = std::result::Result<T, String>;

    #[grad]
    pub fn logdet(s: &DMatrix<f64>) -> Result<f64> {
        let c = s
            .clone()
            .cholesky()
            .ok_or("not positive definite".to_string())?;
        Ok(c.ln_determinant())
    }

    /// `.ok_or(e)?` on an SVD's field.
    #[grad]
    pub fn spectral(a: &DMatrix<f64>) -> Result<f64> {
        let svd = a.clone().svd(true, true);
        let u = svd.u.ok_or("no U".to_string())?;
        Ok((u.transpose() * a).norm_squared())
    }

    #[test]
    fn ok_or_on_a_field() {
        let a = nalgebra::dmatrix![2.0, 0.5, 0.1; 0.5, 1.0, -0.3];
        let (v, g) = spectral_grad(&a).expect("U asked for");
        assert_eq!(Ok(v), spectral(&a));
        crate::common::assert_fd("∂a", |a| spectral(a).unwrap(), &a, &g.a);
    }

    #[test]
    fn a_result_alias() {
        let s = nalgebra::dmatrix![2.0, 0.5; 0.5, 1.0];
        let (v, g): (f64, LogdetGrad) = logdet_grad(&s).expect("positive definite");
        assert_eq!(Ok(v), logdet(&s));
        let inverse = s.clone().try_inverse().unwrap();
        assert!((g.s - inverse).norm() < 1e-12, "∂ ln|S| / ∂S = S⁻¹");
        assert_eq!(
            logdet_grad(&-s).err(),
            Some("not positive definite".to_string())
        );
    }
}
