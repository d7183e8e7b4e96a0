//! Stage 4: the forward sweep (the user's computation, keeping what the reverse sweep needs)
//! and the reverse sweep (pullbacks in reverse order, accumulating adjoints), generated from
//! the IR and the analysis' tables.

mod checkpoint;
pub mod chunks;
mod forward;
mod nodes;
mod pullback;
mod recycle;
mod regions;
mod reverse;
#[cfg(test)]
mod tests;

use crate::analysis::Tables;
use crate::ir::{walk, Body, Head, Kind, Step, ValueId};
use crate::names::Names;
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use std::collections::HashMap;
use syn::Ident;

/// Where the adjoint of the output comes from.
pub enum Seed {
    /// One: the output is a float (`__private::seed`).
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
    /// The names of bindings that hold a reference (see [`chunks::chunked`]).
    pub references: std::collections::HashSet<String>,
    /// With [`sweeps_recycling`]: gives the values still bound after the sweeps to the
    /// installed workspace (see [`recycle`]); empty otherwise.
    pub recycle: TokenStream,
    /// With [`sweeps_recycling`]: whether the output's binding is still bound, owned, when
    /// the sweeps end (a result may take it rather than a copy).
    pub output_bound: bool,
}

/// The fixed names of the generated code's own locals, fresh for each expansion.
pub struct Locals {
    pub g: Ident,
    pub saved: Ident,
    pub merged: Ident,
    pub g_elem: Ident,
    pub cotangents: Ident,
    /// The right-hand side of a constant's `x op= rhs`, evaluated before `x` is moved.
    pub rhs: Ident,
    /// The runtime's module, imported under this name at the top of each generated body
    /// (`use ::matgrad::__private as __rt;`): a call is `__rt::mul(..)`, three tokens where
    /// the full path is nine, in code that is mostly such calls.
    pub rt: Ident,
}

impl Locals {
    pub fn new(names: &mut Names) -> Locals {
        let at = Span::call_site();
        Locals {
            g: names.fresh("__g", at),
            saved: names.fresh("__saved", at),
            merged: names.fresh("__merged", at),
            g_elem: names.fresh("__g_elem", at),
            cotangents: names.fresh("__cotangents", at),
            rhs: names.fresh("__rhs", at),
            rt: names.fresh("__rt", at),
        }
    }
}

/// Generates both sweeps of `body`.
pub fn sweeps(
    body: &Body,
    tables: &Tables,
    names: &mut Names,
    locals: &Locals,
    seed: Seed,
) -> Sweeps {
    Gen::new(body, tables, names, locals).sweeps(&seed)
}

/// [`sweeps`] for a workspace (`#[grad(.., workspace)]`, one owned body): each cotangent
/// that no kernel takes by value, and each value still bound at the end (`Sweeps::recycle`),
/// goes back to the installed workspace.
pub fn sweeps_recycling(
    body: &Body,
    tables: &Tables,
    names: &mut Names,
    locals: &Locals,
    seed: Seed,
) -> Sweeps {
    let mut gen = Gen::new(body, tables, names, locals);
    gen.recycle = true;
    gen.moved_forward = gen.moved_forward();
    gen.sweeps(&seed)
}

impl Gen<'_> {
    fn sweeps(self, seed: &Seed) -> Sweeps {
        let body = self.body;
        let tables = self.t;
        let forward = self.forward(&body.steps);
        let reverse = self.top_reverse(seed);
        let recycle = match self.recycle {
            true => self.recycle_at_end(),
            false => TokenStream::new(),
        };
        let output_bound = self.recycle && self.output_bound_at_end();
        Sweeps {
            forward,
            reverse,
            output_needed: body.output.is_some_and(|o| tables.needed.needed[o]),
            slots: self.slot,
            references: body
                .values
                .iter()
                .enumerate()
                .filter(|&(id, _)| tables.bindings.reference[id])
                .map(|(_, v)| v.name.to_string())
                .collect(),
            recycle,
            output_bound,
        }
    }
}

