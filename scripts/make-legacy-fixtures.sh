#!/usr/bin/env bash
# Makes Fixtures/legacy/*.tar.gz the way the old backup-room.sh did: a PostgreSQL 16 room
# database dumped with stock pg_dump 16 (custom format, or plain SQL as its fallback, or no
# database when the container was stopped), the room's config tree, an old-style manifest,
# all packed with GNU `tar -czf` (so manifest.json is not necessarily the first entry).
# Run it once when the fixtures need remaking; the results are committed.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(scripts/pg-binaries.sh 16)
work=$(mktemp -d /tmp/legacy-fixtures.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as=()
if [ "$(id -u)" -eq 0 ]; then chown postgres "$work"; as=(runuser -u postgres --); fi
cleanup() { (cd / && "${as[@]}" "$bin/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1) || true; rm -rf "$work"; }
trap cleanup EXIT
(cd / && "${as[@]}" "$bin/initdb" -D "$work/data" -U sentient --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync >/dev/null)
(cd / && "${as[@]}" "$bin/pg_ctl" -D "$work/data" -l "$work/log" -w -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$work" start >/dev/null)
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=sentient
"$bin/psql" -X -q -d postgres -c "CREATE DATABASE sentient"
"$bin/psql" -X -q -v ON_ERROR_STOP=1 -d sentient -f Fixtures/event-store.sql
"$bin/psql" -X -q -v ON_ERROR_STOP=1 -d sentient -c "
    INSERT INTO events (ts, level, event, msg, fields, room_id, session_id)
    SELECT '2024-01-15 12:00:00+00'::timestamptz + g * interval '10 seconds', (ARRAY['info','warn','error'])[1 + g % 3],
           'puzzle_' || (g % 9), CASE WHEN g % 4 = 0 THEN NULL ELSE E'scarab pressed\\tstep ' || g || ' ✓' END,
           jsonb_build_object('step', g, 'device', 'scarab_panel'), 'pharaohs', 'game-' || (g / 100)
    FROM generate_series(1, 300) g;"

mkdir -p Fixtures/legacy
make_archive() {  # NAME DATABASE_KIND(dump|sql|none)
    local name=$1 kind=$2 top="$work/pack/$1"
    mkdir -p "$top/config" "$top/db"
    cp -r Fixtures/rooms/pharaohs/. "$top/config/"
    local has_db=true running=true
    case $kind in
        dump) "$bin/pg_dump" -Fc -f "$top/db/database.dump" sentient ;;
        sql) "$bin/pg_dump" -f "$top/db/database.sql" sentient ;;
        none) has_db=false running=false
              echo "Container sentient-pharaohs was not running; database not backed up." > "$top/db/NO_DATABASE.txt" ;;
    esac
    cat > "$top/manifest.json" <<JSON
{
  "room_name": "pharaohs",
  "version": "2.3.1",
  "git_commit": "4f2c9e1a7b",
  "timestamp": "2024-01-15T14:30:22Z",
  "backup_type": "full",
  "container_running": $running,
  "contents": {
    "database": $has_db,
    "config": true
  },
  "created_by": "backup-room.sh",
  "sentient_version": "1.8.0"
}
JSON
    tar -czf "Fixtures/legacy/$name.tar.gz" -C "$work/pack" "$name"
    echo "Fixtures/legacy/$name.tar.gz ($kind)"
}
make_archive sentient-pharaohs-20240115-143022 dump
make_archive sentient-pharaohs-20240116-020000 sql
make_archive sentient-pharaohs-20240117-020000 none
