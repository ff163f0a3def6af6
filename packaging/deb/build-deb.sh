#!/usr/bin/env bash
# Builds dist/sentient-snap_<version>_<arch>.deb with dpkg-deb (run by `make deb`).
#
# The binary links the Swift runtime statically, so the package needs no Swift toolchain;
# Depends: comes from dpkg-shlibdeps over what it still links dynamically (libpq, zlib, libisal, libc,
# libstdc++...). Man pages come from swift-argument-parser's generate-manual plugin, the
# completions from the binary's --generate-completion-script.
#
# Needs: a Swift toolchain, libpq-dev zlib1g-dev libisal-dev pkg-config (make deps) and dpkg-dev.
# SWIFT overrides the swift binary.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT_DIR=$PWD
SWIFT=${SWIFT:-swift}
step() { printf '==> %s\n' "$*"; }

for tool in dpkg-deb dpkg-shlibdeps; do
    command -v "$tool" >/dev/null 2>&1 || { echo "make deb: $tool is missing: apt-get install dpkg-dev" >&2; exit 1; }
done

# The one version string: SentientSnapVersion.current.
VERSION=$(sed -n 's/.*static let current = "\([^"]*\)".*/\1/p' Sources/SentientSnap/SnapError.swift)
[ -n "$VERSION" ] || { echo "make deb: cannot read SentientSnapVersion.current from Sources/SentientSnap/SnapError.swift" >&2; exit 1; }
ARCH=$(dpkg --print-architecture)

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/sentient-snap-deb.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
STAGE_MAN="$STAGE/man"
# The manual's and changelog's date: the last commit's (reproducible), else now.
EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

step "release build with the Swift runtime linked statically"
# --disable-local-rpath: no $ORIGIN RUNPATH (nothing is loaded from beside the binary).
STATIC_FLAGS=(-c release --static-swift-stdlib --disable-local-rpath)
$SWIFT build "${STATIC_FLAGS[@]}" --product sentient-snap
BIN="$($SWIFT build "${STATIC_FLAGS[@]}" --show-bin-path)/sentient-snap"
built=$("$BIN" --version)
[ "$built" = "$VERSION" ] || { echo "make deb: the built binary says version $built, SnapError.swift says $VERSION" >&2; exit 1; }
if ldd "$BIN" | grep -Ei 'swift|not found'; then
    echo "make deb: $BIN still links the Swift runtime dynamically (or misses a library)" >&2; exit 1
fi

step "man pages (swift-argument-parser's generate-manual)"
# The tool behind argument-parser's generate-manual plugin, run over the binary being packaged
# (one page per subcommand with --multi-page). Not through `swift package generate-manual`: the
# plugin first rebuilds every product in release without --static-swift-stdlib, and SwiftPM
# passes -static-stdlib to every Swift compile, so each switch recompiles all Swift modules
# (measured: +200 s on 2 cores). The tool itself is a small debug build.
$SWIFT build --product generate-manual
MAN_SRC="$STAGE_MAN"
rm -rf "$MAN_SRC" && mkdir -p "$MAN_SRC"
"$($SWIFT build --show-bin-path)/generate-manual" "$BIN" --multi-page --section 1 \
    --date "$(date -u -d "@$EPOCH" +%Y-%m-%d)" --output-directory "$MAN_SRC" >/dev/null
[ -f "$MAN_SRC/sentient-snap.1" ] || { echo "make deb: generate-manual wrote no $MAN_SRC/sentient-snap.1" >&2; exit 1; }

PKG="$STAGE/pkg"
step "staging in $PKG"
install -d "$PKG/DEBIAN" "$PKG/usr/bin" "$PKG/usr/lib/sentient-snap" "$PKG/lib/systemd/system" \
    "$PKG/usr/share/man/man1" "$PKG/usr/share/doc/sentient-snap" "$PKG/etc/sentient" \
    "$PKG/usr/share/bash-completion/completions" "$PKG/usr/share/zsh/vendor-completions" \
    "$PKG/usr/share/fish/vendor_completions.d"

install -m 0755 "$BIN" "$PKG/usr/bin/sentient-snap"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$PKG/usr/bin/sentient-snap"

install -m 0644 ops/backup/_common.sh "$PKG/usr/lib/sentient-snap/_common.sh"
for f in backup-room.sh restore-room.sh sync-offsite.sh cleanup-backups.sh; do
    sed 's#/usr/local/bin/sentient-snap#/usr/bin/sentient-snap#g' "ops/backup/$f" > "$PKG/usr/lib/sentient-snap/$f"
    chmod 0755 "$PKG/usr/lib/sentient-snap/$f"
