#!/usr/bin/env bash
# Where the time of the second-order cases goes: `perf record` of each primal, gradient, JVP
# and HVP of benches/second_order.rs and of its Hessians (criterion's --profile-time: the
# benchmark without its analysis), each reduced to the functions with the most samples (self
# time; kernels inlined into their caller count there), as scripts/profile.sh does for
# benches/gradients.rs. scripts/bench_second_order.sh runs it; alone:
#
#   scripts/profile_second_order.sh [FILTER]     # FILTER: a regex on the benchmark ids
#
# Needs `perf`; without it, says so and does nothing. Writes
# $BENCH_RESULTS_DIR/second-order-profiles/<workload>-<size>-<impl>.txt (default
# <target>/bench-results).
set -euo pipefail
cd "$(dirname "$0")/.."

filter=${1:-}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
results=${BENCH_RESULTS_DIR:-$CARGO_TARGET_DIR/bench-results}
out=$results/second-order-profiles
seconds=${PROFILE_SECONDS:-2}

if ! command -v perf >/dev/null || ! perf stat -e task-clock true >/dev/null 2>&1; then
  echo "profile_second_order.sh: perf is not available (apt install linux-perf); no profiles" >&2
  exit 0
fi
mkdir -p "$out"

bin=$(cargo bench --bench second_order --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "second_order" and m.get("executable"):
        print(m["executable"])')

cases=$("$bin" --bench --list 2>/dev/null | sed -n 's/: benchmark$//p' | grep -E "${filter:-.}" || true)
for case in $cases; do
  group=${case%%/*}
  workload=${group#second_order_}
  rest=${case#*/}
  impl=${rest%%/*}
  size=${rest#*/}
  data=$(mktemp)
  perf record -q -F 1999 -o "$data" -- "$bin" --bench --profile-time "$seconds" "^$case\$" >/dev/null 2>&1 || true
  perf report -i "$data" --no-children --stdio --sort sym 2>/dev/null |
    grep -E '^ +[0-9.]+%' | grep -v -E 'criterion::|rayon_core::sleep|\[k\] ' | head -12 \
    >"$out/$workload-$size-$impl.txt" || true
  rm -f "$data"
  echo "profiled $case"
done
