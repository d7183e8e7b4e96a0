//! The derivation's builder: names and shapes of the values, the forward equations, and the
//! reverse pass over straight code (loops, branches and closures in `regions`).

use super::notation::{self, Operands};
use super::term::*;
use super::{Derivation, Line, Piece};
use crate::analysis::Activity;
use crate::ir::{Body, Kind, Source, Step, ValueId};
use crate::ops::Op;
use crate::parse::types::TypeClass;
use crate::parse::{Output, Signature};
use quote::ToTokens;
use std::collections::HashMap;

/// What the builder knows of a value's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    Scalar,
    Row,
    Column,
    Other,
}

pub(super) struct Builder<'a> {
    pub body: &'a Body,
    pub activity: &'a Activity,
    pub shapes: Vec<Shape>,
    /// The variable each named value is written as; an unnamed value is inlined.
    pub display: Vec<Option<Var>>,
    /// What each value's uses contribute to its adjoint, so far.
    pub contributions: Vec<Vec<Term>>,
    /// Terms standing for values of an enclosing body (a closure's parameters and captures).
    pub env: HashMap<ValueId, Term>,
    /// The differentiated parameters, in the signature's order.
    params: Vec<ValueId>,
    /// Whether the function returns a float (its adjoint seeded with 1).
    float_output: bool,
    /// A `map` closure's body: its operations apply entry by entry.
    pub entrywise: bool,
    pub out: Derivation,
}

impl<'a> Builder<'a> {
    pub fn new(body: &'a Body, activity: &'a Activity, sig: &Signature) -> Self {
        let params: Vec<ValueId> = (0..body.values.len())
            .filter(|&id| {
                matches!(
                    body.values[id].kind,
                    Kind::Param {
                        differentiated: true,
                        ..
                    }
                )
            })
            .collect();
        let mut b = Builder::bare(body, activity);
        b.params = params;
        b.float_output = sig.output == Output::Float;
        b.entrywise = false;
        b.shapes = shapes(body, sig);
        b.display = super::regions::display_names(&b);
        if let Some(o) = body.output {
            if b.display[o].is_none() {
                let taken = |n: &str| body.values.iter().any(|v| v.label.as_deref() == Some(n));
                let name = match (b.float_output, taken("l"), taken("y")) {
                    (true, false, _) => "l",
                    (false, _, false) => "y",
                    _ => "f",
                };
                b.display[o] = Some(Var::new(name, b.shapes[o] == Shape::Scalar));
            }
        }
        b
    }

    /// A builder with nothing named: a closure's body, every value inlined.
    pub fn bare(body: &'a Body, activity: &'a Activity) -> Self {
        let n = body.values.len();
        Builder {
            body,
            activity,
            shapes: vec![Shape::Scalar; n],
            display: vec![None; n],
            contributions: vec![Vec::new(); n],
            env: HashMap::new(),
            params: Vec::new(),
            float_output: true,
            entrywise: true,
            out: Derivation::default(),
        }
    }

    pub fn active(&self, id: ValueId) -> bool {
        self.activity.active(id)
    }

    /// The forward and adjoint equations.
    pub fn run(mut self) -> Derivation {
        let body = self.body;
        self.forward_steps(&body.steps);
        if let Some(o) = body.output.filter(|&o| self.active(o)) {
            let var = self.var_of(o);
            let seed = if self.float_output {
                self.out.adjoint.push(Line::Eq(var.bar(), num(1.0)));
                num(1.0)
            } else {
                self.out.adjoint.push(Line::Note(vec![
                    Piece::Math(Term::Var(var.bar())),
                    Piece::Words(": the cotangent given to the pullback".into()),
                ]));
                Term::Var(var.bar())
            };
            self.contributions[o].push(seed);
        }
        self.reverse_steps(&body.steps);
        for &p in &self.params.clone() {
            let total = sum(self.take(p));
            let var = self.var_of(p);
            self.out.gradients.push(var.bar());
            self.out.adjoint.push(Line::Eq(var.bar(), total));
        }
        self.out
    }

    /// The variable `id` is written as: its name, or its binding's for a value the source does
    /// not name (a parameter bound by a pattern).
    fn var_of(&self, id: ValueId) -> Var {
        self.display[id].clone().unwrap_or_else(|| {
            let scalar = self.shapes[id] == Shape::Scalar;
            Var::new(&self.body.values[id].name.to_string(), scalar)
        })
    }

