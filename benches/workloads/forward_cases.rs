//! The cases of `benches/second_order.rs`: each workload of `benches/workloads/` at its sizes,
//! on the same inputs (its [`Workload::new`]), through the forward-enabled copies of
//! [`crate::forward`], with a fixed direction per differentiated parameter: input `11`, `12`,
//! `13`, ... of [`data`] in parameter order, of the parameter's shape, scale 1 (a row vector's
//! shift 0). `peers/jax_second_order.py` builds the same directions.
//!
//! Only `benches/second_order.rs` declares this module (next to `workloads` and `forward`).

use crate::forward as fw;
use crate::workloads::{
    autoencoder::Autoencoder,
    batch_norm::{BatchNorm, EPS},
    data,
    frobenius::Frobenius,
    least_squares::LeastSquares,
    prml::Prml,
    rnn::Rnn,
    Workload,
};
use nalgebra::{DMatrix, DVector, RowDVector};

/// What a case computes, for the report's comparison with JAX: the value, the JVP's tangent
/// (a float-valued function's slope ⟨∇f, v⟩; batch norm's ⟨Ẏ, G⟩ with G its workload's
/// cotangent), the gradient's norm and, for a float-valued function, ‖H·v‖ (all parameters).
#[derive(Debug, Clone, Copy)]
pub struct Values {
    pub value: f64,
    pub tangent: f64,
    pub grad_norm: f64,
    pub hvp_norm: Option<f64>,
}

/// One workload's second-order case at one size.
pub trait SecondOrder: Sized {
    /// The workload whose name, sizes and inputs this uses.
    type W: Workload;
    /// Whether the function is float-valued, so has `_hvp`.
    const HVP: bool = true;
    type Primal;
    type Grad;
    type Jvp;
    type Hvp;
    fn new(dims: &[usize]) -> Self;
    /// The function alone.
    fn primal(&self) -> Self::Primal;
    /// `_grad` (batch norm: `_pullback` and one pull, as `benches/gradients.rs`).
    fn gradient(&self) -> Self::Grad;
    /// `_jvp` along the fixed directions.
    fn jvp(&self) -> Self::Jvp;
    /// `_hvp` along the fixed directions (`()` without [`SecondOrder::HVP`]).
    fn hvp(&self) -> Self::Hvp;
    /// The values, after checking that the JVP's value is the function's and its slope
    /// ⟨∇f, v⟩, and that the HVP's gradient is `_grad`'s (panics otherwise).
    fn values(&self) -> Values;
}

fn dot(a: &[&[f64]], b: &[&[f64]]) -> f64 {
    let pairs = a.iter().zip(b).flat_map(|(x, y)| x.iter().zip(y.iter()));
    pairs.map(|(x, y)| x * y).sum()
}

fn norm(a: &[&[f64]]) -> f64 {
    dot(a, a).sqrt()
}

/// Checks a float-valued case's outputs against each other and returns its [`Values`].
fn float_values(
    (value, grad): (f64, &[&[f64]]),
    dirs: &[&[f64]],
    (jvp_value, slope): (f64, f64),
    (hvp_value, hvp_grad, hv): (f64, &[&[f64]], &[&[f64]]),
) -> Values {
    let scale = norm(grad) * norm(dirs) + value.abs();
    assert!((jvp_value - value).abs() <= 1e-12 * value.abs().max(1.0));
    assert!((hvp_value - value).abs() <= 1e-12 * value.abs().max(1.0));
    let expected = dot(grad, dirs);
    assert!(
        (slope - expected).abs() <= 1e-9 * scale,
        "{slope} against ⟨∇f, v⟩ {expected}"
    );
    let diff: f64 = grad
        .iter()
        .zip(hvp_grad)
        .flat_map(|(g, h)| g.iter().zip(h.iter()))
        .map(|(g, h)| (g - h) * (g - h))
        .sum();
    assert!(
        diff.sqrt() <= 1e-9 * norm(grad).max(1.0),
        "the HVP's gradient is not _grad's"
    );
    Values {
        value,
        tangent: slope,
        grad_norm: norm(grad),
        hvp_norm: Some(norm(hv)),
    }
}

