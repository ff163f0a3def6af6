#!/usr/bin/env bash
# Drop-in for the old cleanup script: cleanup-backups.sh <dir> <days>
# Keeps every backup within <days> days of each room's newest one (and always the newest);
# only sentient-<room>-YYYYMMDD-HHMMSS.tar.gz files and their .sha256 sidecars are removed.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

if [ $# -lt 2 ] || ! [[ $2 =~ ^[0-9]+$ ]]; then
    echo "usage: $(basename "$0") <dir> <days> [sentient-snap prune flags...]" >&2
    exit 64
fi
dir=$1
days=$2
shift 2
snap=$(find_snap)
exec "$snap" prune "$dir" --keep-within "${days}d" $(root_flag) "$@"