    /// The forward equations of `steps`.
    pub fn forward_steps(&mut self, steps: &[Step]) {
        for step in steps {
            match step {
                Step::Value(id) => {
                    let id = *id;
                    if let (true, Some(var)) = (self.active(id), self.display[id].clone()) {
                        let t = self.build(id);
                        self.out.forward.push(Line::Eq(var, t));
                    }
                }
                Step::Loop(l) => self.forward_loop(l),
                Step::Branch(b) => self.forward_branch(b),
                Step::Effect(_) | Step::Destructure(_) => {}
            }
        }
    }

    /// The adjoint equations of `steps`, last step first.
    pub fn reverse_steps(&mut self, steps: &[Step]) {
        for step in steps.iter().rev() {
            match step {
                Step::Value(id) => self.pull(*id),
                Step::Loop(l) => self.reverse_loop(l),
                Step::Branch(b) => self.reverse_branch(b),
                Step::Effect(_) | Step::Destructure(_) => {}
            }
        }
    }

    /// The contributions to `id`'s adjoint so far, taken.
    pub fn take(&mut self, id: ValueId) -> Vec<(bool, Term)> {
        std::mem::take(&mut self.contributions[id])
            .into_iter()
            .map(|t| (false, t))
            .collect()
    }

    /// `id`'s adjoint: its equation written where it is named, and what it passes on.
    pub fn pull(&mut self, id: ValueId) {
        if !self.active(id) {
            return;
        }
        if let Some(g) = self.settle(id) {
            self.propagate(id, &g);
        }
    }

    /// The term of `id`'s adjoint, its equation written where `id` is named; `None` for a zero
    /// adjoint.
    pub fn settle(&mut self, id: ValueId) -> Option<Term> {
        let total = sum(self.take(id));
        if total.is_zero() {
            return None;
        }
        let Some(var) = self.display[id].clone() else {
            return Some(total);
        };
        let bar = var.bar();
        match total {
            // A pass-through adjoint: written where it is used.
            Term::Num(_) => Some(total),
            Term::Var(ref v) if *v != bar => Some(total),
            // A loop's carried adjoint, begun by a later iteration, with nothing added.
            Term::Var(_) => Some(Term::Var(bar)),
            Term::Sum(ts) if ts.contains(&(false, Term::Var(bar.clone()))) => {
                let rest = ts
                    .into_iter()
                    .filter(|t| *t != (false, Term::Var(bar.clone())))
                    .collect();
                self.out.adjoint.push(Line::AddEq(bar.clone(), sum(rest)));
                Some(Term::Var(bar))
            }
            total => {
                self.out.adjoint.push(Line::Eq(bar.clone(), total));
                Some(Term::Var(bar))
            }
        }
    }

    /// What `id`, of adjoint `g`, contributes to its operands' adjoints.
    pub fn propagate(&mut self, id: ValueId, g: &Term) {
        let body = self.body;
        match &body.values[id].kind {
            Kind::Op {
                op, inputs, extras, ..
            } => {
                let (terms, extras) = self.operand_terms(inputs, extras);
                let factored = self.factored(*op, inputs);
                let operands = Operands {
                    row: self.broadcast_row(inputs),
                    ..self.operands(&terms, &extras, factored.as_ref())
                };
                let y = self.term(id);
                self.cite_rule(*op);
                for (i, &input) in inputs.iter().enumerate() {
                    if !self.active(input) {
                        continue;
                    }
                    let c = notation::adjoint(*op, i, g, &operands, &y)
                        .unwrap_or_else(|| self.cite(*op, &y, &terms[i], g));
                    self.contributions[input].push(c);
                }
            }
            Kind::Map { .. } => self.map_adjoint(id, g),
            Kind::Call { callee, args, .. } => {
                let name = format!("{}_pullback", callee_name(callee));
                for (k, a) in args.iter().enumerate() {
                    if self.active(a.value) {
                        let c = Term::Call(name.clone(), vec![g.clone()], Some(k + 1));
                        self.contributions[a.value].push(c);
                    }
                }
            }
            Kind::Version { of } => self.contributions[*of].push(g.clone()),
            Kind::Project { root, place, .. } => {
                let place = clean(&place.to_token_stream().to_string());
                let c = Term::Call(format!("at {place}"), vec![g.clone()], None);
                self.contributions[*root].push(c);
            }
            _ => {}
        }
    }

    /// Lists `op`'s registry formula among the rules the derivation used.
    fn cite_rule(&mut self, op: Op) {
        let spec = op.spec();
        let rule = (spec.label, spec.formula);
        if !self.out.rules.contains(&rule) {
            self.out.rules.push(rule);
        }
    }

