#!/usr/bin/env bash
# ThreePay's soak test (`make soak`): builds the release binaries, starts a private stack on loopback
# (MariaDB, the sandbox gateway, the responder with 64 workers, nginx) in var/soak on 127.0.0.1:18680 with
# empty payment tables and an empty sandbox book, runs soak/soak.py — steady ScanCode + Query + pay (+ the
# notifications and callbacks that follow) at a fixed rate, the responder's RSS sampled every 10 s, an exact
# reconciliation at the end — writes soak/results/<UTC time>.{md,json}, and stops the stack.
# Exit status 0 only with zero errors, an exact reconciliation and a flat RSS curve. See docs/reliability.md.
#
# Settings (environment):
#   SOAK_MINUTES (10)          length of the load
#   SOAK_RATE (760)            requests per second, all kinds together (about 70 % of the capacity with the
#                              gateway off the box that make bench measures: 966-1,230 ScanCode/s across a day's
#                              runs on this 2-core box; the sandbox shares the cores, and 870/s filled them)
#   SOAK_PAY_SHARE (0.3) SOAK_QUERY_SHARE (0.2) SOAK_RESEND_SHARE (0.1)  what share of the bills is paid,
#                              only queried, or sent again
#   SOAK_SAMPLE_SECONDS (10) SOAK_WARMUP_SECONDS (min(60, a fifth of the run))  RSS sampling
#   SOAK_RSS_TOLERANCE_MB (5)  how much the responder's RSS may grow after the warm-up and still be flat
#   SOAK_DRAIN_SECONDS (180)   how long to wait after the load for payments and callbacks to settle
#   SOAK_CLIENTS (32)          driver threads (each one keep-alive connection)
#   SOAK_PORT (18680) SOAK_STATE_DIR (var/soak) SOAK_RESULTS_DIR (soak/results)
#   SOAK_WORKERS (64) SOAK_SANDBOX_WORKERS (300)  responder and sandbox worker threads
#   SOAK_CALLBACK_POSTERS (unset: the responder's 1)  the responder's THREEPAY_CALLBACK_POSTERS
#   SOAK_SKIP_BUILD (0) SOAK_KEEP_STACK (0) SOAK_FRESH (1: empty the payment tables and the sandbox book)
#   SOAK_SCRATCH_PATH          build with `swift build --scratch-path <dir>` (also the stack's binaries)
#   SOAK_CLUSTER (0)           1: the stack of `make run-cluster` (SOAK_CLUSTER_NODES Galera nodes, default 3;
#                              SOAK_CLUSTER_RESPONDERS responders of SOAK_WORKERS workers each, default 2) in
#                              var/soak-cluster, with faults under the load: kill -9 of a node at 30 % of the run,
#                              started again at 45 %, kill -9 of a responder at 65 %; at the end every node must hold
#                              the same rows. 10 minutes: SOAK_CLUSTER=1 scripts/soak.sh
# A two-minute run: SOAK_MINUTES=2 scripts/soak.sh
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)

# Only this script's settings reach the stack: a developer's THREEPAY_* must not leak into the soak.
for name in $(env | sed -n 's/^\(THREEPAY_[A-Z0-9_]*\)=.*/\1/p'); do unset "$name"; done
stack_script=scripts/stack.sh
db_socket_dir=.
if [ "${SOAK_CLUSTER:-0}" = 1 ]; then
  export SOAK_CLUSTER
  stack_script=scripts/cluster.sh
  export THREEPAY_CLUSTER_NODES="${SOAK_CLUSTER_NODES:-3}" THREEPAY_CLUSTER_RESPONDERS="${SOAK_CLUSTER_RESPONDERS:-2}"
  db_socket_dir=cluster/node1
fi
export THREEPAY_STATE_DIR="${SOAK_STATE_DIR:-$root/var/soak$([ "${SOAK_CLUSTER:-0}" = 1 ] && echo -cluster)}"
case "$THREEPAY_STATE_DIR" in /*) ;; *) THREEPAY_STATE_DIR="$root/$THREEPAY_STATE_DIR" ;; esac
export THREEPAY_HTTP_PORT="${SOAK_PORT:-18680}"
export THREEPAY_BUILD_CONFIG=release
export THREEPAY_WORKERS="${SOAK_WORKERS:-64}"
export THREEPAY_SANDBOX_WORKERS="${SOAK_SANDBOX_WORKERS:-300}"
if [ -n "${SOAK_CALLBACK_POSTERS:-}" ]; then export THREEPAY_CALLBACK_POSTERS="$SOAK_CALLBACK_POSTERS"; fi
# No sandbox state file: it rewrites the whole book after every change, which grows with the run.
# A blank value reaches the sandbox as "not set" (stack.sh only fills in an empty one).
export THREEPAY_SANDBOX_STATE=" "
state="$THREEPAY_STATE_DIR"
port="$THREEPAY_HTTP_PORT"
base="http://127.0.0.1:$port"

log() { printf '[soak] %s\n' "$*" >&2; }

for tool in python3 nginx mariadb curl openssl; do
  command -v "$tool" >/dev/null || { log "$tool is missing: run 'make soak' (it installs the packages)"; exit 1; }
done

mkdir -p "$state"
if [ -n "${SOAK_SCRATCH_PATH:-}" ]; then
  # Every `swift build` of this run, scripts/stack.sh's included (THREEPAY_SCRATCH_PATH), uses that build folder.
  THREEPAY_SCRATCH_PATH=$(cd "$SOAK_SCRATCH_PATH" 2>/dev/null && pwd || echo "$root/$SOAK_SCRATCH_PATH")
  export THREEPAY_SCRATCH_PATH
fi

# 64 workers each hold a FastCGI connection, a database connection and an HTTP connection.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

. scripts/private-stack.sh
start_private_stack SOAK "$THREEPAY_WORKERS responder workers"

if [ "${SOAK_FRESH:-1}" = 1 ]; then
  # The reconciliation compares everything in the database with everything in the sandbox's book.
  mariadb --no-defaults --socket="$state/$db_socket_dir/mariadb.sock" --user="$(id -un)" --database=threepay -e "
    SET FOREIGN_KEY_CHECKS = 0;
    TRUNCATE TABLE T_3Pay_Callback_Outbox; TRUNCATE TABLE T_3Pay_StoredValueCard_Credit;
    TRUNCATE TABLE T_3Pay_StoredValueCard; TRUNCATE TABLE T_3Pay_Receipt_Scenic; TRUNCATE TABLE T_3Pay_Receipt_Pos;
    TRUNCATE TABLE T_3Pay_Receipt_CarRental; TRUNCATE TABLE T_3Pay_Receipt_EcoCar;
    TRUNCATE TABLE T_3Pay_Receipt_EquipmentRental; TRUNCATE TABLE T_3Pay_Receipt_JointRetail;
    TRUNCATE TABLE T_3Pay_Receipt_StoredValueCard; TRUNCATE TABLE T_3Pay_Offline_Bill;
    TRUNCATE TABLE T_3Pay_Offline_ReceiveMoney;
    SET FOREIGN_KEY_CHECKS = 1"
  curl -fsS -o /dev/null -X POST "$base/sandbox/reset?trades=1"
fi

python3 soak/soak.py
