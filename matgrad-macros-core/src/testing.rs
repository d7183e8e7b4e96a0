//! Helpers of the stages' unit tests: a function's source through the pipeline's stages.

use crate::emit::Context;
use crate::error::Errors;
use crate::ir::{Body, Kind, ValueId};
use crate::names::Names;
use crate::parse::{self, Signature};
use quote::ToTokens;

/// The signature and the lowered body of `source` (a function, with `#[grad]`'s argument
/// list `args`), and the messages of the errors reported on the way.
pub fn lowered(args: &str, source: &str) -> (Signature, Body, Vec<String>) {
    let func: syn::ItemFn = syn::parse_str(source).expect("a function");
    let mut errors = Errors::default();
    let args = parse::args::parse(args.parse().expect("tokens"), &mut errors);
    let sig = parse::signature::analyze(&func, &args, &mut errors);
    let mut names = Names::for_item(&func.to_token_stream());
    let body = crate::lower::lower(
        &func.block,
        &sig,
        &mut names,
        &mut errors,
        &Context::default(),
    );
    (sig, body, errors.messages())
}

/// [`lowered`] with no error expected.
pub fn body(source: &str) -> Body {
    let (_, body, errors) = lowered("", source);
    assert!(errors.is_empty(), "{errors:?}");
    body
}

/// The value the user's variable `label` last named.
pub fn named(body: &Body, label: &str) -> ValueId {
    body.values
        .iter()
        .rposition(|v| v.label.as_deref() == Some(label) && !matches!(v.kind, Kind::Bound { .. }))
        .unwrap_or_else(|| panic!("no value named `{label}`"))
}

/// The expansion of `#[grad(args)]` on `source`, as text.
pub fn expanded(args: &str, source: &str) -> String {
    crate::expand_grad(
        args.parse().expect("tokens"),
        source.parse().expect("tokens"),
        &Context::default(),
    )
    .to_string()
}
