#!/usr/bin/env bash
# Drop-in for the old restore-room.sh: restore-room.sh <room> <archive> [--force] [sentient-snap restore flags...]
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
exec "$snap" restore "$room" "$archive" $(root_flag) "$@"
