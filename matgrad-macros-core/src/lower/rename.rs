//! The user's expressions kept as written: which locals they name, and the same expression
//! with each local renamed to its generated binding.
//!
//! Names bound inside the expression (closure parameters, `let` in blocks, `match` and
//! `for` patterns, `if let`) shadow the outer locals and are left alone. A struct literal's
//! shorthand field (`P { x }`) is expanded when `x` is renamed. Names captured by format
//! strings (`"{y}"`) cannot be renamed inside the string: they are returned so that the
//! caller can bind them again under the user's name.

use crate::ops::{INDEX_METHODS, SHAPE_METHODS};
use proc_macro2::{Group, TokenStream, TokenTree};
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{Expr, Ident, Pat};

/// A local the expression names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mention {
    pub name: String,
    /// Whether the expression reads its entries (not only its shape, as `x.nrows()` does).
    pub reads: bool,
}

/// The result of renaming an expression (`T = Expr`) or a statement's tokens.
pub struct Renamed<T> {
    pub out: T,
    /// The free locals it names, in first-mention order.
    pub mentions: Vec<Mention>,
    /// Names captured by format strings in macros (`println!("{y}")`).
    pub captured_by_format: Vec<String>,
}

/// Renames the free locals of `expr` for which `resolve` gives a binding.
pub fn rename(expr: &Expr, resolve: &dyn Fn(&str) -> Option<Ident>) -> Renamed<Expr> {
    let mut r = Renamer::new(resolve);
    let mut e = expr.clone();
    r.visit_expr_mut(&mut e);
    Renamed {
        out: e,
        mentions: r.mentions,
        captured_by_format: r.format_names,
    }
}

/// Renames the free locals of a statement's tokens (a macro, an item) for which `resolve`
/// gives a binding, token by token.
pub fn rename_tokens(
    tokens: TokenStream,
    resolve: &dyn Fn(&str) -> Option<Ident>,
) -> Renamed<TokenStream> {
    let mut r = Renamer::new(resolve);
    let out = r.tokens(tokens.clone());
    collect_format_names(tokens, &mut r.format_names);
    // A format string's captures read their values too.
    for n in r.format_names.clone() {
        if let Some(ident) = ident(&n, proc_macro2::Span::call_site()) {
            r.local(&ident);
        }
    }
    Renamed {
        out,
        mentions: r.mentions,
        captured_by_format: r.format_names,
    }
}

/// The identifier `name` spells (`r#y` a raw one), if it is one that can name a local.
pub fn ident(name: &str, span: proc_macro2::Span) -> Option<Ident> {
    let mut i: Ident = syn::parse_str(name).ok()?;
    i.set_span(span);
    Some(i)
}

/// The identifiers a pattern binds, skipping capitalised names (`None`, `MAX`), which are
/// unit variants and constants by Rust's conventions, not bindings.
pub fn pat_idents(pat: &Pat, out: &mut Vec<String>) {
    struct P<'a>(&'a mut Vec<String>);
    impl<'ast> Visit<'ast> for P<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            let name = p.ident.to_string();
            if !name.starts_with(|c: char| c.is_uppercase()) || p.subpat.is_some() {
                self.0.push(name);
            }
            syn::visit::visit_pat_ident(self, p);
        }
    }
    P(out).visit_pat(pat);
}

struct Renamer<'a> {
    resolve: &'a dyn Fn(&str) -> Option<Ident>,
    /// Names bound inside the expression, innermost last.
    shadowed: Vec<String>,
    mentions: Vec<Mention>,
    format_names: Vec<String>,
    /// Inside the receiver of a shape or index query: a mention there reads no value a
    /// derivative flows through.
    in_shape_query: bool,
}

impl<'a> Renamer<'a> {
    fn new(resolve: &'a dyn Fn(&str) -> Option<Ident>) -> Self {
        Renamer {
            resolve,
            shadowed: Vec::new(),
            mentions: Vec::new(),
            format_names: Vec::new(),
            in_shape_query: false,
        }
    }

