import Compression
import Foundation
import SentientSnap
import TestHarness
import Testing

/// Inputs that crashed a parser under `make fuzz` (Fuzz/, README "Development"), kept as plain
/// tests: each must now be refused with the parser's error, without the fuzzer.
@Suite("fuzz regressions")
struct FuzzRegressionTests {
    /// A ustar header block; `size` over 11 octal digits is written in GNU base-256.
    static func ustar(_ name: String, type: Character = "0", size: Int64 = 0) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ offset: Int, _ bytes: [UInt8]) { for (i, b) in bytes.enumerated() { block[offset + i] = b } }
        func octal(_ value: Int64, _ width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: width - 1 - digits.count) + digits).utf8) + [0]
        }
        put(0, Array(name.utf8))
        put(100, octal(0o644, 8))
        put(108, octal(0, 8))
        put(116, octal(0, 8))
        if size < 0o77777777777 {
            put(124, octal(size, 12))
        } else {
            put(124, [0x80, 0, 0, 0] + (0..<8).reversed().map { UInt8(truncatingIfNeeded: size >> (8 * $0)) })
        }
        put(136, octal(0, 12))
        block[156] = type.asciiValue!
        put(257, Array("ustar".utf8) + [0] + Array("00".utf8))
        put(148, Array(repeating: 0x20, count: 8))
        put(148, octal(Int64(block.reduce(0) { $0 + Int($1) }), 7))
        return block
    }

    /// `content` as a gzip file of one stored member (no compression, valid CRC and length).
    static func gzip(_ content: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0x03]
        var start = 0
        repeat {
            let n = min(65535, content.count - start)
            out.append(start + n == content.count ? 1 : 0)
            out += [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += content[start..<(start + n)]
            start += n
        } while start < content.count
        let crc = Checksum.crc32(content)
        let size = UInt32(truncatingIfNeeded: content.count)
        for value in [crc, size] { out += (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        return out
    }

    /// Runs `verify`'s inspection on `bytes` as an archive file; returns the error's code.
    static func inspect(_ bytes: [UInt8]) throws -> SnapError.Code? {
        let dir = try TempDir(prefix: "fuzz-regression")
        let path = dir.file("sentient-room-20240101-000000.tar.gz")
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        do {
            _ = try ArchiveInspector.inspect(path)
            return nil
        } catch let error as SnapError {
            return error.code
        }
    }

    @Test("verify: a config file declaring 2^63-1 bytes after another config file is refused, not an Int64 overflow")
    func configSizeOverflow() throws {
        let top = "sentient-room-20240101-000000"
        var tar = Self.ustar("\(top)/", type: "5") + Self.ustar("\(top)/config/", type: "5")
        tar += Self.ustar("\(top)/config/a", size: 1) + [0x61] + [UInt8](repeating: 0, count: 511)
        tar += Self.ustar("\(top)/config/b", size: Int64.max)
        tar += [UInt8](repeating: 0, count: 1024)
        #expect(try Self.inspect(Self.gzip(tar)) == .damagedArchive)
    }
}
