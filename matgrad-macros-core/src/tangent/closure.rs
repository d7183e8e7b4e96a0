//! Tangents of `map` and `zip_map` (the closure's own tangent program, itself a closure) and
//! of calls (the callee's `tangent_vjp`).
//!
//! - `y = x.map(f)` with ẋ: ẏ = `x.zip_map(&ẋ, |v, v̇| ḟ(v, v̇))`, where ḟ also reads the
//!   tangents of the values `f` captures;
//! - with only captured values varying: ẏ = `x.map(|v| ḟ(v, 0))`;
//! - `y = x.zip_map(&z, f)`: ẏ = ∂₁f(x, z) ⊙ ẋ + ∂₂f(x, z) ⊙ ż + ḟ(x, z; 0, 0), each partial a
//!   `zip_map` whose closure is the tangent program with one parameter's tangent set to 1 and
//!   the other's to 0 (a `zip_map` takes two matrices, not four).

use super::Tangents;
use crate::analysis::Activity;
use crate::ir::{Arg, Body, Completion, Kind, ScalarFn, Step, ValueId};
use crate::ops::tangent::Build;
use crate::ops::Op;
use proc_macro2::{TokenStream, TokenTree};
use quote::quote;

/// What a closure parameter's tangent is in a tangent closure.
#[derive(Clone, Copy, PartialEq)]
enum Seed {
    /// A parameter of the closure (the second one of a `zip_map`).
    Param,
    One,
    Zero,
}

