#!/usr/bin/env bash
# Drop-in for the old sync-offsite.sh: sync-offsite.sh <source_dir> [target] [--dry-run] [--delete] [--bwlimit=KBPS] ...
# The target defaults to SENTIENT_OFFSITE_TARGET, the key to SENTIENT_OFFSITE_SSH_KEY.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

if [ $# -lt 1 ]; then
    echo "usage: $(basename "$0") <source_dir> [target] [--dry-run] [--delete] [--bwlimit=KBPS] [--ssh-key=PATH] [--ssh-port=PORT]" >&2
    exit 64
fi
snap=$(find_snap)
exec "$snap" sync-offsite $(root_flag) "$@"
