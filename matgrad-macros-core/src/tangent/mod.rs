//! Stage 3b: forward mode. The tangent program of a body: the body itself with, after each
//! value that depends on a differentiated parameter and reaches the output, its tangent,
//! built by the registry's tangent rule (`ops::tangent`) from registry operations. The
//! differentiated parameters' directions are new parameters; loops carry and branches merge
//! tangents as they do values.
//!
//! The result is a body like any other, so the later stages need nothing new: its forward
//! sweep is the JVP (`f_jvp`), and its reverse sweep from the tangent of the output gives the
//! gradient (the cotangent of the directions) and the Hessian-vector product (the cotangent
//! of the parameters) in one forward and one reverse pass (`f_hvp`): reverse-over-forward,
//! as JAX's `jvp` of a `grad` costs the same the other way round.

mod closure;
mod regions;
#[cfg(test)]
mod tests;

use crate::analysis::Activity;
use crate::ir::{Body, Kind, Source, Step, Value, ValueId};
use crate::names::Names;
use crate::ops::tangent::{self, Build, Site};
use crate::ops::Op;
use proc_macro2::Span;
use quote::quote;
use syn::Ident;

/// The tangent program of a body.
#[derive(Clone)]
pub struct Jvp {
    pub body: Body,
    /// Each differentiated parameter with its direction parameter, in parameter order.
    pub directions: Vec<(ValueId, ValueId)>,
    /// The value of the function (a kept value of `body`).
    pub value: ValueId,
    /// Its tangent: `body`'s output.
    pub tangent: ValueId,
}

/// The tangent program of `primal`, or the error for the first value whose operation has no
/// tangent rule. `rt` is the runtime's local name in generated code (`codegen::Locals`).
pub fn jvp(primal: &Body, names: &mut Names, rt: &Ident) -> Result<Jvp, syn::Error> {
    let activity = Activity::of(primal);
    let value = primal
        .output
        .ok_or_else(|| syn::Error::new(Span::call_site(), "a function without a value"))?;
    let mut t = Tangents {
        values: primal.values.clone(),
        dot: vec![None; primal.values.len()],
        varied: activity.varied.clone(),
        activity,
        names,
        rt,
        out: Vec::new(),
        current: 0,
    };
    let mut directions = Vec::new();
    for id in 0..primal.values.len() {
        if let Kind::Param {
            differentiated: true,
            ..
        } = primal.values[id].kind
        {
            if t.activity.varied[id] {
                let d = t.direction(id);
                directions.push((id, d));
            }
        }
    }
    let steps = t.steps(&primal.steps)?;
    let tangent = match t.dot[value] {
        Some(d) => d,
        None => {
            t.out.clear();
            let z = t.filled(value, 0.0);
            let mut steps = steps;
            steps.append(&mut t.out);
            return Ok(t.finish(steps, directions, value, z));
        }
    };
    Ok(t.finish(steps, directions, value, tangent))
}

/// The tangent program under construction.
struct Tangents<'a> {
    values: Vec<Value>,
    /// The tangent of each value (`None`: zero, or not needed).
    dot: Vec<Option<ValueId>>,
    /// Whether each value depends on a differentiated parameter or a direction: a value a rule
    /// builds of constants alone is a constant, evaluated from its source.
    varied: Vec<bool>,
    /// The primal body's activity: tangents are built for its active values only.
    activity: Activity,
    names: &'a mut Names,
    rt: &'a Ident,
    /// The steps the current rule has built.
    out: Vec<Step>,
    /// The value whose tangent is being built.
    current: ValueId,
}

