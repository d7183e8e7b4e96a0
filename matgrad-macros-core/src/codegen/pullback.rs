//! Each value's pullback in the reverse sweep: its cotangent, taken out of its slot at its
//! last use, through the registry's kernels into the slots of its inputs.

use super::nodes::{KernelCall, NodeCall, Pullbacks};
use super::Gen;
use crate::ir::{Kind, ValueId};
use crate::ops::{helpers, Op, Pullback, PullbackForm};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};

impl Gen<'_> {
    pub(super) fn reverse_value(&self, id: ValueId, ref_bound: &[bool]) -> TokenStream {
        let Some(d) = self.slot(id) else {
            return TokenStream::new();
        };
        let v = &self.body.values[id];
        let pullbacks = match &v.kind {
            Kind::Op { op, inputs, .. } if matches!(op.spec().pullback, Pullback::Pass(_)) => {
                self.pass(*op, inputs, v.span)
            }
            Kind::Op {
                op, inputs, extras, ..
            } => self.op_pullback(id, *op, inputs, extras, ref_bound),
            Kind::Map { input, .. } => Pullbacks::other(self.map_pullback(id, *input, ref_bound)),
            Kind::Call { args, pullback, .. } => {
                Pullbacks::other(self.call_pullback(id, args, *pullback, ref_bound))
            }
            Kind::Project { root, place, .. } => {
                match self.project_pullback(*root, place, v.span) {
                    Some(call) => Pullbacks::other(call),
                    None => return TokenStream::new(),
                }
            }
            _ => return TokenStream::new(),
        };
        if self.body.values.len() >= super::nodes::NODES_FROM {
            if let Some(node) = self.node(d, &pullbacks, v.span) {
                return node;
            }
        }
        let g = self.g();
        let calls = pullbacks.to_tokens(&g);
        // A call's pullback borrows ḡ (`(pullback)(&ḡ, ..)`).
        let borrowed = matches!(v.kind, Kind::Call { .. }) || pullbacks.borrow_g();
        let recycle = self.recycle_cotangent(borrowed, &g, v.span);
        // The slot is read here for the last time: its cotangent is taken by value.
        quote! {
            if let ::core::option::Option::Some(#g) = ::core::option::Option::take(&mut #d) {
                #calls
                #recycle
            }
        }
    }

    /// `ḡ` added to the place `place` of the slot of the parameter `root`: the closure's
    /// parameter, named as the parameter, shadows it, so the place reads as written.
    fn project_pullback(
        &self,
        root: ValueId,
        place: &syn::Expr,
        span: Span,
    ) -> Option<TokenStream> {
        let d = self.slot(root)?;
        let f = self.rt(helpers::PROJECT_PULLBACK, span);
        let r = self.reference_at(root, span, &[]);
        let name = &self.body.values[root].name;
        let g = self.g();
        Some(quote_spanned!(span=> #f(#g, #r, &mut #d, |#name| &mut #place);))
    }

    /// `slot ± ḡ` for each operand; the last one takes ḡ by value, the others a reference.
    /// The buffer goes where it lives on: to a temporary that passes it on again (`+`, `-`,
    /// `map`), else to a parameter (its slot is a gradient the caller gets), else to any
    /// temporary.
    fn pass(&self, op: Op, inputs: &[ValueId], span: Span) -> Pullbacks {
        let Pullback::Pass(negate) = op.spec().pullback else {
            return Pullbacks::default();
        };
        let active: Vec<usize> = (0..inputs.len())
            .filter(|&k| self.slot(inputs[k]).is_some())
            .collect();
        let keeps = |k: usize| match &self.body.values[inputs[k]].kind {
            Kind::Op { op, .. } if matches!(op.spec().pullback, Pullback::Pass(_)) => 3,
            Kind::Map { .. } => 3,
            Kind::Param { .. } => 2,
            Kind::Op { .. } | Kind::Call { .. } => 1,
            _ => 0,
        };
        // (`max_by_key` keeps the last of equals: reversed, the first operand.)
        let last = active.iter().copied().rev().max_by_key(|&k| keeps(k));
        let order = active
            .iter()
            .copied()
            .filter(|&k| Some(k) != last)
            .chain(last);
        let mut calls = Vec::new();
        for k in order {
            let Some(d_in) = self.slot(inputs[k]) else {
                continue;
            };
            let names = if negate[k] {
                helpers::PASS_NEGATED
            } else {
                helpers::PASS
            };
            let owned = Some(k) == last;
            calls.push(NodeCall::Kernel(KernelCall {
                f: self.rt(names[usize::from(owned)], span),
                owned,
                slot: d_in.clone(),
                span,
            }));
        }
        Pullbacks {
            args: Vec::new(),
            calls,
        }
    }

    /// The kernel pullbacks of an operation, the one that can reuse ḡ's buffer last.
    fn op_pullback(
        &self,
        id: ValueId,
        op: Op,
        inputs: &[ValueId],
        extras: &[ValueId],
        ref_bound: &[bool],
    ) -> Pullbacks {
        let span = self.body.values[id].span;
        let spec = op.spec();
        let refs: Vec<TokenStream> = inputs
            .iter()
            .map(|&i| self.input_ref(i, span, ref_bound))
            .collect();
        let reuse_x = inputs.len() == 1 && self.t.reuse.consumed[inputs[0]];
        let args = self.pullback_args(id, op, (inputs, extras), &refs, reuse_x, ref_bound);
        let active: Vec<usize> = (0..inputs.len())
            .filter(|&k| self.slot(inputs[k]).is_some())
            .collect();
        let deferred = self.deferred.get(&id);
        if let ([0, 1], None) = (active.as_slice(), deferred) {
            if let Some(call) = self.joint_pullback(op, inputs, &args, span) {
                return Pullbacks {
                    args,
                    calls: vec![call],
                };
            }
        }
        // Who gets ḡ by value: the deferred product's left operand, else the last operand
        // with a `_reuse_g` kernel.
        let reuses = |k: &usize| spec.reuse.pullback_g[*k];
        let owner = deferred
            .map(|_| 0)
            .or_else(|| active.iter().rev().copied().find(reuses));
        let order = active
            .iter()
            .copied()
            .filter(|&k| Some(k) != owner)
            .chain(owner);
        let g = self.g();
        let mut calls = Vec::new();
        for k in order {
            let Some(d_in) = self.slot(inputs[k]) else {
                continue;
            };
            if let (Some(list), 0) = (deferred, k) {
                // ḡ and the right operand wait for the end of the loop (a scalar on the left
                // pulls back at once).
                let later = self.rt(&op.deferred_kernels().0, span);
                let kept = self.deferred_operand(inputs[1], ref_bound);
                let a = &refs[0];
                calls.push(NodeCall::Other(
                    quote_spanned!(span=> #later(&mut #list, #g, #a, #kept, &mut #d_in);),
                ));
                continue;
            }
            let owned = Some(k) == owner;
            let form = match (reuse_x, owned) {
                (true, _) => PullbackForm::ReuseX,
                (_, true) => PullbackForm::ReuseG,
                _ => PullbackForm::Borrowed,
            };
            calls.push(NodeCall::Kernel(KernelCall {
                f: self.rt(&op.pullback_kernel(k, form), span),
                owned,
                slot: d_in.clone(),
                span,
            }));
        }
        Pullbacks { args, calls }
    }

    /// The kernels' arguments between ḡ and the slot, the same for each: one operand
    /// `(x, extras.., y)`, `x` by value where it is read for the last time (`reuse_x`); two
    /// `(a, b, extras..)`, and `y` where the entry says its pullbacks read it.
    fn pullback_args(
        &self,
        id: ValueId,
        op: Op,
        (inputs, extras): (&[ValueId], &[ValueId]),
        refs: &[TokenStream],
        reuse_x: bool,
        ref_bound: &[bool],
    ) -> Vec<TokenStream> {
        let mut args = if reuse_x {
            let x = &self.body.values[inputs[0]].name;
            vec![quote!(#x)]
        } else {
            refs.to_vec()
        };
        args.extend(extras.iter().map(|&e| self.cloned(e, ref_bound)));
        if op.pullback_reads_result() {
            let span = self.body.values[id].span;
            args.push(self.reference_at(id, span, ref_bound));
        }
        args
    }

    /// Both operands' pullbacks as one kernel call, where the entry has one
    /// (`OpSpec::joint_pullback`: work they share is done once) and the slots differ.
    fn joint_pullback(
        &self,
        op: Op,
        inputs: &[ValueId],
        args: &[TokenStream],
        span: Span,
    ) -> Option<NodeCall> {
        let (s0, s1) = (self.slot(inputs[0])?, self.slot(inputs[1])?);
        if !op.spec().joint_pullback || inputs[0] == inputs[1] {
            return None;
        }
        let (f, g) = (self.rt(&op.joint_pullback_kernel(), span), self.g());
        Some(NodeCall::Other(
            quote_spanned!(span=> #f(&#g, #(#args,)* &mut #s0, &mut #s1);),
        ))
    }

    /// The right operand of a deferred product, as kept until the end of the loop: a
    /// reference where the value outlives the iteration (on the tape, or from outside the
    /// loop), else a copy of the binding.
    fn deferred_operand(&self, v: ValueId, ref_bound: &[bool]) -> TokenStream {
        let keep = self.rt(helpers::KEEP, Span::call_site());
        let from_tape = ref_bound[v] && !matches!(self.body.values[v].kind, Kind::Bound { .. });
        if from_tape || !self.t.deferred.in_loops.contains(&v) {
            let r = self.input_ref(v, self.body.values[v].span, ref_bound);
            quote!(#keep(#r))
        } else {
            // A binding of the binding's own type: a pattern's reference stays one.
            let r = self.reference(v, ref_bound);
            quote!(#keep(::core::clone::Clone::clone(#r)))
        }
    }

    /// `x.map(f)` (`x.zip_map(&y, f)`): the closure's own sweeps, per entry; the cotangents of
    /// the values the closure captures that depend on a differentiated parameter are summed over
    /// the entries (in a sum of their own, merged into their slots after the entries).
    fn map_pullback(&self, id: ValueId, input: ValueId, ref_bound: &[bool]) -> TokenStream {
        let v = &self.body.values[id];
        let span = v.span;
        let Kind::Map { scalar, second, .. } = &v.kind else {
            return TokenStream::new();
        };
        let (inner, sums, mapped) = &self.closures[&id];
        // (the capture's slot here, its slot in the closure, the sum over the entries)
        let captured: Vec<(&syn::Ident, &syn::Ident, &syn::Ident)> = scalar
            .captures
            .iter()
            .zip(&scalar.body.captured)
            .zip(sums)
            .filter_map(|((&c, &ci), sum)| Some((self.slot(c)?, inner.slots[ci].as_ref()?, sum)))
            .collect();
        let d_in = self.slot(input);
        let d_second = second.and_then(|s| self.slot(s));
        if d_in.is_none() && d_second.is_none() && captured.is_empty() {
            return TokenStream::new();
        }
        let y = self.reference_at(id, span, ref_bound);
        // Captured values bound by reference here are copied for the closure's body (once
        // each, whatever the names they are read under), after the mapped values are taken:
        // the closure may read the value it maps.
        let x_ref = self.input_ref(input, span, ref_bound);
        let x = quote!(#mapped);
        let mut rebind = quote!(let #mapped = #x_ref;);
        let mut copied = Vec::new();
        for &c in &scalar.captures {
            if ref_bound[c] && !copied.contains(&c) {
                copied.push(c);
                let n = &self.body.values[c].name;
                rebind.extend(quote!(let #n = ::core::clone::Clone::clone(#n);));
            }
        }
        let (param, g_elem) = (&scalar.param, &self.locals.g_elem);
        let (fwd, rev) = (&inner.forward, &inner.reverse);
        let grad = self.parameter_gradient(scalar, inner, 0, param, span);
        let g = self.g();
        if captured.is_empty() && second.is_none() {
            let f = self.rt(helpers::MAP_PULLBACK[1], span);
            return quote_spanned! {span=>
                #rebind
                #f(#g, #x, #y, |#param, #g_elem| { #fwd #rev #grad }, &mut #d_in);
            };
        }
        let (declare, add, merge_sums) = self.capture_sums(&captured, span);
        let call = match (second, &scalar.second) {
            (Some(s), Some(q)) => {
                let other = self.input_ref(*s, span, ref_bound);
                let grad_q = self.parameter_gradient(scalar, inner, 1, q, span);
                let f = self.rt(helpers::ZIP_MAP_PULLBACK, span);
                // `a.zip_map(&a, ..)`: one slot, given the sum of both parameters' cotangents.
                let (grads, acc_q) = if *s == input {
                    (quote!((#grad + #grad_q, #grad_q)), optional_slot(None))
                } else {
                    (quote!((#grad, #grad_q)), optional_slot(d_second))
                };
                let acc = optional_slot(d_in);
                quote_spanned! {span=>
                    #f(#g, #x, #other, #y, |#param, #q, #g_elem| { #fwd #rev #add #grads }, #acc, #acc_q);
                }
            }
            _ => {
                let f = self.rt(helpers::MAP_PULLBACK_CAPTURES, span);
                let acc = optional_slot(d_in);
                quote_spanned! {span=>
                    #f(#g, #x, #y, |#param, #g_elem| { #fwd #rev #add #grad }, #acc);
                }
            }
        };
        quote_spanned! {span=>
            #rebind
            #declare
            #call
            #merge_sums
        }
    }

    /// For each captured value `(its slot, its slot in the closure, the sum over the
    /// entries)`: the sums' declarations, each entry's addition to them (in the closure), and
    /// their merging into the slots after the entries.
    fn capture_sums(
        &self,
        captured: &[(&syn::Ident, &syn::Ident, &syn::Ident)],
        span: Span,
    ) -> (TokenStream, TokenStream, TokenStream) {
        let merge = self.rt(helpers::MERGE, span);
        let (mut declare, mut add, mut merged) =
            (TokenStream::new(), TokenStream::new(), TokenStream::new());
        for (outer, inner_slot, sum) in captured {
            declare.extend(quote!(let mut #sum = ::core::option::Option::None;));
            add.extend(quote!(#merge(&mut #sum, #inner_slot);));
            merged.extend(quote!(#merge(&mut #outer, #sum);));
        }
        (declare, add, merged)
    }

    /// The cotangent of a closure's `k`-th parameter `param` after its reverse sweep (zero
    /// when it has no slot).
    fn parameter_gradient(
        &self,
        scalar: &crate::ir::ScalarFn,
        inner: &super::Sweeps,
        k: usize,
        param: &syn::Ident,
        span: Span,
    ) -> TokenStream {
        let finish = self.rt(helpers::FINISH, span);
        let slot_fn = self.rt(helpers::SLOT, span);
        let slot = scalar
            .body
            .values
            .iter()
            .enumerate()
            .filter(|(_, v)| matches!(v.kind, Kind::Param { .. }))
            .nth(k)
            .and_then(|(p, _)| inner.slots[p].clone());
        match slot {
            Some(s) => quote!(#finish(#s, &#param)),
            None => quote!(#finish(#slot_fn(&#param), &#param)),
        }
    }

    /// A call: the callee's pullback, given the value and the arguments again, and one
    /// cotangent per argument accumulated into its slot.
    fn call_pullback(
        &self,
        id: ValueId,
        args: &[crate::ir::Arg],
        pullback: ValueId,
        ref_bound: &[bool],
    ) -> TokenStream {
        let span = self.body.values[id].span;
        let pb = self.reference_at(pullback, span, ref_bound);
        let y = self.input_ref(id, span, ref_bound);
        let c = self.locals.cotangents.clone();
        let arg_values = args.iter().map(|a| self.call_argument(a, span, ref_bound));
        let g = self.g();
        let mut calls = quote_spanned!(span=> #[allow(unused_variables)] let #c = (#pb)(&#g, #y, #(#arg_values),*););
        let acc = helpers::ACCUMULATE_ARGUMENT;
        for (k, a) in args.iter().enumerate() {
            if let Some(d_in) = self.slot(a.value) {
                // Spanned at the argument, so a missing cotangent is reported there.
                let at = a.span;
                let mut index = syn::Index::from(k);
                index.span = at;
                let mut c = c.clone();
                c.set_span(c.span().located_at(at));
                let f = self.rt(acc, at);
                calls.extend(quote_spanned!(at=> #f(&mut #d_in, #c.#index);));
            }
        }
        calls
    }
}

/// `Some(&mut slot)`, or `None` for a value with no slot.
fn optional_slot(slot: Option<&syn::Ident>) -> TokenStream {
    match slot {
        Some(d) => quote!(::core::option::Option::Some(&mut #d)),
        None => quote!(::core::option::Option::None),
    }
}
