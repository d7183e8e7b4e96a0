//! Syntactically valid but odd programs: deep nesting, long chains, huge literals, unicode
//! and raw identifiers, shadowing, empty bodies, odd generics and qualifiers, macros in
//! every position.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;

/// The kinds of generated program.
pub const KINDS: &[&str] = &[
    "deep-nesting",
    "long-chain",
    "long-expression",
    "huge-literals",
    "unicode-idents",
    "raw-idents",
    "shadowing",
    "empty-body",
    "generics",
    "qualifiers",
    "macros",
    "signatures",
    "statements",
];

/// The deepest nesting generated.
pub const MAX_DEPTH: usize = 200;

/// The longest statement chain and binary expression generated.
pub const MAX_CHAIN: usize = 600;

/// The common parameter list: scalars, a matrix, data.
const PARAMS: &str = "x: f64, w: &DVector<f64>, flag: bool, k: usize, n: usize, opt: Option<f64>";

/// A generated program: its kind, attribute arguments and item, as source text.
pub struct Program {
    pub kind: &'static str,
    pub args: String,
    pub item: String,
}

/// A size in `1..=max`: `max` with probability `p_max`, else log-uniform (mostly small, so
/// that the default run stays quick).
fn size(rng: &mut StdRng, max: usize, p_max: f64) -> usize {
    if rng.random_bool(p_max) {
        return max;
    }
    let log = rng.random_range(0.0..(max as f64).ln());
    (log.exp() as usize).clamp(1, max)
}

/// A random program of a random kind.
pub fn program(rng: &mut StdRng) -> Program {
    let kind = *KINDS.choose(rng).unwrap_or(&"empty-body");
    let (args, item) = match kind {
        "deep-nesting" => deep(rng),
        "long-chain" => chain(rng),
        "long-expression" => long_expression(rng),
        "huge-literals" => huge_literals(rng),
        "unicode-idents" => unicode(rng),
        "raw-idents" => raw(rng),
        "shadowing" => shadowing(rng),
        "empty-body" => empty(rng),
        "generics" => generics(rng),
        "qualifiers" => qualifiers(rng),
        "signatures" => signatures(rng),
        "statements" => statements(rng),
        _ => macros(rng),
    };
    Program { kind, args, item }
}

/// `#[grad]`'s arguments: none, or some of the common parameters.
fn some_args(rng: &mut StdRng) -> String {
    ["", "x", "x, w", "w", "x, crate = ::ad"]
        .choose(rng)
        .copied()
        .unwrap_or("")
        .to_string()
}

/// An expression nested `depth` levels deep in blocks, branches, loops, matches, closures.
fn deep(rng: &mut StdRng) -> (String, String) {
    let depth = size(rng, MAX_DEPTH, 0.2);
    let single = rng.random_bool(0.5).then(|| rng.random_range(0..9));
    let mut open = String::new();
    let mut close = Vec::new();
    for level in 0..depth {
        let (o, c) = match single.unwrap_or_else(|| rng.random_range(0..9)) {
            0 => ("{ ".to_string(), " }".to_string()),
            1 => ("if flag { ".into(), " } else { y }".into()),
            2 => ("if let Some(c) = opt { c * ".into(), " } else { y }".into()),
            3 => ("match k { 0 => y, _ => ".into(), " }".into()),
            4 => ("loop { break ".into(), "; }".into()),
            5 => ("(|| ".into(), ")()".into()),
            6 => (format!("{{ let y = y * {level}.0; "), " }".into()),
            7 => (
                format!("{{ let mut a{level} = y; for _ in 0..n {{ a{level} = "),
                format!("; }} a{level} }}"),
            ),
            _ => ("(-(".into(), "))".into()),
        };
        open.push_str(&o);
        close.push(c);
    }
    close.reverse();
    let item = format!(
        "fn deep({PARAMS}) -> f64 {{ let y = x * w.sum(); {open} y * x {} }}",
        close.concat()
    );
    (some_args(rng), item)
}

