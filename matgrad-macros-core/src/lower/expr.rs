//! Expressions: each becomes the value it computes.

use super::{e_span, Lowerer};
use crate::ir::{Kind, Source, ValueId};
use crate::ops::{BinaryOp, Op, Side};
use quote::ToTokens;
use syn::{BinOp, Expr, UnOp};

impl Lowerer<'_> {
    /// Lowers an expression to the value it computes.
    pub(super) fn expr(&mut self, e: &Expr) -> ValueId {
        match e {
            Expr::Paren(p) => self.expr(&p.expr),
            Expr::Group(g) => self.expr(&g.expr),
            Expr::Reference(r) if r.mutability.is_none() => self.borrow(&r.expr),
            Expr::Unary(u) if matches!(u.op, UnOp::Deref(_)) => self.expr(&u.expr),
            Expr::Path(_) => match self.local_value(e) {
                Some(id) => id,
                None => self.opaque(e, Vec::new(), None),
            },
            Expr::Lit(_) => self.opaque(e, Vec::new(), None),
            Expr::Binary(b) => self.binary(e, b),
            Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => {
                let x = self.expr(&u.expr);
                self.op(Op::negation(), vec![x], Vec::new(), e)
            }
            Expr::MethodCall(m) => self.method(e, m),
            Expr::Field(_) | Expr::Index(_) if self.projects(e) => self.project(e),
            Expr::Field(f) if field_op(f).is_some() => {
                let x = self.receiver(&f.base);
                self.op(field_op(f), vec![x], Vec::new(), e)
            }
            Expr::Field(f) if field_completion(f).is_some() => {
                let x = self.operand_leaf(&f.base);
                let (member, then) = (&f.member, field_completion(f).unwrap_or_default());
                let message = format!(
                    "`#[grad]` differentiates `.{}.{then}()`; write `.{then}()` right after `.{}`",
                    member.to_token_stream(),
                    member.to_token_stream()
                );
                self.opaque(e, vec![x], self.unsupported(e, message))
            }
            Expr::Call(c) => self.call(e, c),
            Expr::Macro(m) if super::stack::is_stack(&m.mac) => self.stack(e, m),
            Expr::Try(t) => self.tried(e, &t.expr),
            Expr::Index(ix) => {
                let x = self.expr(&ix.expr);
                let idx = match Op::index() {
                    Some(op) => self.extra(&ix.index, &op.spec().extras[0]),
                    None => self.operand_leaf(&ix.index),
                };
                self.op(Op::index(), vec![x], vec![idx], e)
            }
            Expr::If(i) => self.if_value(i),
            Expr::Match(m) => self.match_value(m),
            Expr::Block(b) if b.label.is_none() => self.block_value(&b.block),
            _ => self.unsupported_expr(e),
        }
    }

    /// `&inner`: the value itself. A constant that reads a place (`&xs[t]`, `&x.column(j)`,
    /// possibly a borrow of an argument, which a pullback closure must not hold) keeps the
    /// borrow, and a pullback that reads it evaluates it again; any other constant (a product,
    /// a block, a call, an expression with a `?`) is kept owned and borrowed where it is read:
    /// evaluating it again could move the values it names, or leave by `?`.
    fn borrow(&mut self, inner: &Expr) -> ValueId {
        if let Some(id) = self.local_value(inner) {
            return id;
        }
        let first_new = self.values.len();
        let id = self.expr(inner);
        if id >= first_new && reads_a_place(inner) && !self.values[id].borrowed {
            self.values[id].borrowed = true;
            if let Some(Source::Expr(src)) = &mut self.values[id].source {
                *src = syn::parse_quote!(&(#src));
            }
        }
        id
    }

    /// The value held by a plain local name, if `e` is one.
    pub(super) fn local_value(&mut self, e: &Expr) -> Option<ValueId> {
        match e {
            Expr::Path(p) if p.qself.is_none() => self.lookup(&p.path.get_ident()?.to_string()),
            Expr::Paren(p) => self.local_value(&p.expr),
            _ => None,
        }
    }

    /// An operation of the registry on `inputs`; `e` is the user's expression (its source as
    /// a constant).
    pub(super) fn op(
        &mut self,
        op: Option<Op>,
        inputs: Vec<ValueId>,
        extras: Vec<ValueId>,
        e: &Expr,
    ) -> ValueId {
        let Some(op) = op else {
            // The registry has no entry for this syntax: kept as written.
            return self.opaque(
                e,
                inputs,
                self.unsupported(e, "this operation has no derivative rule in `#[grad]`"),
            );
        };
        let (renamed, mentions, _) = self.renamed(e);
        let id = self.compute(
            Kind::Op {
                op,
                inputs,
                extras,
                completion: crate::ir::Completion::Plain,
            },
            Some(Source::Expr(renamed)),
            e_span(e),
        );
        self.values[id].mentions = mentions.into_iter().map(|m| m.0).collect();
        id
    }

    fn binary(&mut self, e: &Expr, b: &syn::ExprBinary) -> ValueId {
        let op = match b.op {
            BinOp::Add(_) => BinaryOp::Add,
            BinOp::Sub(_) => BinaryOp::Sub,
            BinOp::Mul(_) => BinaryOp::Mul,
            BinOp::Div(_) => BinaryOp::Div,
            _ => {
                let inputs = vec![self.operand_leaf(&b.left), self.operand_leaf(&b.right)];
                let message = format!(
                    "`{}` is not differentiable by `#[grad]`; the supported operators are `+`, `-`, `*`, `/` and unary `-` \
                     (comparisons may appear in an `if` condition)",
                    b.op.to_token_stream()
                );
                return self.opaque(e, inputs, self.unsupported(b.op, message));
            }
        };
        // A product with a transposed operand is one operation: the transpose is never built.
        // The transposed operand is `.transpose()`'s receiver: a place is read, not moved.
        if op == BinaryOp::Mul {
            if let Some(inner) = transposed(&b.left) {
                let (l, r) = (self.receiver(inner), self.expr(&b.right));
                return self.op(
                    Op::by_transposed_product(Side::Lhs),
                    vec![l, r],
                    Vec::new(),
                    e,
                );
            }
            if let Some(inner) = transposed(&b.right) {
                let (l, r) = (self.expr(&b.left), self.receiver(inner));
                return self.op(
                    Op::by_transposed_product(Side::Rhs),
                    vec![l, r],
                    Vec::new(),
                    e,
                );
            }
        }
        let (l, r) = (self.expr(&b.left), self.expr(&b.right));
        self.op(Op::by_binary(op), vec![l, r], Vec::new(), e)
    }

    /// An operand of an expression kept as written: lowered, unless it is itself a region
    /// (a block, an `if`, a closure, a macro), which stays part of the written expression
    /// so that it runs once.
    pub(super) fn operand_leaf(&mut self, e: &Expr) -> ValueId {
        match e {
            Expr::Paren(p) => self.operand_leaf(&p.expr),
            Expr::If(_)
            | Expr::Match(_)
            | Expr::Block(_)
            | Expr::Closure(_)
            | Expr::Macro(_)
            | Expr::ForLoop(_)
            | Expr::While(_)
            | Expr::Loop(_)
            | Expr::Unsafe(_)
            | Expr::Async(_)
            | Expr::Const(_)
            | Expr::TryBlock(_) => self.opaque(e, Vec::new(), None),
            _ => self.expr(e),
        }
    }

    /// An expression with no derivative rule: kept as written, an error if it turns out to
    /// read a differentiated value.
    fn unsupported_expr(&mut self, e: &Expr) -> ValueId {
        let (inputs, message): (Vec<ValueId>, String) = match e {
            Expr::Cast(c) => (
                vec![self.operand_leaf(&c.expr)],
                "an `as` cast of a differentiated value is not differentiable; use the value's own float type".into(),
            ),
            Expr::Field(f) => {
                let base = self.operand_leaf(&f.base);
                return self.opaque(
                    e,
                    vec![base],
                    self.unsupported(e, "a field of a differentiated value is not differentiable by `#[grad]`; use indexing, e.g. `v[0]`"),
                );
            }
            Expr::Macro(_) => (
                Vec::new(),
                "a macro call on differentiated values is not supported by `#[grad]`; write the computation inline".into(),
            ),
            Expr::Closure(_) => (
                Vec::new(),
                "a closure over differentiated values is not supported by `#[grad]` here; call it directly (`f(x)`), \
                 write the computation inline, or element-wise with `.map(|v| ...)`"
                    .into(),
            ),
            Expr::Reference(r) => (
                vec![self.operand_leaf(&r.expr)],
                "`&mut` borrows of differentiated values are not supported by `#[grad]`: in-place changes are not \
                 differentiable; compute a new value instead"
                    .into(),
            ),
            Expr::Unary(u) => (
                vec![self.operand_leaf(&u.expr)],
                format!("`{}` is not differentiable by `#[grad]`", u.op.to_token_stream()),
            ),
            Expr::Tuple(t) => (
                t.elems.iter().map(|x| self.operand_leaf(x)).collect(),
                "a tuple of differentiated values is not supported by `#[grad]`; bind each value with its own `let`".into(),
            ),
            Expr::Array(a) => (
                a.elems.iter().map(|x| self.operand_leaf(x)).collect(),
                "an array of differentiated values is not supported by `#[grad]`; build a matrix or vector from \
                 differentiated values with supported operations"
                    .into(),
            ),
            Expr::Return(_) | Expr::Break(_) | Expr::Continue(_) | Expr::While(_) | Expr::Loop(_) | Expr::ForLoop(_)
            | Expr::Let(_) | Expr::Assign(_) => {
                self.structural_error(e);
                return self.opaque(e, Vec::new(), None);
            }
            _ => (
                Vec::new(),
                format!("this expression is not supported by `#[grad]` on differentiated values; {}", supported_syntax()),
            ),
        };
        let at = e.to_token_stream();
        self.opaque(e, inputs, self.unsupported(at, message))
    }

    /// The error for a construct that is never supported where it stands, whatever it reads.
    pub(super) fn structural_error(&mut self, e: &Expr) {
        let message = match e {
            Expr::Return(_) => "early `return` is not supported by `#[grad]`; return the value from the end of the function",
            Expr::Break(_) => "`break` is not supported by `#[grad]`; loop over exactly the iterations you need, e.g. `for t in 0..n`",
            Expr::Continue(_) => "`continue` is not supported by `#[grad]`; put the rest of the iteration in an `if`",
            Expr::While(_) | Expr::Loop(_) => {
                "`while` and `loop` are not differentiable by `#[grad]`; use a `for` loop with a known range, e.g. `for t in 0..n`"
            }
            Expr::ForLoop(_) => "a `for` loop has no value; use it as a statement",
            Expr::Let(_) => "`let` in an expression is only supported as `if let pattern = value`",
            Expr::Assign(_) => "an assignment has no value; write it as a statement",
            _ => "this construct is not supported by `#[grad]`",
        };
        self.errors.at(e, message);
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
pub(super) fn strip_borrows(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => strip_borrows(&p.expr),
        Expr::Reference(r) if r.mutability.is_none() => strip_borrows(&r.expr),
        other => other,
    }
}

/// Whether `e` reads a place and can be evaluated again without moving what it names: a
/// path, a field or an index of one (an index is a `Copy` integer), or a method called on
/// one with arguments that move nothing.
fn reads_a_place(e: &Expr) -> bool {
    match e {
        Expr::Path(_) => true,
        Expr::Paren(p) => reads_a_place(&p.expr),
        Expr::Field(f) => reads_a_place(&f.base),
        Expr::Index(i) => reads_a_place(&i.expr),
        Expr::MethodCall(m) => reads_a_place(&m.receiver) && m.args.iter().all(moves_nothing),
        _ => false,
    }
}

/// An argument that moves nothing when evaluated again: a literal, a borrow of a place, a
/// path passed by value (a method's by-value arguments are indices and floats, `Copy`),
/// arithmetic and tuples of those (`j + 1`, `(i, j)`).
fn moves_nothing(e: &Expr) -> bool {
    match e {
        Expr::Lit(_) | Expr::Path(_) => true,
        Expr::Reference(r) => reads_a_place(&r.expr),
        Expr::Paren(p) => moves_nothing(&p.expr),
        Expr::Cast(c) => moves_nothing(&c.expr),
        Expr::Unary(u) => moves_nothing(&u.expr),
        Expr::Binary(b) => moves_nothing(&b.left) && moves_nothing(&b.right),
        Expr::Tuple(t) => t.elems.iter().all(moves_nothing),
        _ => false,
    }
}

/// `e` without enclosing parentheses.
pub(super) fn strip_parens(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => strip_parens(&p.expr),
        other => other,
    }
}

/// The supported syntax, for messages about an unknown construct.
pub(super) fn supported_syntax() -> String {
    format!(
        "`#[grad]` differentiates `let` bindings, assignment and `+=`/`-=`/`*=`/`/=` to a local, `for` loops, \
         `if`/`else`, `if let` and `match` on constants, blocks, calls to functions with `#[grad]` or `#[vjp]`, \
         `+`, `-`, `*`, `/`, unary `-`, `&` borrows, indexing `m[(i, j)]`/`v[i]`, nalgebra's `stack![a, b; c, d]`, \
         and the methods {}",
        crate::ops::catalogue::methods()
    )
}

/// The `.then()` the registry reads the named field `f` with (`svd.u.unwrap()`), if any.
fn field_completion(f: &syn::ExprField) -> Option<&'static str> {
    match &f.member {
        syn::Member::Named(name) => Op::field_completion(&name.to_string()),
        syn::Member::Unnamed(_) => None,
    }
}

/// The registry's operation reading the named field `f` (`e.eigenvalues`), if any.
fn field_op(f: &syn::ExprField) -> Option<Op> {
    match &f.member {
        syn::Member::Named(name) => Op::by_field(&name.to_string()),
        syn::Member::Unnamed(_) => None,
    }
}