/// ‖Ax − b‖² along ẋ.
pub struct LeastSquaresCase {
    pub w: LeastSquares,
    pub x_dot: DVector<f64>,
}

impl SecondOrder for LeastSquaresCase {
    type W = LeastSquares;
    type Primal = f64;
    type Grad = (f64, fw::LeastSquaresGrad);
    type Jvp = (f64, f64);
    type Hvp = (f64, fw::LeastSquaresGrad, fw::LeastSquaresGrad);
    fn new(dims: &[usize]) -> Self {
        let x_dot = data::vector(11, dims[0], 1.0);
        LeastSquaresCase {
            w: LeastSquares::new(dims),
            x_dot,
        }
    }
    fn primal(&self) -> f64 {
        fw::least_squares(&self.w.a, &self.w.x, &self.w.b)
    }
    fn gradient(&self) -> Self::Grad {
        fw::least_squares_grad(&self.w.a, &self.w.x, &self.w.b)
    }
    fn jvp(&self) -> Self::Jvp {
        fw::least_squares_jvp(&self.w.a, &self.w.x, &self.w.b, &self.x_dot)
    }
    fn hvp(&self) -> Self::Hvp {
        fw::least_squares_hvp(&self.w.a, &self.w.x, &self.w.b, &self.x_dot)
    }
    fn values(&self) -> Values {
        let ((v, g), (hv_v, hg, hv)) = (self.gradient(), self.hvp());
        let dirs = [self.x_dot.as_slice()];
        let hvp = (hv_v, &[hg.x.as_slice()][..], &[hv.x.as_slice()][..]);
        float_values((v, &[g.x.as_slice()]), &dirs, self.jvp(), hvp)
    }
}

/// ‖XAᵀ − B‖²_F along Ẋ.
pub struct FrobeniusCase {
    pub w: Frobenius,
    pub x_dot: DMatrix<f64>,
}

impl SecondOrder for FrobeniusCase {
    type W = Frobenius;
    type Primal = f64;
    type Grad = (f64, fw::FrobeniusGrad);
    type Jvp = (f64, f64);
    type Hvp = (f64, fw::FrobeniusGrad, fw::FrobeniusGrad);
    fn new(dims: &[usize]) -> Self {
        let x_dot = data::matrix(11, dims[0], dims[0], 1.0);
        FrobeniusCase {
            w: Frobenius::new(dims),
            x_dot,
        }
    }
    fn primal(&self) -> f64 {
        fw::frobenius(&self.w.x, &self.w.a, &self.w.b)
    }
    fn gradient(&self) -> Self::Grad {
        fw::frobenius_grad(&self.w.x, &self.w.a, &self.w.b)
    }
    fn jvp(&self) -> Self::Jvp {
        fw::frobenius_jvp(&self.w.x, &self.w.a, &self.w.b, &self.x_dot)
    }
    fn hvp(&self) -> Self::Hvp {
        fw::frobenius_hvp(&self.w.x, &self.w.a, &self.w.b, &self.x_dot)
    }
    fn values(&self) -> Values {
        let ((v, g), (hv_v, hg, hv)) = (self.gradient(), self.hvp());
        let dirs = [self.x_dot.as_slice()];
        let hvp = (hv_v, &[hg.x.as_slice()][..], &[hv.x.as_slice()][..]);
        float_values((v, &[g.x.as_slice()]), &dirs, self.jvp(), hvp)
    }
}

/// ½‖T − ΦW‖²_F along Ẇ.
pub struct PrmlCase {
    pub w: Prml,
    pub w_dot: DMatrix<f64>,
}

