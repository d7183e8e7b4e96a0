//! Fresh, hygienic names for the generated code's locals.
//!
//! A generated name never equals an identifier the user's function mentions (they are all
//! reserved up front), so generated locals cannot collide with the user's locals, parameters,
//! or the items and paths the body names. A binding that stands for the user's `let r` is
//! called `r` (`r_2` for a later shadowing `r`), so `cargo expand` output reads like the
//! user's code. Items *outside* the function (a `const x_bar` in the module) are hidden from
//! the generated locals by [`Names::generated`]: the companions import a dummy under each
//! generated name first (see `emit`).
//!
//! Every name gets a `Span::mixed_site()` span located at the user's code it comes from, for
//! error messages.

use proc_macro2::{Span, TokenStream, TokenTree};
use std::collections::{HashMap, HashSet};
use syn::Ident;

/// The names handed out so far, for one expansion.
#[derive(Default)]
pub struct Names {
    /// Identifiers the user's function mentions.
    reserved: HashSet<String>,
    /// Names handed out (the user's own names included, once each).
    taken: HashSet<String>,
    /// The next suffix to try for a base, so that freshening is linear overall.
    next: HashMap<String, usize>,
    /// Names handed out that the user did not write, in order.
    generated: Vec<String>,
}

impl Names {
    /// Names for a function whose tokens are `item`: every identifier in it is reserved.
    pub fn for_item(item: &TokenStream) -> Self {
        let mut names = Names::default();
        reserve(item.clone(), &mut names.reserved);
        names
    }

    /// Marks `name` as handed out (a parameter keeps its own name).
    pub fn claim(&mut self, name: &str) {
        self.taken.insert(name.trim_start_matches("r#").to_string());
    }

    /// The binding for a user's variable `name`: the name itself the first time, then a fresh
    /// variant (`r_2`, `r_3`, ...).
    pub fn user(&mut self, name: &str, at: Span) -> Ident {
        let base = name.trim_start_matches("r#");
        if !self.taken.contains(base) && is_plain(base) {
            self.taken.insert(base.to_string());
            return ident(base, at);
        }
        self.fresh(base, at)
    }

    /// A new name based on `base` (`base`, else `base_2`, `base_3`, ...) that the user's
    /// function does not mention and that was not handed out before, spanned at `at`.
    pub fn fresh(&mut self, base: &str, at: Span) -> Ident {
        let base = base.trim_start_matches("r#");
        let mut candidate = base.to_string();
        if self.reserved.contains(&candidate)
            || self.taken.contains(&candidate)
            || !is_plain(&candidate)
        {
            let k = self.next.entry(base.to_string()).or_insert(2);
            loop {
                candidate = format!("{base}_{k}");
                *k += 1;
                if !self.reserved.contains(&candidate) && !self.taken.contains(&candidate) {
                    break;
                }
            }
        }
        self.taken.insert(candidate.clone());
        self.generated.push(candidate.clone());
        ident(&candidate, at)
    }

    /// A new name as [`Names::fresh`] gives, for a parameter of a generated function (a
    /// direction of `f_jvp`): not shadowed in its body as generated locals are.
    pub fn parameter(&mut self, base: &str, at: Span) -> Ident {
        let name = self.fresh(base, at);
        self.generated.pop();
        name
    }

    /// The names handed out that the user did not write.
    pub fn generated(&self) -> &[String] {
        &self.generated
    }
}

/// Whether `name` can be a plain identifier (not a keyword).
fn is_plain(name: &str) -> bool {
    syn::parse_str::<Ident>(name).is_ok()
}

fn ident(name: &str, at: Span) -> Ident {
    Ident::new(name, Span::mixed_site().located_at(at))
}

fn reserve(tokens: TokenStream, out: &mut HashSet<String>) {
    for tt in tokens {
        match tt {
            TokenTree::Ident(i) => {
                out.insert(i.to_string().trim_start_matches("r#").to_string());
            }
            TokenTree::Group(g) => reserve(g.stream(), out),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn fresh_names_avoid_every_identifier_of_the_function() {
        let mut names = Names::for_item(&quote!(
            fn f(x: f64) {
                let x_bar = 1.0;
                x_bar_2
            }
        ));
        assert_eq!(names.fresh("x_bar", Span::call_site()), "x_bar_3");
        assert_eq!(names.fresh("x_bar", Span::call_site()), "x_bar_4");
        assert_eq!(names.fresh("__t", Span::call_site()), "__t");
        assert_eq!(names.fresh("__t", Span::call_site()), "__t_2");
    }

    #[test]
    fn a_user_name_is_kept_once_then_varied() {
        let mut names = Names::for_item(&quote!(
            fn f(x: f64) {
                let r = x;
                let r = r;
                r
            }
        ));
        names.claim("x");
        assert_eq!(names.user("r", Span::call_site()), "r");
        assert_eq!(names.user("r", Span::call_site()), "r_2");
        assert_eq!(names.user("x", Span::call_site()), "x_2");
        assert_eq!(names.generated(), ["r_2", "x_2"]);
    }

    #[test]
    fn freshening_many_shadowings_is_linear() {
        let mut names = Names::default();
        for k in 0..20_000 {
            let n = names.user("y", Span::call_site());
            if k > 0 {
                assert_eq!(n, format!("y_{}", k + 1).as_str());
            }
        }
    }
}
