import ArchiveWriter
import Foundation
import TestHarness
import Testing

// MARK: - Temporary directories and files

/// A fresh temporary directory, removed when `body` returns.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("archivewriter-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try body(dir)
}

func readBytes(_ url: URL) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: url))
}

func writeBytes(_ bytes: [UInt8], to url: URL) throws {
    try Data(bytes).write(to: url)
}

// MARK: - External tools

struct ToolFailure: Error, CustomStringConvertible {
    var description: String
}

/// The full path of `tool` on PATH, or a failure saying to install it.
func toolPath(_ tool: String) throws -> String {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") {
        let candidate = "\(dir)/\(tool)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw ToolFailure(
        description: "required tool '\(tool)' is not installed (on Debian: apt-get install tar libarchive-tools python3 gzip)")
}

struct ToolResult {
    var status: Int32
    var stdout: Data
    var stderr: String
    var text: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs a tool to completion with stdout/stderr captured in files (no pipe deadlocks).
@discardableResult
func run(_ tool: String, _ arguments: [String], in directory: URL? = nil, stdin: URL? = nil, check: Bool = true) throws
    -> ToolResult
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try toolPath(tool))
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    var env = ProcessInfo.processInfo.environment
    env["LC_ALL"] = "C.UTF-8"
    env["TZ"] = "UTC"
    process.environment = env
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tool-\(UUID().uuidString)")
    let outURL = scratch.appendingPathExtension("out")
    let errURL = scratch.appendingPathExtension("err")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer {
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }
    let out = try FileHandle(forWritingTo: outURL)
    let err = try FileHandle(forWritingTo: errURL)
    process.standardOutput = out
    process.standardError = err
    if let stdin { process.standardInput = try FileHandle(forReadingFrom: stdin) }
    try process.run()
    process.waitUntilExit()
    try out.close()
    try err.close()
    let result = ToolResult(
        status: process.terminationStatus, stdout: try Data(contentsOf: outURL),
        stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    if check && result.status != 0 {
        throw ToolFailure(
            description: "\(tool) \(arguments.joined(separator: " ")) exited with \(result.status): \(result.stderr)")
    }
    return result
}

// MARK: - Deterministic content

/// `count` bytes alternating 64 KiB of random data and 64 KiB of repetitive text.
func mixedContent(_ count: Int, seed: UInt64) -> [UInt8] {
    var rng = SplitMix64(seed: seed)
    var out = [UInt8](repeating: 0, count: count)
    let line = Array("event 0000 room=pharaohs type=puzzle.solved payload={\"ok\":true}\n".utf8)
    out.withUnsafeMutableBytes { buf in
        var i = 0
        var chunk = 0
        while i < count {
            let n = min(64 * 1024, count - i)
            if chunk % 2 == 0 {
                var j = 0
                while j + 8 <= n {
                    buf.storeBytes(of: rng.next(), toByteOffset: i + j, as: UInt64.self)
                    j += 8
                }
                while j < n {
                    buf[i + j] = UInt8(truncatingIfNeeded: rng.next())
                    j += 1
                }
            } else {
                var j = 0
                var lineNumber = rng.next() % 10_000
                while j < n {
                    let k = min(line.count, n - j)
                    line.withUnsafeBytes { l in
                        (buf.baseAddress! + i + j).copyMemory(from: l.baseAddress!, byteCount: k)
                    }
                    if k > 10 {
                        let digits = Array(String(format: "%04d", Int(lineNumber % 10_000)).utf8)
                        for d in 0..<4 { buf[i + j + 6 + d] = digits[d] }
                    }
                    lineNumber += 1
                    j += k
                }
            }
            i += n
            chunk += 1
        }
    }
    return out
}

/// Feeds `content` to a sink in uneven pieces (exercises block boundaries).
func feed(_ content: [UInt8], to sink: EntrySink) throws {
    var i = 0
    var piece = 1
    try content.withUnsafeBytes { buf in
        while i < buf.count {
            let n = min(piece, buf.count - i)
            try sink.write(UnsafeRawBufferPointer(rebasing: buf[i..<(i + n)]))
            i += n
            piece = piece * 3 % 70_001 + 1
        }
    }
}

// MARK: - The sample archive

/// One entry of a test archive with what it should contain.
struct ExpectedEntry {
    enum How { case plain, reserved, streamed }
    var meta: TarEntryMetadata
    var content: [UInt8]
    var how: How = .plain
}

let sampleMtime: Int64 = 1_700_000_000

func nameOfLength(_ length: Int, tag: String) -> String {
    // "<tag>/" then a file name padded with 'x' to the exact UTF-8 length (components < 255).
    let head = "len\(length)-\(tag)/"
    precondition(length - head.utf8.count <= 250)
    return head + String(repeating: "x", count: length - head.utf8.count)
}

