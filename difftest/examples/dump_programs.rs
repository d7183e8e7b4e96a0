//! Writes the modules the generator makes for a seed, one file per program, so that two
//! versions of the generator can be compared byte for byte (`diff -r`):
//!
//! ```sh
//! cargo run -p matgrad-difftest --example dump_programs -- --seed 2026 --programs 100 --out DIR
//! ```
//!
//! Flags: `--seed S` (2026, the CI corpus's), `--programs N` (100), `--families LIST` (`all`),
//! `--out DIR` (required), `--forms yes` (beside each `pNNNNN.rs`, `pNNNNN.forms`: the
//! catalogue forms the program takes, one a line). Nothing is compiled.

use matgrad_difftest::family::FamilySet;
use matgrad_difftest::{emit, gen, program_seed};
use std::path::PathBuf;

fn main() -> Result<(), String> {
    let (mut seed, mut programs, mut families, mut out) = (2026, 100, FamilySet::all(), None);
    let mut with_forms = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let val = args.next().ok_or_else(|| format!("{a} needs a value"))?;
        match a.as_str() {
            "--seed" => seed = val.parse().map_err(|e| format!("--seed: {e}"))?,
            "--programs" => programs = val.parse().map_err(|e| format!("--programs: {e}"))?,
            "--families" => families = FamilySet::parse(&val)?,
            "--out" => out = Some(PathBuf::from(val)),
            "--forms" => with_forms = val == "yes",
            _ => return Err(format!("unknown argument `{a}`")),
        }
    }
    let out = out.ok_or("--out DIR is required")?;
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    for k in 0..programs {
        let p = gen::generate(k, program_seed(seed, k), families);
        let path = out.join(format!("{}.rs", p.module()));
        std::fs::write(&path, emit::module(&p).source).map_err(|e| e.to_string())?;
        if with_forms {
            let forms = out.join(format!("{}.forms", p.module()));
            std::fs::write(forms, p.catalogue.join("\n")).map_err(|e| e.to_string())?;
        }
    }
    println!("{programs} programs of seed {seed} in {}", out.display());
    Ok(())
}
