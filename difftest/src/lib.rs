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
pub mod model;
pub mod report;
pub mod ty;

use family::FamilySet;
use harness::Scratch;
use report::{Record, Report};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
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
    /// Batches built and checked at the same time.
    pub workers: usize,
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
                matgrad: workspace.clone(),
                lockfile: workspace.join("Cargo.lock"),
                jobs: None,
            },
            timeout: Duration::from_secs(300),
            verbose: false,
            workers: 1,
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

/// Generates, builds, runs and classifies the programs of `cfg`: batches of `cfg.batch`
/// programs, `cfg.workers` at a time (each worker builds in a scratch directory of its own).
/// The report lists the programs in order, whatever the number of workers; the reproducers
/// of a batch's failures are written as soon as it is done.
pub fn run(cfg: &Config) -> std::io::Result<Report> {
    let start = Instant::now();
    // Reproducers are of this run only.
    let failures = cfg.failures_dir();
    if failures.exists() {
        std::fs::remove_dir_all(&failures)?;
    }
    let batches: Vec<usize> = (0..cfg.programs).step_by(cfg.batch).collect();
    let next = AtomicUsize::new(0);
    let done: Mutex<(Vec<Option<Vec<Record>>>, Report)> =
        Mutex::new((batches.iter().map(|_| None).collect(), Report::default()));
    let workers = cfg.workers.clamp(1, batches.len().max(1));
    std::thread::scope(|scope| -> std::io::Result<()> {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let scratch = worker_scratch(cfg, w, workers);
                let (next, done, batches) = (&next, &done, &batches);
                scope.spawn(move || -> std::io::Result<()> {
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&first) = batches.get(k) else {
                            return Ok(());
                        };
                        let records = check_batch(cfg, &scratch, first)?;
                        // Reproducers as soon as their batch is done, for a long run.
                        let batch = Report {
                            records: records.clone(),
                            seconds: 0.0,
                        };
                        batch.write_failures(&cfg.failures_dir())?;
                        let mut d = done.lock().expect("a worker panicked");
                        d.1.records.extend(records.iter().cloned());
                        d.0[k] = Some(records);
                        if cfg.verbose {
                            eprintln!(
                                "[difftest] {}/{} programs, {} findings, {:.0} s",
                                d.1.records.len(),
                                cfg.programs,
                                d.1.findings(),
                                start.elapsed().as_secs_f64()
                            );
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().expect("a difftest worker panicked")?;
        }
        Ok(())
    })?;
    let (in_order, _) = done.into_inner().expect("a worker panicked");
    Ok(Report {
        records: in_order.into_iter().flatten().flatten().collect(),
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The scratch directory of worker `w`: the configured one when there is one worker (so that
/// a single-worker run reuses an earlier run's builds), else a subdirectory per worker.
fn worker_scratch(cfg: &Config, w: usize, workers: usize) -> Scratch {
    let mut scratch = cfg.scratch.clone();
    if workers > 1 {
        scratch.root = scratch.root.join(format!("worker-{w}"));
    }
    scratch
}

/// Generates the batch of programs from `first`, builds and runs it: one record per program.
fn check_batch(cfg: &Config, scratch: &Scratch, first: usize) -> std::io::Result<Vec<Record>> {
    let n = cfg.batch.min(cfg.programs - first);
    let programs: Vec<_> = (first..first + n)
        .map(|k| gen::generate(k, program_seed(cfg.seed, k), cfg.families))
        .collect();
    let name = format!("batch-{}-{}", cfg.seed, first / cfg.batch);
    let res = harness::check_batch(scratch, &name, &programs, cfg.timeout)?;
    Ok(programs
        .into_iter()
        .map(|p| {
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
            Record {
                program: p,
                outcome,
                message,
            }
        })
        .collect())
}
