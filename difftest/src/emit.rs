//! Writes a program as a module of a scratch crate: the functions, a checker that builds
//! seeded inputs and compares values and gradients (the `support` module, in
//! `scratch/support.rs`), and the same functions without the attributes in `mod plain`,
//! which tells a generator mistake (the plain code does not compile) from a finding.

mod forward;
pub mod models;

use crate::ast::{Function, Program, Taking};
use crate::ty::{Shape, Ty};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The checker every module uses.
pub const SUPPORT: &str = include_str!("../scratch/support.rs");

/// A module's source and the 1-based line ranges of its parts.
pub struct Module {
    /// The source.
    pub source: String,
    /// Lines of the `#[grad]` functions and rules.
    pub functions: (usize, usize),
    /// Lines of the plain copy.
    pub plain: (usize, usize),
}

const HEADER: &str = "#![allow(warnings)]\n\
use matgrad::{grad, vjp, Broadcast};\n\
use nalgebra::{DMatrix, DVector, RowDVector, SMatrix, SVector};\n\
use crate::support::*;\n\n";

/// The module of a program.
pub fn module(p: &Program) -> Module {
    let mut s = String::from(HEADER);
    if p.models.is_some() {
        // The checks of the `models` family call `to_flat`, `dot`, .. (`emit/models.rs`).
        s = s.replace("*;\n\n", "*;\nuse matgrad::Differentiable;\n\n");
    }
    let start = lines(&s) + 1;
    s.push_str(&p.render_functions());
    let functions = (start, lines(&s));
    s.push_str(&checker(p));
    let start = lines(&s) + 1;
    s.push_str("\nmod plain {\n    use matgrad::Broadcast;\n    use nalgebra::{DMatrix, DVector, RowDVector, SMatrix, SVector};\n");
    if let Some(m) = &p.models {
        s.push_str(&m.imports());
    }
    s.push('\n');
    for v in &p.vjps {
        // Without the `#[vjp]` and `#[jvp]` attributes (of the rule and of its tangent).
        for line in v.source.lines().filter(|l| !l.starts_with("#[")) {
            s.push_str(line);
            s.push('\n');
        }
        s.push('\n');
    }
    let model_funcs = p.models.iter().flat_map(|m| &m.funcs);
    for f in p.funcs.iter().chain(model_funcs) {
        let src = f.render();
        s.push_str(src.split_once('\n').map_or("", |(_, rest)| rest));
        s.push('\n');
    }
    s.push_str("}\n");
    let end = lines(&s);
    Module {
        source: s,
        functions,
        plain: (start, end),
    }
}

/// A standalone reproducer: the module, the support code inlined, and a `main`.
pub fn reproducer(p: &Program, header: &str) -> String {
    let m = module(p);
    format!(
        "{header}\n{}\nmod support {{\n{SUPPORT}}}\n\nfn main() {{\n    support::quiet();\n    let mut out = support::Out::new(\"{}\");\n    check(&mut out);\n}}\n",
        m.source,
        p.module()
    )
}

fn lines(s: &str) -> usize {
    s.matches('\n').count()
}

/// `pub fn check(out: &mut Out)`: every function of the program, on seeded inputs.
fn checker(p: &Program) -> String {
    let mut rng = StdRng::seed_from_u64(p.seed ^ 0x5eed_1a7e);
    let mut fw = forward::Checks::new(p);
    let mut s = String::from("pub fn check(out: &mut Out) {\n");
    for (k, f) in p.funcs.iter().enumerate() {
        s.push_str(&check_function(f, &mut rng, &mut fw, k));
    }
    s.push_str(&models::checks(p));
    s.push_str("    out.finish();\n}\n");
    s
}

/// Random entries in ±[0.05, 1], away from zero (relu and abs kinks).
fn entries(rng: &mut StdRng, n: usize) -> String {
    let v: Vec<String> = (0..n)
        .map(|_| {
            let m: f64 = rng.random_range(0.05..1.0);
            let sign = if rng.random_bool(0.5) { -1.0 } else { 1.0 };
            format!("{:?}", (sign * m * 1000.0).round() / 1000.0)
        })
        .collect();
    v.join(", ")
}

