//! The harness: a batch of programs is written as one scratch crate, built, the modules that
//! fail to compile are identified (and classified: a macro panic, a compile error, or a
//! generator mistake when the plain copy does not compile either) and left out of a rebuild,
//! and the rest is run and its printed lines parsed.

pub mod build;
pub mod run;

use crate::ast::Program;
pub use build::Scratch;
use run::Outcome;
use std::collections::BTreeMap;
use std::time::Duration;

/// The outcomes of a batch, by module, and the compiler messages of the modules that did not
/// compile.
pub struct BatchResult {
    /// The outcome per module.
    pub outcomes: BTreeMap<String, Outcome>,
    /// Compiler messages per module that did not compile.
    pub messages: BTreeMap<String, String>,
}

/// How a module's compiler errors are classified.
fn classify_errors(m: &crate::emit::Module, diags: &[build::Diagnostic]) -> Outcome {
    let first_line = |d: &build::Diagnostic| d.text.lines().next().unwrap_or("").to_string();
    if let Some(d) = diags
        .iter()
        .find(|d| d.line >= m.plain.0 && d.line <= m.plain.1)
    {
        return Outcome {
            class: "invalid".into(),
            detail: format!("the plain copy does not compile: {}", first_line(d)),
        };
    }
    if let Some(d) = diags.iter().find(|d| d.text.contains("panicked")) {
        let msg = d
            .text
            .lines()
            .find(|l| l.contains("message:"))
            .unwrap_or("")
            .trim()
            .to_string();
        return Outcome {
            class: "macro-panic".into(),
            detail: format!("{} {msg} (line {})", first_line(d), d.line),
        };
    }
    let d = &diags[0];
    let region = if d.line >= m.functions.0 && d.line <= m.functions.1 {
        "in the functions"
    } else {
        "in the checker"
    };
    Outcome {
        class: "compile-error".into(),
        detail: format!("{} ({region}, line {})", first_line(d), d.line),
    }
}

/// Builds and checks `programs` as the scratch crate `name`.
pub fn check_batch(
    scratch: &Scratch,
    name: &str,
    programs: &[Program],
    timeout: Duration,
) -> std::io::Result<BatchResult> {
    let mut outcomes = BTreeMap::new();
    let mut messages = BTreeMap::new();
    let mut live: Vec<Program> = programs.to_vec();
    for _attempt in 0..6 {
        let (dir, modules) = scratch.write(name, &live)?;
        let b = scratch.build(&dir)?;
        if b.ok {
            let names: Vec<String> = live.iter().map(Program::module).collect();
            outcomes.extend(run::run(&b.binary, &names, timeout));
            return Ok(BatchResult { outcomes, messages });
        }
        if let Some(text) = b.unattributed {
            for p in &live {
                let detail = format!(
                    "the batch failed to build: {}",
                    text.lines().take(3).collect::<Vec<_>>().join(" / ")
                );
                outcomes.insert(
                    p.module(),
                    Outcome {
                        class: "harness-error".into(),
                        detail,
                    },
                );
            }
            return Ok(BatchResult { outcomes, messages });
        }
        for (module, diags) in &b.errors {
            if let Some(m) = modules.get(module) {
                outcomes.insert(module.clone(), classify_errors(m, diags));
                let text: Vec<String> = diags.iter().map(|d| d.text.clone()).collect();
                messages.insert(module.clone(), text.join("\n"));
            }
        }
        live.retain(|p| !b.errors.contains_key(&p.module()));
        if live.is_empty() {
            break;
        }
    }
    for p in &live {
        outcomes.entry(p.module()).or_insert_with(|| Outcome {
            class: "harness-error".into(),
            detail: "kept failing to build".into(),
        });
    }
    Ok(BatchResult { outcomes, messages })
}
