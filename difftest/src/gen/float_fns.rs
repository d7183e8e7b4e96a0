//! The float functions of scalar expressions: `.powi(n)`, `.powf(p)`, `.hypot(b)`, `.sqrt()`,
//! the exponentials and logarithms, `.recip()`, `.cbrt()`, `.tanh()`, `.abs()`, `.max(b)`,
//! `.min(b)`, `.sin()`, `.atan()`, `.cos()`, in method and `f64::name(..)` form. The forms
//! added after the CI corpus was fixed are drawn from the extra stream (`Gen::extra_rng`);
//! `.clamp(lo, hi)` and `f64::clamp(x, lo, hi)`, added with the operation catalogue, from the
//! catalogue stream (`Gen::catalogue_rng`).

use super::catalogue::turn;
use super::{Gen, VAR_CAP};
use crate::ast::Expr;
use crate::family::Family;
use crate::ty::Ty;
use rand::Rng;

impl Gen {
    /// Marks the float-functions family (inside a map closure they belong to `map`).
    pub(crate) fn mark_float_fn(&mut self) {
        if !self.closure {
            self.mark(Family::FloatFns);
        }
    }

    /// powi (powf, hypot), sqrt, exp (exp_m1, sinh, cosh), abs (max, min of two), ln (ln_1p, log2, log10, recip, cbrt), tanh, abs,
    /// sin (atan), cos: the ones in brackets drawn from the extra stream (`Gen::extra_rng`).
    pub(crate) fn float_fn(&mut self, depth: u32) -> Option<Expr> {
        if !self.on(Family::FloatFns) && !self.closure {
            return None;
        }
        self.mark_float_fn();
        if self.catalogue_turn(turn::CLAMP) {
            return Some(self.clamped(depth));
        }
        let e = match self.rng.random_range(0..8) {
            0 => self.power(depth),
            1 => {
                let (p, _) = self.positive(depth - 1);
                let b = p.bound.sqrt();
                let t = self.call1("sqrt");
                Expr::op(t, vec![p], Ty::Scalar, b)
            }
            2 => {
                let a = self.scalar(depth - 1);
                let a = self.clamp(a, 1.5);
                // eˣ bounds each of them for |x| ≤ 1.5.
                let f = ["exp", "exp", "exp_m1", "sinh", "cosh"][self.extra_rng.random_range(0..5)];
                let b = a.bound.exp();
                let t = self.call1(f);
                Expr::op(t, vec![a], Ty::Scalar, b)
            }
            3 => self.logarithm(depth),
            4 => self.unary_fn("tanh", depth, Some(1.0)),
            5 => match self.extra_rng.random_range(0..4) {
                0 => {
                    let a = self.scalar(depth - 1);
                    let b = self.extra_scalar(depth - 1, VAR_CAP);
                    let bound = a.bound.max(b.bound);
                    let (a, b) = (self.max_arg(a), self.max_arg(b));
                    let f = ["max", "min"][self.extra_rng.random_range(0..2)];
                    let t = self.call2(f);
                    Expr::op(t, vec![a, b], Ty::Scalar, bound)
                }
                _ => self.unary_fn("abs", depth, None),
            },
            6 => match self.extra_rng.random_range(0..3) {
                0 => self.unary_fn("atan", depth, Some(1.6)),
                _ => self.unary_fn("sin", depth, Some(1.0)),
            },
            _ => self.unary_fn("cos", depth, Some(1.0)),
        };
        Some(e)
    }

    /// `x.clamp(lo, hi)` or (one time in three) `f64::clamp(x, lo, hi)` with constant bounds
    /// `lo < hi` that no generated value equals identically (a value at a bound has the
    /// one-sided slopes ½ apart: finite differences there are inconclusive), from the
    /// catalogue stream; in map closures too.
    fn clamped(&mut self, depth: u32) -> Expr {
        const BOUNDS: [(f64, f64); 6] = [
            (-0.63, 0.87),
            (-1.07, 0.41),
            (-0.29, 1.21),
            (0.13, 1.37),
            (-2.11, -0.17),
            (-1.49, 1.53),
        ];
        self.took("clamp");
        let (lo, hi) = BOUNDS[self.cat_below(BOUNDS.len())];
        let t = if self.cat_below(3) == 0 {
            format!("f64::clamp({{0}}, {lo:?}, {hi:?})")
        } else {
            format!("{{0}}.clamp({lo:?}, {hi:?})")
        };
        let a = self.scalar(depth - 1);
        Expr::op(t, vec![a], Ty::Scalar, lo.abs().max(hi.abs()))
    }

