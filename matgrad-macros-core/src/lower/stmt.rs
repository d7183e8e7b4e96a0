//! Statements: `let`, assignments, kept statements (effects), and statement attributes.

use super::attrs::{split_attrs, StmtAttrs};
use super::scan::{self, StmtKind};
use super::scope::ClosureDef;
use super::{e_span, Lowerer};
use crate::ir::{Destructure, Effect, Kind, Source, Step, ValueId};
use crate::ops::{BinaryOp, Op};
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use std::rc::Rc;
use syn::{Attribute, Block, Expr, Ident, Local, Pat, Stmt, Type};

impl Lowerer<'_> {
    /// The function's top-level block: its statements, then the returned value.
    pub(super) fn function_block(&mut self, block: &Block) -> Option<ValueId> {
        let errors_before = self.errors.len();
        let n = block.stmts.len();
        for (i, stmt) in block.stmts.iter().enumerate() {
            if let (true, Some(result)) = (i + 1 == n, self.fallible) {
                return self.fallible_tail(stmt, result);
            }
            if i + 1 == n {
                if let Stmt::Expr(Expr::Return(r), _) = stmt {
                    return match &r.expr {
                        Some(e) => Some(self.expr(e)),
                        None => {
                            self.errors.at(r, "a bare `return` gives no value to differentiate; return the result");
                            None
                        }
                    };
                }
            }
            if let Some(v) = self.tail(stmt, i + 1 == n, true) {
                return Some(v);
            }
        }
        if self.errors.len() == errors_before {
            match block.stmts.last() {
                Some(s) => self
                    .errors
                    .at(s, "the function body must end with the value to differentiate, without a semicolon"),
                None => self.errors.at_span(
                    block.brace_token.span.join(),
                    "the function body must end with the value to differentiate",
                ),
            }
        }
        None
    }

    /// A block used as a value: its statements in a new scope, then its tail expression.
    pub(super) fn block_value(&mut self, block: &Block) -> ValueId {
        self.scope.push();
        let v = self.block_stmts(block, true);
        self.scope.pop();
        match v {
            Some(v) => v,
            None => {
                self.errors.at_span(
                    block.brace_token.span.join(),
                    "this block must end with a value, without a semicolon",
                );
                self.opaque(&syn::parse_quote!(()), Vec::new(), None)
            }
        }
    }

    /// The statements of a block in the current scope, with the value at the end when
    /// `want_value`.
    pub(super) fn block_stmts(&mut self, block: &Block, want_value: bool) -> Option<ValueId> {
        let n = block.stmts.len();
        for (i, stmt) in block.stmts.iter().enumerate() {
            if let Some(v) = self.tail(stmt, i + 1 == n, want_value) {
                return Some(v);
            }
        }
        None
    }

    /// One statement of a block; the block's value when it is the last one and a value.
    fn tail(&mut self, stmt: &Stmt, last: bool, want_value: bool) -> Option<ValueId> {
        match stmt {
            Stmt::Expr(e, None) if last && want_value && !is_statement_like(e) => {
                Some(self.expr(e))
            }
            s => {
                self.stmt(s);
                None
            }
        }
    }

    /// One statement.
    pub(super) fn stmt(&mut self, stmt: &Stmt) {
        let (attrs, stripped) = split_attrs(stmt, self.errors);
        if let Stmt::Expr(Expr::Call(c), _) = &stripped {
            if self.calls_local_closure(c) {
                // Lowered inline; its value, if any, is unused.
                self.expr(&Expr::Call(c.clone()));
                return;
            }
        }
        if let Stmt::Expr(e, _) = &stripped {
            if scan::stmt_kind(e) == StmtKind::Effect {
                // Kept as written, attributes and all: a `#[cfg]` on it works as in the original.
                return self.effect_stmt(stmt, e);
            }
        }
        if let Some(pred) = &attrs.cfg {
            return self.cfg_stmt(pred.clone(), &stripped, attrs.others);
        }
        match &stripped {
            Stmt::Local(l) => self.local(l, attrs.others),
            Stmt::Item(_) => self.steps.push(Step::Effect(Effect {
                tokens: stmt.to_token_stream(),
                reads: Vec::new(),
                mentions: Vec::new(),
                unsupported: None,
                versions: Vec::new(),
            })),
            Stmt::Macro(_) => self.effect_tokens(stmt.to_token_stream(), None),
            Stmt::Expr(e, _) => self.statement(e, attrs),
        }
    }

    /// Whether `c` calls a closure defined in the function.
    fn calls_local_closure(&self, c: &syn::ExprCall) -> bool {
        match &*c.func {
            Expr::Path(p) => p
                .path
                .get_ident()
                .and_then(|i| self.scope.var(&i.to_string()))
                .is_some_and(|v| self.scope.get(v).closure.is_some()),
            _ => false,
        }
    }

    /// An expression statement: an assignment, a region, or an unsupported one.
    pub(super) fn statement(&mut self, e: &Expr, attrs: StmtAttrs) {
        match e {
            Expr::Assign(a) => {
                let first_new = self.values.len();
                let id = self.expr(&a.right);
                if let Some(ident) = scan::local(&a.left) {
                    self.assign(ident, id, first_new, attrs.others, &a.right);
                }
            }
            Expr::Binary(b) => self.compound(e, b, attrs.others),
            Expr::ForLoop(f) => self.for_loop(f, attrs.others),
            Expr::If(i) => {
                self.if_stmt(i);
            }
            Expr::Match(m) => {
                self.match_stmt(m);
            }
            Expr::Block(b) => {
                self.scope.push();
                self.block_stmts(&b.block, false);
                self.scope.pop();
            }
            other => self.structural_error(other),
        }
    }

    /// A statement kept as written, as an effect: an error if it reads a differentiated
    /// value, since it may change it in place.
    fn effect_stmt(&mut self, stmt: &Stmt, e: &Expr) {
        // `if c { 0 } else { 1 };` parses without its `;`: written back as a statement, it
        // needs one (a value-less `if` does not mind one).
        let tokens = match stmt {
            Stmt::Expr(_, None) => quote!(#stmt;),
            _ => stmt.to_token_stream(),
        };
        let message = match e {
            Expr::Assign(_) | Expr::Binary(_) => {
                "`#[grad]` can only assign to a whole local variable; build a new value instead of writing into part of one"
                    .to_string()
            }
            _ if mutable_borrow(e).is_some() => {
                "`&mut` borrows of differentiated values are not supported by `#[grad]`: in-place changes are not \
                 differentiable; compute a new value instead"
                    .to_string()
            }
            Expr::MethodCall(m) => format!(
                "`.{}()` changes a value in place, which `#[grad]` cannot differentiate; compute a new value instead, \
                 e.g. `let y = ...;`",
                m.method
            ),
            Expr::Macro(_) => return self.effect_tokens(tokens, None),
            _ => "this statement reads a differentiated value but is not an assignment `#[grad]` can differentiate; \
                  compute a new value instead, e.g. `let y = ...;`"
                .to_string(),
        };
        let at = match e {
            _ if mutable_borrow(e).is_some() => mutable_borrow(e)
                .map(|r| r.to_token_stream())
                .unwrap_or_default(),
            Expr::Assign(a) => a.left.to_token_stream(),
            Expr::Binary(b) => b.left.to_token_stream(),
            Expr::MethodCall(m) => m.method.to_token_stream(),
            other => other.to_token_stream(),
        };
        let unsupported = self.unsupported(at, message);
        self.effect_tokens(tokens, unsupported)
    }

    /// A statement kept as written (locals renamed; the names its format strings capture
    /// bound again under the user's names). Mutable variables it names get a new version.
    fn effect_tokens(&mut self, tokens: TokenStream, unsupported: Option<crate::ir::Unsupported>) {
        let r = super::rename::rename_tokens(tokens, &|n| self.binding(n));
        let mentions = self.mentioned_values(&r.mentions);
        let rebind = self.format_rebinds(&r.captured_by_format);
        let out = r.out;
        let tokens = if rebind.is_empty() {
            out
        } else {
            quote!({ #rebind #out })
        };
        let mut versions = Vec::new();
        for m in &r.mentions {
            let Some(var) = self.scope.var(&m.name) else {
                continue;
            };
            if !self.scope.get(var).mutable {
                continue;
            }
            let old = self.scope.get(var).value;
            let name = self.values[old].name.clone();
            let span = self.values[old].span;
            let new = self.push(crate::ir::Value::new(Kind::Version { of: old }, name, span));
            self.values[new].mutable = true;
            self.values[new].named = true;
            self.values[new].label = self.values[old].label.clone();
            self.scope.get_mut(var).value = new;
            versions.push((old, new));
        }
        self.steps.push(Step::Effect(Effect {
            tokens,
            reads: mentions.iter().filter(|m| m.1).map(|m| m.0).collect(),
            mentions: mentions.iter().map(|m| m.0).collect(),
            unsupported,
            versions,
        }));
    }

    pub(super) fn local(&mut self, local: &Local, attrs: Vec<Attribute>) {
        let Some(init) = &local.init else {
            self.errors.at(
                local,
                "`let` without a value is not supported by `#[grad]`; write `let x = value;`",
            );
            return;
        };
        if let Some((else_token, _)) = &init.diverge {
            self.errors.at(
                else_token,
                "`let ... else` is not supported by `#[grad]`; bind the value with a plain `let`",
            );
            return;
        }
        let (pat, ty) = match &local.pat {
            Pat::Type(pt) => (&*pt.pat, Some((*pt.ty).clone())),
            p => (p, None),
        };
        match pat {
            Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                let first_new = self.values.len();
                let id = match &*init.expr {
                    // Calls are lowered inline; the closure value itself is kept as written.
                    Expr::Closure(_) => self.opaque(&init.expr, Vec::new(), None),
                    other => self.expr(other),
                };
                let mutable = pi.mutability.is_some();
                let id = self.own_binding(id, first_new, mutable, &init.expr);
                self.name_value(&pi.ident, id, first_new, ty, attrs);
                let var = self.declare(&pi.ident.to_string(), id, mutable);
                if mutable {
                    self.values[id].mutable = true;
                }
                if let Expr::Closure(c) = &*init.expr {
                    self.scope.get_mut(var).closure = Some(Rc::new(ClosureDef {
                        closure: c.clone(),
                        scope: self.scope.clone(),
                    }));
                }
            }
            Pat::Wild(_) => {
                // `let _ = xs[0];` moves nothing out of the place: read it as a borrow.
                let id = match &*init.expr {
                    e @ (Expr::Field(_) | Expr::Index(_)) => self.expr(&syn::parse_quote!(&#e)),
                    e => self.expr(e),
                };
                self.values[id].named = true;
            }
            _ => self.destructure(pat, &local.pat, &init.expr),
        }
    }

    /// `let (a, b) = init;`: kept as written, its names bound as constants (an error if the
    /// value depends on a differentiated parameter).
    fn destructure(&mut self, pat: &Pat, full_pat: &Pat, init: &Expr) {
        let inputs = Vec::new();
        let message = "`#[grad]` cannot destructure a value that depends on a differentiated parameter; bind it whole, e.g. `let v = ...;`";
        let init_id = self.opaque(init, inputs, self.unsupported(pat, message));
        let mut bound_names = Vec::new();
        super::rename::pat_idents(pat, &mut bound_names);
        let mut bound = Vec::new();
        let mut fresh = std::collections::HashMap::new();
        for b in &bound_names {
            let name = self.names.user(b, e_span(init));
            let id = self.push(crate::ir::Value::new(
                Kind::Bound {
                    by_ref: false,
                    from: Some(init_id),
                },
                name.clone(),
                e_span(init),
            ));
            self.values[id].named = true;
            self.values[id].label = Some(b.clone());
            fresh.insert(b.clone(), name);
            bound.push((b.clone(), id));
        }
        let pat_tokens =
            super::rename::rename_tokens(full_pat.to_token_stream(), &|n| fresh.get(n).cloned())
                .out;
        self.steps.push(Step::Destructure(Destructure {
            pat: pat_tokens,
            init: init_id,
            bound: bound.iter().map(|b| b.1).collect(),
        }));
        for (b, id) in bound {
            self.declare(&b, id, false);
        }
    }

    /// `x = value`.
    fn assign(
        &mut self,
        ident: &Ident,
        id: ValueId,
        first_new: ValueId,
        attrs: Vec<Attribute>,
        rhs: &Expr,
    ) {
        let Some(var) = self.scope.var(&ident.to_string()) else {
            self.errors.at(ident, format_args!("`{ident}` is not a local variable of this function; `#[grad]` can only assign to locals"));
            return;
        };
        if self.scope.get(var).cfg_shadow {
            self.cfg_shadow_error(ident);
        }
        let mutable = self.scope.get(var).mutable;
        let id = self.own_binding(id, first_new, mutable, rhs);
        self.name_value(ident, id, first_new, None, attrs);
        if mutable {
            self.values[id].mutable = true;
        }
        self.scope.get_mut(var).value = id;
    }

    /// `x op= rhs`.
    fn compound(&mut self, e: &Expr, b: &syn::ExprBinary, attrs: Vec<Attribute>) {
        let Some(ident) = scan::local(&b.left) else {
            return;
        };
        let Some(prev) = self.lookup(&ident.to_string()) else {
            self.errors.at(
                ident,
                format_args!("`{ident}` is not a local variable of this function"),
            );
            return;
        };
        if let Some(v) = self.scope.var(&ident.to_string()) {
            if self.scope.get(v).cfg_shadow {
                self.cfg_shadow_error(ident);
            }
        }
        let first_new = self.values.len();
        let rhs = self.expr(&b.right);
        let (renamed_rhs, _, _) = self.renamed(&b.right);
        let arithmetic = match b.op {
            syn::BinOp::AddAssign(_) => Some(BinaryOp::Add),
            syn::BinOp::SubAssign(_) => Some(BinaryOp::Sub),
            syn::BinOp::MulAssign(_) => Some(BinaryOp::Mul),
            syn::BinOp::DivAssign(_) => Some(BinaryOp::Div),
            _ => None,
        };
        let kind = match arithmetic.and_then(Op::by_binary) {
            Some(op) => Kind::Op {
                op,
                inputs: vec![prev, rhs],
                extras: Vec::new(),
                completion: crate::ir::Completion::Plain,
            },
            None => Kind::Opaque {
                inputs: vec![prev, rhs],
                unsupported: self.unsupported(
                    b.op,
                    format!(
                        "`{}` is not differentiable by `#[grad]`",
                        b.op.to_token_stream()
                    ),
                ),
            },
        };
        let source = Source::Compound {
            prev,
            op: b.op,
            rhs: renamed_rhs,
        };
        let id = self.compute(kind, Some(source), e_span(e));
        self.values[id].mentions = vec![prev, rhs];
        self.assign(ident, id, first_new, attrs, &b.right);
    }

    /// A value bound to a `mut` variable gets a binding of its own, even when it is the value
    /// of another variable (`let mut b = a;`), so that changing `b` in place leaves `a`. So
    /// does a field or element read by value (`let a = p.s;`, a copy in the user's code),
    /// whose [`Kind::Project`] value is a borrow of the place.
    fn own_binding(
        &mut self,
        id: ValueId,
        first_new: ValueId,
        mutable: bool,
        rhs: &Expr,
    ) -> ValueId {
        let id = self.copied_place(id, rhs);
        if !mutable || id >= first_new {
            return id;
        }
        match self.values[id].kind {
            // A parameter's or pattern's binding stays as declared: a copy of its own.
            Kind::Param { .. } | Kind::Bound { .. } | Kind::Version { .. } => {
                self.op(Op::by_method("clone", 0), vec![id], Vec::new(), rhs)
            }
            // Any other binding is declared `mut`, and shared.
            _ => {
                self.values[id].mutable = true;
                id
            }
        }
    }

    /// Names a value computed for the user's variable `ident` after it.
    fn name_value(
        &mut self,
        ident: &Ident,
        id: ValueId,
        first_new: ValueId,
        ty: Option<Type>,
        attrs: Vec<Attribute>,
    ) {
        let v = &self.values[id];
        let fresh = id >= first_new
            && !v.named
            && matches!(
                v.kind,
                Kind::Opaque { .. }
                    | Kind::Op { .. }
                    | Kind::Map { .. }
                    | Kind::Call { .. }
                    | Kind::Merged
            );
        if fresh {
            let name = self.names.user(&ident.to_string(), ident.span());
            let v = &mut self.values[id];
            v.name = name;
            v.named = true;
            v.ty = ty;
            v.attrs = attrs;
        }
        if self.values[id].label.is_none() || fresh {
            self.values[id].label = Some(ident.to_string());
        }
        self.values[id].named = true;
    }
}

/// The first `&mut` argument of a call or method call.
fn mutable_borrow(e: &Expr) -> Option<&Expr> {
    let args: Vec<&Expr> = match e {
        Expr::Call(c) => c.args.iter().collect(),
        Expr::MethodCall(m) => m.args.iter().collect(),
        _ => return None,
    };
    args.into_iter()
        .find(|a| matches!(a, Expr::Reference(r) if r.mutability.is_some()))
}

/// Whether an expression in tail position is really a statement (a loop, an `if` without
/// `else`).
fn is_statement_like(e: &Expr) -> bool {
    matches!(e, Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_))
        || matches!(e, Expr::If(i) if i.else_branch.is_none())
}
