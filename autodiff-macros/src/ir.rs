//! The body lowered to single-assignment values, with activity analysis.
//!
//! Every `let`, assignment and sub-expression becomes a [`Value`]: a parameter, a constant
//! (an expression that does not depend on a differentiated parameter, kept as written), or an
//! [`Op`] applied to earlier values. Shadowing and reassignment just make new values.
//! A value is *varied* when it depends on a differentiated parameter and *useful* when the
//! output depends on it; only values that are both get adjoints.

use crate::error::Errors;
use crate::names::Names;
use crate::ops::{Op, IDENTITY_METHODS, SHAPE_METHODS, SUPPORTED_METHODS, SUPPORTED_SYNTAX};
use crate::rename::{self, Renamer};
use crate::signature::Signature;
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use std::collections::HashMap;
use syn::spanned::Spanned;
use syn::{BinOp, Block, Expr, Ident, Pat, Stmt, Type, UnOp};

pub type ValueId = usize;

/// How a value is computed.
pub enum Kind {
    /// A parameter of the function.
    Param { by_ref: bool },
    /// A non-differentiated expression, evaluated as the user wrote it (locals renamed).
    Const { expr: Expr },
    /// A local bound by a destructuring pattern in a kept statement.
    Bound,
    /// An operation on earlier values, with an optional non-differentiated extra argument.
    Op {
        op: Op,
        inputs: Vec<ValueId>,
        extra: Option<ValueId>,
    },
}

/// One single-assignment value.
pub struct Value {
    pub kind: Kind,
    /// The generated binding's name (the parameter's own name for parameters).
    pub name: Ident,
    /// Whether the value depends on a differentiated parameter.
    pub varied: bool,
    /// Whether the output depends on the value (filled in by [`Body::mark_useful`]).
    pub useful: bool,
    /// The user's expression the value comes from.
    pub span: Span,
    /// The type the user annotated the binding with, if any.
    pub ty: Option<Type>,
    /// Whether the binding carries a user's variable name (so it is not renamed again).
    pub named: bool,
}

/// One step of the forward sweep.
pub enum Step {
    /// Compute a value.
    Value(ValueId),
    /// A statement kept as written (locals renamed): items, `println!`, destructuring `let`.
    Effect(TokenStream),
}

/// The lowered body.
pub struct Body {
    pub values: Vec<Value>,
    pub steps: Vec<Step>,
    pub output: Option<ValueId>,
}

impl Body {
    /// An expression for a shared reference to the value (`&name`, or the parameter itself
    /// when it was passed by reference).
    pub fn reference(&self, id: ValueId) -> TokenStream {
        self.reference_at(id, self.values[id].span)
    }

    /// [`Body::reference`], spanned at `at` (the user's expression that uses the value), so
    /// a type error points there rather than at the value's definition.
    pub fn reference_at(&self, id: ValueId, at: Span) -> TokenStream {
        let v = &self.values[id];
        let mut name = v.name.clone();
        name.set_span(name.span().located_at(at));
        match v.kind {
            Kind::Param { by_ref: true } => quote_spanned!(at=> #name),
            _ => quote_spanned!(at=> &#name),
        }
    }

    /// Marks the values the output depends on.
    fn mark_useful(&mut self) {
        let Some(out) = self.output else { return };
        self.values[out].useful = true;
        for id in (0..self.values.len()).rev() {
            if !self.values[id].useful {
                continue;
            }
            if let Kind::Op { inputs, .. } = &self.values[id].kind {
                for &i in inputs.clone().iter() {
                    self.values[i].useful = true;
                }
            }
        }
    }

    /// Whether the value gets an adjoint.
    pub fn active(&self, id: ValueId) -> bool {
        self.values[id].varied && self.values[id].useful
    }
}

/// Lowers the function body.
pub fn lower(block: &Block, sig: &Signature, names: &mut Names, errors: &mut Errors) -> Body {
    let mut l = Lower {
        body: Body {
            values: Vec::new(),
            steps: Vec::new(),
            output: None,
        },
        scope: HashMap::new(),
        names,
        errors,
    };
    for p in &sig.params {
        if let Some(ident) = &p.ident {
            let id = l.push(Value {
                kind: Kind::Param { by_ref: p.by_ref },
                name: ident.clone(),
                varied: p.differentiated,
                useful: false,
                span: ident.span(),
                ty: None,
                named: true,
            });
            l.scope.insert(ident.to_string(), id);
        }
    }
    l.block(block);
    let mut body = l.body;
    body.mark_useful();
    body
}

struct Lower<'a> {
    body: Body,
    /// The user's local names in scope, and the value each currently holds.
    scope: HashMap<String, ValueId>,
    names: &'a mut Names,
    errors: &'a mut Errors,
}

impl Lower<'_> {
    fn push(&mut self, v: Value) -> ValueId {
        self.body.values.push(v);
        self.body.values.len() - 1
    }

