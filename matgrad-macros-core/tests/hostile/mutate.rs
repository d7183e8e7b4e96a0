//! Token-level mutators: the token stream as an owned tree (groups recursed into), and the
//! mutations applied at a random position of it, at any depth.

use crate::fragments::{lex, INSERTS, KEYWORDS, LITERALS, PUNCTS};
use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;

/// A token tree whose groups can be edited in place.
#[derive(Clone)]
pub enum Node {
    Leaf(TokenTree),
    Group(Delimiter, Span, Vec<Node>),
}

/// `tokens` as nodes.
pub fn tree(tokens: TokenStream) -> Vec<Node> {
    tokens
        .into_iter()
        .map(|tt| match tt {
            TokenTree::Group(g) => Node::Group(g.delimiter(), g.span(), tree(g.stream())),
            other => Node::Leaf(other),
        })
        .collect()
}

/// `nodes` as tokens.
pub fn stream(nodes: &[Node]) -> TokenStream {
    nodes
        .iter()
        .map(|n| match n {
            Node::Leaf(tt) => tt.clone(),
            Node::Group(d, span, inner) => {
                let mut g = Group::new(*d, stream(inner));
                g.set_span(*span);
                TokenTree::Group(g)
            }
        })
        .collect()
}

/// A position: the path of group indices to a stream, and an index in it (up to its length,
/// the end, where tokens can be inserted).
pub type Slot = (Vec<usize>, usize);

/// Every position of `nodes`, in preorder.
pub fn slots(nodes: &[Node]) -> Vec<Slot> {
    fn walk(nodes: &[Node], path: &mut Vec<usize>, out: &mut Vec<Slot>) {
        for (i, n) in nodes.iter().enumerate() {
            out.push((path.clone(), i));
            if let Node::Group(_, _, inner) = n {
                path.push(i);
                walk(inner, path, out);
                path.pop();
            }
        }
        out.push((path.clone(), nodes.len()));
    }
    let mut out = Vec::new();
    walk(nodes, &mut Vec::new(), &mut out);
    out
}

/// The stream at `path`.
pub fn stream_at<'a>(nodes: &'a mut Vec<Node>, path: &[usize]) -> &'a mut Vec<Node> {
    let mut current = nodes;
    for &i in path {
        match &mut current[i] {
            Node::Group(_, _, inner) => current = inner,
            Node::Leaf(_) => panic!("a slot's path goes through groups only"),
        }
    }
    current
}

/// The node at a slot, if the slot is not an end.
fn node_at<'a>(nodes: &'a [Node], (path, i): &Slot) -> Option<&'a Node> {
    let mut current = nodes;
    for &p in path {
        match &current[p] {
            Node::Group(_, _, inner) => current = inner,
            Node::Leaf(_) => return None,
        }
    }
    current.get(*i)
}

/// The kinds of mutation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutation {
    Delete,
    Duplicate,
    Swap,
    IdentToKeyword,
    IdentToLiteral,
    IdentToPunct,
    ReplaceLiteral,
    ChangeDelimiter,
    EmptyGroup,
    Truncate,
    Insert,
    Splice,
}

/// Every kind of mutation.
pub const MUTATIONS: &[Mutation] = &[
    Mutation::Delete,
    Mutation::Duplicate,
    Mutation::Swap,
    Mutation::IdentToKeyword,
    Mutation::IdentToLiteral,
    Mutation::IdentToPunct,
    Mutation::ReplaceLiteral,
    Mutation::ChangeDelimiter,
    Mutation::EmptyGroup,
    Mutation::Truncate,
    Mutation::Insert,
    Mutation::Splice,
];

/// A random slot whose node satisfies `keep` (any slot if `keep` is `None`).
fn pick(rng: &mut StdRng, nodes: &[Node], keep: Option<fn(&Node) -> bool>) -> Option<Slot> {
    let all = slots(nodes);
    let candidates: Vec<Slot> = match keep {
        None => all,
        Some(f) => all
            .into_iter()
            .filter(|s| node_at(nodes, s).is_some_and(f))
            .collect(),
    };
    candidates.choose(rng).cloned()
}

fn is_ident(n: &Node) -> bool {
    matches!(n, Node::Leaf(TokenTree::Ident(_)))
}

fn is_literal(n: &Node) -> bool {
    matches!(n, Node::Leaf(TokenTree::Literal(_)))
}

fn is_group(n: &Node) -> bool {
    matches!(n, Node::Group(..))
}

fn is_node(_: &Node) -> bool {
    true
}

