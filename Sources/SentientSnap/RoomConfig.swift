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
                throw SnapError(.inputNotFound, "cannot read the room's config directory \(absolute): \(error.localizedDescription)")
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

    /// `room.revision` from room.yaml, read with a YAML parser; nil when absent.
    static func revision(roomDirectory: String) throws -> String? {
        let path = (roomDirectory as NSString).appendingPathComponent("room.yaml")
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            let document = try Yams.load(yaml: String(decoding: data, as: UTF8.self))
            guard let root = document as? [String: Any], let room = root["room"] as? [String: Any],
                  let revision = room["revision"]
            else { return nil }
            return "\(revision)"
        } catch {
            throw SnapError(.failure, "\(path) is not valid YAML: \(error)")
        }
    }

    /// The commit of the Sentient Engine checkout that holds the rooms dir, read from .git
    /// without running git; nil when there is none.
    static func gitCommit(roomsDir: String) -> String? {
        var dir = URL(fileURLWithPath: roomsDir).standardizedFileURL
        for _ in 0..<4 {
            let git = dir.appendingPathComponent(".git")
            if let head = try? String(contentsOf: git.appendingPathComponent("HEAD"), encoding: .utf8) {
                let line = head.trimmingCharacters(in: .whitespacesAndNewlines)
                guard line.hasPrefix("ref: ") else { return line }
                let ref = String(line.dropFirst(5))
                if let commit = try? String(contentsOf: git.appendingPathComponent(ref), encoding: .utf8) {
                    return commit.trimmingCharacters(in: .whitespacesAndNewlines)
                }
                if let packed = try? String(contentsOf: git.appendingPathComponent("packed-refs"), encoding: .utf8) {
                    for entry in packed.split(separator: "\n") where entry.hasSuffix(" " + ref) {
                        return String(entry.prefix(while: { $0 != " " }))
                    }
                }
                return nil
            }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }
}
