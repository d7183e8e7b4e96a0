//! The checks of the `models` family's functions, after the program's others: the value; the
//! gradient of a struct, slice or `Vec` parameter flattened (`to_flat`) against central
//! differences over its flattened entries (each perturbed value rebuilt by [`UNFLATTEN`]),
//! its entry count and skipped fields kept; with `forward`, `f_jvp`'s tangent against
//! ⟨∇f, v⟩ (`dot`), `f_hvp`'s H·v against differences of the gradient along v (`axpy`), and
//! once per program `f_hessian` over the flattened entries. Inputs and directions come from
//! streams of their own.

use super::{args, entries, literal, some};
use crate::ast::{Function, Param, Program};
use crate::model::Models;
use crate::ty::Ty;
use rand::rngs::StdRng;
use rand::SeedableRng;

/// The `Differentiable` method that rebuilds a value from flattened entries (`from_flat`
/// before its renaming): the one place the checkers name it.
pub const UNFLATTEN: &str = "unflatten";

/// The most differentiated entries of a function whose Hessian is checked (one HVP each).
const HESSIAN_ENTRIES: usize = 40;

/// The salts of the inputs' and the directions' streams.
const INPUT_SALT: u64 = 0xa54f_f53a_5f1d_36f1;
const DIRECTION_SALT: u64 = 0x510e_527f_ade6_82d1;

/// Whether a parameter is checked through its flattened entries (a struct, slice or `Vec`).
fn flattened(p: &Param) -> bool {
    matches!(p.ty, Ty::Model(_) | Ty::Mats { .. } | Ty::Layers(_))
}

/// `.to_flat()` for a flattened parameter.
fn flat(p: &Param) -> &'static str {
    if flattened(p) {
        ".to_flat()"
    } else {
        ""
    }
}

/// The checks of the program's model functions (none without the family).
pub fn checks(p: &Program) -> String {
    let Some(m) = &p.models else {
        return String::new();
    };
    let mut inputs = StdRng::seed_from_u64(p.seed ^ INPUT_SALT);
    let mut dirs = StdRng::seed_from_u64(p.seed ^ DIRECTION_SALT);
    let hessian = m.funcs.iter().rposition(|f| {
        f.forward
            && f.ret == Ty::Scalar
            && f.diff_params().map(|p| m.entries(p.ty)).sum::<usize>() <= HESSIAN_ENTRIES
    });
    let mut s = String::new();
    for (k, f) in m.funcs.iter().enumerate() {
        s.push_str(&function(m, f, &mut inputs, &mut dirs, hessian == Some(k)));
    }
    s
}

/// A call of `f` from the checker with parameter `i`'s argument replaced by `arg`.
fn call_with(f: &Function, i: usize, arg: &str) -> String {
    let mut a: Vec<String> = args(f, None).split(", ").map(String::from).collect();
    a[i] = arg.to_string();
    format!("{}({}){}", f.name, a.join(", "), some(f))
}

/// The checks of one function.
fn function(m: &Models, f: &Function, inputs: &mut StdRng, dirs: &mut StdRng, h: bool) -> String {
    let (n, all, some) = (&f.name, args(f, None), some(f));
    let mut s = format!("    out.function(\"{n}\", |out| {{\n");
    for p in &f.params {
        let value = p.fixed.clone().unwrap_or_else(|| m.value(p.ty, inputs));
        let ty = match p.ty {
            Ty::Slice { .. } => "Vec<DVector<f64>>".to_string(),
            t => t.rust(),
        };
        s.push_str(&format!("        let {}: {ty} = {value};\n", p.name));
    }
    s.push_str(&format!(
        "        let y0 = out.primal(|| {n}({all}){some})?;\n"
    ));
    let scalar = f.ret == Ty::Scalar;
    if scalar {
        s.push_str(&format!(
            "        let (y, g) = {n}_grad({all}){some};\n        out.value(&y, &y0);\n"
        ));
    } else {
        let cot = literal(f.ret, inputs);
        s.push_str(&format!(
            "        let (y, pb) = {n}_pullback({all}){some};\n        out.value(&y, &y0);\n        let cot: {} = {cot};\n        let g = pb(&cot);\n",
            f.ret.rust()
        ));
    }
    for (i, p) in f.params.iter().enumerate() {
        if p.diff {
            s.push_str(&grad_check(m, f, i, p, scalar));
        }
    }
    if f.forward {
        s.push_str(&forward(m, f, dirs, h));
    }
    s.push_str("        Some(())\n    });\n");
    s
}

