#!/usr/bin/env bash
# Goal 3's baseline on this machine, for scripts/bench.sh and bench/bench.py:
#
#   scripts/bench-baseline.sh before|after PORT
#
# builds BENCH_BASELINE_COMMIT's source (a git archive in BENCH_BASELINE_ROOT, made once) and runs that commit's
# own bench at c64 / 0 ms, on PORT, with its floor, as many seconds and repetitions as this run's points. Its
# report goes to $BENCH_STATE/baseline-results-WHEN; the path of its JSON is the only line on standard output.
# scripts/bench.sh runs it before ThreePay's stack starts ("before", on the bench's port); bench/bench.py runs it
# again after ThreePay's 0 ms points ("after", on another port while ThreePay's stack stands idle), so that goal 3
# compares ThreePay with the mean of two baseline measurements taken on either side of its own.
# Settings (environment, from scripts/bench.sh): BENCH_BASELINE_COMMIT (a full commit id), BENCH_BASELINE_ROOT,
# BENCH_STATE (the bench's state folder), BENCH_SECONDS, BENCH_REPS, BENCH_WARMUP.
set -euo pipefail

cd "$(dirname "$0")/.."
when="${1:?before or after}" port="${2:?port}"
case "$when" in before|after) ;; *) echo "bench-baseline: the first argument is before or after" >&2; exit 2 ;; esac
commit="${BENCH_BASELINE_COMMIT:?}" source_root="${BENCH_BASELINE_ROOT:?}" state="${BENCH_STATE:?}"

log() { printf '[bench] %s\n' "$*" >&2; }

if [ ! -f "$source_root/Package.swift" ]; then
  git rev-parse --verify -q "$commit^{commit}" >/dev/null \
    || { log "BENCH_BASELINE_COMMIT $commit is not in this clone's history (set it empty to compare with BENCH_BASELINE)"; exit 1; }
  rm -rf "$source_root" && mkdir -p "$source_root"
  git archive "$commit" | tar -x -C "$source_root"
fi
log "goal 3's baseline ($when): building ${commit:0:12} in $source_root"
(cd "$source_root" && swift build -c release --product threepay >/dev/null \
   && swift build -c release --product threepay-sandbox >/dev/null) \
  || { log "the baseline commit does not build"; exit 1; }

results="$state/baseline-results-$when" bench_log="$state/baseline-bench-$when.log"
rm -rf "$results" "$state/baseline-state-$when"
log "goal 3's baseline ($when): its bench at c64 / 0 ms on port $port"
# Only the settings named here reach it (its own defaults otherwise, as when the issue measured it).
(cd "$source_root" && env -i PATH="$PATH" HOME="${HOME:-/root}" USER="$(id -un)" LANG="${LANG:-C.UTF-8}" \
   BENCH_CONCURRENCY=64 BENCH_LATENCIES=0 BENCH_PROFILE=0 BENCH_SKIP_BUILD=1 \
   BENCH_PORT="$port" BENCH_STATE_DIR="$state/baseline-state-$when" BENCH_RESULTS_DIR="$results" \
   BENCH_SECONDS="${BENCH_SECONDS:-20}" BENCH_REPS="${BENCH_REPS:-3}" BENCH_WARMUP="${BENCH_WARMUP:-5}" \
   scripts/bench.sh >"$bench_log" 2>&1) \
  || { log "the baseline's bench failed: $bench_log"; exit 1; }
report=$(ls "$results"/*.json 2>/dev/null | head -n 1)
[ -n "$report" ] || { log "the baseline's bench wrote no report: $bench_log"; exit 1; }
printf '%s\n' "$report"