    /// `x.powi(n)`, or `x.hypot(y)`, or a positive base to a power in [-1, 1] (`.powf`).
    fn power(&mut self, depth: u32) -> Expr {
        let a = self.scalar(depth - 1);
        let a = self.clamp(a, 2.0);
        let n = self.rng.random_range(2..=3);
        match self.extra_rng.random_range(0..4) {
            0 => {
                let p = self.extra_scalar(depth - 1, 1.0);
                let hi = a.bound * a.bound + 0.5;
                let base = Expr::op("({0}.powi(2) + 0.5)", vec![a], Ty::Scalar, hi);
                let t = self.call2("powf");
                Expr::op(t, vec![base, p], Ty::Scalar, hi.max(2.0))
            }
            1 => {
                let h = self.extra_scalar(depth - 1, 2.0);
                let b = a.bound + h.bound;
                let t = self.call2("hypot");
                Expr::op(t, vec![a, h], Ty::Scalar, b)
            }
            _ => {
                let b = a.bound.powi(n);
                Expr::op(format!("{{0}}.powi({n})"), vec![a], Ty::Scalar, b)
            }
        }
    }

    /// A logarithm (`ln`, `ln_1p`, `log2`, `log10`), `recip` or `cbrt` of a positive value.
    fn logarithm(&mut self, depth: u32) -> Expr {
        let (p, lo) = self.positive(depth - 1);
        let hi = p.bound;
        let (f, b) = match self.extra_rng.random_range(0..7) {
            0 => ("ln_1p", hi.ln_1p()),
            1 => ("log2", hi.log2().abs().max(lo.log2().abs())),
            2 => ("log10", hi.log10().abs().max(lo.log10().abs())),
            3 => ("recip", 1.0 / lo),
            4 => ("cbrt", hi.cbrt()),
            _ => ("ln", hi.ln().abs().max(lo.ln().abs())),
        };
        let t = self.call1(f);
        Expr::op(t, vec![p], Ty::Scalar, b)
    }

    /// `{0}.name()`, or one time in three `f64::name({0})` (one operation to the macro),
    /// drawn from the extra stream.
    fn call1(&mut self, name: &str) -> String {
        match self.extra_rng.random_range(0..3) {
            0 => format!("f64::{name}({{0}})"),
            _ => format!("{{0}}.{name}()"),
        }
    }

    /// `{0}.name({1})`, or one time in three `f64::name({0}, {1})`, drawn from the extra stream.
    fn call2(&mut self, name: &str) -> String {
        match self.extra_rng.random_range(0..3) {
            0 => format!("f64::{name}({{0}}, {{1}})"),
            _ => format!("{{0}}.{name}({{1}})"),
        }
    }

    /// A scalar expression drawn from the extra stream (`Gen::extra_rng`) and its own node
    /// budget, at most `cap` in magnitude: an operand added after the CI corpus was fixed
    /// leaves the main stream, and so the rest of the program, as it was.
    fn extra_scalar(&mut self, depth: u32, cap: f64) -> Expr {
        let budget = self.budget;
        std::mem::swap(&mut self.rng, &mut self.extra_rng);
        let e = self.scalar(depth);
        let e = self.clamp(e, cap);
        std::mem::swap(&mut self.rng, &mut self.extra_rng);
        self.budget = budget;
        e
    }

    /// `name` applied to a scalar, bounded by `bound` (else by its argument's bound).
    fn unary_fn(&mut self, name: &str, depth: u32, bound: Option<f64>) -> Expr {
        let a = self.scalar(depth - 1);
        let b = bound.unwrap_or(a.bound);
        let t = self.call1(name);
        Expr::op(t, vec![a], Ty::Scalar, b)
    }
}
