//! Lowering the user's function body into the [`ir`](crate::ir): values, regions and
//! activity, with a spanned error for everything that cannot be differentiated.

use crate::error::Errors;
use crate::ir::{Arm, Body, Branch, Carried, Kind, Loop, ScalarFn, Step, Value, ValueId};
use crate::names::Names;
use crate::ops::{Op, IDENTITY_METHODS, SHAPE_METHODS, SUPPORTED_METHODS, SUPPORTED_SYNTAX};
use crate::rename::{self, Renamer};
use crate::scan;
use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use std::collections::HashMap;
use syn::spanned::Spanned;
use syn::{BinOp, Block, Expr, Ident, Pat, Stmt, Type, UnOp};

/// A parameter as the lowering sees it.
pub struct ParamInfo {
    pub ident: Ident,
    pub by_ref: bool,
    pub differentiated: bool,
}

/// Lowers a function body whose parameters are `params`.
pub fn lower(block: &Block, params: &[ParamInfo], names: &mut Names, errors: &mut Errors) -> Body {
    let mut l = Lower::new(names, errors);
    for p in params {
        let id = l.push(Value {
            kind: Kind::Param { by_ref: p.by_ref },
            name: p.ident.clone(),
            varied: p.differentiated,
            useful: false,
            span: p.ident.span(),
            ty: None,
            named: true,
            mutable: false,
            label: Some(p.ident.to_string()),
        });
        l.scope.insert(p.ident.to_string(), id);
    }
    l.function_block(block);
    let mut body = Body {
        values: l.values,
        steps: l.steps,
        output: l.output,
    };
    body.mark_useful();
    body
}

struct Lower<'a> {
    values: Vec<Value>,
    steps: Vec<Step>,
    output: Option<ValueId>,
    /// The user's local names in scope, and the value each currently holds.
    scope: HashMap<String, ValueId>,
    names: &'a mut Names,
    errors: &'a mut Errors,
    /// For a `map` closure's body: the enclosing body's values it may read, by name.
    outer: Option<&'a HashMap<String, (Ident, bool, bool)>>,
    /// Outer names read by a `map` closure's body (filled while lowering it).
    captured: Vec<String>,
    /// The `map` closure being lowered, for errors about it.
    closure_span: Span,
}

impl<'a> Lower<'a> {
    fn new(names: &'a mut Names, errors: &'a mut Errors) -> Self {
        Lower {
            values: Vec::new(),
            steps: Vec::new(),
            output: None,
            scope: HashMap::new(),
            names,
            errors,
            outer: None,
            captured: Vec::new(),
            closure_span: Span::call_site(),
        }
    }

    fn push(&mut self, v: Value) -> ValueId {
        self.values.push(v);
        self.values.len() - 1
    }

    /// A value with a fresh generated name, not yet placed in the forward sweep.
    fn value(&mut self, base: &str, kind: Kind, varied: bool, span: Span) -> ValueId {
        let name = self.names.fresh(base, span);
        self.push(Value {
            kind,
            name,
            varied,
            useful: false,
            span,
            ty: None,
            named: false,
            mutable: false,
            label: None,
        })
    }

    /// Adds a computed value to the forward sweep under a fresh temporary name.
    fn compute(&mut self, kind: Kind, varied: bool, span: Span) -> ValueId {
        let base = format!("__t{}", self.values.len());
        let id = self.value(&base, kind, varied, span);
        self.steps.push(Step::Value(id));
        id
    }

    fn varied(&self, id: ValueId) -> bool {
        self.values[id].varied
    }

    /// The value a local name holds, importing it from the enclosing body inside a closure.
    fn lookup(&mut self, name: &str) -> Option<ValueId> {
        if let Some(&id) = self.scope.get(name) {
            return Some(id);
        }
        let (ident, by_ref, varied) = self.outer?.get(name)?.clone();
        let id = self.push(Value {
            kind: Kind::Bound { by_ref },
            name: ident,
            varied: false,
            useful: false,
            span: Span::call_site(),
            ty: None,
            named: true,
            mutable: false,
            label: Some(name.to_string()),
        });
        if varied {
            self.errors.at(
                Ident::new(name, self.closure_span),
                format_args!(
                    "a `map` closure cannot read `{name}`, which depends on a differentiated parameter; \
                     compute it outside, e.g. with `.component_mul(..)` or `broadcast_mul(..)`"
                ),
            );
        }
        self.captured.push(name.to_string());
        self.scope.insert(name.to_string(), id);
        Some(id)
    }

    /// Whether `expr` mentions a local holding a varied value.
    fn mentions_varied(&self, expr: &Expr) -> bool {
        rename::read(expr).iter().any(|n| match self.scope.get(n) {
            Some(&id) => self.varied(id),
            None => self.outer.and_then(|o| o.get(n)).is_some_and(|o| o.2),
        })
    }

    fn rename_map(&mut self, names: impl IntoIterator<Item = String>) -> HashMap<String, Ident> {
        let mut map = HashMap::new();
        for n in names {
            if let Some(id) = self.lookup(&n) {
                map.insert(n, self.values[id].name.clone());
            }
        }
        map
    }