/// The entries of the sample archive used by the interop, determinism and reader tests.
func sampleEntries(bigSize: Int = 3 * 1024 * 1024 + 123, streamedSize: Int = 2 * 1024 * 1024 + 77) -> [ExpectedEntry] {
    var e: [ExpectedEntry] = []
    func file(_ name: String, _ content: [UInt8], mode: UInt32 = 0o644, how: ExpectedEntry.How = .plain) {
        e.append(ExpectedEntry(meta: TarEntryMetadata(name: name, kind: .file, mode: mode, mtime: sampleMtime + Int64(e.count)),
                               content: content, how: how))
    }
    file("manifest.json", Array("{\"room_name\":\"pharaohs\",\"contents\":{\"database\":true},\"note\":\"patched\"}".utf8), how: .reserved)
    e.append(ExpectedEntry(meta: TarEntryMetadata(name: "config", kind: .directory, mode: 0o750, mtime: sampleMtime - 100), content: []))
    file("config/empty.yaml", [])
    file("config/exact512.bin", mixedContent(512, seed: 1), mode: 0o600)
    file("config/big-mixed.bin", mixedContent(bigSize, seed: 2), mode: 0o640)
    file(nameOfLength(99, tag: "a"), Array("ninety-nine\n".utf8))
    file(nameOfLength(100, tag: "b"), Array("hundred\n".utf8))
    file(nameOfLength(101, tag: "c"), Array("hundred and one\n".utf8))
    // 255 bytes: a 150-byte directory then a 104-byte file name: not splittable -> pax path.
    file(String(repeating: "d", count: 150) + "/" + String(repeating: "f", count: 104), Array("255\n".utf8))
    // 255 bytes, splittable into prefix (155) and name (99).
    file(String(repeating: "p", count: 155) + "/" + String(repeating: "n", count: 99), Array("255 split\n".utf8))
    // Directory part over 155 bytes.
    file(String(repeating: "q", count: 200) + "/deep.txt", Array("deep\n".utf8))
    file("graphs/scène-✓.json", Array("{\"nodes\":[\"✓\"]}\n".utf8), mode: 0o664)
    e.append(ExpectedEntry(meta: TarEntryMetadata(name: "config/current-graph", kind: .symlink(target: "../graphs/scène-✓.json"),
                                                  mode: 0o777, mtime: sampleMtime), content: []))
    let longTarget = "../" + String(repeating: "t", count: 120) + "/target"
    e.append(ExpectedEntry(meta: TarEntryMetadata(name: "config/long-link", kind: .symlink(target: longTarget),
                                                  mode: 0o777, mtime: sampleMtime), content: []))
    e.append(ExpectedEntry(meta: TarEntryMetadata(name: "config/hard-512", kind: .hardlink(target: "config/exact512.bin"),
                                                  mode: 0o600, mtime: sampleMtime + 3), content: []))
    file("db/database.dump", mixedContent(streamedSize, seed: 3), how: .streamed)
    file("mqtt/retained.json", Array("[]\n".utf8))
    return e
}

/// Writes `entries` with the writer; reserved entries get 4 KiB and are patched at the end.
func writeArchive(_ entries: [ExpectedEntry], to url: URL, options: TarGzWriter.Options) throws {
    let writer = try TarGzWriter(path: url.path, options: options)
    var reserved: [(ReservedEntry, [UInt8])] = []
    for entry in entries {
        switch (entry.meta.kind, entry.how) {
        case (.file, .reserved):
            reserved.append((try writer.reserveEntry(entry.meta, capacity: 4096), entry.content))
        case (.file, .streamed):
            let n = try writer.addStreamingFile(entry.meta) { try feed(entry.content, to: $0) }
            #expect(n == Int64(entry.content.count))
        case (.file, .plain):
            try writer.addFile(entry.meta, size: Int64(entry.content.count)) { try feed(entry.content, to: $0) }
        default:
            try writer.addEntry(entry.meta)
        }
    }
    for (handle, content) in reserved {
        try writer.patch(handle, content: content)
    }
    try writer.finish()
}

/// The content a reserved entry reads back as: content then spaces up to 4096.
func paddedReserved(_ content: [UInt8]) -> [UInt8] {
    content + [UInt8](repeating: 0x20, count: 4096 - content.count)
}

/// What the reader returns for an archive: every entry with its body.
struct ReadEntry: Equatable {
    var metadata: TarEntryMetadata
    var body: [UInt8]
}

/// Reads every entry and body, then verifies the gzip stream to its end.
func readAllEntries(_ path: String) throws -> [ReadEntry] {
    let reader = try TarGzReader(path: path)
    var out: [ReadEntry] = []
    while let entry = try reader.next() {
        out.append(ReadEntry(metadata: entry.metadata, body: try reader.readAll(limit: 64 << 20)))
    }
    try reader.finishVerification()
    return out
}
