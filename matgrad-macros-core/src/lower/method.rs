//! Method calls and function calls: registry operations, calls through another function's
//! pullback, and everything else kept as written.

use super::{e_span, Lowerer};
use crate::ir::{Arg, Completion, Kind, Source, ValueId};
use crate::ops::{catalogue, Op, INDEX_METHODS, SHAPE_METHODS};
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprCall, ExprMethodCall, Ident, Token};

/// Methods of `Option`: after the first method of a pair (`lu.solve(&b)`), they mean its
/// `Option` is used otherwise than through the pair's `.unwrap()` (or `.expect(msg)`).
const OPTION_METHODS: &[&str] = &[
    "unwrap_or",
    "unwrap_or_else",
    "unwrap_or_default",
    "unwrap_unchecked",
    "ok_or",
    "ok_or_else",
    "is_some",
    "is_none",
];

/// Roots of paths that name library functions, which have no derivative rule.
const LIBRARY_ROOTS: &[&str] = &[
    "std",
    "core",
    "alloc",
    "nalgebra",
    "na",
    "num_traits",
    "simba",
    "f64",
    "f32",
];

impl Lowerer<'_> {
    /// `recv.name(args)`.
    pub(super) fn method(&mut self, e: &Expr, m: &ExprMethodCall) -> ValueId {
        let name = m.method.to_string();
        let n = m.args.len();
        let method_tokens = method_tokens(m);
        if (SHAPE_METHODS.contains(&name.as_str()) || INDEX_METHODS.contains(&name.as_str()))
            && n == 0
        {
            // A shape, or the index of an entry (piecewise constant in the entries, as a
            // comparison in a condition is): a constant, whatever the receiver.
            return self.opaque(e, Vec::new(), None);
        }
        if n == 0 {
            if let Some(id) = self.constant_method(e, &m.receiver, &name) {
                return id;
            }
        }
        if name == "map" {
            return self.map(e, m, &method_tokens);
        }
        if let (Expr::Call(c), "unwrap", 0) | (Expr::Call(c), "expect", 1) =
            (super::expr::strip_parens(&m.receiver), name.as_str(), n)
        {
            return self.unwrapped_call(e, m, c, &method_tokens);
        }
        if name == "zip_map" {
            return self.zip_map(e, m, &method_tokens);
        }
        // `.expect(msg)` completes a pair as `.unwrap()` does, with the user's message.
        let (then, message) = match (name.as_str(), n) {
            ("expect", 1) => ("unwrap", Some(&m.args[0])),
            _ => (name.as_str(), None),
        };
        let arity = if message.is_some() { 0 } else { n };
        if let (Expr::Field(f), 0) = (super::expr::strip_borrows(&m.receiver), arity) {
            if let syn::Member::Named(field) = &f.member {
                if let Some(op) = Op::by_field_pair(&field.to_string(), then) {
                    let completion = self.completion(message);
                    let x = self.receiver(&f.base);
                    let id = self.op(Some(op), vec![x], Vec::new(), e);
                    return self.completed(id, completion);
                }
            }
        }
        if let Expr::MethodCall(inner) = super::expr::strip_borrows(&m.receiver) {
            let first = inner.method.to_string();
            let first_args = inner.args.len();
            if let (Some(op), 0) = (Op::by_method_pair(&first, first_args, then), arity) {
                let completion = self.completion(message);
                let id = self.method_op(op, &inner.receiver, &inner.args, e);
                return self.completed(id, completion);
            }
            // `c.solve(&b)` of a Cholesky factorisation is an operation of its own; an
            // `Option` method after it means `lu.solve(&b)`, whose `Option` must be unwrapped.
            let standalone = Op::by_method(&first, first_args).is_some();
            if let Some(then) = Op::pair_completion(&first) {
                if !standalone || OPTION_METHODS.contains(&name.as_str()) {
                    let x = self.operand_leaf(&inner.receiver);
                    let dots = if first_args == 0 { "" } else { ".." };
                    let name_dots = if n == 0 { "" } else { ".." };
                    let message = format!(
                        "`#[grad]` differentiates `.{first}({dots}).{then}()`, not `.{first}({dots}).{name}({name_dots})`; write `.{then}()` (or `.expect(msg)`) right after `.{first}({dots})`"
                    );
                    return self.opaque(e, vec![x], self.unsupported(&method_tokens, message));
                }
            }
        }
        if let (Some(then), None) = (Op::pair_completion(&name), Op::by_method(&name, n)) {
            let x = self.operand_leaf(&m.receiver);
            let dots = if n == 0 { "" } else { ".." };
            let message = format!("`#[grad]` differentiates `.{name}({dots}).{then}()`; write `.{then}()` (or `.expect(msg)`) right after `.{name}({dots})`");
            return self.opaque(e, vec![x], self.unsupported(&method_tokens, message));
        }
        if let Some(op) = Op::by_method(&name, n) {
            return self.method_op(op, &m.receiver, &m.args, e);
        }
        let mut inputs = vec![self.operand_leaf(&m.receiver)];
        inputs.extend(m.args.iter().map(|a| self.operand_leaf(a)));
        let message = unknown_method_message(&name, n);
        self.opaque(e, inputs, self.unsupported(&method_tokens, message))
    }

    /// `f.name()` of a local bound to an operation whose entry lists `name` among its constant
    /// methods (`lu.p()`, a pivoted factorisation's permutation): a constant, read as written,
    /// as a shape is. `None` for any other receiver.
    fn constant_method(&mut self, e: &Expr, receiver: &Expr, name: &str) -> Option<ValueId> {
        let Expr::Path(p) = super::expr::strip_borrows(receiver) else {
            return None;
        };
        let local = p.path.get_ident().filter(|_| p.qself.is_none())?;
        let v = self.scope.value(&local.to_string())?;
        match &self.values[v].kind {
            Kind::Op { op, .. } if op.spec().constant_methods.contains(&name) => {}
            _ => return None,
        }
        let id = self.opaque(e, Vec::new(), None);
        if let Kind::Opaque { inputs, .. } = &mut self.values[id].kind {
            inputs.clear();
        }
        Some(id)
    }

    /// `recv.name(args..)` as the registry operation `op`: the receiver and the differentiable
    /// arguments are its operands, the rest its extras.
    pub(super) fn method_op(
        &mut self,
        op: Op,
        receiver: &Expr,
        args: &Punctuated<Expr, Token![,]>,
        e: &Expr,
    ) -> ValueId {
        let spec = op.spec();
        let x = self.receiver(receiver);
        let mut inputs = vec![x];
        for a in args.iter().take(spec.operands - 1) {
            inputs.push(self.expr(a));
        }
        let extras = args
            .iter()
            .skip(spec.operands - 1)
            .zip(spec.extras)
            .map(|(a, x)| self.extra(a, x))
            .collect();
        self.op(Some(op), inputs, extras, e)
    }

    /// A method's receiver: a place (`xs[t].norm()`, `s.field.dot(..)`) is read through a
    /// reference, as Rust's auto-ref does, never moved out of.
    pub(super) fn receiver(&mut self, e: &Expr) -> ValueId {
        let first_new = self.values.len();
        let id = self.expr(e);
        if id >= first_new
            && matches!(
                super::expr::strip_borrows(e),
                Expr::Index(_) | Expr::Field(_)
            )
        {
            self.values[id].place = true;
        }
        id
    }

    /// `f(args)`: a float function of the registry (`f64::max(a, b)`), a local closure
    /// (inlined), a library function (kept as written) or another `#[grad]` function.
    pub(super) fn call(&mut self, e: &Expr, c: &ExprCall) -> ValueId {
        self.completed_call(e, c, Completion::Plain).0
    }

    /// `f(args)` completed as the user wrote (`f(x)?`, `f(x).unwrap()`; the values the
    /// completion reads lowered already), and whether it was: only a call through `f`'s
    /// `vjp` can be, anything else is the caller's to report.
    pub(super) fn completed_call(
        &mut self,
        e: &Expr,
        c: &ExprCall,
        completion: Completion,
    ) -> (ValueId, bool) {
        match self.builtin_call(e, c) {
            Some(id) => (id, completion == Completion::Plain),
            None => {
                let Expr::Path(p) = &*c.func else {
                    return (self.opaque(e, Vec::new(), None), false);
                };
                (self.grad_call(e, c, &p.path, completion), true)
            }
        }
    }

    /// `f(args)` unless `f` is called through its `vjp` (`None`).
    fn builtin_call(&mut self, e: &Expr, c: &ExprCall) -> Option<ValueId> {
        let Expr::Path(p) = &*c.func else {
            let inputs = c.args.iter().map(|a| self.operand_leaf(a)).collect();
            let message = "`#[grad]` can only call a function by its path, e.g. `helper(&x)`";
            return Some(self.opaque(e, inputs, self.unsupported(&c.func, message)));
        };
        let segments: Vec<String> = p
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        if let [ty, name] = segments.as_slice() {
            let float_type = ty == "f64" || ty == "f32" || self.type_params.iter().any(|t| t == ty);
            if let (true, Some(op)) = (float_type, Op::by_function(name, c.args.len())) {
                let spec = op.spec();
                let inputs = c
                    .args
                    .iter()
                    .take(spec.operands)
                    .map(|a| self.expr(a))
                    .collect();
                let extras = c
                    .args
                    .iter()
                    .skip(spec.operands)
                    .zip(spec.extras)
                    .map(|(a, x)| self.extra(a, x))
                    .collect();
                return Some(self.op(Some(op), inputs, extras, e));
            }
        }
        if let (Some(op), true) = (
            Op::by_associated(&segments[segments.len() - 1], c.args.len()),
            segments.len() > 1 && p.qself.is_none(),
        ) {
            let inputs = c.args.iter().map(|a| self.expr(a)).collect();
            return Some(self.op(Some(op), inputs, Vec::new(), e));
        }
        if let (Some(op), true) = (
            Op::by_associated_array(&segments[segments.len() - 1]),
            segments.len() > 1 && p.qself.is_none() && c.args.len() == 1,
        ) {
            return Some(self.stacked(e, op, &c.args[0]));
        }
        if let (Some(ident), true) = (p.path.get_ident(), p.qself.is_none()) {
            if let Some(var) = self.scope.var(&ident.to_string()) {
                return Some(self.local_call(e, c, var));
            }
        }
        if segments.len() > 1 && LIBRARY_ROOTS.contains(&segments[0].as_str())
            || associated_function(p)
        {
            let inputs = c.args.iter().map(|a| self.operand_leaf(a)).collect();
            let path = p.path.to_token_stream().to_string().replace(' ', "");
            let message = format!(
                "`{path}` has no derivative rule in `#[grad]`; call a function that has `#[grad]` or `#[vjp(..)]`, \
                 or write the computation with supported operations: {}",
                catalogue::methods()
            );
            return Some(self.opaque(e, inputs, self.unsupported(&c.func, message)));
        }
        if let (Some(ident), true) = (
            p.path.get_ident(),
            self.context
                .defined_without_rule(&p.path.segments[0].ident.to_string()),
        ) {
            let inputs = c.args.iter().map(|a| self.operand_leaf(a)).collect();
            let message = format!(
                "`{ident}` has neither `#[grad]` nor `#[vjp(..)]`, so `#[grad]` cannot differentiate through it; put \
                 `#[grad]` on `{ident}`, or give it a hand-written rule with `#[vjp(rule)]`"
            );
            return Some(self.opaque(e, inputs, self.unsupported(&c.func, message)));
        }
        None
    }

    /// `Type::from_columns(&[a, b, ..])` and friends: the array's values folded from the left
    /// with the binary `op`.
    fn stacked(&mut self, e: &Expr, op: Op, arg: &Expr) -> ValueId {
        let elems = match super::expr::strip_borrows(arg) {
            Expr::Array(a) if a.elems.len() >= 2 => &a.elems,
            Expr::Array(a) if a.elems.len() == 1 => {
                let x = self.operand_leaf(&a.elems[0]);
                let message =
                    "`#[grad]` assembles two or more values; for one, take it as a block: \
                               `v.columns(0, 1)` for one column, `r.rows(0, 1)` for one row";
                return self.opaque(e, vec![x], self.unsupported(arg, message));
            }
            _ => {
                let x = self.operand_leaf(arg);
                let message = "`#[grad]` differentiates this with an array of two or more values written out, \
                               e.g. `DMatrix::from_columns(&[a, b])`";
                return self.opaque(e, vec![x], self.unsupported(arg, message));
            }
        };
        let mut acc = self.expr(&elems[0]);
        for next in elems.iter().skip(1) {
            let b = self.expr(next);
            acc = self.op(Some(op), vec![acc, b], Vec::new(), e);
        }
        acc
    }

    /// A non-differentiated argument of an operation: kept as written, an error if it reads a
    /// differentiated value.
    pub(super) fn extra(&mut self, a: &Expr, extra: &crate::ops::Extra) -> ValueId {
        let message = format!(
            "{} must not depend on a differentiated parameter",
            extra.what
        );
        self.opaque(a, Vec::new(), self.unsupported(a, message))
    }

    /// A call of a function with `#[grad]` or `#[vjp]`, through its `vjp`.
    fn grad_call(
        &mut self,
        e: &Expr,
        c: &ExprCall,
        path: &syn::Path,
        completion: Completion,
    ) -> ValueId {
        // `path::f::<T>(..)` → `path::f::vjp::<T>(..)`
        let mut path = path.clone();
        let Some(last) = path.segments.last_mut() else {
            return self.opaque(e, Vec::new(), None);
        };
        let generics = std::mem::replace(&mut last.arguments, syn::PathArguments::None);
        let vjp = Ident::new("vjp", last.ident.span());
        let callee = quote!(#path::#vjp #generics);
        let mut args = Vec::new();
        for a in &c.args {
            let by_ref = matches!(a, Expr::Reference(r) if r.mutability.is_none());
            let value = self.expr(a);
            let value = self.copied_place(value, a);
            args.push(Arg {
                value,
                by_ref,
                span: e_span(a),
            });
        }
        let base = format!("__t{}_pullback", self.values.len());
        let pullback = self.value(
            &base,
            Kind::Bound {
                by_ref: false,
                from: None,
            },
            e_span(e),
        );
        let (renamed, mentions, _) = self.renamed(e);
        let id = self.compute(
            Kind::Call {
                callee,
                args,
                pullback,
                completion,
            },
            Some(Source::Expr(renamed)),
            e_span(e),
        );
        self.values[id].mentions = mentions.into_iter().map(|m| m.0).collect();
        id
    }
}