/// A long chain of statements updating a scalar and a matrix.
fn chain(rng: &mut StdRng) -> (String, String) {
    let len = size(rng, MAX_CHAIN, 0.05);
    let mut body = String::from("let mut y = x; let mut v = w.clone(); ");
    for i in 0..len {
        let s = match rng.random_range(0..6) {
            0 => "y = y * x; ".to_string(),
            1 => format!("let z{i} = y + 1.0; y += z{i}; "),
            2 => "v = tanh(&v) + w; ".to_string(),
            3 => "y *= v.sum(); ".to_string(),
            4 => format!("let y = y.sin() + {i}.0; "),
            _ => "v = v.component_mul(w); ".to_string(),
        };
        body.push_str(&s);
    }
    (
        some_args(rng),
        format!("fn chain({PARAMS}) -> f64 {{ {body} y + v.sum() }}"),
    )
}

/// One binary expression of many operands, or many nested parentheses.
fn long_expression(rng: &mut StdRng) -> (String, String) {
    let len = size(rng, MAX_CHAIN, 0.05);
    let expr = if rng.random_bool(0.5) {
        let ops = ["+", "-", "*", "/"];
        let mut e = String::from("x");
        for _ in 0..len {
            e.push_str(ops.choose(rng).copied().unwrap_or("+"));
            e.push_str(if rng.random_bool(0.5) { "x" } else { "2.0" });
        }
        e
    } else {
        let depth = len.min(MAX_DEPTH);
        format!("{}x{}", "(".repeat(depth), ")".repeat(depth))
    };
    (
        some_args(rng),
        format!("fn long({PARAMS}) -> f64 {{ {expr} }}"),
    )
}

/// Out-of-range and oddly suffixed literals everywhere a literal can stand.
fn huge_literals(rng: &mut StdRng) -> (String, String) {
    let lits = [
        "1e400",
        "340282366920938463463374607431768211456",
        "1.0e-400",
        "0xFFFF_FFFF_FFFF_FFFF_FFFF_FFFF_FFFF_FFFF_u128",
        "999999999999999999999999999999999999999999.0",
        "1f32",
        "0.0",
        "18446744073709551616usize",
    ];
    let mut pick = || lits.choose(rng).copied().unwrap_or("1e400");
    let item = format!(
        "fn huge({PARAMS}) -> f64 {{ let a = x * {}; let b = w * {}; \
         for _ in 0..{} {{ }} let c = [{}; 3]; a + b.sum() * {} + c[0] }}",
        pick(),
        pick(),
        pick(),
        pick(),
        pick(),
    );
    (some_args(rng), item)
}

/// Parameters and locals named in Greek, Cyrillic, CJK and with combining characters.
fn unicode(rng: &mut StdRng) -> (String, String) {
    let args = ["", "ξ", "ξ, переменная", "変数", "ñ"]
        .choose(rng)
        .copied()
        .unwrap_or("");
    let item = "fn ünïcödé(ξ: f64, переменная: &DVector<f64>, 変数: f64, ñ: f64) -> f64 { \
                let λ = ξ * 変数; let μ = tanh(&(переменная * λ)); let ñ = ñ + λ; μ.sum() * ñ }";
    (args.to_string(), item.to_string())
}

/// Raw identifiers for the function, its parameters and locals, in every construct.
fn raw(rng: &mut StdRng) -> (String, String) {
    let args = ["", "r#match", "r#type, r#fn", "r#x", "r#match, crate = r#x"];
    let bodies = [
        "let r#let = r#match * r#fn; let r#x = r#type.map(|r#in| r#in * r#let); r#x.sum() + r#let",
        "let mut r#y = r#match; for r#i in 0..3 { r#y = r#y * r#fn; } r#y",
        "let mut r#y = r#match; if r#fn > 0.0 { r#y = r#y * r#fn; } r#y",
        "let r#f = |r#v: f64| r#v * r#fn; r#f(r#match) + r#type.sum()",
        "println!(\"{}\", r#match); r#match",
        "let r#y = r#match; let r#y = r#y * r#y; match 0 { r#z => r#y + r#fn }",
    ];
    let body = bodies.choose(rng).copied().unwrap_or("r#match");
    let item =
        format!("fn r#loop(r#match: f64, r#type: &DVector<f64>, r#fn: f64) -> f64 {{ {body} }}");
    (args.choose(rng).copied().unwrap_or("").to_string(), item)
}

