//! A property-based differential tester for `#[grad]`: random, well-typed programs over
//! nalgebra values (switchable construct families), compiled in batches as scratch crates,
//! each checked for its value, its gradient against finite differences at two step sizes,
//! and for compiling at all; failures are classified, summarised by family, written out as
//! standalone reproducers.

pub mod ast;
pub mod emit;
pub mod family;
pub mod gen;
pub mod harness;
pub mod report;
pub mod ty;

use family::FamilySet;
use harness::Scratch;
use report::{Record, Report};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A run's settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// Number of programs.
    pub programs: usize,
    /// The run's seed (program `i` gets a seed derived from it and `i`).
    pub seed: u64,
    /// The enabled families.
    pub families: FamilySet,
    /// Programs per scratch crate.
    pub batch: usize,
    /// Where the scratch crates, their target directory and the failures go.
    pub scratch: Scratch,
    /// Time limit of one run of a batch binary.
    pub timeout: Duration,
    /// Print progress to stderr.
    pub verbose: bool,
}

impl Config {
    /// Defaults for this workspace: scratch crates in `<target>/difftest`, the facade at the
    /// workspace root, its Cargo.lock.
    pub fn new(programs: usize, seed: u64, families: FamilySet) -> Config {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the workspace")
            .to_path_buf();
        Config {
            programs,
            seed,
            families,
            batch: 100,
            scratch: Scratch {
                root: target_dir(&workspace).join("difftest"),
                autodiff: workspace.clone(),
                lockfile: workspace.join("Cargo.lock"),
                jobs: None,
            },
            timeout: Duration::from_secs(300),
            verbose: false,
        }
    }
    /// Where reproducers are written.
    pub fn failures_dir(&self) -> PathBuf {
        self.scratch.root.join("failures")
    }
}

/// The cargo target directory: `CARGO_TARGET_DIR`, else the one holding the running
/// executable (cargo marks it with `CACHEDIR.TAG`), else `<workspace>/target`.
pub fn target_dir(workspace: &Path) -> PathBuf {
    if let Some(d) = std::env::var_os("CARGO_TARGET_DIR") {
        let d = PathBuf::from(d);
        return if d.is_absolute() {
            d
        } else {
            workspace.join(d)
        };
    }
    if let Ok(exe) = std::env::current_exe() {
        if let Some(d) = exe.ancestors().find(|a| a.join("CACHEDIR.TAG").exists()) {
            return d.to_path_buf();
        }
    }
    workspace.join("target")
}

/// The seed of program `i` of a run.
pub fn program_seed(seed: u64, i: usize) -> u64 {
    let mut z = seed.wrapping_add((i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Generates, builds, runs and classifies the programs of `cfg`.
pub fn run(cfg: &Config) -> std::io::Result<Report> {
    let start = Instant::now();
    let mut report = Report::default();
    // Reproducers are of this run only.
    let failures = cfg.failures_dir();
    if failures.exists() {
        std::fs::remove_dir_all(&failures)?;
    }
    let mut i = 0;
    while i < cfg.programs {
        let n = cfg.batch.min(cfg.programs - i);
        let programs: Vec<_> = (i..i + n)
            .map(|k| gen::generate(k, program_seed(cfg.seed, k), cfg.families))
            .collect();
        let name = format!("batch-{}-{}", cfg.seed, i / cfg.batch);
        let res = harness::check_batch(&cfg.scratch, &name, &programs, cfg.timeout)?;
        for p in programs {
            let module = p.module();
            let outcome = res
                .outcomes
                .get(&module)
                .cloned()
                .unwrap_or(harness::run::Outcome {
                    class: "harness-error".into(),
                    detail: "no result".into(),
                });
            let message = res.messages.get(&module).cloned();
            report.records.push(Record {
                program: p,
                outcome,
                message,
            });
        }
        i += n;
        if cfg.verbose {
            eprintln!(
                "[difftest] {i}/{} programs, {} findings, {:.0} s",
                cfg.programs,
                report.findings(),
                start.elapsed().as_secs_f64()
            );
        }
    }
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}