/// A literal value of a type.
pub fn literal(ty: Ty, rng: &mut StdRng) -> String {
    match ty {
        Ty::Scalar => entries(rng, 1),
        Ty::Mat(s) => s.from_rows(&entries(rng, s.len())),
        Ty::Slice { n, len } => {
            let items: Vec<String> = (0..len)
                .map(|_| Shape::dvec(n).from_rows(&entries(rng, n)))
                .collect();
            format!("vec![{}]", items.join(", "))
        }
        Ty::Usize => "2".into(),
        Ty::Bool => "true".into(),
        // The `models` family's values need the program's structs (`Models::value`).
        Ty::Model(_) | Ty::Mats { .. } | Ty::Layers(_) => panic!("a value of {ty:?}"),
    }
}

/// The arguments of a call to `f` from the checker, with parameter `probe` (if any)
/// replaced by the closure's argument.
fn args(f: &Function, probe: Option<usize>) -> String {
    let a: Vec<String> = f
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let name = &p.name;
            match (probe == Some(i), p.ty, p.by_ref) {
                (true, Ty::Scalar, false) => format!("*{name}"),
                (true, _, true) => name.clone(),
                (true, _, false) => format!("{name}.clone()"),
                (false, Ty::Mat(_), false) => format!("{name}.clone()"),
                (false, _, true) => format!("&{name}"),
                (false, _, false) => name.clone(),
            }
        })
        .collect();
    a.join(", ")
}

/// The checks of `f`, function `k` of its program: value, gradient, then (with `forward`)
/// the forward companions.
fn check_function(f: &Function, rng: &mut StdRng, fw: &mut forward::Checks, k: usize) -> String {
    let n = &f.name;
    let mut s = format!("    out.function(\"{n}\", |out| {{\n");
    for p in &f.params {
        let value = p.fixed.clone().unwrap_or_else(|| literal(p.ty, rng));
        let ty = match p.ty {
            Ty::Slice { .. } => "Vec<DVector<f64>>".to_string(),
            t => t.rust(),
        };
        s.push_str(&format!("        let {}: {ty} = {value};\n", p.name));
    }
    let all = args(f, None);
    let some = some(f);
    s.push_str(&format!(
        "        let y0 = out.primal(|| {n}({all}){some})?;\n"
    ));
    let scalar = f.ret == Ty::Scalar;
    if scalar {
        s.push_str(&format!(
            "        let (y, g) = {n}_grad({all}){some};\n        out.value(&y, &y0);\n"
        ));
        s.push_str(&with_workspace(
            f,
            &format!("{n}_grad_with(&mut ws, {all}){some}"),
            "&yw",
        ));
    } else {
        let cot = literal(f.ret, rng);
        s.push_str(&format!(
            "        let (y, pb) = {n}_pullback({all}){some};\n        out.value(&y, &y0);\n        let cot: {} = {cot};\n        let g = pb(&cot);\n",
            f.ret.rust()
        ));
        let call = format!("{n}_pullback_with(&mut ws, {all}, &cot){some}");
        s.push_str(&with_workspace(f, &call, "yw"));
    }
    for (i, p) in f.params.iter().enumerate() {
        if !p.diff {
            continue;
        }
        let call = format!("{n}({}){some}", args(f, Some(i)));
        let value = if scalar {
            call
        } else {
            format!("inner(&cot, &{call})")
        };
        let pn = &p.name;
        s.push_str(&format!(
            "        out.grad(\"{pn}\", &g.{pn}, &{pn}, |{pn}| {value});\n"
        ));
    }
    s.push_str(&fw.function(f, k, some));
    s.push_str("        Some(())\n    });\n");
    s
}

/// `call` (`f_grad_with` or `f_pullback_with`) twice in one workspace, the second in the
/// first one's recycled buffers, each value (`value`, a reference to `yw`) and gradient held
/// to the ones `f_grad` or `f_pullback` gave (`y0`, `g`).
fn with_workspace(f: &Function, call: &str, value: &str) -> String {
    let same: String = f
        .params
        .iter()
        .filter(|p| p.diff)
        .map(|p| {
            let pn = &p.name;
            format!("            out.same(\"{pn} (workspace)\", &gw.{pn}, &g.{pn});\n")
        })
        .collect();
    format!(
        "        let mut ws = matgrad::Workspace::new();\n        for _ in 0..2 {{\n            let (yw, gw) = {call};\n            out.value({value}, &y0);\n{same}        }}\n"
    )
}

/// How the checker unwraps `f`'s results: a function returning `Option` or `Result` (`?`
/// in its body) is `Some` or `Ok` at the inputs drawn.
fn some(f: &Function) -> &'static str {
    match f.taking {
        Taking::Try | Taking::TryOr => ".expect(\"a value at these inputs\")",
        _ => "",
    }
}
