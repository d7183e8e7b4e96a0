//! The derivation: a function's forward equations and then its adjoint equations, in
//! mathematical notation, with the source's names (`F_DERIVATION`, `F_DERIVATION_LATEX`).
//!
//! Reads the lowered body (`ir`) and its activity (`analysis::activity`), as the code
//! generator does, and writes each active value's equation from the registry operation's
//! notation (`notation`): the forward equation of every named value the gradient flows
//! through, then in reverse order the adjoint of each, the sum of what its uses contribute.
//! Simplified as it is built (`term`): numeric factors folded (`r̄ = 2·l̄·r` with `l̄ = 1` is
//! `r̄ = 2·r`), double transposes removed, unnamed intermediates and pass-through adjoints
//! inlined, zero adjoints dropped. Loops are recurrences over t, run backwards for the
//! adjoints; branches are cases; calls go through the callee's pullback by name. The
//! registry's formula line of every operation used is listed at the end; an operation without
//! a notation is written `(∂y/∂x)ᵀ[ḡ]`, its formula line the only statement of its rule.

mod build;
#[cfg(test)]
mod eval;
mod inline;
mod notation;
#[cfg(test)]
mod numeric_tests;
#[cfg(test)]
mod property_tests;
mod regions;
pub mod render;
pub mod term;
#[cfg(test)]
mod tests;
mod text;

use crate::analysis::Activity;
use crate::ir::Body;
use crate::parse::Signature;
use term::{Term, Var};

pub use render::Style;

/// One line of a derivation.
#[derive(Clone, Debug, PartialEq)]
pub enum Line {
    /// `lhs = rhs`.
    Eq(Var, Term),
    /// `lhs += rhs`: an adjoint that a loop's later iteration began.
    AddEq(Var, Term),
    /// The start of a loop's or an arm's lines.
    Open(String),
    /// Their end.
    Close,
    /// A remark: words and terms.
    Note(Vec<Piece>),
}

/// A part of a remark.
#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    Words(String),
    Math(Term),
}

/// The derivation of one function.
#[derive(Clone, Debug, Default)]
pub struct Derivation {
    pub forward: Vec<Line>,
    pub adjoint: Vec<Line>,
    /// The registry's label and formula line of each operation the adjoints went through, in
    /// the order they were met (the last sweep's order).
    pub rules: Vec<(&'static str, &'static str)>,
    /// The differentiated parameters' adjoints (x̄), in the signature's order.
    pub gradients: Vec<Var>,
    /// Each differentiated parameter's adjoint with the intermediates substituted, where the
    /// body is straight code.
    pub inlined: Vec<(Var, Term)>,
}

/// The derivation of `body`, the function `sig`.
pub fn derive(body: &Body, sig: &Signature) -> Derivation {
    let activity = Activity::of(body);
    let mut d = build::Builder::new(body, &activity, sig).run();
    d.inlined = inline::gradients(&d);
    d
}

impl Derivation {
    /// The derivation as text, one equation per line.
    pub fn text(&self, style: Style) -> String {
        text::lines(self, style)
    }

    /// The inlined gradients as text, one per line.
    pub fn inlined_text(&self, style: Style) -> String {
        text::inlined(self, style)
    }
}
