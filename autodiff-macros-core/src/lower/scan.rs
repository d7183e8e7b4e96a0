//! Which outer variables a block may change: those it assigns (they become carried or
//! merged values of a loop or branch) and those a statement kept as written may change in
//! place (`v.push(..)`, `println!`: mutable ones get a new version).
//!
//! The scan mirrors the lowering's scoping: a `let` shadows from the next statement on, a
//! block's `let`s end with it.

use super::rename::{pat_idents, rename, rename_tokens};
use syn::{Block, Expr, Stmt};

/// An outer variable a block may change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Changed {
    pub name: String,
    /// Assigned (`x = ..`, `x += ..`), rather than only named by a kept statement.
    pub assigned: bool,
}

/// The outer variables `block` may change, in first-change order.
pub fn changed_outer(block: &Block) -> Vec<Changed> {
    let mut out = Vec::new();
    stmts(&block.stmts, &mut Vec::new(), &mut out);
    out
}

/// The outer variables one statement may change, and the names it declares with `let`.
pub fn changed_by_stmt(stmt: &Stmt) -> (Vec<Changed>, Vec<String>) {
    let mut out = Vec::new();
    let mut declared = Vec::new();
    self::stmt(stmt, &mut declared, &mut out);
    (out, declared)
}

/// How the lowering treats an expression statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StmtKind {
    /// `x = ..` or `x op= ..` to a local.
    Assign,
    /// A region: `for`, `if`, `match`, a block.
    Region,
    /// `while`, `loop`, `return`, `break`, `continue`: reported by the lowering.
    Unsupported,
    /// Kept as written.
    Effect,
}

/// How the lowering treats the expression statement `e`.
pub fn stmt_kind(e: &Expr) -> StmtKind {
    match e {
        Expr::Assign(a) if local(&a.left).is_some() => StmtKind::Assign,
        Expr::Binary(b) if is_compound(&b.op) && local(&b.left).is_some() => StmtKind::Assign,
        Expr::ForLoop(_) | Expr::If(_) | Expr::Match(_) => StmtKind::Region,
        Expr::Block(b) if b.label.is_none() => StmtKind::Region,
        Expr::While(_) | Expr::Loop(_) | Expr::Return(_) | Expr::Break(_) | Expr::Continue(_) => {
            StmtKind::Unsupported
        }
        _ => StmtKind::Effect,
    }
}

/// The local a whole-variable assignment target names.
pub fn local(e: &Expr) -> Option<&syn::Ident> {
    match e {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident(),
        Expr::Paren(p) => local(&p.expr),
        _ => None,
    }
}

/// Whether `op` is `+=`, `-=`, ... (any compound assignment).
pub fn is_compound(op: &syn::BinOp) -> bool {
    use syn::BinOp::*;
    matches!(
        op,
        AddAssign(_)
            | SubAssign(_)
            | MulAssign(_)
            | DivAssign(_)
            | RemAssign(_)
            | BitXorAssign(_)
            | BitAndAssign(_)
            | BitOrAssign(_)
            | ShlAssign(_)
            | ShrAssign(_)
    )
}

fn note(name: String, assigned: bool, shadowed: &[String], out: &mut Vec<Changed>) {
    if shadowed.contains(&name) {
        return;
    }
    match out.iter_mut().find(|c| c.name == name) {
        Some(c) => c.assigned |= assigned,
        None => out.push(Changed { name, assigned }),
    }
}

fn stmts(stmts: &[Stmt], shadowed: &mut Vec<String>, out: &mut Vec<Changed>) {
    let depth = shadowed.len();
    for s in stmts {
        stmt(s, shadowed, out);
    }
    shadowed.truncate(depth);
}

/// One statement; a `let` adds its names to `shadowed`.
fn stmt(s: &Stmt, shadowed: &mut Vec<String>, out: &mut Vec<Changed>) {
    match s {
        Stmt::Local(l) => {
            if let Some(init) = &l.init {
                expr(&init.expr, shadowed, out);
            }
            pat_idents(&l.pat, shadowed);
        }
        Stmt::Expr(e, _) => statement(e, shadowed, out),
        Stmt::Macro(m) => {
            for m in rename_tokens(m.mac.tokens.clone(), &any_name).mentions {
                note(m.name, false, shadowed, out);
            }
        }
        Stmt::Item(_) => {}
    }
}

