//! The body lowered to single-assignment values in nested regions.
//!
//! Every `let`, assignment and sub-expression becomes a [`Value`]: a parameter, an operation
//! of the registry ([`Kind::Op`]), an element-wise `map`, a call through another function's
//! pullback, or an expression the registry does not know ([`Kind::Opaque`]), kept as the
//! user wrote it. Shadowing and reassignment make new values. `for` loops and branches are
//! regions ([`Loop`], [`Branch`]) whose variables assigned inside become carried or merged
//! values.
//!
//! The IR says how each value is computed; it does not say whether a value depends on a
//! differentiated parameter. That is the analysis' business (`analysis::activity`): a value
//! that does not is evaluated from its [`Source`], as the user wrote it, whatever its kind.

pub mod walk;

pub use walk::{defined_at, defined_in_loop, defined_within, replay_reads};

use crate::ops::Op;
use proc_macro2::{Span, TokenStream};
use syn::{Attribute, Expr, Ident, Type};

pub type ValueId = usize;

/// One single-assignment value.
#[derive(Clone)]
pub struct Value {
    pub kind: Kind,
    /// The generated binding's name (a parameter's own name for parameters).
    pub name: Ident,
    /// The user's expression the value comes from.
    pub span: Span,
    /// The type the user annotated the binding with, if any.
    pub ty: Option<Type>,
    /// The binding is `let mut` (the user's variable is mutable).
    pub mutable: bool,
    /// The user's variable name, for the graph.
    pub label: Option<String>,
    /// Bound to a user's variable (`let`, assignment): it always gets a binding.
    pub named: bool,
    /// How the value is computed when it does not depend on a differentiated parameter.
    pub source: Option<Source>,
    /// As a constant, the binding holds a reference: the user borrowed the expression
    /// (`&xs[t]`).
    pub borrowed: bool,
    /// The expression is a place read by reference (a method's receiver, `xs[t].norm()`): an
    /// unnamed constant is bound by reference rather than moved out of it.
    pub place: bool,
    /// The values the source names (read or only asked for their shape): they must still
    /// be there when it is evaluated.
    pub mentions: Vec<ValueId>,
    /// Attributes of the user's statement carried onto the binding (`#[allow(..)]`).
    pub attrs: Vec<Attribute>,
}

/// How a value is computed as a constant.
#[derive(Clone)]
pub enum Source {
    /// The user's expression, locals renamed.
    Expr(Expr),
    /// `x op= rhs`: the previous value `prev` copied (or moved) into a new `mut` binding,
    /// then changed with the user's own operator.
    Compound {
        prev: ValueId,
        op: syn::BinOp,
        rhs: Expr,
    },
}

/// How a value comes to be.
#[derive(Clone)]
pub enum Kind {
    /// A parameter of the function (or of a `map` closure); `structured` when its type is
    /// the user's own (a struct deriving `Differentiable`, a type alias): read through
    /// [`Kind::Project`]s, its gradient finished as a `Differentiable`.
    Param {
        by_ref: bool,
        differentiated: bool,
        structured: bool,
    },
    /// An expression the registry has no rule for (a literal, a path, a cast, an unknown
    /// method, ...), evaluated as written. `inputs` are the values it reads the entries of;
    /// if one depends on a differentiated parameter, `unsupported` is the error to report.
    Opaque {
        inputs: Vec<ValueId>,
        unsupported: Option<Unsupported>,
    },
    /// An operation of the registry on earlier values, with non-differentiated `extras`;
    /// `completion` says how the user took the `Option` of an entry written with one.
    Op {
        op: Op,
        inputs: Vec<ValueId>,
        extras: Vec<ValueId>,
        completion: Completion,
    },
    /// `x.map(|v| ...)`, or `x.zip_map(&y, |v, w| ...)` with `second` the value `y`: the
    /// user's closure (renamed) and its own lowered body; a closure the tangent stage made
    /// (`None`) is written from its body.
    Map {
        input: ValueId,
        second: Option<ValueId>,
        closure: Option<Expr>,
        scalar: Box<ScalarFn>,
    },
    /// `f(args)`, evaluated through `f::vjp`, which also yields the pullback value `pullback`;
    /// `completion` says how the user took the `Option` or `Result` of a fallible `f`.
    Call {
        callee: TokenStream,
        args: Vec<Arg>,
        pullback: ValueId,
        completion: Completion,
    },
    /// A name bound by something else: a loop's pattern, a branch's pattern, a call's
    /// pullback, a destructuring `let`. `from` is the value a branch pattern destructures.
    Bound { by_ref: bool, from: Option<ValueId> },
    /// The same binding after a statement that may have changed it in place (`v.push(..)`,
    /// `println!`): a new version of `of`.
    Version { of: ValueId },
    /// A loop-carried variable: at the start of an iteration (phi) or after the loop (out).
    Carried,
    /// A variable merged after a branch.
    Merged,
    /// A place inside a differentiated parameter of the user's own type, borrowed: `place` is
    /// the place expression from the parameter `root` on (`p.w1`, `p.layers[i].w`, renamed);
    /// `reads` are the values its indices read. Its cotangent is added to that place of the
    /// parameter's cotangent.
    Project {
        root: ValueId,
        place: Expr,
        reads: Vec<ValueId>,
    },
}

