#!/usr/bin/env bash
# Starts and stops ThreePay's local stack on loopback: a private MariaDB (unless one is configured),
# the sandbox Alipay gateway, the ThreePay responder and nginx in front of both.
#
#   scripts/stack.sh start    start everything in the background, wait until it answers
#   scripts/stack.sh stop     stop what `start` started
#   scripts/stack.sh run      start, print how to call it, stop everything on Ctrl-C
#   scripts/stack.sh env      print the settings the responder gets (secrets masked)
#
# The responder runs under a supervisor (`supervise`, started by `start`): when it exits unexpectedly it is
# started again after half a second, as systemd's Restart=always does in production, and the restart is
# logged in $THREEPAY_STATE_DIR/logs/stack.log (and on the terminal under `run`). threepay.pid always names
# the live responder, supervisor.pid the supervisor; `stop` ends the supervisor first.
#
# Settings (environment; each has a default): THREEPAY_STATE_DIR (./var), THREEPAY_HTTP_PORT (8080),
# THREEPAY_BUILD_CONFIG (debug|release, default release), and every THREEPAY_* setting of the
# responder (see README). A setting given in the environment always wins over the defaults here.
# THREEPAY_MAX_BODY is the body limit of both the responder and nginx (client_max_body_size is rendered from it).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
export THREEPAY_STATE_DIR="${THREEPAY_STATE_DIR:-$root/var}"
case "$THREEPAY_STATE_DIR" in /*) ;; *) THREEPAY_STATE_DIR="$root/$THREEPAY_STATE_DIR" ;; esac
state="$THREEPAY_STATE_DIR"
port="${THREEPAY_HTTP_PORT:-8080}"
config="${THREEPAY_BUILD_CONFIG:-release}"
base="http://127.0.0.1:$port"

stack_log="$state/logs/stack.log"
# A line on the terminal and, once the logs folder exists, in the stack's log.
log() {
  printf '[stack] %s\n' "$*" >&2
  if [ -d "$state/logs" ]; then printf '%s [stack] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"$stack_log"; fi
}

# THREEPAY_SCRATCH_PATH: a build folder other than .build (two checkouts' builds on one tree, or a parallel build).
scratch=()
if [ -n "${THREEPAY_SCRATCH_PATH:-}" ]; then scratch=(--scratch-path "$THREEPAY_SCRATCH_PATH"); fi
bin_dir() { swift build "${scratch[@]}" -c "$config" --show-bin-path; }

# Keys for the sandbox: the merchant (app) key pair ThreePay signs with, and the stand-in
# "Alipay" key pair the sandbox signs its answers and notifications with.
make_keys() {
  mkdir -p "$state/keys"
  chmod 700 "$state/keys"
  local name
  for name in app sandbox_alipay; do
    if [ ! -s "$state/keys/${name}_private.pem" ]; then
      (umask 077; openssl genrsa -out "$state/keys/${name}_private.pem" 2048 2>/dev/null)
      openssl rsa -in "$state/keys/${name}_private.pem" -pubout -out "$state/keys/${name}_public.pem" 2>/dev/null
      log "generated the ${name} key pair in $state/keys"
    fi
    chmod 600 "$state/keys/${name}_private.pem"
  done
  if [ ! -s "$state/keys/callback_secret" ]; then
    (umask 077; openssl rand -hex 32 > "$state/keys/callback_secret")
  fi
}

# Decided once, from the caller's environment: `start` exports these settings for the responder.
if [ -z "${THREEPAY_DB_HOST:-}" ] && [ -z "${THREEPAY_DB_SOCKET:-}" ]; then uses_private_db=1; else uses_private_db=0; fi
if [ -z "${THREEPAY_ALIPAY_GATEWAY:-}" ] || [ "${THREEPAY_ALIPAY_GATEWAY}" = "$base/gateway.do" ]; then
  uses_sandbox=1
else
  uses_sandbox=0
fi
private_db() { [ "$uses_private_db" = 1 ]; }
default_gateway() { [ "$uses_sandbox" = 1 ]; }

responder_env() {
  export THREEPAY_LISTEN="${THREEPAY_LISTEN:-$state/threepay.sock}"
  if private_db; then
    export THREEPAY_DB_SOCKET="$state/mariadb.sock"
    export THREEPAY_DB_USER="${THREEPAY_DB_USER:-$(id -un)}"  # unix_socket authentication
    export THREEPAY_DB_NAME="${THREEPAY_DB_NAME:-threepay}"
  fi
  if default_gateway; then
    export THREEPAY_ALIPAY_GATEWAY="$base/gateway.do"
    export THREEPAY_ALIPAY_APP_ID="${THREEPAY_ALIPAY_APP_ID:-2021000000000001}"
    export THREEPAY_ALIPAY_APP_PRIVATE_KEY="${THREEPAY_ALIPAY_APP_PRIVATE_KEY:-$state/keys/app_private.pem}"
    export THREEPAY_ALIPAY_PUBLIC_KEY="${THREEPAY_ALIPAY_PUBLIC_KEY:-$state/keys/sandbox_alipay_public.pem}"
  fi
  export THREEPAY_ALIPAY_NOTIFY_URL="${THREEPAY_ALIPAY_NOTIFY_URL:-$base/api/3Pay/AliPay/Notify}"
  if default_gateway; then
    # With the sandbox, every business system's callback goes to the sandbox's recording sink, so a
    # local run shows the whole life cycle; real URLs come from the environment.
    local billtype
    for billtype in 1 2 3 4 5 6 7; do
      local key="THREEPAY_CALLBACK_URL_$billtype"
      export "$key=${!key-$base/sandbox/sink}"
    done
    export THREEPAY_CALLBACK_SECRET="${THREEPAY_CALLBACK_SECRET:-$state/keys/callback_secret}"
  fi
}

sandbox_env() {
  export THREEPAY_SANDBOX_LISTEN="${THREEPAY_SANDBOX_LISTEN:-$state/sandbox.sock}"
  export THREEPAY_SANDBOX_APP_ID="${THREEPAY_SANDBOX_APP_ID:-${THREEPAY_ALIPAY_APP_ID:-2021000000000001}}"
  export THREEPAY_SANDBOX_APP_PUBLIC_KEY="${THREEPAY_SANDBOX_APP_PUBLIC_KEY:-$state/keys/app_public.pem}"
  export THREEPAY_SANDBOX_PRIVATE_KEY="${THREEPAY_SANDBOX_PRIVATE_KEY:-$state/keys/sandbox_alipay_private.pem}"
  export THREEPAY_SANDBOX_CONTROL="${THREEPAY_SANDBOX_CONTROL:-1}"
  # Set but empty = no state file (the benchmark's choice: the book is not rewritten under load).
  export THREEPAY_SANDBOX_STATE="${THREEPAY_SANDBOX_STATE-$state/sandbox-trades.json}"
  # Enough threads that 256 requests waiting on injected gateway latency are not queued.
  export THREEPAY_SANDBOX_WORKERS="${THREEPAY_SANDBOX_WORKERS:-300}"
}

# The one body limit: the responder's THREEPAY_MAX_BODY, rendered into nginx's client_max_body_size.
max_body() {
  local value="${THREEPAY_MAX_BODY:-65536}"
  case "$value" in ''|*[!0-9]*) log "THREEPAY_MAX_BODY must be a number of bytes, not '$value'"; return 1 ;; esac
  printf '%s' "$value"
}

render_nginx() {
  mkdir -p "$state/nginx" "$state/logs"
  local user_line="" body
  body=$(max_body)
  # nginx's workers drop to `nobody` when started as root; they must reach sockets in this folder.
  if [ "$(id -u)" -eq 0 ]; then user_line="user root;"; fi
  sed -e "s#@STATE_DIR@#$state#g" -e "s#@HTTP_PORT@#$port#g" -e "s#@USER_LINE@#$user_line#g" \
    nginx/dev.conf.in > "$state/nginx.conf"
  # The shipped operator files as an operator installs them: the http-level part unchanged, the snippet
  # pointed at this stack's socket and at the envelopes in nginx/errors/, its body limit = THREEPAY_MAX_BODY.
  cp nginx/threepay-http.conf "$state/threepay-http.conf"
  sed -e "s#unix:/run/threepay/threepay.sock#unix:$state/threepay.sock#g" \
      -e "s#/usr/share/threepay/nginx-errors/#$root/nginx/errors/#g" \
      -e "s#^\( *client_max_body_size  *\)[0-9][0-9]*;#\1$body;#" \
      -e "s#^\( *client_body_buffer_size  *\)[0-9][0-9]*;#\1$body;#" \
      nginx/threepay-location.conf > "$state/threepay-location.conf"
  cp /etc/nginx/fastcgi_params "$state/fastcgi_params"
}

pid_alive() { local pid; pid=$(cat "$1" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

start_process() { # name, pidfile, command...
  local name=$1 pidfile=$2
  shift 2
  if pid_alive "$pidfile"; then log "$name already running"; return; fi
  nohup "$@" >>"$state/logs/$name.log" 2>&1 &
  echo $! > "$pidfile"
}

stop_process() { # name, pidfile
  local name=$1 pidfile=$2 pid i
  pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  pid=$(cat "$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then log "$name did not stop in 10 s; killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$pidfile"
}

# ── The supervised responder ──────────────────────────────────────────────────────────────────────
# The supervisor is this script (`supervise`) in a session of its own, so a Ctrl-C on `run`'s terminal
# reaches neither it nor the responder: `run` stops them in order. Under `run` it also writes its lines on
# the terminal (`supervise BINARY echo`).
supervisor_echo=0
start_supervisor() { # responder binary
  if pid_alive "$state/supervisor.pid"; then return; fi
  if [ "$supervisor_echo" = 1 ]; then
    setsid "$root/scripts/stack.sh" supervise "$1" echo </dev/null &
  else
    setsid "$root/scripts/stack.sh" supervise "$1" quiet </dev/null >>"$stack_log" 2>&1 &
  fi
  echo $! > "$state/supervisor.pid"
}

# A pid that names a running process (a zombie, dead but not yet collected by its parent, is not running).
process_running() {
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
  ! grep -qs '^State:[[:space:]]*Z' "/proc/$1/status"
}

supervise() { # responder binary, echo|quiet
  local binary=$1 echo=$2 pidfile="$state/threepay.pid" stopping=0 restarts=0 quick=0
  local pid status started lived delay other
  trap 'stopping=1' TERM INT
  echo $$ > "$state/supervisor.pid"
  say() {
    printf '%s [stack] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"$stack_log"
    if [ "$echo" = echo ]; then printf '[stack] %s\n' "$*" >&2; fi
  }
  while [ "$stopping" = 0 ]; do
    other=$(cat "$pidfile" 2>/dev/null || true)
    if process_running "$other"; then
      # A responder this supervisor did not start (an older stack's, or one a test started again): watch it.
      while [ "$stopping" = 0 ] && process_running "$other" && [ "$(cat "$pidfile" 2>/dev/null)" = "$other" ]; do
        sleep 0.2
      done
      [ "$stopping" = 0 ] || break
      if process_running "$other"; then continue; fi
      say "the responder (pid $other) exited; starting it again"
    fi
    "$binary" >>"$state/logs/threepay.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" > "$pidfile.new" && mv -f "$pidfile.new" "$pidfile"
    if [ "$restarts" -gt 0 ]; then say "the responder runs again as pid $pid"; fi
    started=$SECONDS
    while :; do
      wait "$pid" 2>/dev/null && status=0 || status=$?
      # wait also returns when TERM arrives; the responder then keeps running, for `stop` to drain it.
      if [ "$stopping" = 1 ] || ! process_running "$pid"; then break; fi
    done
    [ "$stopping" = 0 ] || break
    restarts=$((restarts + 1))
    lived=$((SECONDS - started))
    # Half a second, as systemd would wait. A responder that failed within 3 s of its start three times in a
    # row (a setting it refuses, a key it cannot read) is retried every 5 s instead.
    if [ "$lived" -lt 3 ]; then quick=$((quick + 1)); else quick=0; fi
    delay=0.5
    if [ "$quick" -ge 3 ]; then delay=5; fi
    if [ "$status" -gt 128 ]; then
      say "the responder (pid $pid) was killed by signal $((status - 128)) after $lived s; starting it again in $delay s"
    else
      say "the responder (pid $pid) exited with status $status after $lived s; starting it again in $delay s (see $state/logs/threepay.log)"
    fi
    sleep "$delay" &
    wait $! 2>/dev/null || true
    # The loop reads the pid file again: a responder someone else started meanwhile is watched, not doubled.
  done
}

wait_for() { # url, seconds
  local url=$1 seconds=$2 i
  for i in $(seq 1 $((seconds * 10))); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

start() {
  mkdir -p "$state/logs"
  local bins
  bins=$(bin_dir)
  if [ ! -x "$bins/threepay" ] || [ ! -x "$bins/threepay-sandbox" ]; then
    log "building ($config)"
    swift build "${scratch[@]}" -c "$config" --product threepay >&2
    swift build "${scratch[@]}" -c "$config" --product threepay-sandbox >&2
  fi
  make_keys
  if private_db; then scripts/mariadb.sh start; fi
  responder_env
  render_nginx
  if default_gateway; then
    sandbox_env
    start_process sandbox "$state/sandbox.pid" "$bins/threepay-sandbox"
  fi
  start_supervisor "$bins/threepay"
  if ! pid_alive "$state/nginx.pid"; then
    nginx -p "$state" -c "$state/nginx.conf" -e "$state/logs/nginx-error.log"
  fi
  if ! wait_for "$base/api/3Pay/health" 60; then
    log "ThreePay did not answer on $base within 60 s; last lines of its log:"
    tail -n 20 "$state/logs/threepay.log" >&2 || true
    tail -n 20 "$state/logs/sandbox.log" >&2 || true
    return 1
  fi
  # The responder answers health without the gateway: wait for the sandbox too (300 workers take a moment).
  if default_gateway; then
    if [ "$THREEPAY_SANDBOX_CONTROL" = 1 ]; then
      wait_for "$base/sandbox/health" 60 || { log "the sandbox did not answer within 60 s"; tail -n 20 "$state/logs/sandbox.log" >&2; return 1; }
    else
      for _ in $(seq 1 600); do [ -S "${THREEPAY_SANDBOX_LISTEN#unix:}" ] && break; sleep 0.1; done
    fi
  fi
  log "ThreePay answers on $base"
}

stop() {
  # The supervisor first, so that it does not start again the responder stopped below.
  stop_process supervisor "$state/supervisor.pid"
  if pid_alive "$state/nginx.pid"; then
    nginx -p "$state" -c "$state/nginx.conf" -e "$state/logs/nginx-error.log" -s quit 2>/dev/null || true
    local i
    for i in $(seq 1 50); do pid_alive "$state/nginx.pid" || break; sleep 0.1; done
  fi
  stop_process threepay "$state/threepay.pid"
  stop_process sandbox "$state/sandbox.pid"
  if private_db && [ -x scripts/mariadb.sh ]; then scripts/mariadb.sh stop || true; fi
}

show_env() {
  responder_env
  env | grep '^THREEPAY_' | sed -E 's/^(THREEPAY_[A-Z_]*(PASSWORD|PRIVATE_KEY|SECRET)[A-Z_]*)=.*/\1=(set, not shown)/' | sort
}

run() {
  # Whatever ends this command (Ctrl-C, a failed start, a crashed responder) stops what it started.
  trap 'stop' EXIT
  trap 'echo; exit 0' INT TERM HUP
  supervisor_echo=1
  start
  cat <<EOT

ThreePay is running on $base (state, logs and keys in $state).
Ask for a QR code:

  curl -s -X POST $base/api/3Pay/AliPay/ScanCode \\
       -H 'Content-Type: application/json' \\
       -d '{"billnum":"DEMO$(date +%H%M%S)","billtype":"1","body":"Adult ticket","paytype":"01","paymentvalue":0.01}'

Health: curl -s $base/api/3Pay/health
Sandbox trades: curl -s $base/sandbox/trades
Press Ctrl-C to stop everything.
EOT
  # The supervisor restarts the responder; should the supervisor itself be killed, another one takes over.
  while sleep 2; do
    if ! pid_alive "$state/supervisor.pid"; then
      log "the supervisor of the responder is gone; starting another"
      start_supervisor "$(bin_dir)/threepay"
    fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  run) run ;;
  env) show_env ;;
  supervise) supervise "$2" "$3" ;;
  *) echo "usage: $0 start|stop|run|env" >&2; exit 2 ;;
esac