/// Every name shadowed: the parameters, the function, the macro's helpers and types.
fn shadowing(rng: &mut StdRng) -> (String, String) {
    let item = "fn shadow(x: f64, w: &DVector<f64>, shadow: f64) -> f64 { \
                let x = x * 2.0; let x = x + shadow; let w = w * x; let w = tanh(&w); \
                let tanh = |v: f64| v; let shadow = tanh(x); let f64 = 3.0; \
                let __value = x * f64; let __cotangent = __value; let shadow_grad = 1.0; \
                let ShadowGrad = shadow_grad; let grad = __cotangent * ShadowGrad; \
                let x = { let x = x * grad; x }; x + w.sum() + shadow }";
    let args = ["", "x", "x, shadow", "w, x"]
        .choose(rng)
        .copied()
        .unwrap_or("");
    (args.to_string(), item.to_string())
}

/// Empty or nearly empty bodies and signatures.
fn empty(rng: &mut StdRng) -> (String, String) {
    let items = [
        "fn f(x: f64) -> f64 {}",
        "fn f() {}",
        "fn f(x: f64) {}",
        "fn f() -> f64 { 0.0 }",
        "fn f(x: f64) -> f64 { ; }",
        "fn f(x: f64) -> f64 { {} }",
        "fn f(_: f64) -> f64 { 1.0 }",
        "fn f(x: f64) -> ! { loop {} }",
        "fn f(x: f64) -> () { () }",
        "fn f(x: f64) -> f64 { x; }",
        "fn f(x: f64) -> f64 { return x; }",
        "fn f(x: f64) -> f64 { #![allow(unused)] x }",
    ];
    let item = items.choose(rng).copied().unwrap_or("fn f() {}");
    let args = ["", "x", "y", "_"].choose(rng).copied().unwrap_or("");
    (args.to_string(), item.to_string())
}

/// Generic, const-generic and lifetime-generic functions with odd bounds.
fn generics(rng: &mut StdRng) -> (String, String) {
    let items = [
        "fn g<T: RealField + Copy + ?Sized, const N: usize>(x: &SVector<T, N>) -> T { x.dot(x) }",
        "fn g<'a, T>(x: &'a T) -> T \
         where T: RealField + 'a, for<'b> &'b T: Mul<&'b T> { x.clone() }",
        "fn g<T: Dense<Tangent = T>, const N: usize, const M: bool>(x: &T) -> f64 \
         where [(); N]: { 0.0 }",
        "fn g<T = f64, U: Fn(T) -> T>(x: T, u: U) -> T where T: RealField { u(x) }",
        "fn g<const N: usize = 3>(x: &SVector<f64, { N + 1 }>) -> f64 { x.sum() }",
        "fn g<T: RealField>(x: impl Into<T>, w: &DVector<T>) -> T { w.sum() }",
        "fn g<T: ~const RealField>(x: T) -> T { x }",
        "fn g<T: RealField>(x: T) -> impl RealField { x }",
        "fn g<T>(x: T) -> T where T: RealField, T: Scalar, Self: Sized { x }",
    ];
    let item = items.choose(rng).copied().unwrap_or("fn g() {}");
    let args = ["", "x", "w", "x, u"].choose(rng).copied().unwrap_or("");
    (args.to_string(), item.to_string())
}

/// Qualifiers, visibilities, ABIs and attributes on the function.
fn qualifiers(rng: &mut StdRng) -> (String, String) {
    let heads = [
        "async fn",
        "unsafe fn",
        "extern \"C\" fn",
        "const fn",
        "const async unsafe extern \"C\" fn",
        "pub(crate) fn",
        "pub(in crate::m) unsafe extern fn",
        "#[inline(always)] #[must_use] pub fn",
        "#[doc = \"d\"] #[cfg(any())] fn",
        "#[grad] fn",
        "#[vjp(r)] fn",
        "default fn",
        "safe fn",
    ];
    let head = heads.choose(rng).copied().unwrap_or("fn");
    let item = format!("{head} q(x: f64, w: &DVector<f64>) -> f64 {{ x * w.sum() }}");
    (some_args(rng), item)
}

