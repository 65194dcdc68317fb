#!/usr/bin/env bash
# ThreePay's ScanCode benchmark (`make bench`): builds the release binaries, starts a private stack on
# loopback (MariaDB, the sandbox gateway, the responder, nginx) in its own state folder and port, runs
# bench/bench.py (the floor, then wrk at every concurrency × gateway latency, reconciled after each
# repetition, then the largest hostile body of each kind against a normal request), prints the table, writes
# bench/results/<time>.{md,json}, and stops the stack.
# How to read and reproduce the numbers: bench/README.md.
#
# Settings (environment; defaults are the issue's method):
#   BENCH_SECONDS (20) BENCH_REPS (3) BENCH_WARMUP (5)        seconds per point, repetitions, warm-up seconds
#   BENCH_CONCURRENCY ("1 16 64 256") BENCH_LATENCIES ("0 50") connections; sandbox latency in ms
#   BENCH_FLOOR (1) BENCH_FLOOR_SECONDS (min(BENCH_SECONDS,10)) measure the floor; seconds per floor measurement
#   BENCH_HEALTH_CONCURRENCY (64) BENCH_CALL_CONCURRENCY ("1 16 64") BENCH_WRK_THREADS (CPU count)
#   BENCH_HELLO_CONCURRENCY ("1 16") BENCH_HELLO_THREADS (64)  the FastCGI hello floor (bench/fcgi-hello.c)
#   BENCH_SCANCODE_FLOOR_CONCURRENCY ("1 64")                 the ScanCode without rules (bench/scancode-floor.c)
#   BENCH_PORT (18480) BENCH_STATE_DIR (var/bench) BENCH_RESULTS_DIR (bench/results)
#   BENCH_WORKERS (64) BENCH_SANDBOX_WORKERS (300)            responder (its default) and sandbox worker threads
#   BENCH_GATEWAY_CONCURRENCY (BENCH_WORKERS)                  the responder's THREEPAY_GATEWAY_CONCURRENCY
#   BENCH_BUSY_WAIT_MS (unset: the responder's 1000)           the responder's THREEPAY_BUSY_WAIT_MS
#   BENCH_DB_THREAD_HANDLING (pool-of-threads)                 or one-thread-per-connection: MariaDB's thread_handling
#   BENCH_KEEP_CONN (0) BENCH_KEEPALIVE (16)                   1: nginx keeps FastCGI connections to the responder
#                                                              (and the hello) open, KEEPALIVE idle ones per worker
#   BENCH_BASELINE_COMMIT (3a0f4c6, the commit the performance issue measured) goal 3's baseline, measured on
#                 this machine before ThreePay's stack starts and again after its 0 ms points
#                 (scripts/bench-baseline.sh: that commit's source is built and its own bench runs the c64 / 0 ms
#                 point); empty: no such run, and goal 3 reads BENCH_BASELINE instead
#   BENCH_BASELINE_AFTER_PORT (BENCH_PORT + 1)                 the port of the baseline's second measurement
#   BENCH_BASELINE (bench/results/20261126T211730Z.json)      the report goal 3 compares capacity with when
#                 BENCH_BASELINE_COMMIT is empty (a report from another machine: the ratio is normalised)
#   BENCH_SKIP_BUILD (0) BENCH_FRESH_DB (1: empty the payment tables first) BENCH_KEEP_STACK (0)
#   BENCH_HOSTILE (1) BENCH_HOSTILE_SECONDS (min(BENCH_SECONDS,10)) hostile bodies against a normal request
#   BENCH_PROFILE (1) BENCH_PROFILE_SECONDS (10)               perf profile of the stack at c64, 0 ms, after the points
#   BENCH_ENFORCE (0: 1 makes a missed target exit non-zero)
#   BENCH_CLUSTER (0: 1 benchmarks `make run-cluster`'s stack instead: BENCH_CLUSTER_NODES Galera nodes (3) and
#                 BENCH_CLUSTER_RESPONDERS responders (2) of BENCH_WORKERS workers each (default 64 in all), state
#                 folder var/bench-cluster, results named …-cluster; one machine: the overhead, not the scale)
# Quick smoke run: BENCH_SECONDS=3 BENCH_REPS=1 BENCH_WARMUP=1 scripts/bench.sh
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)

