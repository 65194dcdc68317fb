#!/usr/bin/env bash
# `make test-asan`: the whole test suite with AddressSanitizer (and LeakSanitizer) in every ThreePay
# process: the test runner itself, which exercises the C wrappers in-process, the responder and the
# sandbox behind nginx, and every binary the integration tests start.
#
# Builds into its own scratch folder (.build-asan, debug) and runs its own stack (state in var/asan,
# nginx on 127.0.0.1:18280), so `make run` and `make test` on the same machine are left alone.
# Each sanitized process writes any report to its own file in var/asan/reports/ (the stack's logs,
# var/asan/logs/*.log, are searched too). The script fails when a test fails or a report remains; see
# docs/fuzzing.md for what is excused and why.
#
# Settings (environment; THREEPAY_TEST_* names, which the responder ignores): THREEPAY_TEST_ASAN_STATE_DIR
# (var/asan), THREEPAY_TEST_ASAN_HTTP_PORT (18280), THREEPAY_TEST_ASAN_SCRATCH (.build-asan),
# THREEPAY_TEST_ASAN_OPTIONS (appended to ASAN_OPTIONS). Extra arguments go to both `swift test` runs
# (e.g. --filter AlipayTests).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
started=$(date +%s)

state="${THREEPAY_TEST_ASAN_STATE_DIR:-$root/var/asan}"
case "$state" in /*) ;; *) state="$root/$state" ;; esac
scratch="${THREEPAY_TEST_ASAN_SCRATCH:-$root/.build-asan}"
case "$scratch" in /*) ;; *) scratch="$root/$scratch" ;; esac
export THREEPAY_STATE_DIR="$state"
export THREEPAY_HTTP_PORT="${THREEPAY_TEST_ASAN_HTTP_PORT:-18280}"
export THREEPAY_BUILD_CONFIG=debug
reports="$state/reports"

log() { printf '[test-asan] %s\n' "$*" >&2; }
swift_asan() { swift "$1" --scratch-path "$scratch" --sanitize=address "${@:2}"; }

log "building everything with AddressSanitizer (scratch $scratch)"
swift_asan build --build-tests
bins=$(swift_asan build --show-bin-path)

mkdir -p "$state/logs" "$reports"
rm -f "$reports"/* "$state"/logs/*.log
cat > "$state/lsan.supp" <<'EOT'
# Leaks of the toolchain's libraries, not of ThreePay; each pattern names a function outside this
# repository. What a suppressed block points to is not reported either.
# swift-corelibs-xctest keeps every test case and its run in a reference cycle (XCTestCase <-> XCTestCaseRun),
# so each test case's stored properties (fixtures, keys, harnesses) stay allocated until exit.
leak:XCTMainMisc
leak:$s6XCTest0A7CaseRunC4test
leak:$s6XCTest0A8SuiteRunC
# swift-corelibs-xctest: an `async` test leaves a weak reference's side table behind.
leak:awaitUsingExpectation
# Swift runtime side tables of weak references held by the objects above.
leak:formWeakReference
# swift-corelibs-foundation: URLSession leaks a CURLU per request (matched only when the stack is complete).
leak:CFURLSessionCurlHostIsEqual
# swift-foundation: String(contentsOf:) keeps its read buffer in some paths.
leak:readBytesFromFile
EOT

# Sanitizer settings for every process started from here on (children inherit them). Reports go to
# files named after the executable and the phase; LeakSanitizer does not change exit codes, so a test
# failure and a sanitizer report stay two separate verdicts.
sanitize_for() { # phase
  export ASAN_OPTIONS="detect_leaks=1:log_path=$reports/$1:log_exe_name=1${THREEPAY_TEST_ASAN_OPTIONS:+:$THREEPAY_TEST_ASAN_OPTIONS}"
  export LSAN_OPTIONS="suppressions=$state/lsan.supp:print_suppressions=0:exitcode=0"
}
# Swift's crash backtracer would run inside the sanitized process; let the sanitizer report instead.
export SWIFT_BACKTRACE=enable=no

# scripts/stack.sh takes the binaries from `swift build -c debug --show-bin-path` (the default .build).
# A `swift` wrapper first in its PATH answers that one question with the ASan folder and passes
# everything else to the real swift. (Not an environment setting: the responder refuses unknown
# THREEPAY_* names, and it inherits the environment stack.sh runs in.)
shim="$state/shim"
mkdir -p "$shim"
cat > "$shim/swift" <<EOT
#!/usr/bin/env bash
# Written by scripts/test-asan.sh: the ASan binaries for scripts/stack.sh.
for argument in "\$@"; do
  if [ "\$argument" = "--show-bin-path" ]; then echo "$bins"; exit 0; fi
done
exec "$(command -v swift)" "\$@"
EOT
chmod +x "$shim/swift"
stack() { PATH="$shim:$PATH" scripts/stack.sh "$@"; }

stack stop >/dev/null 2>&1 || true
rm -f "$state/sandbox-trades.json"   # an empty sandbox trade book, as in scripts/test.sh
trap 'stack stop || true' EXIT
sanitize_for stack
stack start
# stack.sh start returns once the responder and the sandbox answer.

export THREEPAY_TEST_BASE_URL="http://127.0.0.1:$THREEPAY_HTTP_PORT"
export THREEPAY_TEST_BIN_DIR="$bins"
# Lets timing assertions allow for the sanitizer's slowdown (debug + ASan runs 2-5x slower).
export THREEPAY_TEST_SANITIZER=address
if [ -z "${THREEPAY_DB_HOST:-}" ] && [ -z "${THREEPAY_DB_SOCKET:-}" ]; then
  export THREEPAY_TEST_DB_SOCKET="$state/mariadb.sock"
fi

# Two runs: the unit test targets, then the integration tests. The integration tests also call nginx
# through URLSession, whose libcurl leaks cannot be told apart from others by their (truncated) stacks;
# the unit tests of the C wrappers therefore run on their own, where every leak counts.
unit_targets=$(find Tests -mindepth 1 -maxdepth 1 -type d ! -name IntegrationTests -printf '%f\n' | sort | paste -sd'|')
test_status=0
log "unit tests (${unit_targets//|/, })"
sanitize_for unit
swift_asan test --skip-build --skip '^IntegrationTests\.' "$@" || test_status=$?
log "integration tests"
sanitize_for integration
swift_asan test --skip-build --skip "^($unit_targets)\\." "$@" || test_status=$?

# The responder and the sandbox check for leaks when they exit, so stop them before looking.
trap - EXIT
stack stop || true

# Leak blocks in one LeakSanitizer report other than those whose allocation stack ends inside libcurl.
leaks_outside_libcurl() { # report file
  awk '
    function close_block() { if (open && !curl_only) count++; open = 0 }
    /^(Direct|Indirect) leak/ { close_block(); open = 1; curl_only = 1; next }
    open && /^ *#[0-9]+ / { if ($1 != "#0" && $0 !~ /libcurl\.so/) curl_only = 0; next }
    open && /^[[:space:]]*$/ { close_block() }
    END { close_block(); print count + 0 }' "$1"
}

pattern='ERROR: (AddressSanitizer|LeakSanitizer)|SUMMARY: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)'
found=()
for file in "$reports"/* "$state"/logs/*.log; do
  [ -f "$file" ] && grep -Eq "$pattern" "$file" || continue
  name=$(basename "$file")
  if [[ "$name" == integration.*.xctest.* ]] && ! grep -q 'ERROR: AddressSanitizer' "$file" \
      && [ "$(leaks_outside_libcurl "$file")" -eq 0 ]; then
    log "excused: $name holds only leaks inside libcurl from the test runner's URLSession calls"
    continue
  fi
  found+=("$file")
done
elapsed=$(( $(date +%s) - started ))
for file in "${found[@]}"; do
  log "sanitizer report in $file:"
  grep -E "$pattern" "$file" | head -n 5 >&2
done
if [ "$test_status" -ne 0 ]; then log "swift test failed (status $test_status) after ${elapsed}s"; fi
if [ ${#found[@]} -gt 0 ]; then log "${#found[@]} file(s) with sanitizer reports after ${elapsed}s"; exit 1; fi
[ "$test_status" -eq 0 ] || exit "$test_status"
log "no AddressSanitizer or LeakSanitizer report; tests passed in ${elapsed}s"
