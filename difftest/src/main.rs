//! `matgrad-difftest`: generates random `#[grad]` programs, checks them in batches and
//! prints a summary; see difftest/README.md for the flags.

use matgrad_difftest::family::{Family, FamilySet};
use matgrad_difftest::{run, Config};
use std::process::ExitCode;

const USAGE: &str =
    "usage: matgrad-difftest [--programs N] [--seed S] [--batch B] [--families LIST]
       [--disable LIST] [--jobs J] [--workers W] [--matgrad PATH] [--out DIR] [--show N] [--quiet]
families (comma-separated, or `all`):";

fn parse(args: &[String]) -> Result<(Config, usize), String> {
    let mut cfg = Config::new(1000, 1, FamilySet::all());
    let mut show = 5;
    cfg.verbose = true;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{a} needs a value"))
        };
        let num = |v: String| v.parse::<usize>().map_err(|e| format!("{a}: {e}"));
        match a.as_str() {
            "--programs" => cfg.programs = num(val()?)?,
            "--seed" => cfg.seed = val()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--batch" => cfg.batch = num(val()?)?.max(1),
            "--families" => cfg.families = FamilySet::parse(&val()?)?,
            "--disable" => {
                for f in FamilySet::parse(&val()?)?.iter() {
                    cfg.families.remove(f);
                }
            }
            "--jobs" => cfg.scratch.jobs = Some(num(val()?)?),
            "--workers" => cfg.workers = num(val()?)?.max(1),
            "--matgrad" => {
                cfg.scratch.matgrad = std::fs::canonicalize(val()?).map_err(|e| e.to_string())?
            }
            "--out" => cfg.scratch.root = std::path::PathBuf::from(val()?),
            "--show" => show = num(val()?)?,
            "--quiet" => cfg.verbose = false,
            _ => return Err(format!("unknown argument `{a}`")),
        }
    }
    Ok((cfg, show))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        let names: Vec<&str> = Family::ALL.iter().map(|f| f.name()).collect();
        println!("{USAGE}\n  {}", names.join(", "));
        return ExitCode::SUCCESS;
    }
    let (cfg, show) = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "difftest: {} programs, seed {}, families {}",
        cfg.programs, cfg.seed, cfg.families
    );
    let report = match run(&cfg) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("difftest: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", report.summary());
    let dir = cfg.failures_dir();
    match report.write_failures(&dir) {
        Ok(0) => {}
        Ok(k) => println!("{k} reproducers in {}", dir.display()),
        Err(e) => eprintln!("difftest: writing reproducers: {e}"),
    }
    for r in report
        .records
        .iter()
        .filter(|r| r.outcome.class != "pass" && r.outcome.class != "inconclusive")
        .take(show)
    {
        println!(
            "--- {} {} [{}]: {}",
            r.outcome.class,
            r.program.module(),
            r.program.families,
            r.outcome.detail
        );
    }
    if report.findings() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
