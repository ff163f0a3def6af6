import Foundation
import S3

/// An archive downloaded from a store for `verify`, `restore` or `export`: the local copy (with
/// its sidecar beside it) in a private temp directory, removed by `remove()` and on
/// SIGINT/SIGTERM.
public final class FetchedArchive: Sendable {
    public let path: String
    public let directory: String
    public let source: String

    init(path: String, directory: String, source: String) {
        self.path = path
        self.directory = directory
        self.source = source
    }

    /// `error` with the temp path in its message replaced by the `s3://` location, so a report
    /// about the download names what the user asked for.
    public func rename(_ error: Error) -> Error {
        guard let error = error as? SnapError, error.message.contains(path) else { return error }
        return SnapError(error.code, error.message.replacingOccurrences(of: path, with: source), underlying: error.underlying)
    }

    public func remove() {
        PartialFiles.shared.unregisterAction("s3-fetch-" + directory)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

public enum S3Fetch {
    /// Room kept free beside the download, for the tools that run on it afterwards.
    static let freeSpaceMargin: Int64 = 64 << 20

    /// Downloads `s3://BUCKET/PREFIX/ARCHIVE` (and its `.sha256` and `.sig`, if there) into a new
    /// directory under `workDir` (default: the system temp dir) after checking there is room,
    /// streaming and hashing it, and checks the archive against the sidecar.
    /// - Returns: nil when `text` is not an `s3://` location (use it as a local path).
    /// - Throws: `SnapError`: `.inputNotFound` (no such object or bucket), `.ioFailure` (no room,
    ///   a write failed), `.damagedArchive` (the download does not match its sidecar),
    ///   `.permission`, `.unreachable`; nothing is left behind.
    public static func fetch(_ text: String, settings: () throws -> S3Settings, workDir: String?) throws -> FetchedArchive? {
        guard let (location, name) = try S3Location.parseObject(text) else { return nil }
        let client = try settings().client()
        let url = location.url(name)
        guard let head = try S3Errors.mapped({ try client.head(bucket: location.bucket, key: location.key(name)) }) else {
            throw SnapError(.inputNotFound, "\(url) does not exist (check the name with `sentient-snap list \(location)`)")
        }
        let base = workDir ?? (ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? NSTemporaryDirectory())
        var info = statvfs()
        guard statvfs(base, &info) == 0 else {
            throw SnapError(.outputNotCreatable, "the work directory \(base) cannot be used: \(String(cString: strerror(errno))) (--work-dir)")
        }
        let free = Int64(info.f_bavail) * Int64(info.f_frsize)
        guard free >= head.size + freeSpaceMargin else {
            throw SnapError(.ioFailure, "not enough room in \(base) to download \(url): it needs \(head.size + freeSpaceMargin) bytes, \(free) are free; pass --work-dir DIR on a larger filesystem. Nothing was downloaded.")
        }
        var template = Array(((base as NSString).appendingPathComponent(".sentient-s3-XXXXXX")).utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw SnapError(.outputNotCreatable, "cannot create a temp directory in \(base): \(String(cString: strerror(errno))) (--work-dir)")
        }
        let directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let fetched = FetchedArchive(path: (directory as NSString).appendingPathComponent(name), directory: directory, source: url)
        PartialFiles.shared.registerAction("s3-fetch-" + directory) {
            try? FileManager.default.removeItem(atPath: directory)
            return "removed the partial download \(directory)"
        }
        do {
            var recorded: String?
            for sidecar in [name + ".sha256", name + ".sig"] {
                guard let object = try S3Errors.mapped({ try client.head(bucket: location.bucket, key: location.key(sidecar)) }), object.size < 1 << 20 else { continue }
                let bytes = try S3Errors.mapped { try client.get(bucket: location.bucket, key: location.key(sidecar)) }
                try bytes.write(to: URL(fileURLWithPath: (directory as NSString).appendingPathComponent(sidecar)))
                if sidecar.hasSuffix(".sha256") {
                    recorded = String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" }).first.map { $0.lowercased() }
                }
            }
            guard FileManager.default.createFile(atPath: fetched.path, contents: nil, attributes: [.posixPermissions: 0o600]),
                  let handle = FileHandle(forWritingAtPath: fetched.path) else {
                throw SnapError(.outputNotCreatable, "cannot create \(fetched.path): \(String(cString: strerror(errno)))")
            }
            defer { try? handle.close() }
            let (bytes, sha256) = try S3Errors.mapped { try client.download(bucket: location.bucket, key: location.key(name), to: handle) }
            try handle.synchronize()
            if bytes != head.size {
                throw SnapError(.damagedArchive, "\(url): \(bytes) bytes downloaded, the store said \(head.size); nothing was restored or changed")
            }
            if let recorded, recorded != sha256 {
                throw SnapError(.damagedArchive, "\(url) does not match its .sha256 sidecar on the store (SHA-256 \(sha256), sidecar \(recorded)): the stored archive is damaged; nothing was restored or changed")
            }
            return fetched
        } catch {
            fetched.remove()
            throw error
        }
    }
}