impl Tangents<'_> {
    fn finish(
        self,
        steps: Vec<Step>,
        all: Vec<(ValueId, ValueId)>,
        value: ValueId,
        tangent: ValueId,
    ) -> Jvp {
        Jvp {
            body: Body {
                values: self.values,
                steps,
                output: Some(tangent),
                captured: Vec::new(),
                kept: vec![value],
            },
            directions: all,
            value,
            tangent,
        }
    }

    /// Whether `id` (of the primal body) gets a tangent.
    fn active(&self, id: ValueId) -> bool {
        id < self.activity.varied.len() && self.activity.active(id)
    }

    /// A new value, named after `base`.
    fn push(&mut self, kind: Kind, base: &str, span: Span) -> ValueId {
        let name = self.names.fresh(base, span);
        self.push_named(kind, name, span)
    }

    /// A new value named `name`.
    fn push_named(&mut self, kind: Kind, name: Ident, span: Span) -> ValueId {
        self.values.push(Value::new(kind, name, span));
        self.dot.push(None);
        self.varied.push(false);
        self.values.len() - 1
    }

    /// The tangent of a place inside a parameter: the same place of its direction `d`.
    fn project(&mut self, d: ValueId, place: &syn::Expr, reads: Vec<ValueId>) -> ValueId {
        let span = self.values[self.current].span;
        let place = rerooted(place, &self.values[d].name);
        let id = self.push(
            Kind::Project {
                root: d,
                place: place.clone(),
                reads: reads.clone(),
            },
            "__p",
            span,
        );
        let v = &mut self.values[id];
        v.source = Some(Source::Expr(syn::parse_quote!(&(#place))));
        v.borrowed = true;
        v.mentions = std::iter::once(d).chain(reads).collect();
        self.varied[id] = true;
        self.out.push(Step::Value(id));
        id
    }

    /// The direction parameter of the differentiated parameter `id`: `<name>_dot`, of its
    /// type, by reference.
    fn direction(&mut self, id: ValueId) -> ValueId {
        let v = &self.values[id];
        let (base, span) = (format!("{}_dot", v.name), v.span);
        let structured = matches!(
            v.kind,
            Kind::Param {
                structured: true,
                ..
            }
        );
        let name = self.names.parameter(&base, span);
        let d = self.push_named(
            Kind::Param {
                by_ref: true,
                differentiated: true,
                structured,
            },
            name,
            span,
        );
        self.values[d].named = true;
        self.varied[d] = true;
        self.dot[id] = Some(d);
        d
    }

    /// A constant bound to the runtime helper's result `helper(args)`.
    fn constant(&mut self, tokens: proc_macro2::TokenStream, mentions: Vec<ValueId>) -> ValueId {
        let span = self.values[self.current].span;
        let id = self.push(
            Kind::Opaque {
                inputs: Vec::new(),
                unsupported: None,
            },
            "__c",
            span,
        );
        self.values[id].source = Some(Source::Expr(syn::parse_quote!(#tokens)));
        self.values[id].mentions = mentions;
        self.out.push(Step::Value(id));
        id
    }

    /// The steps of `steps` with tangents.
    fn steps(&mut self, steps: &[Step]) -> Result<Vec<Step>, syn::Error> {
        let mut out = Vec::new();
        for step in steps {
            match step {
                Step::Value(id) => {
                    out.push(Step::Value(*id));
                    if self.active(*id) {
                        self.value(*id)?;
                        out.append(&mut self.out);
                    }
                }
                Step::Effect(e) => {
                    for &(old, new) in &e.versions {
                        self.dot[new] = self.dot[old];
                    }
                    out.push(Step::Effect(e.clone()));
                }
                Step::Destructure(d) => out.push(Step::Destructure(d.clone())),
                Step::Loop(l) => out.extend(self.tangent_loop(l)?),
                Step::Branch(b) => out.push(self.tangent_branch(b)?),
            }
        }
        Ok(out)
    }

    /// Builds the tangent of the active value `id` into `self.out`.
    fn value(&mut self, id: ValueId) -> Result<(), syn::Error> {
        self.current = id;
        let span = self.values[id].span;
        let unsupported = |what: &str| {
            syn::Error::new(
                span,
                format!("forward mode (`f_jvp`, `f_hvp`, `f_hessian`) does not support {what} yet; use `_grad` or `_pullback` for this function"),
            )
        };
        let dot = match self.values[id].kind.clone() {
            Kind::Op {
                op, inputs, extras, ..
            } => {
                let dots: Vec<Option<ValueId>> = inputs.iter().map(|&i| self.dot[i]).collect();
                let site = Site {
                    inputs: &inputs,
                    dots: &dots,
                    extras: &extras,
                    result: id,
                };
                tangent::tangent(op, self, &site).map_err(|_| {
                    unsupported(&format!("`{}` ({})", op.spec().label, op.spec().doc))
                })?
            }
            Kind::Version { of } => self.dot[of],
            Kind::Project { root, place, reads } => {
                self.dot[root].map(|d| self.project(d, &place, reads))
            }
            Kind::Map { .. } => self.tangent_map(id)?,
            Kind::Call { .. } => self.tangent_call(id),
            _ => None,
        };
        self.dot[id] = dot;
        Ok(())
    }
}

impl Tangents<'_> {
    /// The source of an operation a rule built of constants alone: its kernel called on them
    /// (`__rt::sub(__rt::as_value(&p), __rt::as_value(&one))`), which are bound by name.
    fn constant_source(&mut self, id: ValueId, op: Op, inputs: &[ValueId], extras: &[ValueId]) {
        let rt = self.rt;
        let f = Ident::new(&op.forward_kernel(None), Span::call_site());
        let args: Vec<_> = inputs
            .iter()
            .map(|&i| {
                let n = &self.values[i].name;
                quote!(#rt::as_value(&#n))
            })
            .chain(extras.iter().map(|&e| {
                let n = &self.values[e].name;
                quote!(::core::clone::Clone::clone(&#n))
            }))
            .collect();
        for &m in inputs.iter().chain(extras) {
            self.values[m].named = true;
        }
        self.values[id].source = Some(Source::Expr(syn::parse_quote!(#rt::#f(#(#args),*))));
        self.values[id].mentions = inputs.iter().chain(extras).copied().collect();
    }
}

impl Build for Tangents<'_> {
    fn op(&mut self, op: Op, inputs: &[ValueId], extras: &[ValueId]) -> ValueId {
        let span = self.values[self.current].span;
        let base = format!("{}_dot", self.values[self.current].name);
        let id = self.push(
            Kind::Op {
                op,
                inputs: inputs.to_vec(),
                extras: extras.to_vec(),
                completion: Default::default(),
            },
            &base,
            span,
        );
        self.varied[id] = inputs.iter().any(|&i| self.varied[i]);
        if !self.varied[id] {
            self.constant_source(id, op, inputs, extras);
        }
        self.out.push(Step::Value(id));
        id
    }

    fn same(&mut self, inputs: &[ValueId]) -> ValueId {
        let (op, extras) = match &self.values[self.current].kind {
            Kind::Op { op, extras, .. } => (*op, extras.clone()),
            _ => unreachable!("`same` is called by the rule of an operation"),
        };
        let id = self.op(op, inputs, &extras);
        if op.spec().forward_as_written {
            self.values[id].source = self.values[self.current].source.clone();
        }
        id
    }

    fn filled(&mut self, like: ValueId, c: f64) -> ValueId {
        let (rt, name) = (self.rt, &self.values[like].name);
        self.constant(quote!(#rt::filled_like(&#name, #c)), vec![like])
    }

    fn piecewise(&mut self, helper: &str, of: &[ValueId]) -> ValueId {
        let rt = self.rt;
        let f = Ident::new(helper, Span::call_site());
        let extras = match &self.values[self.current].kind {
            Kind::Op { extras, .. } => extras.clone(),
            _ => Vec::new(),
        };
        let args: Vec<_> = of
            .iter()
            .map(|&v| {
                let n = &self.values[v].name;
                // A parameter passed by reference, a field or element: bound as a borrow.
                match self.values[v].kind {
                    Kind::Param { by_ref: true, .. } | Kind::Project { .. } => quote!(#n),
                    _ => quote!(&#n),
                }
            })
            .chain(extras.iter().map(|&e| {
                let n = &self.values[e].name;
                quote!(::core::clone::Clone::clone(&#n))
            }))
            .collect();
        let mentions = of.iter().chain(&extras).copied().collect();
        self.constant(quote!(#rt::#f(#(#args),*)), mentions)
    }

    fn producer(&self, id: ValueId) -> Option<Op> {
        match &self.values[id].kind {
            Kind::Op { op, .. } => Some(*op),
            _ => None,
        }
    }
}

/// The place `place` (a field or element of a parameter, `p.layers[i].w`) taken of the
/// variable `root` instead.
fn rerooted(place: &syn::Expr, root: &Ident) -> syn::Expr {
    use syn::Expr;
    match place {
        Expr::Field(f) => {
            let mut f = f.clone();
            *f.base = rerooted(&f.base, root);
            Expr::Field(f)
        }
        Expr::Index(ix) => {
            let mut ix = ix.clone();
            *ix.expr = rerooted(&ix.expr, root);
            Expr::Index(ix)
        }
        Expr::Paren(p) => rerooted(&p.expr, root),
        _ => syn::parse_quote!(#root),
    }
}
