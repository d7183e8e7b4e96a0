//! The attribute's arguments: `#[grad]`, `#[grad(x, w)]`, and `crate = path` for a facade
//! depended on under another name (as serde's `#[serde(crate = "..")]`).

use crate::error::Errors;
use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::Ident;

/// What the attribute says.
pub struct Args {
    /// The parameters named in `#[grad(...)]`; `None` when none are (differentiate all).
    pub wrt: Option<Vec<Ident>>,
    /// `crate = path`: the facade's path.
    pub krate: Option<syn::Path>,
    /// `forward`: also generate the forward and second-order companions (`f_jvp`, `f_hvp`,
    /// `f_hessian`, `f_jacobian`).
    pub forward: bool,
    /// `checkpoint`: the reverse sweep of each loop at the function's top level replays the
    /// loop from √T saved states instead of keeping every iteration (memory O(√T)).
    pub checkpoint: Option<Ident>,
    /// `workspace`: also generate `f_grad_with(&mut Workspace, ..)`, whose repeated calls
    /// reuse the buffers of earlier ones.
    pub workspace: Option<Ident>,
}

/// Whether `path` can name a module: no segment has generic arguments or is `Self`.
fn is_module_path(path: &syn::Path) -> bool {
    path.segments
        .iter()
        .all(|s| s.arguments.is_none() && s.ident != "Self")
}

/// Parses the attribute's tokens: parameter names and `crate = path`, separated by commas.
pub fn parse(tokens: TokenStream, errors: &mut Errors) -> Args {
    let mut args = Args {
        wrt: None,
        krate: None,
        forward: false,
        checkpoint: None,
        workspace: None,
    };
    let mut names: Vec<Ident> = Vec::new();
    for chunk in split_commas(tokens) {
        let mut it = chunk.clone().into_iter();
        match (it.next(), it.next()) {
            (Some(TokenTree::Ident(ident)), None) if ident == "forward" => {
                if args.forward {
                    errors.at(&ident, "`forward` is given twice");
                }
                args.forward = true;
            }
            (Some(TokenTree::Ident(ident)), None) if ident == "checkpoint" => {
                if args.checkpoint.is_some() {
                    errors.at(&ident, "`checkpoint` is given twice");
                }
                args.checkpoint = Some(ident);
            }
            (Some(TokenTree::Ident(ident)), None) if ident == "workspace" => {
                if args.workspace.is_some() {
                    errors.at(&ident, "`workspace` is given twice");
                }
                args.workspace = Some(ident);
            }
            (Some(TokenTree::Ident(ident)), None) => {
                if names.contains(&ident) {
                    errors.at(
                        &ident,
                        format_args!("`{ident}` is named twice; name each parameter once, e.g. `#[grad({ident})]`"),
                    );
                } else {
                    names.push(ident);
                }
            }
            (Some(TokenTree::Ident(kw)), Some(TokenTree::Punct(eq)))
                if kw == "crate" && eq.as_char() == '=' =>
            {
                let rest: TokenStream = it.collect();
                match syn::parse2::<syn::Path>(rest.clone()) {
                    Ok(p) if !is_module_path(&p) => errors.at(
                        &rest,
                        "`crate = ..` names a crate or module by a path without generic arguments or `Self`, \
                         e.g. `#[grad(x, crate = ad)]`",
                    ),
                    Ok(p) if args.krate.is_none() => args.krate = Some(p),
                    Ok(_) => errors.at(&chunk, "`crate = ..` is given twice"),
                    Err(_) => errors.at(
                        if rest.is_empty() { chunk.clone() } else { rest },
                        "`crate = ..` names the path of the `matgrad` crate, e.g. `#[grad(x, crate = ad)]`",
                    ),
                }
            }
            _ => errors.at(
                &chunk,
                "expected the names of parameters to differentiate, separated by commas: \
                 `#[grad]` for all of them, or e.g. `#[grad(x, w)]` (and optionally `forward`, \
                 `checkpoint`, `workspace`, `crate = path`)",
            ),
        }
    }
    if !names.is_empty() {
        args.wrt = Some(names);
    }
    args
}

/// The comma-separated parts of `tokens`; an empty part (`x,,y`) is the lone comma, so that
/// it is reported. A trailing comma is allowed.
fn split_commas(tokens: TokenStream) -> Vec<TokenStream> {
    let mut out = Vec::new();
    let mut current = TokenStream::new();
    for tt in tokens {
        match &tt {
            TokenTree::Punct(p) if p.as_char() == ',' => {
                if current.is_empty() {
                    current = p.to_token_stream();
                }
                out.push(std::mem::take(&mut current));
            }
            _ => current.extend([tt]),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn names_and_crate_path() {
        let mut e = Errors::default();
        let a = parse(quote!(x, w, crate = ::ad), &mut e);
        assert!(e.is_empty());
        let wrt: Vec<String> = a.wrt.unwrap().iter().map(|i| i.to_string()).collect();
        assert_eq!(wrt, ["x", "w"]);
        assert_eq!(a.krate.unwrap().to_token_stream().to_string(), ":: ad");
    }

    #[test]
    fn bare_and_crate_only_differentiate_everything() {
        let mut e = Errors::default();
        assert!(parse(quote!(), &mut e).wrt.is_none());
        assert!(parse(quote!(crate = ad), &mut e).wrt.is_none());
        assert!(e.is_empty());
    }

    #[test]
    fn malformed_arguments_are_errors() {
        for bad in [
            quote!(x y),
            quote!(x, x),
            quote!(1),
            quote!(crate =),
            quote!(x,,y),
        ] {
            let mut e = Errors::default();
            parse(bad.clone(), &mut e);
            assert!(!e.is_empty(), "{bad}");
        }
    }
}
