import ArchiveWriter
import Foundation
import PGWire
import SentientSnap
import TestHarness
import Testing

/// Writes an archive in our layout (manifest.json first) whose dump is `dumpBytes` of
/// incompressible random data, streamed, so the file is as big as the dump.
private func writeBigArchive(_ path: String, room: String, stamp: String, dumpBytes: Int) throws {
    let base = "sentient-\(room)-\(stamp)"
    var options = TarGzWriter.Options()
    options.level = 1
    options.workers = 2
    let writer = try TarGzWriter(path: path, options: options)
    let bytes = Array("""
        {"room_name": "\(room)", "version": "r42", "timestamp": "2024-01-01T01:00:00Z", "backup_type": "full",
         "contents": {"database": true, "config": false, "mqtt": false}, "created_by": "sentient-snap",
         "format_version": \(Manifest.formatVersion), "tool_version": "test", "files": []}
        """.utf8)
    try writer.addFile(TarEntryMetadata(name: base + "/manifest.json", kind: .file, mode: 0o600, mtime: 0), size: Int64(bytes.count)) { try $0.write(bytes) }
    try writer.addEntry(TarEntryMetadata(name: base + "/db", kind: .directory, mode: 0o700, mtime: 0))
    _ = try writer.addStreamingFile(TarEntryMetadata(name: base + "/db/database.dump", kind: .file, mode: 0o600, mtime: 0)) { sink in
        var rng = SplitMix64(seed: 7)
        var block = [UInt64](repeating: 0, count: 1 << 15)
        var left = dumpBytes
        while left > 0 {
            for i in block.indices { block[i] = rng.next() }
            let n = min(left, block.count * 8)
            try block.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            left -= n
        }
    }
    try writer.finish()
}

