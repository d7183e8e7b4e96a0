//! The `#[grad]` attribute: source-to-source reverse-mode automatic differentiation of
//! functions over nalgebra matrices, done while the crate compiles.
//!
//! Use it through the `autodiff` facade crate, whose documentation describes the generated
//! API. This crate is the macro's implementation, organised as its pipeline:
//!
//! - `args`: the attribute's arguments (which parameters to differentiate),
//! - `signature`: the annotated function's parameters and return type,
//! - `lower` (with `scan`, `rename`): the body lowered to the `ir`, single-assignment values
//!   in nested regions (loops, branches), with activity analysis,
//! - `sweep`: the forward sweep and the reverse (adjoint) sweep,
//! - `emit`: the companions (gradient struct, `_grad`, `_pullback`, `vjp`), and `graph`,
//! - `error`: collected, spanned compile errors.

mod args;
mod emit;
mod error;
#[cfg(test)]
mod expansion_cost;
mod graph;
mod ir;
mod lower;
mod names;
mod ops;
mod rename;
mod rule;
mod scan;
mod signature;
mod sweep;

use proc_macro::TokenStream;

/// Generates `<name>_grad`, returning the value and the gradient of every differentiated
/// parameter, beside the unchanged function. See the `autodiff` crate for the full story.
#[proc_macro_attribute]
pub fn grad(args: TokenStream, item: TokenStream) -> TokenStream {
    emit::expand(args.into(), item.into()).into()
}

/// Attaches a hand-written derivative to a function, so that `#[grad]` code calling it uses
/// the rule instead of differentiating the body. See the `autodiff` crate for the rule's
/// signature.
#[proc_macro_attribute]
pub fn vjp(args: TokenStream, item: TokenStream) -> TokenStream {
    rule::expand(args.into(), item.into()).into()
}
