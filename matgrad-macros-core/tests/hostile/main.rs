//! The expansion never panics, whatever tokens it is given: malformed and hostile inputs to
//! `expand_grad` and `expand_vjp`, each run under `catch_unwind`.
//!
//! The cases ([`cases`]) start from a seed corpus ([`corpus`]: every `#[grad]` and `#[vjp]`
//! function of the repository's `tests/`, `examples/`, `benches/workloads/` and
//! `src/activations.rs`, and hand-written ones), mutated at the token level ([`mutate`]: 1–4
//! of delete, duplicate, swap, replace an identifier or literal, change or empty a group,
//! truncate, insert, splice from another program; and hostile attribute arguments), or are
//! generated valid but odd programs ([`generate`]: nesting 200 deep, long chains, huge
//! literals, unicode and raw identifiers, ...). A case fails ([`check`]) if the expansion
//! panics, or, when the input parses as a function, if the output does not parse as a file
//! whose first item is the function unchanged; a non-function must get a `compile_error!`.
//! Failures are shrunk (tokens deleted while the failure persists) and reported with the
//! seed and case number.
//!
//! The cases run on a thread with rustc's 8 MiB stack. The default run (CI) is
//! [`DEFAULT_CASES`] cases of a fixed seed, well under a minute in the debug profile:
//!
//! ```text
//! cargo test -p matgrad-macros-core --test hostile
//! ```
//!
//! At scale, with a summary (cases/second, outcome counts by family), and to replay a case:
//!
//! ```text
//! HOSTILE_CASES=200000 HOSTILE_SEED=7 cargo test -p matgrad-macros-core --release --test hostile -- --nocapture
//! HOSTILE_SEED=7 HOSTILE_CASE=1234 cargo test -p matgrad-macros-core --test hostile -- --nocapture
//! HOSTILE_ITEM='fn f(x: f64) -> f64 { x }' HOSTILE_ARGS='x' HOSTILE_ATTR=grad \
//!     cargo test -p matgrad-macros-core --test hostile -- --nocapture hostile_inputs
//! ```
//!
//! (A case number reproduces a case only on the same tree: the corpus is the repository's
//! functions. `HOSTILE_ITEM` replays one input of your own; `HOSTILE_TRACE=1` prints each
//! case's number before it runs, to find the case of a stack overflow.)
//!
//! The findings listed in [`known::KNOWN`] are reported but do not fail the run, until
//! fixed (the cases of a crash's family run on a larger stack); `HOSTILE_ALL=1` lifts that.

mod cases;
mod check;
mod corpus;
mod fragments;
mod generate;
mod known;
mod mutate;

use cases::Case;
use check::Outcome;
use known::{Known, KNOWN, LARGE_STACK};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Cases of the default run.
const DEFAULT_CASES: u64 = 3000;
/// The default run's seed.
const DEFAULT_SEED: u64 = 0x5EED;
/// The stack of the thread running the cases: rustc runs proc macros on an 8 MiB stack.
const STACK: usize = 8 << 20;

/// The run's settings, from the environment.
#[derive(Clone, Copy)]
struct Config {
    cases: u64,
    seed: u64,
    /// `HOSTILE_CASE`: only this case, printed with its output.
    only: Option<u64>,
    /// `HOSTILE_ALL`: known findings fail the run too.
    all: bool,
    /// `HOSTILE_TRACE`: each case's number and family on stderr before it runs (to find the
    /// case of a crash that is not a panic, a stack overflow).
    trace: bool,
}

impl Config {
    fn from_env() -> Config {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        Config {
            cases: var("HOSTILE_CASES").unwrap_or(DEFAULT_CASES),
            seed: var("HOSTILE_SEED").unwrap_or(DEFAULT_SEED),
            only: var("HOSTILE_CASE"),
            all: var("HOSTILE_ALL").is_some_and(|v| v != 0),
            trace: var("HOSTILE_TRACE").is_some_and(|v| v != 0),
        }
    }
}

/// One distinct failure: how often it happened, its first case (described) and outcome,
/// and the case shrunk.
struct Finding {
    count: u64,
    first: String,
    message: String,
    shrunk: String,
}

