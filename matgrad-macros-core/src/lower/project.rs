//! Places inside differentiated parameters of the user's own type: `p.w1`, `&p.layers[i].w`,
//! `p.0`, become [`Kind::Project`] values, flattened onto the parameter.

use super::Lowerer;
use crate::ir::{Kind, Source, ValueId};
use syn::Expr;

impl Lowerer<'_> {
    /// Whether `e` is a field or an element of a differentiated parameter of the user's own
    /// type, of a place inside one, or of a local bound to such a place.
    pub(super) fn projects(&mut self, e: &Expr) -> bool {
        let Some(base) = place_base(e) else {
            return false;
        };
        let base = super::expr::strip_parens(base);
        if place_base(base).is_some() {
            return self.projects(base);
        }
        self.is_root(base)
    }

    /// Whether `e` is a local holding a differentiated parameter of the user's own type or a
    /// place inside one.
    fn is_root(&mut self, e: &Expr) -> bool {
        matches!(e, Expr::Path(_))
            && self.local_value(e).is_some_and(|id| {
                matches!(
                    self.values[id].kind,
                    Kind::Param {
                        differentiated: true,
                        structured: true,
                        ..
                    } | Kind::Project { .. }
                )
            })
    }

    /// The place `e` (of [`Lowerer::projects`]) as a borrowed [`Kind::Project`] value: its
    /// place written from the parameter on, through any projection it is taken from.
    pub(super) fn project(&mut self, e: &Expr) -> ValueId {
        let base_expr = place_base(e).expect("a place");
        let base = self.expr(base_expr);
        let id = self.opaque(e, Vec::new(), None);
        let Some(Source::Expr(renamed)) = self.values[id].source.clone() else {
            unreachable!("an opaque value has its expression")
        };
        let mut reads: Vec<ValueId> = self.values[id]
            .mentions
            .iter()
            .copied()
            .filter(|&m| m != base)
            .collect();
        let (root, place) = match &self.values[base].kind {
            Kind::Project {
                root,
                place,
                reads: base_reads,
            } => {
                reads.extend(base_reads.iter().copied());
                (*root, with_base(renamed, place))
            }
            _ => (base, renamed),
        };
        reads.retain(|&r| r != root);
        reads.sort_unstable();
        reads.dedup();
        let v = &mut self.values[id];
        v.kind = Kind::Project {
            root,
            place: place.clone(),
            reads: reads.clone(),
        };
        v.source = Some(Source::Expr(syn::parse_quote!(&(#place))));
        v.borrowed = true;
        v.mentions = std::iter::once(root).chain(reads).collect();
        id
    }

    /// A copy of the place `id` where `e` reads it by value (`let a = p.s;`, `f(p.w[0])`: a
    /// copy in the user's code, of the field's own type), as an owned value; `id` itself
    /// otherwise (a borrow `&p.w`, a local bound to one, any value not a place).
    pub(super) fn copied_place(&mut self, id: ValueId, e: &Expr) -> ValueId {
        let by_value = matches!(
            super::expr::strip_parens(e),
            Expr::Field(_) | Expr::Index(_)
        );
        if by_value && matches!(self.values[id].kind, Kind::Project { .. }) {
            self.op(
                crate::ops::Op::by_method("clone", 0),
                vec![id],
                Vec::new(),
                e,
            )
        } else {
            id
        }
    }

    /// A `match` or `if let` scrutinee, kept as written. A place inside a differentiated
    /// parameter (`match p.n`, a skipped count) is read as a constant, which its type is
    /// checked to be, so that the arms' patterns may bind it.
    pub(super) fn scrutinee(&mut self, e: &Expr) -> ValueId {
        let unsupported = match self.projects(super::expr::strip_parens(e)) {
            true => self.unsupported(
                e,
                "a pattern cannot bind a part of a value that depends on a differentiated \
                 parameter; use the value whole (a `match` or `if let` may compare it, not \
                 destructure it)",
            ),
            false => None,
        };
        self.opaque(e, Vec::new(), unsupported)
    }
}

/// The expression a field or an index is taken of.
fn place_base(e: &Expr) -> Option<&Expr> {
    match e {
        Expr::Field(f) => Some(&f.base),
        Expr::Index(ix) => Some(&ix.expr),
        Expr::Paren(p) => place_base(&p.expr),
        _ => None,
    }
}

/// The place `e` (a field or index of something) taken of `base`'s place instead (a field
/// and index chain itself, so it needs no parentheses).
fn with_base(e: Expr, base: &Expr) -> Expr {
    let base = base.clone();
    match e {
        Expr::Field(mut f) => {
            *f.base = base;
            Expr::Field(f)
        }
        Expr::Index(mut ix) => {
            *ix.expr = base;
            Expr::Index(ix)
        }
        Expr::Paren(p) => with_base(*p.expr, &base),
        other => other,
    }
}

/// A collection a loop reads by index: `xs.iter()`, `&xs` or `xs`, as `xs`.
fn indexable(e: &Expr) -> Option<&Expr> {
    match e {
        Expr::MethodCall(m) if m.method == "iter" && m.args.is_empty() => Some(&m.receiver),
        Expr::Reference(r) if r.mutability.is_none() => Some(&r.expr),
        Expr::Paren(p) => indexable(&p.expr),
        Expr::Path(_) | Expr::Field(_) | Expr::Index(_) => Some(e),
        _ => None,
    }
}

impl Lowerer<'_> {
    /// For an expression kept as written (`e`, reading `inputs`): each differentiated
    /// parameter of the user's own type it reads is replaced among `inputs` by the places
    /// inside it that it reads (`p.n` in `0..p.n`), which the analysis checks to be
    /// constants by their types; a parameter read whole stays.
    pub(super) fn read_places(&mut self, e: &Expr, inputs: &mut Vec<ValueId>) {
        let roots: Vec<ValueId> = inputs
            .iter()
            .copied()
            .filter(|&i| {
                matches!(
                    self.values[i].kind,
                    Kind::Param {
                        differentiated: true,
                        structured: true,
                        ..
                    }
                )
            })
            .collect();
        for root in roots {
            let name = self.values[root].label.clone().unwrap_or_default();
            let mut finder = PlaceFinder {
                root: &name,
                places: Vec::new(),
                whole: false,
                in_shape_query: false,
            };
            syn::visit::Visit::visit_expr(&mut finder, e);
            if finder.whole {
                continue;
            }
            inputs.retain(|&i| i != root);
            for place in finder.places {
                let id = self.project(&place);
                inputs.push(id);
            }
        }
    }

    /// `for x in c.iter()` over a collection `c` inside a differentiated parameter (and
    /// `.iter().rev()`, `.iter().enumerate()`, `.iter().zip(ys)` with `ys` a slice, a `Vec`
    /// or its `.iter()`),
    /// as a loop over indices that borrows each element: `for k in 0..c.len() { let x =
    /// &c[k]; .. }`, whose elements are places inside the parameter.
    pub(super) fn indexed_loop(&mut self, f: &syn::ExprForLoop) -> Option<syn::ExprForLoop> {
        let span = syn::spanned::Spanned::span(&f.expr);
        // `.enumerate()` outermost: its count is the index (not after `.rev()`, which
        // counts from the other end).
        let (iterated, element, index) = match strip_method(&f.expr) {
            Some(("enumerate", receiver, [])) => {
                let syn::Pat::Tuple(t) = &*f.pat else {
                    return None;
                };
                let [i, x] = [t.elems.first()?, t.elems.last()?];
                (receiver, x.clone(), Some(i.clone()))
            }
            _ => (&*f.expr, (*f.pat).clone(), None),
        };
        let mut reversed = false;
        let (collections, pat): (Vec<&Expr>, Vec<syn::Pat>) = match strip_method(iterated) {
            Some(("rev", receiver, [])) if index.is_none() => {
                reversed = true;
                (vec![indexable(receiver)?], vec![element])
            }
            Some(("zip", receiver, [other])) => {
                let syn::Pat::Tuple(t) = strip_pat_parens(&element) else {
                    return None;
                };
                let [x, y] = [t.elems.first()?, t.elems.last()?];
                let both = vec![indexable(receiver)?, indexable(other)?];
                (both, vec![x.clone(), y.clone()])
            }
            Some(_) => return None,
            None => (vec![indexable(iterated)?], vec![element]),
        };
        if !collections.iter().any(|c| self.projects_or_is_root(c)) {
            return None;
        }
        let k: syn::Pat = match index {
            Some(syn::Pat::Ident(i)) => syn::Pat::Ident(i),
            _ => {
                let k = self.names.fresh("__k", span);
                syn::parse_quote_spanned!(span=> #k)
            }
        };
        let len = collections
            .iter()
            .map(|c| quote::quote_spanned!(span=> (#c).len()))
            .reduce(|a, b| quote::quote_spanned!(span=> #a.min(#b)))?;
        // `&x` binds a copy of the element (`for &g in p.gains.iter()`).
        let lets = pat.iter().zip(&collections).map(|(p, c)| match p {
            syn::Pat::Reference(r) => {
                let inner = &r.pat;
                quote::quote_spanned!(span=> let #inner = (#c)[#k];)
            }
            _ => quote::quote_spanned!(span=> let #p = &(#c)[#k];),
        });
        let (attrs, body) = (&f.attrs, &f.body.stmts);
        let range = if reversed {
            quote::quote_spanned!(span=> (0..#len).rev())
        } else {
            quote::quote_spanned!(span=> 0..#len)
        };
        Some(syn::parse_quote_spanned! {span=>
            #(#attrs)* for #k in #range { #(#lets)* #(#body)* }
        })
    }

    /// Whether `c` is a place inside a differentiated parameter of the user's own type, or
    /// such a parameter.
    fn projects_or_is_root(&mut self, c: &Expr) -> bool {
        self.projects(c) || self.is_root(super::expr::strip_parens(c))
    }
}

/// `p` without the parentheses around it.
fn strip_pat_parens(p: &syn::Pat) -> &syn::Pat {
    match p {
        syn::Pat::Paren(inner) => strip_pat_parens(&inner.pat),
        other => other,
    }
}

/// `receiver.method(args)` after `.iter()`: (`method`, the collection's expression, args).
fn strip_method(e: &Expr) -> Option<(&str, &Expr, &[Expr])> {
    let Expr::MethodCall(m) = e else { return None };
    let name = match m.method.to_string().as_str() {
        "enumerate" => "enumerate",
        "zip" => "zip",
        "rev" => "rev",
        _ => return None,
    };
    let args: &[Expr] = match m.args.len() {
        0 => &[],
        _ => std::slice::from_ref(m.args.first()?),
    };
    if m.args.len() > 1 {
        return None;
    }
    Some((name, &m.receiver, args))
}

/// The places rooted at the variable `root` that an expression reads (maximal field and
/// index chains, not the receivers of shape queries), and whether it reads `root` whole.
struct PlaceFinder<'r> {
    root: &'r str,
    places: Vec<Expr>,
    whole: bool,
    in_shape_query: bool,
}

impl PlaceFinder<'_> {
    /// Whether `e` is a field or index chain rooted at the variable.
    fn rooted(&self, e: &Expr) -> bool {
        match e {
            Expr::Field(f) => self.rooted(&f.base) || self.is_root(&f.base),
            Expr::Index(ix) => self.rooted(&ix.expr) || self.is_root(&ix.expr),
            Expr::Paren(p) => self.rooted(&p.expr),
            _ => false,
        }
    }

    fn is_root(&self, e: &Expr) -> bool {
        matches!(super::expr::strip_parens(e), Expr::Path(p) if p.path.is_ident(self.root))
    }
}

impl<'ast> syn::visit::Visit<'ast> for PlaceFinder<'_> {
    fn visit_expr(&mut self, e: &'ast Expr) {
        if self.rooted(e) {
            if !self.in_shape_query {
                self.places.push(e.clone());
            }
            // The indices along the place are read as any expression.
            let mut link = e;
            loop {
                link = match link {
                    Expr::Field(f) => &f.base,
                    Expr::Index(ix) => {
                        self.visit_expr(&ix.index);
                        &ix.expr
                    }
                    Expr::Paren(p) => &p.expr,
                    _ => return,
                };
            }
        }
        if self.is_root(e) && !self.in_shape_query {
            self.whole = true;
        }
        syn::visit::visit_expr(self, e);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let name = m.method.to_string();
        let shape = (crate::ops::SHAPE_METHODS.contains(&name.as_str())
            || crate::ops::INDEX_METHODS.contains(&name.as_str()))
            && m.args.is_empty();
        let outer = self.in_shape_query;
        self.in_shape_query = outer || shape;
        self.visit_expr(&m.receiver);
        self.in_shape_query = outer;
        m.args.iter().for_each(|a| self.visit_expr(a));
    }
}

mod captures;
#[cfg(test)]
mod tests;