/// How the user takes the `Option` (or `Result`) of an operation or call that returns one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Completion {
    /// As the entry is written (`m.try_inverse().unwrap()`: the kernel panics as `unwrap`
    /// would), or a call of a function that returns its value.
    #[default]
    Plain,
    /// `f(x).unwrap()`, of a fallible `#[grad]` function.
    Unwrap,
    /// `.expect(msg)`, with the message's value: the forward sweep panics with it.
    Expect(ValueId),
    /// `?`: the function (and its companions) return early with the `None` or `Err`.
    Try,
    /// `.ok_or(e)?`, with the error's value (moved into the `Err`).
    TryOr(ValueId),
}

impl Completion {
    /// The value the completion reads: the message of `.expect(msg)`, the error of
    /// `.ok_or(e)?`.
    pub fn reads(self) -> Option<ValueId> {
        match self {
            Completion::Expect(v) | Completion::TryOr(v) => Some(v),
            _ => None,
        }
    }
}

/// The error for an expression or statement that turns out to read a differentiated value.
#[derive(Clone)]
pub struct Unsupported {
    /// The tokens to span the error on.
    pub at: TokenStream,
    pub message: String,
}

/// An argument of a call.
#[derive(Clone)]
pub struct Arg {
    pub value: ValueId,
    /// The user borrowed the argument (`&x`).
    pub by_ref: bool,
    pub span: Span,
}

/// The scalar closure of a `map` (a `zip_map`), lowered as a function of its parameter (its
/// two parameters).
#[derive(Clone)]
pub struct ScalarFn {
    /// The closure's parameter name.
    pub param: Ident,
    /// A `zip_map` closure's second parameter.
    pub second: Option<Ident>,
    pub body: Body,
    /// Values of the enclosing body the closure reads (one per name: a value read under two
    /// names appears twice), each standing for `body.captured` at the same index.
    pub captures: Vec<ValueId>,
    /// The closure, for errors about it.
    pub span: Span,
    /// What its lowering could not understand: reported only if the `map` turns out to be
    /// differentiated (an iterator's `.map(..)` on constants is kept as written).
    pub errors: Vec<syn::Error>,
}

/// A variable carried around a loop.
#[derive(Clone)]
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
#[derive(Clone)]
pub struct Loop {
    /// The loop's pattern, renamed.
    pub pat: TokenStream,
    /// The values the pattern binds.
    pub pat_values: Vec<ValueId>,
    /// The iterated expression: a constant whose source is evaluated again by the reverse
    /// sweep.
    pub iter: ValueId,
    /// The iterations collected in a `Vec` (bound before the loop).
    pub iters: ValueId,
    /// The per-iteration saved values (bound before the loop).
    pub tape: ValueId,
    pub carried: Vec<Carried>,
    pub body: Vec<Step>,
    pub span: Span,
    /// The statement's attributes other than `#[cfg]`, carried onto the generated loop.
    pub attrs: Vec<Attribute>,
    /// Checkpointed (`#[grad(checkpoint)]`, a loop at the function's top level): the forward
    /// sweep keeps the carried variables every ⌈√T⌉ iterations (in place of its tape), and the
    /// reverse sweep replays each stretch of iterations from its saved state, keeping that
    /// stretch's tape only.
    pub checkpoint: bool,
}

/// What decides which arm of a branch runs.
#[derive(Clone)]
pub enum Head {
    /// `if cond`.
    If { cond: ValueId },
    /// `if let pat = scrutinee`: the first arm binds the pattern's values.
    IfLet {
        pat: TokenStream,
        scrutinee: ValueId,
    },
    /// `match scrutinee { pat if guard => .. }`: one arm each.
    Match {
        scrutinee: ValueId,
        arms: Vec<(TokenStream, Option<Expr>)>,
    },
    /// `#[cfg(pred)] statement`: the first arm is the statement, the second does nothing;
    /// which one runs is fixed when the crate compiles, and only that one is compiled (so the
    /// arms may give a variable different types). Both arms' saves are one binding; a
    /// variable the statement declares anew is a placeholder `()` in the second arm.
    Cfg { pred: TokenStream },
}

/// One arm of a branch.
#[derive(Clone)]
pub struct Arm {
    pub body: Vec<Step>,
    /// `Option` holding the arm's saved values, set when the arm runs.
    pub save: ValueId,
    /// The arm's value for each merged variable, in [`Branch::merged`] order.
    pub from: Vec<ValueId>,
    /// The values the arm's pattern binds (`if let`, `match`).
    pub bound: Vec<ValueId>,
}

