//! The body lowered to single-assignment values in nested regions, with activity analysis.
//!
//! Every `let`, assignment and sub-expression becomes a [`Value`]: a parameter, a constant
//! (an expression that does not depend on a differentiated parameter, kept as written), an
//! [`Op`] applied to earlier values, an element-wise `map`, or a call through another
//! function's pullback. Shadowing and reassignment make new values. `for` loops and `if`
//! branches are regions ([`Loop`], [`Branch`]) whose variables assigned inside become
//! carried or merged values.
//!
//! A value is *varied* when it depends on a differentiated parameter and *useful* when the
//! output depends on it; only values that are both ([`Body::active`]) get adjoints.

use crate::ops::Op;
use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;
use syn::{Expr, Ident, Type};

pub type ValueId = usize;

/// How a value comes to be.
pub enum Kind {
    /// A parameter of the function (or of a `map` closure).
    Param { by_ref: bool },
    /// A non-differentiated expression, evaluated as the user wrote it (locals renamed);
    /// `by_ref` when the user borrowed it (`&xs[t]`), so it is bound as a reference.
    /// `deps` are the values it reads (a borrowed constant is recomputed in the reverse sweep
    /// rather than kept, so pullbacks never hold borrows of the caller's values).
    Const {
        expr: Expr,
        by_ref: bool,
        deps: Vec<ValueId>,
    },
    /// A name bound by something else: a pattern, a loop's tape, a call's pullback.
    Bound { by_ref: bool },
    /// An operation on earlier values, with an optional non-differentiated extra argument.
    Op {
        op: Op,
        inputs: Vec<ValueId>,
        extra: Option<ValueId>,
    },
    /// `x.map(|v| ...)`: the closure written by the user and its own lowered body.
    Map {
        input: ValueId,
        closure: Expr,
        scalar: Box<ScalarFn>,
    },
    /// `f(args)`: evaluated through `f::vjp`, which also yields the pullback value `pullback`.
    /// `args` are (value, passed by reference); `arg_spans` the argument expressions.
    Call {
        callee: TokenStream,
        args: Vec<(ValueId, bool)>,
        arg_spans: Vec<Span>,
        pullback: ValueId,
    },
    /// A loop-carried variable: at the start of an iteration (phi) or after the loop (out).
    Carried,
    /// A variable merged after a branch.
    Merged,
}

impl Kind {
    /// Whether the binding already holds a reference (`&T`): a parameter passed by
    /// reference, a borrowed constant, a name bound to a borrow.
    pub fn is_reference(&self) -> bool {
        matches!(
            self,
            Kind::Param { by_ref: true }
                | Kind::Const { by_ref: true, .. }
                | Kind::Bound { by_ref: true }
        )
    }

    /// Whether the binding owns its value, so the generated code may move it.
    pub fn is_owned_binding(&self) -> bool {
        matches!(
            self,
            Kind::Const { by_ref: false, .. }
                | Kind::Op { .. }
                | Kind::Map { .. }
                | Kind::Call { .. }
                | Kind::Merged
                | Kind::Carried
                | Kind::Bound { by_ref: false }
        )
    }
}

/// The scalar closure of a `map`, lowered as a function of its one parameter.
pub struct ScalarFn {
    /// The closure's parameter name.
    pub param: Ident,
    pub body: Body,
    /// Values of the enclosing body the closure reads (constants).
    pub captures: Vec<ValueId>,
}

/// One single-assignment value.
pub struct Value {
    pub kind: Kind,
    /// The generated binding's name (the parameter's own name for parameters).
    pub name: Ident,
    /// Whether the value depends on a differentiated parameter.
    pub varied: bool,
    /// Whether the output depends on the value.
    pub useful: bool,
    /// The user's expression the value comes from.
    pub span: Span,
    /// The type the user annotated the binding with, if any.
    pub ty: Option<Type>,
    /// Whether the binding carries a user's variable name (so it is not renamed again).
    pub named: bool,
    /// Whether the binding is `let mut` (a constant the user changes in place).
    pub mutable: bool,
    /// The user's variable name, for the graph.
    pub label: Option<String>,
}

/// A variable carried around a loop.
pub struct Carried {
    /// The value before the loop.
    pub init: ValueId,
    /// The value at the start of an iteration.
    pub phi: ValueId,
    /// The value at the end of an iteration.
    pub next: ValueId,
    /// The value after the loop.
    pub out: ValueId,
}

/// A `for` loop.
pub struct Loop {
    /// The loop's pattern, renamed.
    pub pat: TokenStream,
    /// The values the pattern binds.
    pub pat_values: Vec<ValueId>,
    /// The iterated expression, renamed (evaluated again for the reverse sweep).
    pub iter: Expr,
    /// The values the iterated expression reads.
    pub iter_deps: Vec<ValueId>,
    /// The iterations collected in a `Vec` (bound before the loop).
    pub iters: ValueId,
    /// The per-iteration saved values (bound before the loop).
    pub tape: ValueId,
    pub carried: Vec<Carried>,
    pub body: Vec<Step>,
    pub span: Span,
}

