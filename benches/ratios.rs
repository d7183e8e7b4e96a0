//! Generated ÷ hand-written and gradient ÷ primal for every workload and size, timed
//! interleaved (`workloads/interleaved.rs`: the three implementations of a case take turns in
//! short batches, and a ratio is the median over rounds of the ratio within a round, so both
//! sides see the same load). On a shared machine these ratios hold where criterion's, taken
//! minutes apart, do not.
//!
//! `cargo bench --bench ratios [-- FILTER] [--budget SECONDS] [--out NAME]` prints a table
//! and writes `NAME` (default `ratios.json`, `ratios-FILTER.json` with a filter) to
//! `$BENCH_RESULTS_DIR`, or else to `bench-results/` in the target directory. FILTER keeps the
//! workloads whose name contains it; the budget (default 2 s) is per size. It also writes
//! `product-paths.json`: the path each size class of products took in each orientation
//! (`product_path`). A workload with a workspace companion (`#[grad(.., workspace)]`) times it
//! as a fourth turn: `ws/gen` is its time over `_grad`'s.

#[path = "workloads/mod.rs"]
mod workloads;

#[path = "workloads/interleaved.rs"]
mod interleaved;

use std::cell::RefCell;
use std::hint::black_box;
use std::time::Duration;
use workloads::{
    attention::Attention, autoencoder::Autoencoder, batch_norm::BatchNorm, classifier::Classifier,
    frobenius::Frobenius, gaussian::Gaussian, label, layer_norm_linear::LayerNormLinear,
    least_squares::LeastSquares, prml::Prml, rnn::Rnn, Workload,
};

/// Each size of `W`, interleaved: a row of the table and a JSON object per size. With a
/// workspace companion, `_grad_with` (`_pullback_with`) in one workspace takes its turn too.
fn case<W: Workload>(budget: Duration, rows: &mut Vec<String>) {
    for dims in W::SIZES {
        let w = W::new(dims);
        let ws = RefCell::new(matgrad::Workspace::new());
        let primal = || drop(black_box(w.primal()));
        let generated = || drop(black_box(w.generated()));
        let hand = || drop(black_box(w.hand()));
        let with_workspace = || {
            black_box(w.with_workspace(&mut ws.borrow_mut()));
        };
        let has_workspace = w.with_workspace(&mut ws.borrow_mut()).is_some();
        let mut fs: Vec<&dyn Fn()> = vec![&primal, &generated, &hand];
        if has_workspace {
            fs.push(&with_workspace);
        }
        let rounds = interleaved::rounds(&fs, budget, 15);
        let (primal, generated, hand) = (
            interleaved::micros(&rounds, 0),
            interleaved::micros(&rounds, 1),
            interleaved::micros(&rounds, 2),
        );
        let (gen_hand, gen_primal) = (
            interleaved::ratio(&rounds, 1, 2),
            interleaved::ratio(&rounds, 1, 0),
        );
        // The workspace's time, and its ratios to `_grad`'s and to the hand-written code's.
        let with = has_workspace.then(|| {
            (
                interleaved::micros(&rounds, 3),
                interleaved::ratio(&rounds, 3, 1),
                interleaved::ratio(&rounds, 3, 2),
            )
        });
        let (with_text, with_json) = match with {
            Some((us, over_gen, over_hand)) => (
                format!("{us:>11.1} {over_gen:>9.2} {over_hand:>9.2}"),
                format!(", \"workspace_us\": {us}, \"workspace_over_generated\": {over_gen}, \"workspace_over_hand\": {over_hand}"),
            ),
            None => (format!("{:>11} {:>9} {:>9}", "-", "-", "-"), String::new()),
        };
        println!(
            "{:<18} {:>12} {:>11.1} {:>11.1} {:>11.1} {:>9.2} {:>9.2} {with_text} {:>7}",
            W::NAME,
            label(dims),
            primal,
            generated,
            hand,
            gen_hand,
            gen_primal,
            rounds.len()
        );
        rows.push(format!(
            "{{\"workload\": \"{}\", \"size\": \"{}\", \"primal_us\": {primal}, \"generated_us\": {generated}, \"hand_us\": {hand}, \"generated_over_hand\": {gen_hand}, \"generated_over_primal\": {gen_primal}{with_json}, \"rounds\": {}}}",
            W::NAME,
            label(dims),
            rounds.len()
        ));
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let mut budget = Duration::from_secs(2);
    let mut filter = String::new();
    let mut out = None;
    let mut k = 0;
    while k < args.len() {
        if args[k] == "--budget" {
            budget = Duration::from_secs_f64(args[k + 1].parse().expect("--budget SECONDS"));
            k += 2;
        } else if args[k] == "--out" {
            out = Some(args[k + 1].clone());
            k += 2;
        } else {
            filter = args[k].clone();
            k += 1;
        }
    }
    println!(
        "{:<18} {:>12} {:>11} {:>11} {:>11} {:>9} {:>9} {:>11} {:>9} {:>9} {:>7}",
        "workload",
        "size",
        "primal µs",
        "gen µs",
        "hand µs",
        "gen/hand",
        "gen/prim",
        "ws µs",
        "ws/gen",
        "ws/hand",
        "rounds"
    );
    let mut rows = Vec::new();
    let keep = |name: &str| name.contains(filter.as_str());
    macro_rules! run {
        ($($w:ty),*) => {$(
            if keep(<$w>::NAME) {
                case::<$w>(budget, &mut rows);
            }
        )*};
    }
    run!(
        LeastSquares,
        Frobenius,
        Prml,
        BatchNorm,
        Rnn,
        Autoencoder,
        Classifier,
        Attention,
        LayerNormLinear,
        Gaussian
    );
    let dir = std::env::var_os("BENCH_RESULTS_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into());
            std::path::PathBuf::from(target).join("bench-results")
        });
    std::fs::create_dir_all(&dir).expect("the results directory");
    let name = out.unwrap_or_else(|| match filter.is_empty() {
        true => "ratios.json".to_string(),
        false => format!("ratios-{filter}.json"),
    });
    let path = dir.join(name);
    std::fs::write(&path, format!("[\n{}\n]\n", rows.join(",\n"))).expect("ratios.json");
    println!("wrote {}", path.display());
    // The products' paths this process measured (or was told), for the report.
    println!("products: {}", product_paths_json().replace('"', ""));
    std::fs::write(dir.join("product-paths.json"), product_paths_json() + "\n")
        .expect("product-paths.json");
}

/// The path each size class of products took in each orientation (`null` where no product of
/// them ran), as JSON: `{"skinny": {"nn": "gemm", "tn": null, "nt": "gemm"}, ...}`.
fn product_paths_json() -> String {
    use matgrad::__private::{product_paths, Orientation, SizeClass};
    let classes = SizeClass::ALL
        .iter()
        .zip(product_paths())
        .map(|(class, paths)| {
            let paths = Orientation::ALL.iter().zip(paths).map(|(o, path)| {
                let path = path.map_or("null".into(), |p| format!("\"{}\"", p.name()));
                format!("\"{}\": {path}", o.name())
            });
            let paths: Vec<String> = paths.collect();
            format!("\"{}\": {{{}}}", class.name(), paths.join(", "))
        });
    format!("{{{}}}", classes.collect::<Vec<_>>().join(", "))
}
