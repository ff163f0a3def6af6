#!/usr/bin/env bash
# Drop-in for the old restore-room.sh: restore-room.sh <room> <archive> [--force] [sentient-snap restore flags...]
#
# Like the old script, it creates a room that has no container yet with the Sentient Engine's
# start script when it sits in a checkout beside ops/docker/start-room.sh: it passes
# --create-room --start-command '<checkout>/ops/docker/start-room.sh ROOM API MQTT PG', unless
# --start-command or SENTIENT_START_COMMAND says otherwise.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

if [ $# -lt 2 ]; then
    echo "usage: $(basename "$0") <room> <archive> [--force] [sentient-snap restore flags...]" >&2
    exit 64
fi
room=$1
archive=$2
shift 2
snap=$(find_snap)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
start=""
for candidate in "$here/../docker/start-room.sh" "$here/ops/docker/start-room.sh"; do
    if [ -f "$candidate" ]; then
        start="$(cd "$(dirname "$candidate")" && pwd)/start-room.sh"
        break
    fi
done
own_command=""
for arg in "$@"; do
    case "$arg" in --start-command | --start-command=*) own_command=yes ;; esac
done
creation=()
if [ -n "$start" ] && [ -z "$own_command" ] && [ -z "${SENTIENT_START_COMMAND:-}" ]; then
    # Single-quoted for /bin/sh -c; the ports come from the variables sentient-snap sets.
    quoted="'$(printf '%s' "$start" | sed "s/'/'\\\\''/g")'"
    creation=(--create-room --start-command "bash $quoted \"\$SENTIENT_ROOM\" \"\$SENTIENT_API_PORT\" \"\$SENTIENT_MQTT_PORT\" \"\$SENTIENT_PG_PORT\"")
fi
exec "$snap" restore "$room" "$archive" $(root_flag) ${creation[@]+"${creation[@]}"} "$@"
