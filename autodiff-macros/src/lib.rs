//! The `#[grad]` attribute: source-to-source reverse-mode automatic differentiation of
//! functions over nalgebra matrices, done while the crate compiles.
//!
//! Use it through the `autodiff` facade crate, whose documentation describes the generated
//! API. This crate is the macro's implementation, organised as its pipeline:
//!
//! - [`args`]: the attribute's arguments (which parameters to differentiate),
//! - [`signature`]: the annotated function's parameters and return type,
//! - [`ir`]: the body lowered to single-assignment values, with activity analysis,
//! - [`emit`]: the forward sweep, the reverse (adjoint) sweep and the gradient struct,
//! - [`error`]: collected, spanned compile errors.

mod args;
mod emit;
mod error;
mod ir;
mod names;
mod ops;
mod rename;
mod signature;

use proc_macro::TokenStream;

/// Generates `<name>_grad`, returning the value and the gradient of every differentiated
/// parameter, beside the unchanged function. See the `autodiff` crate for the full story.
#[proc_macro_attribute]
pub fn grad(args: TokenStream, item: TokenStream) -> TokenStream {
    emit::expand(args.into(), item.into()).into()
}
