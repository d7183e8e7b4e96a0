//! Attributes on statements: `#[cfg]` (and `#[cfg_attr]` that yields one) makes the
//! statement a branch fixed when the crate compiles; other attributes are carried onto what
//! is generated for the statement.

use crate::error::Errors;
use proc_macro2::TokenStream;
use quote::quote;
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, Meta, Stmt, Token};

/// What a statement's attributes say.
#[derive(Default)]
pub struct StmtAttrs {
    /// The conjunction of its `#[cfg(..)]` predicates.
    pub cfg: Option<TokenStream>,
    /// The other attributes, to carry onto the generated binding.
    pub others: Vec<Attribute>,
}

/// The statement's attributes, and the statement without them.
pub fn split_attrs(stmt: &Stmt, errors: &mut Errors) -> (StmtAttrs, Stmt) {
    let mut stmt = stmt.clone();
    let attrs = match &mut stmt {
        Stmt::Local(l) => std::mem::take(&mut l.attrs),
        Stmt::Expr(e, _) => take_statement_attrs(e),
        // Items and macros are kept as written, attributes included.
        Stmt::Item(_) | Stmt::Macro(_) => Vec::new(),
    };
    let mut out = StmtAttrs::default();
    let mut preds: Vec<TokenStream> = Vec::new();
    for a in attrs {
        match &a.meta {
            Meta::List(l) if a.path().is_ident("cfg") => preds.push(l.tokens.clone()),
            Meta::List(l) if a.path().is_ident("cfg_attr") => {
                match l.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated) {
                    Ok(metas) => cfg_attr(metas, &mut preds, &mut out.others),
                    Err(e) => errors.push(e),
                }
            }
            _ => out.others.push(a),
        }
    }
    out.cfg = match preds.len() {
        0 => None,
        1 => preds.pop(),
        _ => Some(quote!(all(#(#preds),*))),
    };
    (out, stmt)
}

/// `#[cfg_attr(p, a, b)]`: `cfg(q)` among the attributes becomes the predicate
/// `any(not(p), q)`; the others stay `#[cfg_attr(p, ..)]`.
fn cfg_attr(
    metas: Punctuated<Meta, Token![,]>,
    preds: &mut Vec<TokenStream>,
    others: &mut Vec<Attribute>,
) {
    let mut it = metas.into_iter();
    let Some(p) = it.next() else { return };
    for m in it {
        match &m {
            Meta::List(l) if m.path().is_ident("cfg") => {
                let q = &l.tokens;
                preds.push(quote!(any(not(#p), #q)));
            }
            _ => others.push(syn::parse_quote!(#[cfg_attr(#p, #m)])),
        }
    }
}

/// The attributes of an expression statement. syn puts a statement's outer attributes on
/// the expression's leftmost operand (`#[cfg(p)] x = y;` on `x`), so they are looked for
/// down that chain.
fn take_statement_attrs(e: &mut Expr) -> Vec<Attribute> {
    let mut out = expr_attrs(e).map(std::mem::take).unwrap_or_default();
    let next = match e {
        Expr::Assign(x) => Some(&mut *x.left),
        Expr::Binary(x) => Some(&mut *x.left),
        Expr::MethodCall(x) => Some(&mut *x.receiver),
        Expr::Field(x) => Some(&mut *x.base),
        Expr::Index(x) => Some(&mut *x.expr),
        Expr::Cast(x) => Some(&mut *x.expr),
        Expr::Call(x) => Some(&mut *x.func),
        Expr::Try(x) => Some(&mut *x.expr),
        Expr::Await(x) => Some(&mut *x.base),
        Expr::Range(x) => x.start.as_deref_mut(),
        _ => None,
    };
    if let Some(next) = next {
        out.extend(take_statement_attrs(next));
    }
    out
}

/// The attributes of an expression.
fn expr_attrs(e: &mut Expr) -> Option<&mut Vec<Attribute>> {
    Some(match e {
        Expr::Array(x) => &mut x.attrs,
        Expr::Assign(x) => &mut x.attrs,
        Expr::Async(x) => &mut x.attrs,
        Expr::Await(x) => &mut x.attrs,
        Expr::Binary(x) => &mut x.attrs,
        Expr::Block(x) => &mut x.attrs,
        Expr::Break(x) => &mut x.attrs,
        Expr::Call(x) => &mut x.attrs,
        Expr::Cast(x) => &mut x.attrs,
        Expr::Closure(x) => &mut x.attrs,
        Expr::Const(x) => &mut x.attrs,
        Expr::Continue(x) => &mut x.attrs,
        Expr::Field(x) => &mut x.attrs,
        Expr::ForLoop(x) => &mut x.attrs,
        Expr::Group(x) => &mut x.attrs,
        Expr::If(x) => &mut x.attrs,
        Expr::Index(x) => &mut x.attrs,
        Expr::Let(x) => &mut x.attrs,
        Expr::Lit(x) => &mut x.attrs,
        Expr::Loop(x) => &mut x.attrs,
        Expr::Macro(x) => &mut x.attrs,
        Expr::Match(x) => &mut x.attrs,
        Expr::MethodCall(x) => &mut x.attrs,
        Expr::Paren(x) => &mut x.attrs,
        Expr::Path(x) => &mut x.attrs,
        Expr::Range(x) => &mut x.attrs,
        Expr::Reference(x) => &mut x.attrs,
        Expr::Repeat(x) => &mut x.attrs,
        Expr::Return(x) => &mut x.attrs,
        Expr::Struct(x) => &mut x.attrs,
        Expr::Try(x) => &mut x.attrs,
        Expr::TryBlock(x) => &mut x.attrs,
        Expr::Tuple(x) => &mut x.attrs,
        Expr::Unary(x) => &mut x.attrs,
        Expr::Unsafe(x) => &mut x.attrs,
        Expr::While(x) => &mut x.attrs,
        Expr::Yield(x) => &mut x.attrs,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn split(stmt: Stmt) -> (Option<String>, usize) {
        let (a, _) = split_attrs(&stmt, &mut Errors::default());
        (a.cfg.map(|c| c.to_string()), a.others.len())
    }

    #[test]
    fn cfg_predicates_combine_and_cfg_attr_yields_one() {
        assert_eq!(
            split(parse_quote!(#[cfg(any())] let y = x;)),
            (Some("any ()".into()), 0)
        );
        assert_eq!(
            split(parse_quote!(#[cfg(a)] #[allow(unused)] #[cfg(b)] let y = x;)),
            (Some("all (a , b)".into()), 1)
        );
        assert_eq!(
            split(parse_quote!(#[cfg_attr(p, cfg(q), allow(x))] y = x;)),
            (Some("any (not (p) , q)".into()), 1)
        );
    }
}
