//! The attribute's arguments: `#[grad]` or `#[grad(x, w)]`.

use crate::error::Errors;
use proc_macro2::{TokenStream, TokenTree};
use syn::Ident;

/// The parameters named in `#[grad(...)]`; `None` for a bare `#[grad]` (differentiate all).
pub struct Args {
    pub wrt: Option<Vec<Ident>>,
}

/// Parses the attribute's tokens: a comma-separated list of parameter names.
pub fn parse(tokens: TokenStream, errors: &mut Errors) -> Args {
    if tokens.is_empty() {
        return Args { wrt: None };
    }
    let mut names: Vec<Ident> = Vec::new();
    let mut expect_name = true;
    for tt in tokens {
        match (&tt, expect_name) {
            (TokenTree::Ident(ident), true) => {
                if names.contains(ident) {
                    errors.at(
                        ident,
                        format_args!("`{ident}` is named twice; name each parameter once, e.g. `#[grad({ident})]`"),
                    );
                } else {
                    names.push(ident.clone());
                }
                expect_name = false;
            }
            (TokenTree::Punct(p), false) if p.as_char() == ',' => expect_name = true,
            _ => {
                errors.at(
                    &tt,
                    "expected the names of parameters to differentiate, separated by commas: \
                     `#[grad]` for all of them, or e.g. `#[grad(x, w)]`",
                );
                // Differentiate everything, so the one mistake gives one error.
                return Args { wrt: None };
            }
        }
    }
    Args { wrt: Some(names) }
}
