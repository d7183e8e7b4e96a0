#!/usr/bin/env bash
# Issue 5's benchmarks, all of them, then the report: the criterion benchmarks of the primal,
# generated and hand-written gradients (benches/gradients.rs), the allocation counts
# (benches/allocations.rs), the candle peer (peers/, its own cargo project) and the JAX peer
# (peers/jax_bench.py, pip-installed into a venv), the factorisations against JAX
# (scripts/bench_factorisations.sh), what #[grad] adds to compile time
# (scripts/compile_cost.py), perf profiles of every case (scripts/profile.sh), issue 11's
# second-order benchmarks (scripts/bench_second_order.sh) and the compile-time cost of
# `forward` (scripts/compile_forward.py), then scripts/perf_report.py, which writes
# docs/PERFORMANCE.md and docs/performance.svg.
#
#   scripts/bench.sh [--quick] [WORKLOAD]
#
#   --quick    1 s warm-up and 2 s measurement per case instead of 3 s and 5 s: a smoke test
#   --core     the workloads only (allocations, ratios, checkpointed loops, criterion, the peers,
#              the profiles): the factorisations, second-order and compile-time sections keep
#              their last results
#   WORKLOAD   only this workload (least_squares, frobenius, prml, batch_norm, rnn,
#              autoencoder, classifier, attention, layer_norm_linear, gaussian; the last
#              four have no candle peer), and no compile-time measurement; the other
#              workloads' last results, and the last compile-time cost, stay in the report.
#              `factorisations` runs only scripts/bench_factorisations.sh, then the report;
#              `second_order` only scripts/bench_second_order.sh, then the report
#
# Results go to $CARGO_TARGET_DIR (default ./target): criterion/ and bench-results/. The venv
# is $BENCH_VENV (default <target>/bench-venv). Run it on an idle machine: the full run takes
# about 30 minutes on 2 cores, plus the first builds (candle's takes about 4 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

warm_up=3
measurement=5
quick=false
core=false
filter=
for arg in "$@"; do
  case $arg in
    --quick) warm_up=1 measurement=2 quick=true ;;
    --core) core=true ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) echo "unknown option $arg (see --help)" >&2; exit 2 ;;
    *) filter=$arg ;;
  esac
done

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
mkdir -p "$CARGO_TARGET_DIR"
target=$(cd "$CARGO_TARGET_DIR" && pwd)
export CARGO_TARGET_DIR=$target
results=$target/bench-results
export BENCH_RESULTS_DIR=$results
mkdir -p "$results"
venv=${BENCH_VENV:-$target/bench-venv}
# candle reads the thread count from here; unset, it asks the OS on every product.
export RAYON_NUM_THREADS=${RAYON_NUM_THREADS:-$(nproc)}
suffix=${filter:+-$filter}

load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo; }
load_before=$(load)
echo "== load average before: $load_before"

echo "== Python venv with JAX and matplotlib: $venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import jax, matplotlib' 2>/dev/null; then
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet jax matplotlib
fi

if [ "$filter" = second_order ]; then
  echo "== second order (scripts/bench_second_order.sh)"
  BENCH_PYTHON="$venv/bin/python" scripts/bench_second_order.sh --no-report $([ "$quick" = true ] && echo --quick)
  echo "== report"
  "$venv/bin/python" scripts/perf_report.py --target-dir "$target"
  exit 0
fi

if [ "$filter" = factorisations ]; then
  echo "== factorisations (scripts/bench_factorisations.sh)"
  BENCH_PYTHON="$venv/bin/python" scripts/bench_factorisations.sh $([ "$quick" = true ] && echo --quick)
  echo "== report"
  "$venv/bin/python" scripts/perf_report.py --target-dir "$target"
  exit 0
fi

echo "== allocations per call (benches/allocations.rs)"
cargo bench --bench allocations

echo "== interleaved ratios (benches/ratios.rs), two runs"
if [ -z "$filter" ]; then
  cargo bench --bench ratios
  cargo bench --bench ratios -- --out ratios-2.json
else
  cargo bench --bench ratios -- "$filter"
fi

if [ -z "$filter" ]; then
  echo "== checkpointed loops (benches/checkpoint.rs)"
  cargo bench --bench checkpoint
fi

echo "== criterion: primal, generated, hand-written (benches/gradients.rs)"
cargo bench --bench gradients -- ${filter:+"$filter/"} \
  --warm-up-time "$warm_up" --measurement-time "$measurement"

echo "== candle (peers/)"
(cd peers && cargo run --release --quiet -- \
  --warm-up-time "$warm_up" --measurement-time "$measurement" \
  --out "$results/candle$suffix.json" ${filter:+"$filter/"})

echo "== JAX (peers/jax_bench.py)"
"$venv/bin/python" peers/jax_bench.py \
  --warm-up-time "$warm_up" --measurement-time "$measurement" \
  --out "$results/jax$suffix.json" ${filter:+"$filter/"}

if [ -z "$filter" ] && [ "$core" = false ]; then
  echo "== factorisations (scripts/bench_factorisations.sh)"
  BENCH_PYTHON="$venv/bin/python" scripts/bench_factorisations.sh $([ "$quick" = true ] && echo --quick)
fi

if [ -z "$filter" ] && [ "$core" = false ]; then
  echo "== second order (scripts/bench_second_order.sh)"
  BENCH_PYTHON="$venv/bin/python" scripts/bench_second_order.sh --no-report $([ "$quick" = true ] && echo --quick)
fi

echo "== profiles of the generated and hand-written gradients (scripts/profile.sh)"
scripts/profile.sh $filter

load_after=$(load)
echo "== load average after: $load_after"

commit=$(git rev-parse --short HEAD 2>/dev/null || echo)
if [ -n "$commit" ] && [ -n "$(git status --porcelain 2>/dev/null)" ]; then
  commit="$commit (with uncommitted changes)"
fi
lock_version() { # the version of crate $1 in Cargo.lock $2
  awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' "$2" 2>/dev/null
}
jax_version=$("$venv/bin/python" -c 'import jax; print(jax.__version__)')
"$venv/bin/python" - "$results/meta.json" <<EOF
import json, sys
meta = {
    "finished": "$(date -u '+%Y-%m-%d %H:%M UTC')",
    "commit": "$commit",
    "quick": $([ "$quick" = true ] && echo True || echo False),
    "warm_up": $warm_up,
    "measurement": $measurement,
    "filter": "$filter",
    "load_before": "$load_before",
    "load_after": "$load_after",
    "rayon_num_threads": "$RAYON_NUM_THREADS",
    "jax": "$jax_version",
    "candle": "$(lock_version candle-core peers/Cargo.lock)",
    "nalgebra": "$(lock_version nalgebra Cargo.lock)",
}
with open(sys.argv[1], "w") as f:
    json.dump(meta, f, indent=1)
EOF

if [ -z "$filter" ] && [ "$core" = false ]; then
  echo "== compile-time cost (scripts/compile_cost.py)"
  "$venv/bin/python" scripts/compile_cost.py ||
    echo "== the compile-time measurement failed; the report keeps the last one" >&2
  echo "== compile-time cost of forward (scripts/compile_forward.py)"
  "$venv/bin/python" scripts/compile_forward.py ||
    echo "== the measurement of forward's compile time failed; the report keeps the last one" >&2
  echo "== long functions (scripts/compile_long.py)"
  "$venv/bin/python" scripts/compile_long.py --json "$target/bench-results/compile_long.json" ||
    echo "== the long-function measurement failed; the report keeps the last one" >&2
fi

echo "== report"
"$venv/bin/python" scripts/perf_report.py --target-dir "$target"