/// The reference context of the forward sweep (`ref_bound` of the generator's methods):
/// nothing is bound by reference from a tape or a save, and every value is read under its own
/// binding. A reverse context is a slice with one flag per value and reads the snapshot of a
/// value a kept statement changed in place since.
pub(crate) const FORWARD: &[bool] = &[];

/// A loop's locals, one per carried variable: its adjoint carried from iteration to
/// iteration, the start value an iteration replaces (kept on the tape), and the reverse
/// sweep's reference to its next value (`Needed::shifted`).
pub(crate) struct LoopNames {
    carries: Vec<Ident>,
    olds: Vec<Ident>,
    nexts: Vec<Ident>,
}

/// The generator of one body: the IR, its tables, and the names chosen for slots and the
/// lists of loops.
pub(crate) struct Gen<'a> {
    body: &'a Body,
    t: &'a Tables,
    locals: &'a Locals,
    /// The adjoint slot of each active value.
    slot: Vec<Option<Ident>>,
    /// Per loop (by its tape's id): the names of its locals, a name per carried variable.
    loop_names: HashMap<ValueId, LoopNames>,
    /// Per checkpointed loop (by its tape's id): the names of its replay's locals.
    checkpoints: HashMap<ValueId, checkpoint::Names>,
    /// Deferred products: the list of their left pullbacks' operands, by product.
    deferred: HashMap<ValueId, Ident>,
    /// Copies of values a kept statement may change, read by the reverse sweep instead.
    snapshot: HashMap<ValueId, Ident>,
    /// The sweeps of each active `map` closure's body, a name per captured value for the sum
    /// of its cotangents over the entries, and a name for the mapped values (taken before the
    /// captures are copied for the closure).
    closures: HashMap<ValueId, (Sweeps, Vec<Ident>, Ident)>,
    /// Per value: whether its binding may hold a reference though the analysis takes it as
    /// owned.
    maybe_ref: Vec<bool>,
    /// The type witnesses of top-level values whose slots no kept value types (see
    /// [`type_witnesses`]).
    type_witness: HashMap<ValueId, Ident>,
    /// Whether dead values go back to an installed workspace ([`sweeps_recycling`]).
    recycle: bool,
    /// With `recycle`: per value, whether the forward sweep moves it (`Gen::moved_forward`).
    moved_forward: Vec<bool>,
}

