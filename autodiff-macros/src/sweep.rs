//! The generated code proper: the forward sweep (the user's computation, keeping what the
//! reverse sweep needs) and the reverse sweep (pullback calls in reverse order, accumulating
//! adjoints), for straight-line code, `for` loops (a tape of saved values per iteration,
//! replayed backwards) and branches (the taken arm's saved values).

use crate::ir::{Body, Kind, Step, ValueId};
use crate::names::Names;
use crate::ops::Op;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use std::collections::{HashMap, HashSet};
use syn::Ident;

/// Where the adjoint of the output comes from.
pub enum Seed {
    /// One: the output is a scalar (`__private::seed`).
    One,
    /// A cotangent given by the caller, an expression of type `&Y`.
    Given(TokenStream),
}

/// The forward and reverse sweeps of one body.
pub struct Sweeps {
    pub forward: TokenStream,
    /// Declares the adjoint slots, seeds the output's and runs the reverse sweep.
    pub reverse: TokenStream,
    /// Whether the reverse sweep reads the output value.
    pub output_needed: bool,
    /// The adjoint slot of each active value, by value id.
    pub slots: Vec<Option<Ident>>,
}

/// Plans and generates both sweeps of `body`.
pub fn sweeps(body: &Body, names: &mut Names, seed: Seed) -> Sweeps {
    let mut plan = Plan::new(body, names);
    // Seeded with one, the sweeps run in one function body (`_grad`) that owns every value:
    // the reverse sweep may move a value into its last reader. (A pullback closure only
    // borrows what it captured: it can be called again.)
    if matches!(seed, Seed::One) {
        plan.consumed = consumed_by_reverse(body, &plan.witness);
    }
    let forward = plan.forward(&body.steps);
    let mut reverse = TokenStream::new();
    let top: Vec<ValueId> = body
        .values
        .iter()
        .enumerate()
        .filter(|(_, v)| matches!(v.kind, Kind::Param { .. }))
        .map(|(id, _)| id)
        .chain(defined_at(body, &body.steps))
        .collect();
    let ref_bound = vec![false; body.values.len()];
    reverse.extend(plan.recompute(&top, &ref_bound));
    for &id in &top {
        if let Some(slot) = &plan.slot[id] {
            let init = if Some(id) == body.output {
                match &seed {
                    Seed::One => {
                        let r = plan.reference(id, &ref_bound);
                        quote!(::autodiff::__private::seed(#r))
                    }
                    Seed::Given(g) => {
                        quote!(::core::option::Option::Some(::core::clone::Clone::clone(#g)))
                    }
                }
            } else if matches!(body.values[id].kind, Kind::Param { .. })
                || plan.needed[plan.witness[id]]
            {
                let w = plan.reference(plan.witness[id], &ref_bound);
                quote!(::autodiff::__private::slot(#w))
            } else {
                // Typed by the first pullback that fills it; the value itself may have been
                // consumed by the forward sweep.
                quote!(::core::option::Option::None)
            };
            reverse.extend(quote!(let mut #slot = #init;));
        }
    }
    reverse.extend(plan.reverse(&body.steps, &ref_bound));
    let output_needed = body.output.is_some_and(|o| plan.needed[o]);
    Sweeps {
        forward,
        reverse,
        output_needed,
        slots: plan.slot,
    }
}

/// The values a step list defines at its own level (not inside nested regions' bodies).
fn defined_at(body: &Body, steps: &[Step]) -> Vec<ValueId> {
    let mut out = Vec::new();
    for s in steps {
        match s {
            Step::Value(id) => {
                out.push(*id);
                if let Kind::Call { pullback, .. } = &body.values[*id].kind {
                    out.push(*pullback);
                }
            }
            Step::Effect { bound, .. } => out.extend(bound),
            Step::Loop(l) => {
                out.push(l.iters);
                out.push(l.tape);
                out.extend(l.carried.iter().map(|c| c.out));
            }
            Step::Branch(b) => {
                out.extend(b.arms.iter().map(|a| a.save));
                out.extend(&b.merged);
            }
        }
    }
    out
}

/// Which values the forward sweep may move into the one operation that reads them.
fn consumable(body: &Body, needed: &[bool]) -> Vec<bool> {
    let n = body.values.len();
    let mut uses = vec![0usize; n];
    let mut pinned = vec![false; n];
    let mut region = vec![usize::MAX; n];
    let mut regions = 0;
    // Names read by kept statements (`println!`, ...) are pinned.
    let mut effect_names = std::collections::HashSet::new();
    fn idents(t: TokenStream, out: &mut std::collections::HashSet<String>) {
        for tt in t {
            match tt {
                proc_macro2::TokenTree::Ident(i) => {
                    out.insert(i.to_string());
                }
                proc_macro2::TokenTree::Group(g) => idents(g.stream(), out),
                _ => {}
            }
        }
    }
    #[allow(clippy::too_many_arguments)]
    fn walk(
        body: &Body,
        steps: &[Step],
        here: usize,
        regions: &mut usize,
        region: &mut [usize],
        uses: &mut [usize],
        pinned: &mut [bool],
        effect_names: &mut std::collections::HashSet<String>,
    ) {
        for id in defined_at(body, steps) {
            region[id] = here;
        }
        let read = |i: ValueId, region: &[usize], uses: &mut [usize], pinned: &mut [bool]| {
            uses[i] += 1;
            if region[i] != here {
                pinned[i] = true;
            }
        };
        for step in steps {
            match step {
                Step::Value(id) => match &body.values[*id].kind {
                    Kind::Op { inputs, extra, .. } => {
                        for &i in inputs {
                            read(i, region, uses, pinned);
                        }
                        if let Some(e) = extra {
                            pinned[*e] = true;
                        }
                    }
                    Kind::Map { input, scalar, .. } => {
                        read(*input, region, uses, pinned);
                        for &c in &scalar.captures {
                            pinned[c] = true;
                        }
                    }
                    Kind::Call { args, .. } => args.iter().for_each(|a| pinned[a.0] = true),
                    Kind::Const { deps, .. } => deps.iter().for_each(|&d| pinned[d] = true),
                    _ => {}
                },
                Step::Effect { tokens, .. } => idents(tokens.clone(), effect_names),
                Step::Loop(l) => {
                    l.iter_deps.iter().for_each(|&d| pinned[d] = true);
                    *regions += 1;
                    let inner = *regions;
                    for c in &l.carried {
                        pinned[c.init] = true;
                        pinned[c.next] = true;
                        region[c.phi] = inner;
                        pinned[c.phi] = true;
                    }
                    for &p in &l.pat_values {
                        region[p] = inner;
                    }
                    walk(
                        body,
                        &l.body,
                        inner,
                        regions,
                        region,
                        uses,
                        pinned,
                        effect_names,
                    );
                }
                Step::Branch(b) => {
                    pinned[b.cond] = true;
                    for a in &b.arms {
                        a.from.iter().for_each(|&f| pinned[f] = true);
                        *regions += 1;
                        let inner = *regions;
                        walk(
                            body,
                            &a.body,
                            inner,
                            regions,
                            region,
                            uses,
                            pinned,
                            effect_names,
                        );
                    }
                }
            }
        }
    }
    walk(
        body,
        &body.steps,
        0,
        &mut regions,
        &mut region,
        &mut uses,
        &mut pinned,
        &mut effect_names,
    );
    (0..n)
        .map(|id| {
            let v = &body.values[id];
            uses[id] == 1
                && !pinned[id]
                && !needed[id]
                && Some(id) != body.output
                && !v.mutable
                && !effect_names.contains(&v.name.to_string())
                && matches!(v.kind, Kind::Op { .. } | Kind::Map { .. })
        })
        .collect()
}

/// Which values the reverse sweep may move into their last reader: temporaries of the top
/// level whose only reader in the reverse sweep is a pullback that can reuse their buffer
/// (`‖r‖²`'s `r̄ = 2ḡ·r`, written over `r`).
fn consumed_by_reverse(body: &Body, witness: &[ValueId]) -> Vec<bool> {
    let n = body.values.len();
    // How often the reverse sweep reads each value (the reads `Plan::new` marks `needed`).
    let mut reads = vec![0usize; n];
    let mut pinned = vec![false; n];
    for id in (0..n).filter(|&id| body.active(id)) {
        match &body.values[id].kind {
            Kind::Op { op, .. } if op.passes_through() => {}
            Kind::Op { inputs, extra, .. } => {
                inputs.iter().for_each(|&i| reads[i] += 1);
                extra.iter().for_each(|&e| pinned[e] = true);
                if inputs.len() == 1 {
                    reads[id] += 1;
                }
            }
            Kind::Map { input, scalar, .. } => {
                reads[*input] += 1;
                reads[id] += 1;
                scalar.captures.iter().for_each(|&c| pinned[c] = true);
            }
            Kind::Call { pullback, args, .. } => {
                pinned[*pullback] = true;
                args.iter().for_each(|a| pinned[a.0] = true);
            }
            Kind::Const { deps, .. } => deps.iter().for_each(|&d| pinned[d] = true),
            _ => {}
        }
    }
    for l in body.loops() {
        l.iter_deps.iter().for_each(|&d| pinned[d] = true);
        l.carried.iter().for_each(|c| pinned[c.init] = true);
    }
    for b in body.branches() {
        pinned[b.cond] = true;
        b.arms
            .iter()
            .flat_map(|a| &a.from)
            .for_each(|&f| pinned[f] = true);
    }
    for (id, &w) in witness.iter().enumerate() {
        if w != id {
            pinned[w] = true;
        }
    }
    let mut consumed = vec![false; n];
    for step in &body.steps {
        let Step::Value(id) = step else { continue };
        let Kind::Op { op, inputs, .. } = &body.values[*id].kind else {
            continue;
        };
        if let ([x], true) = (inputs.as_slice(), op.consuming_pullback()) {
            let v = &body.values[*x];
            consumed[*x] = body.active(*id)
                && body.active(*x)
                && reads[*x] == 1
                && !pinned[*x]
                && Some(*x) != body.output
                && !v.mutable
                && matches!(v.kind, Kind::Op { .. } | Kind::Map { .. });
        }
    }
    consumed
}

/// What the reverse sweep needs: adjoint slots, values to keep, slot type witnesses.
struct Plan<'a> {
    body: &'a Body,
    /// The adjoint slot of each active value.
    slot: Vec<Option<Ident>>,
    /// Whether the reverse sweep reads the value.
    needed: Vec<bool>,
    /// A value of the same type whose reference declares the slot (`slot(&witness)`).
    witness: Vec<ValueId>,
    /// Temporaries read once, by an operation of their own region, and not by the reverse
    /// sweep: that operation may take them by value and compute in their buffer.
    consumable: Vec<bool>,
    /// Values the reverse sweep moves into their last reader (`consumed_by_reverse`).
    consumed: Vec<bool>,
    /// Per loop (by its tape's id), the names of its carried adjoints and of the carried
    /// values an iteration replaces.
    loop_names: HashMap<ValueId, (Vec<Ident>, Vec<Ident>)>,
    /// Products `a·v` in a loop body with `a` from outside the loop: their left pullbacks
    /// are collected over the iterations (by the product's id: the list's name) and applied
    /// after the loop as one matrix product (`mul_pullback_lhs_all`).
    deferred: HashMap<ValueId, Ident>,
    /// The values some loop's iterations define.
    in_loops: HashSet<ValueId>,
}

/// Every value a step list defines, in nested regions too, with the loops' carried and
/// pattern values.
fn defined_within(body: &Body, steps: &[Step], out: &mut HashSet<ValueId>) {
    out.extend(defined_at(body, steps));
    for step in steps {
        match step {
            Step::Loop(l) => defined_in_loop(body, l, out),
            Step::Branch(b) => {
                for a in &b.arms {
                    defined_within(body, &a.body, out);
                }
            }
            _ => {}
        }
    }
}

/// Every value a loop's iterations define: its body's, its carried and its pattern values.
fn defined_in_loop(body: &Body, l: &crate::ir::Loop, out: &mut HashSet<ValueId>) {
    out.extend(l.carried.iter().map(|c| c.phi));
    out.extend(&l.pat_values);
    defined_within(body, &l.body, out);
}

/// The products of each loop body whose left pullback can wait for the end of the loop: `a·v`
/// with `a` defined outside the loop, directly in the loop's body, both differentiated.
fn deferred_products(body: &Body, names: &mut Names) -> HashMap<ValueId, Ident> {
    let mut deferred = HashMap::new();
    for l in body.loops() {
        let mut inside = HashSet::new();
        defined_in_loop(body, l, &mut inside);
        for step in &l.body {
            let Step::Value(id) = step else { continue };
            if let Kind::Op {
                op: Op::Mul,
                inputs,
                ..
            } = &body.values[*id].kind
            {
                let (a, v) = (inputs[0], inputs[1]);
                if body.active(*id) && body.active(a) && a != v && !inside.contains(&a) {
                    deferred.insert(*id, names.fresh("__deferred", body.values[*id].span));
                }
            }
        }
    }
    deferred
}

impl<'a> Plan<'a> {
    fn new(body: &'a Body, names: &mut Names) -> Self {
        let n = body.values.len();
        let mut witness: Vec<ValueId> = (0..n).collect();
        // A carried variable's next value is typed like its phi, so it need not be kept.
        for l in body.loops() {
            let inside: HashSet<ValueId> = defined_at(body, &l.body).into_iter().collect();
            for c in &l.carried {
                if inside.contains(&c.next)
                    && l.carried.iter().filter(|d| d.next == c.next).count() == 1
                {
                    witness[c.next] = c.phi;
                }
            }
        }
        let mut needed = vec![false; n];
        for id in 0..n {
            if !body.active(id) {
                continue;
            }
            // (At the top level the witness is always at hand; in a loop or branch it is used
            // only if kept anyway: see `declare_slots`.)
            match &body.values[id].kind {
                // `+`, `-` and unary `-` only pass their cotangent through.
                Kind::Op { op, .. } if op.passes_through() => {}
                Kind::Op { inputs, extra, .. } => {
                    for &i in inputs {
                        needed[i] = true;
                    }
                    if let Some(e) = extra {
                        needed[*e] = true;
                    }
                    if inputs.len() == 1 {
                        needed[id] = true;
                    }
                }
                Kind::Map { input, scalar, .. } => {
                    needed[*input] = true;
                    needed[id] = true;
                    for &c in &scalar.captures {
                        needed[c] = true;
                    }
                }
                Kind::Call { pullback, args, .. } => {
                    needed[*pullback] = true;
                    for a in args {
                        needed[a.0] = true;
                    }
                }
                _ => {}
            }
        }
        for l in body.loops() {
            if l.carried
                .iter()
                .any(|c| body.active(c.out) || body.active(c.phi))
            {
                needed[l.iters] = true;
                needed[l.tape] = true;
            }
        }
        for b in body.branches() {
            if b.merged.iter().any(|&m| body.active(m)) {
                needed[b.cond] = true;
                for a in &b.arms {
                    needed[a.save] = true;
                }
            }
        }
        // Borrowed constants and loop ranges are evaluated again in the reverse sweep: what
        // they read is needed instead.
        loop {
            let mut changed = false;
            for id in 0..n {
                if let (
                    true,
                    Kind::Const {
                        by_ref: true, deps, ..
                    },
                ) = (needed[id], &body.values[id].kind)
                {
                    for &d in deps {
                        changed |= !needed[d];
                        needed[d] = true;
                    }
                }
            }
            for l in body.loops() {
                if needed[l.iters] {
                    for &d in &l.iter_deps {
                        changed |= !needed[d];
                        needed[d] = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        let slot = (0..n)
            .map(|id| {
                body.active(id).then(|| {
                    let v = &body.values[id];
                    names.fresh(&format!("{}_bar", v.name), v.span)
                })
            })
            .collect();
        let loop_names = body
            .loops()
            .iter()
            .map(|l| {
                let carries = l
                    .carried
                    .iter()
                    .map(|_| names.fresh("__carry", l.span))
                    .collect();
                let olds = l
                    .carried
                    .iter()
                    .map(|_| names.fresh("__old", l.span))
                    .collect();
                (l.tape, (carries, olds))
            })
            .collect();
        let consumable = consumable(body, &needed);
        let deferred = deferred_products(body, names);
        let mut in_loops = HashSet::new();
        for l in body.loops() {
            defined_in_loop(body, l, &mut in_loops);
        }
        Plan {
            body,
            consumable,
            consumed: vec![false; n],
            deferred,
            in_loops,
            slot,
            needed,
            witness,
            loop_names,
        }
    }

    /// The right operand of a deferred product, as kept until the end of the loop: a
    /// reference where the value outlives the iteration (kept on the tape, or from outside
    /// the loop), else a copy of the binding (`keep` keeps a reference as a reference).
    fn deferred_operand(&self, v: ValueId, ref_bound: &[bool]) -> TokenStream {
        let value = &self.body.values[v];
        let from_tape = ref_bound[v] && !matches!(value.kind, Kind::Bound { .. });
        if from_tape || self.outside_loops(v) {
            let r = self.reference(v, ref_bound);
            quote!(::autodiff::__private::keep(#r))
        } else {
            // A copy of the binding: of a reference (`for x in xs.iter()`), the reference.
            let r = self.reference(v, ref_bound);
            quote!(::autodiff::__private::keep(::core::clone::Clone::clone(#r)))
        }
    }

    /// Whether the value is defined outside every loop.
    fn outside_loops(&self, v: ValueId) -> bool {
        !self.in_loops.contains(&v)
    }

    fn reference(&self, id: ValueId, ref_bound: &[bool]) -> TokenStream {
        self.body
            .reference_in(id, self.body.values[id].span, ref_bound)
    }

    fn reference_at(&self, id: ValueId, at: Span, ref_bound: &[bool]) -> TokenStream {
        self.body.reference_in(id, at, ref_bound)
    }

    /// A reference to an operation's input: a pattern-bound value may itself be a reference
    /// (`for x in xs.iter()`), so it goes through `as_value`.
    fn input_ref(&self, id: ValueId, at: Span, ref_bound: &[bool]) -> TokenStream {
        let r = self.reference_at(id, at, ref_bound);
        match self.body.values[id].kind {
            Kind::Bound { by_ref: false } => {
                quote_spanned!(at=> ::autodiff::__private::as_value(#r))
            }
            _ => r,
        }
    }

    /// An owned copy of the value: `Clone::clone(&v)`.
    fn cloned(&self, id: ValueId, ref_bound: &[bool]) -> TokenStream {
        let r = self.reference(id, ref_bound);
        quote!(::core::clone::Clone::clone(#r))
    }

    // ------------------------------------------------------------------ forward

    fn forward(&self, steps: &[Step]) -> TokenStream {
        let none = vec![false; self.body.values.len()];
        let mut out = TokenStream::new();
        for step in steps {
            match step {
                Step::Effect { tokens, .. } => out.extend(tokens.clone()),
                Step::Value(id) => out.extend(self.forward_value(*id, &none)),
                Step::Loop(l) => {
                    let iters = &self.body.values[l.iters].name;
                    let tape = &self.body.values[l.tape].name;
                    let iter = &l.iter;
                    let pat = &l.pat;
                    let active = self.needed[l.tape];
                    out.extend(quote_spanned! {l.span=>
                        let #iters: ::std::vec::Vec<_> =
                            ::core::iter::Iterator::collect(::core::iter::IntoIterator::into_iter(#iter));
                    });
                    if active {
                        out.extend(
                            quote!(let mut #tape = ::std::vec::Vec::with_capacity(#iters.len());),
                        );
                    }
                    for c in &l.carried {
                        let name = &self.body.values[c.phi].name;
                        let init = self.cloned(c.init, &none);
                        out.extend(quote!(let mut #name = #init;));
                    }
                    let body = self.forward(&l.body);
                    let inside: HashSet<ValueId> =
                        defined_at(self.body, &l.body).into_iter().collect();
                    let saved = self.saved(&l.body, l.carried.iter().map(|c| c.phi), &l.pat_values);
                    let mut moved = HashSet::new();
                    let mut update = TokenStream::new();
                    let mut olds = Vec::new();
                    for (k, c) in l.carried.iter().enumerate() {
                        if c.next == c.phi {
                            continue;
                        }
                        let name = &self.body.values[c.phi].name;
                        let value = if inside.contains(&c.next)
                            && self.body.values[c.next].kind.is_owned_binding()
                            && !saved.contains(&c.next)
                            && moved.insert(c.next)
                        {
                            let n = &self.body.values[c.next].name;
                            quote!(#n)
                        } else {
                            self.cloned(c.next, &none)
                        };
                        if saved.contains(&c.phi) {
                            let old = self.loop_names[&l.tape].1[k].clone();
                            update.extend(
                                quote!(let #old = ::core::mem::replace(&mut #name, #value);),
                            );
                            olds.push((c.phi, old));
                        } else {
                            update.extend(quote!(#name = #value;));
                        }
                    }
                    let push = if active {
                        let items = saved
                            .iter()
                            .map(|&id| match olds.iter().find(|o| o.0 == id) {
                                Some((_, old)) => quote!(#old),
                                None => {
                                    let n = &self.body.values[id].name;
                                    quote!(#n)
                                }
                            });
                        quote!(#tape.push((#(#items,)*));)
                    } else {
                        quote!()
                    };
                    out.extend(quote! {
                        for #pat in ::core::iter::Iterator::cloned(#iters.iter()) {
                            #body
                            #update
                            #push
                        }
                    });
                }
                Step::Branch(b) => {
                    let active = self.needed[b.arms[0].save];
                    if active {
                        for a in &b.arms {
                            let save = &self.body.values[a.save].name;
                            out.extend(quote!(let mut #save = ::core::option::Option::None;));
                        }
                    }
                    let mut arms = Vec::new();
                    for a in &b.arms {
                        let body = self.forward(&a.body);
                        let inside: HashSet<ValueId> =
                            defined_at(self.body, &a.body).into_iter().collect();
                        let saved = self.saved(&a.body, std::iter::empty(), &[]);
                        let mut moved = HashSet::new();
                        let from = a.from.iter().map(|&f| {
                            if inside.contains(&f)
                                && self.body.values[f].kind.is_owned_binding()
                                && !saved.contains(&f)
                                && moved.insert(f)
                            {
                                let n = &self.body.values[f].name;
                                quote!(#n)
                            } else {
                                self.cloned(f, &none)
                            }
                        });
                        let save = if active {
                            let s = &self.body.values[a.save].name;
                            let items = saved.iter().map(|&id| &self.body.values[id].name);
                            quote!(#s = ::core::option::Option::Some((#(#items,)*));)
                        } else {
                            quote!()
                        };
                        let merged_tmp = Ident::new("__merged", Span::mixed_site());
                        arms.push(
                            quote!({ #body let #merged_tmp = (#(#from,)*); #save #merged_tmp }),
                        );
                    }
                    let cond = self.cloned(b.cond, &none);
                    let merged = b.merged.iter().map(|&m| {
                        let v = &self.body.values[m];
                        let (name, mutability) = (&v.name, v.mutable.then(|| quote!(mut)));
                        quote!(#mutability #name)
                    });
                    let (then_arm, else_arm) = (&arms[0], &arms[1]);
                    out.extend(quote_spanned! {b.span=>
                                                let (#(#merged,)*) = if #cond #then_arm else #else_arm;
                    });
                }
            }
        }
        out
    }

    /// The saved values of a region body: those it defines (and its carried `phis`) that
    /// the reverse sweep reads, minus the loop pattern's values (bound again in reverse).
    fn saved(
        &self,
        steps: &[Step],
        phis: impl Iterator<Item = ValueId>,
        pat: &[ValueId],
    ) -> Vec<ValueId> {
        let iters: HashSet<ValueId> = self.body.loops().iter().map(|l| l.iters).collect();
        let mut ids: Vec<ValueId> = defined_at(self.body, steps);
        ids.extend(phis);
        ids.into_iter()
            .filter(|id| {
                self.needed[*id]
                    && !pat.contains(id)
                    && !iters.contains(id)
                    && !self.recomputed(*id)
            })
            .collect()
    }

    /// Whether the reverse sweep evaluates the value again instead of keeping it.
    fn recomputed(&self, id: ValueId) -> bool {
        matches!(self.body.values[id].kind, Kind::Const { by_ref: true, .. })
    }

    /// Evaluates again the borrowed constants among `ids` that the reverse sweep reads.
    fn recompute(&self, ids: &[ValueId], ref_bound: &[bool]) -> TokenStream {
        ids.iter()
            .filter(|&&id| self.needed[id] && self.recomputed(id))
            .map(|&id| self.forward_value(id, ref_bound))
            .collect()
    }

    fn forward_value(&self, id: ValueId, ref_bound: &[bool]) -> TokenStream {
        let v = &self.body.values[id];
        let name = &v.name;
        let ty = v.ty.as_ref().map(|t| quote!(: #t));
        let span = v.span;
        match &v.kind {
            Kind::Const { expr, by_ref, .. } => {
                let amp = by_ref.then(|| quote!(&));
                let mutability = v.mutable.then(|| quote!(mut));
                quote_spanned!(span=> let #mutability #name #ty = #amp #expr;)
            }
            Kind::Op { op, inputs, extra } => {
                // A temporary read only here is handed over: the result reuses its buffer
                // (the left operand's, or else the right one's).
                let consume = if op.owned_forward() && self.consumable[inputs[0]] {
                    Some((0, "_owned"))
                } else if inputs.len() == 2
                    && inputs[0] != inputs[1]
                    && op.owned_forward_rhs()
                    && self.consumable[inputs[1]]
                {
                    Some((1, "_owned_rhs"))
                } else {
                    None
                };
                let f = match consume {
                    Some((_, suffix)) => format_ident!("{}{}", op.name(), suffix, span = span),
                    None => Ident::new(op.name(), span),
                };
                let args = inputs.iter().enumerate().map(|(k, &i)| {
                    if consume.is_some_and(|(c, _)| c == k) {
                        let n = &self.body.values[i].name;
                        quote!(#n)
                    } else {
                        self.input_ref(i, span, ref_bound)
                    }
                });
                let extra = extra.map(|e| {
                    let c = self.cloned(e, ref_bound);
                    quote!(, #c)
                });
                quote_spanned!(span=> let #name #ty = ::autodiff::__private::#f(#(#args),* #extra);)
            }
            Kind::Map { input, closure, .. } => {
                if self.consumable[*input] {
                    let x = &self.body.values[*input].name;
                    quote_spanned!(span=> let #name #ty = ::autodiff::__private::map_owned(#x, #closure);)
                } else {
                    let x = self.reference_at(*input, span, ref_bound);
                    quote_spanned!(span=> let #name #ty = ::autodiff::__private::map(#x, #closure);)
                }
            }
            Kind::Call {
                callee,
                args,
                pullback,
                ..
            } => {
                let pb = &self.body.values[*pullback].name;
                let args = args.iter().map(|&(a, by_ref)| {
                    let r = self.reference_at(a, span, ref_bound);
                    if by_ref {
                        r
                    } else {
                        quote_spanned!(span=> ::core::clone::Clone::clone(#r))
                    }
                });
                quote_spanned!(span=> let (#name, #pb) = #callee(#(#args),*);)
            }
            Kind::Param { .. } | Kind::Bound { .. } | Kind::Carried | Kind::Merged => quote!(),
        }
    }

    // ------------------------------------------------------------------ reverse

    fn slot(&self, id: ValueId) -> Option<&Ident> {
        self.slot[id].as_ref()
    }

    /// Declares the slots of the active values a region defines.
    fn declare_slots(&self, ids: &[ValueId], ref_bound: &[bool]) -> TokenStream {
        let mut out = TokenStream::new();
        for &id in ids {
            if let Some(slot) = self.slot(id) {
                // A kept value of the same type fixes the slot's type; otherwise the first
                // pullback that fills the slot does, and nothing is kept just for that.
                let init = if self.needed[self.witness[id]] {
                    let w = self.reference(self.witness[id], ref_bound);
                    quote!(::autodiff::__private::slot(#w))
                } else {
                    quote!(::core::option::Option::None)
                };
                out.extend(quote!(let mut #slot = #init;));
            }
        }
        out
    }

    /// `to += from` (moving `from` out), for two slots.
    fn merge(&self, to: ValueId, from: TokenStream) -> TokenStream {
        match self.slot(to) {
            Some(t) => quote!(::autodiff::__private::merge(&mut #t, #from);),
            None => quote!(let _ = #from;),
        }
    }

    fn reverse(&self, steps: &[Step], ref_bound: &[bool]) -> TokenStream {
        let mut out = TokenStream::new();
        for step in steps.iter().rev() {
            match step {
                Step::Effect { .. } => {}
                Step::Value(id) => out.extend(self.reverse_value(*id, ref_bound)),
                Step::Loop(l) => {
                    if !self.needed[l.tape] {
                        continue;
                    }
                    let iters = self.reference(l.iters, ref_bound);
                    let iters_name = &self.body.values[l.iters].name;
                    let iter = &l.iter;
                    let tape = self.reference(l.tape, ref_bound);
                    let pat = &l.pat;
                    let carries: Vec<Ident> = self.loop_names[&l.tape].0.clone();
                    for (c, carry) in l.carried.iter().zip(&carries) {
                        let init = match self.slot(c.out) {
                            Some(s) => quote!(::core::option::Option::take(&mut #s)),
                            None => quote!(::core::option::Option::None),
                        };
                        out.extend(quote!(let mut #carry = #init;));
                    }
                    let saved = self.saved(&l.body, l.carried.iter().map(|c| c.phi), &l.pat_values);
                    let mut inner_bound = ref_bound.to_vec();
                    for &s in &saved {
                        inner_bound[s] = true;
                    }
                    let names = saved.iter().map(|&s| &self.body.values[s].name);
                    let saved_tuple = Ident::new("__saved", Span::mixed_site());
                    let mut ids: Vec<ValueId> = l.carried.iter().map(|c| c.phi).collect();
                    ids.extend(defined_at(self.body, &l.body));
                    let recompute = self.recompute(&ids, &inner_bound);
                    let slots = self.declare_slots(&ids, &inner_bound);
                    let mut enter = TokenStream::new();
                    let mut leave = TokenStream::new();
                    for (c, carry) in l.carried.iter().zip(&carries) {
                        enter.extend(
                            self.merge(c.next, quote!(::core::option::Option::take(&mut #carry))),
                        );
                        match self.slot(c.phi) {
                            Some(s) => leave
                                .extend(quote!(#carry = ::core::option::Option::take(&mut #s);)),
                            None => leave.extend(quote!(#carry = ::core::option::Option::None;)),
                        }
                    }
                    let body = self.reverse(&l.body, &inner_bound);
                    let mut after = TokenStream::new();
                    for (c, carry) in l.carried.iter().zip(&carries) {
                        after.extend(self.merge(c.init, quote!(#carry)));
                    }
                    // The deferred left pullbacks of this body's products, applied at once.
                    let mut lists = TokenStream::new();
                    for step in &l.body {
                        let Step::Value(id) = step else { continue };
                        let (Some(list), Kind::Op { inputs, .. }) =
                            (self.deferred.get(id), &self.body.values[*id].kind)
                        else {
                            continue;
                        };
                        let a = self.reference(inputs[0], ref_bound);
                        let Some(d_a) = self.slot(inputs[0]) else {
                            continue;
                        };
                        lists.extend(
                            quote!(let mut #list = ::std::vec::Vec::with_capacity((#tape).len());),
                        );
                        after.extend(quote!(::autodiff::__private::mul_pullback_lhs_all(&#list, #a, &mut #d_a);));
                    }
                    out.extend(lists);
                    out.extend(quote_spanned! {l.span=>
                        let #iters_name: ::std::vec::Vec<_> =
                            ::core::iter::Iterator::collect(::core::iter::IntoIterator::into_iter(#iter));
                        for (#pat, #saved_tuple) in ::core::iter::Iterator::rev(::core::iter::Iterator::zip(
                            ::core::iter::Iterator::cloned((#iters).iter()),
                            (#tape).iter(),
                        )) {
                            #[allow(unused_variables)]
                                                        let (#(#names,)*) = #saved_tuple;
                            #recompute
                            #slots
                            #enter
                            #body
                            #leave
                        }
                        #after
                    });
                }
                Step::Branch(b) => {
                    if !self.needed[b.arms[0].save] {
                        continue;
                    }
                    let cond = self.cloned(b.cond, ref_bound);
                    let mut arms = Vec::new();
                    for a in &b.arms {
                        let saved = self.saved(&a.body, std::iter::empty(), &[]);
                        let mut inner_bound = ref_bound.to_vec();
                        for &s in &saved {
                            inner_bound[s] = true;
                        }
                        let names = saved.iter().map(|&s| &self.body.values[s].name);
                        let save = self.reference(a.save, ref_bound);
                        let ids = defined_at(self.body, &a.body);
                        let recompute = self.recompute(&ids, &inner_bound);
                        let slots = self.declare_slots(&ids, &inner_bound);
                        let mut enter = TokenStream::new();
                        for (k, &m) in b.merged.iter().enumerate() {
                            if let Some(ms) = self.slot(m) {
                                enter.extend(self.merge(
                                    a.from[k],
                                    quote!(::core::option::Option::take(&mut #ms)),
                                ));
                            }
                        }
                        let body = self.reverse(&a.body, &inner_bound);
                        arms.push(quote! {{
                            #[allow(unused_variables)]
                                                        let (#(#names,)*) = ::autodiff::__private::saved(#save);
                            #recompute
                            #slots
                            #enter
                            #body
                        }});
                    }
                    let (then_arm, else_arm) = (&arms[0], &arms[1]);
                    out.extend(quote_spanned!(b.span=> if #cond #then_arm else #else_arm));
                }
            }
        }
        out
    }

    fn reverse_value(&self, id: ValueId, ref_bound: &[bool]) -> TokenStream {
        let Some(d) = self.slot(id) else {
            return quote!();
        };
        let v = &self.body.values[id];
        let span = v.span;
        let g = Ident::new("__g", Span::mixed_site());
        let calls = match &v.kind {
            Kind::Op { op, inputs, .. } if op.passes_through() => {
                // `slot ± ḡ` for each operand; the last one takes ḡ by value, the others copy
                // it. The buffer goes where it lives on: to a temporary that passes it on
                // again (`+`, `-`, `map`), else to a parameter (its slot is a gradient the
                // caller gets), else to any temporary (a loop's parameter slot is already
                // filled and only adds ḡ in).
                let active: Vec<usize> = (0..inputs.len())
                    .filter(|&k| self.slot(inputs[k]).is_some())
                    .collect();
                let keeps = |k: usize| match &self.body.values[inputs[k]].kind {
                    Kind::Op { op, .. } if op.passes_through() => 3,
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
                let mut calls = TokenStream::new();
                for k in order {
                    let input = inputs[k];
                    let Some(d_in) = self.slot(input) else {
                        continue;
                    };
                    let negated = *op == Op::Neg || (*op == Op::Sub && k == 1);
                    let base = if negated {
                        "pass_negated"
                    } else {
                        "pass_through"
                    };
                    let call = if Some(k) == last {
                        let f = Ident::new(base, span);
                        quote_spanned!(span=> ::autodiff::__private::#f(#g, &mut #d_in);)
                    } else {
                        let f = format_ident!("{}_ref", base, span = span);
                        quote_spanned!(span=> ::autodiff::__private::#f(&#g, &mut #d_in);)
                    };
                    calls.extend(call);
                }
                calls
            }
            Kind::Op { op, inputs, extra } => {
                let refs: Vec<TokenStream> = inputs
                    .iter()
                    .map(|&i| self.input_ref(i, span, ref_bound))
                    .collect();
                let extra = extra.map(|e| {
                    let c = self.cloned(e, ref_bound);
                    quote!(#c,)
                });
                let y = self.reference_at(id, span, ref_bound);
                let mut calls = TokenStream::new();
                // The last pullback gets the cotangent by value where the kernel can reuse it,
                // so an input whose kernel can goes last (`broadcast_mul`: the row's column
                // sum first, then the matrix's cotangent in ḡ's buffer).
                let active: Vec<usize> = (0..inputs.len())
                    .filter(|&k| self.slot(inputs[k]).is_some())
                    .collect();
                let deferred = self.deferred.get(&id);
                let owner = if deferred.is_some() {
                    Some(0)
                } else {
                    active.iter().rev().copied().find(|&k| op.owned_pullback(k))
                };
                let order = active
                    .iter()
                    .copied()
                    .filter(|&k| Some(k) != owner)
                    .chain(owner);
                for k in order {
                    let input = inputs[k];
                    let Some(d_in) = self.slot(input) else {
                        continue;
                    };
                    let owned = Some(k) == owner;
                    let (g_arg, suffix) = if owned {
                        (quote!(#g), "_owned")
                    } else {
                        (quote!(&#g), "")
                    };
                    if let (Some(list), 0) = (deferred, k) {
                        // ḡ and the right operand wait for the end of the loop (for a matrix
                        // on the left; a scalar's pullback runs now).
                        let v = self.deferred_operand(inputs[1], ref_bound);
                        let a = &refs[0];
                        calls.extend(quote_spanned!(span=> ::autodiff::__private::mul_pullback_lhs_later(&mut #list, #g, #a, #v, &mut #d_in);));
                        continue;
                    }
                    calls.extend(if inputs.len() == 1 && self.consumed[input] {
                        // The input's last reader: the pullback writes into its buffer.
                        let f = format_ident!("{}_pullback_consuming", op.name(), span = span);
                        let x = &self.body.values[input].name;
                        quote_spanned!(span=> ::autodiff::__private::#f(#g_arg, #x, #extra #y, &mut #d_in);)
                    } else if inputs.len() == 1 {
                        let f = format_ident!("{}_pullback{}", op.name(), suffix, span = span);
                        quote_spanned!(span=> ::autodiff::__private::#f(#g_arg, #(#refs,)* #extra #y, &mut #d_in);)
                    } else {
                        let side = if k == 0 { "lhs" } else { "rhs" };
                        let f = format_ident!("{}_pullback_{}{}", op.name(), side, suffix, span = span);
                        quote_spanned!(span=> ::autodiff::__private::#f(#g_arg, #(#refs),*, &mut #d_in);)
                    });
                }
                calls
            }
            Kind::Map { input, scalar, .. } => {
                let Some(d_in) = self.slot(*input) else {
                    return quote!();
                };
                let x = self.reference_at(*input, span, ref_bound);
                let y = self.reference_at(id, span, ref_bound);
                // Captured values bound by reference here are copied for the closure body.
                let mut rebind = TokenStream::new();
                for &c in &scalar.captures {
                    if ref_bound[c] {
                        let n = &self.body.values[c].name;
                        rebind.extend(quote!(let #n = ::core::clone::Clone::clone(#n);));
                    }
                }
                let param = &scalar.param;
                let g_in = Ident::new("__g_elem", Span::mixed_site());
                let inner = sweeps(
                    &scalar.body,
                    &mut Names::default(),
                    Seed::Given(quote!(&#g_in)),
                );
                let (fwd, rev) = (inner.forward, inner.reverse);
                let param_id = scalar
                    .body
                    .values
                    .iter()
                    .position(|v| matches!(v.kind, Kind::Param { .. }));
                let finish = match param_id.and_then(|p| inner.slots[p].clone()) {
                    Some(s) => quote!(::autodiff::__private::finish(#s, &#param)),
                    None => {
                        quote!(::autodiff::__private::finish(::autodiff::__private::slot(&#param), &#param))
                    }
                };
                quote_spanned! {span=>
                    #rebind
                                        ::autodiff::__private::map_pullback_owned(#g, #x, #y, |#param, #g_in| { #fwd #rev #finish }, &mut #d_in);
                }
            }
            Kind::Call {
                args,
                pullback,
                arg_spans,
                ..
            } => {
                let pb = self.reference_at(*pullback, span, ref_bound);
                let c = Ident::new("__cotangents", Span::mixed_site());
                // The arguments again, passed as in the forward call.
                let arg_refs = args.iter().map(|&(a, by_ref)| {
                    let r = self.reference_at(a, span, ref_bound);
                    if by_ref {
                        r
                    } else {
                        quote_spanned!(span=> ::core::clone::Clone::clone(#r))
                    }
                });
                let mut calls = quote_spanned!(span=> #[allow(unused_variables)] let #c = (#pb)(&#g, #(#arg_refs),*););
                for (k, &(a, _)) in args.iter().enumerate() {
                    if let Some(d_in) = self.slot(a) {
                        // Spanned at the argument, so a missing cotangent is reported there.
                        let at = arg_spans.get(k).copied().unwrap_or(span);
                        let mut index = syn::Index::from(k);
                        index.span = at;
                        let mut c = c.clone();
                        c.set_span(c.span().located_at(at));
                        calls.extend(quote_spanned!(at=> ::autodiff::__private::accumulate_argument(&mut #d_in, #c.#index);));
                    }
                }
                calls
            }
            _ => return quote!(),
        };
        // The slot is read here for the last time: its cotangent is taken by value.
        quote! {
            if let ::core::option::Option::Some(#g) = ::core::option::Option::take(&mut #d) {
                #calls
            }
        }
    }
}
