//! The logic of the `#[grad]` and `#[vjp]` attributes, as an ordinary library so that every
//! stage has unit tests and whole expansions have snapshot tests. `matgrad-macros` is a
//! thin proc-macro shim over [`expand_grad`] and [`expand_vjp`].
//!
//! The pipeline, one module a stage, each reading only its predecessor's output:
//!
//! 1. [`parse`]: the attribute's arguments and the function's signature;
//! 2. [`lower`]: the body to the [`ir`], single-assignment values in loop and branch
//!    regions, each an operation of the [`ops`] registry or an expression kept as written;
//! 3. [`analysis`]: side tables (which values depend on a differentiated parameter and reach
//!    the output, what the reverse sweep reads, which buffers can be reused, which products
//!    wait for the end of a loop), and the errors for what cannot be differentiated;
//!    [`tangent`] (for forward mode and second order): the body's tangent program, a body
//!    like any other;
//! 4. [`codegen`]: the forward and reverse sweeps, from the IR and the tables; [`math`]:
//!    the derivation, the same derivative as equations in mathematical notation;
//! 5. [`emit`]: the companions (`_grad`, `_pullback`, the gradient struct, `vjp`, the graph,
//!    the derivation's constants).
//!
//! [`derive`] holds `#[derive(Differentiable)]`, which reads a struct, not a function body.

pub mod analysis;
pub mod codegen;
pub mod derive;
pub mod emit;
pub mod error;
pub mod ir;
pub mod lower;
pub mod math;
pub mod names;
pub mod ops;
pub mod parse;
pub mod tangent;
#[cfg(test)]
mod testing;

pub use emit::Context;

/// The expansion of `#[grad(args)]` on `item`.
pub fn expand_grad(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
    context: &Context,
) -> proc_macro2::TokenStream {
    emit::expand(args, item, context)
}

/// The expansion of `#[vjp(args)]` on `item`.
pub fn expand_vjp(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
    context: &Context,
) -> proc_macro2::TokenStream {
    emit::rule::expand(args, item, context)
}

/// The expansion of `#[jvp(rule)]` on `item`.
pub fn expand_jvp(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
    context: &Context,
) -> proc_macro2::TokenStream {
    emit::tangent_rule::expand(args, item, context)
}

/// The expansion of `#[derive(Differentiable)]` on `item`.
pub fn expand_derive(
    item: proc_macro2::TokenStream,
    context: &Context,
) -> proc_macro2::TokenStream {
    derive::expand(item, context)
}
