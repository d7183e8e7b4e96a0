//! The seed corpus: every `#[grad]` and `#[vjp]` function of the repository's tests,
//! examples, benchmark workloads and activations, plus hand-written ones for the constructs
//! the repository uses rarely.

use proc_macro2::TokenStream;
use quote::ToTokens;
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// Which attribute a case is expanded as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attr {
    Grad,
    Vjp,
}

/// One annotated function as the macro receives it.
#[derive(Clone)]
pub struct Seed {
    pub attr: Attr,
    /// The attribute's argument tokens.
    pub args: TokenStream,
    /// The function without its attribute.
    pub item: TokenStream,
}

/// The directories (all their `.rs` files, recursively) and files searched, relative to
/// the workspace.
const SOURCES: &[&str] = &[
    "tests",
    "examples",
    "benches/workloads",
    "src/activations.rs",
];

/// Constructs the repository's functions use rarely, as one source file.
const HAND_WRITTEN: &str = r#"
#[grad]
fn loops(x: &DVector<f64>, n: usize) -> f64 {
    let mut y = x.clone();
    let mut s = 0.0;
    for i in 0..n {
        for j in (0..i).rev().step_by(2) {
            y = y.component_mul(x) * (j as f64);
        }
        s += y.sum();
    }
    s
}
#[grad(x)]
fn branches(x: f64, flag: bool, k: usize) -> f64 {
    let y = if flag && k > 2 { x * x } else if k == 0 { x.exp() } else { -x };
    let z = match k { 0 => y, 1 | 2 => y * 2.0, n if n > 9 => y.sin(), _ => { let t = y * 3.0; t * y } };
    z + 1.0
}
#[grad(x)]
fn option_and_closures(x: f64, scale: Option<f64>, w: &DVector<f64>) -> f64 {
    let mut y = x * x;
    if let Some(c) = scale { y = y * c; } else { y = y + 1.0; }
    let f = |v: f64| v * 2.0 + 1.0;
    let m = w.map(|e| e * 2.0).map(f64::tanh);
    f(y) * m.sum()
}
#[grad]
fn cfg_statements(x: f64) -> f64 {
    let mut y = x * 2.0;
    #[cfg(any())]
    let y = x * 100.0;
    #[cfg(all())]
    { y = y * x; }
    #[cfg_attr(all(), cfg(any()))]
    let y = y * 1000.0;
    y
}
#[grad(w, b)]
fn layer(w: &DMatrix<f64>, b: &DVector<f64>, xs: &[DVector<f64>]) -> f64 {
    let mut h = DVector::zeros(b.len());
    for x in xs.iter() {
        h = tanh(&(w * x + b + &h));
    }
    h.norm_squared() * 0.5
}
#[grad]
fn generic<T: RealField + Copy, const N: usize>(x: &SVector<T, N>) -> T {
    x.dot(x)
}
#[vjp(rule)]
pub fn ruled<T: RealField>(x: &T, y: f64, v: &DVector<f64>) -> f64 {
    x.clone().abs() + y * v.sum()
}
"#;

/// Collects the annotated functions of one parsed file, nested modules included.
#[derive(Default)]
struct Finder {
    found: Vec<Seed>,
}

impl<'ast> Visit<'ast> for Finder {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        let attr = |a: &syn::Attribute| {
            let last = a.path().segments.last().map(|s| s.ident.to_string());
            match last.as_deref() {
                Some("grad") => Some(Attr::Grad),
                Some("vjp") => Some(Attr::Vjp),
                _ => None,
            }
        };
        if let Some((pos, kind)) = f
            .attrs
            .iter()
            .enumerate()
            .find_map(|(i, a)| attr(a).map(|k| (i, k)))
        {
            let mut item = f.clone();
            let args = match item.attrs.remove(pos).meta {
                syn::Meta::List(list) => list.tokens,
                _ => TokenStream::new(),
            };
            self.found.push(Seed {
                attr: kind,
                args,
                item: item.to_token_stream(),
            });
        }
        syn::visit::visit_item_fn(self, f);
    }
}

/// The `.rs` files under `path` (itself if a file), in path order.
fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_file() {
        out.push(path.to_path_buf());
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The annotated functions of `text` (none if it does not parse).
fn seeds_of(text: &str) -> Vec<Seed> {
    let Ok(file) = syn::parse_file(text) else {
        return Vec::new();
    };
    let mut finder = Finder::default();
    finder.visit_file(&file);
    finder.found
}

/// The whole corpus: the repository's functions, then the hand-written ones.
pub fn load() -> Vec<Seed> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for source in SOURCES {
        rust_files(&root.join(source), &mut files);
    }
    let mut seeds: Vec<Seed> = files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .flat_map(|text| seeds_of(&text))
        .collect();
    seeds.extend(seeds_of(HAND_WRITTEN));
    seeds
}
