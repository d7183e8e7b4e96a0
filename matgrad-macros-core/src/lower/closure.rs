//! Closures: `x.map(|v| ...)`, differentiated as a scalar function of its parameter, and
//! calls of a closure defined in the function, lowered inline.

use super::scan::changed_in_expr;
use super::{e_span, Lowerer, Outer};
use crate::ir::{Body, Kind, ScalarFn, Source, Value, ValueId};
use proc_macro2::TokenStream;
use std::collections::HashMap;
use syn::{Expr, ExprCall, ExprClosure, ExprMethodCall, Ident, Pat};

impl Lowerer<'_> {
    /// `x.map(|v| body)` or `x.map(f64::sqrt)`.
    pub(super) fn map(
        &mut self,
        e: &Expr,
        m: &ExprMethodCall,
        method_tokens: &TokenStream,
    ) -> ValueId {
        let closure = match m.args.first() {
            Some(Expr::Closure(c)) if m.args.len() == 1 => Some(c.clone()),
            Some(Expr::Path(p)) if m.args.len() == 1 && p.path.segments.len() == 2 => {
                // `f64::sqrt` → `|v| v.sqrt()`
                let f = &p.path.segments[1].ident;
                let v = self.names.fresh("__v", e_span(&m.args[0]));
                syn::parse2(quote::quote_spanned!(e_span(&m.args[0])=> |#v| #v.#f())).ok()
            }
            _ => None,
        };
        let param = closure.as_ref().and_then(closure_param);
        let (Some(closure), Some(param)) = (closure, param) else {
            let x = self.operand_leaf(&m.receiver);
            let message =
                "`#[grad]` differentiates `.map` with a closure of one named parameter, such as \
                           `|v| (v + eps).sqrt()`, or a method path such as `f64::tanh`";
            return self.opaque(e, vec![x], self.unsupported(method_tokens, message));
        };
        let x = self.expr(&m.receiver);
        let closure = self.closure_places(&closure);
        let scalar = self.scalar_fn(&closure, param, None);
        let id = self.map_value(e, x, None, closure, scalar);
        self.scope.pop();
        id
    }

    /// `x.zip_map(&y, |v, w| body)`.
    pub(super) fn zip_map(
        &mut self,
        e: &Expr,
        m: &ExprMethodCall,
        method_tokens: &TokenStream,
    ) -> ValueId {
        let closure = match m.args.iter().nth(1) {
            Some(Expr::Closure(c)) if m.args.len() == 2 => Some(c.clone()),
            _ => None,
        };
        let params =
            closure
                .as_ref()
                .and_then(|c| match c.inputs.iter().collect::<Vec<_>>().as_slice() {
                    [a, b] => Some((pat_ident(a)?, pat_ident(b)?)),
                    _ => None,
                });
        let (Some(closure), Some((p, q))) = (closure, params) else {
            let mut inputs = vec![self.operand_leaf(&m.receiver)];
            inputs.extend(m.args.iter().map(|a| self.operand_leaf(a)));
            let message = "`#[grad]` differentiates `.zip_map` with a closure of two named parameters, such as \
                           `|a, b| a * b + 1.0`";
            return self.opaque(e, inputs, self.unsupported(method_tokens, message));
        };
        let x = self.expr(&m.receiver);
        let y = self.expr(&m.args[0]);
        let closure = self.closure_places(&closure);
        let scalar = self.scalar_fn(&closure, p, Some(q));
        let id = self.map_value(e, x, Some(y), closure, scalar);
        self.scope.pop();
        id
    }

    /// The value of a `map` or `zip_map` over `x` (and `y`).
    fn map_value(
        &mut self,
        e: &Expr,
        x: ValueId,
        y: Option<ValueId>,
        closure: ExprClosure,
        scalar: ScalarFn,
    ) -> ValueId {
        let (renamed_closure, _, _) = self.renamed(&Expr::Closure(closure));
        let (renamed, mentions, _) = self.renamed(e);
        let id = self.compute(
            Kind::Map {
                input: x,
                second: y,
                closure: Some(renamed_closure),
                scalar: Box::new(scalar),
            },
            Some(Source::Expr(renamed)),
            e_span(e),
        );
        self.values[id].mentions = mentions.into_iter().map(|m| m.0).collect();
        id
    }

    /// The body of a `map` closure, lowered as a function of its parameter (of a `zip_map`
    /// closure, of its two).
    fn scalar_fn(
        &mut self,
        closure: &ExprClosure,
        param: Ident,
        second: Option<Ident>,
    ) -> ScalarFn {
        let outer = Outer {
            vars: self
                .scope
                .visible()
                .into_iter()
                .map(|(n, id)| {
                    let v = &self.values[id];
                    let by_ref = v.borrowed
                        || matches!(
                            v.kind,
                            Kind::Param { by_ref: true, .. } | Kind::Bound { by_ref: true, .. }
                        );
                    (n, (id, v.name.clone(), by_ref))
                })
                .collect::<HashMap<_, _>>(),
        };
        let mut inner_errors = crate::error::Errors::default();
        let mut inner = Lowerer::new(
            self.names,
            &mut inner_errors,
            self.type_params,
            Some(&outer),
            self.context,
        );
        for p in std::iter::once(&param).chain(&second) {
            let pid = inner.push(Value::new(
                Kind::Param {
                    by_ref: false,
                    differentiated: true,
                    structured: false,
                },
                p.clone(),
                p.span(),
            ));
            inner.values[pid].named = true;
            inner.values[pid].label = Some(p.to_string());
            inner.declare(&p.to_string(), pid, false);
        }
        let output = inner.expr(&closure.body);
        let captures = inner.captured.iter().map(|c| c.0).collect();
        let captured = inner.captured.iter().map(|c| c.1).collect();
        let (values, steps) = (inner.values, inner.steps);
        ScalarFn {
            param,
            second,
            body: Body {
                values,
                steps,
                output: Some(output),
                captured,
                kept: Vec::new(),
            },
            captures,
            span: e_span(&Expr::Closure(closure.clone())),
            errors: inner_errors.take(),
        }
    }

    /// `f(args)` where `f` is a local variable: a closure defined in the function is
    /// lowered inline, in the scope it was defined in.
    pub(super) fn local_call(&mut self, e: &Expr, c: &ExprCall, var: usize) -> ValueId {
        let name = c.func.clone();
        let Some(def) = self.scope.get(var).closure.clone() else {
            let inputs = c.args.iter().map(|a| self.operand_leaf(a)).collect();
            let message = format!(
                "`{}` is a local variable, not a function `#[grad]` can differentiate; call a closure defined in this \
                 function (`let f = |x| ...;`) or a function with `#[grad]` or `#[vjp(..)]`",
                quote::ToTokens::to_token_stream(&name)
            );
            return self.opaque(e, inputs, self.unsupported(&c.func, message));
        };
        let params: Option<Vec<Ident>> = def.closure.inputs.iter().map(pat_ident).collect();
        let changed = changed_in_expr(&def.closure.body, true);
        let problem = match params {
            None => Some("a closure called in `#[grad]` code takes plain named parameters, e.g. `|t: f64| t * t`".to_string()),
            Some(ref p) if p.len() != c.args.len() => Some(format!(
                "this closure takes {} argument(s), not {}",
                p.len(),
                c.args.len()
            )),
            _ => changed
                .iter()
                .find(|ch| def.scope.var(&ch.name).is_some_and(|v| ch.assigned || def.scope.get(v).mutable))
                .map(|ch| {
                format!(
                    "calling a closure that changes `{}` is not supported by `#[grad]`; return the new value from the closure instead",
                    ch.name
                )
            }),
        };
        if let Some(message) = problem {
            self.errors.at(e, message);
            return self.opaque(e, Vec::new(), None);
        }
        let args: Vec<ValueId> = c.args.iter().map(|a| self.expr(a)).collect();
        let saved = std::mem::replace(&mut self.scope, def.scope.clone());
        self.scope.push();
        for (p, a) in params.unwrap_or_default().iter().zip(args) {
            self.declare(&p.to_string(), a, false);
        }
        let value = self.expr(&def.closure.body);
        self.scope = saved;
        value
    }
}

/// The one plain parameter of a `map` closure.
fn closure_param(c: &ExprClosure) -> Option<Ident> {
    match c.inputs.iter().collect::<Vec<_>>().as_slice() {
        [p] => pat_ident(p),
        _ => None,
    }
}

/// The name a plain (optionally typed) parameter pattern binds.
fn pat_ident(p: &Pat) -> Option<Ident> {
    match p {
        Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => Some(pi.ident.clone()),
        Pat::Type(pt) => pat_ident(&pt.pat),
        _ => None,
    }
}