impl Tangents<'_> {
    /// The tangent of the `map` (`zip_map`) value `id`, into `self.out`.
    pub(super) fn tangent_map(&mut self, id: ValueId) -> Result<Option<ValueId>, syn::Error> {
        let Kind::Map {
            input,
            second,
            scalar,
            ..
        } = self.values[id].kind.clone()
        else {
            return Ok(None);
        };
        let captures_vary = scalar.captures.iter().any(|&c| self.dot[c].is_some());
        let dx = self.dot[input];
        let Some(z) = second else {
            return Ok(match (dx, captures_vary) {
                (Some(d), _) => self
                    .tangent_closure(&scalar, [Seed::Param, Seed::Zero], true)?
                    .map(|f| self.map_of(input, Some(d), f)),
                (None, true) => self
                    .tangent_closure(&scalar, [Seed::Zero, Seed::Zero], true)?
                    .map(|f| self.map_of(input, None, f)),
                (None, false) => None,
            });
        };
        let mut terms = Vec::new();
        for (k, d) in [(0, dx), (1, self.dot[z])] {
            let Some(d) = d else { continue };
            let seeds = if k == 0 {
                [Seed::One, Seed::Zero]
            } else {
                [Seed::Zero, Seed::One]
            };
            if let Some(f) = self.tangent_closure(&scalar, seeds, false)? {
                let partial = self.map_of(input, Some(z), f);
                terms.push(self.op(Op::ComponentMul, &[partial, d], &[]));
            }
        }
        if captures_vary {
            if let Some(f) = self.tangent_closure(&scalar, [Seed::Zero, Seed::Zero], true)? {
                terms.push(self.map_of(input, Some(z), f));
            }
        }
        let mut sum = None;
        for t in terms {
            sum = Some(match sum {
                None => t,
                Some(s) => self.op(Op::Add, &[s, t], &[]),
            });
        }
        Ok(sum)
    }

    /// The tangent of the call `id`: a call of the callee's `tangent_vjp` with the arguments
    /// and their tangents (a zero of the parameter's type, or `()`, for a constant argument).
    pub(super) fn tangent_call(&mut self, id: ValueId) -> Option<ValueId> {
        let Kind::Call {
            callee,
            args,
            completion,
            ..
        } = self.values[id].kind.clone()
        else {
            return None;
        };
        let rt = self.rt;
        let mut all = args.clone();
        for a in &args {
            let value = match self.dot[a.value] {
                Some(d) => d,
                None => {
                    let n = &self.values[a.value].name;
                    self.constant(quote!(#rt::zero_direction(&#n)), vec![a.value])
                }
            };
            all.push(Arg {
                value,
                by_ref: true,
                span: a.span,
            });
        }
        let span = self.values[id].span;
        let base = format!("{}_dot_pullback", self.values[id].name);
        let pullback = self.push(
            Kind::Bound {
                by_ref: false,
                from: None,
            },
            &base,
            span,
        );
        // Where the call succeeded, so does its tangent's (the same computation).
        let completion = match completion {
            Completion::Plain => Completion::Plain,
            _ => Completion::Unwrap,
        };
        let base = format!("{}_dot", self.values[id].name);
        let call = self.push(
            Kind::Call {
                callee: tangent_callee(callee),
                args: all,
                pullback,
                completion,
            },
            &base,
            span,
        );
        self.varied[call] = true;
        self.out.push(Step::Value(call));
        Some(call)
    }

    /// A new `map` (`zip_map` with `second`) of `x` by the generated closure `f`.
    fn map_of(&mut self, x: ValueId, second: Option<ValueId>, f: ScalarFn) -> ValueId {
        let span = self.values[self.current].span;
        let base = format!("{}_dot", self.values[self.current].name);
        let id = self.push(
            Kind::Map {
                input: x,
                second,
                closure: None,
                scalar: Box::new(f),
            },
            &base,
            span,
        );
        self.varied[id] = true;
        self.out.push(Step::Value(id));
        id
    }

    /// The tangent program of a closure, its parameters' tangents as `seeds` say, reading the
    /// tangents of the values it captures if `captures`; `None` where its value's tangent is
    /// zero.
    fn tangent_closure(
        &mut self,
        scalar: &ScalarFn,
        seeds: [Seed; 2],
        captures: bool,
    ) -> Result<Option<ScalarFn>, syn::Error> {
        let body = &scalar.body;
        let activity = Activity::of_closure(scalar, &self.activity);
        let mut inner = Tangents {
            values: body.values.clone(),
            dot: vec![None; body.values.len()],
            varied: activity.varied.clone(),
            activity,
            names: &mut *self.names,
            rt: self.rt,
            out: Vec::new(),
            current: body.output.unwrap_or(0),
        };
        let second = inner.seed_params(scalar, seeds);
        let (mut captured, mut outer_ids) = (body.captured.clone(), scalar.captures.clone());
        if captures {
            for (&c, &o) in body.captured.iter().zip(&scalar.captures) {
                let Some(od) = self.dot[o] else { continue };
                // Read by name in the closure: bound, as a user's variable is.
                self.values[od].named = true;
                let by_ref = matches!(self.values[od].kind, Kind::Param { by_ref: true, .. });
                let name = self.values[od].name.clone();
                let d = inner.push_named(Kind::Bound { by_ref, from: None }, name, scalar.span);
                inner.values[d].named = true;
                inner.varied[d] = true;
                inner.dot[c] = Some(d);
                captured.push(d);
                outer_ids.push(od);
            }
        }
        let mut steps = std::mem::take(&mut inner.out);
        steps.extend(inner.steps(&body.steps)?);
        // A closure whose value does not depend on what varies: the map's tangent is zero.
        let Some(output) = inner.dot[body.output.unwrap_or(0)] else {
            return Ok(None);
        };
        let values = inner.values;
        Ok(Some(ScalarFn {
            param: scalar.param.clone(),
            second: scalar.second.clone().or(second),
            body: Body {
                values,
                steps,
                output: Some(output),
                captured,
                kept: Vec::new(),
            },
            captures: outer_ids,
            span: scalar.span,
            errors: Vec::new(),
        }))
    }
}

impl Tangents<'_> {
    /// Sets the tangents of a closure's parameters as `seeds` say (a new parameter, 1 or 0),
    /// in the closure's own tangent program; the new parameter's name, if one is made.
    fn seed_params(&mut self, scalar: &ScalarFn, seeds: [Seed; 2]) -> Option<syn::Ident> {
        let body = &scalar.body;
        let params = std::iter::once(&scalar.param).chain(&scalar.second);
        let mut second = None;
        for (name, seed) in params.zip(seeds) {
            let Some(p) = body.param(name) else { continue };
            self.current = p;
            self.dot[p] = match seed {
                Seed::Param => {
                    let base = format!("{name}_dot");
                    let ident = self.names.parameter(&base, name.span());
                    let kind = Kind::Param {
                        by_ref: false,
                        differentiated: true,
                        structured: false,
                    };
                    let d = self.push_named(kind, ident, name.span());
                    self.values[d].named = true;
                    self.varied[d] = true;
                    second = Some(self.values[d].name.clone());
                    Some(d)
                }
                Seed::One => Some(self.filled(p, 1.0)),
                Seed::Zero => None,
            };
        }
        second
    }
}

/// `path::vjp::<T>` → `path::tangent_vjp::<T>`.
fn tangent_callee(callee: TokenStream) -> TokenStream {
    callee
        .into_iter()
        .map(|tt| match tt {
            TokenTree::Ident(i) if i == "vjp" => {
                TokenTree::Ident(proc_macro2::Ident::new("tangent_vjp", i.span()))
            }
            tt => tt,
        })
        .collect()
}
