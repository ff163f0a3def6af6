#!/usr/bin/env python3
"""sentient-snap benchmark (see bench/run.sh and README "Benchmark").

Starts a throwaway PostgreSQL, loads an event store of N events and measures, in one run and
interleaved round by round so drift hits every tool alike:

  copy-floor       COPY events TO STDOUT via psql into /dev/null (what the server alone costs)
  pg_dump -Fc      stock pg_dump, custom format
  old pipeline     pg_dump -Fc into a directory, then tar -czf of it (the old backup-room.sh)
  snap backup      sentient-snap backup --no-mqtt --no-config (default level)
  pg_restore -j2   stock pg_restore into an empty database
  snap restore     sentient-snap restore into a new room database (verify, staging, swap)

Each: wall time, client CPU (user+sys), peak RSS (GNU time), archive size. Then a compression
level sweep, backup peak RSS at N/4 and N (and 4N with --scale), and the downtime of a restore
over a live database with a stand-in for the room's /ready endpoint.
"""
import argparse
import datetime as dt
import http.server
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ROOM = "pharaohs"


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """A throwaway PostgreSQL cluster (initdb + pg_ctl in /tmp), as scripts/demo.sh starts one."""

    def __init__(self, pg_bin, workdir):
        self.pg_bin = pg_bin
        self.dir = os.path.join(workdir, "pg")
        self.port = free_port()
        self.as_user = []
        os.makedirs(self.dir)
        if os.getuid() == 0:
            if subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
                subprocess.run(["useradd", "--system", "--user-group", "postgres"], check=True)
            shutil.chown(self.dir, "postgres")
            os.chmod(workdir, 0o755)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def start(self):
        data = os.path.join(self.dir, "data")
        subprocess.run(self.as_user + [f"{self.pg_bin}/initdb", "-D", data, "-U", "sentient", "--auth=trust",
                                       "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"],
                       check=True, cwd="/", stdout=subprocess.DEVNULL)
        opts = (f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.dir}"
                " -c fsync=off -c max_wal_size=8GB -c checkpoint_timeout=30min -c shared_buffers=256MB")
        subprocess.run(self.as_user + [f"{self.pg_bin}/pg_ctl", "-D", data, "-l", os.path.join(self.dir, "server.log"),
                                       "-w", "-o", opts, "start"], check=True, cwd="/", stdout=subprocess.DEVNULL)

    def stop(self):
        subprocess.run(self.as_user + [f"{self.pg_bin}/pg_ctl", "-D", os.path.join(self.dir, "data"), "-m", "fast",
                                       "stop"], cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    @property
    def env(self):
        env = dict(os.environ)
        env.update(PGHOST="127.0.0.1", PGPORT=str(self.port), PGUSER="sentient", PGPASSFILE="/nonexistent/pgpass")
        return env

    def psql(self, db, sql, capture=False):
        r = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql],
                           env=self.env, check=True, capture_output=True, text=True)
        return r.stdout.strip()


