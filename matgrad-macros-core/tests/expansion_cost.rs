//! The macro's expansion time per annotated function (compile-time cost): an `#[ignore]`d
//! test that finds every `#[grad]` function of the examples, the benchmark workloads and
//! `src/activations.rs`, times `expand_grad` on each, and writes the result as JSON to the
//! file named by `$EXPANSION_COST_OUT`:
//!
//! ```text
//! EXPANSION_COST_OUT=out.json cargo test -p matgrad-macros-core --release --test expansion_cost -- --ignored
//! ```
//!
//! `scripts/compile_cost.py` runs it. Outside a compiler, proc-macro2 uses its own token
//! streams rather than rustc's, so the times are those of the macro's own work, not of the
//! compiler handing tokens to it and parsing what comes back.

use matgrad_macros_core::{expand_grad, Context};
use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use syn::visit::Visit;

/// Timed expansions per function; the median is reported.
const RUNS: usize = 50;
/// Untimed expansions before them.
const WARM_UP: usize = 3;
/// The directories (all their `.rs` files) and files searched, relative to the workspace.
const SOURCES: &[&str] = &["examples", "benches/workloads", "src/activations.rs"];

/// One `#[grad]` function as the macro receives it.
struct Annotated {
    file: String,
    name: String,
    args: TokenStream,
    /// The function without its `#[grad]` attribute.
    item: TokenStream,
    source_lines: usize,
}

/// Collects the `#[grad]` functions of one parsed file, nested modules included.
struct Finder<'a> {
    file: &'a str,
    found: Vec<Annotated>,
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if let Some(pos) = f.attrs.iter().position(is_grad) {
            let mut item = f.clone();
            let args = match item.attrs.remove(pos).meta {
                syn::Meta::List(list) => list.tokens,
                _ => TokenStream::new(),
            };
            let first = f.sig.fn_token.span.start().line;
            let last = f.block.brace_token.span.close().end().line;
            self.found.push(Annotated {
                file: self.file.to_string(),
                name: f.sig.ident.to_string(),
                args,
                item: item.to_token_stream(),
                source_lines: last + 1 - first,
            });
        }
        syn::visit::visit_item_fn(self, f);
    }
}

/// Whether `attr` is `#[grad]`, `#[grad(..)]` or a path ending in `grad`.
fn is_grad(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "grad")
}

/// The `#[grad]` functions of the files under [`SOURCES`], in path order.
fn annotated(root: &Path) -> Vec<Annotated> {
    let mut files = Vec::new();
    for source in SOURCES {
        let path = root.join(source);
        if path.is_dir() {
            let mut rs: Vec<_> = std::fs::read_dir(&path)
                .expect("read the source directory")
                .map(|e| e.expect("a directory entry").path())
                .filter(|p| p.extension().is_some_and(|x| x == "rs"))
                .collect();
            rs.sort();
            files.extend(rs);
        } else if path.is_file() {
            files.push(path);
        }
    }
    let mut found = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read a source file");
        let parsed = syn::parse_file(&text).expect("parse a source file");
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let mut finder = Finder {
            file: &rel,
            found: Vec::new(),
        };
        finder.visit_file(&parsed);
        found.extend(finder.found);
    }
    found
}

/// The number of tokens in `tokens`, a group's delimiters counting as one.
fn count_tokens(tokens: TokenStream) -> usize {
    tokens
        .into_iter()
        .map(|tt| match tt {
            TokenTree::Group(g) => 1 + count_tokens(g.stream()),
            _ => 1,
        })
        .sum()
}

/// The number of lines of `tokens` formatted by rustfmt, if rustfmt runs.
fn rustfmt_lines(tokens: &TokenStream) -> Option<usize> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2021"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    child
        .stdin
        .take()?
        .write_all(tokens.to_string().as_bytes())
        .ok()?;
    let out = child.wait_with_output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).lines().count())
}

/// The median of `times` in µs (sorting them).
fn median_us(times: &mut [Duration]) -> f64 {
    times.sort();
    let n = times.len();
    let mid = if n % 2 == 1 {
        times[n / 2]
    } else {
        (times[n / 2 - 1] + times[n / 2]) / 2
    };
    mid.as_secs_f64() * 1e6
}

/// The JSON object of one function: its sizes and its expansion times.
fn measure(f: &Annotated) -> String {
    let context = Context::default();
    let expanded = expand_grad(f.args.clone(), f.item.clone(), &context);
    for _ in 0..WARM_UP {
        drop(expand_grad(f.args.clone(), f.item.clone(), &context));
    }
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let (args, item) = (f.args.clone(), f.item.clone());
        let start = Instant::now();
        let out = expand_grad(args, item, &context);
        times.push(start.elapsed());
        drop(std::hint::black_box(out));
    }
    let min_us = times.iter().min().map_or(0.0, |t| t.as_secs_f64() * 1e6);
    let median = median_us(&mut times);
    let lines = |t: &TokenStream| rustfmt_lines(t).map_or("null".to_string(), |n| n.to_string());
    format!(
        "{{\"file\": {}, \"name\": {}, \"args\": {}, \"source_lines\": {}, \
         \"item_tokens\": {}, \"item_lines\": {}, \"expanded_tokens\": {}, \
         \"expanded_lines\": {}, \"expanded_bytes\": {}, \"median_us\": {:.2}, \"min_us\": {:.2}}}",
        json_string(&f.file),
        json_string(&f.name),
        json_string(&f.args.to_string()),
        f.source_lines,
        count_tokens(f.item.clone()),
        lines(&f.item),
        count_tokens(expanded.clone()),
        lines(&expanded),
        expanded.to_string().len(),
        median,
        min_us,
    )
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[test]
#[ignore = "a measurement: scripts/compile_cost.py runs it with --release"]
fn expansion_time_per_function() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let functions = annotated(&root);
    assert!(!functions.is_empty(), "no #[grad] function found");
    let rows: Vec<String> = functions.iter().map(measure).collect();
    let json = format!(
        "{{\"runs\": {RUNS}, \"warm_up\": {WARM_UP}, \"profile\": \"{}\", \"functions\": [\n  {}\n]}}\n",
        if cfg!(debug_assertions) { "debug" } else { "release" },
        rows.join(",\n  ")
    );
    match std::env::var_os("EXPANSION_COST_OUT") {
        Some(path) => std::fs::write(&path, json).expect("write $EXPANSION_COST_OUT"),
        None => print!("{json}"),
    }
}