    /// `(∂y/∂x)ᵀ[ḡ]` for an operation the notation does not know (its formula is among the
    /// rules cited).
    fn cite(&mut self, op: Op, y: &Term, x: &Term, g: &Term) -> Term {
        self.cite_rule(op);
        Term::Pullback {
            y: Box::new(y.clone()),
            x: Box::new(x.clone()),
            g: Box::new(g.clone()),
        }
    }

    /// The term standing for `id` where it is read: its variable, or its inlined expression.
    pub fn term(&self, id: ValueId) -> Term {
        if let Some(t) = self.env.get(&id) {
            return t.clone();
        }
        match &self.display[id] {
            Some(v) => Term::Var(v.clone()),
            None => self.build(id),
        }
    }

    /// The terms of an operation's operands and of its extras.
    fn operand_terms(&self, inputs: &[ValueId], extras: &[ValueId]) -> (Vec<Term>, Vec<Term>) {
        let terms = |ids: &[ValueId]| ids.iter().map(|&i| self.term(i)).collect();
        (terms(inputs), terms(extras))
    }

    /// An operation's terms as the notation takes them.
    fn operands<'t>(
        &self,
        inputs: &'t [Term],
        extras: &'t [Term],
        factored: Option<&'t Term>,
    ) -> Operands<'t> {
        Operands {
            inputs,
            extras,
            row: None,
            entrywise: self.entrywise,
            factored,
        }
    }

    /// The matrix whose factorisation (`cholesky()`, `lu()`, `qr()`, `col_piv_qr()`) a solve
    /// or a log-determinant reads as its first operand, where it is in sight.
    fn factored(&self, op: Op, inputs: &[ValueId]) -> Option<Term> {
        if !matches!(op, Op::Solve | Op::LnDeterminant) {
            return None;
        }
        let mut id = *inputs.first()?;
        while let Kind::Version { of } = self.body.values[id].kind {
            id = of;
        }
        match &self.body.values[id].kind {
            Kind::Op {
                op: Op::Cholesky | Op::Lu | Op::Qr | Op::ColPivQr,
                inputs,
                ..
            } => Some(self.term(inputs[0])),
            _ => None,
        }
    }

    /// Whether a broadcast's second operand is known to be a row or a column.
    fn broadcast_row(&self, inputs: &[ValueId]) -> Option<bool> {
        match self.shapes[*inputs.get(1)?] {
            Shape::Row => Some(true),
            Shape::Column => Some(false),
            _ => None,
        }
    }

    /// `id`'s expression from its operands.
    pub fn build(&self, id: ValueId) -> Term {
        let v = &self.body.values[id];
        match &v.kind {
            Kind::Op {
                op, inputs, extras, ..
            } => {
                let (terms, extras) = self.operand_terms(inputs, extras);
                let factored = self.factored(*op, inputs);
                let operands = self.operands(&terms, &extras, factored.as_ref());
                notation::value(*op, &operands).unwrap_or_else(|| {
                    let mut args = terms.clone();
                    args.extend(extras);
                    Term::Call(op.spec().label.to_string(), args, None)
                })
            }
            Kind::Opaque { .. } => match &v.source {
                Some(Source::Expr(e)) => constant(e),
                _ => Term::Text(v.name.to_string()),
            },
            Kind::Map { .. } => self.map_value(id),
            Kind::Call { callee, args, .. } => Term::Call(
                callee_name(callee),
                args.iter().map(|a| self.term(a.value)).collect(),
                None,
            ),
            Kind::Project { place, .. } => Term::Text(clean(&place.to_token_stream().to_string())),
            Kind::Version { of } => self.term(*of),
            _ => Term::Text(v.label.clone().unwrap_or_else(|| v.name.to_string())),
        }
    }
}

/// A constant the registry does not know: a number, or the source's text.
fn constant(e: &syn::Expr) -> Term {
    if let syn::Expr::Lit(l) = e {
        match &l.lit {
            syn::Lit::Float(f) => {
                if let Ok(n) = f.base10_parse::<f64>() {
                    return num(n);
                }
            }
            syn::Lit::Int(i) => {
                if let Ok(n) = i.base10_parse::<i64>() {
                    return num(n as f64);
                }
            }
            _ => {}
        }
    }
    if let syn::Expr::Paren(p) = e {
        return constant(&p.expr);
    }
    if let syn::Expr::Unary(syn::ExprUnary {
        op: syn::UnOp::Neg(_),
        expr,
        ..
    }) = e
    {
        if let Term::Num(n) = constant(expr) {
            return num(-n);
        }
    }
    Term::Text(clean(&e.to_token_stream().to_string()))
}

