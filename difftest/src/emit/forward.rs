//! The checks of the forward companions (the `forward` family), written after a function's
//! value and gradient checks: `f_jvp`'s value and tangent against `f_grad` (or the pullback),
//! `f_hvp`'s gradient and H·v (against central differences of `f_grad` along the
//! directions), and, once per program, `f_hessian` (symmetric, its columns `f_hvp`'s along
//! unit directions). The directions come from a stream of their own, so that the inputs of
//! the other checks are what they are without `forward`.

use super::{args, literal};
use crate::ast::{Function, Param, Program};
use crate::ty::Ty;
use rand::rngs::StdRng;
use rand::SeedableRng;

/// The most differentiated entries of a function whose Hessian is checked (one HVP each).
const HESSIAN_ENTRIES: usize = 12;

/// The forward checks of a program's functions.
pub struct Checks {
    rng: StdRng,
    /// The function whose `f_hessian` is checked.
    hessian: Option<usize>,
}

/// Number of entries of a float parameter.
fn entries(p: &Param) -> usize {
    match p.ty {
        Ty::Mat(s) => s.len(),
        _ => 1,
    }
}

impl Checks {
    /// The checks of `p` (the main function's Hessian if it is float-valued and small enough,
    /// else the last such helper's).
    pub fn new(p: &Program) -> Checks {
        let hessian = p.funcs.iter().rposition(|f| {
            f.forward
                && f.ret == Ty::Scalar
                && f.diff_params().map(entries).sum::<usize>() <= HESSIAN_ENTRIES
        });
        Checks {
            rng: StdRng::seed_from_u64(p.seed ^ 0xf0a4_d5ee_d1e7_7a55),
            hessian,
        }
    }

    /// The forward checks of function `k`, `f` (none without `forward`); `some` unwraps a
    /// fallible function's results.
    pub fn function(&mut self, f: &Function, k: usize, some: &str) -> String {
        if !f.forward {
            return String::new();
        }
        let (n, all) = (&f.name, args(f, None));
        let diff: Vec<&Param> = f.diff_params().collect();
        let mut s = String::new();
        for p in &diff {
            let v = literal(p.ty, &mut self.rng);
            s.push_str(&format!(
                "        let v_{}: {} = {v};\n",
                p.name,
                p.ty.rust()
            ));
        }
        let dirs = join(&diff, ", ", |p| format!("&v_{p}"));
        let terms = join(&diff, ", ", |p| format!("terms(&g.{p}, &v_{p})"));
        let got = if f.ret == Ty::Scalar {
            "(t, t.abs())"
        } else {
            "terms(&cot, &t)"
        };
        s.push_str(&format!(
            "        let (y_t, t) = {n}_jvp({all}, {dirs}){some};\n        out.value(&y_t, &y0);\n        out.tangent({got}, &[{terms}]);\n"
        ));
        if f.ret != Ty::Scalar {
            return s;
        }
        s.push_str(&format!(
            "        let (y_h, g_h, hv) = {n}_hvp({all}, {dirs}){some};\n        out.value(&y_h, &y0);\n"
        ));
        let shifts = join(&diff, " ", |p| format!("let {p} = shift(&{p}, &v_{p}, h);"));
        for p in &diff {
            let p = &p.name;
            s.push_str(&format!(
                "        out.same_grad(\"f_hvp\", \"{p}\", &g_h.{p}, &g.{p});\n        out.hvp(\"{p}\", &hv.{p}, &g.{p}, |h| {{ {shifts} {n}_grad({all}){some}.1.{p} }});\n"
            ));
        }
        if self.hessian == Some(k) {
            s.push_str(&hessian(f, &diff, some));
        }
        s
    }
}

/// `f_hessian`'s checks: its value and gradient, symmetry, columns against `f_hvp`.
fn hessian(f: &Function, diff: &[&Param], some: &str) -> String {
    let (n, all) = (&f.name, args(f, None));
    let mut s = format!(
        "        let (y_hs, g_hs, hs) = {n}_hessian({all}){some};\n        out.value(&y_hs, &y0);\n"
    );
    let mut offset = 0;
    let mut units = Vec::new();
    let mut cols = String::new();
    for p in diff {
        let p_ = &p.name;
        s.push_str(&format!(
            "        out.same_grad(\"f_hessian\", \"{p_}\", &g_hs.{p_}, &g.{p_});\n"
        ));
        units.push(format!("&unit(&v_{p_}, k, {offset})"));
        cols.push_str(&format!(" c.extend(flat(&hk.{p_}));"));
        offset += entries(p);
    }
    s.push_str(&format!(
        "        let mut cols = Vec::new();\n        for k in 0..{offset} {{\n            let (_, _, hk) = {n}_hvp({all}, {}){some};\n            let mut c = Vec::new();{cols}\n            cols.push(c);\n        }}\n        out.hessian(&hs, &cols);\n",
        units.join(", ")
    ));
    s
}

/// The parameters' names through `f`, joined by `sep`.
fn join(params: &[&Param], sep: &str, f: impl Fn(&str) -> String) -> String {
    let items: Vec<String> = params.iter().map(|p| f(&p.name)).collect();
    items.join(sep)
}