/// The gradient of parameter `i`, `p`: against central differences of `f` (or of ⟨cot, f⟩),
/// over the flattened entries for a struct, slice or `Vec`, whose entry count and skipped
/// fields are checked first.
fn grad_check(m: &Models, f: &Function, i: usize, p: &Param, scalar: bool) -> String {
    let pn = &p.name;
    let mut s = String::new();
    let call = if flattened(p) {
        let (want, got) = (m.entries(p.ty), format!("{pn}.entry_count()"));
        s.push_str(&format!("        out.kept(\"{got}\", {got}, {want});\n"));
        for path in m.skipped(p.ty) {
            s.push_str(&format!(
                "        out.kept(\"g.{pn}{path}\", g.{pn}{path}, {pn}{path});\n"
            ));
        }
        call_with(f, i, &format!("&{pn}.{UNFLATTEN}(q)"))
    } else {
        format!("{}({}){}", f.name, args(f, Some(i)), some(f))
    };
    let value = if scalar {
        call
    } else {
        format!("inner(&cot, &{call})")
    };
    let (arg, fl) = (if flattened(p) { "q" } else { pn }, flat(p));
    s.push_str(&format!(
        "        out.grad(\"{pn}\", &g.{pn}{fl}, &{pn}{fl}, |{arg}| {value});\n"
    ));
    s
}

/// The forward companions' checks, as the `forward` family's (`super::forward`), with the
/// flattened parameters' directions built by [`UNFLATTEN`], their tangents by `dot`, their
/// shifts by `axpy`.
fn forward(m: &Models, f: &Function, rng: &mut StdRng, hessian: bool) -> String {
    let (n, all, some) = (&f.name, args(f, None), some(f));
    let diff: Vec<&Param> = f.diff_params().collect();
    let mut s = String::new();
    for p in &diff {
        let v = if flattened(p) {
            let e = entries(rng, m.entries(p.ty));
            format!("{}.{UNFLATTEN}(&DVector::from_vec(vec![{e}]))", p.name)
        } else {
            literal(p.ty, rng)
        };
        s.push_str(&format!(
            "        let v_{}: {} = {v};\n",
            p.name,
            p.ty.rust()
        ));
    }
    let dirs = join(&diff, ", ", |p| format!("&v_{}", p.name));
    let terms = join(&diff, ", ", |p| {
        let pn = &p.name;
        if flattened(p) {
            format!("(g.{pn}.dot(&v_{pn}), terms(&g.{pn}.to_flat(), &v_{pn}.to_flat()).1)")
        } else {
            format!("terms(&g.{pn}, &v_{pn})")
        }
    });
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
    let shifts = join(&diff, " ", |p| {
        let pn = &p.name;
        if flattened(p) {
            format!("let mut {pn} = {pn}.clone(); {pn}.axpy(h, &v_{pn});")
        } else {
            format!("let {pn} = shift(&{pn}, &v_{pn}, h);")
        }
    });
    for p in &diff {
        let (pn, fl) = (&p.name, flat(p));
        s.push_str(&format!(
            "        out.same_grad(\"f_hvp\", \"{pn}\", &g_h.{pn}{fl}, &g.{pn}{fl});\n        out.hvp(\"{pn}\", &hv.{pn}{fl}, &g.{pn}{fl}, |h| {{ {shifts} {n}_grad({all}){some}.1.{pn}{fl} }});\n"
        ));
    }
    if hessian {
        s.push_str(&hessian_check(f, &diff));
    }
    s
}

/// `f_hessian`: its value and gradient, symmetric, its column k `f_hvp`'s along the k-th unit
/// direction of the flattened parameters (offsets from `entry_count()`).
fn hessian_check(f: &Function, diff: &[&Param]) -> String {
    let (n, all, some) = (&f.name, args(f, None), some(f));
    let mut s = format!(
        "        let (y_hs, g_hs, hs) = {n}_hessian({all}){some};\n        out.value(&y_hs, &y0);\n"
    );
    let mut offset = "0".to_string();
    let (mut units, mut cols) = (Vec::new(), String::new());
    for p in diff {
        let (pn, fl) = (&p.name, flat(p));
        s.push_str(&format!(
            "        out.same_grad(\"f_hessian\", \"{pn}\", &g_hs.{pn}{fl}, &g.{pn}{fl});\n"
        ));
        if flattened(p) {
            units.push(format!(
                "&{pn}.{UNFLATTEN}(&unit(&{pn}.to_flat(), k, {offset}))"
            ));
            offset = format!("{offset} + {pn}.entry_count()");
        } else {
            units.push(format!("&unit(&v_{pn}, k, {offset})"));
            offset = format!("{offset} + {}", p.ty.shape().map_or(1, |s| s.len()));
        }
        cols.push_str(&format!(" c.extend(flat(&hk.{pn}{fl}));"));
    }
    s.push_str(&format!(
        "        let mut cols = Vec::new();\n        for k in 0..{offset} {{\n            let (_, _, hk) = {n}_hvp({all}, {}){some};\n            let mut c = Vec::new();{cols}\n            cols.push(c);\n        }}\n        out.hessian(&hs, &cols);\n",
        units.join(", ")
    ));
    s
}

/// The parameters through `f`, joined by `sep`.
fn join(params: &[&Param], sep: &str, f: impl Fn(&Param) -> String) -> String {
    let items: Vec<String> = params.iter().map(|p| f(p)).collect();
    items.join(sep)
}
