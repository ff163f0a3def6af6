@testable import ArchiveWriter
import Foundation

/// Parsers that read files get the input through one file per process, on tmpfs if there is one.
enum InputFile {
    nonisolated(unsafe) private static var directory: String?

    /// Writes `bytes` to `<per-process directory>/<name>` and returns its path.
    static func write(_ bytes: [UInt8], name: String) -> String {
        if directory == nil {
            let base = FileManager.default.isWritableFile(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
            let path = "\(base)/sentient-fuzz-\(getpid())"
            try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            directory = path
            atexit { InputFile.removeDirectory() }
        }
        let path = "\(directory!)/\(name)"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "cannot write \(path)")
        var written = 0
        bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
                precondition(n > 0, "cannot write \(path)")
                written += n
            }
        }
        close(fd)
        return path
    }

    private static func removeDirectory() {
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }
}

/// The input as a gzip file: as it is if it starts with gzip's magic bytes; otherwise it is a
/// tar stream, wrapped in a stored gzip member (so mutations reach the tar reader without first
/// having to form valid deflate data and CRCs), with the checksums of its ustar headers fixed
/// (so they reach past the header check; blocks without the magic keep theirs).
func asGzip(_ bytes: [UInt8]) -> [UInt8] {
    if bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B { return bytes }
    var tar = bytes
    var offset = 0
    while offset + 512 <= tar.count {
        if tar[(offset + 257)..<(offset + 262)].elementsEqual("ustar".utf8) {
            for i in 148..<156 { tar[offset + i] = 0x20 }
            let sum = tar[offset..<(offset + 512)].reduce(0) { $0 + Int($1) }
            let field = Array(String(sum, radix: 8).leftPadding(to: 6).utf8) + [0, 0x20]
            for (i, byte) in field.enumerated() { tar[offset + 148 + i] = byte }
        }
        offset += 512
    }
    return GzipFormat.storedMember(tar)
}

extension String {
    fileprivate func leftPadding(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// A `Source` (CustomArchiveDecoder's and PlainSQLRestore's) reading `bytes`.
func byteSource(_ bytes: [UInt8]) -> (UnsafeMutableRawBufferPointer) throws -> Int {
    var offset = 0
    return { buffer in
        let n = min(buffer.count, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { raw in
            buffer.baseAddress!.copyMemory(from: raw.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }
}