done
for f in ops/systemd/*.service ops/systemd/*.timer; do
    sed 's#/usr/local/bin/sentient-snap#/usr/bin/sentient-snap#g' "$f" > "$PKG/lib/systemd/system/$(basename "$f")"
    chmod 0644 "$PKG/lib/systemd/system/$(basename "$f")"
done

# generate-manual names a subcommand's page sentient-snap.backup(1); Debian's convention (git,
# systemd) is sentient-snap-backup(1), so `man sentient-snap-backup` finds it. The page of the
# implicit `help` subcommand is left out.
for page in "$MAN_SRC"/*.1; do
    name=$(basename "$page" .1)
    [ "$name" = "sentient-snap.help" ] && continue
    name=${name/sentient-snap./sentient-snap-}
    # NAME says sentient-snap-backup (what whatis/apropos index), SYNOPSIS `sentient-snap
    # backup` (what one types); blank lines in the help text become mdoc paragraphs (.Pp).
    sed -e '/^\.Xr sentient-snap\.help 1/d' \
        -e 's/^\.Xr sentient-snap\./.Xr sentient-snap-/' \
        -e 's/^\(\.Dt SENTIENT-SNAP\)\./\1-/' \
        -e 's/^$/.Pp/' "$page" \
        | awk -v page="$name" '
            /^\.Nm "sentient-snap [^"]*"$/ && !named { synopsis = substr($0, 5); print ".Nm " page; named = 1; next }
            /^\.Nm$/ && synopsis != "" { print ".Nm " synopsis; next }
            { print }' \
        | gzip -9n > "$PKG/usr/share/man/man1/$name.1.gz"
    chmod 0644 "$PKG/usr/share/man/man1/$name.1.gz"
done

# bash-completion sources the file: no #! line (lintian: bash-completion-with-hashbang).
"$BIN" --generate-completion-script bash | sed '1{/^#!/d}' > "$PKG/usr/share/bash-completion/completions/sentient-snap"
"$BIN" --generate-completion-script zsh > "$PKG/usr/share/zsh/vendor-completions/_sentient-snap"
"$BIN" --generate-completion-script fish > "$PKG/usr/share/fish/vendor_completions.d/sentient-snap.fish"
chmod 0644 "$PKG"/usr/share/bash-completion/completions/* "$PKG"/usr/share/zsh/vendor-completions/* \
    "$PKG"/usr/share/fish/vendor_completions.d/*

install -m 0640 packaging/deb/offsite.env "$PKG/etc/sentient/offsite.env"
install -m 0644 packaging/deb/copyright "$PKG/usr/share/doc/sentient-snap/copyright"
install -d "$PKG/usr/share/lintian/overrides"
install -m 0644 packaging/deb/lintian-overrides "$PKG/usr/share/lintian/overrides/sentient-snap"
# A native package's changelog (Debian format), stamped with the version being built.
{
    printf 'sentient-snap (%s) stable; urgency=medium\n\n' "$VERSION"
    printf '  * Release %s; see README.md for what changed.\n\n' "$VERSION"
    printf ' -- Sentient Engine operators <ops@sentient-engine.invalid>  %s\n' \
        "$(LC_ALL=C date -R -d "@$EPOCH")"
} | gzip -9n > "$PKG/usr/share/doc/sentient-snap/changelog.gz"
chmod 0644 "$PKG/usr/share/doc/sentient-snap/changelog.gz"

install -m 0644 packaging/deb/conffiles "$PKG/DEBIAN/conffiles"
install -m 0755 packaging/deb/postinst packaging/deb/postrm "$PKG/DEBIAN/"

step "Depends: (dpkg-shlibdeps over the binary)"
# dpkg-shlibdeps wants a debian/control to read; a minimal one in a scratch dir will do.
mkdir -p "$STAGE/src/debian"
printf 'Source: sentient-snap\n\nPackage: sentient-snap\nArchitecture: any\n' > "$STAGE/src/debian/control"
DEPENDS=$(cd "$STAGE/src" && dpkg-shlibdeps -O "$PKG/usr/bin/sentient-snap" | sed -n 's/^shlibs:Depends=//p')
[ -n "$DEPENDS" ] || { echo "make deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
INSTALLED_SIZE=$(du -sk --exclude=DEBIAN "$PKG" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@DEPENDS@/$DEPENDS/" \
    -e "s/@INSTALLED_SIZE@/$INSTALLED_SIZE/" packaging/deb/control.in > "$PKG/DEBIAN/control"
(cd "$PKG" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) > "$PKG/DEBIAN/md5sums"
chmod 0644 "$PKG/DEBIAN/control" "$PKG/DEBIAN/md5sums"

mkdir -p dist
OUT="dist/sentient-snap_${VERSION}_${ARCH}.deb"
step "writing $OUT"
# --root-owner-group: every file root:root without fakeroot (the offsite.env's group is set
# by postinst with dpkg-statoverride).
dpkg-deb --root-owner-group -Zxz --build "$PKG" "$OUT" >/dev/null
echo "$OUT: $(du -h "$OUT" | cut -f1), Depends: $DEPENDS"
