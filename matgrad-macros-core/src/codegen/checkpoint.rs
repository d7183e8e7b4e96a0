//! Checkpointed loops (`#[grad(checkpoint)]`): the forward sweep runs the loop keeping only
//! the carried variables at the start of every stretch of ⌈√T⌉ iterations; the reverse sweep
//! takes the stretches last to first, runs each again from its saved state keeping its tape,
//! and replays that tape backwards. Memory is O(√T) states and tape entries instead of O(T)
//! tape entries, for one more forward evaluation of the loop body. The iterations compute
//! the same values both times, so the derivative is that of the loop without checkpoints
//! (summed in another order: the deferred products of a stretch are applied at its end).

use super::Gen;
use crate::ir::{Loop, ValueId};
use crate::names::Names as Fresh;
use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::Ident;

/// The locals of one checkpointed loop.
pub(crate) struct Names {
    /// Iterations per stretch.
    stride: Ident,
    /// The iteration's index in the forward sweep.
    index: Ident,
    /// The stretch the reverse sweep replays, and its first and past-the-end iterations.
    stretch: Ident,
    start: Ident,
    end: Ident,
}

impl Names {
    pub(crate) fn new(names: &mut Fresh, at: Span) -> Names {
        Names {
            stride: names.fresh("__stride", at),
            index: names.fresh("__index", at),
            stretch: names.fresh("__stretch", at),
            start: names.fresh("__start", at),
            end: names.fresh("__end", at),
        }
    }
}

/// The parts of a loop's reverse sweep that a checkpointed loop runs once per stretch: the
/// deferred products' lists, the backward replay of a tape over the given iterations, and the
/// deferred products applied.
pub(crate) struct Sweep<'a> {
    pub lists: TokenStream,
    pub backward: &'a dyn Fn(TokenStream) -> TokenStream,
    pub applied: TokenStream,
}

impl Gen<'_> {
    /// The forward sweep of a checkpointed loop: the loop's tape binding holds the carried
    /// variables at the start of each stretch; `body` is the iteration's forward code.
    pub(super) fn checkpointed_forward(
        &self,
        l: &Loop,
        names: &Names,
        body: &TokenStream,
    ) -> TokenStream {
        let Names { stride, index, .. } = names;
        let iters = &self.body.values[l.iters].name;
        let tape = &self.body.values[l.tape].name;
        let (iter, pat, attrs) = (self.source_expr(l.iter), &l.pat, &l.attrs);
        let state = self.carried_state(l);
        // Nothing is saved, so the next values move into the carried bindings.
        let (update, _) = self.carried_update(l, &[]);
        let stride_of = self.rt(crate::ops::helpers::CHECKPOINT_STRIDE, l.span);
        quote_spanned! {l.span=>
            let #iters: ::std::vec::Vec<_> =
                ::core::iter::Iterator::collect(::core::iter::IntoIterator::into_iter(#iter));
            let #stride = #stride_of(#iters.len());
            let mut #tape = ::std::vec::Vec::with_capacity(#iters.len().div_ceil(#stride));
            #(#attrs)*
            for (#index, #pat) in ::core::iter::Iterator::enumerate(
                ::core::iter::Iterator::cloned(#iters.iter()),
            ) {
                if #index % #stride == 0 {
                    #tape.push(#state);
                }
                #body
                #update
            }
        }
    }

    /// The reverse sweep of a checkpointed loop, stretch by stretch from the last: the
    /// carried variables restored from the stretch's saved state, the stretch's iterations
    /// run again keeping their tape (under the tape's own name, shadowing the saved states),
    /// then that tape replayed backwards.
    pub(super) fn checkpointed_reverse(
        &self,
        l: &Loop,
        names: &Names,
        iters: &TokenStream,
        states: &TokenStream,
        sweep: Sweep<'_>,
    ) -> TokenStream {
        let Names {
            stride,
            stretch,
            start,
            end,
            ..
        } = names;
        let tape = &self.body.values[l.tape].name;
        let (pat, attrs) = (&l.pat, &l.attrs);
        let carried = self.carried_names(l);
        let body = without_early_returns(self.forward(&l.body));
        let saved = self.saved(&l.body, l.carried.iter().map(|c| c.phi), &l.pat_values);
        let (update, olds) = self.carried_update(l, &saved);
        let items = self.tape_items(&saved, &olds);
        let stride_of = self.rt(crate::ops::helpers::CHECKPOINT_STRIDE, l.span);
        let Sweep {
            lists,
            backward,
            applied,
        } = sweep;
        let backward = backward(quote!((#iters)[#start..#end].iter()));
        quote_spanned! {l.span=>
            let #stride = #stride_of((#iters).len());
            for #stretch in (0..(#states).len()).rev() {
                let #start = #stretch * #stride;
                let #end = ::core::cmp::Ord::min(#start + #stride, (#iters).len());
                #[allow(unused_mut)]
                let (#(mut #carried,)*) = ::core::clone::Clone::clone(&(#states)[#stretch]);
                let mut #tape = ::std::vec::Vec::with_capacity(#end - #start);
                #(#attrs)*
                for #pat in ::core::iter::Iterator::cloned((#iters)[#start..#end].iter()) {
                    #body
                    #update
                    #tape.push((#(#items,)*));
                }
                #lists
                #backward
                #applied
            }
        }
    }

    /// The carried variables' bindings, in order.
    fn carried_names(&self, l: &Loop) -> Vec<&Ident> {
        l.carried
            .iter()
            .map(|c| &self.body.values[c.phi].name)
            .collect()
    }

    /// A copy of the carried variables, as a tuple.
    fn carried_state(&self, l: &Loop) -> TokenStream {
        let names = self.carried_names(l);
        quote!((#(::core::clone::Clone::clone(&#names),)*))
    }

    /// The tape's entry of one iteration: each saved value, or the carried value it replaced.
    pub(super) fn tape_items(
        &self,
        saved: &[ValueId],
        olds: &[(ValueId, Ident)],
    ) -> Vec<TokenStream> {
        saved
            .iter()
            .map(|&id| match olds.iter().find(|o| o.0 == id) {
                Some((_, old)) => quote!(#old),
                None => {
                    let n = self.rev_name(id);
                    quote!(#n)
                }
            })
            .collect()
    }
}

/// `tokens` with each `?` as `.into_iter().next().expect(..)`: a checkpointed loop's replay
/// runs in the reverse sweep (a pullback closure's body), where `?` cannot leave the
/// function, and its first run, which computed the same values, did not leave. (A `?` inside
/// a closure the user wrote in the loop becomes a panic too, reached only where the first run
/// took that closure's early return.)
fn without_early_returns(tokens: TokenStream) -> TokenStream {
    tokens
        .into_iter()
        .map(|tt| match tt {
            TokenTree::Punct(p) if p.as_char() == '?' => {
                let at = p.span();
                quote_spanned!(at=> .into_iter().next().expect(
                    "matgrad: a checkpointed loop's replay failed where its first run succeeded"
                ))
            }
            TokenTree::Group(g) => {
                let mut inner = Group::new(g.delimiter(), without_early_returns(g.stream()));
                inner.set_span(g.span());
                TokenStream::from(TokenTree::Group(inner))
            }
            other => TokenStream::from(other),
        })
        .collect()
}
