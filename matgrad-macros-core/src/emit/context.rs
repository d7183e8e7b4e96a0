//! What the proc-macro shim knows that the expansion cannot see from its tokens: how the
//! calling crate names the `matgrad` facade, and the source file around the function.

use proc_macro2::TokenStream;
use quote::quote;

/// The expansion's surroundings.
pub struct Context {
    /// The facade's path (`::matgrad`, or the name the calling crate gave the dependency).
    pub krate: TokenStream,
    /// The source file the function is in, if the compiler told us, and the line of its
    /// `fn` keyword (1-based).
    pub source: Option<(String, usize)>,
}

impl Default for Context {
    fn default() -> Self {
        Context {
            krate: quote!(::matgrad),
            source: None,
        }
    }
}

impl Context {
    /// Why `#[grad]` cannot stand where `func` is (inside an `impl` or `trait` block), if so.
    pub fn unsupported_position(&self, func: &syn::ItemFn) -> Option<String> {
        let (text, line) = self.source.as_ref()?;
        let offset = line_offset(text, *line)?;
        let name = func.sig.ident.to_string();
        match enclosing_block(text, offset)? {
            Block::Impl | Block::Trait => Some(format!(
                "`#[grad]` applies to a free function, not to an associated function or method: the gradient struct it \
                 generates cannot live in an `impl` or `trait` block; move `{name}` out of the block (a function taking \
                 the value as a parameter), and call it from the method"
            )),
            Block::Other => None,
        }
    }

    /// Whether a function named `name` is defined in the same source file with neither
    /// `#[grad]` nor `#[vjp]` (so calling it with a differentiated argument cannot work).
    pub fn defined_without_rule(&self, name: &str) -> bool {
        let Some((text, _)) = &self.source else {
            return false;
        };
        let clean = strip_comments_and_strings(text);
        let needle = format!("fn {name}");
        let mut found_plain = false;
        let mut found_rule = false;
        let mut start = 0;
        while let Some(pos) = clean[start..].find(&needle) {
            let at = start + pos;
            start = at + needle.len();
            let after = clean[start..].chars().next();
            let before = clean[..at].chars().last();
            if after.is_some_and(|c| c.is_alphanumeric() || c == '_')
                || before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            {
                continue;
            }
            let header_start = clean[..at].rfind(['}', ';', '{']).map_or(0, |p| p + 1);
            let header = &clean[header_start..at];
            if header.contains("grad") || header.contains("vjp") {
                found_rule = true;
            } else {
                found_plain = true;
            }
        }
        found_plain && !found_rule
    }
}

/// The byte offset of the start of `line` (1-based).
fn line_offset(text: &str, line: usize) -> Option<usize> {
    if line == 0 {
        return None;
    }
    if line == 1 {
        return Some(0);
    }
    text.match_indices('\n').nth(line - 2).map(|(i, _)| i + 1)
}

/// The kind of block a position is directly inside (ignoring plain `{}` blocks of code).
#[derive(Debug, PartialEq, Eq)]
enum Block {
    Impl,
    Trait,
    Other,
}

/// The innermost item-level block (`impl`, `trait`, `mod`, `fn`) enclosing `offset`.
fn enclosing_block(text: &str, offset: usize) -> Option<Block> {
    let clean = strip_comments_and_strings(text);
    let prefix = clean.get(..offset)?;
    let mut stack: Vec<Block> = Vec::new();
    let mut header_start = 0;
    for (i, c) in prefix.char_indices() {
        match c {
            '{' => {
                let header = prefix[header_start..i].trim();
                stack.push(classify(header));
                header_start = i + 1;
            }
            '}' => {
                stack.pop();
                header_start = i + 1;
            }
            ';' => header_start = i + 1,
            _ => {}
        }
    }
    Some(stack.pop().unwrap_or(Block::Other))
}

/// What a block's header (the text before its `{`) opens.
fn classify(header: &str) -> Block {
    let words: Vec<&str> = header
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let first_keyword = words.iter().find(|w| {
        matches!(
            **w,
            "impl"
                | "trait"
                | "fn"
                | "mod"
                | "struct"
                | "enum"
                | "if"
                | "for"
                | "while"
                | "loop"
                | "match"
                | "let"
                | "else"
        )
    });
    match first_keyword {
        Some(&"impl") => Block::Impl,
        Some(&"trait") => Block::Trait,
        _ => Block::Other,
    }
}

/// `text` with comments, string and character literals blanked out (same length), so
/// braces and keywords inside them are not seen.
fn strip_comments_and_strings(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for x in out.iter_mut().take(to.min(b.len())).skip(from) {
            if *x != b'\n' {
                *x = b' ';
            }
        }
    };
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(b.len(), |p| i + p);
                blank(&mut out, i, end);
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = text[i + 2..].find("*/").map_or(b.len(), |p| i + 2 + p + 2);
                blank(&mut out, i, end);
                i = end;
            }
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                blank(&mut out, i, j + 1);
                i = j + 1;
            }
            b'\'' if b.get(i + 2) == Some(&b'\'') || (b.get(i + 1) == Some(&b'\\')) => {
                let end = text[i + 1..].find('\'').map_or(b.len(), |p| i + 1 + p + 1);
                blank(&mut out, i, end);
                i = end;
            }
            _ => i += 1,
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(text: &str, line: usize) -> Context {
        Context {
            krate: quote!(::matgrad),
            source: Some((text.to_string(), line)),
        }
    }

    #[test]
    fn a_function_in_an_impl_block_is_found() {
        let text = "struct S;\nimpl S {\n    // { not a brace\n    #[grad]\n    fn f(x: f64) -> f64 { x }\n}\nfn g() {}\n";
        let f: syn::ItemFn = syn::parse_quote!(
            fn f(x: f64) -> f64 {
                x
            }
        );
        assert!(context(text, 5).unsupported_position(&f).is_some());
        assert!(context(text, 7).unsupported_position(&f).is_none());
        let text = "mod m {\n    fn h() { let s = \"impl {\"; }\n    #[grad]\n    fn f(x: f64) -> f64 { x }\n}\n";
        assert!(context(text, 4).unsupported_position(&f).is_none());
    }

    #[test]
    fn helpers_without_a_rule_are_found() {
        let text = "fn helper(x: f64) -> f64 { x }\n#[grad]\nfn sq(x: f64) -> f64 { x * x }\n#[vjp(r)]\nfn ruled(x: f64) -> f64 { x }\n";
        let c = context(text, 1);
        assert!(c.defined_without_rule("helper"));
        assert!(!c.defined_without_rule("sq"));
        assert!(!c.defined_without_rule("ruled"));
        assert!(!c.defined_without_rule("elsewhere"));
    }
}
