//! The reverse sweep: adjoint slots, then each value's pullback in reverse order; a loop
//! replays its iterations backwards from its tape, a branch the arm whose save is set.

use super::{Gen, Seed};
use crate::ir::{defined_at, Branch, Head, Kind, Loop, Step, ValueId};
use crate::ops::helpers;
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Ident;

impl Gen<'_> {
    /// Declares the top level's slots, seeds the output's, and runs the reverse sweep.
    pub(super) fn top_reverse(&self, seed: &Seed) -> TokenStream {
        let body = self.body;
        let top: Vec<ValueId> = (0..body.values.len())
            .filter(|&id| matches!(body.values[id].kind, Kind::Param { .. }))
            .chain(body.captured.iter().copied())
            .chain(defined_at(body, &body.steps))
            .collect();
        let none = vec![false; body.values.len()];
        let mut out = self.recompute(&top, &none);
        let mut slots = Vec::new();
        for &id in &top {
            let Some(slot) = self.slot(id) else { continue };
            let init = if Some(id) == body.output {
                match seed {
                    Seed::One => {
                        let f = self.rt(helpers::SEED, Span::call_site());
                        let r = self.reference(id, &none);
                        quote!(#f(#r))
                    }
                    Seed::Given(g) if self.recycle => {
                        let f = self.rt(helpers::CLONE_POOLED, Span::call_site());
                        quote!(::core::option::Option::Some(#f(#g)))
                    }
                    Seed::Given(g) => {
                        quote!(::core::option::Option::Some(::core::clone::Clone::clone(#g)))
                    }
                }
            } else {
                self.slot_init(id, &none)
            };
            slots.push((slot, init));
        }
        out.extend(slot_lets(&slots));
        out.extend(self.reverse(&body.steps, &none));
        out
    }

    /// An empty slot, typed by a kept value of the same type if there is one (else by the
    /// first pullback that fills it).
    fn slot_init(&self, id: ValueId, ref_bound: &[bool]) -> TokenStream {
        if let Some(w) = self.type_witness.get(&id) {
            let f = self.rt(helpers::SLOT_OF, Span::call_site());
            return quote!(#f(#w));
        }
        let w = self.t.needed.witness[id];
        if matches!(self.body.values[id].kind, Kind::Param { .. }) {
            let f = self.rt(helpers::PARAM_SLOT, Span::call_site());
            let r = self.input_ref(id, self.body.values[id].span, ref_bound);
            quote!(#f(#r))
        } else if self.t.needed.needed[w] {
            let f = self.rt(helpers::SLOT, Span::call_site());
            let r = self.input_ref(w, self.body.values[w].span, ref_bound);
            quote!(#f(#r))
        } else {
            quote!(::core::option::Option::None)
        }
    }

    /// Declares the slots of the active values among `ids`.
    fn declare_slots(&self, ids: &[ValueId], ref_bound: &[bool]) -> TokenStream {
        let slots: Vec<(&Ident, TokenStream)> = ids
            .iter()
            .filter_map(|&id| Some((self.slot(id)?, self.slot_init(id, ref_bound))))
            .collect();
        slot_lets(&slots)
    }

    /// Evaluates again the values among `ids` that the reverse sweep reads but does not keep.
    pub(super) fn recompute(&self, ids: &[ValueId], ref_bound: &[bool]) -> TokenStream {
        ids.iter()
            .filter(|&&id| {
                self.t.needed.needed[id]
                    && self.t.needed.recomputed[id]
                    && self.t.bindings.bound[id]
            })
            .map(|&id| self.recomputed_value(id, ref_bound))
            .collect()
    }

    /// One value evaluated again. An expression the user wrote reads its inputs under their
    /// own names, as values: those the reverse sweep holds by reference (or as a snapshot)
    /// are rebound, cloned, in a block around it.
    fn recomputed_value(&self, id: ValueId, ref_bound: &[bool]) -> TokenStream {
        let v = &self.body.values[id];
        let user_expr = match &v.source {
            Some(crate::ir::Source::Expr(e)) if !self.t.bindings.by_kernel[id] => e,
            _ => return self.forward_value(id, ref_bound),
        };
        let rebound: Vec<ValueId> = v
            .mentions
            .iter()
            .copied()
            .filter(|&m| {
                ref_bound.get(m).copied().unwrap_or(false) || self.snapshot.contains_key(&m)
            })
            .collect();
        if rebound.is_empty() || !self.t.bindings.bound[id] {
            return self.forward_value(id, ref_bound);
        }
        let lets = rebound.iter().map(|&m| {
            let name = &self.body.values[m].name;
            let value = self.cloned(m, ref_bound);
            quote!(let #name = #value;)
        });
        // As `constant_value` binds it; a borrowed temporary lives on as the block's tail.
        let (name, span, attrs) = (&v.name, v.span, &v.attrs);
        let ty = v.ty.as_ref().map(|t| quote!(: #t));
        let amp = (v.place && !v.named && !v.borrowed).then(|| quote!(&));
        quote_spanned!(span=> #(#attrs)* let #name #ty = { #(#lets)* #amp #user_expr };)
    }

    /// `to += from` (moving `from` out), for two slots.
    fn merge(&self, to: ValueId, from: TokenStream) -> TokenStream {
        match self.slot(to) {
            Some(t) => {
                let f = self.rt(helpers::MERGE, Span::call_site());
                quote!(#f(&mut #t, #from);)
            }
            None => quote!(let _ = #from;),
        }
    }

    pub(super) fn reverse(&self, steps: &[Step], ref_bound: &[bool]) -> TokenStream {
        let mut out = TokenStream::new();
        for step in steps.iter().rev() {
            match step {
                Step::Value(id) => out.extend(self.reverse_value(*id, ref_bound)),
                Step::Effect(e) => {
                    for &(old, new) in e.versions.iter().rev() {
                        if let Some(s) = self.slot(new) {
                            out.extend(
                                self.merge(old, quote!(::core::option::Option::take(&mut #s))),
                            );
                        }
                    }
                }
                Step::Destructure(_) => {}
                Step::Loop(l) => out.extend(self.reverse_loop(l, ref_bound)),
                Step::Branch(b) => out.extend(self.reverse_branch(b, ref_bound)),
            }
        }
        out
    }

    /// A loop's iterations replayed backwards from its tape.
    fn reverse_loop(&self, l: &Loop, ref_bound: &[bool]) -> TokenStream {
        if !self.t.needed.needed[l.tape] {
            return TokenStream::new();
        }
        let iters_name = &self.body.values[l.iters].name;
        let iters = self.reference(l.iters, ref_bound);
        let tape = self.reference(l.tape, ref_bound);
        let iter = self.source_expr(l.iter);
        let pat = &l.pat;
        let carries = self.carried_adjoints(l);
        let mut out = carries.declared;
        let saved = self.saved(&l.body, l.carried.iter().map(|c| c.phi), &l.pat_values);
        let mut inner_bound = ref_bound.to_vec();
        saved.iter().for_each(|&s| inner_bound[s] = true);
        for c in l.carried.iter().filter(|c| self.t.needed.shifted[c.next]) {
            inner_bound[c.next] = true;
        }
        let names: Vec<Ident> = saved.iter().map(|&s| self.rev_name(s)).collect();
        let saved_tuple = &self.locals.saved;
        let mut ids: Vec<ValueId> = l.carried.iter().map(|c| c.phi).collect();
        ids.extend(defined_at(self.body, &l.body));
        let recompute = self.recompute(&ids, &inner_bound);
        let slots = self.declare_slots(&ids, &inner_bound);
        let (enter, leave, after) = (carries.enter, carries.leave, carries.after);
        let (cursors, shifted, advance) = self.shifted_nexts(l, ref_bound);
        let body = self.reverse(&l.body, &inner_bound);
        let (lists, applied) = self.deferred_lists(l, &tape, ref_bound);
        let replay = |iterations: TokenStream| {
            quote_spanned! {l.span=>
                #cursors
                for (#pat, #saved_tuple) in ::core::iter::Iterator::rev(::core::iter::Iterator::zip(
                    ::core::iter::Iterator::cloned(#iterations),
                    (#tape).iter(),
                )) {
                    #[allow(unused_variables)]
                    let (#(#names,)*) = #saved_tuple;
                    #shifted
                    #recompute
                    #slots
                    #enter
                    #body
                    #leave
                    #advance
                }
            }
        };
        // `_grad` still holds a top-level loop's iterations from its forward sweep; a
        // pullback closure, which may not borrow them, and a nested loop collect them again.
        let top_level = self
            .body
            .steps
            .iter()
            .any(|s| matches!(s, Step::Loop(x) if x.tape == l.tape));
        let collect = match self.t.owned && top_level {
            true => TokenStream::new(),
            false => quote_spanned! {l.span=>
                let #iters_name: ::std::vec::Vec<_> =
                    ::core::iter::Iterator::collect(::core::iter::IntoIterator::into_iter(#iter));
            },
        };
        match self.checkpoints.get(&l.tape) {
            Some(names) => {
                let sweep = super::checkpoint::Sweep {
                    lists,
                    backward: &replay,
                    applied,
                };
                out.extend(collect);
                out.extend(self.checkpointed_reverse(l, names, &iters, &tape, sweep));
                out.extend(after);
            }
            None => {
                out.extend(lists);
                out.extend(collect);
                out.extend(replay(quote!((#iters).iter())));
                out.extend(after);
                out.extend(applied);
                if self.recycle && self.t.owned && top_level {
                    out.extend(self.recycle_tape(l, &saved));
                }
            }
        }
        out
    }

    /// The adjoints a loop's carried variables carry from iteration to iteration (those with
    /// an adjoint): declared from the loop's outputs', merged into the next values' at the
    /// start of an iteration, taken from the start values' at its end, and merged into the
    /// initial values' after the loop.
    fn carried_adjoints(&self, l: &Loop) -> CarriedAdjoints {
        let mut out = CarriedAdjoints::default();
        for (c, carry) in l.carried.iter().zip(&self.loop_names[&l.tape].carries) {
            if self.slot(c.out).is_none() && self.slot(c.phi).is_none() {
                continue;
            }
            let init = match self.slot(c.out) {
                Some(s) => quote!(::core::option::Option::take(&mut #s)),
                None => quote!(::core::option::Option::None),
            };
            out.declared.extend(quote!(let mut #carry = #init;));
            let taken = quote!(::core::option::Option::take(&mut #carry));
            out.enter.extend(self.merge(c.next, taken));
            out.leave.extend(match self.slot(c.phi) {
                Some(s) => quote!(#carry = ::core::option::Option::take(&mut #s);),
                None => quote!(#carry = ::core::option::Option::None;),
            });
            out.after.extend(self.merge(c.init, quote!(#carry)));
        }
        out
    }

    /// The next values of `Needed::shifted` carried variables, which the tape does not keep:
    /// a reference per variable (a cursor) to the value after the loop, the last iteration's
    /// next value; each iteration binds its next value to the cursor and moves the cursor to
    /// its own saved start value, the previous iteration's next value.
    fn shifted_nexts(
        &self,
        l: &Loop,
        ref_bound: &[bool],
    ) -> (TokenStream, TokenStream, TokenStream) {
        let (mut cursors, mut bind, mut advance) =
            (TokenStream::new(), TokenStream::new(), TokenStream::new());
        let names = &self.loop_names[&l.tape].nexts;
        for (c, cursor) in l.carried.iter().zip(names) {
            if !self.t.needed.shifted[c.next] {
                continue;
            }
            let after = self.reference(c.out, ref_bound);
            let (next, start) = (self.rev_name(c.next), self.rev_name(c.phi));
            cursors.extend(quote!(let mut #cursor = #after;));
            bind.extend(quote!(let #next = #cursor;));
            advance.extend(quote!(#cursor = #start;));
        }
        (cursors, bind, advance)
    }

    /// The lists of a loop body's deferred products, and their application after the loop.
    fn deferred_lists(
        &self,
        l: &Loop,
        tape: &TokenStream,
        ref_bound: &[bool],
    ) -> (TokenStream, TokenStream) {
        let (mut lists, mut applied) = (TokenStream::new(), TokenStream::new());
        for step in &l.body {
            let Step::Value(id) = step else { continue };
            let (Some(list), Kind::Op { op, inputs, .. }) =
                (self.deferred.get(id), &self.body.values[*id].kind)
            else {
                continue;
            };
            let Some(d_a) = self.slot(inputs[0]) else {
                continue;
            };
            let a = self.reference(inputs[0], ref_bound);
            let all = self.rt(&op.deferred_kernels().1, Span::call_site());
            lists.extend(quote!(let mut #list = ::std::vec::Vec::with_capacity((#tape).len());));
            applied.extend(quote!(#all(&#list, #a, &mut #d_a);));
        }
        (lists, applied)
    }

    /// A branch: the arm whose save is set, replayed.
    fn reverse_branch(&self, b: &Branch, ref_bound: &[bool]) -> TokenStream {
        if !b.arms.iter().any(|a| self.t.needed.needed[a.save]) {
            return TokenStream::new();
        }
        let saved_name = &self.locals.saved;
        let cfg = match &b.head {
            Head::Cfg { pred } => Some(pred),
            _ => None,
        };
        let mut out = TokenStream::new();
        for (k, a) in b.arms.iter().enumerate() {
            let saved = self.saved(&a.body, a.bound.iter().copied(), &[]);
            let mut inner_bound = ref_bound.to_vec();
            saved.iter().for_each(|&s| inner_bound[s] = true);
            let names = saved.iter().map(|&s| self.rev_name(s));
            // (The arms of a `#[cfg]` branch share their first arm's save binding.)
            let save = self.reference(
                if cfg.is_some() {
                    b.arms[0].save
                } else {
                    a.save
                },
                ref_bound,
            );
            let mut ids: Vec<ValueId> = a.bound.clone();
            ids.extend(defined_at(self.body, &a.body));
            let recompute = self.recompute(&ids, &inner_bound);
            let slots = self.declare_slots(&ids, &inner_bound);
            let mut enter = TokenStream::new();
            for (j, &m) in b.merged.iter().enumerate() {
                if let Some(ms) = self.slot(m) {
                    enter.extend(
                        self.merge(a.from[j], quote!(::core::option::Option::take(&mut #ms))),
                    );
                }
            }
            let body = self.reverse(&a.body, &inner_bound);
            let replay = quote! {
                #[allow(unused_variables)]
                let (#(#names,)*) = #saved_name;
                #recompute
                #slots
                #enter
                #body
            };
            out.extend(match cfg {
                // Only the configured arm exists; its save is the tuple itself.
                Some(pred) => {
                    let pred = if k == 0 { quote!(#pred) } else { quote!(not(#pred)) };
                    quote_spanned!(b.span=> #[cfg(#pred)] { let #saved_name = #save; #replay })
                }
                None => {
                    let else_ = (k > 0).then(|| quote!(else));
                    quote_spanned!(b.span=> #else_ if let ::core::option::Option::Some(#saved_name) = #save { #replay })
                }
            });
        }
        out
    }

    /// The `__g` binding of a pullback.
    pub(super) fn g(&self) -> Ident {
        self.locals.g.clone()
    }
}

/// `let mut slot = init;` for each slot; many, in groups of [`super::chunks::CHUNK`] per `let`
/// (`let (mut a, mut b) = (init_a, init_b);`), so that they do not nest a scope each.
/// The code of [`Gen::carried_adjoints`], by where it goes.
#[derive(Default)]
struct CarriedAdjoints {
    declared: TokenStream,
    enter: TokenStream,
    leave: TokenStream,
    after: TokenStream,
}

fn slot_lets(slots: &[(&Ident, TokenStream)]) -> TokenStream {
    if slots.len() <= super::chunks::CHUNK {
        return slots
            .iter()
            .map(|(slot, init)| quote!(let mut #slot = #init;))
            .collect();
    }
    slots
        .chunks(super::chunks::CHUNK)
        .map(|group| {
            let names = group.iter().map(|g| g.0);
            let inits = group.iter().map(|g| &g.1);
            quote!(let (#(mut #names,)*) = (#(#inits,)*);)
        })
        .collect()
}
