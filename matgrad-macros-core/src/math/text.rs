//! A derivation as text: Unicode, one equation per line, or a LaTeX `aligned` block.

use super::render::{text, var, Style};
use super::term::{Func, Term};
use super::{Derivation, Line, Piece};

/// The derivation's lines: the forward equations, the adjoint equations, and the registry
/// formulas it cites.
pub fn lines(d: &Derivation, style: Style) -> String {
    let mut out = Vec::new();
    section(&mut out, "forward", &d.forward, style);
    section(&mut out, "adjoint", &d.adjoint, style);
    if d.adjoint.iter().any(uses_step) {
        out.push(note(
            "H is the Heaviside step: 1 above 0, ½ at 0 (a tie split evenly), 0 below",
            1,
            style,
        ));
    }
    let short = d.inlined.iter().all(|(v, t)| {
        let line = format!("{} = {}", var(v, Style::Unicode), text(t, Style::Unicode));
        line.chars().count() <= INLINED_WIDTH
    });
    if !d.inlined.is_empty() && short {
        out.push(heading("gradients, intermediates substituted", style));
        for (v, t) in &d.inlined {
            out.push(equation(&var(v, style), "=", &text(t, style), 1, style));
        }
    }
    if !d.rules.is_empty() {
        out.push(heading(
            "the registry's rule of each operation above",
            style,
        ));
        for (label, formula) in &d.rules {
            out.push(note(&format!("{label}: {formula}"), 1, style));
        }
    }
    match style {
        Style::Unicode => out.join("\n"),
        Style::Latex => format!(
            "\\begin{{aligned}}\n{}\n\\end{{aligned}}",
            out.join(" \\\\\n")
        ),
    }
}

/// The longest inlined gradient the derivation shows (in characters, as Unicode).
const INLINED_WIDTH: usize = 100;

/// The inlined gradients, one a line.
pub fn inlined(d: &Derivation, style: Style) -> String {
    d.inlined
        .iter()
        .map(|(v, t)| equation(&var(v, style), "=", &text(t, style), 0, style))
        .collect::<Vec<_>>()
        .join("\n")
}

fn section(out: &mut Vec<String>, name: &str, lines: &[Line], style: Style) {
    out.push(heading(name, style));
    let mut depth = 1;
    for l in lines {
        match l {
            Line::Eq(v, t) => {
                out.push(equation(&var(v, style), "=", &text(t, style), depth, style))
            }
            Line::AddEq(v, t) => out.push(equation(
                &var(v, style),
                "+=",
                &text(t, style),
                depth,
                style,
            )),
            Line::Open(h) => {
                out.push(note(h, depth, style));
                depth += 1;
            }
            Line::Close => depth = depth.saturating_sub(1),
            Line::Note(pieces) => out.push(remark(pieces, depth, style)),
        }
    }
}

/// Whether an equation writes the step `H`.
fn uses_step(line: &Line) -> bool {
    match line {
        Line::Eq(_, t) | Line::AddEq(_, t) => t.any(&|t| matches!(t, Term::Apply(Func::Step, _))),
        Line::Note(pieces) => pieces.iter().any(
            |p| matches!(p, Piece::Math(t) if t.any(&|t| matches!(t, Term::Apply(Func::Step, _)))),
        ),
        Line::Open(_) | Line::Close => false,
    }
}

fn heading(name: &str, style: Style) -> String {
    match style {
        Style::Unicode => format!("{name}:"),
        Style::Latex => format!("&\\textbf{{{}}}", words(name)),
    }
}

fn equation(lhs: &str, op: &str, rhs: &str, depth: usize, style: Style) -> String {
    match style {
        Style::Unicode => format!("{}{lhs} {op} {rhs}", "  ".repeat(depth)),
        Style::Latex => {
            let op = if op == "+=" { "\\mathrel{+}=" } else { "=" };
            format!(
                "{}{lhs} &{op} {rhs}",
                "\\quad ".repeat(depth.saturating_sub(1))
            )
        }
    }
}

fn note(n: &str, depth: usize, style: Style) -> String {
    match style {
        Style::Unicode => format!("{}{n}", "  ".repeat(depth)),
        Style::Latex => format!(
            "&{}\\text{{{}}}",
            "\\quad ".repeat(depth.saturating_sub(1)),
            words(n)
        ),
    }
}

fn remark(pieces: &[Piece], depth: usize, style: Style) -> String {
    let body: String = pieces
        .iter()
        .map(|p| match (p, style) {
            (Piece::Words(w), Style::Unicode) => w.clone(),
            (Piece::Words(w), Style::Latex) => format!("\\text{{{}}}", words(w)),
            (Piece::Math(t), s) => text(t, s),
        })
        .collect();
    match style {
        Style::Unicode => format!("{}{body}", "  ".repeat(depth)),
        Style::Latex => format!("&{}{body}", "\\quad ".repeat(depth.saturating_sub(1))),
    }
}

/// Words for LaTeX's `\text{..}`, its special characters escaped.
fn words(s: &str) -> String {
    s.chars()
        .flat_map(|c| match c {
            '_' | '&' | '%' | '$' | '#' | '{' | '}' => vec!['\\', c],
            '\\' => "\\textbackslash{}".chars().collect(),
            '…' => "\\ldots{}".chars().collect(),
            c => vec![c],
        })
        .collect()
}
