# Sourced by scripts/stack.sh (one responder) and scripts/cluster.sh (a Galera cluster and several responders), not
# run on its own: the pieces both stacks are made of — keys, the responder's and the sandbox's settings, nginx's
# configuration, processes started and stopped by pid file, and the supervisor that starts a responder again.
#
# The sourcing script runs in the repository's root and sets, before sourcing this:
#   me       the script's path relative to the root (the supervisor runs it again as `$me supervise …`)
#   subdir   where under the state folder this stack's sockets, pid files, nginx files and logs/ are ("" or cluster)
# and gets: root (the repository), state (THREEPAY_STATE_DIR: keys, the sandbox's book), run (the stack's folder),
# port (nginx's loopback port), base (http://127.0.0.1:$port), config (debug|release).

root=$(pwd)
export THREEPAY_STATE_DIR="${THREEPAY_STATE_DIR:-$root/var}"
case "$THREEPAY_STATE_DIR" in /*) ;; *) THREEPAY_STATE_DIR="$root/$THREEPAY_STATE_DIR" ;; esac
state="$THREEPAY_STATE_DIR"
run="$state${subdir:+/$subdir}"
port="${THREEPAY_HTTP_PORT:-8080}"
config="${THREEPAY_BUILD_CONFIG:-release}"
base="http://127.0.0.1:$port"

stack_log="$run/logs/stack.log"
# A line on the terminal and, once the logs folder exists, in the stack's log.
log() {
  printf '[stack] %s\n' "$*" >&2
  if [ -d "$run/logs" ]; then printf '%s [stack] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"$stack_log"; fi
}

# THREEPAY_SCRATCH_PATH: a build folder other than .build (two checkouts' builds on one tree, or a parallel build).
scratch=()
if [ -n "${THREEPAY_SCRATCH_PATH:-}" ]; then scratch=(--scratch-path "$THREEPAY_SCRATCH_PATH"); fi
bin_dir() { swift build "${scratch[@]}" -c "$config" --show-bin-path; }

# Builds the two binaries when they are missing.
ensure_built() {
  local bins
  bins=$(bin_dir)
  if [ ! -x "$bins/threepay" ] || [ ! -x "$bins/threepay-sandbox" ]; then
    log "building ($config)"
    swift build "${scratch[@]}" -c "$config" --product threepay >&2
    swift build "${scratch[@]}" -c "$config" --product threepay-sandbox >&2
  fi
}

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

# Decided once, from the caller's environment: the sandbox stands in for Alipay unless a gateway is configured.
if [ -z "${THREEPAY_ALIPAY_GATEWAY:-}" ] || [ "${THREEPAY_ALIPAY_GATEWAY}" = "$base/gateway.do" ]; then
  uses_sandbox=1
else
  uses_sandbox=0
fi
default_gateway() { [ "$uses_sandbox" = 1 ]; }

# The responder's settings other than the database (`database_env`, defined by the sourcing script) and the
# listening socket (each responder's own).
responder_env() {
  database_env
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
  export THREEPAY_SANDBOX_LISTEN="${THREEPAY_SANDBOX_LISTEN:-$run/sandbox.sock}"
  export THREEPAY_SANDBOX_APP_ID="${THREEPAY_SANDBOX_APP_ID:-${THREEPAY_ALIPAY_APP_ID:-2021000000000001}}"
  export THREEPAY_SANDBOX_APP_PUBLIC_KEY="${THREEPAY_SANDBOX_APP_PUBLIC_KEY:-$state/keys/app_public.pem}"
  export THREEPAY_SANDBOX_PRIVATE_KEY="${THREEPAY_SANDBOX_PRIVATE_KEY:-$state/keys/sandbox_alipay_private.pem}"
  export THREEPAY_SANDBOX_CONTROL="${THREEPAY_SANDBOX_CONTROL:-1}"
  # Set but empty = no state file (the benchmark's choice: the book is not rewritten under load).
  export THREEPAY_SANDBOX_STATE="${THREEPAY_SANDBOX_STATE-$run/sandbox-trades.json}"
  # Enough threads that 256 requests waiting on injected gateway latency are not queued.
  export THREEPAY_SANDBOX_WORKERS="${THREEPAY_SANDBOX_WORKERS:-300}"
}

# The one body limit: the responder's THREEPAY_MAX_BODY, rendered into nginx's client_max_body_size.
max_body() {
  local value="${THREEPAY_MAX_BODY:-65536}"
  case "$value" in ''|*[!0-9]*) log "THREEPAY_MAX_BODY must be a number of bytes, not '$value'"; return 1 ;; esac
  printf '%s' "$value"
}

# nginx's configuration in $run: nginx/dev.conf.in, and the shipped operator files as an operator installs them —
# the http-level part, and the snippet with its body limit = THREEPAY_MAX_BODY and the envelopes of nginx/errors/.
# Arguments: the responders' addresses (`unix:<path>` or `host:port`). One address goes into the snippet's
# fastcgi_pass lines as it is; several become the `threepay_responders` upstream the http part describes, and
# the snippet passes to it.
render_nginx() {
  mkdir -p "$run/nginx" "$run/logs"
  local user_line="" body pass server
  body=$(max_body)
  # nginx's workers drop to `nobody` when started as root; they must reach sockets in this folder.
  if [ "$(id -u)" -eq 0 ]; then user_line="user root;"; fi
  sed -e "s#@STATE_DIR@#$run#g" -e "s#@HTTP_PORT@#$port#g" -e "s#@USER_LINE@#$user_line#g" \
    nginx/dev.conf.in > "$run/nginx.conf"
  cp nginx/threepay-http.conf "$run/threepay-http.conf"
  if [ "$#" -eq 1 ]; then
    pass=$1
  else
    pass=threepay_responders
    {
      printf '\n# Rendered by %s: the responders of this stack.\nupstream threepay_responders {\n' "$me"
      for server in "$@"; do printf '    server %s;\n' "$server"; done
      printf '}\n'
    } >>"$run/threepay-http.conf"
  fi
  sed -e "s#unix:/run/threepay/threepay.sock#$pass#g" \
      -e "s#/usr/share/threepay/nginx-errors/#$root/nginx/errors/#g" \
      -e "s#^\( *client_max_body_size  *\)[0-9][0-9]*;#\1$body;#" \
      -e "s#^\( *client_body_buffer_size  *\)[0-9][0-9]*;#\1$body;#" \
      nginx/threepay-location.conf > "$run/threepay-location.conf"
  cp /etc/nginx/fastcgi_params "$run/fastcgi_params"
}

start_nginx() {
  if ! pid_alive "$run/nginx.pid"; then
    nginx -p "$run" -c "$run/nginx.conf" -e "$run/logs/nginx-error.log"
  fi
}

stop_nginx() {
  if pid_alive "$run/nginx.pid"; then
    nginx -p "$run" -c "$run/nginx.conf" -e "$run/logs/nginx-error.log" -s quit 2>/dev/null || true
    local i
    for i in $(seq 1 50); do pid_alive "$run/nginx.pid" || break; sleep 0.1; done
  fi
}

pid_alive() { local pid; pid=$(cat "$1" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

start_process() { # name, pidfile, command...
  local name=$1 pidfile=$2
  shift 2
  if pid_alive "$pidfile"; then log "$name already running"; return; fi
  nohup "$@" >>"$run/logs/$name.log" 2>&1 &
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

start_sandbox() {
  if default_gateway; then
    sandbox_env
    start_process sandbox "$run/sandbox.pid" "$(bin_dir)/threepay-sandbox"
  fi
}

# ── The supervised responder ──────────────────────────────────────────────────────────────────────
# The supervisor is the sourcing script run again (`$me supervise NAME LISTEN BINARY echo|quiet`) in a session of
# its own, so a Ctrl-C on `run`'s terminal reaches neither it nor the responder: `run` stops them in order. It
# keeps the responder NAME running: $run/NAME.pid names the live responder, $run/logs/NAME.log is its output, and
# the supervisor's own pid is in the file `supervisor_pidfile NAME` names. Under `run` it also writes its lines
# on the terminal (echo).
supervisor_echo=0
start_supervisor() { # name, listen, binary
  local pidfile
  pidfile=$(supervisor_pidfile "$1")
  if pid_alive "$pidfile"; then return; fi
  if [ "$supervisor_echo" = 1 ]; then
    setsid "$root/$me" supervise "$1" "$2" "$3" echo </dev/null &
  else
    setsid "$root/$me" supervise "$1" "$2" "$3" quiet </dev/null >>"$stack_log" 2>&1 &
  fi
  echo $! > "$pidfile"
}

# A pid that names a running process (a zombie, dead but not yet collected by its parent, is not running).
process_running() {
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
  ! grep -qs '^State:[[:space:]]*Z' "/proc/$1/status"
}

supervise() { # name, listen, binary, echo|quiet
  local name=$1 binary=$3 echo=$4 pidfile="$run/$1.pid" stopping=0 restarts=0 quick=0
  local pid status started lived delay other label="the responder"
  [ "$name" = threepay ] || label=$name
  export THREEPAY_LISTEN=$2
  trap 'stopping=1' TERM INT
  echo $$ > "$(supervisor_pidfile "$name")"
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
      say "$label (pid $other) exited; starting it again"
    fi
    "$binary" >>"$run/logs/$name.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" > "$pidfile.new" && mv -f "$pidfile.new" "$pidfile"
    if [ "$restarts" -gt 0 ]; then say "$label runs again as pid $pid"; fi
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
      say "$label (pid $pid) was killed by signal $((status - 128)) after $lived s; starting it again in $delay s"
    else
      say "$label (pid $pid) exited with status $status after $lived s; starting it again in $delay s (see $run/logs/$name.log)"
    fi
    sleep "$delay" &
    wait $! 2>/dev/null || true
    # The loop reads the pid file again: a responder someone else started meanwhile is watched, not doubled.
  done
}

# `run`'s beginning: whatever ends it (Ctrl-C, a failed start, a crashed responder) stops what `start` started, and
# the supervisors write their lines on the terminal too.
start_in_foreground() {
  trap 'stop' EXIT
  trap 'echo; exit 0' INT TERM HUP
  supervisor_echo=1
  start
}

wait_for() { # url, seconds
  local url=$1 seconds=$2 i
  for i in $(seq 1 $((seconds * 10))); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# Waits until nginx answers the health route and, with the sandbox, the sandbox answers too.
wait_for_stack() { # responder log to show on failure
  if ! wait_for "$base/api/3Pay/health" 60; then
    log "ThreePay did not answer on $base within 60 s; last lines of its log:"
    tail -n 20 "$1" >&2 || true
    tail -n 20 "$run/logs/sandbox.log" >&2 || true
    return 1
  fi
  # The responder answers health without the gateway: wait for the sandbox too (300 workers take a moment).
  if default_gateway; then
    if [ "$THREEPAY_SANDBOX_CONTROL" = 1 ]; then
      wait_for "$base/sandbox/health" 60 || { log "the sandbox did not answer within 60 s"; tail -n 20 "$run/logs/sandbox.log" >&2; return 1; }
    else
      for _ in $(seq 1 600); do [ -S "${THREEPAY_SANDBOX_LISTEN#unix:}" ] && break; sleep 0.1; done
    fi
  fi
}

# The settings the responder gets, secrets masked.
show_env() {
  responder_env
  env | grep '^THREEPAY_' | sed -E 's/^(THREEPAY_[A-Z_]*(PASSWORD|PRIVATE_KEY|SECRET)[A-Z_]*)=.*/\1=(set, not shown)/' | sort
}