/// A callee's name as written, without `::vjp`.
fn callee_name(callee: &proc_macro2::TokenStream) -> String {
    clean(&callee.to_string())
        .trim_end_matches("::vjp")
        .to_string()
}

/// Token text with the spaces `to_string` puts around punctuation removed where code has none.
pub(super) fn clean(s: &str) -> String {
    let mut out = s.to_string();
    for (from, to) in [
        (" . ", "."),
        (" (", "("),
        ("( ", "("),
        (" )", ")"),
        (" ,", ","),
        (" [", "["),
        ("[ ", "["),
        (" ]", "]"),
        ("& ", "&"),
        (" :: ", "::"),
        (":: ", "::"),
        ("! (", "!("),
    ] {
        out = out.replace(from, to);
    }
    out
}

/// What each value's shape is known to be.
fn shapes(body: &Body, sig: &Signature) -> Vec<Shape> {
    let mut shapes = vec![Shape::Other; body.values.len()];
    // Twice: a loop's carried values are known after the loop's body is.
    for _ in 0..2 {
        shape_pass(body, sig, &mut shapes);
        super::regions::carried_shapes(&body.steps, &mut shapes);
    }
    shapes
}

/// One pass of [`shapes`] over the values in order.
fn shape_pass(body: &Body, sig: &Signature, shapes: &mut [Shape]) {
    let mut params = sig.params.iter();
    for (id, v) in body.values.iter().enumerate() {
        shapes[id] = match &v.kind {
            Kind::Param { .. } => match params.next() {
                Some(p) if p.class == TypeClass::Float => Shape::Scalar,
                Some(p) => type_shape(&p.value_ty.to_token_stream().to_string()),
                None => Shape::Other,
            },
            Kind::Op { op, inputs, .. } => op_shape(*op, inputs, shapes),
            Kind::Opaque { .. } => match (&v.source, &v.ty) {
                (_, Some(t)) => type_shape(&t.to_token_stream().to_string()),
                (Some(Source::Expr(e)), _) => match constant(e) {
                    Term::Num(_) => Shape::Scalar,
                    Term::Text(t) if t.ends_with("as f64") || t.ends_with("as f32") => {
                        Shape::Scalar
                    }
                    _ => Shape::Other,
                },
                _ => Shape::Other,
            },
            Kind::Map { input, .. } | Kind::Version { of: input } => shapes[*input],
            _ => shapes[id],
        };
    }
}

/// The shape a type's name says.
fn type_shape(ty: &str) -> Shape {
    let ty = ty.trim_start_matches('&').trim();
    if ty == "f64" || ty == "f32" {
        Shape::Scalar
    } else if ty.starts_with("Row") {
        Shape::Row
    } else if ["DVector", "Vector", "SVector"]
        .iter()
        .any(|p| ty.starts_with(p))
    {
        Shape::Column
    } else {
        Shape::Other
    }
}

/// The shape of `op`'s result.
fn op_shape(op: Op, inputs: &[ValueId], shapes: &[Shape]) -> Shape {
    use Op::*;
    let of = |k: usize| inputs.get(k).map_or(Shape::Other, |&i| shapes[i]);
    let all_scalar = inputs.iter().all(|&i| shapes[i] == Shape::Scalar);
    match op {
        Dot | Sum | NormSquared | Norm | Trace | Determinant | LnDeterminant | Mean | Variance
        | MaxEntry | MinEntry | MaxAbs | MinAbs => Shape::Scalar,
        RowSum | RowMean | RowVariance => Shape::Row,
        ColumnSum | ColumnMean | ColumnVariance | RowSumTr | RowMeanTr | RowVarianceTr
        | Diagonal => Shape::Column,
        Transpose => match of(0) {
            Shape::Row => Shape::Column,
            Shape::Column => Shape::Row,
            s => s,
        },
        _ if op.spec().domain == crate::ops::Domain::Scalar => Shape::Scalar,
        _ if all_scalar && !inputs.is_empty() => Shape::Scalar,
        Mul | Scale | Div if of(0) == Shape::Scalar => of(1),
        Mul | Scale | Div | Neg | Identity | Tanh | Abs | Add | Sub | ComponentMul
        | ComponentDiv | BroadcastAdd | BroadcastSub | BroadcastMul | BroadcastDiv | AddScalar => {
            of(0)
        }
        _ => Shape::Other,
    }
}
