# Shared by the drop-in wrappers: finds sentient-snap and adds --allow-root when run as root
# (the old scripts ran as root from cron). Sourced, not executed.

find_snap() {
    if [ -n "${SENTIENT_SNAP:-}" ]; then
        printf '%s\n' "$SENTIENT_SNAP"
        return
    fi
    local here
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    local candidate
    for candidate in "$here/sentient-snap" "$here/../../bin/sentient-snap"; do
        if [ -x "$candidate" ]; then
            printf '%s\n' "$candidate"
            return
        fi
    done
    if command -v sentient-snap >/dev/null 2>&1; then
        command -v sentient-snap
        return
    fi
    echo "$(basename "$0"): sentient-snap not found (not beside this script, not on PATH; set SENTIENT_SNAP)" >&2
    exit 69
}

root_flag() {
    if [ "$(id -u)" -eq 0 ]; then
        printf '%s\n' "--allow-root"
    fi
}