impl SecondOrder for PrmlCase {
    type W = Prml;
    type Primal = f64;
    type Grad = (f64, fw::PrmlGrad);
    type Jvp = (f64, f64);
    type Hvp = (f64, fw::PrmlGrad, fw::PrmlGrad);
    fn new(dims: &[usize]) -> Self {
        let w_dot = data::matrix(11, dims[1], dims[2], 1.0);
        PrmlCase {
            w: Prml::new(dims),
            w_dot,
        }
    }
    fn primal(&self) -> f64 {
        fw::prml(&self.w.phi, &self.w.w, &self.w.t)
    }
    fn gradient(&self) -> Self::Grad {
        fw::prml_grad(&self.w.phi, &self.w.w, &self.w.t)
    }
    fn jvp(&self) -> Self::Jvp {
        fw::prml_jvp(&self.w.phi, &self.w.w, &self.w.t, &self.w_dot)
    }
    fn hvp(&self) -> Self::Hvp {
        fw::prml_hvp(&self.w.phi, &self.w.w, &self.w.t, &self.w_dot)
    }
    fn values(&self) -> Values {
        let ((v, g), (hv_v, hg, hv)) = (self.gradient(), self.hvp());
        let dirs = [self.w_dot.as_slice()];
        let hvp = (hv_v, &[hg.w.as_slice()][..], &[hv.w.as_slice()][..]);
        float_values((v, &[g.w.as_slice()]), &dirs, self.jvp(), hvp)
    }
}

/// Batch norm along (Ẋ, γ̇, β̇); matrix-valued: no HVP.
pub struct BatchNormCase {
    pub w: BatchNorm,
    pub x_dot: DMatrix<f64>,
    pub gamma_dot: RowDVector<f64>,
    pub beta_dot: RowDVector<f64>,
}

impl SecondOrder for BatchNormCase {
    type W = BatchNorm;
    const HVP: bool = false;
    type Primal = DMatrix<f64>;
    type Grad = (DMatrix<f64>, fw::BatchNormGrad);
    type Jvp = (DMatrix<f64>, DMatrix<f64>);
    type Hvp = ();
    fn new(dims: &[usize]) -> Self {
        let (m, d) = (dims[0], dims[1]);
        BatchNormCase {
            w: BatchNorm::new(dims),
            x_dot: data::matrix(11, m, d, 1.0),
            gamma_dot: data::row(12, d, 1.0, 0.0),
            beta_dot: data::row(13, d, 1.0, 0.0),
        }
    }
    fn primal(&self) -> DMatrix<f64> {
        fw::batch_norm(&self.w.x, &self.w.gamma, &self.w.beta, EPS)
    }
    fn gradient(&self) -> Self::Grad {
        let (y, pullback) = fw::batch_norm_pullback(&self.w.x, &self.w.gamma, &self.w.beta, EPS);
        let grads = pullback(&self.w.g);
        (y, grads)
    }
    fn jvp(&self) -> Self::Jvp {
        let (x, gamma, beta) = (&self.w.x, &self.w.gamma, &self.w.beta);
        fw::batch_norm_jvp(
            x,
            gamma,
            beta,
            EPS,
            &self.x_dot,
            &self.gamma_dot,
            &self.beta_dot,
        )
    }
    fn hvp(&self) {}
    /// ⟨Ẏ, G⟩ = ⟨(Ẋ, γ̇, β̇), the pullback of G⟩ checks the JVP against the pullback.
    fn values(&self) -> Values {
        let ((y, g), (y_jvp, y_dot)) = (self.gradient(), self.jvp());
        assert!((&y - &y_jvp).norm() <= 1e-12 * y.norm());
        let grad = [g.x.as_slice(), g.gamma.as_slice(), g.beta.as_slice()];
        let dirs = [
            self.x_dot.as_slice(),
            self.gamma_dot.as_slice(),
            self.beta_dot.as_slice(),
        ];
        let (tangent, expected) = (y_dot.dot(&self.w.g), dot(&grad, &dirs));
        let scale = norm(&grad) * norm(&dirs);
        assert!(
            (tangent - expected).abs() <= 1e-9 * scale,
            "{tangent} against {expected}"
        );
        Values {
            value: y.dot(&self.w.g),
            tangent,
            grad_norm: norm(&grad),
            hvp_norm: None,
        }
    }
}