    /// Adds a computed value to the forward sweep under a fresh temporary name.
    fn compute(&mut self, kind: Kind, varied: bool, span: Span) -> ValueId {
        let name = self
            .names
            .fresh(&format!("__t{}", self.body.values.len()), span);
        let id = self.push(Value {
            kind,
            name,
            varied,
            useful: false,
            span,
            ty: None,
            named: false,
        });
        self.body.steps.push(Step::Value(id));
        id
    }

    fn varied(&self, id: ValueId) -> bool {
        self.body.values[id].varied
    }

    /// Whether `expr` mentions a local holding a varied value.
    fn mentions_varied(&self, expr: &Expr) -> bool {
        rename::mentioned(expr)
            .iter()
            .any(|n| self.scope.get(n).is_some_and(|&id| self.varied(id)))
    }

    /// `expr` with each local renamed to its generated binding.
    fn renamed(&self, expr: &Expr) -> Expr {
        let f = |i: &Ident| {
            self.scope
                .get(&i.to_string())
                .map(|&id| self.body.values[id].name.clone())
        };
        Renamer::new(&f).expr(expr)
    }

    fn renamed_tokens(&self, tokens: TokenStream) -> TokenStream {
        let f = |i: &Ident| {
            self.scope
                .get(&i.to_string())
                .map(|&id| self.body.values[id].name.clone())
        };
        Renamer::new(&f).tokens(tokens)
    }

    /// Binds the user's name to a value; a value computed for this binding takes the name.
    fn bind(&mut self, ident: &Ident, id: ValueId, first_new: ValueId, ty: Option<Type>) {
        let v = &self.body.values[id];
        let fresh =
            id >= first_new && !v.named && !matches!(v.kind, Kind::Param { .. } | Kind::Bound);
        if fresh {
            let name = self.names.fresh(&ident.to_string(), ident.span());
            let v = &mut self.body.values[id];
            v.name = name;
            v.named = true;
            v.ty = ty;
        } else if let Some(ty) = ty {
            // `let y: T = x;` of an existing value: keep the annotation as a checked copy-free alias.
            let _ = ty;
        }
        self.scope.insert(ident.to_string(), id);
    }

