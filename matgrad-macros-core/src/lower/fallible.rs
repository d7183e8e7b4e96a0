//! What fallible code is made of: `.expect(msg)`, `?` and `.ok_or(e)?` after nalgebra's
//! methods that return an `Option` and after calls of fallible `#[grad]` functions, and the
//! `Some(value)` (`Ok(value)`) a fallible function ends with.

use super::Lowerer;
use crate::ir::{Completion, Kind, ValueId};
use crate::ops::Op;
use syn::{Expr, Stmt};

/// The error for `?` on a differentiated value `#[grad]` does not take it after.
const TRY_MESSAGE: &str = "`#[grad]` differentiates `?` (and `.ok_or(e)?`) after nalgebra's methods that return an \
    `Option` (`s.cholesky()?`, `lu.solve(&b)?`, `m.try_inverse()?`, `svd.u?`) and after calls of `#[grad]` functions \
    that return an `Option` or a `Result`; not on this value, which depends on a differentiated parameter";

impl Lowerer<'_> {
    /// `.expect(msg)` where there is a message, else the entry as written; the message is
    /// lowered before the operation it completes so that it is bound where the operation's
    /// forward reads it.
    pub(super) fn completion(&mut self, message: Option<&Expr>) -> Completion {
        let what = crate::ops::Extra {
            arg: "msg",
            what: "the message of `.expect(msg)`",
        };
        match message {
            Some(m) => Completion::Expect(self.extra(m, &what)),
            None => Completion::Plain,
        }
    }

    /// The error of an `.ok_or(e)?`, lowered before what it completes.
    pub(super) fn error_value(&mut self, err: &Expr) -> ValueId {
        let what = crate::ops::Extra {
            arg: "e",
            what: "the error of `.ok_or(e)?`",
        };
        self.extra(err, &what)
    }

    /// The operation or call `id`, its `Option` taken as `completion` says.
    pub(super) fn completed(&mut self, id: ValueId, completion: Completion) -> ValueId {
        if let Kind::Op { completion: c, .. } | Kind::Call { completion: c, .. } =
            &mut self.values[id].kind
        {
            *c = completion;
        }
        id
    }

    /// `inner?` and `inner.ok_or(err)?`: of an operation nalgebra writes with an `Option`
    /// (`s.cholesky()?`, `lu.solve(&b)?`, `svd.u?`) or of a call of a fallible `#[grad]`
    /// function, the function returns early with the `None` (`Err`); anything else is kept as
    /// written, an error if it reads a differentiated value.
    pub(super) fn tried(&mut self, e: &Expr, inner: &Expr) -> ValueId {
        let (inner, completion) = match super::expr::strip_parens(inner) {
            Expr::MethodCall(m) if m.method == "ok_or" && m.args.len() == 1 => {
                let err = self.error_value(&m.args[0]);
                (
                    super::expr::strip_parens(&m.receiver),
                    Completion::TryOr(err),
                )
            }
            other => (other, Completion::Try),
        };
        match inner {
            Expr::MethodCall(m) => {
                if let Some(op) = Op::by_method_pair(&m.method.to_string(), m.args.len(), "unwrap")
                {
                    let id = self.method_op(op, &m.receiver, &m.args, e);
                    return self.completed(id, completion);
                }
            }
            Expr::Field(f) => {
                if let syn::Member::Named(field) = &f.member {
                    if let Some(op) = Op::by_field_pair(&field.to_string(), "unwrap") {
                        let x = self.receiver(&f.base);
                        let id = self.op(Some(op), vec![x], Vec::new(), e);
                        return self.completed(id, completion);
                    }
                }
            }
            Expr::Call(c) => {
                let (id, taken) = self.completed_call(e, c, completion);
                if taken {
                    return id;
                }
                return self.opaque(e, vec![id], self.unsupported(e, TRY_MESSAGE));
            }
            _ => {}
        }
        let x = self.operand_leaf(inner);
        self.opaque(e, vec![x], self.unsupported(e, TRY_MESSAGE))
    }

    /// The last statement of a function that returns `Option` (`Result` where `result`):
    /// `Some(value)` (`Ok(value)`), or `return` of it; the value is differentiated.
    pub(super) fn fallible_tail(&mut self, stmt: &Stmt, result: bool) -> Option<ValueId> {
        let wrapper = if result { "Ok" } else { "Some" };
        let value = match stmt {
            Stmt::Expr(Expr::Return(syn::ExprReturn { expr: Some(e), .. }), _) => Some(&**e),
            Stmt::Expr(e, None) => Some(e),
            _ => None,
        };
        if let Some(Expr::Call(c)) = value.map(super::expr::strip_parens) {
            if let (Expr::Path(p), 1) = (&*c.func, c.args.len()) {
                if p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == wrapper) {
                    return Some(self.expr(&c.args[0]));
                }
            }
        }
        self.errors.at(
            stmt,
            format_args!(
                "a `#[grad]` function that returns {} ends with `{wrapper}(value)`, the value to differentiate; \
                 leave it early with `?`",
                if result { "a `Result`" } else { "an `Option`" }
            ),
        );
        None
    }

    /// `f(x).unwrap()` or `f(x).expect(msg)` of a fallible `#[grad]` function `f`; of
    /// anything else, an unknown method.
    pub(super) fn unwrapped_call(
        &mut self,
        e: &Expr,
        m: &syn::ExprMethodCall,
        c: &syn::ExprCall,
        method_tokens: &proc_macro2::TokenStream,
    ) -> ValueId {
        let completion = match m.args.first() {
            None => Completion::Unwrap,
            Some(msg) => self.completion(Some(msg)),
        };
        let (id, taken) = self.completed_call(e, c, completion);
        if taken {
            return id;
        }
        let message = super::method::unknown_method_message(&m.method.to_string(), m.args.len());
        self.opaque(e, vec![id], self.unsupported(method_tokens, message))
    }
}
