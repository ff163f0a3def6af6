#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer + AddressSanitizer) of every parser of bytes we did not
# write: `make fuzz` runs each target for FUZZ_SECONDS (default 60) and prints, per target, the
# executions, the coverage (libFuzzer's cov: edges and ft: features) and whether it failed.
# Exits non-zero if any target crashed, leaked, hung (-timeout=10) or ran out of memory
# (-rss_limit_mb=2048).
#
#   scripts/fuzz.sh                 build, then run every target
#   scripts/fuzz.sh tar-gz mqtt     build, then run those targets only (make fuzz FUZZ_TARGETS="tar-gz mqtt")
#   FUZZ_SECONDS=600 scripts/fuzz.sh verify
#
# Build: SENTIENT_FUZZ=1 makes Package.swift add the executable `sentient-fuzz` (Fuzz/Sources),
# built here with -sanitize=fuzzer,address in its own build directory, .build-fuzz/; without
# that variable the package, `swift build` and `make test` are unchanged.
#
# Adding a target (e.g. for a new module under Sources/, which the fuzz executable depends on
# without a line in Package.swift):
#   1. Fuzz/Sources/Targets/<Name>.swift defines `let <name>Target = FuzzTarget(name: "<name>",
#      maxLen: ...) { bytes in ... }`: run the parser on `bytes`, ignore thrown errors;
#   2. add `<name>Target` to `allTargets` in Fuzz/Sources/FuzzMain.swift;
#   optionally seeds in Fixtures/fuzz-corpus/<name>/ (small: the whole corpus stays under 1 MB) and
#   libFuzzer tokens in Fuzz/dict/<name>.dict.
#
# Each run starts from the committed seeds plus what earlier local runs found
# (.build-fuzz/corpus/<name>/, never committed). A failing input is saved under
# .build-fuzz/artifacts/<name>/ and its log under .build-fuzz/logs/<name>.log; reproduce it with
#   SENTIENT_FUZZ_TARGET=<name> .build-fuzz/debug/sentient-fuzz <that file>
# and turn it into a plain unit test once fixed (README "Development").
set -uo pipefail

cd "$(dirname "$0")/.."
SWIFT="${SWIFT:-swift}"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
BUILD=.build-fuzz
BIN="$BUILD/debug/sentient-fuzz"

echo "==> building the fuzz targets ($BUILD, -sanitize=fuzzer,address)"
mkdir -p "$BUILD/logs"
SENTIENT_FUZZ=1 "$SWIFT" build -c debug --build-path "$BUILD" --product sentient-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing \
    -Xswiftc -use-ld=lld >"$BUILD/logs/build.log" 2>&1
status=$?
# The linker's notes about AddressSanitizer's local symbols are noise.
grep -v "Cannot export local symbol" "$BUILD/logs/build.log" | tail -n 20
if [ $status -ne 0 ]; then
    echo "fuzz.sh: building the fuzz targets failed (log: $BUILD/logs/build.log)" >&2
    exit 1
fi

declare -A MAXLEN
ALL=()
while read -r name maxlen; do
    ALL+=("$name")
    MAXLEN[$name]=$maxlen
done < <(SENTIENT_FUZZ_LIST=1 "$BIN" 2>/dev/null)
if [ ${#ALL[@]} -eq 0 ]; then
    echo "fuzz.sh: $BIN lists no targets" >&2
    exit 1
fi
if [ $# -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL[@]}"); fi

failed=0
summary=()
for target in "${TARGETS[@]}"; do
    if [ -z "${MAXLEN[$target]:-}" ]; then
        echo "fuzz.sh: no target $target (targets: ${ALL[*]})" >&2
        exit 2
    fi
    corpus="$BUILD/corpus/$target"
    artifacts="$BUILD/artifacts/$target"
    log="$BUILD/logs/$target.log"
    mkdir -p "$corpus" "$artifacts"
    seeds=()
    [ -d "Fixtures/fuzz-corpus/$target" ] && seeds=("Fixtures/fuzz-corpus/$target")
    dict=()
    [ -f "Fuzz/dict/$target.dict" ] && dict=("-dict=Fuzz/dict/$target.dict")
    echo "==> $target: ${SECONDS_PER_TARGET}s (log: $log)"
    SENTIENT_FUZZ_TARGET="$target" "$BIN" \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
        -max_len="${MAXLEN[$target]}" -print_final_stats=1 -artifact_prefix="$artifacts/" \
        "${dict[@]}" "$corpus" "${seeds[@]}" >"$log" 2>&1
    status=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
    # After a crash libFuzzer prints no final stats: the last status line's count instead.
    [ -z "$execs" ] && execs=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
    if [ "$status" -eq 0 ]; then
        result="ok"
    else
        failed=1
        if grep -q 'ERROR: libFuzzer: timeout' "$log"; then result="TIMEOUT"
        elif grep -q 'ERROR: libFuzzer: out-of-memory' "$log"; then result="OUT OF MEMORY"
        elif grep -q 'ERROR: LeakSanitizer' "$log"; then result="LEAK"
        elif grep -q 'ERROR: AddressSanitizer' "$log"; then result="CRASH (AddressSanitizer)"
        else result="CRASH (exit $status)"
        fi
        input=$(grep -o "Test unit written to [^ ]*" "$log" | tail -n 1 | sed 's/Test unit written to //')
        grep -m 1 -E 'Fatal error|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)' "$log" | sed 's/^/    /'
        [ -n "$input" ] && result="$result; reproduce: SENTIENT_FUZZ_TARGET=$target $BIN $input"
    fi
    line=$(printf '%-14s %12s execs   %-20s %s' "$target" "${execs:-?}" "${cov:-cov: ?}" "$result")
    echo "$line"
    summary+=("$line")
done

echo
echo "==> fuzzing summary (${SECONDS_PER_TARGET}s per target)"
printf '%s\n' "${summary[@]}"
exit $failed
