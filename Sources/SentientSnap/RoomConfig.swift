import Foundation
import Yams

/// One item of a room's config tree, as found on disk (links are not followed).
struct ConfigItem {
    enum Kind { case directory, file(size: Int64), symlink(target: String) }
    var relativePath: String
    var absolutePath: String
    var kind: Kind
    var mode: UInt32
    var mtime: Int64
}

enum RoomConfig {
    /// Lists `root` depth-first in name order. Sockets, FIFOs and devices are reported, not stored.
    static func walk(_ root: String) throws -> (items: [ConfigItem], skipped: [String]) {
        var items: [ConfigItem] = []
        var skipped: [String] = []
        func visit(_ relative: String) throws {
            let absolute = relative.isEmpty ? root : (root as NSString).appendingPathComponent(relative)
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: absolute).sorted()
            } catch {
                throw SnapError(.inputNotFound, "cannot read the room's config directory \(absolute): \(error.localizedDescription)", underlying: error)
            }
            for name in names {
                let childRelative = relative.isEmpty ? name : relative + "/" + name
                let childAbsolute = (absolute as NSString).appendingPathComponent(name)
                var info = stat()
                guard lstat(childAbsolute, &info) == 0 else {
                    throw SnapError(.inputNotFound, "cannot read \(childAbsolute): \(String(cString: strerror(errno)))")
                }
                let mode = UInt32(info.st_mode) & 0o7777
                let mtime = Int64(info.st_mtim.tv_sec)
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    items.append(ConfigItem(relativePath: childRelative, absolutePath: childAbsolute, kind: .directory, mode: mode, mtime: mtime))
                    try visit(childRelative)
                case S_IFREG:
                    items.append(ConfigItem(relativePath: childRelative, absolutePath: childAbsolute, kind: .file(size: Int64(info.st_size)), mode: mode, mtime: mtime))
                case S_IFLNK:
                    let target = try FileManager.default.destinationOfSymbolicLink(atPath: childAbsolute)
                    items.append(ConfigItem(relativePath: childRelative, absolutePath: childAbsolute, kind: .symlink(target: target), mode: mode, mtime: mtime))
                default:
                    skipped.append(childAbsolute)
                }
            }
        }
        try visit("")
        return (items, skipped)
    }

    /// `room.revision` from room.yaml, read with a YAML parser; nil when absent. room.yaml is
    /// read only if it is a regular file in the room (a link may point anywhere).
    static func revision(roomDirectory: String) throws -> String? {
        let path = (roomDirectory as NSString).appendingPathComponent("room.yaml")
        let fd = SafeOpen.beneath(roomDirectory, "room.yaml")
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard let data = SafeOpen.readRegular(fd, limit: 16 << 20) else { return nil }
        do {
            let document = try Yams.load(yaml: String(decoding: data, as: UTF8.self))
            guard let root = document as? [String: Any], let room = root["room"] as? [String: Any],
                  let revision = room["revision"]
            else { return nil }
            return "\(revision)"
        } catch {
            throw SnapError(.failure, "\(path) is not valid YAML: \(error)", underlying: error)
        }
    }

    /// The commit of the Sentient Engine checkout that holds the rooms dir, read from .git
    /// without running git; nil when there is none. Only what a commit id can be is returned:
    /// HEAD's `ref:` must name a ref under `refs/` (no `..`, no link followed), and the ref's
    /// content must be a hex object id, so no other file's content reaches the manifest.
    static func gitCommit(roomsDir: String) -> String? {
        var dir = URL(fileURLWithPath: roomsDir).standardizedFileURL
        for _ in 0..<4 {
            let git = SafeOpen.beneath(dir.path, ".git", directory: true)
            if git >= 0 {
                defer { close(git) }
                return commit(inGitDirectory: git)
            }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    private static func commit(inGitDirectory git: Int32) -> String? {
        func read(_ relative: String, limit: Int) -> String? {
            let fd = SafeOpen.beneath(git, relative)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            return SafeOpen.readRegular(fd, limit: limit).map { String(decoding: $0, as: UTF8.self) }
        }
        guard let head = read("HEAD", limit: 4096)?.trimmingCharacters(in: .whitespacesAndNewlines) else { return nil }
        guard head.hasPrefix("ref: ") else { return isObjectId(head) ? head : nil }
        let ref = String(head.dropFirst(5))
        guard isSafeRef(ref) else { return nil }
        if let commit = read(ref, limit: 4096)?.trimmingCharacters(in: .whitespacesAndNewlines) {
            return isObjectId(commit) ? commit : nil
        }
        guard let packed = read("packed-refs", limit: 64 << 20) else { return nil }
        for entry in packed.split(separator: "\n") where entry.hasSuffix(" " + ref) {
            let id = String(entry.prefix(while: { $0 != " " }))
            return isObjectId(id) ? id : nil
        }
        return nil
    }

    /// A SHA-1 or SHA-256 object id in hex.
    static func isObjectId(_ text: String) -> Bool {
        (text.utf8.count == 40 || text.utf8.count == 64) && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// `refs/...` made of plain name components (git check-ref-format, conservatively).
    static func isSafeRef(_ ref: String) -> Bool {
        let parts = ref.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0] == "refs" else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && !part.hasPrefix(".") && !part.hasSuffix(".lock")
                && part.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.+@".unicodeScalars.contains($0)) }
        } && !ref.contains("..")
    }
}

/// Opening files under a directory without following links below it, and reading through the
/// descriptor that was checked, so a file swapped for a link (or a directory for a link to
/// elsewhere) between listing and reading is never read through.
enum SafeOpen {
    /// `relative` below the directory `root` (which itself may be a link): every component is
    /// opened with `O_NOFOLLOW`. Returns the descriptor, or -1 with `errno` set (`ELOOP` or
    /// `ENOTDIR` for a link).
    static func beneath(_ root: String, _ relative: String, directory: Bool = false) -> Int32 {
        let base = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard base >= 0 else { return -1 }
        defer { let saved = errno; close(base); errno = saved }
        return beneath(base, relative, directory: directory)
    }

    /// The same, below an open directory.
    static func beneath(_ base: Int32, _ relative: String, directory: Bool = false) -> Int32 {
        let parts = relative.split(separator: "/").map(String.init)
        guard !parts.isEmpty, !parts.contains(".."), !parts.contains(".") else {
            errno = EINVAL
            return -1
        }
        var current = base
        for (i, part) in parts.enumerated() {
            let last = i == parts.count - 1
            // O_NONBLOCK: a FIFO swapped in must not block the open; regular files ignore it.
            let flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (last && !directory ? O_NONBLOCK : O_DIRECTORY)
            let next = openat(current, part, flags)
            let saved = errno
            if current != base { close(current) }
            errno = saved
            guard next >= 0 else { return -1 }
            current = next
        }
        return current
    }

    /// The whole content of `fd` if it is a regular file of at most `limit` bytes.
    static func readRegular(_ fd: Int32, limit: Int) -> [UInt8]? {
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size <= limit else { return nil }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { return nil }
            if n == 0 { return out }
            out.append(contentsOf: buffer[0..<n])
            if out.count > limit { return nil }
        }
    }
}