    /// `expr` with each local renamed to its generated binding.
    fn renamed(&mut self, expr: &Expr) -> Expr {
        self.renamed_with_deps(expr).0
    }

    /// [`Lower::renamed`], and the values the expression reads.
    fn renamed_with_deps(&mut self, expr: &Expr) -> (Expr, Vec<ValueId>) {
        let mentioned = rename::mentioned(expr);
        let deps = mentioned
            .iter()
            .filter_map(|n| self.scope.get(n).copied())
            .collect();
        let map = self.rename_map(mentioned);
        let f = |i: &Ident| map.get(&i.to_string()).cloned();
        (Renamer::new(&f).expr(expr), deps)
    }

    /// Binds the user's name to a value; a value computed for this binding takes the name.
    fn bind(&mut self, ident: &Ident, id: ValueId, first_new: ValueId, ty: Option<Type>) {
        let v = &self.values[id];
        let fresh = id >= first_new
            && !v.named
            && matches!(
                v.kind,
                Kind::Const { .. } | Kind::Op { .. } | Kind::Map { .. } | Kind::Call { .. }
            );
        if fresh {
            let name = self.names.fresh(&ident.to_string(), ident.span());
            let v = &mut self.values[id];
            v.name = name;
            v.named = true;
            v.ty = ty;
        }
        if self.values[id].label.is_none() || fresh {
            self.values[id].label = Some(ident.to_string());
        }
        self.scope.insert(ident.to_string(), id);
    }

    /// The function's top-level block: statements, then the returned value.
    fn function_block(&mut self, block: &Block) {
        let errors_before = self.errors.len();
        let n = block.stmts.len();
        for (i, stmt) in block.stmts.iter().enumerate() {
            let last = i + 1 == n;
            match stmt {
                Stmt::Expr(Expr::Return(r), _) if last => match &r.expr {
                    Some(e) => self.output = Some(self.expr(e)),
                    None => self.errors.at(
                        r,
                        "a bare `return` gives no value to differentiate; return the result",
                    ),
                },
                Stmt::Expr(e, None) if last && !is_statement_like(e) => {
                    self.output = Some(self.expr(e))
                }
                s => self.stmt(s),
            }
        }
        if self.output.is_none()
            && self.errors.len() == errors_before
            && !matches!(block.stmts.last(), Some(Stmt::Expr(Expr::Return(_), _)))
        {
            match block.stmts.last() {
                Some(s) => self.errors.at(s, "the function body must end with the value to differentiate, without a semicolon"),
                None => self.errors.at(
                    Ident::new("body", block.brace_token.span.join()),
                    "the function body must end with the value to differentiate",
                ),
            }
        }
    }