# Realistic events: the orchestrator's table (Fixtures/event-store.sql), varied text with tabs,
# newlines, backslashes, unicode and NULLs (as the tests' RoomFixture), jsonb fields of a few
# shapes, sessions of ~400 events. About 215 bytes of COPY text per row (428 MB at 2M).
INSERT_EVENTS = r"""
INSERT INTO events (ts, level, event, msg, fields, room_id, session_id)
SELECT '2024-01-01 09:00:00+00'::timestamptz + g * interval '137 milliseconds',
       (ARRAY['info','info','info','debug','warn','error'])[1 + g % 6],
       (ARRAY['puzzle_solved','device_state','hint_requested','timer_tick','mqtt_message',
              'player_action','game_started','door_opened','sensor_reading','audio_cue'])[1 + (g * 7) % 10],
       CASE g % 12 WHEN 0 THEN NULL
                   WHEN 1 THEN E'hint\tshown on screen ' || (g % 9) || E'\tafter ' || (g % 300) || 's'
                   WHEN 2 THEN E'line1\nline2\r\nplayer said: "where is the key?"'
                   WHEN 3 THEN E'path C:\\rooms\\pharaohs\\' || (g % 40) || E' and \\. dot'
                   WHEN 4 THEN 'ünïcødé ✓ 🎲 Pharaoh''s tomb, chamber ' || (g % 17)
                   WHEN 5 THEN 'sensor ' || substr(md5(g::text), 1, 10) || ' reported ' || (g % 1000)
                   ELSE 'pressed scarab ' || (g % 97) || ' on panel ' || (g % 13)
                        || ' (attempt ' || (g % 7) || ', req ' || substr(md5(g::text || 'r'), 1, 12) || ')' END,
       CASE WHEN g % 11 = 0 THEN NULL
            WHEN g % 3 = 0 THEN jsonb_build_object('reading', random(), 'device', 'panel' || (g % 13), 'state',
                 (ARRAY['on','off','blinking'])[1 + g % 3], 'value', round(((g * 2654435761::bigint) % 100000) / 1000.0, 3),
                 'trace', md5(g::text))
            WHEN g % 3 = 1 THEN jsonb_build_object('step', g % 40, 'elapsed_ms', (g * 7919::bigint) % 3600007,
                 'request_id', substr(md5((g * 31)::text), 1, 20),
                 'txt', E'a\tb\nc')
            ELSE jsonb_build_object('reading', random(), 'topic', 'dev/' || (g % 29),
                 'payload', substr(md5((g * 17)::text), 1, 8 + g % 17),
                 'nested', jsonb_build_object('deep', E'q"uote\\ \\.'))
       END,
       'pharaohs',
       CASE WHEN g % 5 = 0 THEN NULL ELSE 'game-' || (g / 400) END
FROM generate_series({start}, {end}) g;
"""


def load_events(server, db, start, end, step=500_000):
    s = start
    while s <= end:
        e = min(end, s + step - 1)
        server.psql(db, INSERT_EVENTS.format(start=s, end=e))
        s = e + 1


def create_event_db(server, db, events):
    log(f"loading {events:,} events into {db}")
    t = time.time()
    server.psql("postgres", f"CREATE DATABASE {db}")
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-f",
                    os.path.join(ROOT, "Fixtures", "event-store.sql")], env=server.env, check=True)
    load_events(server, db, 1, events)
    # Hint bits and visibility map set now, so no measured run pays for them.
    server.psql(db, "VACUUM (FREEZE, ANALYZE) events")
    server.psql(db, "CHECKPOINT")
    size = int(server.psql(db, "SELECT pg_total_relation_size('events')"))
    log(f"loaded {db} in {time.time() - t:.1f} s ({size / 1e6:.0f} MB on disk)")