/// What a run did.
#[derive(Default)]
struct Report {
    run: u64,
    /// Cases of a crash's family, run on a larger stack.
    deferred: u64,
    /// Failures excused as known findings, by key.
    excused: BTreeMap<String, u64>,
    elapsed: Duration,
    /// Outcome counts by family and outcome.
    counts: BTreeMap<(String, &'static str), u64>,
    /// Time spent by family.
    times: BTreeMap<String, Duration>,
    findings: BTreeMap<String, Finding>,
}

impl Report {
    /// Adds `other`'s counts and findings to these.
    fn merge(&mut self, other: Report) {
        self.run += other.run;
        self.deferred += other.deferred;
        for (k, n) in other.excused {
            *self.excused.entry(k).or_default() += n;
        }
        self.elapsed += other.elapsed;
        for (k, n) in other.counts {
            *self.counts.entry(k).or_default() += n;
        }
        for (k, t) in other.times {
            *self.times.entry(k).or_default() += t;
        }
        for (k, f) in other.findings {
            match self.findings.get_mut(&k) {
                Some(mine) => mine.count += f.count,
                None => drop(self.findings.insert(k, f)),
            }
        }
    }

    /// Counts `outcome` of case `index`; a failure's first case is kept in `failing`.
    fn record(&mut self, index: u64, case: Case, outcome: Outcome, failing: &mut Failing) {
        self.run += 1;
        *self
            .counts
            .entry((family(&case), outcome_name(&outcome)))
            .or_default() += 1;
        let Some(key) = outcome.key() else {
            return;
        };
        let finding = self.findings.entry(key.clone()).or_insert_with(|| Finding {
            count: 0,
            first: String::new(),
            message: match &outcome {
                Outcome::Panic(_, m) | Outcome::InvalidOutput(_, m) => {
                    m.chars().take(2000).collect()
                }
                _ => String::new(),
            },
            shrunk: String::new(),
        });
        finding.count += 1;
        failing.entry(key).or_insert((index, case));
    }
}

/// The first case of each distinct failure, to describe and shrink.
type Failing = BTreeMap<String, (u64, Case)>;

/// The case's family without the generated program's kind.
fn family(case: &Case) -> String {
    case.family.split(':').next().unwrap_or("").to_string()
}

/// The outcome's name in the summary.
fn outcome_name(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Companions => "expanded with companions",
        Outcome::CompileErrors => "expanded with compile errors",
        Outcome::NotAFunction => "rejected as not a function",
        Outcome::Panic(..) => "panics",
        Outcome::InvalidOutput(..) => "unparseable or changed output",
    }
}

/// Runs cases `indices` on the calling thread, except those of a known crash's family if
/// `defer` (returned instead), and shrinks each distinct failure.
fn run(config: &Config, indices: Vec<u64>, defer: bool) -> (Report, Vec<u64>) {
    let corpus = corpus::load();
    let _hook = check::SilentHook::install();
    let (mut report, mut deferred, mut failing) = (Report::default(), Vec::new(), Failing::new());
    let start = Instant::now();
    for index in indices {
        let case = cases::make(&corpus, config.seed, index);
        let known: Vec<&Known> = KNOWN
            .iter()
            .filter(|k| !config.all && (k.family)(&case))
            .collect();
        let crash = known.iter().any(|k| k.key.is_none());
        if crash && defer {
            deferred.push(index);
            continue;
        }
        if config.trace {
            eprintln!("case {index} {} {}", case.family, case.detail);
        } else if index % 20_000 == 0 && index > 0 {
            let (s, n) = (start.elapsed().as_secs(), report.findings.len());
            eprintln!("hostile: case {index} after {s} s, {n} distinct findings so far");
        }
        let started = Instant::now();
        let outcome = check::run(&case);
        *report.times.entry(case.family.clone()).or_default() += started.elapsed();
        report.deferred += u64::from(crash);
        if config.only.is_some() {
            println!("{}\n{outcome:?}", describe(config.seed, index, &case));
        }
        match outcome.key() {
            Some(key)
                if known
                    .iter()
                    .any(|k| k.key.is_some_and(|p| key.starts_with(p))) =>
            {
                *report.excused.entry(key).or_default() += 1;
                let counted = (family(&case), "known finding (excused)");
                *report.counts.entry(counted).or_default() += 1;
                report.run += 1;
            }
            _ => report.record(index, case, outcome, &mut failing),
        }
    }
    report.elapsed = start.elapsed();
    for (key, (index, case)) in failing {
        let shrunk = check::shrink(&case, &key);
        if let Some(f) = report.findings.get_mut(&key) {
            f.first = describe(config.seed, index, &case);
            f.shrunk = format!("  #[{:?}({})]\n  {}", shrunk.attr, shrunk.args, shrunk.item);
        }
    }
    (report, deferred)
}

