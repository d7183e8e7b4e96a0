//! Map closures that read values depending on a differentiated parameter (the `map` family),
//! drawn from the catalogue stream: `let m = x.max(); x.map(|v| (v - m).exp())` (the shifted
//! exponentials of a log-sum-exp, within 1), and closures whose body reads a captured active
//! scalar variable, an entry `w[(i, j)]` of an active matrix, or a `let`-bound active scalar,
//! over a generated matrix or over constant data; and `a.zip_map(&b, |zp, zq| ..)` of two
//! generated matrices, sometimes capturing an active scalar. While such a body is generated,
//! every active scalar in scope may be read (`Gen::capture_active`), and the captured value is
//! read at least once.

use super::{Gen, Var, VAR_CAP};
use crate::ast::{Expr, ExprKind};
use crate::family::Family;
use crate::ty::{Shape, Ty};

/// The entries of constant data a closure maps (cycled), all within 1.3.
const DATA: [f64; 8] = [0.3, -0.7, 1.1, 0.45, -0.2, 0.85, -1.3, 0.6];

impl Gen {
    /// A map of shape `s` whose closure reads a differentiated value (or a value that would be,
    /// when no parameter reaches it).
    pub(crate) fn capturing_map(&mut self, s: Shape, depth: u32) -> Expr {
        self.took("capture");
        self.mark(Family::Map);
        let ty = Ty::Mat(s);
        let form = self.cat_below(6);
        if form == 5 {
            return self.zip_map(s, depth);
        }
        if form == 0 {
            let recv = self.matrix(s, depth - 1);
            let recv = self.owned(recv);
            let (x, m) = (self.fresh("xm"), self.fresh("mx"));
            let (reduce, arg) = if self.cat_chance(0.5) {
                ("max", format!("v - {m}"))
            } else {
                ("min", format!("{m} - v"))
            };
            let t = format!(
                "({{ let {x} = {{0}}; let {m} = {x}.{reduce}(); {x}.map(|v| ({arg}).exp()) }})"
            );
            return Expr::op(t, vec![recv], ty, 1.0);
        }
        let data = self.cat_chance(0.3);
        // The captured value: an active scalar variable, an entry of an active matrix
        // variable, or (else) a `let`-bound scalar expression.
        let found = match form {
            1 => self.cat_scalar_var().map(|c| (c, None)),
            2 => self.cat_entry().map(|(c, w)| (c, Some(w))),
            _ => None,
        };
        let (cap, lets) = match found {
            Some((c, _)) => (c, None),
            None => {
                let e = self.scalar(depth - 1);
                let e = self.clamp(e, 2.0);
                let e = self.owned(e);
                let name = self.fresh("cap");
                (Expr::var(&name, Ty::Scalar, e.bound), Some((name, e)))
            }
        };
        let recv = if data {
            let n = s.len();
            let entries: Vec<String> = (0..n).map(|k| format!("{:?}", DATA[k % 8])).collect();
            Expr::lit(s.from_rows(&entries.join(", ")), ty, 1.3)
        } else {
            // `w = w.map(|v| v * w[(0, 0)])` too, where `w` is assigned in a loop or an arm
            // (a compile error once: difftest/README.md, "Results").
            self.matrix(s, depth - 1)
        };
        let let_name = lets.as_ref().map(|(n, _)| n.clone());
        let body = self.capture_body(cap, let_name, recv.bound, depth);
        let map = Expr {
            ty,
            bound: body.bound,
            kind: ExprKind::Map(Box::new(recv), "v".into(), Box::new(body)),
        };
        match lets {
            Some((name, e)) => {
                let b = map.bound;
                Expr::op(
                    format!("({{ let {name} = {{0}}; {{1}} }})"),
                    vec![e, map],
                    ty,
                    b,
                )
            }
            None => map,
        }
    }

    /// An active scalar variable in scope, picked from the catalogue stream.
    fn cat_scalar_var(&mut self) -> Option<Expr> {
        let vs: Vec<Var> = self
            .visible()
            .into_iter()
            .filter(|v| v.ty == Ty::Scalar && v.active && !crate::model::closure_hidden(&v.name))
            .cloned()
            .collect();
        if vs.is_empty() {
            return None;
        }
        let v = &vs[self.cat_below(vs.len())];
        Some(Expr::var(&v.name, Ty::Scalar, v.bound))
    }