def measure(cmd, env, stdout=subprocess.DEVNULL, timeout=3600, stderr_to=None):
    """Runs cmd under GNU time; returns wall, cpu, peak RSS (KiB) and the process result."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = ["/usr/bin/time", "-o", tf.name, "-f", "%e %U %S %M"] + cmd
        t0 = time.perf_counter()
        r = subprocess.run(full, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=timeout)
        wall = time.perf_counter() - t0
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-3000:]}")
        fields = tf.read().split()[-4:]
    _, user, sys_, rss = fields
    return {"wall": wall, "cpu": float(user) + float(sys_), "rss_kib": int(rss)}, r


def dir_size(path):
    total = 0
    for base, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(base, f))
    return total


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix="sentient-bench.")
        self.server = Server(args.pg_bin, self.work)
        self.out = os.path.join(self.work, "out")
        os.makedirs(self.out)
        os.chmod(self.out, 0o777)
        self.envdir = os.path.join(self.work, "env")
        os.makedirs(self.envdir)
        with open(os.path.join(self.envdir, f"{ROOM}.env"), "w") as f:
            f.write("# bench: every setting comes from flags\n")
        self.results = {}
        self.archives = {}
        self.counter = 0

    def fresh(self, name):
        self.counter += 1
        path = os.path.join(self.out, f"{name}-{self.counter}")
        os.makedirs(path)
        os.chmod(path, 0o777)
        return path

    def snap_common(self, db):
        s = self.server
        return ["--host", "127.0.0.1", "--pg-port", str(s.port), "--pg-user", "sentient", "--pg-database", db,
                "--env-dir", self.envdir, "--allow-root"]

    # ---- the measured commands ----

    def run_copy_floor(self, db):
        m, _ = measure(["psql", "-X", "-q", "-d", db, "-c", "COPY public.events TO STDOUT"], self.server.env)
        m["size"] = None
        return m

    def run_pg_dump(self, db):
        d = self.fresh("pgdump")
        path = os.path.join(d, "db.dump")
        m, _ = measure(["pg_dump", "-Fc", "-d", db, "-f", path], self.server.env)
        m["size"] = os.path.getsize(path)
        self.archives["pg_dump"] = path
        return m

    def run_old_pipeline(self, db):
        d = self.fresh("old")
        top = f"sentient-{ROOM}-old"
        script = (f'set -e; mkdir -p "{d}/{top}/db"; pg_dump -Fc -d {db} -f "{d}/{top}/db/database.dump"; '
                  f'tar -czf "{d}/{top}.tar.gz" -C "{d}" "{top}"')
        m, _ = measure(["sh", "-c", script], self.server.env)
        m["size"] = os.path.getsize(f"{d}/{top}.tar.gz")
        shutil.rmtree(f"{d}/{top}")
        return m

    def run_snap_backup(self, db, level=None, keep=None):
        d = self.fresh("snap")
        cmd = [self.args.bin, "backup", ROOM, d, "--no-mqtt", "--no-config", "--quiet"] + self.snap_common(db)
        if level is not None:
            cmd += ["--compress-level", str(level)]
        m, _ = measure(cmd, self.server.env)
        archives = [f for f in os.listdir(d) if f.endswith(".tar.gz")]
        path = os.path.join(d, archives[0])
        m["size"] = os.path.getsize(path)
        if keep:
            self.archives[keep] = path
        else:
            shutil.rmtree(d)
        return m

    def run_pg_restore(self, _db):
        target = f"pgr_{self.counter}"
        self.counter += 1
        self.server.psql("postgres", f"CREATE DATABASE {target}")
        m, _ = measure(["pg_restore", "-j2", "-d", target, self.archives["pg_dump"]], self.server.env)
        self.server.psql("postgres", f"DROP DATABASE {target}")
        m["size"] = None
        return m

    def run_snap_restore(self, _db, extra=()):
        target = f"snapr_{self.counter}"
        self.counter += 1
        cmd = [self.args.bin, "restore", ROOM, self.archives["snap"], "--room-control", "none", "--no-wait",
               "--force", "--no-config", "--no-mqtt", "--quiet"] + list(extra) + self.snap_common(target)
        m, _ = measure(cmd, self.server.env)
        if "correlation" not in self.results:
            # Rows spread over --jobs connections: how much of the heap order survived.
            self.results["correlation"] = {db: self.correlation(db) for db in ("sentient", target)}
            log(f"events.event_id correlation: source {self.results['correlation']['sentient']}, "
                f"restored {self.results['correlation'][target]}")
        for name in self.server.psql("postgres", f"SELECT datname FROM pg_database WHERE datname LIKE '{target}%'").split():
            self.server.psql("postgres", f'DROP DATABASE "{name}"')
        m["size"] = None
        return m

    def restore_pairs(self, db, label):
        """pg_restore -j2 of one pg_dump -Fc of db and snap restore of the scale archive, in
        `--scale-pairs` pairs whose order alternates (pg first, then snap first, ...), so drift
        of the machine hits both alike. Returns every run and the medians."""
        dump = os.path.join(self.fresh("scale-dump"), "db.dump")
        subprocess.run(["pg_dump", "-Fc", "-f", dump, db], env=self.server.env, check=True)

        def pg_restore():
            target = f"pgr_scale_{self.counter}"
            self.counter += 1
            self.server.psql("postgres", f"CREATE DATABASE {target}")
            m, _ = measure(["pg_restore", "-j2", "-d", target, dump], self.server.env)
            self.server.psql("postgres", f"DROP DATABASE {target}")
            return m

        def snap_restore():
            target = f"snapr_scale_{self.counter}"
            self.counter += 1
            cmd = [self.args.bin, "restore", ROOM, self.archives[f"scale_{label}"], "--room-control", "none", "--no-wait",
                   "--force", "--no-config", "--no-mqtt", "--quiet"] + self.snap_common(target)
            m, _ = measure(cmd, self.server.env)
            for name in self.server.psql("postgres", f"SELECT datname FROM pg_database WHERE datname LIKE '{target}%'").split():
                self.server.psql("postgres", f'DROP DATABASE "{name}"')
            return m

        runs = {"pg_restore": [], "snap_restore": []}
        for i in range(self.args.scale_pairs):
            order = [("pg_restore", pg_restore), ("snap_restore", snap_restore)]
            for key, fn in (order if i % 2 == 0 else order[::-1]):
                self.server.psql("postgres", "CHECKPOINT")
                runs[key].append(fn())
            log(f"restore {label} pair {i + 1}/{self.args.scale_pairs}: pg_restore -j2 {runs['pg_restore'][-1]['wall']:.2f} s, "
                f"snap {runs['snap_restore'][-1]['wall']:.2f} s")
        os.remove(dump)
        return {key: self.stats(samples) for key, samples in runs.items()}

    def correlation(self, db):
        self.server.psql(db, "ANALYZE events")
        return float(self.server.psql(db, "SELECT correlation FROM pg_stats WHERE schemaname = 'public' "
                                          "AND tablename = 'events' AND attname = 'event_id'"))

    def run_snap_verify(self, _db):
        m, _ = measure([self.args.bin, "verify", self.archives["snap"], "--quiet"], self.server.env)
        m["size"] = None
        return m

    # ---- downtime ----

    def downtime(self, db, archive, label):
        """Restores `archive` over a live room database while a stand-in for the room's API
        answers /ready 200 only when that database accepts queries. Downtime: from the swap's
        start (connections blocked) to the first /ready 200 after it."""
        live = f"live_{label}"
        self.server.psql("postgres", f"CREATE DATABASE {live} TEMPLATE {db}")
        env = self.server.env
        served = []

        class Ready(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                ok = False
                if self.path == "/ready":
                    r = subprocess.run(["psql", "-X", "-At", "-d", live, "-c", "SELECT 1 FROM events LIMIT 1"],
                                       env=dict(env, PGCONNECT_TIMEOUT="2"), capture_output=True)
                    ok = r.returncode == 0
                    served.append((time.time(), ok))
                self.send_response(200 if ok else 503)
                self.end_headers()
                self.wfile.write(b"ok\n" if ok else b"not ready\n")

            def log_message(self, *a):
                pass

        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ready)
        api_port = httpd.server_address[1]
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        try:
            cmd = [self.args.bin, "restore", ROOM, archive, "--room-control", "none", "--force", "--no-config",
                   "--no-mqtt", "--json", "--api-port", str(api_port), "--ready-timeout", "120"] + self.snap_common(live)
            m, r = measure(cmd, self.server.env, stdout=subprocess.PIPE)
            result = json.loads(r.stdout)
        finally:
            httpd.shutdown()
        swap = dt.datetime.fromisoformat(result["swap_started_at"].replace("Z", "+00:00")).timestamp()
        first_ok = next((t for t, ok in served if ok and t >= swap), None)
        for name in self.server.psql("postgres", f"SELECT datname FROM pg_database WHERE datname LIKE '{live}%'").split():
            self.server.psql("postgres", f'DROP DATABASE "{name}" WITH (FORCE)')
        return {
            "downtime": (first_ok - swap) if first_ok else None,
            "swap_duration": result.get("swap_duration_seconds"),
            "restore_wall": m["wall"],
            "ready": result.get("ready"),
        }

    # ---- the run ----

    def main(self):
        a = self.args
        self.server.start()
        try:
            self.run()
        finally:
            self.server.stop()
            if not a.keep:
                shutil.rmtree(self.work, ignore_errors=True)
            else:
                log(f"kept {self.work}")

    def stats(self, samples):
        out = {}
        for key in ("wall", "cpu", "rss_kib", "size"):
            vals = [s[key] for s in samples if s.get(key) is not None]
            if vals:
                out[key] = {"median": statistics.median(vals), "min": min(vals), "max": max(vals)}
        out["samples"] = samples
        return out

    def run(self):
        a = self.args
        N = a.events
        create_event_db(self.server, "sentient", N)
        copy_bytes = int(subprocess.run(
            "psql -X -q -d sentient -c 'COPY public.events TO STDOUT' | wc -c", shell=True, env=self.server.env,
            capture_output=True, text=True, check=True).stdout)
        log(f"COPY text: {copy_bytes / 1e6:.0f} MB ({copy_bytes / N:.0f} bytes per event)")

        tools = [
            ("copy_floor", "COPY TO /dev/null (psql)", self.run_copy_floor),
            ("pg_dump", "pg_dump -Fc", self.run_pg_dump),
            ("old_pipeline", "old: pg_dump -Fc + tar -czf", self.run_old_pipeline),
            ("snap_backup", "sentient-snap backup", lambda db: self.run_snap_backup(db, keep="snap")),
            ("pg_restore", "pg_restore -j2", self.run_pg_restore),
            ("snap_restore", "sentient-snap restore", self.run_snap_restore),
            # The same restore with every row sent as COPY text, as pg_restore sends it: what binary COPY saves.
            ("snap_restore_text", "  with --text-copy", lambda db: self.run_snap_restore(db, ["--text-copy"])),
            ("snap_verify", "  of which verify (alone)", self.run_snap_verify),
        ]
        if a.only:
            wanted = set(a.only.split(","))
            tools = [t for t in tools if t[0] in wanted or t[0] in ("pg_dump", "snap_backup")]
        samples = {key: [] for key, _, _ in tools}
        # Warm-up: page cache, catalog caches; not measured.
        self.run_copy_floor("sentient")
        for rnd in range(a.runs):
            for key, label, fn in tools:
                m = fn("sentient")
                samples[key].append(m)
                log(f"round {rnd + 1}/{a.runs} {label}: {m['wall']:.2f} s, cpu {m['cpu']:.2f} s, "
                    f"rss {m['rss_kib'] / 1024:.1f} MiB" + (f", {m['size'] / 1e6:.1f} MB" if m.get("size") else ""))
        main = {key: dict(label=label, **self.stats(samples[key])) for key, label, _ in tools}
        self.results["main"] = main

        sweep = {}
        if a.sweep:
            for level in [int(x) for x in a.levels.split(",")]:
                runs = [self.run_snap_backup("sentient", level=level) for _ in range(a.sweep_runs)]
                sweep[str(level)] = self.stats(runs)
                s = sweep[str(level)]
                log(f"level {level}: {s['wall']['median']:.2f} s, {s['size']['median'] / 1e6:.1f} MB, cpu {s['cpu']['median']:.2f} s")
        self.results["sweep"] = sweep

        scaling = {}
        downtime = {}
        restores = {}
        if a.scaling:
            sizes = [("N/4", N // 4, "sentient_q"), ("N", N, "sentient")]
            if a.scale:
                sizes.append(("4N", 4 * N, "sentient_4n"))
            for label, n, db in sizes:
                if db != "sentient":
                    if n > N:
                        self.server.psql("postgres", f"CREATE DATABASE {db} TEMPLATE sentient")
                        log(f"adding {n - N:,} events to {db}")
                        load_events(self.server, db, N + 1, n)
                        self.server.psql(db, "VACUUM (FREEZE, ANALYZE) events")
                        self.server.psql(db, "CHECKPOINT")
                    else:
                        create_event_db(self.server, db, n)
                m = self.run_snap_backup(db, keep=f"scale_{label}")
                scaling[label] = {"events": n, **m}
                log(f"scaling {label} ({n:,} events): backup {m['wall']:.2f} s, peak RSS {m['rss_kib'] / 1024:.1f} MiB")
                if label == "4N":
                    restores[label] = {"events": n, **self.restore_pairs(db, label)}
                    r4 = restores[label]
                    log(f"restore {label}: snap {r4['snap_restore']['wall']['median']:.2f} s (peak RSS "
                        f"{r4['snap_restore']['rss_kib']['max'] / 1024:.1f} MiB), pg_restore -j2 "
                        f"{r4['pg_restore']['wall']['median']:.2f} s (medians)")
                if a.downtime and (label != "N/4"):
                    d = self.downtime(db, self.archives[f"scale_{label}"], label.replace("/", "_").lower())
                    downtime[label] = {"events": n, **d}
                    log(f"downtime {label}: {d['downtime']}")
        self.results["scaling"] = scaling
        self.results["downtime"] = downtime
        self.results["restore_scaling"] = restores
        self.results["meta"] = {
            "events": N, "copy_bytes": copy_bytes, "runs": a.runs, "cores": os.cpu_count(),
            "host": platform.node(), "date": dt.datetime.now().isoformat(timespec="seconds"),
            "binary": a.bin, "pg_bin": a.pg_bin,
            "pg_dump": subprocess.run(["pg_dump", "--version"], capture_output=True, text=True).stdout.strip(),
            "commit": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                                     text=True).stdout.strip(),
        }
        self.report()

    def report(self):
        r = self.results
        main = r["main"]
        meta = r["meta"]

        def med(key, field="wall"):
            return main.get(key, {}).get(field, {}).get("median")

        lines = []
        lines.append(f"sentient-snap bench: {meta['events']:,} events ({meta['copy_bytes'] / 1e6:.0f} MB COPY text), "
                     f"{meta['runs']} run(s) each, {meta['cores']} cores, {meta['pg_dump']}, commit {meta['commit']}")
        lines.append("")
        hdr = f"{'':30} {'wall s (med [min-max])':>24} {'x ref':>6} {'cpu s':>7} {'peak RSS':>10} {'size MB':>9} {'x ref':>6}"
        lines.append(hdr)
        lines.append("-" * len(hdr))
        refs = {"copy_floor": "pg_dump", "pg_dump": "pg_dump", "old_pipeline": "pg_dump", "snap_backup": "pg_dump",
                "pg_restore": "pg_restore", "snap_restore": "pg_restore", "snap_restore_text": "pg_restore",
                "snap_verify": "pg_restore"}
        for key, m in main.items():
            w = m["wall"]
            ref = refs[key]
            ratio = w["median"] / med(ref) if med(ref) else float("nan")
            size = m.get("size", {}).get("median")
            ref_size = med("pg_dump", "size")
            size_s = f"{size / 1e6:9.1f}" if size else f"{'':>9}"
            size_r = f"{size / ref_size:6.3f}" if size and ref_size else f"{'':>6}"
            lines.append(f"{m['label']:30} {w['median']:8.2f} [{w['min']:.2f}-{w['max']:.2f}]".ljust(55)
                         + f" {ratio:6.2f} {m['cpu']['median']:7.2f} {m['rss_kib']['median'] / 1024:7.1f} MiB {size_s} {size_r}")
        lines.append("")
        if med("snap_backup") and med("old_pipeline"):
            lines.append(f"snap backup / old pipeline: {med('snap_backup') / med('old_pipeline'):.2f}x wall")
        if r.get("correlation"):
            source, restored = list(r["correlation"].values())
            lines.append(f"physical order after snap restore: pg_stats.correlation of events.event_id {restored:.5f} "
                         f"(source {source:.5f})")
        if r["sweep"]:
            lines.append("")
            lines.append("compression level sweep (sentient-snap backup, median):")
            lines.append(f"  {'level':>5} {'wall s':>8} {'x pg_dump':>10} {'cpu s':>7} {'size MB':>9} {'x pg_dump':>10}")
            for level, s in r["sweep"].items():
                lines.append(f"  {level:>5} {s['wall']['median']:8.2f} {s['wall']['median'] / med('pg_dump'):10.2f} "
                             f"{s['cpu']['median']:7.2f} {s['size']['median'] / 1e6:9.1f} "
                             f"{s['size']['median'] / med('pg_dump', 'size'):10.3f}")
        if r["scaling"]:
            lines.append("")
            lines.append("scaling (sentient-snap backup, one run each):")
            for label, s in r["scaling"].items():
                lines.append(f"  {label:>4} {s['events']:>11,} events: {s['wall']:7.2f} s, peak RSS {s['rss_kib'] / 1024:6.1f} MiB, "
                             f"{s['size'] / 1e6:.1f} MB")
        if r.get("restore_scaling"):
            lines.append("")
            lines.append(f"restore at scale (medians; N from the table above, 4N of {self.args.scale_pairs} alternating pairs):")
            if med("snap_restore") and med("pg_restore"):
                lines.append(f"  {'N':>4} {meta['events']:>11,} events: restore {med('snap_restore'):7.2f} s, pg_restore -j2 "
                             f"{med('pg_restore'):7.2f} s, {med('snap_restore') / med('pg_restore'):.2f}x, peak RSS "
                             f"{main['snap_restore']['rss_kib']['median'] / 1024:.1f} MiB")
            for label, s in r["restore_scaling"].items():
                snap, pgr = s["snap_restore"], s["pg_restore"]
                # Each pair ran back to back, so its ratio is the one the VM's drift touches least.
                pairs = [a["wall"] / b["wall"] for a, b in zip(snap["samples"], pgr["samples"])]
                lines.append(f"  {label:>4} {s['events']:>11,} events: restore {snap['wall']['median']:7.2f} s, pg_restore -j2 "
                             f"{pgr['wall']['median']:7.2f} s, {snap['wall']['median'] / pgr['wall']['median']:.2f}x "
                             f"(pairs {' '.join(f'{x:.2f}' for x in pairs)}, median {statistics.median(pairs):.2f}), "
                             f"peak RSS {snap['rss_kib']['max'] / 1024:.1f} MiB")
        if r["downtime"]:
            lines.append("")
            lines.append("restore downtime (connections blocked -> /ready 200 on the stand-in API):")
            for label, s in r["downtime"].items():
                dts = f"{s['downtime']:.2f} s" if s["downtime"] is not None else "n/a"
                lines.append(f"  {label:>4} {s['events']:>11,} events: downtime {dts} (swap itself "
                             f"{s['swap_duration']:.2f} s), whole restore {s['restore_wall']:.1f} s")
        text = "\n".join(lines)
        print(text)
        r["table"] = text
        os.makedirs(os.path.dirname(self.args.json), exist_ok=True)
        with open(self.args.json, "w") as f:
            json.dump(r, f, indent=2)
        log(f"wrote {self.args.json}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", required=True, help="the sentient-snap binary (release build)")
    p.add_argument("--events", type=int, default=2_000_000, help="events in the store (default 2,000,000)")
    p.add_argument("--runs", type=int, default=3, help="runs of each measurement (default 3)")
    p.add_argument("--levels", default="1,3,4,5,6", help="compression levels of the sweep (default 1,3,4,5,6)")
    p.add_argument("--sweep-runs", type=int, default=1, help="runs per sweep level (default 1)")
    p.add_argument("--no-sweep", dest="sweep", action="store_false", help="skip the level sweep")
    p.add_argument("--no-scaling", dest="scaling", action="store_false", help="skip the scaling and downtime runs")
    p.add_argument("--no-downtime", dest="downtime", action="store_false", help="skip the downtime measurement")
    p.add_argument("--scale", action="store_true", help="also 4N events in the scaling and downtime runs (slow)")
    p.add_argument("--scale-pairs", type=int, default=3, help="alternating pg_restore/snap restore pairs at 4N (default 3)")
    p.add_argument("--only", help="comma list of main measurements (copy_floor,pg_dump,old_pipeline,snap_backup,"
                                  "pg_restore,snap_restore,snap_restore_text,snap_verify); pg_dump and snap_backup always run")
    p.add_argument("--pg-bin", default=os.environ.get("SENTIENT_BENCH_PG_BIN", "/usr/lib/postgresql/15/bin"))
    p.add_argument("--pg", metavar="MAJOR", help="PostgreSQL MAJOR (15-18) for the server and for pg_dump, pg_restore "
                                                 "and psql, from scripts/pg-binaries.sh (16 is the rooms' version)")
    p.add_argument("--json", default=os.path.join(HERE, "results", "latest.json"))
    p.add_argument("--keep", action="store_true", help="keep the work directory (archives, server log)")
    args = p.parse_args()
    if args.pg:
        # Server and client tools of one version: pg_dump refuses a newer server.
        args.pg_bin = subprocess.run([os.path.join(ROOT, "scripts", "pg-binaries.sh"), args.pg], check=True,
                                     capture_output=True, text=True).stdout.strip()
        os.environ["PATH"] = args.pg_bin + os.pathsep + os.environ["PATH"]
    Bench(args).main()


if __name__ == "__main__":
    main()
