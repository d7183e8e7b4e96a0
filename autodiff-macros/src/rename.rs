//! Reading and rewriting the user's expressions that are kept as written: which locals they
//! mention, and the same expression with each local renamed to its generated binding.

use proc_macro2::{Group, TokenStream, TokenTree};
use std::collections::HashSet;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{Expr, ExprClosure, Ident, Macro, Pat};

/// The single-identifier paths (local variables) that `expr` mentions, including inside
/// macro invocations, and excluding a closure's own parameters.
pub fn mentioned(expr: &Expr) -> HashSet<String> {
    let mut v = Mentioned {
        found: HashSet::new(),
        shadowed: Vec::new(),
        skip_shapes: false,
    };
    v.visit_expr(expr);
    v.found
}

/// The locals whose *entries* `expr` reads: [`mentioned`], minus the receivers of shape
/// queries (`x.nrows()` does not depend on `x`'s entries).
pub fn read(expr: &Expr) -> HashSet<String> {
    let mut v = Mentioned {
        found: HashSet::new(),
        shadowed: Vec::new(),
        skip_shapes: true,
    };
    v.visit_expr(expr);
    v.found
}

fn collect_idents(tokens: TokenStream, found: &mut HashSet<String>) {
    for tt in tokens {
        match tt {
            TokenTree::Ident(i) => {
                found.insert(i.to_string());
            }
            TokenTree::Group(g) => collect_idents(g.stream(), found),
            _ => {}
        }
    }
}

struct Mentioned {
    found: HashSet<String>,
    shadowed: Vec<String>,
    skip_shapes: bool,
}

impl<'ast> Visit<'ast> for Mentioned {
    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        if p.qself.is_none() {
            if let Some(id) = p.path.get_ident() {
                let name = id.to_string();
                if !self.shadowed.contains(&name) {
                    self.found.insert(name);
                }
            }
        }
        syn::visit::visit_expr_path(self, p);
    }
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        // A shape query reads no value: `x.nrows()` does not depend on `x`'s entries.
        if self.skip_shapes && crate::ops::SHAPE_METHODS.contains(&m.method.to_string().as_str()) {
            for a in &m.args {
                self.visit_expr(a);
            }
            return;
        }
        syn::visit::visit_expr_method_call(self, m);
    }
    fn visit_expr_closure(&mut self, c: &'ast ExprClosure) {
        let before = self.shadowed.len();
        for input in &c.inputs {
            pat_idents(input, &mut self.shadowed);
        }
        self.visit_expr(&c.body);
        self.shadowed.truncate(before);
    }
    fn visit_macro(&mut self, m: &'ast Macro) {
        let mut inner = HashSet::new();
        collect_idents(m.tokens.clone(), &mut inner);
        self.found
            .extend(inner.into_iter().filter(|n| !self.shadowed.contains(n)));
    }
}

/// The identifiers a pattern binds.
pub fn pat_idents(pat: &Pat, out: &mut Vec<String>) {
    struct P<'a>(&'a mut Vec<String>);
    impl<'ast> Visit<'ast> for P<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.push(p.ident.to_string());
            syn::visit::visit_pat_ident(self, p);
        }
    }
    P(out).visit_pat(pat);
}

/// Rewrites every local that `rename` maps to a new identifier.
pub struct Renamer<'a> {
    pub rename: &'a dyn Fn(&Ident) -> Option<Ident>,
    shadowed: Vec<String>,
}

impl<'a> Renamer<'a> {
    pub fn new(rename: &'a dyn Fn(&Ident) -> Option<Ident>) -> Self {
        Renamer {
            rename,
            shadowed: Vec::new(),
        }
    }

    /// `expr` with its locals renamed.
    pub fn expr(&mut self, expr: &Expr) -> Expr {
        let mut e = expr.clone();
        self.visit_expr_mut(&mut e);
        e
    }

    /// `tokens` with every identifier token that names a local renamed.
    pub fn tokens(&self, tokens: TokenStream) -> TokenStream {
        tokens
            .into_iter()
            .map(|tt| match tt {
                TokenTree::Ident(i) if !self.shadowed.contains(&i.to_string()) => {
                    match (self.rename)(&i) {
                        Some(new) => TokenTree::Ident(new),
                        None => TokenTree::Ident(i),
                    }
                }
                TokenTree::Group(g) => {
                    let mut ng = Group::new(g.delimiter(), self.tokens(g.stream()));
                    ng.set_span(g.span());
                    TokenTree::Group(ng)
                }
                other => other,
            })
            .collect()
    }
}

impl VisitMut for Renamer<'_> {
    fn visit_expr_path_mut(&mut self, p: &mut syn::ExprPath) {
        if p.qself.is_none() && p.path.segments.len() == 1 && p.path.segments[0].arguments.is_none()
        {
            let id = &p.path.segments[0].ident;
            if !self.shadowed.contains(&id.to_string()) {
                if let Some(new) = (self.rename)(id) {
                    p.path.segments[0].ident = new;
                }
            }
        }
    }
    fn visit_expr_closure_mut(&mut self, c: &mut ExprClosure) {
        let before = self.shadowed.len();
        for input in &c.inputs {
            pat_idents(input, &mut self.shadowed);
        }
        self.visit_expr_mut(&mut c.body);
        self.shadowed.truncate(before);
    }
    fn visit_macro_mut(&mut self, m: &mut Macro) {
        m.tokens = self.tokens(m.tokens.clone());
    }
}