/// The RNN along (Ẇ, U̇, ḃ).
pub struct RnnCase {
    pub w: Rnn,
    pub w_dot: DMatrix<f64>,
    pub u_dot: DMatrix<f64>,
    pub b_dot: DVector<f64>,
}

impl SecondOrder for RnnCase {
    type W = Rnn;
    type Primal = f64;
    type Grad = (f64, fw::RnnGrad);
    type Jvp = (f64, f64);
    type Hvp = (f64, fw::RnnGrad, fw::RnnGrad);
    fn new(dims: &[usize]) -> Self {
        let (h, i) = (dims[0], dims[1]);
        RnnCase {
            w: Rnn::new(dims),
            w_dot: data::matrix(11, h, h, 1.0),
            u_dot: data::matrix(12, h, i, 1.0),
            b_dot: data::vector(13, h, 1.0),
        }
    }
    fn primal(&self) -> f64 {
        let w = &self.w;
        fw::rnn(&w.w, &w.u, &w.b, &w.h0, &w.xs)
    }
    fn gradient(&self) -> Self::Grad {
        let w = &self.w;
        fw::rnn_grad(&w.w, &w.u, &w.b, &w.h0, &w.xs)
    }
    fn jvp(&self) -> Self::Jvp {
        let (w, dots) = (&self.w, (&self.w_dot, &self.u_dot, &self.b_dot));
        fw::rnn_jvp(&w.w, &w.u, &w.b, &w.h0, &w.xs, dots.0, dots.1, dots.2)
    }
    fn hvp(&self) -> Self::Hvp {
        let (w, dots) = (&self.w, (&self.w_dot, &self.u_dot, &self.b_dot));
        fw::rnn_hvp(&w.w, &w.u, &w.b, &w.h0, &w.xs, dots.0, dots.1, dots.2)
    }
    fn values(&self) -> Values {
        let ((v, g), (hv_v, hg, hv)) = (self.gradient(), self.hvp());
        let dirs = [
            self.w_dot.as_slice(),
            self.u_dot.as_slice(),
            self.b_dot.as_slice(),
        ];
        let hgs = [hg.w.as_slice(), hg.u.as_slice(), hg.b.as_slice()];
        let hvs = [hv.w.as_slice(), hv.u.as_slice(), hv.b.as_slice()];
        let grad = [g.w.as_slice(), g.u.as_slice(), g.b.as_slice()];
        float_values((v, &grad), &dirs, self.jvp(), (hv_v, &hgs, &hvs))
    }
}

/// The tied autoencoder along (Ẇ, ḃ₁, ḃ₂).
pub struct AutoencoderCase {
    pub w: Autoencoder,
    pub w_dot: DMatrix<f64>,
    pub b1_dot: DVector<f64>,
    pub b2_dot: DVector<f64>,
}

impl SecondOrder for AutoencoderCase {
    type W = Autoencoder;
    type Primal = f64;
    type Grad = (f64, fw::AutoencoderGrad);
    type Jvp = (f64, f64);
    type Hvp = (f64, fw::AutoencoderGrad, fw::AutoencoderGrad);
    fn new(dims: &[usize]) -> Self {
        let (h, d) = (dims[0], dims[1]);
        AutoencoderCase {
            w: Autoencoder::new(dims),
            w_dot: data::matrix(11, h, d, 1.0),
            b1_dot: data::vector(12, h, 1.0),
            b2_dot: data::vector(13, d, 1.0),
        }
    }
    fn primal(&self) -> f64 {
        let w = &self.w;
        fw::autoencoder(&w.w, &w.b1, &w.b2, &w.x)
    }
    fn gradient(&self) -> Self::Grad {
        let w = &self.w;
        fw::autoencoder_grad(&w.w, &w.b1, &w.b2, &w.x)
    }
    fn jvp(&self) -> Self::Jvp {
        let (w, dots) = (&self.w, (&self.w_dot, &self.b1_dot, &self.b2_dot));
        fw::autoencoder_jvp(&w.w, &w.b1, &w.b2, &w.x, dots.0, dots.1, dots.2)
    }
    fn hvp(&self) -> Self::Hvp {
        let (w, dots) = (&self.w, (&self.w_dot, &self.b1_dot, &self.b2_dot));
        fw::autoencoder_hvp(&w.w, &w.b1, &w.b2, &w.x, dots.0, dots.1, dots.2)
    }
    fn values(&self) -> Values {
        let ((v, g), (hv_v, hg, hv)) = (self.gradient(), self.hvp());
        let dirs = [
            self.w_dot.as_slice(),
            self.b1_dot.as_slice(),
            self.b2_dot.as_slice(),
        ];
        let hgs = [hg.w.as_slice(), hg.b1.as_slice(), hg.b2.as_slice()];
        let hvs = [hv.w.as_slice(), hv.b1.as_slice(), hv.b2.as_slice()];
        let grad = [g.w.as_slice(), g.b1.as_slice(), g.b2.as_slice()];
        float_values((v, &grad), &dirs, self.jvp(), (hv_v, &hgs, &hvs))
    }
}