/// Macro invocations in every position: types, patterns, expressions, statements, items.
fn macros(rng: &mut StdRng) -> (String, String) {
    let items = [
        "fn m(x: ty!(), w: &DVector<m!()>) -> ret!() { x }",
        "fn m(x: f64) -> f64 { let pat!() = x; x }",
        "fn m(x: f64) -> f64 { stmt!(); x * e!(x) }",
        "fn m(x: f64) -> f64 { macro_rules! sq { ($e:expr) => { $e * $e }; } sq!(x) }",
        "fn m(x: f64) -> f64 { let v = vec![x; 3]; println!(\"{}\", x); v[0] }",
        "fn m(x: f64) -> f64 { println!(\"{x} {x:?} {{x}} {0} {x²} {١} {_}\", x); x }",
        "fn m(x: f64) -> f64 { m!{} m![] m!() }",
        "fn m(x: f64) -> f64 { let y = x * x; assert!(y >= 0.0); debug_assert_eq!(y, y); y }",
        "fn m(x: f64) -> f64 { compile_error!(\"inside\"); x }",
        "fn m(x: f64) -> f64 { let f = |v: f64| m!(v); f(x) }",
        "fn m(x: f64, w: &DVector<f64>) -> f64 { w.map(|e| e * m!(x)).sum() }",
        "fn m(x: f64) -> f64 { if m!(x) { x } else { m!(x) } }",
        "fn m(x: f64) -> f64 { for i in m!(0..3) { let _ = i; } x }",
        "fn m(x: f64) -> f64 { match x { m!() => x, _ => x } }",
    ];
    let item = items.choose(rng).copied().unwrap_or("fn m() {}");
    let args = ["", "x", "m!(x)", "x, w"]
        .choose(rng)
        .copied()
        .unwrap_or("");
    (args.to_string(), item.to_string())
}

/// Odd parameter patterns, parameter types and return types.
/// Odd parameters.
#[rustfmt::skip]
const SIG_PARAMS: &[&str] = &[
    "(a, b): (f64, f64)", "_: f64", "mut x: f64", "ref x: f64", "x @ _: f64", "x: &mut f64",
    "x: [f64; 3]", "x: (f64,)", "x: &&DVector<f64>", "x: Box<f64>", "self", "&self",
    "x: impl Fn(f64) -> f64", "x: &dyn Fn()", "x: *const f64", "x: !", "x: _", "x: f64, x: f64",
    "S { x }: S", "[a, b]: [f64; 2]", "x: &'static f64", "#[cfg(any())] y: f64", "x: f64,", "..",
    "x: <f64 as Tr>::Out", "x: fn(f64) -> f64", "x: Self",
];

/// Odd return types.
#[rustfmt::skip]
const SIG_OUTPUTS: &[&str] = &[
    "", "-> f64", "-> impl RealField", "-> (f64, f64)", "-> &f64", "-> Self", "-> !",
    "-> DVector<f64>", "-> [f64; 2]", "-> Option<f64>", "-> _", "-> dyn Fn()", "-> ()",
];

/// Statement forms the corpus does not use.
#[rustfmt::skip]
const STATEMENTS: &[&str] = &[
    "let Some(z) = opt else { return x; };", "'a: { break 'a; }", "let q = 'b: { break 'b x; };",
    "const { 1 };", "unsafe { x };", "let _ = async { x };",
    "let r = (|| -> f64 { return x; })();", "let t = opt?;",
    "let mut a = 0.0; let mut b = 0.0; a = b = x;",
    "let (mut p, mut q) = (x, x); (p, q) = (q, p);", "let _ = x;", "let (a, b) = (x, w.sum());",
];

/// Odd parameter patterns, parameter types and return types.
fn signatures(rng: &mut StdRng) -> (String, String) {
    let mut list: Vec<&str> = SIG_PARAMS.choose_multiple(rng, 3).copied().collect();
    list.truncate(rng.random_range(0..=3));
    let output = SIG_OUTPUTS.choose(rng).copied().unwrap_or("");
    let item = format!("fn sig({}) {output} {{ x }}", list.join(", "));
    let args = ["", "x", "a, b", "self", "x, x"]
        .choose(rng)
        .copied()
        .unwrap_or("");
    (args.to_string(), item)
}

/// A few statement forms the corpus does not use.
fn statements(rng: &mut StdRng) -> (String, String) {
    let mut body = String::new();
    for _ in 0..rng.random_range(1..=5) {
        body.push_str(STATEMENTS.choose(rng).copied().unwrap_or(";"));
        body.push(' ');
    }
    let item = format!("fn stmts({PARAMS}) -> f64 {{ {body} x * w.sum() }}");
    (some_args(rng), item)
}
