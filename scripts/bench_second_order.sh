#!/usr/bin/env bash
# Issue 11's benchmarks: the primal, gradient, JVP and HVP of the workloads through
# #[grad(.., forward)] and the full Hessian of a logistic loss in d = 100
# (benches/second_order.rs), with JAX (peers/jax_second_order.py: jax.jvp,
# jax.jvp(jax.grad(f)), jax.hessian) and num-dual (peers/num-dual/, its own cargo project:
# num_dual::hessian with Dual2Vec) on the same inputs. Each of RUNS runs times, one after the
# other: criterion (baseline second-order-run<k>); the same cases interleaved for their ratios
# (second-order-interleaved-run<k>.json: the functions of a case take turns in rounds of short
# batches, so both sides of a ratio see the same load); JAX (second-order-jax-run<k>.json);
# num-dual (second-order-num-dual-run<k>.json). Then perf profiles of every case (when perf is
# there), the run's settings (second-order-meta.json) and scripts/second_order_report.py,
# which writes the "Second order" section of docs/PERFORMANCE.md. scripts/bench.sh runs this;
# alone:
#
#   scripts/bench_second_order.sh [--quick] [--runs N] [--from K] [--no-profile] [--no-report]
#
#   --quick       0.5 s warm-up and 1 s measurement per case instead of 1 s and 2.5 s
#   --runs N      runs of the three (default 2); the report shows the medians
#   --from K      start at run K (an interrupted series: runs 1 to K − 1 are kept)
#   --no-profile  no perf profiles (the last ones stay)
#   --no-report   leave docs/PERFORMANCE.md alone
#
# Results go to $CARGO_TARGET_DIR (default ./target): criterion/ and bench-results/. JAX runs
# in $BENCH_PYTHON (default <target>/bench-venv/bin/python, made with JAX if missing). About
# 10 minutes per run on 2 cores, plus the first builds.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

quick=false
runs=2
from=1
profile=true
report=true
timing=(--warm-up-time 1 --measurement-time 2.5)
budget=3
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=true timing=(--warm-up-time 0.5 --measurement-time 1) budget=1 ;;
    --runs) runs=$2; shift ;;
    --from) from=$2; shift ;;
    --no-profile) profile=false ;;
    --no-report) report=false ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
mkdir -p "$CARGO_TARGET_DIR"
target=$(cd "$CARGO_TARGET_DIR" && pwd)
export CARGO_TARGET_DIR=$target
results=${BENCH_RESULTS_DIR:-$target/bench-results}
export BENCH_RESULTS_DIR=$results
mkdir -p "$results"
python=${BENCH_PYTHON:-$target/bench-venv/bin/python}
if [ ! -x "$python" ]; then
  python3 -m venv "$target/bench-venv"
  python=$target/bench-venv/bin/python
fi
"$python" -c 'import jax' 2>/dev/null || "$python" -m pip install --quiet jax

load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo; }
started=$(date -u '+%Y-%m-%d %H:%M UTC')
load_before=$(load)
echo "== load average before: $load_before"

cargo bench --bench second_order --no-run
(cd peers/num-dual && cargo build --release --quiet)
loads=()
for k in $(seq "$from" "$runs"); do
  echo "== run $k of $runs: criterion (benches/second_order.rs)"
  cargo bench --bench second_order -- --save-baseline "second-order-run$k" "${timing[@]}"
  echo "== run $k: interleaved ratios (benches/second_order.rs, SECOND_ORDER_INTERLEAVED)"
  SECOND_ORDER_INTERLEAVED="$results/second-order-interleaved-run$k.json" SECOND_ORDER_BUDGET=$budget \
    cargo bench --bench second_order
  echo "== run $k: JAX (peers/jax_second_order.py)"
  "$python" peers/jax_second_order.py --out "$results/second-order-jax-run$k.json" "${timing[@]}"
  echo "== run $k: num-dual (peers/num-dual/)"
  (cd peers/num-dual && cargo run --release --quiet -- \
    --out "$results/second-order-num-dual-run$k.json" "${timing[@]}")
  loads+=("\"$(load)\"")
done

if [ "$profile" = true ]; then
  scripts/profile_second_order.sh
fi

load_after=$(load)
echo "== load average after: $load_after"
commit=${BENCH_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo)}
if [ -z "${BENCH_COMMIT:-}" ] && [ -n "$commit" ] && [ -n "$(git status --porcelain 2>/dev/null)" ]; then
  commit="$commit (with uncommitted changes)"
fi
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | tr ' ' '\n' | grep -E '^(sse4_2|avx|avx2|fma|avx512f|avx512dq|avx512bw|avx512vl|avx512_fp16|amx_tile)$' | tr '\n' ' ')
"$python" - "$results/second-order-meta.json" <<EOF
import json, sys
import jax
meta = {
    "started": "$started",
    "finished": "$(date -u '+%Y-%m-%d %H:%M UTC')",
    "commit": "$commit",
    "runs": $runs,
    "quick": $([ "$quick" = true ] && echo True || echo False),
    "warm_up": ${timing[1]},
    "measurement": ${timing[3]},
    "load_before": "$load_before",
    "load_after_each_run": [$(IFS=,; echo "${loads[*]}")],
    "load_after": "$load_after",
    "cpu": "$cpu",
    "cpu_flags": "${flags% }",
    "cpus": "$(nproc)",
    "rustc": "$(rustc --version)",
    "rustflags": "${RUSTFLAGS:-}",
    "jax": jax.__version__,
}
with open(sys.argv[1], "w") as f:
    json.dump(meta, f, indent=1)
EOF
echo "== wrote $results/second-order-meta.json"

if [ "$report" = true ]; then
  "$python" scripts/second_order_report.py --target-dir "$target"
fi