    /// An entry `w[(i, j)]` of an active matrix variable in scope, from the catalogue stream,
    /// and the variable's name.
    fn cat_entry(&mut self) -> Option<(Expr, String)> {
        let vs: Vec<Var> = self
            .visible()
            .into_iter()
            .filter(|v| {
                v.active && matches!(v.ty, Ty::Mat(_)) && !crate::model::closure_hidden(&v.name)
            })
            .cloned()
            .collect();
        if vs.is_empty() {
            return None;
        }
        let v = vs[self.cat_below(vs.len())].clone();
        let Ty::Mat(s) = v.ty else { return None };
        let (i, j) = (self.cat_below(s.rows.n()), self.cat_below(s.cols.n()));
        self.mark(Family::Indexing);
        let w = Expr::var(&v.name, v.ty, v.bound);
        let e = Expr::op(format!("{{0}}[({i}, {j})]"), vec![w], Ty::Scalar, v.bound);
        Some((e, v.name))
    }

    /// The body of a closure over entries within `mb` that reads `cap` (a `let`-bound one
    /// named `let_name`, declared for the body): a generated body that may read any active
    /// scalar in scope, combined with `cap` (`body + cap·v`, `body·cap`, `tanh(v − cap) +
    /// body`), within `VAR_CAP`.
    fn capture_body(&mut self, cap: Expr, let_name: Option<String>, mb: f64, depth: u32) -> Expr {
        let var = |name: &str, bound: f64| Var {
            name: name.into(),
            ty: Ty::Scalar,
            bound,
            mutable: false,
            is_ref: false,
            active: true,
            capturable: true,
            max: 0,
        };
        // The `let`-bound value in a scope of its own (the block around the map), then the
        // closure's.
        self.push();
        if let Some(name) = &let_name {
            self.declare(var(name, cap.bound));
        }
        self.push();
        self.declare(var("v", mb));
        self.closure = true;
        self.capture_active = true;
        let body = self.scalar(depth.clamp(1, 3));
        let body = self.clamp(body, VAR_CAP);
        let v = Expr::var("v", Ty::Scalar, mb);
        let (cb, bb) = (cap.bound, body.bound);
        let e = match self.cat_below(3) {
            0 => Expr::op(
                "({0} + {1} * {2})",
                vec![body, cap, v],
                Ty::Scalar,
                bb + cb * mb,
            ),
            1 => Expr::op("({0} * {1})", vec![body, cap], Ty::Scalar, bb * cb),
            _ => Expr::op(
                "(({2} - {1}).tanh() + {0})",
                vec![body, cap, v],
                Ty::Scalar,
                1.0 + bb,
            ),
        };
        let e = self.clamp(e, VAR_CAP);
        self.capture_active = false;
        self.closure = false;
        self.pop();
        self.pop();
        e
    }
}

impl Gen {
    /// `a.zip_map(&b, |zp, zq| (zp * zq).tanh() + zp - 0.5 * zq)` of two generated matrices of
    /// shape `s`, adding `zp * c` for an active scalar variable `c` in scope half the time
    /// (a capture of a differentiated value), within `1 + |a| + |b|/2 (+ |a|·|c|)`.
    fn zip_map(&mut self, s: Shape, depth: u32) -> Expr {
        self.took("zip_map");
        let a = self.matrix(s, depth - 1);
        let b = self.matrix(s, depth - 1);
        let mut bound = 1.0 + a.bound + 0.5 * b.bound;
        let b = self.borrow(b);
        let cap = if self.cat_chance(0.5) {
            self.cat_scalar_var()
        } else {
            None
        };
        match cap {
            Some(c) => {
                bound += a.bound * c.bound;
                Expr::op(
                    "{0}.zip_map({1}, |zp, zq| (zp * zq).tanh() + zp - 0.5 * zq + zp * {2})",
                    vec![a, b, c],
                    Ty::Mat(s),
                    bound,
                )
            }
            None => Expr::op(
                "{0}.zip_map({1}, |zp, zq| (zp * zq).tanh() + zp - 0.5 * zq)",
                vec![a, b],
                Ty::Mat(s),
                bound,
            ),
        }
    }
}
