//! The forward code of regions: a loop keeps per iteration what its reverse sweep reads (its
//! tape); a branch keeps the saved values of the arm that ran, which also tells the reverse
//! sweep which arm to replay.

use super::{Gen, FORWARD};
use crate::ir::{defined_at, Arm, Branch, Head, Loop, Step, ValueId};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use std::collections::HashSet;

impl Gen<'_> {
    /// The values a region's body saves for the reverse sweep: those it defines (with
    /// `extra`: a loop's carried values, a branch's pattern values) that the reverse sweep
    /// reads, minus what it binds or evaluates again itself and the carried variables' next
    /// values it reads from the next iteration's (`Needed::shifted`).
    pub(super) fn saved(
        &self,
        steps: &[Step],
        extra: impl Iterator<Item = ValueId>,
        skip: &[ValueId],
    ) -> Vec<ValueId> {
        let iters: HashSet<ValueId> = self.body.loops().iter().map(|l| l.iters).collect();
        let mut ids: Vec<ValueId> = extra.collect();
        ids.extend(defined_at(self.body, steps));
        ids.into_iter()
            .filter(|id| {
                self.t.needed.needed[*id]
                    && !self.t.needed.shifted[*id]
                    && !skip.contains(id)
                    && !iters.contains(id)
                    && !self.t.needed.recomputed[*id]
            })
            .collect()
    }

    /// A loop: carried variables as `let mut` bindings updated at the end of each iteration,
    /// and the tape of what each iteration saved.
    pub(super) fn forward_loop(&self, l: &Loop) -> TokenStream {
        let iters = &self.body.values[l.iters].name;
        let tape = &self.body.values[l.tape].name;
        let iter = self.source_expr(l.iter);
        let pat = &l.pat;
        let attrs = &l.attrs;
        let active = self.t.needed.needed[l.tape];
        let mut out = TokenStream::new();
        for c in &l.carried {
            let name = &self.body.values[c.phi].name;
            let init = self.cloned(c.init, FORWARD);
            out.extend(quote!(let mut #name = #init;));
        }
        let body = self.forward(&l.body);
        let saved = self.saved(&l.body, l.carried.iter().map(|c| c.phi), &l.pat_values);
        let (update, olds) = self.carried_update(l, &saved);
        if !active {
            out.extend(quote_spanned! {l.span=>
                #(#attrs)*
                for #pat in #iter {
                    #body
                    #update
                }
            });
            return out;
        }
        if let Some(names) = self.checkpoints.get(&l.tape) {
            out.extend(self.checkpointed_forward(l, names, &body));
            return out;
        }
        let items = self.tape_items(&saved, &olds);
        let recycle = match self.recycle {
            true => self.recycle_iteration(l, &saved),
            false => TokenStream::new(),
        };
        out.extend(quote_spanned! {l.span=>
            let #iters: ::std::vec::Vec<_> =
                ::core::iter::Iterator::collect(::core::iter::IntoIterator::into_iter(#iter));
            let mut #tape = ::std::vec::Vec::with_capacity(#iters.len());
            #(#attrs)*
            for #pat in ::core::iter::Iterator::cloned(#iters.iter()) {
                #body
                #recycle
                #update
                #tape.push((#(#items,)*));
            }
        });
        out
    }

    /// The carried variables' update at the end of an iteration: the next value moved into
    /// the binding where nothing else needs it, else copied; a replaced value the tape keeps
    /// is taken out first (`olds`).
    pub(super) fn carried_update(
        &self,
        l: &Loop,
        saved: &[ValueId],
    ) -> (TokenStream, Vec<(ValueId, proc_macro2::Ident)>) {
        let inside: HashSet<ValueId> = defined_at(self.body, &l.body).into_iter().collect();
        let mut moved = HashSet::new();
        let mut update = TokenStream::new();
        let mut olds = Vec::new();
        for (k, c) in l.carried.iter().enumerate() {
            let name = &self.body.values[c.phi].name;
            if c.next == c.phi || self.body.values[c.next].name == *name {
                continue;
            }
            let value = if self.movable(c.next, &inside, saved) && moved.insert(c.next) {
                let n = &self.body.values[c.next].name;
                quote!(#n)
            } else {
                self.cloned(c.next, FORWARD)
            };
            if saved.contains(&c.phi) {
                let old = self.loop_names[&l.tape].olds[k].clone();
                update.extend(quote!(let #old = ::core::mem::replace(&mut #name, #value);));
                olds.push((c.phi, old));
            } else {
                update.extend(quote!(#name = #value;));
            }
        }
        (update, olds)
    }

    /// Whether a value defined in a region's body can be moved out at its end: an owned
    /// binding that nothing saves.
    fn movable(&self, id: ValueId, inside: &HashSet<ValueId>, saved: &[ValueId]) -> bool {
        inside.contains(&id)
            && !self.t.bindings.reference[id]
            && !saved.contains(&id)
            && self.t.bindings.bound[id]
    }

    /// A branch: `let (merged..) = <head> { arm } ...;`, each arm setting its save.
    pub(super) fn forward_branch(&self, b: &Branch) -> TokenStream {
        let active = b.arms.iter().any(|a| self.t.needed.needed[a.save]);
        if let Head::Cfg { pred } = &b.head {
            return self.forward_cfg(b, pred, active);
        }
        let mut out = TokenStream::new();
        if active {
            for a in &b.arms {
                let save = &self.body.values[a.save].name;
                out.extend(quote!(let mut #save = ::core::option::Option::None;));
            }
        }
        let arms: Vec<TokenStream> = b.arms.iter().map(|a| self.forward_arm(a, active)).collect();
        let merged = b.merged.iter().map(|&m| {
            let v = &self.body.values[m];
            let (name, mutability) = (&v.name, v.mutable.then(|| quote!(mut)));
            quote!(#mutability #name)
        });
        let branch = match &b.head {
            Head::If { cond } => {
                let cond = self.source_expr(*cond);
                let (then_arm, else_arm) = (&arms[0], &arms[1]);
                quote!(if #cond #then_arm else #else_arm)
            }
            Head::IfLet { pat, scrutinee } => {
                let s = self.source_expr(*scrutinee);
                let (then_arm, else_arm) = (&arms[0], &arms[1]);
                quote!(if let #pat = #s #then_arm else #else_arm)
            }
            Head::Match {
                scrutinee,
                arms: heads,
            } => {
                let s = self.source_expr(*scrutinee);
                let cases = heads.iter().zip(&arms).map(|((pat, guard), arm)| {
                    let guard = guard.as_ref().map(|g| quote!(if #g));
                    quote!(#pat #guard => #arm)
                });
                quote!(match #s { #(#cases)* })
            }
            // Its arms are separate statements, each under its own `#[cfg]`.
            Head::Cfg { pred } => return self.forward_cfg(b, pred, active),
        };
        out.extend(quote_spanned!(b.span=> let (#(#merged,)*) = #branch;));
        out
    }

    /// `#[cfg(p)] let (merged.., save) = { arm; .. };` and the same under `not(p)` for the
    /// other arm: only one is compiled, so the arms may differ in type.
    fn forward_cfg(&self, b: &Branch, pred: &TokenStream, active: bool) -> TokenStream {
        let merged: Vec<TokenStream> = b
            .merged
            .iter()
            .map(|&m| {
                let v = &self.body.values[m];
                let (name, mutability) = (&v.name, v.mutable.then(|| quote!(mut)));
                quote!(#mutability #name)
            })
            .collect();
        let save = active.then(|| {
            let s = &self.body.values[b.arms[0].save].name;
            quote!(#s,)
        });
        let mut out = TokenStream::new();
        for (a, cfg) in b.arms.iter().zip([quote!(#pred), quote!(not(#pred))]) {
            let (body, from, saved) = self.arm_parts(a, Some(&b.merged));
            // A merged value that is the variable's own binding in this arm is not bound again.
            let bound: Vec<usize> = (0..b.merged.len())
                .filter(|&k| self.body.values[b.merged[k]].name != self.body.values[a.from[k]].name)
                .collect();
            let merged = bound.iter().map(|&k| &merged[k]);
            let from = bound.iter().map(|&k| &from[k]);
            let saved = active.then(|| quote!((#(#saved,)*),));
            out.extend(quote_spanned! {b.span=>
                #[cfg(#cfg)]
                let ((#(#merged,)*), #save) = { #body ((#(#from,)*), #saved) };
            });
        }
        // Bound in either configuration: the witnesses that type their slots.
        out.extend(b.merged.iter().filter_map(|&m| self.witness_binding(m)));
        out
    }

    /// An arm's forward code, its values of the merged variables (moved out where nothing
    /// else needs them; in a `#[cfg]` branch, whose merged values may hold references, a
    /// reference passed on as it is where the reverse sweep keeps nothing of it) and its saved
    /// values. `cfg_merged` is the merged values of a `#[cfg]` branch.
    fn arm_parts(
        &self,
        a: &Arm,
        cfg_merged: Option<&[ValueId]>,
    ) -> (TokenStream, Vec<TokenStream>, Vec<TokenStream>) {
        let body = self.forward(&a.body);
        let inside: HashSet<ValueId> = defined_at(self.body, &a.body)
            .into_iter()
            .chain(a.bound.iter().copied())
            .collect();
        let saved_ids = self.saved(&a.body, a.bound.iter().copied(), &[]);
        let mut moved = HashSet::new();
        let from = a
            .from
            .iter()
            .enumerate()
            .map(|(k, &f)| {
                let n = &self.body.values[f].name;
                // The user's code after the branch reads a reference (`w: &T`) as one; the
                // reverse sweep's closure must not capture it.
                let as_reference = cfg_merged.is_some_and(|m| {
                    self.t.bindings.reference[f]
                        && !self.t.activity.active(m[k])
                        && !self.t.needed.needed[m[k]]
                });
                if self.movable(f, &inside, &saved_ids) && moved.insert(f) || as_reference {
                    quote!(#n)
                } else {
                    self.cloned(f, FORWARD)
                }
            })
            .collect();
        let saved = saved_ids
            .iter()
            .map(|&id| {
                let n = self.rev_name(id);
                if a.bound.contains(&id) {
                    quote!(::core::clone::Clone::clone(&#n))
                } else {
                    quote!(#n)
                }
            })
            .collect();
        (body, from, saved)
    }

    /// `{ body; let merged = (from..); save = Some((saved..)); merged }`.
    fn forward_arm(&self, a: &Arm, active: bool) -> TokenStream {
        let (body, from, saved) = self.arm_parts(a, None);
        let save = if active {
            let s = &self.body.values[a.save].name;
            quote!(#s = ::core::option::Option::Some((#(#saved,)*));)
        } else {
            quote!()
        };
        let merged = &self.locals.merged;
        quote!({ #body let #merged = (#(#from,)*); #save #merged })
    }
}
