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
# Several responders on a Galera cluster: scripts/cluster.sh, which is made of the same pieces (stack-lib.sh).
set -euo pipefail

cd "$(dirname "$0")/.."
me=scripts/stack.sh
subdir=
. scripts/stack-lib.sh
export THREEPAY_LISTEN="${THREEPAY_LISTEN:-$state/threepay.sock}"

# Decided once, from the caller's environment: `start` exports these settings for the responder.
if [ -z "${THREEPAY_DB_HOST:-}" ] && [ -z "${THREEPAY_DB_SOCKET:-}" ] && [ -z "${THREEPAY_DB_HOSTS:-}" ] \
   && [ -z "${THREEPAY_DB_SOCKETS:-}" ]; then
  uses_private_db=1
else
  uses_private_db=0
fi
private_db() { [ "$uses_private_db" = 1 ]; }

database_env() {
  if private_db; then
    export THREEPAY_DB_SOCKET="$state/mariadb.sock"
    export THREEPAY_DB_USER="${THREEPAY_DB_USER:-$(id -un)}"  # unix_socket authentication
    export THREEPAY_DB_NAME="${THREEPAY_DB_NAME:-threepay}"
  fi
}

supervisor_pidfile() { echo "$run/supervisor.pid"; }

start() {
  mkdir -p "$state/logs"
  ensure_built
  make_keys
  if private_db; then scripts/mariadb.sh start; fi
  responder_env
  render_nginx "unix:$state/threepay.sock"
  start_sandbox
  start_supervisor threepay "$THREEPAY_LISTEN" "$(bin_dir)/threepay"
  start_nginx
  wait_for_stack "$state/logs/threepay.log"
  log "ThreePay answers on $base"
}

stop() {
  # The supervisor first, so that it does not start again the responder stopped below.
  stop_process supervisor "$state/supervisor.pid"
  stop_nginx
  stop_process threepay "$state/threepay.pid"
  stop_process sandbox "$state/sandbox.pid"
  if private_db && [ -x scripts/mariadb.sh ]; then scripts/mariadb.sh stop || true; fi
}

run() {
  start_in_foreground
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
      start_supervisor threepay "$THREEPAY_LISTEN" "$(bin_dir)/threepay"
    fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  run) run ;;
  env) show_env ;;
  supervise) supervise "$2" "$3" "$4" "$5" ;;
  *) echo "usage: $0 start|stop|run|env" >&2; exit 2 ;;
esac