/// The full-Hessian comparison: [`fw::logistic_loss`] with n = 200 points in d = 100
/// dimensions, X = input 21 of [`data`], labels yᵢ = +1 where input 22's entry i is ≥ 0
/// and −1 otherwise, w = input 23 times 0.1, λ = 0.01.
pub struct Logistic {
    pub w: DVector<f64>,
    pub x: DMatrix<f64>,
    pub y: DVector<f64>,
    pub lambda: f64,
}

impl Logistic {
    pub const N: usize = 200;
    pub const D: usize = 100;

    pub fn new() -> Self {
        let y = data::vector(22, Self::N, 1.0).map(|t| if t >= 0.0 { 1.0 } else { -1.0 });
        Logistic {
            w: data::vector(23, Self::D, 0.1),
            x: data::matrix(21, Self::N, Self::D, 1.0),
            y,
            lambda: 0.01,
        }
    }
    pub fn primal(&self) -> f64 {
        fw::logistic_loss(&self.w, &self.x, &self.y, self.lambda)
    }
    pub fn gradient(&self) -> (f64, fw::LogisticLossGrad) {
        fw::logistic_loss_grad(&self.w, &self.x, &self.y, self.lambda)
    }
    /// `logistic_loss_hessian`: one HVP per weight.
    pub fn hessian(&self) -> (f64, fw::LogisticLossGrad, DMatrix<f64>) {
        fw::logistic_loss_hessian(&self.w, &self.x, &self.y, self.lambda)
    }
    /// One `logistic_loss_hvp` along `v`.
    pub fn hvp(&self, v: &DVector<f64>) -> DVector<f64> {
        fw::logistic_loss_hvp(&self.w, &self.x, &self.y, self.lambda, v)
            .2
            .w
    }
    /// The Hessian by d calls of `logistic_loss_hvp` along the unit vectors, as a user would
    /// write it: one direction buffer, a column of H per call.
    pub fn hessian_by_hvps(&self) -> DMatrix<f64> {
        let d = self.w.len();
        let mut h = DMatrix::zeros(d, d);
        let mut e = DVector::zeros(d);
        for k in 0..d {
            e[k] = 1.0;
            h.set_column(k, &self.hvp(&e));
            e[k] = 0.0;
        }
        h
    }
    /// The closed form (1/n)·Xᵀ·diag(σ(mᵢ)(1 − σ(mᵢ)))·X + λI, mᵢ = yᵢ·xᵢᵀw.
    pub fn closed_form(&self) -> DMatrix<f64> {
        let n = self.x.nrows() as f64;
        let m = (&self.x * &self.w).component_mul(&self.y);
        let weights = m.map(|t| {
            let s = 1.0 / (1.0 + (-t).exp());
            s * (1.0 - s) / n
        });
        let d = self.w.len();
        self.x.transpose() * DMatrix::from_diagonal(&weights) * &self.x
            + DMatrix::identity(d, d) * self.lambda
    }
}
