//! Long straight code in blocks of at most [`CHUNK`] statements, each returning the bindings
//! read after it: `let (a, mut b) = { ..; (a, b) };`.
//!
//! Every `let` opens a scope nested in the previous one, and rustc describes each scope to
//! LLVM's debug info; a function of thousands of `let`s nests thousands deep, which makes the
//! debug build quadratic and, past about 3 000, overflows the compiler's stack. In blocks,
//! the nesting is at most the number of blocks plus a block's length.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;
use std::collections::{HashMap, HashSet};
use syn::parse::ParseStream;
use syn::{Expr, Ident, Pat, Stmt, Token};

/// The most statements of one block.
pub const CHUNK: usize = 64;

/// `forward` (statements) in blocks, where it is longer than two blocks: each exports the
/// bindings it defines that a later statement or `later` mentions. A binding holding a
/// reference to something of its block (`references`, and `let r = &(..)`) cannot leave it:
/// a block ends only after the last statement that mentions such a binding, and it is not
/// exported (`later` code that reads one evaluates it again). Items are hoisted before the
/// blocks (they are visible in the whole body either way). Unchanged if it does not parse
/// as statements.
pub fn chunked(
    forward: TokenStream,
    later: &[&TokenStream],
    references: &HashSet<String>,
) -> TokenStream {
    let Some(stmts) = statements(forward.clone()) else {
        return forward;
    };
    if stmts.len() <= 2 * CHUNK {
        return forward;
    }
    let (items, stmts): (Vec<Statement>, Vec<Statement>) = stmts
        .into_iter()
        .partition(|s| matches!(s.stmt, Stmt::Item(_)));
    let defined: Vec<Vec<(Ident, bool)>> = stmts.iter().map(|s| bindings(&s.stmt)).collect();
    // The last statement that mentions each name (`stmts.len()` for `later`).
    let mut last: HashMap<String, usize> = HashMap::new();
    for (k, stmt) in stmts.iter().enumerate() {
        mentions(stmt.tokens.clone(), &mut |name| {
            last.insert(name, k);
        });
    }
    // A reference binding stays in its block: `later` code that reads one binds it again.
    let last_forward = last.clone();
    for t in later {
        mentions((*t).clone(), &mut |name| {
            last.insert(name, stmts.len());
        });
    }
    let read_from = |name: &str, k: usize| last.get(name).is_some_and(|&l| l >= k);
    let mut out: TokenStream = items.into_iter().map(|s| s.tokens).collect();
    let mut start = 0;
    for end in 1..=stmts.len() {
        let long_enough = end - start >= CHUNK;
        let reference =
            |name: &str| references.contains(name) || borrows_temporary(&stmts[start..end], name);
        let pinned = || {
            defined[start..end].iter().flatten().any(|(name, _)| {
                let name = name.to_string();
                last_forward.get(&name).is_some_and(|&l| l >= end) && reference(&name)
            })
        };
        if end == stmts.len() || (long_enough && !pinned()) {
            let exports = exports(&defined[start..end], |name| {
                read_from(name, end) && !reference(name)
            });
            out.extend(block(&stmts[start..end], &exports));
            start = end;
        }
    }
    out
}

/// A statement and its tokens as they came (not quoted again from the syntax tree).
struct Statement {
    stmt: Stmt,
    tokens: TokenStream,
}