# Only this script's settings reach the stack: a developer's THREEPAY_* (another port, a real gateway or
# database) must not leak into the benchmark.
for name in $(env | sed -n 's/^\(THREEPAY_[A-Z0-9_]*\)=.*/\1/p'); do unset "$name"; done
stack_script=scripts/stack.sh
workers=64
run_subdir=""
if [ "${BENCH_CLUSTER:-0}" = 1 ]; then
  export BENCH_CLUSTER
  stack_script=scripts/cluster.sh
  export THREEPAY_CLUSTER_NODES="${BENCH_CLUSTER_NODES:-3}" THREEPAY_CLUSTER_RESPONDERS="${BENCH_CLUSTER_RESPONDERS:-2}"
  workers=$((64 / THREEPAY_CLUSTER_RESPONDERS))
  run_subdir=/cluster
fi
export THREEPAY_STATE_DIR="${BENCH_STATE_DIR:-$root/var/bench$([ "${BENCH_CLUSTER:-0}" = 1 ] && echo -cluster)}"
case "$THREEPAY_STATE_DIR" in /*) ;; *) THREEPAY_STATE_DIR="$root/$THREEPAY_STATE_DIR" ;; esac
export THREEPAY_HTTP_PORT="${BENCH_PORT:-18480}"
export THREEPAY_BUILD_CONFIG=release
export THREEPAY_WORKERS="${BENCH_WORKERS:-$workers}"
export THREEPAY_SANDBOX_WORKERS="${BENCH_SANDBOX_WORKERS:-300}"
# The responder's gateway seats: its own default (3/4 of the workers; more Alipay calls at once are answered
# 4002) keeps workers free while a gateway hangs. The sandbox never hangs, so the bench opens the seats to the
# whole pool and measures the service rather than that guard. Also its patience with a full house (4003).
export THREEPAY_GATEWAY_CONCURRENCY="${BENCH_GATEWAY_CONCURRENCY:-$THREEPAY_WORKERS}"
if [ -n "${BENCH_BUSY_WAIT_MS:-}" ]; then export THREEPAY_BUSY_WAIT_MS="$BENCH_BUSY_WAIT_MS"; fi
# MariaDB's thread handling (scripts/mariadb.sh checks the value; the report prints what the server runs).
if [ -n "${BENCH_DB_THREAD_HANDLING:-}" ]; then export THREEPAY_DB_THREAD_HANDLING="$BENCH_DB_THREAD_HANDLING"; fi
# No sandbox state file: it rewrites the whole trade book after changes, which would spend the CPU the
# benchmark measures. A blank value reaches the sandbox as "not set" (stack.sh only fills in an empty one).
export THREEPAY_SANDBOX_STATE=" "
state="$THREEPAY_STATE_DIR"
# Where the stack keeps its nginx files, logs and sockets: the state folder, or its cluster/ for a cluster.
run_dir="$state$run_subdir"
port="$THREEPAY_HTTP_PORT"

log() { printf '[bench] %s\n' "$*" >&2; }

for tool in wrk mariadb-slap openssl python3 nginx; do
  command -v "$tool" >/dev/null || { log "$tool is missing: run 'make bench' (it installs the packages)"; exit 1; }
done
# A C compiler for bench/fcgi-hello.c: $CC, cc, or the clang that comes with the Swift toolchain.
c_compiler=""
for candidate in "${CC:-}" cc clang; do
  if [ -n "$candidate" ] && command -v "$candidate" >/dev/null; then c_compiler=$candidate; break; fi
done
[ -n "$c_compiler" ] || { log "no C compiler (cc or clang) for bench/fcgi-hello.c"; exit 1; }

# 256 workers each hold a FastCGI connection, a database connection and an HTTP connection.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 4096 ]; then
  log "open file limit $(ulimit -n) is too low for $THREEPAY_WORKERS workers (need 4096)"; exit 1
fi

export BENCH_KEEP_CONN="${BENCH_KEEP_CONN:-0}" BENCH_KEEPALIVE="${BENCH_KEEPALIVE:-16}"
export BENCH_HELLO_THREADS="${BENCH_HELLO_THREADS:-64}"
case "$BENCH_KEEP_CONN$BENCH_KEEPALIVE$BENCH_HELLO_THREADS" in
  *[!0-9]*) log "BENCH_KEEP_CONN, BENCH_KEEPALIVE and BENCH_HELLO_THREADS must be numbers"; exit 1 ;;
esac

# The "one FastCGI trip" floor: the smallest libfcgi responder (bench/fcgi-hello.c), built here with the C
# compiler against Debian's libfcgi-dev. It is not part of ThreePay.
mkdir -p "$state"
hello="$state/fcgi-hello"
"$c_compiler" -O2 -Wall -Werror -o "$hello" bench/fcgi-hello.c -lfcgi -lpthread
# The "ScanCode without rules" floor (bench/scancode-floor.c): one ScanCode's trips and crypto straight on the
# C libraries ThreePay uses (libfcgi-dev, libmariadb-dev, libcurl4-openssl-dev, libssl-dev). Not part of ThreePay.
scancode_floor="$state/scancode-floor"
# shellcheck disable=SC2046  # mariadb_config prints several flags
"$c_compiler" -O2 -Wall -Werror $(mariadb_config --cflags) -o "$scancode_floor" bench/scancode-floor.c \
  -lfcgi $(mariadb_config --libs) -lcurl -lcrypto -lpthread

# Goal 3's baseline on this machine (scripts/bench-baseline.sh), before this stack starts (both use the port): the
# baseline commit's own bench at c64 / 0 ms with its floor. bench/bench.py measures it again after ThreePay's 0 ms
# points, on the port above this one, and compares ThreePay's capacity with the mean of the two, as they are
# (BENCH_BASELINE_MEASURED says they come from this machine).
baseline_commit="${BENCH_BASELINE_COMMIT-3a0f4c63e11a0270af4a9874f3ee7b940c8f8b20}"
if [ -n "$baseline_commit" ] && [ "${BENCH_CLUSTER:-0}" != 1 ]; then
  # A full commit id is used as it is (its source may already be exported, in a tree without git); a short one
  # is looked up.
  if ! [[ "$baseline_commit" =~ ^[0-9a-f]{40}$ ]]; then
    baseline_commit=$(git rev-parse --verify -q "$baseline_commit^{commit}") \
      || { log "BENCH_BASELINE_COMMIT ${BENCH_BASELINE_COMMIT:-} is not in this clone's history (set it empty to compare with BENCH_BASELINE)"; exit 1; }
  fi
  export BENCH_BASELINE_COMMIT="$baseline_commit" BENCH_BASELINE_ROOT="$state/baseline-$baseline_commit" \
    BENCH_STATE="$state" BENCH_BASELINE_AFTER_PORT="${BENCH_BASELINE_AFTER_PORT:-$((port + 1))}"
  baseline_json=$(scripts/bench-baseline.sh before "$port")
  export BENCH_BASELINE="$baseline_json" BENCH_BASELINE_MEASURED="$baseline_commit"
else
  unset BENCH_BASELINE_MEASURED BENCH_BASELINE_AFTER_PORT
fi

. scripts/private-stack.sh
start_private_stack BENCH "$THREEPAY_WORKERS responder workers, $THREEPAY_SANDBOX_WORKERS sandbox workers"

# The two floor responders: bench/fcgi-hello and bench/scancode-floor, each with its pid file in the state folder.
stop_floor_responder() {
  local pid
  pid=$(cat "$state/$1.pid" 2>/dev/null) || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$state/$1.pid"
}
trap 'stop_floor_responder fcgi-hello; stop_floor_responder scancode-floor; stop_private_stack' EXIT
stop_floor_responder fcgi-hello
stop_floor_responder scancode-floor
nohup "$hello" "$state/fcgi-hello.sock" "$BENCH_HELLO_THREADS" >>"$run_dir/logs/fcgi-hello.log" 2>&1 &
echo $! > "$state/fcgi-hello.pid"
# As many threads as the responder has workers, on the stack's own database, gateway and keys. The schema is
# the scratch one of bench/bench.py's database floors, made and dropped by bench/bench.py around each run
# (bench/bench.py reads the name from here too).
export FLOOR_DB_SCHEMA=threepay_bench_pair
FLOOR_DB_SOCKET="$run_dir${run_subdir:+/node1}/mariadb.sock" FLOOR_DB_USER="$(id -un)" \
FLOOR_GATEWAY="http://127.0.0.1:$port/gateway.do" \
FLOOR_APP_ID="${THREEPAY_ALIPAY_APP_ID:-2021000000000001}" FLOOR_NOTIFY_URL="http://127.0.0.1:$port/api/3Pay/AliPay/Notify" \
FLOOR_APP_PRIVATE_KEY="$state/keys/app_private.pem" FLOOR_ALIPAY_PUBLIC_KEY="$state/keys/sandbox_alipay_public.pem" \
  nohup "$scancode_floor" "$state/scancode-floor.sock" "$THREEPAY_WORKERS" >>"$run_dir/logs/scancode-floor.log" 2>&1 &
echo $! > "$state/scancode-floor.pid"

# The bench's own lines in the stack's nginx, written into the copies of the operator files that
# scripts/stack.sh rendered into the state folder (nginx/ itself is not changed), then nginx is started again
# so that no worker of the old configuration is counted:
#   - location = /bench/hello → the hello responder (server level, next to the ThreePay locations);
#   - BENCH_KEEP_CONN=1: the ThreePay locations pass to an upstream with `keepalive BENCH_KEEPALIVE` and
#     `fastcgi_keep_conn on`, and so does the hello location.
nginx_args=(-p "$run_dir" -c "$run_dir/nginx.conf" -e "$run_dir/logs/nginx-error.log")
http_conf="$run_dir/threepay-http.conf" location_conf="$run_dir/threepay-location.conf"
hello_pass="fastcgi_pass  unix:$state/fcgi-hello.sock;"
if [ "$BENCH_KEEP_CONN" = 1 ] && [ -n "$run_subdir" ]; then
  log "BENCH_KEEP_CONN=1 is measured on the single-node stack only (the cluster's upstream is scripts/cluster.sh's)"; exit 1
fi
if [ "$BENCH_KEEP_CONN" = 1 ]; then
  cat >>"$http_conf" <<EOF

# Added by scripts/bench.sh (BENCH_KEEP_CONN=1): FastCGI connections that stay open between requests.
upstream threepay_bench_keep {
    server unix:$state/threepay.sock;
    keepalive $BENCH_KEEPALIVE;
}
upstream threepay_bench_hello_keep {
    server unix:$state/fcgi-hello.sock;
    keepalive $BENCH_KEEPALIVE;
}
EOF
  passes=$(grep -c "^ *fastcgi_pass  *unix:$state/threepay.sock;" "$location_conf" || true)
  if [ "$passes" -lt 1 ]; then
    log "no 'fastcgi_pass unix:$state/threepay.sock;' in $location_conf: cannot turn on BENCH_KEEP_CONN"; exit 1
  fi
  sed -i -e "s#^\( *\)fastcgi_pass  *unix:$state/threepay.sock;#\1fastcgi_pass  threepay_bench_keep;\n\1fastcgi_keep_conn on;#" \
    "$location_conf"
  hello_pass="fastcgi_pass  threepay_bench_hello_keep; fastcgi_keep_conn on;"
  log "nginx keeps FastCGI connections open ($passes ThreePay locations and the hello; keepalive $BENCH_KEEPALIVE per nginx worker)"
fi
cat >>"$location_conf" <<EOF

# Added by scripts/bench.sh: the FastCGI hello responder of the benchmark's floor.
location = /bench/hello {
    include       fastcgi_params;
    $hello_pass
}

# Added by scripts/bench.sh: bench/scancode-floor, the floor line "a ScanCode without rules" (a new FastCGI
# connection per request, as ThreePay's locations unless BENCH_KEEP_CONN=1).
location = /bench/scancode-floor {
    include       fastcgi_params;
    fastcgi_pass  unix:$state/scancode-floor.sock;
}
EOF
nginx "${nginx_args[@]}" -t -q
nginx "${nginx_args[@]}" -s quit
for _ in $(seq 1 100); do [ -s "$run_dir/nginx.pid" ] || break; sleep 0.1; done
[ ! -s "$run_dir/nginx.pid" ] || { log "nginx did not stop for its new configuration"; exit 1; }
nginx "${nginx_args[@]}"
for _ in $(seq 1 100); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$port/bench/hello" 2>/dev/null \
     && curl -fsS -o /dev/null "http://127.0.0.1:$port/api/3Pay/health" 2>/dev/null; then break; fi
  sleep 0.1
done
curl -fsS -o /dev/null "http://127.0.0.1:$port/bench/hello" || { log "the FastCGI hello does not answer"; exit 1; }
kill -0 "$(cat "$state/scancode-floor.pid")" 2>/dev/null \
  || { log "bench/scancode-floor did not start: $run_dir/logs/scancode-floor.log"; exit 1; }

if [ "${BENCH_FRESH_DB:-1}" = 1 ]; then
  # Every run starts from empty payment tables, so table size does not drift between runs.
  mariadb --no-defaults --socket="$run_dir${run_subdir:+/node1}/mariadb.sock" --user="$(id -un)" --database=threepay -e \
    "SET FOREIGN_KEY_CHECKS = 0; TRUNCATE TABLE T_3Pay_Offline_Bill; TRUNCATE TABLE T_3Pay_Offline_ReceiveMoney; SET FOREIGN_KEY_CHECKS = 1"
fi

python3 bench/bench.py