/// Replaces the node at `slot` with `with`.
fn replace(nodes: &mut Vec<Node>, (path, i): &Slot, with: Vec<Node>) {
    let s = stream_at(nodes, path);
    s.splice(*i..*i + 1, with);
}

/// Applies `m` at a random position of `nodes`; `donor` is another program to splice from.
/// A mutation with nothing to act on (no literal to replace, say) inserts tokens instead.
pub fn apply(rng: &mut StdRng, nodes: &mut Vec<Node>, m: Mutation, donor: &[Node]) {
    let filter: Option<fn(&Node) -> bool> = match m {
        Mutation::IdentToKeyword | Mutation::IdentToLiteral | Mutation::IdentToPunct => {
            Some(is_ident)
        }
        Mutation::ReplaceLiteral => Some(is_literal),
        Mutation::ChangeDelimiter | Mutation::EmptyGroup => Some(is_group),
        Mutation::Delete | Mutation::Duplicate | Mutation::Swap | Mutation::Splice => Some(is_node),
        Mutation::Truncate | Mutation::Insert => None,
    };
    let Some(slot) = pick(rng, nodes, filter) else {
        let at = pick(rng, nodes, None).unwrap_or((Vec::new(), 0));
        stream_at(nodes, &at.0).splice(at.1..at.1, tree(lex(rng, INSERTS)));
        return;
    };
    let (path, i) = &slot;
    match m {
        Mutation::Delete => replace(nodes, &slot, Vec::new()),
        Mutation::Duplicate => {
            let s = stream_at(nodes, path);
            s.insert(*i, s[*i].clone());
        }
        Mutation::Swap => {
            let s = stream_at(nodes, path);
            if *i + 1 < s.len() {
                s.swap(*i, *i + 1);
            } else if *i > 0 {
                s.swap(*i - 1, *i);
            }
        }
        Mutation::IdentToKeyword => replace(nodes, &slot, tree(lex(rng, KEYWORDS))),
        Mutation::IdentToLiteral | Mutation::ReplaceLiteral => {
            replace(nodes, &slot, tree(lex(rng, LITERALS)))
        }
        Mutation::IdentToPunct => replace(nodes, &slot, tree(lex(rng, PUNCTS))),
        Mutation::ChangeDelimiter => {
            let d = [
                Delimiter::Parenthesis,
                Delimiter::Brace,
                Delimiter::Bracket,
                Delimiter::None,
            ];
            if let Node::Group(delim, ..) = &mut stream_at(nodes, path)[*i] {
                *delim = *d.choose(rng).unwrap_or(&Delimiter::None);
            }
        }
        Mutation::EmptyGroup => {
            if let Node::Group(_, _, inner) = &mut stream_at(nodes, path)[*i] {
                inner.clear();
            }
        }
        Mutation::Truncate => {
            // Half the time the whole item, else the stream of a random group.
            let (path, i) = if rng.random_bool(0.5) {
                (Vec::new(), rng.random_range(0..=nodes.len()))
            } else {
                slot.clone()
            };
            stream_at(nodes, &path).truncate(i);
        }
        Mutation::Insert => {
            let tokens = tree(lex(rng, INSERTS));
            stream_at(nodes, path).splice(*i..*i, tokens);
        }
        Mutation::Splice => splice(rng, nodes, &slot, donor),
    }
}

/// Replaces the node at `slot` with a random sub-tree of `donor`, or inserts it there.
fn splice(rng: &mut StdRng, nodes: &mut Vec<Node>, slot: &Slot, donor: &[Node]) {
    let groups_only = rng.random_bool(0.6);
    let from = pick(
        rng,
        donor,
        Some(if groups_only { is_group } else { is_node }),
    );
    let Some(part) = from.and_then(|s| node_at(donor, &s).cloned()) else {
        return;
    };
    if rng.random_bool(0.5) {
        replace(nodes, slot, vec![part]);
    } else {
        stream_at(nodes, &slot.0).insert(slot.1, part);
    }
}

/// Applies 1 to 4 random mutations to `tokens`; returns the result and the mutations.
pub fn mutate(
    rng: &mut StdRng,
    tokens: TokenStream,
    donor: TokenStream,
) -> (TokenStream, Vec<Mutation>) {
    let mut nodes = tree(tokens);
    let donor = tree(donor);
    let mut applied = Vec::new();
    for _ in 0..rng.random_range(1..=4) {
        let m = *MUTATIONS.choose(rng).unwrap_or(&Mutation::Delete);
        apply(rng, &mut nodes, m, &donor);
        applied.push(m);
    }
    (stream(&nodes), applied)
}
