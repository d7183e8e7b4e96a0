//! Fresh, hygienic names for the generated code's locals.
//!
//! Every generated local gets a `Span::mixed_site()` span (located at the user's code it comes
//! from, for error messages), so user code can neither name nor shadow it, and the names are
//! kept distinct from each other. A binding that stands for the user's `let r` is called `r`
//! (`r_2` for a later shadowing `r`), so `cargo expand` output reads like the user's code.

use proc_macro2::Span;
use std::collections::HashSet;
use syn::Ident;

/// The names handed out so far.
pub struct Names {
    taken: HashSet<String>,
}

/// Fixed names the generated code uses for its own locals; fresh names avoid them.
const INTERNAL: &[&str] = &[
    "__g",
    "__g_elem",
    "__value",
    "__cotangent",
    "__cotangents",
    "__saved",
    "__merged",
    "__kept",
    "__v",
];

impl Default for Names {
    fn default() -> Self {
        Names {
            taken: INTERNAL.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl Names {
    /// A new name based on `base` (`base`, else `base_2`, `base_3`, ...), spanned at `at`.
    pub fn fresh(&mut self, base: &str, at: Span) -> Ident {
        let base = base.trim_start_matches("r#");
        let mut candidate = base.to_string();
        let mut k = 2;
        while self.taken.contains(&candidate) {
            candidate = format!("{base}_{k}");
            k += 1;
        }
        self.taken.insert(candidate.clone());
        Ident::new(&candidate, Span::mixed_site().located_at(at))
    }
}