/// A case as text, with what reproduces it.
fn describe(seed: u64, index: u64, case: &Case) -> String {
    format!(
        "  HOSTILE_SEED={seed} HOSTILE_CASE={index}  family {} {}\n  #[{:?}({})]\n  {}",
        case.family, case.detail, case.attr, case.args, case.item
    )
}

/// The summary and the findings.
fn summary(config: &Config, report: &Report) -> String {
    let secs = report.elapsed.as_secs_f64();
    let mut out = format!(
        "hostile: seed {}, {} cases run ({} on a large stack) in {secs:.2} s, {:.0} cases/s\n",
        config.seed,
        report.run,
        report.deferred,
        report.run as f64 / secs.max(1e-9),
    );
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    for ((family, outcome), n) in &report.counts {
        *totals.entry(outcome).or_default() += n;
        out.push_str(&format!("    {family:<18} {outcome:<30} {n}\n"));
    }
    for (family, t) in &report.times {
        out.push_str(&format!("    {family:<40} {:.2} s\n", t.as_secs_f64()));
    }
    for (outcome, n) in totals {
        out.push_str(&format!("  {outcome:<30} {n}\n"));
    }
    for (key, n) in &report.excused {
        out.push_str(&format!("  known finding, excused: {key} ({n} cases)\n"));
    }
    for k in KNOWN.iter().filter(|_| !config.all) {
        out.push_str(&format!("  known: {}\n", k.finding));
    }
    for (key, f) in &report.findings {
        out.push_str(&format!(
            "FINDING: {key} ({} cases): {}\n  first case:\n{}\n  shrunk:\n{}\n",
            f.count, f.message, f.first, f.shrunk
        ));
    }
    out
}

/// `f` on a new thread with a stack of `stack` bytes.
fn on_thread<T: Send + 'static>(stack: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .name("hostile".into())
        .stack_size(stack)
        .spawn(f)
        .expect("spawn a thread running cases")
        .join()
        .expect("the cases ran to the end")
}

/// The input of `HOSTILE_ITEM`, `HOSTILE_ARGS` and `HOSTILE_ATTR` (`grad` or `vjp`), expanded
/// and checked on rustc's stack; prints the outcome and the expansion.
fn replay(item: String) -> Outcome {
    on_thread(STACK, move || {
        let _hook = check::SilentHook::install();
        let var = |name| std::env::var(name).unwrap_or_default();
        let case = Case {
            family: "replay".into(),
            detail: String::new(),
            attr: match var("HOSTILE_ATTR").as_str() {
                "vjp" => corpus::Attr::Vjp,
                _ => corpus::Attr::Grad,
            },
            args: var("HOSTILE_ARGS").parse().unwrap_or_default(),
            item: item.parse().unwrap_or_default(),
        };
        let outcome = check::run(&case);
        println!("{outcome:?}");
        outcome
    })
}

#[test]
fn hostile_inputs_never_panic() {
    if let Ok(item) = std::env::var("HOSTILE_ITEM") {
        let outcome = replay(item);
        assert!(outcome.key().is_none(), "{outcome:?}");
        return;
    }
    let config = Config::from_env();
    let indices: Vec<u64> = config
        .only
        .map_or_else(|| (0..config.cases).collect(), |i| vec![i]);
    // The cases on rustc's stack; those of a known crash's family afterwards, on more.
    let defer = !config.all;
    let (mut report, deferred) = on_thread(STACK, move || run(&config, indices, defer));
    if !deferred.is_empty() {
        let (known, _) = on_thread(LARGE_STACK, move || run(&config, deferred, false));
        report.merge(known);
    }
    let summary = summary(&config, &report);
    println!("{summary}");
    let failures = report.findings.len();
    assert_eq!(
        failures, 0,
        "the expansion panicked or broke its output contract:\n{summary}"
    );
}

#[test]
fn the_corpus_covers_the_repository() {
    let seeds = corpus::load();
    let vjp = seeds.iter().filter(|s| s.attr == corpus::Attr::Vjp).count();
    assert!(
        seeds.len() > 300,
        "only {} annotated functions found",
        seeds.len()
    );
    assert!(vjp >= 10, "only {vjp} #[vjp] functions found");
}