    /// The binding for a free local, recording the mention.
    fn local(&mut self, ident: &Ident) -> Option<Ident> {
        let name = ident.to_string();
        if self.shadowed.contains(&name) {
            return None;
        }
        let new = (self.resolve)(&name)?;
        let reads = !self.in_shape_query;
        match self.mentions.iter_mut().find(|m| m.name == name) {
            Some(m) => m.reads |= reads,
            None => self.mentions.push(Mention { name, reads }),
        }
        let mut new = new;
        new.set_span(new.span().located_at(ident.span()));
        Some(new)
    }

    fn tokens(&mut self, tokens: TokenStream) -> TokenStream {
        tokens
            .into_iter()
            .map(|tt| match tt {
                TokenTree::Ident(i) => TokenTree::Ident(self.local(&i).unwrap_or(i)),
                TokenTree::Group(g) => {
                    let mut ng = Group::new(g.delimiter(), self.tokens(g.stream()));
                    ng.set_span(g.span());
                    TokenTree::Group(ng)
                }
                other => other,
            })
            .collect()
    }

    fn shadow(&mut self, pat: &Pat) {
        pat_idents(pat, &mut self.shadowed);
    }
}

impl VisitMut for Renamer<'_> {
    fn visit_expr_path_mut(&mut self, p: &mut syn::ExprPath) {
        if p.qself.is_none() && p.path.segments.len() == 1 && p.path.segments[0].arguments.is_none()
        {
            if let Some(new) = self.local(&p.path.segments[0].ident) {
                p.path.segments[0].ident = new;
            }
        }
    }
    fn visit_expr_method_call_mut(&mut self, m: &mut syn::ExprMethodCall) {
        let name = m.method.to_string();
        let shape = (SHAPE_METHODS.contains(&name.as_str())
            || INDEX_METHODS.contains(&name.as_str()))
            && m.args.is_empty();
        let outer = self.in_shape_query;
        self.in_shape_query = outer || shape;
        self.visit_expr_mut(&mut m.receiver);
        self.in_shape_query = outer;
        for a in m.args.iter_mut() {
            self.visit_expr_mut(a);
        }
    }
    fn visit_expr_closure_mut(&mut self, c: &mut syn::ExprClosure) {
        let before = self.shadowed.len();
        for input in &c.inputs {
            self.shadow(input);
        }
        self.visit_expr_mut(&mut c.body);
        self.shadowed.truncate(before);
    }
    fn visit_block_mut(&mut self, b: &mut syn::Block) {
        let before = self.shadowed.len();
        for stmt in b.stmts.iter_mut() {
            match stmt {
                syn::Stmt::Local(l) => {
                    if let Some(init) = &mut l.init {
                        self.visit_expr_mut(&mut init.expr);
                        if let Some((_, e)) = &mut init.diverge {
                            self.visit_expr_mut(e);
                        }
                    }
                    let pat = l.pat.clone();
                    self.shadow(&pat);
                }
                other => self.visit_stmt_mut(other),
            }
        }
        self.shadowed.truncate(before);
    }
    fn visit_arm_mut(&mut self, arm: &mut syn::Arm) {
        let before = self.shadowed.len();
        self.shadow(&arm.pat);
        if let Some((_, guard)) = &mut arm.guard {
            self.visit_expr_mut(guard);
        }
        self.visit_expr_mut(&mut arm.body);
        self.shadowed.truncate(before);
    }
    fn visit_expr_for_loop_mut(&mut self, f: &mut syn::ExprForLoop) {
        self.visit_expr_mut(&mut f.expr);
        let before = self.shadowed.len();
        self.shadow(&f.pat);
        self.visit_block_mut(&mut f.body);
        self.shadowed.truncate(before);
    }
    fn visit_expr_if_mut(&mut self, i: &mut syn::ExprIf) {
        let before = self.shadowed.len();
        if let Expr::Let(l) = &mut *i.cond {
            self.visit_expr_mut(&mut l.expr);
            let pat = (*l.pat).clone();
            self.shadow(&pat);
        } else {
            self.visit_expr_mut(&mut i.cond);
        }
        self.visit_block_mut(&mut i.then_branch);
        self.shadowed.truncate(before);
        if let Some((_, e)) = &mut i.else_branch {
            self.visit_expr_mut(e);
        }
    }
    fn visit_expr_while_mut(&mut self, w: &mut syn::ExprWhile) {
        let before = self.shadowed.len();
        if let Expr::Let(l) = &mut *w.cond {
            self.visit_expr_mut(&mut l.expr);
            let pat = (*l.pat).clone();
            self.shadow(&pat);
        } else {
            self.visit_expr_mut(&mut w.cond);
        }
        self.visit_block_mut(&mut w.body);
        self.shadowed.truncate(before);
    }
    fn visit_field_value_mut(&mut self, f: &mut syn::FieldValue) {
        if f.colon_token.is_none() {
            if let (syn::Member::Named(_), Expr::Path(p)) = (&f.member, &f.expr) {
                if let Some(id) = p.path.get_ident() {
                    if let Some(new) = self.local(id) {
                        f.colon_token = Some(Default::default());
                        f.expr = syn::parse_quote!(#new);
                    }
                    return;
                }
            }
        }
        self.visit_expr_mut(&mut f.expr);
    }
    fn visit_macro_mut(&mut self, m: &mut syn::Macro) {
        collect_format_names(m.tokens.clone(), &mut self.format_names);
        m.tokens = self.tokens(m.tokens.clone());
    }
}

