//! The derivation's companions: `const F_DERIVATION` and `F_DERIVATION_LATEX`, and the
//! derivation section of `f_grad`'s and `f_pullback`'s docs (`math` writes the text).

use super::companions::Companions;
use crate::ir::Body;
use crate::math::Style;
use crate::parse::Signature;
use proc_macro2::TokenStream;
use quote::quote;

/// The longest derivation the docs of `f_grad` and `f_pullback` show (in bytes); a longer one
/// is only named there.
const LONGEST_DOC: usize = 16_000;

/// The derivation's two texts, written once for the constants and both docs.
pub(super) struct Texts {
    pub unicode: String,
    pub latex: String,
}

impl Texts {
    pub fn of(body: &Body, sig: &Signature) -> Texts {
        let d = crate::math::derive(body, sig);
        Texts {
            unicode: d.text(Style::Unicode),
            latex: d.text(Style::Latex),
        }
    }
}

impl Companions<'_> {
    /// `const F_DERIVATION: &str` (Unicode) and `const F_DERIVATION_LATEX: &str`.
    pub(super) fn derivation_consts(&self) -> TokenStream {
        let fn_name = self.fn_name;
        let (vis, attrs) = (&self.func.vis, &self.attrs);
        let (name, latex_name) = (
            self.const_name("_DERIVATION"),
            self.const_name("_DERIVATION_LATEX"),
        );
        let (text, latex) = (&self.derivation.unicode, &self.derivation.latex);
        let doc = format!(
            "The derivative of [`{fn_name}`] that `#[grad]` generates, in mathematical notation: the \
             forward equations, then the adjoint equations in reverse order (x̄ the adjoint of x, ᵀ \
             transposes, ⊙ and ⊘ entry-wise products and quotients, Σᵢ and Σⱼ sums over rows and \
             columns), with the source's names, one equation per line; the docs of its `_grad` and \
             `_pullback` show it."
        );
        let latex_doc = format!(
            "[`{name}`] as a LaTeX `aligned` block (KaTeX and MathJax render it), for a paper or \
             notes."
        );
        quote! {
            #[doc = #doc]
            #(#attrs)*
            #[allow(dead_code)]
            #vis const #name: &str = #text;
            #[doc = #latex_doc]
            #(#attrs)*
            #[allow(dead_code)]
            #vis const #latex_name: &str = #latex;
        }
    }

    /// The derivation section of `f_grad`'s and `f_pullback`'s docs: the Unicode text, and
    /// `with_latex` the LaTeX hidden for a docs header that renders it
    /// (`docs/katex-header.html`); one of the two carries it (`f_grad` for a float-valued
    /// function), as a copy in each costs compile time for nothing.
    pub(super) fn derivation_doc(&self, with_latex: bool) -> String {
        let text = &self.derivation.unicode;
        let (name, latex_name) = (
            self.const_name("_DERIVATION"),
            self.const_name("_DERIVATION_LATEX"),
        );
        if text.len() > LONGEST_DOC {
            return format!(
                "\n\n# Derivation\n\nThe derivative as generated is [`{name}`] ({} lines; \
                 [`{latex_name}`] in LaTeX).\n",
                text.lines().count()
            );
        }
        let hidden = match with_latex {
            true => format!(
                "\n<div class=\"matgrad-latex\" hidden>{}</div>\n",
                self.derivation
                    .latex
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
            ),
            false => String::new(),
        };
        format!(
            "\n\n# Derivation\n\nThe derivative as generated (also [`{name}`], and [`{latex_name}`] in \
             LaTeX):\n\n```text\n{text}\n```\n{hidden}",
        )
    }
}