    fn block(&mut self, block: &Block) {
        let n = block.stmts.len();
        for (i, stmt) in block.stmts.iter().enumerate() {
            let last = i + 1 == n;
            match stmt {
                Stmt::Local(local) => self.local(local),
                Stmt::Item(item) => self.body.steps.push(Step::Effect(item.to_token_stream())),
                Stmt::Macro(m) => self.effect_macro(m.to_token_stream()),
                Stmt::Expr(Expr::Return(r), _) if last => match &r.expr {
                    Some(e) => self.body.output = Some(self.expr(e)),
                    None => self.errors.at(
                        r,
                        "a bare `return` gives no value to differentiate; return a scalar",
                    ),
                },
                Stmt::Expr(e, None) if last => self.body.output = Some(self.expr(e)),
                Stmt::Expr(e, _) => self.statement(e),
            }
        }
        if self.body.output.is_none()
            && !matches!(block.stmts.last(), Some(Stmt::Expr(Expr::Return(_), _)))
        {
            let at: TokenStream = match block.stmts.last() {
                Some(s) => s.to_token_stream(),
                None => block.brace_token.span.join().into_token_stream_span(),
            };
            self.errors.at(at, "the function body must end with the scalar value to differentiate, without a semicolon");
        }
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
            Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                let first_new = self.body.values.len();
                let id = self.expr(&init.expr);
                self.bind(&pi.ident, id, first_new, ty);
            }
            _ if !self.mentions_varied(&init.expr) => {
                // A destructuring `let` of constants: kept as written, its names rebound.
                let expr = self.renamed(&init.expr);
                let mut bound = Vec::new();
                rename::pat_idents(pat, &mut bound);
                let mut fresh = HashMap::new();
                for b in &bound {
                    let name = self.names.fresh(b, pat.span());
                    fresh.insert(b.clone(), name);
                }
                let f = |i: &Ident| fresh.get(&i.to_string()).cloned();
                let pat_tokens = Renamer::new(&f).tokens(local.pat.to_token_stream());
                self.body.steps.push(Step::Effect(quote!(let #pat_tokens = #expr;)));
                for b in bound {
                    let name = fresh[&b].clone();
                    let id = self.push(Value { kind: Kind::Bound, name, varied: false, useful: false, span: pat.span(), ty: None, named: true });
                    self.scope.insert(b, id);
                }
            }
            other => self.errors.at(
                other,
                "`#[grad]` cannot destructure a value that depends on a differentiated parameter; bind it whole, e.g. `let v = ...;`",
            ),
        }
    }

    /// A statement macro (`println!`, `assert!`, ...): kept, with locals renamed.
    fn effect_macro(&mut self, tokens: TokenStream) {
        let renamed = self.renamed_tokens(tokens);
        self.body.steps.push(Step::Effect(quote!(#renamed;)));
    }

    /// An expression statement: an assignment to a local, or a kept side effect.
    fn statement(&mut self, e: &Expr) {
        match e {
            Expr::Assign(a) => match local_name(&a.left) {
                Some(ident) if self.scope.contains_key(&ident.to_string()) => {
                    let first_new = self.body.values.len();
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
                    let first_new = self.body.values.len();
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
            Expr::Macro(m) => self.effect_macro(m.to_token_stream()),
            Expr::Return(r) => self.errors.at(
                r,
                "early `return` is not supported by `#[grad]`; return the value from the end of the function",
            ),
            _ if !self.mentions_varied(e) => {
                let renamed = self.renamed(e);
                self.body.steps.push(Step::Effect(quote!(#renamed;)));
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
        let expr = self.renamed(e);
        self.compute(Kind::Const { expr }, false, e.span())
    }

    /// Lowers an expression to the value it computes.
    fn expr(&mut self, e: &Expr) -> ValueId {
        match e {
            Expr::Paren(p) => return self.expr(&p.expr),
            Expr::Group(g) => return self.expr(&g.expr),
            Expr::Reference(r) if r.mutability.is_none() => return self.expr(&r.expr),
            Expr::Unary(u) if matches!(u.op, UnOp::Deref(_)) => return self.expr(&u.expr),
            Expr::Path(p) if p.qself.is_none() => {
                if let Some(id) = p
                    .path
                    .get_ident()
                    .and_then(|i| self.scope.get(&i.to_string()))
                {
                    return *id;
                }
            }
            _ => {}
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
                                "`{}` is not differentiable by `#[grad]`; the supported operators are `+`, `-`, `*`, `/` and unary `-`",
                                b.op.to_token_stream()
                            ),
                        );
                        return self.constant(e);
                    }
                };
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
            other => {
                self.unsupported(other);
                self.constant(e)
            }
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
        let arity = |this: &mut Self, n: usize| -> bool {
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
            arity(self, 0);
            return self.op(op, vec![x], None, span);
        }
        if let Some(op) = Op::binary_method(&name) {
            let x = self.expr(&m.receiver);
            if !arity(self, 1) {
                return x;
            }
            let y = self.expr(&m.args[0]);
            return self.op(op, vec![x, y], None, span);
        }
        match name.as_str() {
            "tr_mul" => {
                let x = self.expr(&m.receiver);
                if !arity(self, 1) {
                    return x;
                }
                let xt = self.op(Op::Transpose, vec![x], None, m.receiver.span());
                let y = self.expr(&m.args[0]);
                self.op(Op::Mul, vec![xt, y], None, span)
            }
            "powi" => {
                let x = self.expr(&m.receiver);
                if !arity(self, 1) {
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
            "unwrap" if try_inverse_receiver(&m.receiver).is_some() => {
                let receiver = try_inverse_receiver(&m.receiver).unwrap_or(&m.receiver);
                let x = self.expr(receiver);
                arity(self, 0);
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

    fn unsupported(&mut self, e: &Expr) {
        let msg = match e {
            Expr::If(_) | Expr::Match(_) => "branches (`if`, `match`) on differentiated values are not supported by `#[grad]` yet; \
                 compute both values and combine them arithmetically, or move the branch out of the function"
                .to_string(),
            Expr::While(_) | Expr::Loop(_) | Expr::ForLoop(_) => "loops are not supported by `#[grad]` yet; write the computation \
                 with matrix operations (e.g. `a.transpose() * &b` instead of a loop over entries)"
                .to_string(),
            Expr::Closure(_) => "closures over differentiated values are not supported by `#[grad]`; \
                 write the computation inline"
                .to_string(),
            Expr::Call(c) => format!(
                "`#[grad]` has no derivative rule for calls to `{}`; write the computation inline with supported operations: {SUPPORTED_SYNTAX}{SUPPORTED_METHODS}",
                c.func.to_token_stream()
            ),
            Expr::Cast(_) => "an `as` cast of a differentiated value is not differentiable; use the value's own float type".to_string(),
            Expr::Macro(_) => "a macro call on differentiated values is not supported by `#[grad]`; write the computation inline".to_string(),
            Expr::Block(_) | Expr::Unsafe(_) => "blocks are not supported by `#[grad]`; write the statements at the function's top level".to_string(),
            _ => format!("this expression is not supported by `#[grad]`; supported: {SUPPORTED_SYNTAX}{SUPPORTED_METHODS}"),
        };
        self.errors.at(e, msg);
    }
}

/// `x` when `e` is `x.try_inverse()`.
fn try_inverse_receiver(e: &Expr) -> Option<&Expr> {
    match e {
        Expr::MethodCall(m) if m.method == "try_inverse" && m.args.is_empty() => Some(&m.receiver),
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

trait IntoTokenSpan {
    fn into_token_stream_span(self) -> TokenStream;
}

impl IntoTokenSpan for Span {
    fn into_token_stream_span(self) -> TokenStream {
        let ident = Ident::new("body", self);
        quote!(#ident)
    }
}
