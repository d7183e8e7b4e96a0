//! Which outer variables a block may change: those it assigns (they become carried or
//! merged values of a loop or branch) and those a statement kept as written may change in
//! place (`v.push(..)`, `println!`: mutable ones get a new version).
//!
//! The scan mirrors the lowering's scoping: a `let` shadows from the next statement on, a
//! block's `let`s end with it.

use super::rename::{pat_idents, rename, rename_tokens};
use syn::visit::Visit;
use syn::{Block, Expr, Stmt};

/// An outer variable a block may change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Changed {
    pub name: String,
    /// Assigned (`x = ..`, `x += ..`), rather than only named by a kept statement.
    pub assigned: bool,
}

/// The outer variables `block` may change, in first-change order; `value` when the block's
/// last expression is its value (an `if` used as a value), not a statement.
pub fn changed_outer(block: &Block, value: bool) -> Vec<Changed> {
    let mut s = Scanner {
        value_blocks: value,
        ..Scanner::default()
    };
    s.visit_block(block);
    s.out
}

/// The outer variables an expression may change (in the regions nested in it: `f(if c { x
/// = 1.0; .. } else { .. })`); `value` as for [`changed_outer`], for the blocks it is made of.
pub fn changed_in_expr(e: &Expr, value: bool) -> Vec<Changed> {
    let mut s = Scanner {
        value_blocks: value,
        ..Scanner::default()
    };
    s.visit_expr(e);
    s.out
}

/// The outer variables one statement may change, and the names it declares with `let`.
pub fn changed_by_stmt(stmt: &Stmt) -> (Vec<Changed>, Vec<String>) {
    let mut s = Scanner::default();
    s.stmt(stmt, false);
    (s.out, s.shadowed)
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

/// A walk over statements and expressions, nested regions included, that keeps the names
/// declared so far (they shadow outer variables) and collects the outer ones changed.
#[derive(Default)]
struct Scanner {
    shadowed: Vec<String>,
    out: Vec<Changed>,
    /// The blocks being entered are values (an `if` in an expression): their last
    /// expression is their value, not a statement.
    value_blocks: bool,
}

impl Scanner {
    fn note(&mut self, name: String, assigned: bool) {
        if self.shadowed.contains(&name) {
            return;
        }
        match self.out.iter_mut().find(|c| c.name == name) {
            Some(c) => c.assigned |= assigned,
            None => self.out.push(Changed { name, assigned }),
        }
    }

    /// One statement of a block; `tail` for the block's last expression without `;`.
    fn stmt(&mut self, s: &Stmt, tail: bool) {
        match s {
            Stmt::Local(l) => {
                if let Some(init) = &l.init {
                    let outer = std::mem::replace(&mut self.value_blocks, true);
                    self.visit_expr(&init.expr);
                    self.value_blocks = outer;
                    if let Some((_, e)) = &init.diverge {
                        self.visit_expr(e);
                    }
                }
                pat_idents(&l.pat, &mut self.shadowed);
            }
            Stmt::Expr(e, semi) => {
                // A statement kept as written may change what it names in place; so may a
                // block's last expression when it is a call (a loop body's `v.push(x)`).
                let value = tail && semi.is_none() && self.value_blocks;
                let kept = stmt_kind(e) == StmtKind::Effect
                    && !value
                    && (semi.is_some()
                        || !tail
                        || matches!(e, Expr::MethodCall(_) | Expr::Call(_) | Expr::Macro(_)));
                if kept {
                    for m in rename(e, &any_name).mentions {
                        self.note(m.name, false);
                    }
                }
                // A region standing as a statement has statement blocks; one in an expression
                // (a `let`'s value, an operand) has value blocks.
                let outer = self.value_blocks;
                self.value_blocks = !matches!(
                    e,
                    Expr::If(_) | Expr::Match(_) | Expr::Block(_) | Expr::ForLoop(_)
                ) || value;
                self.visit_expr(e);
                self.value_blocks = outer;
            }
            Stmt::Macro(m) => {
                for m in rename_tokens(m.mac.tokens.clone(), &any_name).mentions {
                    self.note(m.name, false);
                }
            }
            Stmt::Item(_) => {}
        }
    }

    /// Runs `f` with the names `pat` binds shadowing outer ones.
    fn shadowing(&mut self, pat: &syn::Pat, f: impl FnOnce(&mut Self)) {
        let depth = self.shadowed.len();
        pat_idents(pat, &mut self.shadowed);
        f(self);
        self.shadowed.truncate(depth);
    }
}

impl<'ast> Visit<'ast> for Scanner {
    fn visit_block(&mut self, b: &'ast Block) {
        let depth = self.shadowed.len();
        let n = b.stmts.len();
        for (i, s) in b.stmts.iter().enumerate() {
            self.stmt(s, i + 1 == n);
        }
        self.shadowed.truncate(depth);
    }
    fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
        match local(&a.left) {
            Some(id) => self.note(id.to_string(), true),
            None => self.visit_expr(&a.left),
        }
        self.visit_expr(&a.right);
    }
    fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
        match (is_compound(&b.op), local(&b.left)) {
            (true, Some(id)) => self.note(id.to_string(), true),
            _ => self.visit_expr(&b.left),
        }
        self.visit_expr(&b.right);
    }
    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        // A loop's body is never a value.
        let outer = std::mem::replace(&mut self.value_blocks, false);
        self.shadowing(&f.pat, |s| s.visit_block(&f.body));
        self.value_blocks = outer;
    }
    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        match &*i.cond {
            Expr::Let(l) => {
                self.visit_expr(&l.expr);
                self.shadowing(&l.pat, |s| s.visit_block(&i.then_branch));
            }
            cond => {
                self.visit_expr(cond);
                self.visit_block(&i.then_branch);
            }
        }
        if let Some((_, e)) = &i.else_branch {
            self.visit_expr(e);
        }
    }
    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        self.shadowing(&arm.pat, |s| {
            if let Some((_, g)) = &arm.guard {
                s.visit_expr(g);
            }
            s.visit_expr(&arm.body);
        });
    }
    // A closure's body is its own scope (a local closure that changes an outer variable is
    // reported where it is called); items and macros in expressions are kept as written.
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
    fn visit_macro(&mut self, _: &'ast syn::Macro) {}
}

/// Resolves every name, so that a scan sees every mention.
fn any_name(name: &str) -> Option<syn::Ident> {
    super::rename::ident(name, proc_macro2::Span::call_site())
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn names(block: Block) -> Vec<(String, bool)> {
        changed_outer(&block, false)
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
