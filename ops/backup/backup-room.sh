#!/usr/bin/env bash
# Drop-in for the old backup-room.sh: backup-room.sh <room> [output_dir] [sentient-snap backup flags...]
# Settings come from /etc/sentient/<room>.env (or SENTIENT_ENV_DIR) as before.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

if [ $# -lt 1 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    echo "usage: $(basename "$0") <room> [output_dir] [sentient-snap backup flags...]" >&2
    exit 64
fi
room=$1
shift
output_dir=${SENTIENT_BACKUP_DIR:-/var/backups/sentient}
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
    output_dir=$1
    shift
fi
mkdir -p "$output_dir"
snap=$(find_snap)
exec "$snap" backup "$room" "$output_dir" $(root_flag) "$@"
