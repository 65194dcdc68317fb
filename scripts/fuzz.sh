#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets in Fuzz/ (AddressSanitizer + LeakSanitizer on) and runs each
# for FUZZ_SECONDS, one after the other, then prints the executions per target.
#
# How the targets are built: the product modules are compiled by SwiftPM with
# `--sanitize=fuzzer --sanitize=address` into their own scratch folder (the root package is unchanged and
# keeps no fuzz target); each Fuzz/Targets/<target>/ entry file (`LLVMFuzzerTestOneInput`) is then compiled
# and linked by swiftc against those modules' objects, with libFuzzer providing `main`.
#
# Settings (environment):
#   FUZZ_SECONDS           run time per target (default 60)
#   FUZZ_TARGETS           which targets, space-separated (default: all four)
#   FUZZ_MAX_LEN           largest input libFuzzer generates (default 8192 bytes)
#   FUZZ_TIMEOUT           seconds one input may take before it counts as a hang (default 10)
#   FUZZ_MINIMIZE_SECONDS  time spent minimizing each crash reproducer (default 60)
#   FUZZ_SCRATCH           build folder (default .build-fuzz)
#   FUZZ_WORK              generated corpus, raw artifacts and logs (default var/fuzz)
#   FUZZ_SKIP_BUILD=1      run the binaries already built
#
# Corpora: Fuzz/corpus/<target>/ holds the seeds (read only); what libFuzzer learns goes to
# $FUZZ_WORK/corpus/<target>/ and is reused by the next run. Findings: minimized reproducers are kept in
# Fuzz/findings/<target>/; the script exits 1 when a target crashed, hung, leaked or ran out of memory.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds="${FUZZ_SECONDS:-60}"
targets="${FUZZ_TARGETS:-body-decoders alipay-response alipay-notification sandbox-form}"
max_len="${FUZZ_MAX_LEN:-8192}"
input_timeout="${FUZZ_TIMEOUT:-10}"
minimize_seconds="${FUZZ_MINIMIZE_SECONDS:-60}"
scratch="${FUZZ_SCRATCH:-$root/.build-fuzz}"
work="${FUZZ_WORK:-$root/var/fuzz}"
case "$scratch" in /*) ;; *) scratch="$root/$scratch" ;; esac
case "$work" in /*) ;; *) work="$root/$work" ;; esac
bin_dir="$scratch/fuzzers"
coverage="edge,indirect-calls,trace-cmp,inline-8bit-counters,pc-table"

log() { printf '[fuzz] %s\n' "$*" >&2; }

# Swift's own crash backtracer would run inside the sanitized process and trip AddressSanitizer;
# libFuzzer's handler reports crashes instead. Leaks are checked after every input that grew memory.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"

# The product modules each target links, in dependency order, and the extra Fuzz/ source folders it needs.
modules_of() {
  case "$1" in
    body-decoders) echo "PaymentModel JSON CBSONShims BSON ContentNegotiation" ;;
    alipay-response | alipay-notification) echo "CivilTime JSON PaymentModel RSASigning Alipay" ;;
    sandbox-form) echo "CivilTime JSON PaymentModel RSASigning Alipay FastCGI CCurlShims CurlClient SandboxGateway" ;;
    *) log "unknown target $1"; exit 2 ;;
  esac
}
support_of() {
  case "$1" in
    alipay-response | alipay-notification) echo "Common Keys" ;;
    *) echo "Common" ;;
  esac
}

# The object files SwiftPM compiled for one module (from its source list, so stale objects never link).
objects_of() {
  local dir="$swiftpm_bin/$1.build" source
  if [ -f "$dir/sources" ]; then
    while IFS= read -r source; do
      [ -n "$source" ] && printf '%s\n' "$dir/$(basename "$source").o"
    done < "$dir/sources"
  else
    ls "$dir"/*.c.o
  fi
}

build() {
  log "building the product modules with -sanitize=fuzzer,address (scratch $scratch)"
  # SwiftPM builds one --target per call; SandboxGateway pulls in Alipay and RSASigning.
  # Release builds compile each module whole (-wmo), and then swiftc does not derive the coverage
  # instrumentation from -sanitize=fuzzer by itself; it is named explicitly (what -sanitize=fuzzer implies).
  local module
  for module in ContentNegotiation SandboxGateway; do
    swift build --scratch-path "$scratch" -c release --sanitize=fuzzer --sanitize=address \
      -Xswiftc -sanitize-coverage="$coverage" -Xswiftc -enable-testing --target "$module" >&2
  done
  swiftpm_bin=$(swift build --scratch-path "$scratch" -c release --show-bin-path)
  # Without coverage counters in the product code libFuzzer would only explore the entry files.
  if command -v objdump >/dev/null; then
    for module in PaymentModel BSON ContentNegotiation Alipay SandboxGateway; do
      # (grep without -q reads all of objdump's output, so pipefail does not see a SIGPIPE)
      if ! objdump -h "$(objects_of "$module" | head -n 1)" | grep __sancov_cntrs >/dev/null; then
        log "the $module objects carry no coverage counters; delete $scratch and retry"
        exit 1
      fi
    done
  fi
  mkdir -p "$bin_dir"
  local target
  for target in $targets; do
    local sources=() objects=() folder
    for folder in $(support_of "$target"); do sources+=("$root"/Fuzz/"$folder"/*.swift); done
    sources+=("$root"/Fuzz/Targets/"$target"/*.swift)
    for module in $(modules_of "$target"); do
      mapfile -t -O "${#objects[@]}" objects < <(objects_of "$module")
    done
    log "linking $target"
    swiftc -swift-version 6 -O -parse-as-library -sanitize=fuzzer,address -sanitize-coverage="$coverage" -enable-testing \
      -module-name "Fuzz_${target//-/_}" -module-cache-path "$scratch/fuzz-module-cache" \
      -I "$swiftpm_bin/Modules" -I "$root/Sources/CCurlShims/include" -I "$root/Sources/CBSONShims/include" \
      -Xcc -I"$(pkg-config --variable=includedir libbson-1.0)/libbson-1.0" \
      -Xcc -fmodule-map-file="$root/Sources/COpenSSL/module.modulemap" \
      -Xcc -fmodule-map-file="$root/Sources/CBSON/module.modulemap" \
      -Xcc -fmodule-map-file="$swiftpm_bin/CBSONShims.build/module.modulemap" \
      -Xcc -fmodule-map-file="$root/Sources/CCurl/module.modulemap" \
      -Xcc -fmodule-map-file="$root/Sources/CFastCGI/module.modulemap" \
      -Xcc -fmodule-map-file="$swiftpm_bin/CCurlShims.build/module.modulemap" \
      -use-ld=lld "${sources[@]}" "${objects[@]}" -o "$bin_dir/$target" >&2
  done
}

# The value of one `stat::` line of libFuzzer's final statistics (or "?").
stat_of() { # log, name
  local value
  value=$(sed -n "s/^stat::$2: *//p" "$1" | tail -n 1)
  echo "${value:-?}"
}