/// Resolves every name, so that a scan sees every mention.
fn any_name(name: &str) -> Option<syn::Ident> {
    Some(syn::Ident::new(name, proc_macro2::Span::call_site()))
}

fn statement(e: &Expr, shadowed: &mut Vec<String>, out: &mut Vec<Changed>) {
    match (stmt_kind(e), e) {
        (StmtKind::Assign, Expr::Assign(a)) => {
            expr(&a.right, shadowed, out);
            note_target(&a.left, shadowed, out);
        }
        (StmtKind::Assign, Expr::Binary(b)) => {
            expr(&b.right, shadowed, out);
            note_target(&b.left, shadowed, out);
        }
        (StmtKind::Region, _) | (StmtKind::Unsupported, _) => expr(e, shadowed, out),
        _ => {
            for m in rename(e, &any_name).mentions {
                note(m.name, false, shadowed, out);
            }
        }
    }
}

fn note_target(target: &Expr, shadowed: &[String], out: &mut Vec<Changed>) {
    if let Some(id) = local(target) {
        note(id.to_string(), true, shadowed, out);
    }
}

/// The regions inside an expression (a loop's body, an `if`'s arms, a block).
fn expr(e: &Expr, shadowed: &mut Vec<String>, out: &mut Vec<Changed>) {
    match e {
        Expr::Block(b) => {
            let depth = shadowed.len();
            stmts(&b.block.stmts, shadowed, out);
            shadowed.truncate(depth);
        }
        Expr::ForLoop(f) => {
            let depth = shadowed.len();
            pat_idents(&f.pat, shadowed);
            stmts(&f.body.stmts, shadowed, out);
            shadowed.truncate(depth);
        }
        Expr::If(i) => {
            let depth = shadowed.len();
            if let Expr::Let(l) = &*i.cond {
                pat_idents(&l.pat, shadowed);
            }
            stmts(&i.then_branch.stmts, shadowed, out);
            shadowed.truncate(depth);
            if let Some((_, e)) = &i.else_branch {
                expr(e, shadowed, out);
            }
        }
        Expr::Match(m) => {
            for arm in &m.arms {
                let depth = shadowed.len();
                pat_idents(&arm.pat, shadowed);
                expr(&arm.body, shadowed, out);
                shadowed.truncate(depth);
            }
        }
        Expr::Paren(p) => expr(&p.expr, shadowed, out),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn names(block: Block) -> Vec<(String, bool)> {
        changed_outer(&block)
            .into_iter()
            .map(|c| (c.name, c.assigned))
            .collect()
    }

    #[test]
    fn assignments_to_outer_variables() {
        let got = names(parse_quote!({
            l5 = l4;
            l4 = l3;
            let t = x;
            t = 2.0;
            h += t;
        }));
        assert_eq!(
            got,
            [("l5".into(), true), ("l4".into(), true), ("h".into(), true)]
        );
    }

    #[test]
    fn an_inner_let_ends_with_its_block() {
        let got = names(parse_quote!({
            h = h * x;
            let h = 7.0 + h;
            h = h + 1.0;
        }));
        assert_eq!(got, [("h".into(), true)]);
        let got = names(parse_quote!({
            if c {
                let h = 1.0;
                h = 2.0;
            }
            h = 3.0;
        }));
        assert_eq!(got, [("h".into(), true)]);
    }

    #[test]
    fn kept_statements_may_change_what_they_name() {
        let got = names(parse_quote!({
            v.push(x);
            println!("{n}");
        }));
        assert_eq!(
            got,
            [
                ("v".into(), false),
                ("x".into(), false),
                ("n".into(), false)
            ]
        );
    }

    #[test]
    fn a_statement_declares_its_let() {
        let (changed, declared) = changed_by_stmt(&parse_quote!(let y = y * x;));
        assert!(changed.is_empty());
        assert_eq!(declared, ["y"]);
    }
}
