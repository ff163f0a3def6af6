#!/usr/bin/env bash
# Cross-version check: for each PostgreSQL major given (default 15 16 17 18), runs the
# fidelity, restore-engine and backup tests against a throwaway server of that version.
# Each run covers: our dump of that server restored by our engine and by that version's stock
# pg_restore (-j2), and that version's stock pg_dump -Fc restored by our engine. Then every
# stock pg_restore lists (-l) an archive we wrote. Prints a result table at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
versions=${*:-15 16 17 18}
filter='FidelityTests|RestoreEngineTests|ParallelRestoreTests|BackupTests'
swift build --build-tests >/dev/null || exit 1
declare -A result
for v in $versions; do
    bin=$(scripts/pg-binaries.sh "$v") || { result[$v]="no binaries"; continue; }
    echo "==> PostgreSQL $v ($bin)"
    if SENTIENT_TEST_PG_BIN=$bin swift test --skip-build --filter "$filter" > "/tmp/version-matrix-$v.log" 2>&1; then
        result[$v]="pass ($(grep -Eo 'Test run with [0-9]+ tests' "/tmp/version-matrix-$v.log" | head -n 1 | grep -Eo '[0-9]+') tests)"
    else
        result[$v]="FAIL (see /tmp/version-matrix-$v.log)"
    fi
done
# An archive of ours (written once, version 1.14) listed by each stock pg_restore.
example=Fixtures/format-doc-example.hex
tmp=$(mktemp)
xxd -r "$example" > "$tmp"
echo
printf "%-8s %s\n" "server" "our dump -> our restore and stock pg_restore -j2; stock pg_dump -Fc -> our restore"
for v in $versions; do printf '%-8s %s\n' "$v" "${result[$v]}"; done
echo
for v in $versions; do
    bin=$(scripts/pg-binaries.sh "$v" 2>/dev/null) || continue
    if "$bin/pg_restore" -l "$tmp" >/dev/null 2>&1; then echo "pg_restore $v -l on a 1.14 archive: ok"; else echo "pg_restore $v -l on a 1.14 archive: FAILED"; fi
done
rm -f "$tmp"
