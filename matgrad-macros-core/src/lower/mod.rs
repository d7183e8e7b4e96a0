//! Stage 2: the function body lowered into the [`ir`](crate::ir), with a spanned error for
//! every construct the macro does not understand. Nothing here depends on which values are
//! differentiated: every expression is lowered the same way, and the analysis decides later
//! which ones are evaluated as written.

mod attrs;
mod closure;
mod control;
mod expr;
mod fallible;
mod method;
mod project;
pub mod rename;
pub mod scan;
mod scope;
mod stack;
mod stmt;
#[cfg(test)]
mod tests;

use crate::emit::Context;
use crate::error::Errors;
use crate::ir::{Body, Kind, Source, Step, Unsupported, Value, ValueId};
use crate::names::Names;
use crate::parse::Signature;
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use rename::Mention;
use scope::{Scope, Var};
use std::collections::HashMap;
use syn::{Block, Expr, Ident};

/// Lowers the body of a function whose signature is `sig`.
pub fn lower(
    block: &Block,
    sig: &Signature,
    names: &mut Names,
    errors: &mut Errors,
    context: &Context,
) -> Body {
    let mut l = Lowerer::new(names, errors, &sig.type_params, None, context);
    l.fallible = sig.fallible.as_ref().map(|f| f.result);
    for p in &sig.params {
        let Some(ident) = &p.ident else { continue };
        l.names.claim(&ident.to_string());
        let id = l.push(Value::new(
            Kind::Param {
                by_ref: p.by_ref,
                differentiated: p.differentiated,
                structured: matches!(
                    p.class,
                    crate::parse::types::TypeClass::Unknown
                        | crate::parse::types::TypeClass::Collection
                ),
            },
            ident.clone(),
            ident.span(),
        ));
        l.values[id].label = Some(ident.to_string());
        l.values[id].named = true;
        l.declare(&ident.to_string(), id, false);
    }
    let output = l.function_block(block);
    if let Some(at) = &sig.checkpoint {
        mark_checkpoints(&mut l.steps, at, l.errors);
    }
    Body {
        values: l.values,
        steps: l.steps,
        output,
        captured: Vec::new(),
        kept: Vec::new(),
    }
}

/// `#[grad(checkpoint)]`: every loop at the function's top level is checkpointed; a function
/// with none is an error at `at`.
fn mark_checkpoints(steps: &mut [Step], at: &Ident, errors: &mut Errors) {
    let mut any = false;
    for step in steps {
        if let Step::Loop(l) = step {
            l.checkpoint = true;
            any = true;
        }
    }
    if !any {
        errors.at(
            at,
            "`checkpoint` applies to the `for` loops at the function's top level (in blocks too, \
             not under an `if`, a `match` or `#[cfg]`), and this function has none; remove \
             `checkpoint`, or move the loop out of its `if` or `match`",
        );
    }
}

/// The enclosing body's variables that a `map` closure may read, by name: the value, its
/// binding, and whether the binding holds a reference.
pub struct Outer {
    vars: HashMap<String, (ValueId, Ident, bool)>,
}

/// The lowering's state: the values so far and the variables in scope.
pub struct Lowerer<'a> {
    values: Vec<Value>,
    steps: Vec<Step>,
    scope: Scope,
    names: &'a mut Names,
    errors: &'a mut Errors,
    /// The function's type parameters (`T::max(a, b)` is a float function for them).
    type_params: &'a [Ident],
    /// Inside a `map` closure: the enclosing body's variables.
    outer: Option<&'a Outer>,
    /// The enclosing body's values the closure read: (outer value, the closure's value).
    captured: Vec<(ValueId, ValueId)>,
    /// The source file around the function, to recognise calls of plain functions.
    context: &'a Context,
    /// For a function that returns `Option` (`Some(false)`) or `Result` (`Some(true)`): its
    /// body ends with `Some(value)` (`Ok(value)`) and `?` may leave it early.
    fallible: Option<bool>,
}

impl<'a> Lowerer<'a> {
    fn new(
        names: &'a mut Names,
        errors: &'a mut Errors,
        type_params: &'a [Ident],
        outer: Option<&'a Outer>,
        context: &'a Context,
    ) -> Self {
        Lowerer {
            values: Vec::new(),
            steps: Vec::new(),
            scope: Scope::default(),
            names,
            errors,
            type_params,
            outer,
            captured: Vec::new(),
            context,
            fallible: None,
        }
    }

    fn push(&mut self, v: Value) -> ValueId {
        self.values.push(v);
        self.values.len() - 1
    }