@Suite("list, status and export", .timeLimit(.minutes(30)))
struct ListExportTests {
    @Test("list reads only the head: a 64 MiB archive costs a few KiB; legacy archives are listed and marked")
    func headOnly() throws {
        let dir = try TempDir(prefix: "snap-list")
        let big = dir.file("sentient-big-20240101-020000.tar.gz")
        try writeBigArchive(big, room: "big", stamp: "20240101-020000", dumpBytes: 64 << 20)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: big)[.size] as? NSNumber).int64Value
        #expect(size > 60 << 20, "the archive should be as large as its random dump")
        _ = FileManager.default.createFile(atPath: big + ".sha256", contents: Data("0  x\n".utf8))

        // An archive as the old backup-room.sh made it: GNU tar -czf of the directory.
        let legacyDir = dir.path + "/legacy/sentient-old-20230601-020000"
        try FileManager.default.createDirectory(atPath: legacyDir + "/config", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: legacyDir + "/db", withIntermediateDirectories: true)
        try """
            {"room_name": "old", "version": "7", "git_commit": "abc123", "timestamp": "2023-06-01T00:00:00Z",
             "backup_type": "full", "container_running": true, "contents": {"database": true, "config": true},
             "created_by": "backup-room.sh", "sentient_version": "1.2.0"}
            """.write(toFile: legacyDir + "/manifest.json", atomically: true, encoding: .utf8)
        try "room:\n  revision: 7\n".write(toFile: legacyDir + "/config/room.yaml", atomically: true, encoding: .utf8)
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: legacyDir + "/db/database.dump"))
        let tar = try runProcess("tar", ["-czf", dir.file("sentient-old-20230601-020000.tar.gz"), "-C", dir.path + "/legacy", "sentient-old-20230601-020000"])
        #expect(tar.status == 0, "\(tar.stderr)")

        let listings = try BackupCatalog.list(dir.path)
        #expect(listings.map(\.room) == ["big", "old"], "newest first")
        let first = try #require(listings.first)
        #expect(first.error == nil)
        #expect(first.bytes_read < 256 << 10, "read \(first.bytes_read) bytes of a \(size)-byte archive")
        #expect(first.revision == "r42")
        #expect(first.legacy == false)
        #expect(first.sidecar == "present")
        #expect(first.size == size)
        let old = try #require(listings.last)
        #expect(old.legacy)
        #expect(old.revision == "7")
        #expect(old.rows == nil)
        #expect(old.sidecar == "missing")
        #expect(old.error == nil, "\(old.error ?? "")")
        #expect(try BackupCatalog.list(dir.path, room: "old").map(\.room) == ["old"])
    }

    @Test("status: a fresh verified backup is ok; stale, damaged or missing ones are not")
    func status() throws {
        let source = try RoomFixture(events: 50, prefix: "st_src")
        var request = BackupRequest(settings: try source.settings(), outputDirectory: source.outputDir)
        request.jobs = 2
        let archive = try BackupJob(request).run().archive
        let fresh = try BackupStatus.check(source.outputDir, maxAge: 3600)
        #expect(fresh.count == 1)
        #expect(fresh.first?.ok == true, "\(fresh.first?.problems ?? [])")
        #expect(fresh.first?.verified == true)

        let later = Date().addingTimeInterval(2 * 86400)
        let stale = try BackupStatus.check(source.outputDir, maxAge: 26 * 3600, now: later)
        #expect(stale.first?.ok == false)
        #expect(stale.first?.verified == true)
        #expect(stale.first?.problems.first?.contains("over the maximum") == true)

        let missing = try BackupStatus.check(source.outputDir, rooms: ["clockwork"], maxAge: 3600)
        #expect(missing.map(\.room) == ["clockwork"])
        #expect(missing.first?.ok == false)

        var bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: archive))
        let damaged = try BackupStatus.check(source.outputDir, maxAge: 3600)
        #expect(damaged.first?.ok == false)
        #expect(damaged.first?.verified == false)
    }

    @Test("export --dump restores with stock pg_restore; --sql restores with psql -f; both equal the source")
    func export() throws {
        let source = try RoomFixture(events: 3_000, prefix: "ex_src")
        try source.database.psql("""
            CREATE TABLE public.notes (id bigserial PRIMARY KEY, body text NOT NULL DEFAULT '', n int CHECK (n > 0));
            COMMENT ON TABLE public.notes IS 'operator notes';
            CREATE INDEX notes_body ON public.notes (body);
            INSERT INTO public.notes (body, n) SELECT E'row\\\\.\\t' || g, g FROM generate_series(1, 50) g;
            CREATE TABLE public.empty_one (x int);
            """)
        var request = BackupRequest(settings: try source.settings(), outputDirectory: source.outputDir)
        request.jobs = 2
        let archive = try BackupJob(request).run().archive
        let expected = try tableChecksums(source.database)
        let server = try TestPostgres.shared()

        let dumpFile = source.dir.file("out.dump")
        let dumpResult = try DumpExport.export(archive: archive, to: dumpFile, format: .dump)
        #expect(dumpResult.bytes > 0)
        let viaDump = try server.createDatabase(prefix: "ex_dump")
        defer { try? viaDump.drop() }
        let restored = try server.runTool("pg_restore", ["--exit-on-error", "-d", viaDump.name, dumpFile])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(try tableChecksums(viaDump) == expected)

        let sqlFile = source.dir.file("out.sql")
        _ = try DumpExport.export(archive: archive, to: sqlFile, format: .sql)
        let viaSQL = try server.createDatabase(prefix: "ex_sql")
        defer { try? viaSQL.drop() }
        let psql = try server.runTool("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", sqlFile], database: viaSQL.name)
        #expect(psql.status == 0, "\(psql.stderr)")
        #expect(try tableChecksums(viaSQL) == expected)
        #expect(try schemaDump(viaSQL) == schemaDump(source.database))

        // A damaged archive leaves no output behind.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        bytes[bytes.count - 20] ^= 0x10
        let damaged = source.dir.file("damaged.tar.gz")
        try bytes.write(to: URL(fileURLWithPath: damaged))
        let error = #expect(throws: SnapError.self) { _ = try DumpExport.export(archive: damaged, to: source.dir.file("bad.sql"), format: .sql) }
        #expect(error?.code == .damagedArchive)
        #expect(!FileManager.default.fileExists(atPath: source.dir.file("bad.sql")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: source.dir.path).filter { $0.hasSuffix(".partial") }.isEmpty)
    }
}
