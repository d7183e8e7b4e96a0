//! Stage 5: the unchanged function, then its companions:
//!
//! - `struct <Name>Grad`: the gradient, one field per differentiated parameter;
//! - `fn <name>_grad(..) -> (value, <Name>Grad)`, for float-valued functions (for others a
//!   bound makes calling it a clear error);
//! - `fn <name>_pullback(..) -> (value, impl Fn(&cotangent) -> <Name>Grad)`;
//! - `const <NAME>_GRAPH: &str`, the computation graph in Graphviz DOT;
//! - `const <NAME>_DERIVATION: &str` and `<NAME>_DERIVATION_LATEX`, the derivative's forward
//!   and adjoint equations in mathematical notation (`math`), also in the companions' docs;
//! - a hidden `struct <name> {}` whose `vjp` lets other `#[grad]` functions call this one.

mod companions;
pub mod context;
mod derivation;
mod drivers;
mod fallible;
mod forward;
mod gradient;
pub mod graph;
mod items;
pub mod rule;
pub mod tangent_rule;
mod workspace;
mod wrappers;

pub use context::Context;

use crate::analysis::{self, Tables};
use crate::codegen::Locals;
use crate::error::Errors;
use crate::lower;
use crate::names::Names;
use crate::parse::{self, Signature};
use companions::Companions;
use proc_macro2::TokenStream;
use quote::quote;

/// The expansion of `#[grad(args)]` on `item`: the item unchanged, plus its companions or
/// compile errors. Never panics.
pub fn expand(args: TokenStream, item: TokenStream, context: &Context) -> TokenStream {
    let mut errors = Errors::default();
    let func = match parse::function(item.clone(), "#[grad]") {
        Ok(f) => f,
        Err(tokens) => return tokens,
    };
    let args = parse::args::parse(args, &mut errors);
    if let Some(message) = context.unsupported_position(&func) {
        errors.at(&func.sig.ident, message);
        let e = errors.into_compile_errors();
        return quote!(#func #e);
    }
    let sig = parse::signature::analyze(&func, &args, &mut errors);
    if !errors.is_empty() {
        // The signature is wrong: its errors say so, and the body's would only repeat them.
        let e = errors.into_compile_errors();
        return quote!(#func #e);
    }
    let mut names = Names::for_item(&item);
    let body = lower::lower(&func.block, &sig, &mut names, &mut errors, context);
    if errors.is_empty() {
        analysis::check(&body, &mut errors);
    }
    if !errors.is_empty() {
        let e = errors.into_compile_errors();
        return quote!(#func #e);
    }
    let krate = match &args.krate {
        Some(p) => quote!(#p),
        None => context.krate.clone(),
    };
    let locals = Locals::new(&mut names);
    let mut body = body;
    let owned = Tables::of(&body, true);
    let shared = Tables::of(&body, false);
    // The tangent program reads values that the reverse companions' aliases would shadow:
    // it starts from the body as lowered (a copy, where there are aliases), and each forward
    // companion takes its own aliases.
    let renames = analysis::aliases::cfg_renames(&body, &shared);
    let lowered = (args.forward && !renames.is_empty()).then(|| body.clone());
    analysis::aliases::rename(&mut body, &renames);
    let companions = Companions::new(&func, &sig, &body, &krate);
    let mut out = companions.emit(&owned, &shared, &mut names, &locals);
    if args.workspace.is_some() {
        out.extend(companions.workspace_fns(&owned, &mut names, &locals));
    }
    if args.forward {
        let primal = lowered.as_ref().unwrap_or(&body);
        out.extend(companions.forward_companions(primal, &mut names, &locals));
    } else {
        out.extend(tangent_rule::no_tangent(&func, sig.params.len(), &krate));
    }
    quote!(#func #out)
}

/// The parameters' and gradient's names, for docs.
fn differentiated_list(sig: &Signature) -> String {
    sig.params
        .iter()
        .filter(|p| p.differentiated)
        .filter_map(|p| p.ident.as_ref().map(|i| format!("`{i}`")))
        .collect::<Vec<_>>()
        .join(", ")
}