    /// The statements of a loop body or branch arm, with an optional value at the end.
    fn inner_block(&mut self, block: &Block, want_value: bool) -> Option<ValueId> {
        let n = block.stmts.len();
        let mut value = None;
        for (i, stmt) in block.stmts.iter().enumerate() {
            let last = i + 1 == n;
            match stmt {
                Stmt::Expr(e, None) if last && want_value => value = Some(self.expr(e)),
                Stmt::Expr(e @ (Expr::If(_) | Expr::ForLoop(_) | Expr::Block(_)), None) if last => {
                    self.statement(e)
                }
                Stmt::Expr(e, None) if last && !is_statement_like(e) => self.errors.at(
                    e,
                    "this block's value is unused; end the statement with `;`",
                ),
                s => self.stmt(s),
            }
        }
        if want_value && value.is_none() {
            self.errors.at(
                Ident::new("block", block.brace_token.span.join()),
                "this branch must end with a value, without a semicolon",
            );
        }
        value
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Local(local) => self.local(local),
            Stmt::Item(item) => self.steps.push(Step::Effect {
                tokens: item.to_token_stream(),
                bound: Vec::new(),
            }),
            Stmt::Macro(m) => self.effect_macro(m.to_token_stream()),
            Stmt::Expr(e, _) => self.statement(e),
        }
    }

    /// A statement macro (`println!`, `assert!`, ...), kept as written: the locals it names,
    /// also inside format strings (`"{y}"`), are bound again under the user's names, as copies.
    fn effect_macro(&mut self, tokens: TokenStream) {
        let mut names = Vec::new();
        collect_idents(tokens.clone(), &mut names);
        collect_format_names(tokens.clone(), &mut names);
        let mut rebind = TokenStream::new();
        let mut seen = std::collections::HashSet::new();
        for n in names {
            if !seen.insert(n.clone()) {
                continue;
            }
            let Some(id) = self.lookup(&n) else { continue };
            if matches!(self.values[id].kind, Kind::Param { .. })
                && self.values[id].name == n.as_str()
            {
                continue;
            }
            let user = Ident::new(&n, Span::call_site());
            let r = {
                let v = &self.values[id];
                let name = &v.name;
                if v.kind.is_reference() {
                    quote!(#name)
                } else {
                    quote!(&#name)
                }
            };
            rebind.extend(
                quote!(#[allow(unused_variables)] let #user = ::core::clone::Clone::clone(#r);),
            );
        }
        self.steps.push(Step::Effect {
            tokens: quote!({ #rebind #tokens; }),
            bound: Vec::new(),
        });
    }

    fn local(&mut self, local: &syn::Local) {
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
                        Pat::Ident(pi)
                if pi.by_ref.is_none()
                    && pi.subpat.is_none()
                    && pi.mutability.is_some()
                    && !self.mentions_varied(&init.expr) =>
            {
                // A mutable constant (a counter, a `Vec` to push to): its own `let mut`
                // binding, which statements may change in place.
                let first_new = self.values.len();
                let id = self.constant(&init.expr);
                self.bind(&pi.ident, id, first_new, ty);
                self.values[id].mutable = true;
            }
            Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                let first_new = self.values.len();
                let id = self.expr(&init.expr);
                self.bind(&pi.ident, id, first_new, ty);
            }
            _ if !self.mentions_varied(&init.expr) => {
                // A destructuring `let` of constants: kept as written, its names rebound.
                let expr = self.renamed(&init.expr);
                let mut bound_names = Vec::new();
                rename::pat_idents(pat, &mut bound_names);
                let mut fresh = HashMap::new();
                let mut bound = Vec::new();
                for b in &bound_names {
                    let id = self.value(b, Kind::Bound { by_ref: false }, false, pat.span());
                    self.values[id].named = true;
                    self.values[id].label = Some(b.clone());
                    fresh.insert(b.clone(), self.values[id].name.clone());
                    bound.push((b.clone(), id));
                }
                let f = |i: &Ident| fresh.get(&i.to_string()).cloned();
                let pat_tokens = Renamer::new(&f).tokens(local.pat.to_token_stream());
                self.steps.push(Step::Effect {
                    tokens: quote!(let #pat_tokens = #expr;),
                    bound: bound.iter().map(|b| b.1).collect(),
                });
                for (b, id) in bound {
                    self.scope.insert(b, id);
                }
            }
            other => self.errors.at(
                other,
                "`#[grad]` cannot destructure a value that depends on a differentiated parameter; bind it whole, e.g. `let v = ...;`",
            ),
        }
    }

    /// An expression statement: an assignment to a local, a loop, a branch, or a kept
    /// side effect.
    fn statement(&mut self, e: &Expr) {
        match e {
                        // A constant changed in place (`n += 1`, `count = count * 2`): kept as written.
            Expr::Assign(_) | Expr::Binary(_)
                if !self.mentions_varied(e)
                    && assigned_local(e).is_some_and(|n| self.scope.get(&n).is_some_and(|&id| self.values[id].mutable)) =>
            {
                let renamed = self.renamed(e);
                self.steps.push(Step::Effect { tokens: quote!(#renamed;), bound: Vec::new() });
            }
            Expr::Assign(a) => match local_name(&a.left) {
                Some(ident) if self.scope.contains_key(&ident.to_string()) => {
                    let first_new = self.values.len();
                    let id = self.expr(&a.right);
                    self.bind(&ident, id, first_new, None);
                }
                _ => self.errors.at(
                    &a.left,
                    "`#[grad]` can only assign to a whole local variable; build a new value instead of writing into part of one",
                ),
            },
            Expr::Binary(b) if compound(&b.op).is_some() => match local_name(&b.left) {
                Some(ident) if self.scope.contains_key(&ident.to_string()) => {
                    let op = compound(&b.op).unwrap_or(Op::Add);
                    let first_new = self.values.len();
                    let lhs = self.scope[&ident.to_string()];
                    let rhs = self.expr(&b.right);
                    let id = self.op(op, vec![lhs, rhs], None, b.span());
                    self.bind(&ident, id, first_new, None);
                }
                _ => self.errors.at(
                    &b.left,
                    "`#[grad]` can only update a whole local variable; build a new value instead of writing into part of one",
                ),
            },
            Expr::ForLoop(f) => self.for_loop(f),
            Expr::If(i) => {
                self.branch(i, false);
            }
                        Expr::Macro(m) => self.effect_macro(m.to_token_stream()),
            Expr::Return(r) => self.errors.at(
                r,
                "early `return` is not supported by `#[grad]`; return the value from the end of the function",
            ),
            Expr::Break(b) => self.errors.at(
                b,
                "`break` is not supported by `#[grad]`; loop over exactly the iterations you need, e.g. `for t in 0..n`",
            ),
            Expr::Continue(c) => self.errors.at(
                c,
                "`continue` is not supported by `#[grad]`; put the rest of the iteration in an `if`",
            ),
            Expr::While(_) | Expr::Loop(_) => self.unsupported(e),
            Expr::Call(c) if c.args.iter().any(|a| matches!(a, Expr::Reference(r) if r.mutability.is_some())) => {
                for a in c.args.iter().filter(|a| matches!(a, Expr::Reference(r) if r.mutability.is_some())) {
                    self.unsupported(a);
                }
            }
            Expr::MethodCall(m) if self.mentions_varied(e) && is_mutating(&m.method) => self.errors.at(
                &m.method,
                format_args!(
                    "`.{}()` changes a value in place, which `#[grad]` cannot differentiate; compute a new value instead, e.g. `let y = ...;`",
                    m.method
                ),
            ),
            _ if !self.mentions_varied(e) => {
                let renamed = self.renamed(e);
                self.steps.push(Step::Effect { tokens: quote!(#renamed;), bound: Vec::new() });
            }
            other => self.unsupported(other),
        }
    }

    fn op(&mut self, op: Op, inputs: Vec<ValueId>, extra: Option<ValueId>, span: Span) -> ValueId {
        let varied = inputs.iter().any(|&i| self.varied(i));
        self.compute(Kind::Op { op, inputs, extra }, varied, span)
    }

    /// A non-differentiated expression, kept as written.
    fn constant(&mut self, e: &Expr) -> ValueId {
        let (inner, by_ref) = match e {
            Expr::Reference(r) if r.mutability.is_none() => (&*r.expr, true),
            _ => (e, false),
        };
        let (expr, deps) = self.renamed_with_deps(inner);
        self.compute(Kind::Const { expr, by_ref, deps }, false, e.span())
    }

    /// Lowers an expression to the value it computes.
    fn expr(&mut self, e: &Expr) -> ValueId {
        match e {
            Expr::Paren(p) => return self.expr(&p.expr),
            Expr::Group(g) => return self.expr(&g.expr),
            Expr::Reference(r) if r.mutability.is_none() && self.mentions_varied(&r.expr) => {
                return self.expr(&r.expr)
            }
            Expr::Reference(r) if r.mutability.is_none() => {
                if let Some(id) = self.local_value(&r.expr) {
                    return id;
                }
            }
            Expr::Unary(u) if matches!(u.op, UnOp::Deref(_)) && self.mentions_varied(&u.expr) => {
                return self.expr(&u.expr)
            }
            Expr::Path(_) => {
                if let Some(id) = self.local_value(e) {
                    return id;
                }
            }
            _ => {}
        }
        // A column or row, even of a constant matrix, is taken as an owned vector (nalgebra
        // gives a view, which the kernels do not take).
        if let Expr::MethodCall(m) = strip_borrows(e) {
            if (m.method == "column" || m.method == "row") && m.args.len() == 1 {
                return self.method(m);
            }
        }
        if let Expr::If(i) = e {
            return match self.branch(i, true) {
                Some(id) => id,
                None => self.constant(e),
            };
        }
        if !self.mentions_varied(e) {
            return self.constant(e);
        }
        match e {
            Expr::Binary(b) => {
                let op = match b.op {
                    BinOp::Add(_) => Op::Add,
                    BinOp::Sub(_) => Op::Sub,
                    BinOp::Mul(_) => Op::Mul,
                    BinOp::Div(_) => Op::Div,
                    _ => {
                        self.errors.at(
                            b.op,
                            format_args!(
                                "`{}` is not differentiable by `#[grad]`; the supported operators are `+`, `-`, `*`, `/` and unary `-` \
                                 (comparisons may appear in an `if` condition)",
                                b.op.to_token_stream()
                            ),
                        );
                        return self.constant(e);
                    }
                };
                // A product with a transposed operand is one operation, so the transpose is
                // never materialised (neither forward nor in the pullbacks).
                if op == Op::Mul {
                    if let Some(inner) = transposed(&b.left) {
                        let l = self.expr(inner);
                        let r = self.expr(&b.right);
                        return self.op(Op::MulTn, vec![l, r], None, e.span());
                    }
                    if let Some(inner) = transposed(&b.right) {
                        let l = self.expr(&b.left);
                        let r = self.expr(inner);
                        return self.op(Op::MulNt, vec![l, r], None, e.span());
                    }
                }
                let l = self.expr(&b.left);
                let r = self.expr(&b.right);
                self.op(op, vec![l, r], None, e.span())
            }
            Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => {
                let x = self.expr(&u.expr);
                self.op(Op::Neg, vec![x], None, e.span())
            }
            Expr::MethodCall(m) => self.method(m),
            Expr::Index(ix) => {
                let x = self.expr(&ix.expr);
                if self.mentions_varied(&ix.index) {
                    self.errors.at(
                        &ix.index,
                        "an index must not depend on a differentiated parameter",
                    );
                }
                let idx = self.constant(&ix.index);
                self.op(Op::Index, vec![x], Some(idx), e.span())
            }
            Expr::Call(c) => self.call(c),
            other => {
                self.unsupported(other);
                self.constant(e)
            }
        }
    }

    /// The value held by a plain local name, if `e` is one.
    fn local_value(&mut self, e: &Expr) -> Option<ValueId> {
        match e {
            Expr::Path(p) if p.qself.is_none() => {
                let ident = p.path.get_ident()?;
                self.lookup(&ident.to_string())
            }
            Expr::Paren(p) => self.local_value(&p.expr),
            _ => None,
        }
    }

    fn method(&mut self, m: &syn::ExprMethodCall) -> ValueId {
        let name = m.method.to_string();
        let span = m.span();
        // `.name(args)` spanned from the method's name to its closing parenthesis.
        let method_tokens = {
            let mut parens = proc_macro2::Group::new(
                proc_macro2::Delimiter::Parenthesis,
                m.args.to_token_stream(),
            );
            parens.set_span(m.paren_token.span.join());
            let method = &m.method;
            quote!(#method #parens)
        };
        let arity_ok = |this: &mut Self, n: usize| -> bool {
            if m.args.len() != n {
                this.errors.at(
                    &method_tokens,
                    format_args!("`.{name}()` takes {n} argument(s) here"),
                );
                false
            } else {
                true
            }
        };
        if SHAPE_METHODS.contains(&name.as_str()) {
            return self.constant(&Expr::MethodCall(m.clone()));
        }
        if IDENTITY_METHODS.contains(&name.as_str()) && m.args.is_empty() {
            return self.expr(&m.receiver);
        }
        if let Some(op) = Op::nullary_method(&name) {
            let x = self.expr(&m.receiver);
            arity_ok(self, 0);
            return self.op(op, vec![x], None, span);
        }
        if let Some(op) = Op::binary_method(&name) {
            let x = self.expr(&m.receiver);
            if !arity_ok(self, 1) {
                return x;
            }
            let y = self.expr(&m.args[0]);
            return self.op(op, vec![x, y], None, span);
        }
        match name.as_str() {
            "tr_mul" => {
                let x = self.expr(&m.receiver);
                if !arity_ok(self, 1) {
                    return x;
                }
                let y = self.expr(&m.args[0]);
                self.op(Op::MulTn, vec![x, y], None, span)
            }
            "powi" => {
                let x = self.expr(&m.receiver);
                if !arity_ok(self, 1) {
                    return x;
                }
                if self.mentions_varied(&m.args[0]) {
                    self.errors.at(
                        &m.args[0],
                        "the exponent of `.powi(n)` must not depend on a differentiated parameter",
                    );
                }
                let n = self.constant(&m.args[0]);
                self.op(Op::Powi, vec![x], Some(n), span)
            }
            "column" | "row" => {
                let x = self.expr(&m.receiver);
                if !arity_ok(self, 1) {
                    return x;
                }
                if self.mentions_varied(&m.args[0]) {
                    self.errors.at(
                        &m.args[0],
                        "an index must not depend on a differentiated parameter",
                    );
                }
                let i = self.constant(&m.args[0]);
                let op = if name == "column" {
                    Op::Column
                } else {
                    Op::Row
                };
                self.op(op, vec![x], Some(i), span)
            }
            "map" => self.map(m, &method_tokens),
            "unwrap" if try_inverse_receiver(&m.receiver).is_some() => {
                let receiver = try_inverse_receiver(&m.receiver).unwrap_or(&m.receiver);
                let x = self.expr(receiver);
                arity_ok(self, 0);
                self.op(Op::Inverse, vec![x], None, span)
            }
            "try_inverse" => {
                self.errors.at(
                    &method_tokens,
                    "`#[grad]` differentiates the inverse written `.try_inverse().unwrap()`; unwrap it right away",
                );
                self.constant(&Expr::MethodCall(m.clone()))
            }
            _ if try_inverse_receiver(&m.receiver).is_some() => {
                self.errors.at(
                    &method_tokens,
                    format_args!(
                        "`#[grad]` differentiates the inverse written `.try_inverse().unwrap()`, not `.try_inverse().{name}(..)`; \
                         unwrap it right away (a singular matrix then panics)"
                    ),
                );
                self.constant(&Expr::MethodCall(m.clone()))
            }
            _ => {
                // Reported once; the receiver is not lowered, so one mistake gives one error.
                self.errors.at(
                    &method_tokens,
                    format_args!("`.{name}()` has no derivative rule in `#[grad]`; supported methods: {SUPPORTED_METHODS}"),
                );
                self.constant(&Expr::MethodCall(m.clone()))
            }
        }
    }

    /// `x.map(|v| body)` or `x.map(f64::sqrt)`: the closure is differentiated as a scalar
    /// function of its parameter.
    fn map(&mut self, m: &syn::ExprMethodCall, method_tokens: &TokenStream) -> ValueId {
        let x = self.expr(&m.receiver);
        if m.args.len() != 1 {
            self.errors.at(
                method_tokens,
                "`.map(f)` takes one closure or function, e.g. `.map(|v| v.sqrt())`",
            );
            return x;
        }
        let closure: syn::ExprClosure = match &m.args[0] {
            Expr::Closure(c) => c.clone(),
            Expr::Path(p) if p.path.segments.len() == 2 => {
                // `f64::sqrt` → `|v| v.sqrt()`
                let f = &p.path.segments[1].ident;
                let v = Ident::new("__v", Span::mixed_site());
                syn::parse_quote_spanned!(p.span()=> |#v| #v.#f())
            }
            other => {
                self.errors.at(
                    other,
                    "`#[grad]` differentiates `.map` with a closure such as `|v| (v + eps).sqrt()` or a method path such as `f64::tanh`",
                );
                return x;
            }
        };
        let param = match closure.inputs.first() {
            Some(Pat::Ident(pi)) if closure.inputs.len() == 1 => pi.ident.clone(),
            Some(Pat::Type(pt)) if closure.inputs.len() == 1 => match &*pt.pat {
                Pat::Ident(pi) => pi.ident.clone(),
                other => {
                    self.errors.at(
                        other,
                        "a `map` closure takes one named parameter, e.g. `|v| v.sqrt()`",
                    );
                    return x;
                }
            },
            _ => {
                self.errors.at(
                    &closure.inputs,
                    "a `map` closure takes one named parameter, e.g. `|v| v.sqrt()`",
                );
                return x;
            }
        };
        // The enclosing values the closure may read, by name.
        let outer: HashMap<String, (Ident, bool, bool)> = self
            .scope
            .iter()
            .map(|(n, &id)| {
                let v = &self.values[id];
                (n.clone(), (v.name.clone(), v.kind.is_reference(), v.varied))
            })
            .collect();
        let (sub, captured) = {
            let mut inner = Lower::new(self.names, self.errors);
            inner.outer = Some(&outer);
            inner.closure_span = closure.span();
            let pid = inner.push(Value {
                kind: Kind::Param { by_ref: false },
                name: param.clone(),
                varied: true,
                useful: false,
                span: param.span(),
                ty: None,
                named: true,
                mutable: false,
                label: Some(param.to_string()),
            });
            inner.scope.insert(param.to_string(), pid);
            let out = inner.expr(&closure.body);
            inner.output = Some(out);
            let captured = std::mem::take(&mut inner.captured);
            let mut body = Body {
                values: inner.values,
                steps: inner.steps,
                output: inner.output,
            };
            body.mark_useful();
            (body, captured)
        };
        let captures = captured
            .iter()
            .filter_map(|n| self.scope.get(n).copied())
            .collect();
        let renamed = {
            let c = Expr::Closure(closure.clone());
            self.renamed(&c)
        };
        let varied = self.varied(x);
        self.compute(
            Kind::Map {
                input: x,
                closure: renamed,
                scalar: Box::new(ScalarFn {
                    param,
                    body: sub,
                    captures,
                }),
            },
            varied,
            m.span(),
        )
    }

    /// `f(args)`: a call through `f::vjp`, which `#[grad]` and `#[vjp]` generate.
    fn call(&mut self, c: &syn::ExprCall) -> ValueId {
        let Expr::Path(p) = &*c.func else {
            self.errors.at(
                &c.func,
                "`#[grad]` can only call a function by its path, e.g. `helper(&x)`",
            );
            return self.constant(&Expr::Call(c.clone()));
        };
        let first = p
            .path
            .segments
            .first()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if p.path.segments.len() > 1
            && [
                "std",
                "core",
                "alloc",
                "nalgebra",
                "f64",
                "f32",
                "na",
                "num_traits",
                "simba",
            ]
            .contains(&first.as_str())
        {
            let path = p.path.to_token_stream().to_string().replace(' ', "");
            self.errors.at(
                &c.func,
                format_args!(
                    "`{path}` has no derivative rule in `#[grad]`; call a function that has `#[grad]` or `#[vjp(..)]`, \
                     or write the computation with supported operations: {SUPPORTED_METHODS}"
                ),
            );
            return self.constant(&Expr::Call(c.clone()));
        }
        // `path::f::<T>(..)` → `path::f::vjp::<T>(..)`
        let mut path = p.path.clone();
        let Some(last) = path.segments.last_mut() else {
            return self.constant(&Expr::Call(c.clone()));
        };
        let generics = std::mem::replace(&mut last.arguments, syn::PathArguments::None);
        let vjp = Ident::new("vjp", last.ident.span());
        let callee = quote!(#path::#vjp #generics);
        let mut args = Vec::new();
        let arg_spans: Vec<Span> = c.args.iter().map(|a| a.span()).collect();
        for a in &c.args {
            let id = self.expr(a);
            // Passed as the user passed it: a borrow, or a name that already is a reference.
            let by_ref = matches!(a, Expr::Reference(r) if r.mutability.is_none())
                || self.values[id].kind.is_reference();
            args.push((id, by_ref));
        }
        let varied = args.iter().any(|a| self.varied(a.0));
        let base = format!("__t{}", self.values.len());
        let pullback = self.value(
            &format!("{base}_pullback"),
            Kind::Bound { by_ref: false },
            false,
            c.span(),
        );
        self.compute(
            Kind::Call {
                callee,
                args,
                arg_spans,
                pullback,
            },
            varied,
            c.span(),
        )
    }

    /// A `for` loop: variables it assigns become carried values.
    fn for_loop(&mut self, f: &syn::ExprForLoop) {
        if let Some(label) = &f.label {
            self.errors
                .at(label, "loop labels are not supported by `#[grad]`");
        }
        if self.mentions_varied(&f.expr) {
            self.errors.at(
                &f.expr,
                "the range of a `for` loop must not depend on a differentiated parameter",
            );
        }
        let carried_names: Vec<String> = scan::assigned_outer(&f.body)
            .into_iter()
            .filter(|n| self.scope.contains_key(n))
            .collect();
        let (iter, iter_deps) = self.renamed_with_deps(&f.expr);
        let iters = self.value(
            "__iters",
            Kind::Bound { by_ref: false },
            false,
            f.expr.span(),
        );
        let tape = self.value("__tape", Kind::Bound { by_ref: false }, false, f.span());

        let mut force_varied: Vec<bool> = carried_names
            .iter()
            .map(|n| self.varied(self.scope[n]))
            .collect();
        for _attempt in 0..4 {
            let checkpoint = (self.values.len(), self.errors.len(), self.steps.len());
            let outer_scope = self.scope.clone();
            let outer_steps = std::mem::take(&mut self.steps);
            // The pattern's values.
            let mut pat_names = Vec::new();
            rename::pat_idents(&f.pat, &mut pat_names);
            let mut fresh = HashMap::new();
            let mut pat_values = Vec::new();
            for n in &pat_names {
                let id = self.value(n, Kind::Bound { by_ref: false }, false, f.pat.span());
                self.values[id].named = true;
                self.values[id].label = Some(n.clone());
                fresh.insert(n.clone(), self.values[id].name.clone());
                pat_values.push(id);
                self.scope.insert(n.clone(), id);
            }
            let rf = |i: &Ident| fresh.get(&i.to_string()).cloned();
            let pat = Renamer::new(&rf).tokens(f.pat.to_token_stream());
            // The carried variables' values at the start of an iteration.
            let mut phis = Vec::new();
            for (k, n) in carried_names.iter().enumerate() {
                let init = outer_scope[n];
                let id = self.value(n, Kind::Carried, force_varied[k], f.span());
                self.values[id].named = true;
                self.values[id].mutable = self.values[init].mutable;
                self.values[id].label = Some(n.clone());
                phis.push((init, id));
                self.scope.insert(n.clone(), id);
            }
            self.inner_block(&f.body, false);
            let nexts: Vec<ValueId> = carried_names.iter().map(|n| self.scope[n]).collect();
            let body = std::mem::replace(&mut self.steps, outer_steps);
            self.scope = outer_scope;
            let retry: Vec<bool> = nexts.iter().map(|&id| self.varied(id)).collect();
            if retry.iter().zip(&force_varied).any(|(n, f)| *n && !*f) {
                // A carried value became varied inside the body: lower again with it varied.
                for (k, r) in retry.iter().enumerate() {
                    force_varied[k] |= *r;
                }
                self.values.truncate(checkpoint.0);
                self.errors.truncate(checkpoint.1);
                self.steps.truncate(checkpoint.2);
                continue;
            }
            let mut carried = Vec::new();
            for (k, n) in carried_names.iter().enumerate() {
                let (init, phi) = phis[k];
                let out = self.push(Value {
                    kind: Kind::Carried,
                    name: self.values[phi].name.clone(),
                    varied: force_varied[k],
                    useful: false,
                    span: f.span(),
                    ty: None,
                    named: true,
                    mutable: self.values[init].mutable,
                    label: Some(n.clone()),
                });
                carried.push(Carried {
                    init,
                    phi,
                    next: nexts[k],
                    out,
                });
                self.scope.insert(n.clone(), out);
            }
            self.steps.push(Step::Loop(Box::new(Loop {
                pat,
                pat_values,
                iter,
                iter_deps,
                iters,
                tape,
                carried,
                body,
                span: f.span(),
            })));
            return;
        }
    }

    /// An `if`/`else`: variables assigned in either arm become merged values; as an
    /// expression, its value is merged too.
    fn branch(&mut self, i: &syn::ExprIf, want_value: bool) -> Option<ValueId> {
        let cond = self.constant(&i.cond);
        let mut names = scan::assigned_outer(&i.then_branch);
        if let Some((_, e)) = &i.else_branch {
            let block: Block = syn::parse_quote!({ #e; });
            for n in scan::assigned_outer(&block) {
                if !names.contains(&n) {
                    names.push(n);
                }
            }
        }
        names.retain(|n| self.scope.contains_key(n));
        if want_value && i.else_branch.is_none() {
            self.errors.at(i, "an `if` used as a value needs an `else`");
            return None;
        }
        let outer_scope = self.scope.clone();
        let mut arms = Vec::new();
        let mut values = Vec::new();
        for k in 0..2 {
            let outer_steps = std::mem::take(&mut self.steps);
            let value = match (k, &i.else_branch) {
                (0, _) => self.inner_block(&i.then_branch, want_value),
                (_, Some((_, e))) => match &**e {
                    Expr::Block(b) => self.inner_block(&b.block, want_value),
                    Expr::If(nested) => self.branch(nested, want_value),
                    other => Some(self.expr(other)),
                },
                (_, None) => None,
            };
            let from: Vec<ValueId> = names.iter().map(|n| self.scope[n]).collect();
            let body = std::mem::replace(&mut self.steps, outer_steps);
            self.scope = outer_scope.clone();
            let save = self.value(
                if k == 0 {
                    "__saved_then"
                } else {
                    "__saved_else"
                },
                Kind::Bound { by_ref: false },
                false,
                i.span(),
            );
            arms.push(Arm { body, save, from });
            values.push(value);
        }
        let mut merged = Vec::new();
        for (k, n) in names.iter().enumerate() {
            let varied = arms.iter().any(|a| self.varied(a.from[k]));
            let id = self.value(n, Kind::Merged, varied, i.span());
            self.values[id].named = true;
            self.values[id].mutable = arms.iter().any(|a| self.values[a.from[k]].mutable);
            self.values[id].label = Some(n.clone());
            merged.push(id);
        }
        let mut result = None;
        if want_value {
            if let (Some(a), Some(b)) = (values[0], values[1]) {
                for (arm, v) in arms.iter_mut().zip([a, b]) {
                    arm.from.push(v);
                }
                let varied = self.varied(a) || self.varied(b);
                let id = self.value(
                    &format!("__t{}", self.values.len()),
                    Kind::Merged,
                    varied,
                    i.span(),
                );
                merged.push(id);
                result = Some(id);
            }
        }
        for (n, &id) in names.iter().zip(&merged) {
            self.scope.insert(n.clone(), id);
        }
        let arms: [Arm; 2] = match arms.try_into() {
            Ok(a) => a,
            Err(_) => return None,
        };
        self.steps.push(Step::Branch(Box::new(Branch {
            cond,
            arms,
            merged,
            span: i.span(),
        })));
        result
    }

    fn unsupported(&mut self, e: &Expr) {
        let msg = match e {
            Expr::Match(_) => "`match` on a differentiated value is not supported by `#[grad]`; use `if`/`else`".to_string(),
            Expr::While(_) | Expr::Loop(_) => {
                "`while` and `loop` are not differentiable by `#[grad]`; use a `for` loop with a known range, e.g. `for t in 0..n`"
                    .to_string()
            }
            Expr::Closure(_) => "closures over differentiated values are not supported by `#[grad]`; \
                 write the computation inline, or element-wise with `.map(|v| ...)`"
                .to_string(),
            Expr::Cast(_) => "an `as` cast of a differentiated value is not differentiable; use the value's own float type".to_string(),
            Expr::Macro(_) => "a macro call on differentiated values is not supported by `#[grad]`; write the computation inline".to_string(),
            Expr::Block(_) | Expr::Unsafe(_) => {
                "blocks are not supported by `#[grad]`; write the statements at the function's top level".to_string()
            }
            Expr::Reference(r) if r.mutability.is_some() => {
                "`&mut` borrows of differentiated values are not supported by `#[grad]`: in-place changes are not differentiable; \
                 compute a new value instead"
                    .to_string()
            }
            _ => format!("this expression is not supported by `#[grad]`; supported: {SUPPORTED_SYNTAX}{SUPPORTED_METHODS}"),
        };
        self.errors.at(e, msg);
    }
}

/// Whether an expression in tail position is really a statement (a loop or `if` without value).
fn is_statement_like(e: &Expr) -> bool {
    matches!(e, Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_))
        || matches!(e, Expr::If(i) if i.else_branch.is_none())
}

/// Methods that change their receiver in place.
fn is_mutating(method: &Ident) -> bool {
    let m = method.to_string();
    m.ends_with("_mut")
        || m.starts_with("set_")
        || m.starts_with("fill")
        || m == "swap_rows"
        || m == "swap_columns"
}

/// `x` when `e` is `x.try_inverse()`.
fn try_inverse_receiver(e: &Expr) -> Option<&Expr> {
    match e {
        Expr::MethodCall(m) if m.method == "try_inverse" && m.args.is_empty() => Some(&m.receiver),
        _ => None,
    }
}

/// `x` when `e` is `x.transpose()` (in parentheses or borrowed or not).
fn transposed(e: &Expr) -> Option<&Expr> {
    match strip_borrows(e) {
        Expr::MethodCall(m) if m.method == "transpose" && m.args.is_empty() => Some(&m.receiver),
        _ => None,
    }
}

/// `e` without enclosing parentheses and shared borrows.
fn strip_borrows(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => strip_borrows(&p.expr),
        Expr::Reference(r) if r.mutability.is_none() => strip_borrows(&r.expr),
        other => other,
    }
}

/// The local an assignment or compound assignment statement changes.
fn assigned_local(e: &Expr) -> Option<String> {
    match e {
        Expr::Assign(a) => local_name(&a.left).map(|i| i.to_string()),
        Expr::Binary(b) if compound(&b.op).is_some() => local_name(&b.left).map(|i| i.to_string()),
        _ => None,
    }
}

/// The local a plain assignment target names.
fn local_name(e: &Expr) -> Option<Ident> {
    match e {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident().cloned(),
        Expr::Paren(p) => local_name(&p.expr),
        _ => None,
    }
}

/// The operation of a compound assignment (`+=` and friends).
fn compound(op: &BinOp) -> Option<Op> {
    Some(match op {
        BinOp::AddAssign(_) => Op::Add,
        BinOp::SubAssign(_) => Op::Sub,
        BinOp::MulAssign(_) => Op::Mul,
        BinOp::DivAssign(_) => Op::Div,
        _ => return None,
    })
}

fn collect_idents(tokens: TokenStream, out: &mut Vec<String>) {
    for tt in tokens {
        match tt {
            proc_macro2::TokenTree::Ident(i) => out.push(i.to_string()),
            proc_macro2::TokenTree::Group(g) => collect_idents(g.stream(), out),
            _ => {}
        }
    }
}

/// The names a format string captures (`"{y}"`, `"{y:?}"`), in string literals of `tokens`.
fn collect_format_names(tokens: TokenStream, out: &mut Vec<String>) {
    for tt in tokens {
        match tt {
            proc_macro2::TokenTree::Literal(l) => {
                let text = l.to_string();
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
                    if !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) {
                        out.push(name);
                    }
                }
            }
            proc_macro2::TokenTree::Group(g) => collect_format_names(g.stream(), out),
            _ => {}
        }
    }
}
