#!/usr/bin/env bash
# Makes a Docker engine available for the room-control tests, if this machine can run one.
#
#   scripts/start-docker.sh
#
# Idempotent: when `docker info` already works, does nothing. Otherwise, as root, starts
# dockerd in the background with settings that work in a plain VM or container without
# iptables or a bridge (--iptables=false --bridge=none --storage-driver=vfs; test containers
# use --network host), logging to $SENTIENT_DOCKERD_LOG (default /tmp/sentient-dockerd.log),
# and waits up to 30 s for its socket. Installs nothing (.ci/run installs docker.io).
#
# Always exits 0 and prints one line: "docker: ready" or "docker: SKIPPED: <reason>". The
# tests check the engine themselves and print SKIPPED with a reason when it is not there.
set -u

LOG="${SENTIENT_DOCKERD_LOG:-/tmp/sentient-dockerd.log}"
WAIT_SECONDS="${SENTIENT_DOCKERD_WAIT:-30}"

skip() {
    echo "docker: SKIPPED: $*"
    exit 0
}

if ! command -v docker >/dev/null 2>&1; then
    skip "no docker client on PATH (install the docker.io package)"
fi

if docker info >/dev/null 2>&1; then
    echo "docker: ready (an engine was already running)"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    skip "no engine answers and starting dockerd needs root (run as root, or start Docker yourself)"
fi

if ! command -v dockerd >/dev/null 2>&1; then
    skip "no dockerd on PATH (install the docker.io package)"
fi

# dockerd writes its pid here; a live one (from an earlier run of this script) may just be slow.
PID_FILE=/var/run/docker.pid
running_pid() {
    local pid
    pid=$(cat "$PID_FILE" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

if pid=$(running_pid); then
    echo "docker: dockerd (pid $pid) is running but not answering yet; waiting"
else
    echo "docker: starting dockerd (log: $LOG)"
    # setsid: the engine outlives this script and is not killed with the caller's process group.
    setsid dockerd --iptables=false --bridge=none --storage-driver=vfs >>"$LOG" 2>&1 </dev/null &
    pid=$!
fi

for _ in $(seq 1 "$WAIT_SECONDS"); do
    if docker info >/dev/null 2>&1; then
        echo "docker: ready"
        exit 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
        skip "dockerd exited at start: $(tail -n 3 "$LOG" 2>/dev/null | tr '\n' ' ')"
    fi
    sleep 1
done
skip "dockerd did not answer within ${WAIT_SECONDS} s: $(tail -n 3 "$LOG" 2>/dev/null | tr '\n' ' ')"