# Shrinks one artifact into Fuzz/findings/<target>/ and removes the raw copy.
keep_finding() { # target, artifact
  local target=$1 artifact=$2 name kept
  name=$(basename "$artifact")
  kept="$root/Fuzz/findings/$target/$name"
  mkdir -p "$root/Fuzz/findings/$target"
  log "$target: minimizing $name"
  timeout -k 10 $((minimize_seconds + 60)) "$bin_dir/$target" -minimize_crash=1 -max_total_time="$minimize_seconds" \
    -timeout="$input_timeout" -artifact_prefix="$work/minimizing-" -exact_artifact_path="$kept" "$artifact" \
    > "$work/logs/$target.minimize.log" 2>&1 || true
  rm -f "$work"/minimizing-*
  # A leak or hang may not reproduce under -minimize_crash; keep the original then.
  [ -s "$kept" ] || cp "$artifact" "$kept"
  rm -f "$artifact"
  log "$target: reproducer $kept ($(wc -c < "$kept") bytes): $(od -An -tx1 -v "$kept" | tr -d ' \n' | cut -c1-160)"
}

run_target() { # target
  local target=$1 logfile="$work/logs/$1.log" status=0
  mkdir -p "$work/corpus/$target" "$work/artifacts/$target"
  rm -f "$work/artifacts/$target"/*
  local seeds=()
  [ -d "$root/Fuzz/corpus/$target" ] && seeds+=("$root/Fuzz/corpus/$target")
  local dict=()
  [ -f "$root/Fuzz/dict/$target.dict" ] && dict+=(-dict="$root/Fuzz/dict/$target.dict")
  log "$target: fuzzing for $seconds s (log $logfile)"
  timeout -k 30 $((seconds + 600)) "$bin_dir/$target" \
    -max_total_time="$seconds" -timeout="$input_timeout" -max_len="$max_len" -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/$target/" "${dict[@]}" \
    "$work/corpus/$target" "${seeds[@]}" > "$logfile" 2>&1 || status=$?
  local artifact findings=0
  for artifact in "$work/artifacts/$target"/*; do
    [ -e "$artifact" ] || continue
    findings=$((findings + 1))
    keep_finding "$target" "$artifact"
  done
  if [ "$status" -ne 0 ] && [ "$findings" -eq 0 ]; then
    log "$target: libFuzzer exited with status $status and left no artifact; see $logfile"
    findings=1
  fi
  # Coverage (edges) and corpus size from libFuzzer's last status line.
  local execs runtime last edges corpus
  execs=$(stat_of "$logfile" number_of_executed_units)
  runtime=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$logfile" | tail -n 1)
  last=$(grep -E '^#[0-9]+' "$logfile" | tail -n 1 || true)
  edges=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' <<< "$last")
  corpus=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<< "$last")
  summary+=("$(printf '%-20s %12s %8s %8s %8s %8s %9s' "$target" "$execs" "${runtime:-?}" \
    "$(stat_of "$logfile" average_exec_per_sec)" "${edges:-?}" "${corpus:-?}" "$findings")")
  total_findings=$((total_findings + findings))
}

mkdir -p "$work/logs"
if [ "${FUZZ_SKIP_BUILD:-0}" != 1 ]; then build; fi
summary=()
total_findings=0
for target in $targets; do run_target "$target"; done

printf '\n%-20s %12s %8s %8s %8s %8s %9s\n' target executions seconds exec/s edges corpus findings
printf '%s\n' "${summary[@]}"
if [ "$total_findings" -gt 0 ]; then
  log "$total_findings finding(s); reproducers in Fuzz/findings/, logs in $work/logs/"
  exit 1
fi
log "no crash, hang or leak found"
