#!/usr/bin/env bash
# `make run-cluster`: ThreePay on a MariaDB Galera cluster with several responders behind one nginx, all on this
# machine — what several machines do (README, "Running on several machines"), on loopback.
#
#   scripts/cluster.sh start    start everything in the background, wait until it answers
#   scripts/cluster.sh stop     stop what `start` started (the nodes last, node 1 last of all)
#   scripts/cluster.sh run      start, print how to call it, stop everything on Ctrl-C
#   scripts/cluster.sh status   each node's state in the cluster, each responder's pid
#   scripts/cluster.sh env      print the settings the responders get (secrets masked)
#
# It starts THREEPAY_CLUSTER_NODES Galera nodes (default 3), THREEPAY_CLUSTER_RESPONDERS responders (default 2),
# the sandbox gateway and nginx with an upstream of the responders. Everything lives under
# $THREEPAY_STATE_DIR/cluster/ (the keys stay in $THREEPAY_STATE_DIR/keys):
#   node<i>/             one node: mariadb/ (datadir), mariadb.sock, mariadb.pid, mariadb.cnf, mariadb.log.
#                        A node that was killed comes back with `mariadbd --defaults-file=…/node<i>/mariadb.cnf`
#                        alone (as root, or as the owner of the folder) and rejoins the others by itself (IST, or
#                        SST with mariabackup).
#   responder<j>.sock    responder j's FastCGI socket; responder<j>.pid names the live process, which a supervisor
#                        (supervisor<j>.pid) starts again half a second after it dies, as systemd's Restart=always
#                        would; logs/responder<j>.log, logs/stack.log (restarts).
#   nginx.conf, threepay-http.conf (with the upstream), threepay-location.conf, logs/, sandbox.sock
#
# The nodes listen on loopback addresses of their own, 127.A.B.<i> where A.B are the two bytes of the HTTP port
# (THREEPAY_CLUSTER_NET=127.A.B overrides): clients on :3306, group communication on :4567, IST on :4568, SST on
# :4444 — the ports of a real cluster, and nothing another stack on this machine uses. The responders reach the
# nodes over TCP as the account `threepay` (THREEPAY_DB_HOSTS; its password is generated in keys/), each worker
# starting on a node of its own. The first start creates a new cluster from node 1 (galera_new_cluster); a later one
# starts it again from the node that stopped last (safe_to_bootstrap), or from the one whose data is newest.
#
# Settings: those of scripts/stack.sh (THREEPAY_STATE_DIR, THREEPAY_HTTP_PORT, THREEPAY_BUILD_CONFIG, every
# responder setting), and THREEPAY_CLUSTER_NODES (1-9), THREEPAY_CLUSTER_RESPONDERS (1-16), THREEPAY_CLUSTER_NET.
# The database is always the cluster's own: THREEPAY_DB_HOST, _SOCKET, _HOSTS and _SOCKETS are refused.
set -euo pipefail

cd "$(dirname "$0")/.."
me=scripts/cluster.sh
subdir=cluster
. scripts/stack-lib.sh

