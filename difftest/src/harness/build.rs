//! Scratch crates: writing a batch of program modules as a cargo project (the facade by path,
//! nalgebra, the workspace's Cargo.lock, a target directory shared across batches), building
//! it, and attributing compiler errors to the modules whose files they point into.

use crate::ast::Program;
use crate::emit::{self, Module};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where scratch crates live and what they depend on.
#[derive(Clone, Debug)]
pub struct Scratch {
    /// `target/difftest` (or wherever configured).
    pub root: PathBuf,
    /// The `matgrad` facade to test.
    pub matgrad: PathBuf,
    /// The Cargo.lock copied into every scratch crate.
    pub lockfile: PathBuf,
    /// `cargo build -j`.
    pub jobs: Option<usize>,
}

/// A compiler diagnostic attributed to a module.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// The module (`p00012`).
    pub module: String,
    /// The line in the module's file.
    pub line: usize,
    /// The full text.
    pub text: String,
}

/// The outcome of a build.
pub struct Build {
    /// Whether it succeeded.
    pub ok: bool,
    /// Errors by module.
    pub errors: BTreeMap<String, Vec<Diagnostic>>,
    /// The compiler's output when errors could not be attributed.
    pub unattributed: Option<String>,
    /// The built binary.
    pub binary: PathBuf,
}

impl Scratch {
    /// The shared target directory of the scratch crates.
    pub fn target(&self) -> PathBuf {
        self.root.join("scratch-target")
    }

    /// Writes the crate `name` holding `programs`; returns its directory and the modules.
    pub fn write(
        &self,
        name: &str,
        programs: &[Program],
    ) -> std::io::Result<(PathBuf, BTreeMap<String, Module>)> {
        let dir = self.root.join(name);
        let src = dir.join("src");
        if src.exists() {
            std::fs::remove_dir_all(&src)?;
        }
        std::fs::create_dir_all(&src)?;
        let matgrad = self.matgrad.display().to_string().replace('\\', "/");
        std::fs::write(
            dir.join("Cargo.toml"),
            format!(
                "[package]\nname = \"difftest-batch\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
                 # Its own workspace, although it sits inside matgrad's target directory.\n[workspace]\n\n\
                 [dependencies]\nmatgrad = {{ path = \"{matgrad}\" }}\nnalgebra = \"0.35\"\n\n\
                 [profile.dev]\nincremental = false\ndebug = 0\n"
            ),
        )?;
        if self.lockfile.exists() {
            std::fs::copy(&self.lockfile, dir.join("Cargo.lock"))?;
        }
        std::fs::write(src.join("support.rs"), emit::SUPPORT)?;
        let mut modules = BTreeMap::new();
        let mut main = String::from("#![allow(warnings)]\nmod support;\n");
        let mut table = String::new();
        for p in programs {
            let m = emit::module(p);
            let name = p.module();
            std::fs::write(src.join(format!("{name}.rs")), &m.source)?;
            main.push_str(&format!("mod {name};\n"));
            table.push_str(&format!("        (\"{name}\", {name}::check),\n"));
            modules.insert(name, m);
        }
        main.push_str(&format!(
            "\nfn main() {{\n    support::quiet();\n    let only: Vec<String> = std::env::args().skip(1).collect();\n    \
             let all: &[(&str, fn(&mut support::Out))] = &[\n{table}    ];\n    \
             for (name, check) in all {{\n        if only.is_empty() || only.iter().any(|o| o == name) {{\n            \
             check(&mut support::Out::new(name));\n        }}\n    }}\n}}\n"
        ));
        std::fs::write(src.join("main.rs"), main)?;
        Ok((dir, modules))
    }

    /// Builds the crate in `dir`.
    pub fn build(&self, dir: &Path) -> std::io::Result<Build> {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(dir)
            .args(["build", "--offline", "--quiet", "--color", "never"])
            .env("CARGO_TARGET_DIR", self.target())
            .env_remove("CARGO_BUILD_TARGET_DIR")
            .env_remove("RUSTC_WRAPPER")
            .env_remove("CARGO_MAKEFLAGS")
            .env_remove("MAKEFLAGS")
            .env_remove("MFLAGS")
            .env("CARGO_TERM_COLOR", "never");
        if let Some(j) = self.jobs {
            cmd.arg("-j").arg(j.to_string());
        }
        let out = cmd.output()?;
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let errors = attribute(&stderr);
        let unattributed = (!out.status.success() && errors.is_empty()).then(|| stderr.clone());
        Ok(Build {
            ok: out.status.success(),
            errors,
            unattributed,
            binary: self.target().join("debug").join("difftest-batch"),
        })
    }
}

/// Splits rustc's human-readable output into diagnostics and keeps the errors that point into
/// a module file (`src/p00012.rs`), by module.
pub fn attribute(stderr: &str) -> BTreeMap<String, Vec<Diagnostic>> {
    let mut out: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    for line in stderr.lines() {
        if line.starts_with("error") || line.starts_with("warning") {
            blocks.push(vec![line]);
        } else if let Some(b) = blocks.last_mut() {
            b.push(line);
        }
    }
    for b in blocks {
        if !b[0].starts_with("error")
            || b[0].starts_with("error: could not compile")
            || b[0].starts_with("error: aborting")
        {
            continue;
        }
        let loc = b.iter().find_map(|l| l.trim_start().strip_prefix("--> "));
        let Some(loc) = loc else { continue };
        let mut parts = loc.split(':');
        let file = parts.next().unwrap_or("");
        let line: usize = parts.next().and_then(|l| l.parse().ok()).unwrap_or(0);
        let Some(module) = file
            .strip_prefix("src/")
            .and_then(|f| f.strip_suffix(".rs"))
        else {
            continue;
        };
        if !module.starts_with('p') {
            continue;
        }
        out.entry(module.to_string()).or_default().push(Diagnostic {
            module: module.to_string(),
            line,
            text: b.join("\n"),
        });
    }
    out
}
