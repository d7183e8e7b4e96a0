//! One case from a seed and its number: a corpus function (mutated or not), or a generated
//! program, with the attribute's arguments (mutated or not), expanded as `#[grad]` or
//! `#[vjp]`.

use crate::corpus::{Attr, Seed};
use crate::fragments::{garbage, idents, IDENTS};
use crate::generate;
use crate::mutate;
use proc_macro2::TokenStream;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

/// One input to the expansion.
#[derive(Clone)]
pub struct Case {
    /// Where it came from: `seed`, `mutated`, `args`, `generated:<kind>`, `generated+mutated`.
    pub family: String,
    /// The mutations applied, for the report.
    pub detail: String,
    pub attr: Attr,
    pub args: TokenStream,
    pub item: TokenStream,
}

/// Case `index` of the run seeded with `seed`: the same pair gives the same case.
pub fn make(corpus: &[Seed], seed: u64, index: u64) -> Case {
    let mut rng = StdRng::seed_from_u64(splitmix(seed ^ splitmix(index)));
    let base = corpus.choose(&mut rng).cloned().unwrap_or_else(|| Seed {
        attr: Attr::Grad,
        args: TokenStream::new(),
        item: TokenStream::new(),
    });
    let donor = corpus
        .choose(&mut rng)
        .map_or_else(TokenStream::new, |d| d.item.clone());
    let mut case = Case {
        family: String::new(),
        detail: String::new(),
        attr: base.attr,
        args: base.args,
        item: base.item,
    };
    match rng.random_range(0..100) {
        0..5 => case.family = "seed".into(),
        5..60 => {
            let (item, applied) = parsing_mutant(&mut rng, &case.item, &donor);
            case.item = item;
            case.family = "mutated".into();
            case.detail = format!("{applied:?}");
            if rng.random_bool(0.2) {
                case.args = args(&mut rng, case.args, &case.item, &donor);
                case.detail.push_str(" + args");
            }
        }
        60..75 => {
            case.args = args(&mut rng, case.args, &case.item, &donor);
            case.family = "args".into();
        }
        _ => generated(&mut rng, &mut case, donor),
    }
    if rng.random_bool(0.15) {
        case.attr = match case.attr {
            Attr::Grad => Attr::Vjp,
            Attr::Vjp => Attr::Grad,
        };
    }
    case
}

/// Mutations of `item`, retried a few times (most of the time) until the mutant still
/// parses as a function, so that many cases get past parsing.
fn parsing_mutant(
    rng: &mut StdRng,
    item: &TokenStream,
    donor: &TokenStream,
) -> (TokenStream, Vec<mutate::Mutation>) {
    let tries = if rng.random_bool(0.7) { 6 } else { 1 };
    let mut last = None;
    for _ in 0..tries {
        let (mutant, applied) = mutate::mutate(rng, item.clone(), donor.clone());
        if matches!(
            syn::parse2::<syn::Item>(mutant.clone()),
            Ok(syn::Item::Fn(_))
        ) {
            return (mutant, applied);
        }
        last = Some((mutant, applied));
    }
    last.unwrap_or_default()
}

/// A generated program, mutated a quarter of the time.
fn generated(rng: &mut StdRng, case: &mut Case, donor: TokenStream) {
    let p = generate::program(rng);
    case.attr = Attr::Grad;
    case.args = p.args.parse().unwrap_or_default();
    case.item = p.item.parse().unwrap_or_default();
    case.family = format!("generated:{}", p.kind);
    if rng.random_bool(0.25) {
        let (item, applied) = mutate::mutate(rng, case.item.clone(), donor);
        case.item = item;
        case.family = format!("generated+mutated:{}", p.kind);
        case.detail = format!("{applied:?}");
    }
}

/// `crate = ..` paths, good and bad.
const CRATE_PATHS: &[&str] = &[
    "::ad",
    "ad",
    "a::b",
    "",
    "1",
    "self",
    "crate",
    "a::",
    "<T>::x",
    "::ad, crate = ::b",
];

/// `#[vjp(..)]` rule paths, good and bad.
const RULE_PATHS: &[&str] = &[
    "a::b",
    "::r::<T>",
    "<T as Tr>::f",
    "self::r",
    "r, s",
    "r::",
    "fn",
    "\"r\"",
];

/// Arguments of the wrong shape.
const ODD_ARGS: &[&str] = &[
    "x = \"y\"",
    "wrt = x",
    "(x)",
    "[x]",
    "{x}",
    "x: f64",
    "&x",
    "#x",
    "x..",
];

/// Hostile attribute arguments: identifiers (of the item or others), `crate = ..`, paths,
/// garbage, token mutations of the original arguments, or none.
fn args(
    rng: &mut StdRng,
    original: TokenStream,
    item: &TokenStream,
    donor: &TokenStream,
) -> TokenStream {
    let mut names = Vec::new();
    idents(item.clone(), &mut names);
    let name = |rng: &mut StdRng| -> TokenStream {
        match names.choose(rng) {
            Some(i) if rng.random_bool(0.6) => quote::quote!(#i),
            _ => crate::fragments::lex(rng, IDENTS),
        }
    };
    let text = match rng.random_range(0..7) {
        0 => {
            let mut out = TokenStream::new();
            for k in 0..rng.random_range(1..=4) {
                if k > 0 && rng.random_bool(0.9) {
                    out.extend(quote::quote!(,));
                }
                out.extend(name(rng));
            }
            return out;
        }
        1 => {
            let path = CRATE_PATHS.choose(rng).copied().unwrap_or("");
            let mut out = if rng.random_bool(0.5) {
                name(rng)
            } else {
                TokenStream::new()
            };
            out.extend(
                format!(", crate = {path}")
                    .parse::<TokenStream>()
                    .unwrap_or_default(),
            );
            return out;
        }
        2 => return garbage(rng),
        3 => return mutate::mutate(rng, original, donor.clone()).0,
        4 => "",
        5 => RULE_PATHS.choose(rng).copied().unwrap_or(""),
        _ => {
            let mut parts: Vec<&str> = ODD_ARGS.choose_multiple(rng, 3).copied().collect();
            parts.truncate(rng.random_range(1..=3));
            return parts.join(", ").parse().unwrap_or_default();
        }
    };
    text.parse().unwrap_or_default()
}

/// SplitMix64's mixing function: independent generator seeds from consecutive numbers.
fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
