//! `#[grad]` and `#[derive(Differentiable)]` in a crate that depends on `matgrad` as `ad`
//! (`ad = { package = "matgrad", .. }`): the generated code names the facade as this crate
//! does, found from its manifest, or as `crate = path` says.

use ad::{grad, vjp, Differentiable};
use nalgebra::{DMatrix, DVector, RealField};

/// A layer deriving `Differentiable` with the facade found under its new name.
#[derive(Clone, Debug, PartialEq, Differentiable)]
pub struct Layer<T: RealField> {
    pub w: DMatrix<T>,
    pub b: DVector<T>,
}

/// Layers and a skipped label, with the path given explicitly.
#[derive(Clone, Debug, PartialEq, ad::Differentiable)]
#[differentiable(crate = ::ad)]
pub struct Net {
    pub layers: Vec<Layer<f64>>,
    #[differentiable(skip)]
    pub label: String,
}

/// ‖Ax‖², differentiated with the facade found under its new name.
#[grad(x)]
pub fn found(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let y = a * x;
    let mut s = 0.0;
    for i in 0..y.len() {
        s += y[i] * y[i];
    }
    s + softly(y.sum())
}

/// ‖Ax‖² again, with the path given explicitly.
#[grad(x, crate = ::ad)]
pub fn given(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    (a * x).norm_squared()
}

/// ln(1 + eˣ) with a hand-written rule.
#[vjp(softly_rule)]
pub fn softly(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// x̄ = ḡ·σ(x)
pub fn softly_rule(x: &f64, _y: &f64, g: &f64) -> f64 {
    g * ad::sigmoid(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_renamed_facade_is_found() {
        let a = DMatrix::from_fn(3, 2, |i, j| 0.5 * i as f64 - 0.3 * j as f64 + 0.1);
        let x = DVector::from_vec(vec![0.7, -1.2]);
        let (v, g) = found_grad(&a, &x);
        assert_eq!(v, found(&a, &x));
        let check = ad::check_gradient(|x| found(&a, x), &x, &g.x);
        assert!(check.rel_error < 1e-7, "{check}");
        let (v, g) = given_grad(&a, &x);
        assert_eq!(v, given(&a, &x));
        assert!((g.x - 2.0 * a.transpose() * (&a * &x)).norm() < 1e-12);
    }

    #[test]
    fn derived_structs_find_the_renamed_facade() {
        let layer = |s: f64| Layer {
            w: DMatrix::from_fn(2, 3, |i, j| s * (i as f64 - j as f64)),
            b: DVector::from_element(2, s),
        };
        let net = |s: f64| Net {
            layers: vec![layer(s), layer(2.0 * s)],
            label: format!("net {s}"),
        };
        let (a, b) = (net(1.0), net(-0.5));
        let sum = &a + &b * 2.0;
        assert_eq!(sum.layers[1].w, &a.layers[1].w + &b.layers[1].w * 2.0);
        assert_eq!(sum.label, "net 1");
        assert_eq!(a.entry_count(), 2 * (6 + 2));
        assert_eq!(a.unflatten(&a.to_flat()), a);
        let paths: Vec<String> = a.named_leaves().into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            paths,
            ["layers[0].w", "layers[0].b", "layers[1].w", "layers[1].b"]
        );
        let total: Layer<f64> = [layer(1.0), layer(3.0)].iter().sum();
        assert_eq!(total, layer(4.0));
    }
}
