//! Classification results: counts per class and per construct family, the summary table,
//! and the standalone reproducer files of failures.

use crate::ast::Program;
use crate::emit;
use crate::family::Family;
use crate::harness::run::Outcome;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// The classes, in the order of the summary.
pub const CLASSES: &[&str] = &[
    "pass",
    "inconclusive",
    "value-mismatch",
    "gradient-mismatch",
    "tangent-mismatch",
    "hessian-mismatch",
    "runtime-panic",
    "compile-error",
    "macro-panic",
    "invalid",
    "harness-error",
];

/// Classes that are findings (a bug of the macro or its runtime).
pub const FINDINGS: &[&str] = &[
    "value-mismatch",
    "gradient-mismatch",
    "tangent-mismatch",
    "hessian-mismatch",
    "runtime-panic",
    "compile-error",
    "macro-panic",
];

/// One checked program.
#[derive(Clone, Debug)]
pub struct Record {
    /// The program.
    pub program: Program,
    /// What checking it gave.
    pub outcome: Outcome,
    /// The compiler's messages, for programs that did not compile.
    pub message: Option<String>,
}

impl Record {
    /// Whether this is a finding.
    pub fn is_finding(&self) -> bool {
        FINDINGS.contains(&self.outcome.class.as_str())
    }
}

/// All records of a run.
#[derive(Default)]
pub struct Report {
    /// The records, in program order.
    pub records: Vec<Record>,
    /// Seconds taken.
    pub seconds: f64,
}

impl Report {
    /// Programs per class.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for r in &self.records {
            *m.entry(r.outcome.class.clone()).or_insert(0) += 1;
        }
        m
    }
    /// Number of findings.
    pub fn findings(&self) -> usize {
        self.records.iter().filter(|r| r.is_finding()).count()
    }
    /// The summary: counts per class, then per family (programs using it, by class).
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let n = self.records.len();
        let per_min = if self.seconds > 0.0 {
            n as f64 * 60.0 / self.seconds
        } else {
            0.0
        };
        let _ = writeln!(
            s,
            "{n} programs in {:.0} s ({per_min:.0} programs/minute)",
            self.seconds
        );
        let counts = self.counts();
        for c in CLASSES {
            if let Some(k) = counts.get(*c) {
                let _ = writeln!(s, "  {c:<18} {k}");
            }
        }
        let short = [
            "pass", "inconcl", "value", "grad", "tangent", "hessian", "rt-panic", "compile",
            "m-panic", "invalid", "harness",
        ];
        let _ = write!(s, "\n{:<18} {:>6}", "family", "used");
        for h in short {
            let _ = write!(s, " {h:>8}");
        }
        s.push('\n');
        for &f in Family::ALL {
            let used: Vec<&Record> = self
                .records
                .iter()
                .filter(|r| r.program.families.has(f))
                .collect();
            if used.is_empty() {
                continue;
            }
            let _ = write!(s, "{:<18} {:>6}", f.name(), used.len());
            for c in CLASSES {
                let k = used.iter().filter(|r| r.outcome.class == *c).count();
                let _ = write!(s, " {k:>8}");
            }
            s.push('\n');
        }
        s
    }

    /// Writes a reproducer for every finding (and generator mistake) to `dir`; returns how
    /// many were written.
    pub fn write_failures(&self, dir: &Path) -> std::io::Result<usize> {
        let mut k = 0;
        for r in &self.records {
            if r.outcome.class == "pass" || r.outcome.class == "inconclusive" {
                continue;
            }
            std::fs::create_dir_all(dir)?;
            let p = &r.program;
            let file = dir.join(format!(
                "{}-{}-seed{}.rs",
                r.outcome.class,
                p.module(),
                p.seed
            ));
            std::fs::write(file, reproducer(r))?;
            k += 1;
        }
        Ok(k)
    }
}

/// The reproducer of a record: a header comment (class, detail, families, compiler output)
/// and the standalone program.
pub fn reproducer(r: &Record) -> String {
    let p = &r.program;
    let mut h = format!(
        "// difftest reproducer: {} ({} of seed {})\n// {}\n// families: {}\n",
        r.outcome.class,
        p.module(),
        p.seed,
        r.outcome.detail,
        p.families
    );
    if let Some(m) = &r.message {
        for line in m.lines().take(40) {
            let _ = writeln!(h, "// | {line}");
        }
    }
    h.push_str("// Run it as an example of the matgrad crate (copy to examples/), or in any crate with\n// matgrad and nalgebra 0.35 as dependencies.\n");
    emit::reproducer(p, &h)
}