/// A branch: `if`/`else`, `if let`, `match`, or a `#[cfg]` statement.
#[derive(Clone)]
pub struct Branch {
    pub head: Head,
    pub arms: Vec<Arm>,
    /// The merged values after the branch.
    pub merged: Vec<ValueId>,
    pub span: Span,
}

/// A statement kept as written (locals renamed): an item, a macro, a method call on a
/// constant, an assignment into part of a constant.
#[derive(Clone)]
pub struct Effect {
    pub tokens: TokenStream,
    /// The values whose entries it reads.
    pub reads: Vec<ValueId>,
    /// The values it names.
    pub mentions: Vec<ValueId>,
    /// The error if it reads a value that depends on a differentiated parameter.
    pub unsupported: Option<Unsupported>,
    /// The mutable variables it may change in place: (value before, value after).
    pub versions: Vec<(ValueId, ValueId)>,
}

/// A destructuring `let` of a constant: `let (a, b) = init;`.
#[derive(Clone)]
pub struct Destructure {
    /// The pattern, its names renamed to the bound values' names.
    pub pat: TokenStream,
    pub init: ValueId,
    pub bound: Vec<ValueId>,
}

/// One step of the forward sweep.
#[derive(Clone)]
pub enum Step {
    /// Compute a value.
    Value(ValueId),
    Effect(Effect),
    Destructure(Destructure),
    Loop(Box<Loop>),
    Branch(Box<Branch>),
}

/// A lowered function body.
#[derive(Clone)]
pub struct Body {
    pub values: Vec<Value>,
    pub steps: Vec<Step>,
    pub output: Option<ValueId>,
    /// In a `map` closure's body: the values it imports from the enclosing body, in the
    /// order of [`ScalarFn::captures`] (the enclosing body's values they stand for).
    pub captured: Vec<ValueId>,
    /// Values read after the sweeps besides the output (the value of `f_jvp` and `f_hvp`,
    /// whose output is the value's tangent): kept bound, useful, and never moved.
    pub kept: Vec<ValueId>,
}

impl Value {
    /// A value of `kind` bound to `name`, with nothing else known yet.
    pub fn new(kind: Kind, name: Ident, span: Span) -> Self {
        Value {
            kind,
            name,
            span,
            ty: None,
            mutable: false,
            label: None,
            named: false,
            source: None,
            borrowed: false,
            place: false,
            mentions: Vec::new(),
            attrs: Vec::new(),
        }
    }
}

impl Kind {
    /// The values whose adjoints this value's adjoint flows into (its differentiable inputs).
    pub fn inputs(&self) -> Vec<ValueId> {
        match self {
            Kind::Op { inputs, .. } | Kind::Opaque { inputs, .. } => inputs.clone(),
            Kind::Map { input, second, .. } => std::iter::once(*input).chain(*second).collect(),
            Kind::Call { args, .. } => args.iter().map(|a| a.value).collect(),
            Kind::Version { of } => vec![*of],
            Kind::Project { root, .. } => vec![*root],
            _ => Vec::new(),
        }
    }

    /// The values a kernel call of this value names: its operands, an operation's extras,
    /// what its completion reads (`.expect(msg)`'s message), a call's arguments.
    pub fn kernel_reads(&self) -> Vec<ValueId> {
        match self {
            Kind::Op {
                inputs,
                extras,
                completion,
                ..
            } => inputs
                .iter()
                .chain(extras)
                .copied()
                .chain(completion.reads())
                .collect(),
            Kind::Call {
                args, completion, ..
            } => args
                .iter()
                .map(|a| a.value)
                .chain(completion.reads())
                .collect(),
            Kind::Map { input, second, .. } => std::iter::once(*input).chain(*second).collect(),
            _ => Vec::new(),
        }
    }
}

impl Body {
    /// Every loop in the body, outermost first.
    pub fn loops(&self) -> Vec<&Loop> {
        let mut out = Vec::new();
        walk::regions(&self.steps, &mut |s| {
            if let Step::Loop(l) = s {
                out.push(&**l);
            }
        });
        out
    }

    /// Every branch in the body, outermost first.
    pub fn branches(&self) -> Vec<&Branch> {
        let mut out = Vec::new();
        walk::regions(&self.steps, &mut |s| {
            if let Step::Branch(b) = s {
                out.push(&**b);
            }
        });
        out
    }

    /// Every effect in the body.
    pub fn effects(&self) -> Vec<&Effect> {
        let mut out = Vec::new();
        walk::regions(&self.steps, &mut |s| {
            if let Step::Effect(e) = s {
                out.push(e);
            }
        });
        out
    }

    /// Whether the value is read after the sweeps: the output or a kept value.
    pub fn is_exit(&self, id: ValueId) -> bool {
        self.output == Some(id) || self.kept.contains(&id)
    }

    /// The id of the parameter named `ident`.
    pub fn param(&self, ident: &Ident) -> Option<ValueId> {
        self.values
            .iter()
            .position(|v| matches!(v.kind, Kind::Param { .. }) && v.name == *ident)
    }
}