/// The statements of `tokens` as `Block::parse_within` parses them (empty ones dropped),
/// each with its own tokens (quoted again from the syntax tree only when the last is an
/// expression without `;`); `None` if they do not parse.
fn statements(tokens: TokenStream) -> Option<Vec<Statement>> {
    let parser = |input: ParseStream| -> syn::Result<Vec<Statement>> {
        let mut out = Vec::new();
        loop {
            while input.parse::<Option<Token![;]>>()?.is_some() {}
            if input.is_empty() {
                return Ok(out);
            }
            let (start, stmt) = (input.cursor(), input.parse::<Stmt>()?);
            let (mut at, end) = (start, input.cursor());
            let mut trees: Vec<TokenTree> = Vec::new();
            while at != end {
                let Some((tree, next)) = at.token_tree() else {
                    break;
                };
                trees.push(tree);
                at = next;
            }
            out.push(Statement {
                stmt,
                tokens: trees.into_iter().collect(),
            });
        }
    };
    syn::parse::Parser::parse2(parser, tokens.clone())
        .or_else(|_| {
            let stmts = syn::parse::Parser::parse2(syn::Block::parse_within, tokens)?;
            let quoted = |stmt: Stmt| Statement {
                tokens: quote!(#stmt),
                stmt,
            };
            Ok::<_, syn::Error>(stmts.into_iter().map(quoted).collect())
        })
        .ok()
}

/// The names among `defined` that `read_after` holds for, once each, `mut` if any binding of
/// it is.
fn exports(
    defined: &[Vec<(Ident, bool)>],
    read_after: impl Fn(&str) -> bool,
) -> Vec<(Ident, bool)> {
    let mut exports: Vec<(Ident, bool)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (name, mutable) in defined.iter().flatten() {
        let key = name.to_string();
        if !read_after(&key) {
            continue;
        }
        match index.get(&key) {
            Some(&k) => exports[k].1 |= *mutable,
            None => {
                index.insert(key, exports.len());
                exports.push((name.clone(), *mutable));
            }
        }
    }
    exports
}

/// `let (a, mut b) = { stmts; (a, b) };` exporting `exports`.
fn block(stmts: &[Statement], exports: &[(Ident, bool)]) -> TokenStream {
    let stmts = stmts.iter().map(|s| &s.tokens);
    if exports.is_empty() {
        return quote!({ #(#stmts)* });
    }
    let idents = exports.iter().map(|(i, _)| i);
    let pats = exports.iter().map(|(i, m)| match m {
        true => quote!(mut #i),
        false => quote!(#i),
    });
    quote!(let (#(#pats,)*) = { #(#stmts)* (#(#idents,)*) };)
}

/// The names a statement binds (a `let`'s pattern), with whether each is `mut`.
fn bindings(stmt: &Stmt) -> Vec<(Ident, bool)> {
    let mut out = Vec::new();
    if let Stmt::Local(l) = stmt {
        pattern(&l.pat, &mut out);
    }
    out
}

fn pattern(pat: &Pat, out: &mut Vec<(Ident, bool)>) {
    match pat {
        Pat::Ident(i) => {
            out.push((i.ident.clone(), i.mutability.is_some()));
            if let Some((_, sub)) = &i.subpat {
                pattern(sub, out);
            }
        }
        Pat::Tuple(t) => t.elems.iter().for_each(|p| pattern(p, out)),
        Pat::Type(t) => pattern(&t.pat, out),
        Pat::Paren(p) => pattern(&p.pat, out),
        Pat::Reference(r) => pattern(&r.pat, out),
        Pat::Slice(s) => s.elems.iter().for_each(|p| pattern(p, out)),
        Pat::TupleStruct(t) => t.elems.iter().for_each(|p| pattern(p, out)),
        Pat::Struct(s) => s.fields.iter().for_each(|f| pattern(&f.pat, out)),
        _ => {}
    }
}

/// Whether `name` is bound among `stmts` to a borrow of a temporary
/// (`let r = &(a * b);`), which lives only as long as the block.
fn borrows_temporary(stmts: &[Statement], name: &str) -> bool {
    stmts.iter().any(|s| match &s.stmt {
        Stmt::Local(l) => {
            let binds = bindings(&s.stmt).iter().any(|(n, _)| n == name);
            binds
                && l.init.as_ref().is_some_and(|init| match &*init.expr {
                    Expr::Reference(r) => !matches!(&*r.expr, Expr::Path(_)),
                    _ => false,
                })
        }
        _ => false,
    })
}

/// Calls `found` with each identifier `tokens` mention as a name (not after `.`, not before
/// `::`).
fn mentions(tokens: TokenStream, found: &mut dyn FnMut(String)) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let punct =
        |k: usize, c: char| matches!(tokens.get(k), Some(TokenTree::Punct(p)) if p.as_char() == c);
    for (k, tt) in tokens.iter().enumerate() {
        match tt {
            TokenTree::Group(g) => mentions(g.stream(), found),
            TokenTree::Ident(i) => {
                let after_dot = k > 0 && punct(k - 1, '.');
                let before_path = punct(k + 1, ':') && punct(k + 2, ':');
                if !after_dot && !before_path {
                    found(i.to_string());
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long(n: usize) -> TokenStream {
        let mut out = quote!(let mut a0 = x;);
        for k in 1..n {
            let (prev, this) = (
                syn::Ident::new(&format!("a{}", k - 1), proc_macro2::Span::call_site()),
                syn::Ident::new(&format!("a{k}"), proc_macro2::Span::call_site()),
            );
            out.extend(quote!(let #this = #prev + 1.0;));
        }
        out
    }

    #[test]
    fn statements_keep_their_own_tokens() {
        let code = quote!(let a = 1.0; ; #[cfg(all())] let b = a * 2.0; m! { a } if a > 0.0 { x(); } let c = &(a + b););
        let stmts = statements(code).expect("statements");
        let texts: Vec<String> = stmts.iter().map(|s| s.tokens.to_string()).collect();
        assert_eq!(
            texts,
            [
                "let a = 1.0 ;",
                "# [cfg (all ())] let b = a * 2.0 ;",
                "m ! { a }",
                "if a > 0.0 { x () ; }",
                "let c = & (a + b) ;",
            ]
        );
        assert!(borrows_temporary(&stmts, "c") && !borrows_temporary(&stmts, "b"));
        // A trailing expression: parsed as `Block::parse_within` does.
        let tail = statements(quote!(let a = 1.0; a + 1.0)).expect("statements");
        assert_eq!(tail[1].tokens.to_string(), "a + 1.0");
        assert!(statements(quote!(let a = ;)).is_none());
    }

    #[test]
    fn short_code_is_unchanged() {
        let code = long(10);
        assert_eq!(
            chunked(code.clone(), &[], &HashSet::new()).to_string(),
            code.to_string()
        );
    }

    #[test]
    fn long_code_is_cut_into_blocks_exporting_what_is_read_later() {
        let n = 3 * CHUNK + 5;
        let last = syn::Ident::new(&format!("a{}", n - 1), proc_macro2::Span::call_site());
        let out = chunked(long(n), &[&quote!(#last)], &HashSet::new());
        let text = out.to_string();
        // Four blocks: each exports its last binding (the next one's input), the last one
        // the value read after.
        assert_eq!(text.matches("= {").count(), 4, "{text}");
        assert!(
            text.contains(&format!("let (a{} ,) =", CHUNK - 1)),
            "{text}"
        );
        assert!(text.contains(&format!("let ({last} ,) =")), "{text}");
        assert!(
            !text.contains("let (mut a0"),
            "a0 is not read after its block: {text}"
        );
        syn::parse::Parser::parse2(syn::Block::parse_within, out).expect("statements");
    }

    #[test]
    fn a_borrow_of_a_temporary_keeps_its_readers_in_its_block() {
        let mut all = quote!(let r = &(x * 2.0););
        all.extend(long(3 * CHUNK));
        all.extend(quote!(let z = r;));
        let out = chunked(all, &[], &HashSet::new()).to_string();
        // `r` is never exported: it and its reader share a block.
        assert!(!out.contains("r ,)"), "{out}");
        assert!(out.contains("let z = r"), "{out}");
    }

    #[test]
    fn a_borrow_of_a_temporary_read_only_later_is_not_exported() {
        // The reverse sweep (`later`) binds `r` again where it reads it; exporting the
        // reference from its block would outlive the temporary (difftest seed 11, p01169).
        let mut all = long(3 * CHUNK);
        all.extend(quote!(let r = &(x * 2.0); let z = a1 + 1.0;));
        let later = quote!(let r = &(x * 2.0); r);
        let out = chunked(all, &[&later, &quote!(z)], &HashSet::new()).to_string();
        assert!(!out.contains("r ,)") && !out.contains("(r ,"), "{out}");
        assert!(out.contains("z ,)"), "{out}");
    }

    #[test]
    fn a_reference_binding_keeps_its_readers_in_its_block() {
        let mut all = quote!(let v = m.column(0););
        all.extend(long(3 * CHUNK));
        all.extend(quote!(let z = v;));
        let references: HashSet<String> = ["v".to_string()].into();
        let out = chunked(all, &[], &references).to_string();
        assert!(!out.contains("v ,)"), "{out}");
    }
}
