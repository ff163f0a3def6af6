#!/usr/bin/env bash
# The main job on an embedded default: a throwaway PostgreSQL with a demo room (event store
# with 50,000 events, the pharaohs config tree), backed up, verified and restored into a
# second room on the same server. Everything lives in demo-out/ and the server is stopped
# at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_BIN=${SENTIENT_DEMO_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$PG_BIN/initdb" ] || { echo "demo: no PostgreSQL server binaries found (run 'make deps' as root)" >&2; exit 1; }
BIN=$(swift build -c release --show-bin-path)/sentient-snap
[ -x "$BIN" ] || { echo "demo: $BIN is missing (run 'make build')" >&2; exit 1; }

OUT=$PWD/demo-out
rm -rf "$OUT"
mkdir -p "$OUT/backups" "$OUT/rooms" "$OUT/env"
cp -r Fixtures/rooms/pharaohs "$OUT/rooms/"
chmod -R u+w "$OUT/rooms"
PGDIR=$(mktemp -d /tmp/sentient-demo-pg.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# initdb refuses root: run the server as the postgres user then, and the tool with --allow-root.
AS=()
ALLOW_ROOT=()
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --user-group postgres
    chown postgres "$PGDIR"
    AS=(runuser -u postgres --)
    ALLOW_ROOT=(--allow-root)
fi
cleanup() {
    "${AS[@]}" "$PG_BIN/pg_ctl" -D "$PGDIR/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$PGDIR"
}
trap cleanup EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "starting a throwaway PostgreSQL on 127.0.0.1:$PORT"
(cd / && "${AS[@]}" "$PG_BIN/initdb" -D "$PGDIR/data" -U sentient --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync >/dev/null)
(cd / && "${AS[@]}" "$PG_BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$PGDIR -c fsync=off" start >/dev/null)
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=sentient
psql -X -q -d postgres -c "CREATE DATABASE sentient"

step "loading the demo room: event store with 50,000 events"
psql -X -q -v ON_ERROR_STOP=1 -d sentient -f Fixtures/event-store.sql
psql -X -q -v ON_ERROR_STOP=1 -d sentient -c "
    INSERT INTO events (ts, level, event, msg, fields, room_id, session_id)
    SELECT now() - g * interval '1 minute', (ARRAY['info','warn','error'])[1 + g % 3], 'puzzle_' || (g % 12),
           'Player pressed the scarab ' || g, jsonb_build_object('step', g, 'device', 'scarab_panel'),
           'pharaohs', 'game-' || (g / 400)
    FROM generate_series(1, 50000) g;"
# Each room's MQTT broker, when mosquitto is installed: the original one holds retained device
# state, the copy's starts empty and is given the same state by the restore.
MQTT_A=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
MQTT_B=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BROKERS=()
if command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ]; then
    MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)
    for port in "$MQTT_A" "$MQTT_B"; do
        printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$port" > "$PGDIR/mosquitto-$port.conf"
        chmod a+r "$PGDIR/mosquitto-$port.conf"
        "$MOSQUITTO" -c "$PGDIR/mosquitto-$port.conf" >/dev/null 2>&1 &
        BROKERS+=($!)
    done
    sleep 0.5
fi
cleanup_brokers() { for pid in "${BROKERS[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap 'cleanup_brokers; cleanup' EXIT
if [ ${#BROKERS[@]} -gt 0 ] && command -v mosquitto_pub >/dev/null 2>&1; then
    step "publishing retained device state to the room's MQTT broker (127.0.0.1:$MQTT_A)"
    mosquitto_pub -p "$MQTT_A" -r -t room/pharaohs/device/sarcophagus_lid -m '{"locked":true}'
    mosquitto_pub -p "$MQTT_A" -r -t room/pharaohs/device/anubis_eyes -m '{"color":"#ff0000"}'
    mosquitto_pub -p "$MQTT_A" -r -t room/pharaohs/scene -m 'burial_chamber'
fi
printf 'SENTIENT_PG_PORT=%s\nSENTIENT_PG_USER=sentient\nSENTIENT_MQTT_PORT=%s\n' "$PORT" "$MQTT_A" > "$OUT/env/pharaohs.env"
printf 'SENTIENT_PG_PORT=%s\nSENTIENT_PG_USER=sentient\nSENTIENT_PG_DATABASE=sentient_copy\nSENTIENT_MQTT_PORT=%s\n' "$PORT" "$MQTT_B" > "$OUT/env/pharaohs-copy.env"

step "sentient-snap backup pharaohs"
"$BIN" backup pharaohs "$OUT/backups" --env-dir "$OUT/env" --rooms-dir "$OUT/rooms" "${ALLOW_ROOT[@]}"
ARCHIVE=$(ls "$OUT"/backups/sentient-pharaohs-*.tar.gz | head -n 1)

step "sentient-snap verify"
"$BIN" verify "$ARCHIVE"

step "sentient-snap restore into a second room (pharaohs-copy, database sentient_copy)"
"$BIN" restore pharaohs-copy "$ARCHIVE" --env-dir "$OUT/env" --rooms-dir "$OUT/rooms" \
    --room-control none --no-wait --force "${ALLOW_ROOT[@]}"

step "checking the copy against the original"
a=$(psql -X -At -d sentient -c "SELECT count(*), md5(string_agg(e::text, '' ORDER BY event_id)) FROM events e")
b=$(psql -X -At -d sentient_copy -c "SELECT count(*), md5(string_agg(e::text, '' ORDER BY event_id)) FROM events e")
diff -r "$OUT/rooms/pharaohs" "$OUT/rooms/pharaohs-copy"
if [ ${#BROKERS[@]} -gt 0 ] && command -v mosquitto_sub >/dev/null 2>&1; then
    ma=$( (mosquitto_sub -p "$MQTT_A" -t '#' -v --retained-only -W 1 2>/dev/null || true) | sort)
    mb=$( (mosquitto_sub -p "$MQTT_B" -t '#' -v --retained-only -W 1 2>/dev/null || true) | sort)
    if [ "$ma" = "$mb" ] && [ -n "$ma" ]; then echo "mqtt: the copy's broker holds the same $(echo "$ma" | wc -l) retained messages"; else echo "MQTT MISMATCH" >&2; exit 1; fi
fi
if [ "$a" = "$b" ]; then
    echo "events: $a in both rooms; config trees identical"
else
    echo "MISMATCH: original $a, copy $b" >&2
    exit 1
fi
echo
echo "Demo done. The archive is in $OUT/backups; the server has been stopped."
