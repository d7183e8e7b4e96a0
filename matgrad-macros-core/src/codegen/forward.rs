//! The forward sweep: the user's computation, one value per line, computing constants from
//! the user's own expressions and differentiated values with the registry's kernels.

use super::{Gen, FORWARD};
use crate::ir::{Completion, Kind, Source, Step, ValueId};
use crate::ops::{helpers, Side};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

impl Gen<'_> {
    /// The forward code of `steps`.
    pub(super) fn forward(&self, steps: &[Step]) -> TokenStream {
        let mut out = TokenStream::new();
        for step in steps {
            match step {
                Step::Value(id) => {
                    out.extend(self.forward_value(*id, FORWARD));
                    out.extend(self.constant_read_check(*id));
                }
                Step::Effect(e) => {
                    for (old, _) in &e.versions {
                        out.extend(self.take_snapshot(*old));
                    }
                    out.extend(e.tokens.clone());
                }
                Step::Destructure(d) => {
                    let pat = &d.pat;
                    let init = self.source_expr(d.init);
                    out.extend(quote!(let #pat = #init;));
                }
                Step::Loop(l) => out.extend(self.forward_loop(l)),
                Step::Branch(b) => out.extend(self.forward_branch(b)),
            }
        }
        out
    }

    /// `let v_before = v.clone();` when the reverse sweep reads `v` as it is now.
    pub(super) fn take_snapshot(&self, id: ValueId) -> TokenStream {
        match self.snapshot.get(&id) {
            Some(s) => {
                let v = &self.body.values[id];
                let r = if self.t.bindings.reference[id] {
                    let n = &v.name;
                    quote!(#n)
                } else {
                    let n = &v.name;
                    quote!(&#n)
                };
                quote!(let #s = ::core::clone::Clone::clone(#r);)
            }
            None => TokenStream::new(),
        }
    }

    /// For a place inside a parameter read where no derivative flows: a compile-time check
    /// that its type is not `Differentiable`.
    fn constant_read_check(&self, id: ValueId) -> TokenStream {
        if !self.t.activity.probed[id] {
            return TokenStream::new();
        }
        let v = &self.body.values[id];
        let (name, span) = (&v.name, v.span);
        let (check, read) = (
            self.rt("read_as_constant", span),
            self.rt("ConstantRead", span),
        );
        let traits = self.rt("constant_read", span);
        quote_spanned! {span=>
            {
                #[allow(unused_imports)]
                use #traits::{OfConstant as _, OfDifferentiable as _};
                #check((&#read(#name)).kind());
            }
        }
    }

    /// The user's expression of a constant (its source), as written.
    pub(super) fn source_expr(&self, id: ValueId) -> TokenStream {
        match &self.body.values[id].source {
            Some(Source::Expr(e)) => quote!(#e),
            _ => quote!(()),
        }
    }

    /// The binding of one value (nothing for a constant evaluated where it is used).
    pub(super) fn forward_value(&self, id: ValueId, ref_bound: &[bool]) -> TokenStream {
        if !self.t.bindings.bound[id] {
            return TokenStream::new();
        }
        if !self.t.bindings.by_kernel[id] {
            return self.constant_value(id, ref_bound);
        }
        let v = &self.body.values[id];
        let (name, span, attrs) = (&v.name, v.span, &v.attrs);
        let ty = v.ty.as_ref().map(|t| quote!(: #t));
        let mutability = v.mutable.then(|| quote!(mut));
        let rhs = match &v.kind {
            Kind::Op { op, inputs, .. } if op.spec().forward_as_written => {
                self.as_written(id, inputs[0], span, ref_bound)
            }
            Kind::Op {
                op,
                inputs,
                extras,
                completion:
                    completion @ (Completion::Expect(_) | Completion::Try | Completion::TryOr(_)),
            } => self.op_forward_checked(*op, inputs, extras, *completion, span, ref_bound),
            Kind::Op {
                op, inputs, extras, ..
            } => self.op_forward(*op, inputs, extras, span, ref_bound),
            Kind::Map {
                input,
                second: Some(other),
                ..
            } => {
                let f = self.rt(helpers::ZIP_MAP, span);
                let x = self.input_ref(*input, span, ref_bound);
                let y = self.input_ref(*other, span, ref_bound);
                let closure = self.closure(id);
                quote_spanned!(span=> #f(#x, #y, #closure))
            }
            Kind::Map { input, .. } => {
                let closure = self.closure(id);
                if self.t.reuse.consumable[*input] {
                    let f = self.rt(helpers::MAP[1], span);
                    let x = &self.body.values[*input].name;
                    quote_spanned!(span=> #f(#x, #closure))
                } else {
                    let f = self.rt(helpers::MAP[0], span);
                    let x = self.input_ref(*input, span, ref_bound);
                    quote_spanned!(span=> #f(#x, #closure))
                }
            }
            Kind::Call {
                callee,
                args,
                pullback,
                completion,
            } => {
                let pb = &self.body.values[*pullback].name;
                let args = args.iter().map(|a| self.call_argument(a, span, ref_bound));
                let taken = self.completion(*completion, span, ref_bound);
                let witness = self.witness_binding(id);
                return quote_spanned!(span=> #(#attrs)* let (#mutability #name, #pb) = #callee(#(#args),*) #taken; #witness);
            }
            _ => return TokenStream::new(),
        };
        let witness = self.witness_binding(id);
        quote_spanned!(span=> #(#attrs)* let #mutability #name #ty = #rhs; #witness)
    }

    /// The closure of a `map`: the user's, or one written from its lowered body (its forward
    /// sweep, then its value) for a closure the tangent stage made.
    fn closure(&self, id: ValueId) -> TokenStream {
        let Kind::Map {
            closure, scalar, ..
        } = &self.body.values[id].kind
        else {
            return TokenStream::new();
        };
        if let Some(c) = closure {
            return quote!(#c);
        }
        let span = scalar.span;
        let Some((inner, _, _)) = self.closures.get(&id) else {
            return quote_spanned!(span=> ::core::compile_error!("matgrad: a generated closure that nothing reads"));
        };
        let forward = &inner.forward;
        let params = std::iter::once(&scalar.param).chain(&scalar.second);
        let reference = &self.t.closures[&id].bindings.reference;
        let output = scalar.body.output.map(|o| {
            let n = &scalar.body.values[o].name;
            if reference[o] {
                quote!(*#n)
            } else {
                quote!(#n)
            }
        });
        quote_spanned!(span=> |#(#params),*| { #forward #output })
    }

    /// The user's method call on the receiver's value, made owned:
    /// `(&x).fixed_rows::<N>(i).into_owned()` (an operation whose generic arguments fix its
    /// result's type). The receiver is the lowered value, not the expression as written,
    /// which may read buffers handed on since.
    fn as_written(
        &self,
        id: ValueId,
        receiver: ValueId,
        span: proc_macro2::Span,
        ref_bound: &[bool],
    ) -> TokenStream {
        let mut source = match &self.body.values[id].source {
            Some(crate::ir::Source::Expr(e)) => e,
            _ => {
                return quote_spanned!(span=> ::core::compile_error!("matgrad: an operation as written without its call"))
            }
        };
        // A borrowed use's source is `&(call)`.
        while let syn::Expr::Reference(syn::ExprReference { expr, .. })
        | syn::Expr::Paren(syn::ExprParen { expr, .. }) = source
        {
            source = expr;
        }
        let syn::Expr::MethodCall(call) = source else {
            return quote_spanned!(span=> ::core::compile_error!("matgrad: an operation as written without its call"));
        };
        let mut call = call.clone();
        let x = self.input_ref(receiver, span, ref_bound);
        *call.receiver = syn::parse_quote!((#x));
        quote_spanned!(span=> (#call).into_owned())
    }

    /// `let x_type = type_witness(&x);` right after `x`'s binding, for a value whose slot a
    /// witness types (`codegen::type_witnesses`); nothing for the others.
    pub(super) fn witness_binding(&self, id: ValueId) -> Option<TokenStream> {
        let w = self.type_witness.get(&id)?;
        let v = &self.body.values[id];
        let (name, span) = (&v.name, v.span);
        let f = self.rt(helpers::TYPE_WITNESS, span);
        Some(quote_spanned!(span=> let #w = #f(&#name);))
    }

    /// A constant's binding: the user's expression, or for `x op= rhs` the previous value
    /// (moved, or copied if the reverse sweep still reads it) changed by the user's operator.
    fn constant_value(&self, id: ValueId, ref_bound: &[bool]) -> TokenStream {
        let v = &self.body.values[id];
        let (name, span, attrs) = (&v.name, v.span, &v.attrs);
        let ty = v.ty.as_ref().map(|t| quote!(: #t));
        let mutability = v.mutable.then(|| quote!(mut));
        match &v.source {
            Some(Source::Expr(e)) => {
                let amp = (v.place && !v.named && !v.borrowed).then(|| quote!(&));
                quote_spanned!(span=> #(#attrs)* let #mutability #name #ty = #amp #e;)
            }
            Some(Source::Compound { prev, op, rhs }) => {
                let prev_value = if self.t.needed.needed[*prev] {
                    self.cloned(*prev, ref_bound)
                } else {
                    let p = &self.body.values[*prev].name;
                    quote!(#p)
                };
                // The right-hand side first, as Rust evaluates it, then the previous value moved.
                let r = &self.locals.rhs;
                quote_spanned!(span=> let #r = #rhs; #(#attrs)* let mut #name #ty = #prev_value; #name #op #r;)
            }
            None => TokenStream::new(),
        }
    }

    /// An operation through its kernel; a temporary read only here is handed over, the
    /// result computed in its buffer (the left operand's, or else the right one's).
    fn op_forward(
        &self,
        op: crate::ops::Op,
        inputs: &[ValueId],
        extras: &[ValueId],
        span: proc_macro2::Span,
        ref_bound: &[bool],
    ) -> TokenStream {
        let reuse = self.forward_reuse(op, inputs);
        let f = self.rt(&op.forward_kernel(reuse), span);
        let args = inputs.iter().enumerate().map(|(k, &i)| {
            if matches!((reuse, k), (Some(Side::Lhs), 0) | (Some(Side::Rhs), 1)) {
                let n = &self.body.values[i].name;
                quote!(#n)
            } else {
                self.input_ref(i, span, ref_bound)
            }
        });
        let all: Vec<TokenStream> = args
            .chain(extras.iter().map(|&e| self.cloned(e, ref_bound)))
            .collect();
        quote_spanned!(span=> #f(#(#all),*))
    }

    /// The operand whose buffer an operation's kernel computes in (moved into it): the left
    /// one where it is consumable, else the right one.
    pub(super) fn forward_reuse(&self, op: crate::ops::Op, inputs: &[ValueId]) -> Option<Side> {
        let spec = op.spec();
        let consumable = &self.t.reuse.consumable;
        if spec.reuse.forward_lhs && consumable[inputs[0]] {
            Some(Side::Lhs)
        } else if inputs.len() == 2
            && inputs[0] != inputs[1]
            && spec.reuse.forward_rhs
            && consumable[inputs[1]]
        {
            Some(Side::Rhs)
        } else {
            None
        }
    }

    /// An operation completed by `.expect(msg)` or `?`: its kernel's `Option` form, then the
    /// user's own completion (`__rt::cholesky_checked(&s).expect(msg)`, `..?`).
    fn op_forward_checked(
        &self,
        op: crate::ops::Op,
        inputs: &[ValueId],
        extras: &[ValueId],
        completion: Completion,
        span: proc_macro2::Span,
        ref_bound: &[bool],
    ) -> TokenStream {
        let f = self.rt(&op.checked_kernel(), span);
        let args = inputs
            .iter()
            .map(|&i| self.input_ref(i, span, ref_bound))
            .chain(extras.iter().map(|&e| self.cloned(e, ref_bound)));
        let taken = self.completion(completion, span, ref_bound);
        quote_spanned!(span=> #f(#(#args),*) #taken)
    }

    /// What follows a call that returns an `Option` (or `Result`): `.unwrap()`,
    /// `.expect(msg)`, `?`, `.ok_or(e)?` (the error, a constant read only here, moved), or
    /// nothing.
    fn completion(
        &self,
        completion: Completion,
        span: proc_macro2::Span,
        ref_bound: &[bool],
    ) -> TokenStream {
        match completion {
            Completion::Plain => TokenStream::new(),
            Completion::Unwrap => quote_spanned!(span=> .unwrap()),
            Completion::Expect(m) => {
                let m = self.reference(m, ref_bound);
                quote_spanned!(span=> .expect(#m))
            }
            Completion::Try => quote_spanned!(span=> ?),
            Completion::TryOr(err) => {
                let err = &self.body.values[err].name;
                quote_spanned!(span=> .ok_or(#err)?)
            }
        }
    }

    /// An argument of a call, passed as the user passed it.
    pub(super) fn call_argument(
        &self,
        a: &crate::ir::Arg,
        at: proc_macro2::Span,
        ref_bound: &[bool],
    ) -> TokenStream {
        // As the user passed it, of the type the user's own binding has: `&x` borrowed (a
        // binding bound by reference from a tape or a save already is that borrow), `x` copied
        // (a reference binding copies the reference).
        if !a.by_ref {
            return self.copied(a.value, ref_bound);
        }
        let mut name = if ref_bound.is_empty() {
            self.body.values[a.value].name.clone()
        } else {
            self.rev_name(a.value)
        };
        name.set_span(name.span().located_at(at));
        // A field or element (`&p.w`) is bound as the borrow of its place.
        let borrowed = matches!(self.body.values[a.value].kind, Kind::Project { .. });
        if borrowed || ref_bound.get(a.value).copied().unwrap_or(false) {
            quote_spanned!(at=> #name)
        } else {
            quote_spanned!(at=> &#name)
        }
    }
}
