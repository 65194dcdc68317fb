#!/usr/bin/env bash
# ThreePay's ScanCode benchmark (`make bench`): builds the release binaries, starts a private stack on
# loopback (MariaDB, the sandbox gateway, the responder, nginx) in its own state folder and port, runs
# bench/bench.py (the floor, then wrk at every concurrency × gateway latency, reconciled after each
# repetition), prints the table, writes bench/results/<time>.{md,json}, and stops the stack.
# How to read and reproduce the numbers: bench/README.md.
#
# Settings (environment; defaults are the issue's method):
#   BENCH_SECONDS (20) BENCH_REPS (3) BENCH_WARMUP (5)        seconds per point, repetitions, warm-up seconds
#   BENCH_CONCURRENCY ("16 64 256") BENCH_LATENCIES ("0 50")  connections; sandbox latency in ms
#   BENCH_FLOOR (1) BENCH_FLOOR_SECONDS (min(BENCH_SECONDS,10)) measure the floor; seconds per floor measurement
#   BENCH_HEALTH_CONCURRENCY (64) BENCH_CALL_CONCURRENCY ("16 64") BENCH_WRK_THREADS (CPU count)
#   BENCH_PORT (18480) BENCH_STATE_DIR (var/bench) BENCH_RESULTS_DIR (bench/results)
#   BENCH_WORKERS (256) BENCH_SANDBOX_WORKERS (300)           responder and sandbox worker threads
#   BENCH_SKIP_BUILD (0) BENCH_FRESH_DB (1: empty the payment tables first) BENCH_KEEP_STACK (0)
#   BENCH_PROFILE (1) BENCH_PROFILE_SECONDS (10)               perf profile of the stack at c64, 0 ms, after the points
#   BENCH_ENFORCE (0: 1 makes a missed target exit non-zero)
#   BENCH_CLUSTER (0: 1 benchmarks `make run-cluster`'s stack instead: BENCH_CLUSTER_NODES Galera nodes (3) and
#                 BENCH_CLUSTER_RESPONDERS responders (2) of BENCH_WORKERS workers each (default 256 in all), state
#                 folder var/bench-cluster, results named …-cluster; one machine: the overhead, not the scale)
# Quick smoke run: BENCH_SECONDS=3 BENCH_REPS=1 BENCH_WARMUP=1 scripts/bench.sh
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)

# Only this script's settings reach the stack: a developer's THREEPAY_* (another port, a real gateway or
# database) must not leak into the benchmark.
for name in $(env | sed -n 's/^\(THREEPAY_[A-Z0-9_]*\)=.*/\1/p'); do unset "$name"; done
stack_script=scripts/stack.sh
workers=256
db_socket_dir=.
if [ "${BENCH_CLUSTER:-0}" = 1 ]; then
  export BENCH_CLUSTER
  stack_script=scripts/cluster.sh
  export THREEPAY_CLUSTER_NODES="${BENCH_CLUSTER_NODES:-3}" THREEPAY_CLUSTER_RESPONDERS="${BENCH_CLUSTER_RESPONDERS:-2}"
  workers=$((256 / THREEPAY_CLUSTER_RESPONDERS))
  db_socket_dir=cluster/node1
fi
export THREEPAY_STATE_DIR="${BENCH_STATE_DIR:-$root/var/bench$([ "${BENCH_CLUSTER:-0}" = 1 ] && echo -cluster)}"
case "$THREEPAY_STATE_DIR" in /*) ;; *) THREEPAY_STATE_DIR="$root/$THREEPAY_STATE_DIR" ;; esac
export THREEPAY_HTTP_PORT="${BENCH_PORT:-18480}"
export THREEPAY_BUILD_CONFIG=release
export THREEPAY_WORKERS="${BENCH_WORKERS:-$workers}"
export THREEPAY_SANDBOX_WORKERS="${BENCH_SANDBOX_WORKERS:-300}"
# No sandbox state file: it rewrites the whole trade book after changes, which would spend the CPU the
# benchmark measures. A blank value reaches the sandbox as "not set" (stack.sh only fills in an empty one).
export THREEPAY_SANDBOX_STATE=" "
state="$THREEPAY_STATE_DIR"
port="$THREEPAY_HTTP_PORT"

log() { printf '[bench] %s\n' "$*" >&2; }

for tool in wrk mariadb-slap openssl python3 nginx; do
  command -v "$tool" >/dev/null || { log "$tool is missing: run 'make bench' (it installs the packages)"; exit 1; }
done

# 256 workers each hold a FastCGI connection, a database connection and an HTTP connection.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 4096 ]; then
  log "open file limit $(ulimit -n) is too low for $THREEPAY_WORKERS workers (need 4096)"; exit 1
fi

. scripts/private-stack.sh
start_private_stack BENCH "$THREEPAY_WORKERS responder workers, $THREEPAY_SANDBOX_WORKERS sandbox workers"

if [ "${BENCH_FRESH_DB:-1}" = 1 ]; then
  # Every run starts from empty payment tables, so table size does not drift between runs.
  mariadb --no-defaults --socket="$state/$db_socket_dir/mariadb.sock" --user="$(id -un)" --database=threepay -e \
    "SET FOREIGN_KEY_CHECKS = 0; TRUNCATE TABLE T_3Pay_Offline_Bill; TRUNCATE TABLE T_3Pay_Offline_ReceiveMoney; SET FOREIGN_KEY_CHECKS = 1"
fi

python3 bench/bench.py
