//! nalgebra's `stack![a, b; c, d]`: the blocks of a row side by side (`,`), the rows one
//! under another (`;`), folded from the left into the registry's `from_columns` and
//! `from_rows` operations (`[[a b] c]`), whose pullbacks hand each block its part of Ḡ.

use super::Lowerer;
use crate::ir::ValueId;
use crate::ops::Op;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, ExprMacro, Token};

/// Whether `m` is nalgebra's `stack!` (`stack!`, `nalgebra::stack!`, `na::stack!`).
pub(super) fn is_stack(m: &syn::Macro) -> bool {
    let segments: Vec<String> = m
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    match segments.as_slice() {
        [name] => name == "stack",
        [root, name] => name == "stack" && (root == "nalgebra" || root == "na"),
        _ => false,
    }
}

/// The blocks of `stack![..]`, row by row.
fn blocks(input: ParseStream) -> syn::Result<Vec<Vec<Expr>>> {
    let mut rows = Vec::new();
    while !input.is_empty() {
        let mut row = Vec::new();
        while !input.is_empty() && !input.peek(Token![;]) {
            row.push(input.parse::<Expr>()?);
            if !input.peek(Token![,]) {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        if row.is_empty() {
            return Err(input.error("`stack!` has an empty row"));
        }
        rows.push(row);
        if !input.is_empty() {
            input.parse::<Token![;]>()?;
        }
    }
    Ok(rows)
}

/// Whether a block is nalgebra's implicit zero block, the literal `0`.
fn is_zero_block(e: &Expr) -> bool {
    matches!(e, Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) if i.base10_digits() == "0")
}

impl Lowerer<'_> {
    /// `stack![a, b; c, d]` as `from_rows(from_columns(a, b), from_columns(c, d))`.
    pub(super) fn stack(&mut self, e: &Expr, m: &ExprMacro) -> ValueId {
        // Tokens that do not parse are nalgebra's macro's to report, in the function itself.
        let Ok(rows) = blocks.parse2(m.mac.tokens.clone()) else {
            return self.opaque(e, Vec::new(), None);
        };
        let zero = rows.iter().flatten().find(|b| is_zero_block(b));
        let single = rows.len() == 1 && rows[0].len() == 1;
        let (Some(hstack), Some(vstack), None, false) = (
            Op::by_associated_array("from_columns"),
            Op::by_associated_array("from_rows"),
            zero,
            single,
        ) else {
            let message = match zero {
                Some(_) => {
                    "`#[grad]` needs each block of `stack!` as a matrix: write a zero block as \
                            `DMatrix::zeros(r, c)` (or the type's own `zeros`)"
                }
                None => "`stack!` of one block is the block itself: write it without `stack!`",
            };
            let at = zero.map_or_else(|| quote::quote!(#m), |z| quote::quote!(#z));
            self.errors.at(at, message);
            return self.opaque(e, Vec::new(), None);
        };
        let mut stacked: Option<ValueId> = None;
        for row in &rows {
            let mut acc = self.expr(&row[0]);
            for block in &row[1..] {
                let b = self.expr(block);
                acc = self.op(Some(hstack), vec![acc, b], Vec::new(), e);
            }
            stacked = Some(match stacked {
                None => acc,
                Some(above) => self.op(Some(vstack), vec![above, acc], Vec::new(), e),
            });
        }
        stacked.unwrap_or_else(|| self.opaque(e, Vec::new(), None))
    }
}
