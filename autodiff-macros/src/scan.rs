//! Which outer variables a loop or branch body assigns (they become carried or merged values).

use crate::rename::pat_idents;
use syn::{Block, Expr, Stmt};

/// The names, in first-assignment order, that `block` assigns (`x = ...`, `x += ...`) while
/// they still refer to a variable declared outside the block.
pub fn assigned_outer(block: &Block) -> Vec<String> {
    let mut out = Vec::new();
    stmts(&block.stmts, &mut Vec::new(), &mut out);
    out
}

fn stmts(stmts: &[Stmt], shadowed: &mut Vec<String>, out: &mut Vec<String>) {
    let depth = shadowed.len();
    for s in stmts {
        match s {
            Stmt::Local(l) => {
                if let Some(init) = &l.init {
                    expr(&init.expr, shadowed, out);
                }
                pat_idents(&l.pat, shadowed);
            }
            Stmt::Expr(e, _) => expr(e, shadowed, out),
            _ => {}
        }
    }
    shadowed.truncate(depth);
}

fn target(e: &Expr, shadowed: &[String], out: &mut Vec<String>) {
    if let Expr::Path(p) = e {
        if let Some(id) = p.path.get_ident() {
            let name = id.to_string();
            if !shadowed.contains(&name) && !out.contains(&name) {
                out.push(name);
            }
        }
    }
}

fn expr(e: &Expr, shadowed: &mut Vec<String>, out: &mut Vec<String>) {
    match e {
        Expr::Assign(a) => {
            expr(&a.right, shadowed, out);
            target(&a.left, shadowed, out);
        }
        Expr::Binary(b) if is_compound(&b.op) => {
            expr(&b.right, shadowed, out);
            target(&b.left, shadowed, out);
        }
        Expr::Block(b) => stmts(&b.block.stmts, shadowed, out),
        Expr::ForLoop(f) => {
            let depth = shadowed.len();
            pat_idents(&f.pat, shadowed);
            stmts(&f.body.stmts, shadowed, out);
            shadowed.truncate(depth);
        }
        Expr::If(i) => {
            stmts(&i.then_branch.stmts, shadowed, out);
            if let Some((_, e)) = &i.else_branch {
                expr(e, shadowed, out);
            }
        }
        _ => {}
    }
}

fn is_compound(op: &syn::BinOp) -> bool {
    use syn::BinOp::*;
    matches!(
        op,
        AddAssign(_) | SubAssign(_) | MulAssign(_) | DivAssign(_)
    )
}
