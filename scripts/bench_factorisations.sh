#!/usr/bin/env bash
# The factorisations' benchmarks: the criterion benchmarks of benches/factorisations.rs run
# twice (criterion baselines factorisations-run1 and factorisations-run2, so the report shows
# both runs and their spread), with JAX on the same functions (peers/jax_factorisations.py)
# between the two, then the run's settings in factorisations-meta.json. scripts/bench.sh runs
# this; scripts/perf_report.py writes the "Factorisations" section of docs/PERFORMANCE.md
# from its results. Alone:
#
#   scripts/bench_factorisations.sh [--quick]
#
#   --quick    0.5 s warm-up and 1 s measurement per case instead of 1 s and 2.5 s
#
# Results go to $CARGO_TARGET_DIR (default ./target): criterion/ and bench-results/. JAX runs
# in $BENCH_PYTHON (default <target>/bench-venv/bin/python, which scripts/bench.sh makes).
# About 8 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

quick=false
timing=()
for arg in "$@"; do
  case $arg in
    --quick) quick=true timing=(--warm-up-time 0.5 --measurement-time 1) ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
mkdir -p "$CARGO_TARGET_DIR"
target=$(cd "$CARGO_TARGET_DIR" && pwd)
export CARGO_TARGET_DIR=$target
results=${BENCH_RESULTS_DIR:-$target/bench-results}
export BENCH_RESULTS_DIR=$results
mkdir -p "$results"
python=${BENCH_PYTHON:-$target/bench-venv/bin/python}

load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo; }
started=$(date -u '+%Y-%m-%d %H:%M UTC')
load_before=$(load)
echo "== load average before: $load_before"

cargo bench --bench factorisations --no-run
echo "== factorisations, run 1 (benches/factorisations.rs)"
cargo bench --bench factorisations -- --save-baseline factorisations-run1 "${timing[@]}"
echo "== JAX (peers/jax_factorisations.py)"
# LAPACK (scipy's OpenBLAS, which JAX's CPU factorisations call) on one thread, as nalgebra's
# factorisations run: its spinning threads made medians up to 100 times slower on a shared
# machine. XLA's own threads are left as they are.
OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} "$python" peers/jax_factorisations.py --out "$results/factorisations-jax.json" "${timing[@]}"
echo "== factorisations, run 2"
cargo bench --bench factorisations -- --save-baseline factorisations-run2 "${timing[@]}"

load_after=$(load)
echo "== load average after: $load_after"

# $BENCH_COMMIT names what was measured when it is not this checkout's HEAD (a snapshot).
commit=${BENCH_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo)}
if [ -z "${BENCH_COMMIT:-}" ] && [ -n "$commit" ] && [ -n "$(git status --porcelain 2>/dev/null)" ]; then
  commit="$commit (with uncommitted changes)"
fi
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
"$python" - "$results/factorisations-meta.json" <<EOF
import json, sys
import jax
meta = {
    "started": "$started",
    "finished": "$(date -u '+%Y-%m-%d %H:%M UTC')",
    "commit": "$commit",
    "quick": $([ "$quick" = true ] && echo True || echo False),
    "warm_up": $([ "$quick" = true ] && echo 0.5 || echo 1),
    "measurement": $([ "$quick" = true ] && echo 1 || echo 2.5),
    "load_before": "$load_before",
    "load_after": "$load_after",
    "cpu": "$cpu",
    "cpus": "$(nproc)",
    "rustc": "$(rustc --version)",
    "jax": jax.__version__,
    "openblas_threads": "${OPENBLAS_NUM_THREADS:-1}",
}
with open(sys.argv[1], "w") as f:
    json.dump(meta, f, indent=1)
EOF
echo "== wrote $results/factorisations-meta.json"