/// One arm of a branch.
pub struct Arm {
    pub body: Vec<Step>,
    /// `Option` holding the arm's saved values, set when the arm runs.
    pub save: ValueId,
    /// The arm's value for each merged variable, in [`Branch::merged`] order.
    pub from: Vec<ValueId>,
}

/// An `if`/`else` (an `if` without `else` has an empty second arm).
pub struct Branch {
    /// The condition, a `bool` constant.
    pub cond: ValueId,
    pub arms: [Arm; 2],
    /// The merged values after the branch.
    pub merged: Vec<ValueId>,
    pub span: Span,
}

/// One step of the forward sweep.
pub enum Step {
    /// Compute a value.
    Value(ValueId),
    /// A statement kept as written (locals renamed), binding `bound`: items, `println!`,
    /// destructuring `let` of constants.
    Effect {
        tokens: TokenStream,
        bound: Vec<ValueId>,
    },
    Loop(Box<Loop>),
    Branch(Box<Branch>),
}

/// The lowered body.
pub struct Body {
    pub values: Vec<Value>,
    pub steps: Vec<Step>,
    pub output: Option<ValueId>,
}

impl Body {
    /// An expression for a shared reference to the value, spanned at `at`.
    ///
    /// `&name` for an owned binding; the name itself for a parameter passed by reference,
    /// a borrowed constant, or a value listed in `ref_bound` (bound by reference from a
    /// loop's tape or a branch's save in the reverse sweep).
    pub fn reference_in(&self, id: ValueId, at: Span, ref_bound: &[bool]) -> TokenStream {
        let v = &self.values[id];
        let mut name = v.name.clone();
        name.set_span(name.span().located_at(at));
        let by_ref = ref_bound.get(id).copied().unwrap_or(false) || v.kind.is_reference();
        if by_ref {
            quote_spanned!(at=> #name)
        } else {
            quote_spanned!(at=> &#name)
        }
    }

    /// [`Body::reference_in`] outside any reverse region.
    pub fn reference(&self, id: ValueId) -> TokenStream {
        self.reference_in(id, self.values[id].span, &[])
    }

    /// Whether the value gets an adjoint.
    pub fn active(&self, id: ValueId) -> bool {
        self.values[id].varied && self.values[id].useful
    }

    /// Every loop in the body, outermost first.
    pub fn loops(&self) -> Vec<&Loop> {
        fn walk<'a>(steps: &'a [Step], out: &mut Vec<&'a Loop>) {
            for s in steps {
                match s {
                    Step::Loop(l) => {
                        out.push(l);
                        walk(&l.body, out);
                    }
                    Step::Branch(b) => {
                        walk(&b.arms[0].body, out);
                        walk(&b.arms[1].body, out);
                    }
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.steps, &mut out);
        out
    }

    /// Every branch in the body.
    pub fn branches(&self) -> Vec<&Branch> {
        fn walk<'a>(steps: &'a [Step], out: &mut Vec<&'a Branch>) {
            for s in steps {
                match s {
                    Step::Loop(l) => walk(&l.body, out),
                    Step::Branch(b) => {
                        out.push(b);
                        walk(&b.arms[0].body, out);
                        walk(&b.arms[1].body, out);
                    }
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.steps, &mut out);
        out
    }

    /// The values the adjoint of `id` flows into.
    fn deps(&self, id: ValueId) -> Vec<ValueId> {
        match &self.values[id].kind {
            Kind::Op { inputs, .. } => inputs.clone(),
            Kind::Map { input, .. } => vec![*input],
            Kind::Call { args, .. } => args.iter().map(|a| a.0).collect(),
            _ => Vec::new(),
        }
    }

    /// Marks the values the output depends on (a fixed point through loops and branches).
    pub fn mark_useful(&mut self) {
        let Some(out) = self.output else { return };
        self.values[out].useful = true;
        // Edges that are not operation inputs: carried and merged values.
        let mut extra: Vec<(ValueId, ValueId)> = Vec::new();
        for l in self.loops() {
            for c in &l.carried {
                extra.push((c.out, c.next));
                extra.push((c.phi, c.next));
                extra.push((c.phi, c.init));
            }
        }
        for b in self.branches() {
            for (k, &m) in b.merged.iter().enumerate() {
                extra.push((m, b.arms[0].from[k]));
                extra.push((m, b.arms[1].from[k]));
            }
        }
        loop {
            let mut changed = false;
            for id in (0..self.values.len()).rev() {
                if !self.values[id].useful {
                    continue;
                }
                for d in self.deps(id) {
                    if !self.values[d].useful {
                        self.values[d].useful = true;
                        changed = true;
                    }
                }
            }
            for &(from, to) in &extra {
                if self.values[from].useful && !self.values[to].useful {
                    self.values[to].useful = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }
}