/// The names a format string captures (`"{y}"`, `"{y:?}"`), in string literals of `tokens`.
fn collect_format_names(tokens: TokenStream, out: &mut Vec<String>) {
    for tt in tokens {
        match tt {
            TokenTree::Literal(l) => {
                let text = l.to_string();
                if !text.starts_with('"') && !text.starts_with('r') {
                    continue;
                }
                let mut chars = text.chars().peekable();
                while let Some(c) = chars.next() {
                    if c != '{' {
                        continue;
                    }
                    if chars.peek() == Some(&'{') {
                        chars.next();
                        continue;
                    }
                    let name: String =
                        std::iter::from_fn(|| chars.next_if(|c| c.is_alphanumeric() || *c == '_'))
                            .collect();
                    if !name.is_empty()
                        && !name.starts_with(|c: char| c.is_ascii_digit())
                        && !out.contains(&name)
                    {
                        out.push(name);
                    }
                }
            }
            TokenTree::Group(g) => collect_format_names(g.stream(), out),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::Span;
    use quote::ToTokens;
    use syn::parse_quote;

    fn resolve(name: &str) -> Option<Ident> {
        ["x", "y", "n"]
            .contains(&name)
            .then(|| Ident::new(&format!("{name}_2"), Span::call_site()))
    }

    fn renamed(e: Expr) -> (String, Vec<Mention>) {
        let r = rename(&e, &resolve);
        (r.out.to_token_stream().to_string(), r.mentions)
    }

    #[test]
    fn free_locals_are_renamed_and_bound_ones_are_not() {
        let (s, m) = renamed(parse_quote!({
            let y = x * 2.0;
            y + n as f64
        }));
        assert_eq!(s, "{ let y = x_2 * 2.0 ; y + n_2 as f64 }");
        assert_eq!(
            m.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
            ["x", "n"]
        );
        let (s, _) = renamed(parse_quote!(xs.iter().map(|x| x * y).sum::<f64>()));
        assert_eq!(s, "xs . iter () . map (| x | x * y_2) . sum :: < f64 > ()");
        let (s, _) = renamed(parse_quote!(match n {
            0 => x,
            y => y,
        }));
        assert_eq!(s, "match n_2 { 0 => x_2 , y => y , }");
    }

    #[test]
    fn shape_queries_do_not_read_entries() {
        let (_, m) = renamed(parse_quote!(x.nrows() as f64 * y));
        assert_eq!(
            m,
            [
                Mention {
                    name: "x".into(),
                    reads: false
                },
                Mention {
                    name: "y".into(),
                    reads: true
                }
            ]
        );
    }

    #[test]
    fn shorthand_fields_and_format_captures() {
        let (s, _) = renamed(parse_quote!(P { x, z: y }));
        assert_eq!(s, "P { x : x_2 , z : y_2 }");
        let r = rename(&parse_quote!(format!("{x} {n:?} {{y}}", x)), &resolve);
        assert_eq!(r.captured_by_format, ["x", "n"]);
    }

    #[test]
    fn capitalised_pattern_names_are_not_bindings() {
        let mut out = Vec::new();
        pat_idents(&parse_quote!(Some(x)), &mut out);
        pat_idents(&parse_quote!(None), &mut out);
        assert_eq!(out, ["x"]);
    }
}