/// `.name(args)`, spanned from the method's name to its closing parenthesis.
pub(super) fn method_tokens(m: &ExprMethodCall) -> TokenStream {
    let mut parens = proc_macro2::Group::new(
        proc_macro2::Delimiter::Parenthesis,
        m.args.to_token_stream(),
    );
    parens.set_span(m.paren_token.span.join());
    let method = &m.method;
    quote!(#method #parens)
}

/// The error for a method the registry does not know, with the nearest known names.
pub(super) fn unknown_method_message(name: &str, args: usize) -> String {
    let mutating = name.ends_with("_mut")
        || name.starts_with("set_")
        || name.starts_with("fill")
        || ["swap_rows", "swap_columns", "push", "insert", "clear"].contains(&name);
    if mutating {
        return format!(
            "`.{name}()` changes a value in place, which `#[grad]` cannot differentiate; compute a new value instead, e.g. `let y = ...;`"
        );
    }
    let owners: Vec<String> = Op::ALL
        .iter()
        .filter(|op| args == 0 && op.spec().constant_methods.contains(&name))
        .flat_map(|op| {
            op.spec()
                .syntax
                .iter()
                .map(move |s| catalogue::written(*op, s))
        })
        .collect();
    if !owners.is_empty() {
        return format!(
            "`.{name}()` is a constant of a factorisation bound to a local (`let f = m.lu(); f.{name}()`), \
             of {}; bind the factorisation first",
            owners.join(", ")
        );
    }
    let similar = catalogue::similar_methods(name);
    let hint = match similar.as_slice() {
        [] => String::new(),
        [one] => format!(" (did you mean `.{one}()`?)"),
        many => format!(
            " (did you mean one of {}?)",
            many.iter()
                .map(|m| format!("`.{m}()`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let arity = match Op::ALL.iter().find(|op| {
        op.spec()
            .syntax
            .iter()
            .any(|s| matches!(s, crate::ops::Syntax::Method { name: n, .. } if *n == name))
    }) {
        Some(_) => format!(" with {args} argument(s)"),
        None => String::new(),
    };
    format!(
        "`.{name}()`{arity} has no derivative rule in `#[grad]`{hint}; supported methods: {}",
        catalogue::methods()
    )
}

/// Whether `p` names a type's associated function (`DVector::<f64>::from_element`,
/// `<T as Trait>::f`, `Matrix::new`) rather than a free function: a qualified self type, or
/// a segment before the last with generic arguments or a type's (upper camel case) name.
/// Neither `#[grad]` nor `#[vjp(..)]` applies to those.
fn associated_function(p: &syn::ExprPath) -> bool {
    let n = p.path.segments.len();
    p.qself.is_some()
        || p.path.segments.iter().take(n.saturating_sub(1)).any(|s| {
            !s.arguments.is_none() || s.ident.to_string().starts_with(|c: char| c.is_uppercase())
        })
}