impl<'a> Gen<'a> {
    fn new(body: &'a Body, t: &'a Tables, names: &mut Names, locals: &'a Locals) -> Self {
        let slot = (0..body.values.len())
            .map(|id| {
                t.activity.active(id).then(|| {
                    let v = &body.values[id];
                    names.fresh(&format!("{}_bar", v.name), v.span)
                })
            })
            .collect();
        let loop_names = body
            .loops()
            .iter()
            .map(|l| {
                let fresh = |names: &mut Names, base: &str| -> Vec<Ident> {
                    l.carried
                        .iter()
                        .map(|_| names.fresh(base, l.span))
                        .collect()
                };
                let carries = fresh(names, "__carry");
                let olds = fresh(names, "__old");
                let nexts = fresh(names, "__next");
                (
                    l.tape,
                    LoopNames {
                        carries,
                        olds,
                        nexts,
                    },
                )
            })
            .collect();
        let checkpoints = body
            .loops()
            .iter()
            .filter(|l| l.checkpoint)
            .map(|l| (l.tape, checkpoint::Names::new(names, l.span)))
            .collect();
        let mut deferred: Vec<ValueId> = t.deferred.products.iter().copied().collect();
        deferred.sort();
        let deferred = deferred
            .into_iter()
            .map(|id| (id, names.fresh("__deferred", body.values[id].span)))
            .collect();
        let mut snapshot = HashMap::new();
        for (id, &s) in t.needed.snapshot.iter().enumerate() {
            if s {
                let v = &body.values[id];
                snapshot.insert(id, names.fresh(&format!("{}_before", v.name), v.span));
            }
        }
        let mut closures = HashMap::new();
        let mut ids: Vec<&ValueId> = t.closures.keys().collect();
        ids.sort();
        for &id in ids {
            if let Kind::Map { scalar, .. } = &body.values[id].kind {
                let g_elem = &locals.g_elem;
                let inner = sweeps(
                    &scalar.body,
                    &t.closures[&id],
                    names,
                    locals,
                    Seed::Given(quote!(&#g_elem)),
                );
                let sums = scalar
                    .captures
                    .iter()
                    .map(|_| names.fresh("__captured_bar", scalar.span))
                    .collect();
                closures.insert(id, (inner, sums, names.fresh("__mapped", scalar.span)));
            }
        }
        Gen {
            body,
            t,
            locals,
            slot,
            loop_names,
            checkpoints,
            deferred,
            snapshot,
            closures,
            maybe_ref: maybe_references(body),
            type_witness: type_witnesses(body, t, names),
            recycle: false,
            moved_forward: Vec::new(),
        }
    }

    /// `__rt::name`, the runtime's `__private::name` (see [`Locals::rt`]), spanned at `at`.
    fn rt(&self, name: &str, at: Span) -> TokenStream {
        let mut rt = self.locals.rt.clone();
        rt.set_span(at);
        let f = Ident::new(name, at);
        quote_spanned!(at=> #rt::#f)
    }

    fn slot(&self, id: ValueId) -> Option<&Ident> {
        self.slot[id].as_ref()
    }

    /// The binding the reverse sweep (and a tape or save, which it reads) has for `id`: a
    /// snapshot if a kept statement may have changed the value since.
    fn rev_name(&self, id: ValueId) -> Ident {
        match self.snapshot.get(&id) {
            Some(s) => s.clone(),
            None => self.body.values[id].name.clone(),
        }
    }

    /// A shared reference to the value, spanned at `at`: `&name`, or `name` for a binding that
    /// holds a reference (or is bound by reference from a tape or a save, `ref_bound`).
    fn reference_at(&self, id: ValueId, at: Span, ref_bound: &[bool]) -> TokenStream {
        let mut name = if ref_bound.is_empty() {
            self.body.values[id].name.clone()
        } else {
            self.rev_name(id)
        };
        name.set_span(name.span().located_at(at));
        if ref_bound.get(id).copied().unwrap_or(false) || self.t.bindings.reference[id] {
            quote_spanned!(at=> #name)
        } else {
            quote_spanned!(at=> &#name)
        }
    }

    fn reference(&self, id: ValueId, ref_bound: &[bool]) -> TokenStream {
        self.reference_at(id, self.body.values[id].span, ref_bound)
    }

    /// A reference to an operation's input: a pattern's value may itself be a reference
    /// (`for x in xs.iter()`), so it goes through `as_value`.
    fn input_ref(&self, id: ValueId, at: Span, ref_bound: &[bool]) -> TokenStream {
        let r = self.reference_at(id, at, ref_bound);
        if self.maybe_reference(id) {
            let f = self.rt(crate::ops::helpers::AS_VALUE, at);
            quote_spanned!(at=> #f(#r))
        } else {
            r
        }
    }

    /// Whether a binding the analysis takes as owned may hold a reference (see
    /// [`maybe_references`]).
    fn maybe_reference(&self, id: ValueId) -> bool {
        self.maybe_ref[id]
    }

    /// A copy of the value of the binding's own type (a reference binding copies the
    /// reference): an argument the user passed by value.
    fn copied(&self, id: ValueId, ref_bound: &[bool]) -> TokenStream {
        let mut name = if ref_bound.is_empty() {
            self.body.values[id].name.clone()
        } else {
            self.rev_name(id)
        };
        let at = self.body.values[id].span;
        name.set_span(name.span().located_at(at));
        if ref_bound.get(id).copied().unwrap_or(false) {
            quote_spanned!(at=> ::core::clone::Clone::clone(#name))
        } else {
            quote_spanned!(at=> ::core::clone::Clone::clone(&#name))
        }
    }

    /// An owned copy of the value: `Clone::clone(&v)`.
    fn cloned(&self, id: ValueId, ref_bound: &[bool]) -> TokenStream {
        let r = self.reference(id, ref_bound);
        quote!(::core::clone::Clone::clone(#r))
    }
}

/// Per value: whether a binding the analysis takes as owned may hold a reference. A pattern's
/// value may (`for x in xs.iter()`), and so may a new version of it, and a merged value one of
/// whose arms passes such a value on, or that a `#[cfg]` statement leaves as the variable's
/// own binding where it is configured out ([`crate::analysis::aliases`]).
fn maybe_references(body: &Body) -> Vec<bool> {
    let mut sources: HashMap<ValueId, (bool, Vec<ValueId>)> = HashMap::new();
    walk::regions(&body.steps, &mut |s| {
        if let Step::Branch(b) = s {
            let cfg = matches!(b.head, Head::Cfg { .. });
            for (k, &m) in b.merged.iter().enumerate() {
                sources.insert(m, (cfg, b.arms.iter().map(|a| a.from[k]).collect()));
            }
        }
    });
    let mut maybe = vec![false; body.values.len()];
    let mut changed = true;
    while changed {
        changed = false;
        for (id, v) in body.values.iter().enumerate() {
            let now = match v.kind {
                Kind::Bound { by_ref: false, .. } => true,
                Kind::Version { of } => maybe[of],
                Kind::Merged => sources
                    .get(&id)
                    .is_some_and(|(cfg, from)| *cfg || from.iter().any(|&f| maybe[f])),
                _ => false,
            };
            if now && !maybe[id] {
                maybe[id] = true;
                changed = true;
            }
        }
    }
    maybe
}

/// The number of values (named and temporary) from which a function counts as long: its
/// slots are typed by witnesses, and its `_grad` goes through `vjp` (`emit::wrappers`).
pub const LONG_FUNCTION: usize = 400;

/// Names for zero-sized type witnesses (`PhantomData<T>`) of the top-level values whose
/// adjoint slots no value the reverse sweep keeps could type: each is taken right after its
/// value's binding, and types the slot. An untyped slot (`None`) leaves rustc an inference
/// variable open until the slot's first use, late in the reverse sweep, and rustc's type
/// checking is quadratic in how many are open at once; so long functions have them (short
/// ones read better without). A `#[cfg]` statement's merged values have them in any function:
/// where the statement is configured out, the slot's only use may be a cotangent dropped,
/// which leaves its type open.
fn type_witnesses(body: &Body, t: &Tables, names: &mut Names) -> HashMap<ValueId, Ident> {
    let long = body.values.len() >= LONG_FUNCTION;
    let mut cfg_merged = std::collections::HashSet::new();
    for s in &body.steps {
        if let Step::Branch(b) = s {
            if matches!(b.head, Head::Cfg { .. }) {
                cfg_merged.extend(b.merged.iter().copied());
            }
        }
    }
    crate::ir::defined_at(body, &body.steps)
        .into_iter()
        .filter(|&id| {
            let v = &body.values[id];
            let by_kernel = long && t.bindings.by_kernel[id] && v.attrs.is_empty();
            let of_kind = matches!(
                v.kind,
                Kind::Op { .. } | Kind::Map { .. } | Kind::Call { .. }
            );
            let merged = cfg_merged.contains(&id) && !t.bindings.reference[id];
            t.activity.active(id)
                && t.bindings.bound[id]
                && (by_kernel && of_kind || merged)
                && !t.needed.needed[t.needed.witness[id]]
        })
        .map(|id| {
            let v = &body.values[id];
            (id, names.fresh(&format!("{}_type", v.name), v.span))
        })
        .collect()
}
