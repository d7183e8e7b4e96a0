//! Running one case: the expansion under `catch_unwind` with a silent panic hook that records
//! the message and location, the checks of its output, and a shrinker for failing cases.

use crate::cases::Case;
use crate::corpus::Attr;
use crate::mutate::{slots, stream, stream_at, tree, Node};
use matgrad_macros_core::{expand_grad, expand_vjp, Context};
use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

/// What one expansion did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A function, expanded with its companions.
    Companions,
    /// A function, expanded with `compile_error!`s.
    CompileErrors,
    /// Not a function: the item and a `compile_error!`.
    NotAFunction,
    /// A panic: its location, then its message.
    Panic(String, String),
    /// Output that breaks the contract: what is wrong, and details.
    InvalidOutput(String, String),
}

impl Outcome {
    /// For failures, what makes two failures the same finding.
    pub fn key(&self) -> Option<String> {
        match self {
            Outcome::Panic(at, _) => Some(format!("panic at {at}")),
            Outcome::InvalidOutput(what, _) => Some(what.clone()),
            _ => None,
        }
    }
}

thread_local! {
    /// Whether the hook records panics of this thread (instead of passing them on).
    static CAPTURING: RefCell<bool> = const { RefCell::new(false) };
    /// The last panic recorded on this thread: location and message.
    static LAST: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

/// While alive, panics inside [`guarded`] are recorded silently; other panics go to the
/// previous hook, which is reinstated on drop.
pub struct SilentHook {
    previous: Arc<dyn Fn(&panic::PanicHookInfo<'_>) + Sync + Send>,
}

impl SilentHook {
    pub fn install() -> SilentHook {
        let previous: Arc<dyn Fn(&panic::PanicHookInfo<'_>) + Sync + Send> =
            Arc::from(panic::take_hook());
        let passed = previous.clone();
        panic::set_hook(Box::new(move |info| {
            if CAPTURING.with(|c| *c.borrow()) {
                let at = info.location().map_or("?".into(), |l| {
                    format!("{}:{}:{}", l.file(), l.line(), l.column())
                });
                let payload = info.payload();
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                LAST.with(|l| *l.borrow_mut() = Some((at, message)));
            } else {
                passed(info);
            }
        }));
        SilentHook { previous }
    }
}

impl Drop for SilentHook {
    fn drop(&mut self) {
        drop(panic::take_hook());
        let previous = self.previous.clone();
        panic::set_hook(Box::new(move |info| previous(info)));
    }
}

/// Whether `tokens` has a top-level `compile_error!`.
fn has_compile_error(tokens: &TokenStream) -> bool {
    let tokens: Vec<TokenTree> = tokens.clone().into_iter().collect();
    tokens.windows(2).any(|w| {
        matches!((&w[0], &w[1]), (TokenTree::Ident(i), TokenTree::Punct(p))
            if i == "compile_error" && p.as_char() == '!')
    })
}

/// `f` under `catch_unwind`, a panic (recorded silently while a [`SilentHook`] is
/// installed) as its location and message.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, (String, String)> {
    LAST.with(|l| *l.borrow_mut() = None);
    CAPTURING.with(|c| *c.borrow_mut() = true);
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    CAPTURING.with(|c| *c.borrow_mut() = false);
    result.map_err(|_| LAST.with(|l| l.borrow_mut().take()).unwrap_or_default())
}

/// The nesting depth beyond which the macro refuses an item (its `MAX_DEPTH`); syn cannot
/// parse such items on the test's stack, so the check does not try.
const TOO_DEEP: usize = 128;

/// How deep the brackets of `tokens` nest.
fn depth(tokens: &TokenStream) -> usize {
    let mut stack = vec![(tokens.clone(), 0)];
    let mut deepest = 0;
    while let Some((tokens, d)) = stack.pop() {
        deepest = deepest.max(d);
        for tt in tokens {
            if let TokenTree::Group(g) = tt {
                stack.push((g.stream(), d + 1));
            }
        }
    }
    deepest
}

/// Expands `case` and checks the output.
pub fn run(case: &Case) -> Outcome {
    let (args, item) = (case.args.clone(), case.item.clone());
    let out = match guarded(|| match case.attr {
        Attr::Grad => expand_grad(args, item, &Context::default()),
        Attr::Vjp => expand_vjp(args, item, &Context::default()),
    }) {
        Ok(out) => out,
        Err((at, message)) => return Outcome::Panic(at, message),
    };
    if depth(&case.item) > TOO_DEEP {
        // The macro must refuse it without parsing it (the check cannot parse it either).
        return if out.to_string().starts_with(&case.item.to_string()) && has_compile_error(&out) {
            Outcome::CompileErrors
        } else {
            let what = "an item nested too deep not refused".to_string();
            Outcome::InvalidOutput(what, out.to_string())
        };
    }
    let input = match syn::parse2::<syn::Item>(case.item.clone()) {
        Ok(syn::Item::Fn(f)) => f,
        _ if !out.to_string().starts_with(&case.item.to_string()) => {
            let what = "a non-function not emitted unchanged".to_string();
            return Outcome::InvalidOutput(what, out.to_string());
        }
        _ if has_compile_error(&out) => return Outcome::NotAFunction,
        _ => {
            let what = "a non-function without a compile error".to_string();
            return Outcome::InvalidOutput(what, out.to_string());
        }
    };
    function_output(input, out)
}

/// The outcome of a function's expansion `out`: it must parse as a file whose first item is
/// the function (as syn prints it).
fn function_output(input: syn::ItemFn, out: TokenStream) -> Outcome {
    let file = match guarded(|| syn::parse2::<syn::File>(out.clone())) {
        Ok(Ok(file)) => file,
        Ok(Err(e)) => {
            return Outcome::InvalidOutput(format!("unparseable output: {e}"), out.to_string())
        }
        Err((at, m)) => {
            return Outcome::InvalidOutput("output panics syn".into(), format!("{at}: {m}"))
        }
    };
    // syn prints some things differently from how they were written (`T:` as `T`).
    let printed = syn::parse2::<syn::Item>(input.to_token_stream());
    if printed.is_ok_and(|printed| file.items.first() != Some(&printed)) {
        return Outcome::InvalidOutput("the function is changed".into(), out.to_string());
    }
    let compile_error = |item: &syn::Item| {
        matches!(item, syn::Item::Macro(m)
            if m.mac.path.segments.last().is_some_and(|s| s.ident == "compile_error"))
    };
    if file.items.iter().any(compile_error) {
        Outcome::CompileErrors
    } else {
        Outcome::Companions
    }
}

/// The most expansions a shrink tries.
const SHRINK_BUDGET: usize = 20_000;

/// `case` made smaller, token by token, while it fails with the same `key`: each node is
/// deleted, or its group emptied, or the group replaced by its contents, if that keeps the
/// failure; repeated until nothing changes.
pub fn shrink(case: &Case, key: &str) -> Case {
    let mut best = case.clone();
    let mut budget = SHRINK_BUDGET;
    let mut changed = true;
    while changed && budget > 0 {
        changed = false;
        for part in [true, false] {
            let mut nodes = tree(if part {
                best.item.clone()
            } else {
                best.args.clone()
            });
            let mut all = slots(&nodes);
            let mut k = 0;
            while k < all.len() && budget > 0 {
                let (path, i) = all[k].clone();
                let mut kept = false;
                for edit in 0..4 {
                    let mut trial = nodes.clone();
                    if !edit_node(&mut trial, &path, i, edit) {
                        continue;
                    }
                    let mut candidate = best.clone();
                    *(if part {
                        &mut candidate.item
                    } else {
                        &mut candidate.args
                    }) = stream(&trial);
                    budget = budget.saturating_sub(1);
                    if run(&candidate).key().as_deref() == Some(key) {
                        (nodes, best, kept, changed) = (trial, candidate, true, true);
                        break;
                    }
                }
                if kept {
                    all = slots(&nodes);
                } else {
                    k += 1;
                }
            }
        }
    }
    best
}

/// Edit number `edit` of the node at `i` in the stream at `path`: delete it, empty it (a
/// group), replace it by its contents (a group), or delete it and the next one (`#[..]`).
/// Whether there was such an edit.
fn edit_node(nodes: &mut Vec<Node>, path: &[usize], i: usize, edit: usize) -> bool {
    let s = stream_at(nodes, path);
    if i >= s.len() {
        return false;
    }
    let pair = i + 1 < s.len();
    match (edit, &mut s[i]) {
        (0, _) => {
            s.remove(i);
        }
        (1, Node::Group(_, _, inner)) if !inner.is_empty() => inner.clear(),
        (2, Node::Group(_, _, inner)) => {
            let inner = std::mem::take(inner);
            s.splice(i..=i, inner);
        }
        (3, _) if pair => drop(s.drain(i..i + 2)),
        _ => return false,
    }
    true
}
