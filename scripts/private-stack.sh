# Sourced by scripts/bench.sh and scripts/soak.sh (not run on its own): the private stack they measure.
#
# start_private_stack PREFIX DESCRIPTION
#   builds the release binaries (skipped with PREFIX_SKIP_BUILD=1; THREEPAY_SCRATCH_PATH picks the build folder),
#   with stack_script=scripts/cluster.sh set by the caller the stack is a cluster (default scripts/stack.sh),
#   stops a stack an earlier run left in $THREEPAY_STATE_DIR, refuses a port another program uses (PREFIX_PORT
#   chooses another), starts the stack with scripts/stack.sh and stops it when the script exits (kept running
#   with PREFIX_KEEP_STACK=1). The caller has exported THREEPAY_STATE_DIR and THREEPAY_HTTP_PORT and defines log().
start_private_stack() {
  local prefix=$1 description=$2
  local skip_build="${prefix}_SKIP_BUILD" port_setting="${prefix}_PORT"
  local port=$THREEPAY_HTTP_PORT scratch=()
  if [ -n "${THREEPAY_SCRATCH_PATH:-}" ]; then scratch=(--scratch-path "$THREEPAY_SCRATCH_PATH"); fi

  if [ "${!skip_build:-0}" != 1 ]; then
    log "building the release binaries"
    swift build "${scratch[@]}" -c release --product threepay >&2
    swift build "${scratch[@]}" -c release --product threepay-sandbox >&2
  fi

  # A stack left by an earlier run in this state folder is stopped; anything else on the port is not ours.
  "${stack_script:-scripts/stack.sh}" stop >/dev/null 2>&1 || true
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    log "port $port is in use by another program: choose another with $port_setting"; exit 1
  fi

  PRIVATE_STACK_KEEP="${prefix}_KEEP_STACK"
  trap stop_private_stack EXIT
  log "starting the stack in $THREEPAY_STATE_DIR on 127.0.0.1:$port ($description)"
  "${stack_script:-scripts/stack.sh}" start
}

stop_private_stack() {
  if [ "${!PRIVATE_STACK_KEEP:-0}" = 1 ]; then
    log "the stack keeps running on 127.0.0.1:$THREEPAY_HTTP_PORT (stop: THREEPAY_STATE_DIR=$THREEPAY_STATE_DIR THREEPAY_HTTP_PORT=$THREEPAY_HTTP_PORT ${stack_script:-scripts/stack.sh} stop)"
  else
    "${stack_script:-scripts/stack.sh}" stop >/dev/null 2>&1 || true
  fi
}
