//! `map` closures that read fields or elements of differentiated parameters of the user's own
//! type (`p.w.map(|v| v * p.s)`): each place becomes a local of the enclosing body, bound to
//! a copy of it, which the closure captures as it captures any differentiated value.

use super::PlaceFinder;
use crate::ir::Kind;
use crate::lower::Lowerer;
use quote::ToTokens;
use std::collections::HashMap;
use syn::visit_mut::VisitMut;
use syn::{Expr, ExprClosure, Ident};

impl Lowerer<'_> {
    /// `closure` with each place it reads inside a differentiated parameter of the user's own
    /// type (or inside a local bound to such a place) replaced by a new local bound to a copy
    /// of the place, declared in a new scope that the caller pops after lowering the closure.
    pub(in crate::lower) fn closure_places(&mut self, closure: &ExprClosure) -> ExprClosure {
        self.scope.push();
        let params: Vec<String> = closure
            .inputs
            .iter()
            .map(|p| p.to_token_stream().to_string())
            .collect();
        let roots: Vec<String> = self
            .scope
            .visible()
            .into_iter()
            .filter(|(name, id)| {
                !params.contains(name)
                    && matches!(
                        self.values[*id].kind,
                        Kind::Param {
                            differentiated: true,
                            structured: true,
                            ..
                        } | Kind::Project { .. }
                    )
            })
            .map(|(name, _)| name)
            .collect();
        let mut locals: HashMap<String, Ident> = HashMap::new();
        for root in &roots {
            let mut finder = PlaceFinder {
                root,
                places: Vec::new(),
                whole: false,
                in_shape_query: false,
            };
            syn::visit::Visit::visit_expr(&mut finder, &closure.body);
            for place in finder.places {
                let key = place.to_token_stream().to_string();
                if locals.contains_key(&key) {
                    continue;
                }
                let span = syn::spanned::Spanned::span(&place);
                let id = self.project(&place);
                let id = self.copied_place(id, &place);
                // The closure reads it by name.
                self.values[id].named = true;
                let local = self.names.fresh("__place", span);
                self.declare(&local.to_string(), id, false);
                locals.insert(key, local);
            }
        }
        let mut rewritten = closure.clone();
        Replace { locals: &locals }.visit_expr_mut(&mut rewritten.body);
        rewritten
    }
}

/// Replaces each place that has a local by the local's name.
struct Replace<'a> {
    locals: &'a HashMap<String, Ident>,
}

impl VisitMut for Replace<'_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        if matches!(e, Expr::Field(_) | Expr::Index(_)) {
            if let Some(local) = self.locals.get(&e.to_token_stream().to_string()) {
                *e = syn::parse_quote_spanned!(local.span()=> #local);
                return;
            }
        }
        syn::visit_mut::visit_expr_mut(self, e);
    }
}
