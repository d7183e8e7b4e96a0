//! Token fragments for the mutators: keywords, identifiers, literals, punctuation and
//! short token sequences, lexed on demand.

use proc_macro2::{TokenStream, TokenTree};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;

/// Keywords, strict and reserved, and `_`.
#[rustfmt::skip]
pub const KEYWORDS: &[&str] = &[
    "fn", "let", "mut", "if", "else", "match", "loop", "while", "for", "in", "return", "break",
    "continue", "move", "async", "await", "unsafe", "impl", "dyn", "where", "self", "Self",
    "super", "crate", "type", "struct", "enum", "const", "static", "ref", "as", "yield", "try",
    "union", "macro_rules", "_", "true", "false", "extern", "pub", "mod", "use", "trait", "box",
    "become", "do", "gen", "abstract", "final", "virtual",
];

/// Identifiers the macro or the corpus give a meaning to, and odd ones.
#[rustfmt::skip]
pub const IDENTS: &[&str] = &[
    "x", "y", "w", "s", "a", "b", "n", "t", "f64", "f32", "usize", "bool", "DVector", "DMatrix",
    "SVector", "RealField", "Dense", "tanh", "sigmoid", "grad", "vjp", "map", "sum",
    "dot", "component_mul", "transpose", "norm_squared", "clone", "unwrap", "exp", "ln", "powi",
    "iter", "zip", "fold", "len", "rev", "step_by", "__value", "__cotangent", "__kept", "__c0",
    "ñ", "переменная", "変数", "r#match", "r#type", "x_grad", "XGrad", "x_pullback", "X_GRAPH",
    "Some", "None", "Ok", "Err", "vec", "println", "compile_error", "core", "std", "matgrad",
    "__private", "Option", "Box", "Fn", "impl_", "main", "ƒ", "_x",
];

/// Literals of every kind, and out-of-range ones.
#[rustfmt::skip]
pub const LITERALS: &[&str] = &[
    "0", "1", "2.0", "1e400", "-0.0", "340282366920938463463374607431768211456", "1.0f32",
    "0xFFu8", "\"s\"", "b'a'", "'c'", "1usize", "1.5e-3_f64", "0b1010", "r#\"raw\"#", "c\"c\"",
    "1i128", "1.", "1e10", "b\"bytes\"", "999999999999999999999999999999999999999999.0",
    "0.0e0f64", "'\\u{10FFFF}'", "\"\\n\"", "1_000_000", "0o777", "1f64", "1suffix", "'\\0'",
    "\"{x} {x:?} {{x}} {0}\"", "\"{x²}\"", "\"{١}\"", "\"{_}\"", "\"{self}\"", "r\"{x}\"",
];

/// Token sequences to insert: punctuation, lifetimes, attributes, tiny expressions.
#[rustfmt::skip]
pub const INSERTS: &[&str] = &[
    ".", "::", "#", "!", "&mut", "'a", "?", "=>", "..=", "..", "...", ";", ",", "=", "<", ">",
    "->", "|", "||", "&&", "&", "@", "$", "~", "*", "+", "-", "/", "%", "^", "+=", "*=", ":",
    "<<=", "#[cfg(any())]", "#[allow(x)]", "#![allow(x)]", "'l:", "break 'a", "|x|", "move ||",
    "as f64", ".await", "::<>", "<T>", "dyn", "()", "[]", "{}", "m!()", "m![]", "m!{}", "let",
    "mut", "return", "x", "1.0", "-", "unsafe {}", "(x,)", "[x; 3]", "#[grad]", "'static",
    "let _ = 0;", "yield", "? ?", "::x", "r#x", "::<f64>", "<f64 as Tr>::", "&&mut", "**",
];

/// Single punctuation tokens.
#[rustfmt::skip]
pub const PUNCTS: &[&str] = &[

];

/// One of the fragment lists' entries, lexed.
pub fn lex(rng: &mut StdRng, list: &[&str]) -> TokenStream {
    let text = list.choose(rng).copied().unwrap_or("x");
    text.parse().unwrap_or_default()
}

/// Random fragments: identifiers, keywords, literals, punctuation.
pub fn garbage(rng: &mut StdRng) -> TokenStream {
    let lists = [IDENTS, KEYWORDS, LITERALS, INSERTS];
    let mut out = TokenStream::new();
    for _ in 0..rng.random_range(1..=6) {
        let list = lists.choose(rng).copied().unwrap_or(IDENTS);
        out.extend(lex(rng, list));
    }
    out
}

/// The identifiers of `tokens`, at any depth.
pub fn idents(tokens: TokenStream, out: &mut Vec<proc_macro2::Ident>) {
    for tt in tokens {
        match tt {
            TokenTree::Ident(i) => out.push(i),
            TokenTree::Group(g) => idents(g.stream(), out),
            _ => {}
        }
    }
}
