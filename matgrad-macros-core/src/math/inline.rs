//! The gradients with the intermediates substituted: each differentiated parameter's adjoint
//! as one expression in the parameters and constants (`x̄ = 2·aᵀ·(a·x − b)`), for straight
//! code whose substituted terms stay small.

use super::term::{rebuild, Term, Var};
use super::{Derivation, Line};
use std::collections::HashMap;

/// The most nodes an inlined term may have: past it (a long function's shared values written
/// out again at every use) no inlined form is given.
const MOST_NODES: usize = 400;

/// Each gradient's inlined term; none where the body has loops or branches, or where a
/// substituted term grows past [`MOST_NODES`].
pub fn gradients(d: &Derivation) -> Vec<(Var, Term)> {
    let lines = || d.forward.iter().chain(&d.adjoint);
    if lines().any(|l| matches!(l, Line::Open(_) | Line::AddEq(..))) {
        return Vec::new();
    }
    // Each definition substituted once, in order, from the ones before it.
    let mut defined: HashMap<String, Term> = HashMap::new();
    let key = |v: &Var| super::render::var(v, super::Style::Unicode);
    let mut out = Vec::new();
    for l in lines() {
        let Line::Eq(v, t) = l else { continue };
        let inlined = rebuild(t, &|w| defined.get(&key(w)).cloned());
        if nodes(&inlined) > MOST_NODES || cites(&inlined) {
            return Vec::new();
        }
        if d.gradients.contains(v) {
            out.push((v.clone(), inlined));
        } else {
            defined.insert(key(v), inlined);
        }
    }
    out
}

/// Whether `t` holds a pullback the notation does not know (`(∂y/∂x)ᵀ[ḡ]`): substituted,
/// it says nothing the lines do not.
fn cites(t: &Term) -> bool {
    match t {
        Term::Pullback { .. } => true,
        Term::Num(_) | Term::Var(_) | Term::Text(_) => false,
        Term::Sum(ts) => ts.iter().any(|(_, t)| cites(t)),
        Term::Prod(_, fs) | Term::Apply(_, fs) | Term::Call(_, fs, _) => fs.iter().any(cites),
        Term::Frac(a, b) | Term::Had(a, b) | Term::HadDiv(a, b) => cites(a) || cites(b),
        Term::T(a) | Term::Pow(a, _) => cites(a),
        Term::Cases(arms) => arms.iter().any(|(_, t)| cites(t)),
    }
}

/// The number of nodes of `t`.
fn nodes(t: &Term) -> usize {
    let many = |ts: &[Term]| ts.iter().map(nodes).sum::<usize>();
    1 + match t {
        Term::Num(_) | Term::Var(_) | Term::Text(_) => 0,
        Term::Sum(ts) => ts.iter().map(|(_, t)| nodes(t)).sum(),
        Term::Prod(_, fs) => many(fs),
        Term::Frac(a, b) | Term::Had(a, b) | Term::HadDiv(a, b) => nodes(a) + nodes(b),
        Term::T(a) | Term::Pow(a, _) => nodes(a),
        Term::Apply(_, args) | Term::Call(_, args, _) => many(args),
        Term::Cases(arms) => arms.iter().map(|(_, t)| nodes(t)).sum(),
        Term::Pullback { y, x, g } => nodes(y) + nodes(x) + nodes(g),
    }
}
