#!/usr/bin/env bash
# Runs the test suite against the throwaway servers of docker-compose.test.yml
# (PostgreSQL 16 on 127.0.0.1:55432, mosquitto on 127.0.0.1:51883) and removes them afterwards.
# Extra arguments go to `swift test` (e.g. --filter PGWireTests).
set -euo pipefail
cd "$(dirname "$0")/.."

if docker compose version >/dev/null 2>&1; then
    compose=(docker compose -f docker-compose.test.yml -p sentient-snap-test)
elif command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose -f docker-compose.test.yml -p sentient-snap-test)
else
    echo "test-with-docker: needs docker compose (or docker-compose)" >&2
    exit 1
fi

cleanup() { "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true; }
trap cleanup EXIT

echo "==> starting postgres:16 and eclipse-mosquitto:2"
"${compose[@]}" up -d
for _ in $(seq 1 60); do
    if "${compose[@]}" exec -T postgres pg_isready -U postgres -h 127.0.0.1 >/dev/null 2>&1; then break; fi
    sleep 1
done

export SENTIENT_TEST_PG_URL="postgresql://postgres:snap-test-pw@127.0.0.1:55432/postgres"
export SENTIENT_TEST_MQTT_URL="mqtt://127.0.0.1:51883"
# Client tools of the server's major, when installed (pg_dump refuses newer servers).
if [ -z "${SENTIENT_TEST_PG_BIN:-}" ] && [ -x /usr/lib/postgresql/16/bin/pg_dump ]; then
    export SENTIENT_TEST_PG_BIN=/usr/lib/postgresql/16/bin
fi
echo "==> swift test against $SENTIENT_TEST_PG_URL"
swift test --parallel "$@"
