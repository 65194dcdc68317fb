#!/usr/bin/env bash
# `make test-cluster`: builds, starts a private cluster stack for the tests with scripts/cluster.sh (three Galera
# nodes, two supervised responders, the sandbox, nginx; its own state folder and port), runs the cluster tests
# (Tests/IntegrationTests/Cluster*.swift, which kill a node and a responder under load), and stops everything.
# Arguments go to `swift test` (e.g. --filter ClusterFailoverTests). How long it takes: README, "Running on
# several machines".
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

export THREEPAY_STATE_DIR="${THREEPAY_TEST_STATE_DIR:-$root/var/test-cluster}"
export THREEPAY_HTTP_PORT="${THREEPAY_TEST_HTTP_PORT:-18090}"
export THREEPAY_BUILD_CONFIG=debug
export THREEPAY_CLUSTER_NODES="${THREEPAY_CLUSTER_NODES:-3}"
export THREEPAY_CLUSTER_RESPONDERS="${THREEPAY_CLUSTER_RESPONDERS:-2}"
# As in scripts/test.sh: short gateway timeouts, and the sweep only when a test runs it (`threepay sweep`).
export THREEPAY_ALIPAY_TIMEOUT="${THREEPAY_ALIPAY_TIMEOUT:-3000}"
export THREEPAY_SWEEP_INTERVAL="${THREEPAY_SWEEP_INTERVAL:-0}"

scratch=()
if [ -n "${THREEPAY_SCRATCH_PATH:-}" ]; then scratch=(--scratch-path "$THREEPAY_SCRATCH_PATH"); fi
swift build "${scratch[@]}" --build-tests
scripts/cluster.sh stop >/dev/null 2>&1 || true
rm -f "$THREEPAY_STATE_DIR/cluster/sandbox-trades.json"
trap 'scripts/cluster.sh stop >/dev/null || true' EXIT
started=$SECONDS
scripts/cluster.sh start
echo "[test-cluster] the cluster stack started in $((SECONDS - started)) s" >&2

# Every run starts with empty payment tables (the cluster replicates the TRUNCATEs): the sweep tests count what a
# sweep finds, and records an earlier run left behind would be found too once their QR codes expire.
node1=(mariadb --no-defaults --socket="$THREEPAY_STATE_DIR/cluster/node1/mariadb.sock" --user="$(id -un)" --batch
       --skip-column-names)
truncates=$("${node1[@]}" -e "SELECT GROUP_CONCAT(CONCAT('TRUNCATE TABLE \`', TABLE_NAME, '\`') SEPARATOR '; ')
  FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${THREEPAY_DB_NAME:-threepay}' AND TABLE_TYPE = 'BASE TABLE'")
"${node1[@]}" --database="${THREEPAY_DB_NAME:-threepay}" -e "SET FOREIGN_KEY_CHECKS = 0; $truncates; SET FOREIGN_KEY_CHECKS = 1"

export THREEPAY_TEST_BASE_URL="http://127.0.0.1:$THREEPAY_HTTP_PORT"
export THREEPAY_TEST_BIN_DIR="$(swift build "${scratch[@]}" --show-bin-path)"
export THREEPAY_TEST_CLUSTER_DIR="$THREEPAY_STATE_DIR/cluster"
# The tests read and age records through node 1 (any node would do: they hold the same rows).
export THREEPAY_TEST_DB_SOCKET="$THREEPAY_TEST_CLUSTER_DIR/node1/mariadb.sock"
started=$SECONDS
status=0
swift test "${scratch[@]}" --skip-build --filter 'IntegrationTests.Cluster' "$@" || status=$?
echo "[test-cluster] the cluster tests took $((SECONDS - started)) s" >&2
exit "$status"
