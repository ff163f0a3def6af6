#!/usr/bin/env bash
# Installs the .deb on a bare Debian 12 (debootstrap --variant=minbase, no Swift toolchain) in a
# chroot, backs up a room from there over TCP against a throwaway PostgreSQL on the host and
# verifies the archive inside the chroot; checks the man pages, completions, units, the user and
# directory postinst makes, and that purge keeps the backups. Run as root (`make test-deb`).
#
#   DEB=dist/x.deb          test this package instead of running `make deb`
#   SENTIENT_DEB_CACHE=DIR  where the pristine chroot and the apt archives are cached
#                           (default /var/cache/sentient-snap-debootstrap; delete it to refresh)
#   SENTIENT_DEB_MIRROR=URL the Debian mirror (default: the first in /etc/apt/sources.list*)
#   SENTIENT_TEST_PG_BIN    PostgreSQL binaries for the host server (default /usr/lib/postgresql/15/bin)
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
started=$(date +%s)
step() { printf '\n==> [%ss] %s\n' "$(( $(date +%s) - started ))" "$*"; }
fail() { echo "test-deb: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot, dpkg)"
for tool in debootstrap chroot dpkg-deb lintian; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing: apt-get install debootstrap lintian dpkg-dev"
done
PG_BIN=${SENTIENT_TEST_PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$PG_BIN/initdb" ] || fail "no initdb in $PG_BIN: install postgresql-15 or set SENTIENT_TEST_PG_BIN"
id postgres >/dev/null 2>&1 || fail "no user postgres to run the throwaway server as"

CACHE=${SENTIENT_DEB_CACHE:-/var/cache/sentient-snap-debootstrap}
BASE="$CACHE/bookworm-minbase.tar"

mirror() {
    if [ -n "${SENTIENT_DEB_MIRROR:-}" ]; then echo "$SENTIENT_DEB_MIRROR"; return; fi
    local url
    # deb822 (.sources) first, then one-line sources.list entries; the first non-security one.
    url=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }')
    [ -n "$url" ] || url=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
        | awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|ftp):/ && $i !~ /security/) { print $i; exit } }')
    echo "${url:-http://deb.debian.org/debian}"
}

# --- the package -----------------------------------------------------------------------------
if [ -z "${DEB:-}" ]; then
    step "make deb"
    t0=$(date +%s)
    make --no-print-directory deb
    echo "test-deb: make deb took $(( $(date +%s) - t0 ))s"
    VERSION=$(sed -n 's/.*static let current = "\([^"]*\)".*/\1/p' Sources/SentientSnap/SnapError.swift)
    DEB="dist/sentient-snap_${VERSION}_$(dpkg --print-architecture).deb"
fi
[ -f "$DEB" ] || fail "no package at $DEB"
DEB=$(realpath "$DEB")
echo "test-deb: $DEB ($(du -h "$DEB" | cut -f1))"

step "lintian"
# Errors fail the test; the warnings accepted are listed in README.md ("Install from the .deb").
lintian --tag-display-limit 0 "$DEB" | tee "${TMPDIR:-/tmp}/sentient-snap-lintian.txt" || true
if grep -q '^E:' "${TMPDIR:-/tmp}/sentient-snap-lintian.txt"; then fail "lintian reports errors"; fi

# --- a bare Debian 12 ------------------------------------------------------------------------
if [ ! -f "$BASE" ]; then
    MIRROR=$(mirror)
    step "debootstrap --variant=minbase bookworm from $MIRROR (cached in $BASE)"
    mkdir -p "$CACHE"
    rm -rf "$CACHE/root.new"
    debootstrap --variant=minbase bookworm "$CACHE/root.new" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
        || { tail -n 20 "$CACHE/debootstrap.log" >&2; fail "debootstrap failed (log: $CACHE/debootstrap.log)"; }
    tar -C "$CACHE/root.new" -cf "$BASE.new" .
    mv "$BASE.new" "$BASE"
    rm -rf "$CACHE/root.new"
fi

ROOT=$(mktemp -d /var/tmp/sentient-snap-deb-root.XXXXXX)
PGDIR=$(mktemp -d /var/tmp/sentient-snap-deb-pg.XXXXXX)
MOUNTS=()
cleanup() {
    set +e
    if [ -f "$PGDIR/data/postmaster.pid" ]; then runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1; fi
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount -l "${MOUNTS[i]}"; done
    # Only after every mount is gone: never delete through a bind mount.
    if ! grep -q " $ROOT/" /proc/mounts; then rm -rf "$ROOT"; fi
    rm -rf "$PGDIR"
}
trap cleanup EXIT
step "unpacking the cached chroot into $ROOT"
tar -C "$ROOT" -xf "$BASE"
for d in proc dev; do
    mount --bind "/$d" "$ROOT/$d" && MOUNTS+=("$ROOT/$d")