    /// A value with a fresh generated name based on `base`, not yet placed in the forward
    /// sweep.
    fn value(&mut self, base: &str, kind: Kind, span: Span) -> ValueId {
        let name = self.names.fresh(base, span);
        self.push(Value::new(kind, name, span))
    }

    /// Adds a computed value to the forward sweep under a fresh temporary name.
    fn compute(&mut self, kind: Kind, source: Option<Source>, span: Span) -> ValueId {
        let base = format!("__t{}", self.values.len());
        let id = self.value(&base, kind, span);
        self.values[id].source = source;
        self.steps.push(Step::Value(id));
        id
    }

    /// Declares the user's variable `name` holding `value`.
    fn declare(&mut self, name: &str, value: ValueId, mutable: bool) -> usize {
        self.scope.declare(
            name,
            Var {
                value,
                mutable,
                closure: None,
                cfg_shadow: false,
            },
        )
    }

    /// The binding a local name refers to, for renaming the user's expressions.
    fn binding(&self, name: &str) -> Option<Ident> {
        if let Some(v) = self.scope.value(name) {
            return Some(self.values[v].name.clone());
        }
        self.outer?.vars.get(name).map(|o| o.1.clone())
    }

    /// The value a local name holds, importing it from the enclosing body inside a closure.
    fn lookup(&mut self, name: &str) -> Option<ValueId> {
        if let Some(v) = self.scope.value(name) {
            return Some(v);
        }
        let (outer_id, ident, by_ref) = self.outer?.vars.get(name)?.clone();
        let id = self.push(Value::new(
            Kind::Bound { by_ref, from: None },
            ident,
            Span::call_site(),
        ));
        self.values[id].named = true;
        self.values[id].label = Some(name.to_string());
        self.captured.push((outer_id, id));
        self.declare(name, id, false);
        Some(id)
    }

    /// `expr` renamed, and the values it mentions (with whether it reads their entries).
    fn renamed(&mut self, expr: &Expr) -> (Expr, Vec<(ValueId, bool)>, Vec<String>) {
        let r = rename::rename(expr, &|n| self.binding(n));
        let mentions = self.mentioned_values(&r.mentions);
        (r.out, mentions, r.captured_by_format)
    }

    /// The values behind the names an expression mentions.
    fn mentioned_values(&mut self, mentions: &[Mention]) -> Vec<(ValueId, bool)> {
        mentions
            .iter()
            .filter_map(|m| self.lookup(&m.name).map(|id| (id, m.reads)))
            .collect()
    }

    /// An expression kept as written: a leaf of the lowering, or an operation the registry
    /// has no rule for (`inputs` are its lowered operands). `unsupported` is the error if it
    /// turns out to read a differentiated value.
    fn opaque(
        &mut self,
        e: &Expr,
        inputs: Vec<ValueId>,
        unsupported: Option<Unsupported>,
    ) -> ValueId {
        let (renamed, mentions, format_names) = self.renamed(e);
        let mut inputs = inputs;
        for &(id, reads) in &mentions {
            if reads && !inputs.contains(&id) {
                inputs.push(id);
            }
        }
        if unsupported.is_some() {
            self.read_places(e, &mut inputs);
        }
        let source = self.with_format_captures(renamed, &format_names);
        let id = self.compute(
            Kind::Opaque {
                inputs,
                unsupported,
            },
            Some(Source::Expr(source)),
            e_span(e),
        );
        self.values[id].mentions = mentions.into_iter().map(|m| m.0).collect();
        id
    }

    /// `expr` in a block that binds the locals its format strings capture under the user's
    /// names (by reference), so that `format!("{y}")` finds them.
    fn with_format_captures(&mut self, expr: Expr, format_names: &[String]) -> Expr {
        let rebind = self.format_rebinds(format_names);
        if rebind.is_empty() {
            return expr;
        }
        syn::parse_quote!({ #rebind #expr })
    }

    /// `let y = &<binding of y>;` for each name a format string captures.
    fn format_rebinds(&mut self, format_names: &[String]) -> TokenStream {
        let mut out = TokenStream::new();
        for n in format_names {
            let Some(binding) = self.binding(n) else {
                continue;
            };
            self.lookup(n);
            let Some(user) = rename::ident(n, Span::call_site()) else {
                continue;
            };
            out.extend(quote::quote!(#[allow(unused_variables)] let #user = &#binding;));
        }
        out
    }

    /// An error for `e` if it reads a differentiated value.
    fn unsupported(&self, at: impl ToTokens, message: impl Into<String>) -> Option<Unsupported> {
        Some(Unsupported {
            at: at.to_token_stream(),
            message: message.into(),
        })
    }
}

/// The span of an expression (joined where the compiler allows it).
fn e_span(e: &Expr) -> Span {
    syn::spanned::Spanned::span(e)
}
