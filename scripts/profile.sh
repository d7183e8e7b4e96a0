#!/usr/bin/env bash
# Where the time goes: `perf record` of the generated and the hand-written gradient of every
# benchmark case (criterion's --profile-time: the benchmark run without its analysis), each
# reduced to the functions with the most samples (self time; the kernels the compiler inlined
# count in the function they were inlined into). scripts/perf_report.py shows them beside the
# targets a case misses. Run by scripts/bench.sh; alone:
#
#   scripts/profile.sh [WORKLOAD]
#
# Needs `perf` (Debian's linux-perf); without it, says so and does nothing. Writes
# $BENCH_RESULTS_DIR/profiles/<workload>-<size>-<impl>.txt (default <target>/bench-results).
set -euo pipefail
cd "$(dirname "$0")/.."

filter=${1:-}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
results=${BENCH_RESULTS_DIR:-$CARGO_TARGET_DIR/bench-results}
out=$results/profiles
seconds=${PROFILE_SECONDS:-3}

if ! command -v perf >/dev/null || ! perf stat -e task-clock true >/dev/null 2>&1; then
  echo "profile.sh: perf is not available (apt install linux-perf); no profiles" >&2
  exit 0
fi
mkdir -p "$out"

# The bench binary criterion runs (built by `cargo bench --no-run`).
bin=$(cargo bench --bench gradients --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "gradients" and m.get("executable"):
        print(m["executable"])')

cases=$("$bin" --bench --list 2>/dev/null | sed -n 's/: benchmark$//p' | grep -E '/(generated|hand)/' || true)
for case in $cases; do
  workload=${case%%/*}
  if [ -n "$filter" ] && [ "$workload" != "$filter" ]; then
    continue
  fi
  rest=${case#*/}
  impl=${rest%%/*}
  size=${rest#*/}
  data=$(mktemp)
  perf record -q -F 1999 -o "$data" -- "$bin" --bench --profile-time "$seconds" "^$case\$" >/dev/null 2>&1 || true
  # Self time per function, criterion's own bookkeeping left out.
  perf report -i "$data" --no-children --stdio --sort sym 2>/dev/null |
    grep -E '^ +[0-9.]+%' | grep -v -E 'criterion::|rayon_core::sleep|\[k\] ' | head -8 \
    >"$out/$workload-$size-$impl.txt" || true
  rm -f "$data"
  echo "profiled $case"
done
