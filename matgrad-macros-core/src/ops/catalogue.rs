//! Text generated from the registry: the catalogue table of the README and the crate docs,
//! and the list of supported methods in error messages. Nothing here is written by hand, so
//! it cannot drift from what the generator understands.

use super::{BinaryOp, Domain, Op, Side, Syntax};

/// How `syntax` is written, as code, for an operation with `op`'s operands and extras.
pub fn written(op: Op, syntax: &Syntax) -> String {
    let spec = op.spec();
    let other = if spec.domain == Domain::Scalar || spec.float_operand {
        "b"
    } else {
        "&b"
    };
    let operand_args: Vec<&str> = [other].iter().take(spec.operands - 1).copied().collect();
    let extra_args: Vec<&str> = spec.extras.iter().map(|e| e.arg).collect();
    let args = |first: Option<&str>| {
        let all: Vec<&str> = first
            .into_iter()
            .chain(operand_args.clone())
            .chain(extra_args.clone())
            .collect();
        all.join(", ")
    };
    match *syntax {
        Syntax::Binary(b) => {
            let s = symbol(b);
            format!("`a {s} b`, `a {s}= b`")
        }
        Syntax::TransposedProduct(Side::Lhs) => "`a.transpose() * b`".to_string(),
        Syntax::TransposedProduct(Side::Rhs) => "`a * b.transpose()`".to_string(),
        Syntax::Negation => "`-x`".to_string(),
        Syntax::Index => "`m[(i, j)]`, `v[i]`".to_string(),
        Syntax::Method { name, .. } => format!("`.{name}{}({})`", spec.turbofish, args(None)),
        Syntax::MethodPair {
            first,
            args: n,
            then,
        } => {
            let args = if n == 0 { String::new() } else { args(None) };
            format!("`.{first}({args}).{then}()`{}", or_expect(then))
        }
        Syntax::Function { name, .. } => {
            let first = if spec.operands == 2 { "a" } else { "x" };
            format!("`f64::{name}({})`", args(Some(first)))
        }
        Syntax::Identity { name } => format!("`.{name}()`"),
        Syntax::Field { name } => format!("`.{name}`"),
        Syntax::FieldPair { field, then } => format!("`.{field}.{then}()`{}", or_expect(then)),
        Syntax::Associated { name, .. } => format!("`DMatrix::{name}({})`", args(Some("&v"))),
        Syntax::AssociatedArray { name } => format!("`DMatrix::{name}(&[a, b, ..])`"),
    }
}

/// `.expect(msg)` completes an `Option` as `.unwrap()` does.
fn or_expect(then: &str) -> &'static str {
    if then == "unwrap" {
        " (or `.expect(msg)`)"
    } else {
        ""
    }
}

fn symbol(b: BinaryOp) -> &'static str {
    match b {
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
    }
}

fn domain(d: Domain) -> &'static str {
    match d {
        Domain::Scalar => "floats",
        Domain::Matrix => "matrices",
        Domain::Any => "floats, matrices",
    }
}

/// The catalogue as a Markdown table: how each operation is written, what it applies to,
/// what it computes, its derivative (the pullback's formula) and its tangent rule (forward
/// mode); internal operations (no syntax: only tangent rules build them) are left out.
pub fn markdown() -> String {
    let mut out = String::from(
        "| written | on | computes | derivative (pullback) | tangent (forward mode) |\n\
         | --- | --- | --- | --- | --- |\n",
    );
    for &op in Op::ALL.iter().filter(|op| !op.is_internal()) {
        let spec = op.spec();
        let forms: Vec<String> = spec.syntax.iter().map(|s| written(op, s)).collect();
        let cells = [
            forms.join(", "),
            domain(spec.domain).to_string(),
            spec.doc.to_string(),
            spec.formula.to_string(),
            spec.tangent.to_string(),
        ];
        let cells: Vec<String> = cells.iter().map(|c| c.replace('|', "\\|")).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

/// The methods `#[grad]` differentiates, for error messages: "`.transpose()`, `.dot(&b)`, ...".
pub fn methods() -> String {
    let mut out: Vec<String> = Vec::new();
    for &op in Op::ALL {
        for s in op.spec().syntax {
            if matches!(
                s,
                Syntax::Method { .. }
                    | Syntax::MethodPair { .. }
                    | Syntax::Identity { .. }
                    | Syntax::Field { .. }
                    | Syntax::FieldPair { .. }
            ) {
                out.push(written(op, s).replace(or_expect("unwrap"), ""));
            }
        }
    }
    out.push("`.map(|v| ...)`".to_string());
    out.push("`.expect(msg)` in place of each `.unwrap()`".to_string());
    let shapes: Vec<String> = super::SHAPE_METHODS
        .iter()
        .chain(super::INDEX_METHODS)
        .map(|m| format!("`.{m}()`"))
        .collect();
    format!(
        "{}, and the shape and index queries {}",
        out.join(", "),
        shapes.join(", ")
    )
}

/// The method names closest to `name` (for "did you mean"), at most two edits away.
pub fn similar_methods(name: &str) -> Vec<String> {
    let mut found: Vec<(usize, String)> = Vec::new();
    if name.len() < 3 {
        return Vec::new();
    }
    for &op in Op::ALL {
        for s in op.spec().syntax {
            let candidate = match *s {
                Syntax::Method { name, .. } | Syntax::Identity { name } => name,
                Syntax::MethodPair { first, .. } => first,
                _ => continue,
            };
            let d = distance(name, candidate);
            let limit = if name.len() <= 4 { 1 } else { 2 };
            if d <= limit && !found.iter().any(|(_, c)| c == candidate) {
                found.push((d, candidate.to_string()));
            }
        }
    }
    found.sort();
    found.into_iter().map(|(_, c)| c).collect()
}

/// The edit distance between two short strings, a swap of neighbours counting as one edit
/// (optimal string alignment).
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_has_a_row_per_operation() {
        let table = markdown();
        let written = Op::ALL.iter().filter(|op| !op.is_internal()).count();
        assert_eq!(table.lines().count(), written + 2);
        assert!(
            written < Op::ALL.len(),
            "the internal operations are left out"
        );
        assert!(!table.contains("exp_tangent") && !table.contains("| `` |"));
        assert!(table.contains("| `.powi(n)`, `f64::powi(x, n)` | floats | xⁿ for an integer n |"));
        assert!(table
            .contains("| Ā += Ḡ·Bᵀ, B̄ += Aᵀ·Ḡ (a scalar factor s: s̄ += ⟨Ḡ, M⟩) | Ẏ = Ȧ·B + A·Ḃ"));
        assert!(table.contains("`.dot(&b)`"));
    }

    #[test]
    fn the_method_list_names_every_method() {
        let m = methods();
        assert!(m.starts_with("`.tr_mul(&b)`"), "{m}");
        assert!(m.contains("`.clone()`") && m.ends_with("`.iamin()`"), "{m}");
        assert!(m.contains("`.try_inverse().unwrap()`"));
        assert!(m.contains("`.solve_lower_triangular(&b).unwrap()`"));
        assert!(m.contains("`.eigenvalues`"));
        assert!(m.contains("`.column(j)`"));
    }

    #[test]
    fn similar_methods_suggest_near_misses_only() {
        assert_eq!(similar_methods("nrom"), ["norm"]);
        assert!(similar_methods("frobnicate").is_empty());
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