done
mkdir -p "$CACHE/apt-archives/partial"
mount --bind "$CACHE/apt-archives" "$ROOT/var/cache/apt/archives" && MOUNTS+=("$ROOT/var/cache/apt/archives")
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
in_root() { chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

in_root sh -c 'command -v swift' && fail "the chroot has a swift binary"
in_root sh -c 'ls /usr/lib/swift /usr/lib/x86_64-linux-gnu/libswiftCore.so 2>/dev/null' && fail "the chroot has a Swift runtime"

step "apt-get install ./$(basename "$DEB") in the chroot"
cp "$DEB" "$ROOT/tmp/"
in_root apt-get update -qq
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "/tmp/$(basename "$DEB")" >"$PGDIR/apt.log" 2>&1 \
    || { tail -n 30 "$PGDIR/apt.log" >&2; fail "apt-get install of the package failed"; }
grep -E '^(Setting up|Unpacking) ' "$PGDIR/apt.log" | sed 's/^/    /'

step "the binary: dynamic libraries only from the system, no Swift runtime"
in_root ldd /usr/bin/sentient-snap | tee "$PGDIR/ldd.txt"
grep -q 'not found' "$PGDIR/ldd.txt" && fail "a library is missing in the chroot"
grep -qi swift "$PGDIR/ldd.txt" && fail "the binary links a Swift library dynamically"
in_root sentient-snap --version
in_root dpkg-query -W -f='Depends: ${Depends}\nRecommends: ${Recommends}\nInstalled-Size: ${Installed-Size} KiB\n' sentient-snap

step "contents (dpkg -L)"
in_root dpkg -L sentient-snap >"$PGDIR/contents.txt"
for f in /usr/bin/sentient-snap \
    /usr/share/man/man1/sentient-snap.1.gz /usr/share/man/man1/sentient-snap-backup.1.gz \
    /usr/share/man/man1/sentient-snap-backup-all.1.gz /usr/share/man/man1/sentient-snap-restore.1.gz \
    /usr/share/man/man1/sentient-snap-sync-offsite.1.gz /usr/share/man/man1/sentient-snap-status.1.gz \
    /usr/share/bash-completion/completions/sentient-snap /usr/share/zsh/vendor-completions/_sentient-snap \
    /usr/share/fish/vendor_completions.d/sentient-snap.fish \
    /lib/systemd/system/sentient-backup@.service /lib/systemd/system/sentient-backup@.timer \
    /lib/systemd/system/sentient-offsite-sync.service /lib/systemd/system/sentient-prune.timer \
    /usr/lib/sentient-snap/backup-room.sh /usr/lib/sentient-snap/_common.sh /etc/sentient/offsite.env \
    /usr/share/doc/sentient-snap/copyright; do
    grep -qxF "$f" "$PGDIR/contents.txt" || fail "dpkg -L sentient-snap lacks $f"
    [ -e "$ROOT$f" ] || fail "$f is not installed"
done
echo "    $(grep -c . "$PGDIR/contents.txt") paths, all expected ones present"
# Every subcommand has its page, and man renders it.
for cmd in $(in_root sentient-snap --help | awk '/^SUBCOMMANDS:/ { on = 1; next } on && /^  [a-z]/ { print $1 }'); do
    [ -f "$ROOT/usr/share/man/man1/sentient-snap-$cmd.1.gz" ] || fail "no man page for sentient-snap $cmd"
done
MANPATH="$ROOT/usr/share/man" man -w sentient-snap-backup | grep -q "sentient-snap-backup.1.gz" || fail "man -w sentient-snap-backup"
MANPATH="$ROOT/usr/share/man" MANWIDTH=80 man sentient-snap-backup 2>/dev/null | grep -q -- "--pg-port" || fail "man sentient-snap-backup does not render the options"
grep -q 'sentient-snap' "$ROOT/usr/share/bash-completion/completions/sentient-snap" || fail "empty bash completion"
grep -q '/usr/local' "$ROOT"/lib/systemd/system/* && fail "a unit still names /usr/local"
grep -q 'ExecStart=/usr/bin/sentient-snap backup' "$ROOT/lib/systemd/system/sentient-backup@.service" || fail "the backup unit does not run /usr/bin/sentient-snap"
# stat in the chroot: its users and groups, not the host's.
[ "$(in_root stat -c '%a %U %G' /etc/sentient/offsite.env)" = "640 root sentient-backup" ] \
    || fail "/etc/sentient/offsite.env is $(in_root stat -c '%a %U %G' /etc/sentient/offsite.env), not 640 root sentient-backup"
in_root dpkg-query -W -f='${Conffiles}\n' sentient-snap | grep -q /etc/sentient/offsite.env || fail "offsite.env is not a conffile"

step "postinst: user sentient-backup and /var/backups/sentient (0750)"
in_root getent passwd sentient-backup || fail "postinst did not create the user sentient-backup"
[ "$(in_root stat -c '%a %U %G' /var/backups/sentient)" = "750 sentient-backup sentient-backup" ] \
    || fail "/var/backups/sentient is $(in_root stat -c '%a %U %G' /var/backups/sentient)"
in_root sh -c 'systemctl is-enabled sentient-backup@pharaohs.timer 2>/dev/null' && fail "postinst enabled a timer"

# --- a backup from the chroot over TCP -------------------------------------------------------
step "a throwaway PostgreSQL on the host"
chown postgres "$PGDIR"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
runuser -u postgres -- "$PG_BIN/initdb" -D "$PGDIR/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGDIR -c fsync=off" start >/dev/null
psql_host() { runuser -u postgres -- "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres "$@"; }
psql_host -d postgres -c "CREATE ROLE sentient LOGIN PASSWORD 'deb-test'" -c "CREATE DATABASE sentient OWNER sentient"
psql_host -d sentient -c "SET ROLE sentient" \
    -c "CREATE TABLE events (id bigserial PRIMARY KEY, room_id text NOT NULL, kind text, at timestamptz DEFAULT now())" \
    -c "INSERT INTO events (room_id, kind) SELECT 'pharaohs', 'puzzle-' || g FROM generate_series(1, 5000) g" \
    -c "CREATE TABLE settings (key text PRIMARY KEY, value jsonb)" \
    -c "INSERT INTO settings VALUES ('timer', '{\"minutes\": 60}')"

step "sentient-snap backup in the chroot, as root, over TCP to 127.0.0.1:$PORT"
mkdir -p "$ROOT/tmp/out" "$ROOT/tmp/metrics"
in_root env PGPASSWORD=deb-test sentient-snap backup pharaohs /tmp/out --host 127.0.0.1 --pg-port "$PORT" \
    --no-config --no-mqtt --allow-root --metrics-dir /tmp/metrics
ARCHIVE=$(cd "$ROOT/tmp/out" && ls sentient-pharaohs-*.tar.gz)
in_root sentient-snap verify "/tmp/out/$ARCHIVE"
grep -q '^sentient_backup_rows{room="pharaohs"} 5001$' "$ROOT/tmp/metrics/sentient-backup-pharaohs.prom" \
    || fail "the metrics file does not count 5001 rows: $(cat "$ROOT/tmp/metrics/sentient-backup-pharaohs.prom")"

step "the same as the systemd unit runs it: user sentient-backup into /var/backups/sentient"
printf 'SENTIENT_HOST=127.0.0.1\nSENTIENT_PG_PORT=%s\nSENTIENT_PG_PASSWORD=deb-test\n' "$PORT" > "$ROOT/etc/sentient/pharaohs.env"
in_root chown root:sentient-backup /etc/sentient/pharaohs.env
in_root chmod 0640 /etc/sentient/pharaohs.env
in_root runuser -u sentient-backup -- sentient-snap backup pharaohs /var/backups/sentient --env-dir /etc/sentient \
    --no-config --no-mqtt --quiet
in_root runuser -u sentient-backup -- sentient-snap status /var/backups/sentient --room pharaohs
BACKUP=$(cd "$ROOT/var/backups/sentient" && ls sentient-pharaohs-*.tar.gz)

step "dpkg --purge keeps the backups"
in_root dpkg --purge sentient-snap
[ -f "$ROOT/var/backups/sentient/$BACKUP" ] || fail "purge removed $BACKUP"
[ ! -e "$ROOT/usr/bin/sentient-snap" ] || fail "purge left /usr/bin/sentient-snap"
[ ! -e "$ROOT/etc/sentient/offsite.env" ] || fail "purge left the conffile /etc/sentient/offsite.env"
in_root getent passwd sentient-backup >/dev/null || fail "purge removed the user that owns the kept backups"

step "install again, empty the backup dir, purge: only then the user and the dir go"
in_root dpkg -i "/tmp/$(basename "$DEB")" >/dev/null
rm -f "$ROOT"/var/backups/sentient/*
in_root dpkg --purge sentient-snap
[ ! -e "$ROOT/var/backups/sentient" ] || fail "purge left the empty /var/backups/sentient it created"
in_root getent passwd sentient-backup >/dev/null && fail "purge left the user sentient-backup it created"
in_root getent group sentient-backup >/dev/null && fail "purge left the group sentient-backup it created"

step "done"
echo "test-deb: passed in $(( $(date +%s) - started ))s"
