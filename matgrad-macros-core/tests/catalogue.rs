//! The operation catalogue in the README and in `docs/catalogue.md` is the registry's: this
//! test fails when they differ. Regenerate both with
//!
//! ```text
//! MATGRAD_BLESS=1 cargo test -p matgrad-macros-core --test catalogue
//! ```

use matgrad_macros_core::ops::{catalogue, Op};
use std::path::Path;

const START: &str = "<!-- catalogue: generated from the registry by `MATGRAD_BLESS=1 cargo test -p matgrad-macros-core --test catalogue` -->\n";
const END: &str = "<!-- end of catalogue -->";

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// `text` with the part between the markers replaced by `table`.
fn with_table(text: &str, table: &str) -> Option<String> {
    let start = text.find(START)? + START.len();
    let end = start + text[start..].find(END)?;
    Some(format!("{}{table}{}", &text[..start], &text[end..]))
}

fn check_or_bless(path: &Path, expected: &str) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    if std::env::var_os("MATGRAD_BLESS").is_some() {
        std::fs::write(path, expected).expect("write the catalogue");
        return;
    }
    assert!(
        text == expected,
        "{} is not the registry's catalogue; regenerate it with MATGRAD_BLESS=1 cargo test -p matgrad-macros-core --test catalogue",
        path.display()
    );
}

#[test]
fn the_docs_show_the_registry() {
    let table = catalogue::markdown();
    let docs = format!(
        "# The operations `#[grad]` differentiates\n\n\
         Generated from the registry (`matgrad-macros-core/src/ops/table.rs`); each row is one entry: how \
         it is written, what it applies to, what it computes, and its derivative twice: as the formula of \
         its pullback (ḡ is the cotangent of the result) and as its tangent rule for forward mode (ẏ from \
         the operands' tangents ẋ, ȧ, ḃ). Every kernel an entry names exists in \
         `matgrad-runtime` (`tests/registry.rs` checks it).\n\n{table}"
    );
    check_or_bless(&root().join("docs/catalogue.md"), &docs);
    let readme_path = root().join("README.md");
    let readme = std::fs::read_to_string(&readme_path).expect("read the README");
    let expected = with_table(&readme, &table).expect("the README has the catalogue's markers");
    check_or_bless(&readme_path, &expected);
}

/// Every entry, the internal ones included, states its tangent rule (the catalogue's
/// forward-mode column).
#[test]
fn every_entry_has_a_tangent() {
    for &op in Op::ALL {
        let tangent = op.spec().tangent;
        assert!(!tangent.trim().is_empty(), "{op:?} has no tangent");
        assert!(!tangent.contains('\n'), "{op:?}'s tangent is not one line");
    }
}
