#!/usr/bin/env bash
# `make test`: builds, starts a private stack for the tests (its own state folder and port, so a
# `make run` on the same machine is left alone), runs every Swift test, and stops the stack.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

export THREEPAY_STATE_DIR="${THREEPAY_TEST_STATE_DIR:-$root/var/test}"
export THREEPAY_HTTP_PORT="${THREEPAY_TEST_HTTP_PORT:-18080}"
export THREEPAY_BUILD_CONFIG=debug
# Tests provoke gateway timeouts: keep them short. The sweep runs only when a test starts it
# (`threepay sweep`), so it never consumes a fault a test set up for its own request.
export THREEPAY_ALIPAY_TIMEOUT="${THREEPAY_ALIPAY_TIMEOUT:-3000}"
export THREEPAY_SWEEP_INTERVAL="${THREEPAY_SWEEP_INTERVAL:-0}"
# Three callback posters (the default is one), so that every callback test also shows that concurrent posters
# deliver each callback exactly once.
export THREEPAY_CALLBACK_POSTERS="${THREEPAY_CALLBACK_POSTERS:-3}"

# THREEPAY_SCRATCH_PATH: build in another folder than .build (scripts/stack.sh reads it too).
scratch=()
if [ -n "${THREEPAY_SCRATCH_PATH:-}" ]; then scratch=(--scratch-path "$THREEPAY_SCRATCH_PATH"); fi
swift build "${scratch[@]}" --build-tests
scripts/stack.sh stop >/dev/null 2>&1 || true
# Every run starts with an empty sandbox trade book: a book kept from earlier runs only grows (and slows
# the sandbox's start and its listings).
rm -f "$THREEPAY_STATE_DIR/sandbox-trades.json"
trap 'scripts/stack.sh stop || true' EXIT
scripts/stack.sh start

# What the integration tests need to find the stack.
export THREEPAY_TEST_BASE_URL="http://127.0.0.1:$THREEPAY_HTTP_PORT"
export THREEPAY_TEST_BIN_DIR="$(swift build "${scratch[@]}" --show-bin-path)"
if [ -z "${THREEPAY_DB_HOST:-}" ] && [ -z "${THREEPAY_DB_SOCKET:-}" ]; then
  export THREEPAY_TEST_DB_SOCKET="$THREEPAY_STATE_DIR/mariadb.sock"
fi
swift test "${scratch[@]}" --skip-build "$@"
