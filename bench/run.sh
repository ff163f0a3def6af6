#!/usr/bin/env bash
# sentient-snap benchmark against pg_dump -Fc, pg_restore -j2 and the old pipeline
# (pg_dump -Fc, then tar -czf). Not part of `make test`: it takes minutes and wants a quiet machine.
#
#   bench/run.sh                       2,000,000 events, 3 runs of everything, level sweep
#   bench/run.sh --events 500000 --runs 1 --no-sweep     quick iteration
#   bench/run.sh --scale               also 4N events: backup peak RSS, restore ratio and downtime at 4N
#   bench/run.sh --pg 16               against PostgreSQL 16 (the rooms' version) instead of Debian's 15
#   bench/run.sh --help                every option
#
# Builds the release binary first (skip with SKIP_BUILD=1), starts a throwaway PostgreSQL 15
# (/usr/lib/postgresql/15/bin, or SENTIENT_BENCH_PG_BIN) as the postgres user when run as root,
# prints a table and writes bench/results/latest.json.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    swift build -c release >&2
fi
BIN=$(swift build -c release --show-bin-path)/sentient-snap
exec python3 bench/bench.py --bin "$BIN" "$@"