nodes="${THREEPAY_CLUSTER_NODES:-3}"
responders="${THREEPAY_CLUSTER_RESPONDERS:-2}"
[[ "$nodes" =~ ^[1-9]$ ]] || { log "THREEPAY_CLUSTER_NODES must be 1 to 9, not '$nodes'"; exit 2; }
[[ "$responders" =~ ^([1-9]|1[0-6])$ ]] || { log "THREEPAY_CLUSTER_RESPONDERS must be 1 to 16, not '$responders'"; exit 2; }
[[ "$port" =~ ^[0-9]{1,5}$ ]] || { log "THREEPAY_HTTP_PORT must be a port number"; exit 2; }
net="${THREEPAY_CLUSTER_NET:-127.$(( (port >> 8) & 255 )).$(( port & 255 ))}"
[[ "$net" =~ ^127\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || { log "THREEPAY_CLUSTER_NET must be 127.A.B"; exit 2; }
db_name="${THREEPAY_DB_NAME:-threepay}"
db_user=threepay
me_login=$(id -un)

node_dir() { echo "$run/node$1"; }
node_address() { echo "$net.$1"; }
# Every node's address with `port`, comma-separated.
node_list() { # port
  local i list=""
  for i in $(seq 1 "$nodes"); do list="${list:+$list,}$(node_address "$i"):$1"; done
  echo "$list"
}
# Every node's group communication address, what wsrep_cluster_address lists.
cluster_members() { node_list 4567; }

# Group communication on loopback: a dead node is given up after 3 s rather than Galera's 5 s, so a kill costs
# the cluster a shorter pause. Not shorter: on a busy 2-core box a node that is only slow to answer would be
# suspected too, and a view change that cannot finish within the install timeout leaves every node non-primary.
galera_options="evs.keepalive_period=PT1S; evs.inactive_check_period=PT0.5S; evs.suspect_timeout=PT3S; evs.inactive_timeout=PT10S; evs.install_timeout=PT7.5S"

# scripts/mariadb.sh on node i, with that node's Galera settings; the caller's THREEPAY_DB_* do not reach it.
node_script() { # i, command, extra VAR=value…
  local i=$1 command=$2
  shift 2
  env -u THREEPAY_DB_HOST -u THREEPAY_DB_SOCKET -u THREEPAY_DB_HOSTS -u THREEPAY_DB_SOCKETS -u THREEPAY_DB_USER \
    -u THREEPAY_DB_PASSWORD -u THREEPAY_DB_PORT \
    THREEPAY_STATE_DIR="$(node_dir "$i")" THREEPAY_DB_NAME="$db_name" \
    THREEPAY_DB_TCP_PORT=3306 THREEPAY_DB_TCP_ADDRESS="$(node_address "$i")" \
    THREEPAY_GALERA_CLUSTER="$(cluster_members)" THREEPAY_GALERA_ADDRESS="$(node_address "$i")" \
    THREEPAY_GALERA_NODE="node$i" \
    THREEPAY_GALERA_OPTIONS="$galera_options" \
    "$@" scripts/mariadb.sh "$command"
}

node_sql() { # i, statement
  mariadb --no-defaults --socket="$(node_dir "$1")/mariadb.sock" --user="$me_login" --connect-timeout=2 \
    --batch --skip-column-names -e "$2" 2>/dev/null
}

node_running() { node_script "$1" status >/dev/null 2>&1; }

# The pids of node i's mariadbd, by its configuration file: also a node that is still joining (it has no pid file
# until it holds the cluster's data), or one started by hand.
node_pids() { pgrep -f -- "(^|/)mariadbd --defaults-file=$(node_dir "$1")/mariadb\\.cnf( |\$)" || true; }

# A status variable of node i ("" when it does not answer).
node_status() { node_sql "$1" "SHOW STATUS LIKE '$2'" | cut -f2; }

node_synced() { [ "$(node_status "$1" wsrep_local_state_comment)" = Synced ] && [ "$(node_status "$1" wsrep_ready)" = ON ]; }

wait_synced() { # i, seconds
  local i
  for i in $(seq 1 $(( $2 * 5 ))); do
    if node_synced "$1"; then return 0; fi
    sleep 0.2
  done
  log "node $1 is not synced with the cluster after $2 s (log: $(node_dir "$1")/mariadb.log)"
  tail -n 20 "$(node_dir "$1")/mariadb.log" >&2 || true
  return 1
}

# The node a cluster that is down as a whole starts again from: the one whose grastate.dat says it may
# (safe_to_bootstrap: 1, the last to stop cleanly), else the one whose data is newest (`--wsrep-recover`), else —
# nothing was ever started — node 1.
bootstrap_node() {
  local i best="" best_seqno=-2 seqno grastate
  for i in $(seq 1 "$nodes"); do
    grastate="$(node_dir "$i")/mariadb/grastate.dat"
    if grep -qs '^safe_to_bootstrap: *1' "$grastate"; then echo "$i"; return; fi
  done
  for i in $(seq 1 "$nodes"); do
    grastate="$(node_dir "$i")/mariadb/grastate.dat"
    [ -f "$grastate" ] && [ -f "$(node_dir "$i")/mariadb.cnf" ] || continue
    seqno=$(mariadbd --defaults-file="$(node_dir "$i")/mariadb.cnf" --wsrep-recover --log-error=/dev/stderr 2>&1 \
      | sed -n 's/.*WSREP: Recovered position: [^:]*:\(-\{0,1\}[0-9]*\).*/\1/p' | tail -n 1)
    seqno=${seqno:--1}
    if [ "$seqno" -gt "$best_seqno" ]; then best=$i; best_seqno=$seqno; fi
  done
  if [ -n "$best" ]; then
    log "no node stopped last cleanly; node $best holds the newest data (seqno $best_seqno): the cluster starts from it"
    sed -i 's/^safe_to_bootstrap: *0/safe_to_bootstrap: 1/' "$(node_dir "$best")/mariadb/grastate.dat"
    echo "$best"
    return
  fi
  echo 1
}

start_nodes() {
  local i first="" up=0
  for i in $(seq 1 "$nodes"); do
    mkdir -p "$(node_dir "$i")"
    if [ -n "$(node_pids "$i")" ]; then up=$((up + 1)); first=${first:-$i}; fi
  done
  if [ "$up" = 0 ]; then
    first=$(bootstrap_node)
    log "starting a new cluster with node $first ($(node_address "$first"))"
    node_script "$first" start THREEPAY_GALERA_BOOTSTRAP=1 THREEPAY_DB_SKIP_SQL=1 >&2
    wait_synced "$first" 60
  fi
  # The others join one at a time: each receives the cluster's data from a donor (IST, or a full SST).
  for i in $(seq 1 "$nodes"); do
    if [ -z "$(node_pids "$i")" ]; then
      log "node $i ($(node_address "$i")) joins the cluster"
      node_script "$i" start THREEPAY_DB_SKIP_SQL=1 >&2
    fi
    wait_synced "$i" 180
  done
  log "the cluster has $(node_status "$first" wsrep_cluster_size) nodes"
  # Once, on one node (the cluster replicates it): the database, sql/ (also when running: upgrades), the account.
  node_script "$first" start >&2
  node_sql "$first" "CREATE USER IF NOT EXISTS '$db_user'@'127.%' IDENTIFIED BY '$(db_password)';
    ALTER USER '$db_user'@'127.%' IDENTIFIED BY '$(db_password)';
    GRANT EXECUTE ON \`$db_name\`.* TO '$db_user'@'127.%'" \
    || { log "creating the account $db_user on node $first failed"; return 1; }
}

stop_nodes() {
  local i pid
  # The last one to stop is the one the cluster starts from next time: node 1.
  for i in $(seq "$nodes" -1 1); do
    if node_running "$i"; then node_script "$i" stop >&2 || true; fi
    # A node that never finished joining has no pid file: it is stopped by its own pid.
    for pid in $(node_pids "$i"); do
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      if kill -0 "$pid" 2>/dev/null; then log "node $i (pid $pid) did not stop in 60 s; killing it"; kill -KILL "$pid" || true; fi
    done
  done
}

# The responders' account password, generated once (keys/ is mode 700).
db_password() {
  local file="$state/keys/cluster_db_password"
  if [ ! -s "$file" ]; then (umask 077; mkdir -p "$state/keys"; openssl rand -hex 24 > "$file"); fi
  cat "$file"
}

database_env() {
  unset THREEPAY_DB_SOCKET THREEPAY_DB_HOST THREEPAY_DB_SOCKETS THREEPAY_DB_PORT
  export THREEPAY_DB_HOSTS="$(node_list 3306)"
  export THREEPAY_DB_USER="$db_user"
  export THREEPAY_DB_PASSWORD="$(db_password)"
  export THREEPAY_DB_NAME="$db_name"
}

supervisor_pidfile() { echo "$run/supervisor${1#responder}.pid"; }

refuse_external_database() {
  local name
  for name in THREEPAY_DB_HOST THREEPAY_DB_SOCKET THREEPAY_DB_HOSTS THREEPAY_DB_SOCKETS; do
    if [ -n "${!name:-}" ]; then
      log "$name is set: scripts/cluster.sh runs its own cluster (unset it, or use scripts/stack.sh)"
      exit 2
    fi
  done
}

start_responders() {
  local j bins
  bins=$(bin_dir)
  for j in $(seq 1 "$responders"); do start_supervisor "responder$j" "$run/responder$j.sock" "$bins/threepay"; done
}

start() {
  refuse_external_database
  mkdir -p "$run/logs"
  chmod 700 "$run"
  ensure_built
  make_keys
  start_nodes
  responder_env
  local j sockets=()
  for j in $(seq 1 "$responders"); do sockets+=("unix:$run/responder$j.sock"); done
  render_nginx "${sockets[@]}"
  start_sandbox
  start_responders
  # nginx leaves a server out for 10 s after a failed attempt: it starts once every responder listens.
  for j in $(seq 1 "$responders"); do
    for _ in $(seq 1 600); do [ -S "$run/responder$j.sock" ] && break; sleep 0.1; done
    [ -S "$run/responder$j.sock" ] || { log "responder $j did not open its socket"; tail -n 20 "$run/logs/responder$j.log" >&2; return 1; }
  done
  start_nginx
  wait_for_stack "$run/logs/responder1.log"
  log "ThreePay answers on $base: $nodes Galera nodes, $responders responders"
}

stop() {
  local j
  for j in $(seq 1 "$responders"); do stop_process "supervisor $j" "$run/supervisor$j.pid"; done
  stop_nginx
  for j in $(seq 1 "$responders"); do stop_process "responder $j" "$run/responder$j.pid"; done
  stop_process sandbox "$run/sandbox.pid"
  stop_nodes
}

status() {
  local i j pid
  for i in $(seq 1 "$nodes"); do
    if node_running "$i"; then
      printf 'node%s %s pid %s: %s, %s, cluster of %s\n' "$i" "$(node_address "$i")" "$(cat "$(node_dir "$i")/mariadb.pid")" \
        "$(node_status "$i" wsrep_local_state_comment)" "$(node_status "$i" wsrep_cluster_status)" \
        "$(node_status "$i" wsrep_cluster_size)"
    else
      printf 'node%s %s: stopped\n' "$i" "$(node_address "$i")"
    fi
  done
  for j in $(seq 1 "$responders"); do
    pid=$(cat "$run/responder$j.pid" 2>/dev/null || true)
    if process_running "$pid"; then printf 'responder%s pid %s\n' "$j" "$pid"; else printf 'responder%s: stopped\n' "$j"; fi
  done
}

run() {
  start_in_foreground
  cat <<EOT

ThreePay is running on $base: $responders responders behind nginx, a Galera cluster of $nodes nodes
(state, logs and nodes in $run). Ask for a QR code:

  curl -s -X POST $base/api/3Pay/AliPay/ScanCode \\
       -H 'Content-Type: application/json' \\
       -d '{"billnum":"DEMO$(date +%H%M%S)","billtype":"1","body":"Adult ticket","paytype":"01","paymentvalue":0.01}'

The cluster: THREEPAY_STATE_DIR=$state THREEPAY_HTTP_PORT=$port scripts/cluster.sh status
Kill a node and bring it back:  kill -9 \$(cat $run/node2/mariadb.pid)
                                setsid mariadbd --defaults-file=$run/node2/mariadb.cnf &
Kill a responder (its supervisor starts it again):  kill -9 \$(cat $run/responder1.pid)
Press Ctrl-C to stop everything.
EOT
  # The supervisors restart the responders; should one of them be killed, another one takes over.
  local j
  while sleep 2; do
    for j in $(seq 1 "$responders"); do
      if ! pid_alive "$run/supervisor$j.pid"; then
        log "the supervisor of responder $j is gone; starting another"
        start_supervisor "responder$j" "$run/responder$j.sock" "$(bin_dir)/threepay"
      fi
    done
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  run) run ;;
  status) status ;;
  env) refuse_external_database; show_env ;;
  supervise) supervise "$2" "$3" "$4" "$5" ;;
  *) echo "usage: $0 start|stop|run|status|env" >&2; exit 2 ;;
esac
