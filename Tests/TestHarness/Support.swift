import Foundation

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Temporary directories

/// A fresh directory under /tmp (mode 0755), removed with everything in it when the object
/// is deinitialised. Keep the object alive for as long as the directory is needed
/// (`withExtendedLifetime(dir) { ... }` or just use `dir.path` after the last use).
/// Set `keep = true` to leave it behind for debugging.
public final class TempDir: @unchecked Sendable {
    public let path: String
    /// When true, `deinit` leaves the directory in place.
    public var keep = false

    /// - Throws: `HarnessError` when the directory cannot be created.
    public init(prefix: String = "snap-test") throws {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else {
            throw HarnessError("mkdtemp /tmp/\(prefix)-XXXXXX failed: \(String(cString: strerror(errno)))")
        }
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        chmod(path, 0o755)
    }

    /// `path` + "/" + `name`.
    public func file(_ name: String) -> String { path + "/" + name }

    deinit {
        if !keep { try? FileManager.default.removeItem(atPath: path) }
    }
}

// MARK: - Ports

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
/// Nothing listens on it, which is what connection-refused tests need.
/// - Throws: `HarnessError` when no socket can be bound.
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HarnessError("socket() failed: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw HarnessError("bind(127.0.0.1:0) failed: \(String(cString: strerror(errno)))") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw HarnessError("getsockname failed: \(String(cString: strerror(errno)))") }
    return Int(UInt16(bigEndian: addr.sin_port))
}

// MARK: - MD5

/// Incremental MD5 (RFC 1321), to compare streamed bytes with the server's `md5()` without
/// holding them in memory. Test use only: MD5 is not a security measure here.
public struct MD5: Sendable {
    private var state: (UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476)
    private var buffer = [UInt8]()
    private var length: UInt64 = 0

    public init() { buffer.reserveCapacity(64) }

    /// MD5 of `bytes` as 32 lowercase hex digits.
    public static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var md5 = MD5()
        md5.update(Array(bytes))
        return md5.finalizeHex()
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        length &+= UInt64(bytes.count)
        var index = 0
        if !buffer.isEmpty {
            let take = min(64 - buffer.count, bytes.count)
            buffer.append(contentsOf: bytes[0..<take])
            index = take
            if buffer.count == 64 {
                buffer.withUnsafeBytes { compress($0.baseAddress!) }
                buffer.removeAll(keepingCapacity: true)
            }
        }
        while bytes.count - index >= 64 {
            compress(bytes.baseAddress! + index)
            index += 64
        }
        if index < bytes.count { buffer.append(contentsOf: bytes[index...]) }
    }

    public mutating func finalizeHex() -> String {
        let bitLength = length &* 8
        var tail: [UInt8] = [0x80]
        while (buffer.count + tail.count) % 64 != 56 { tail.append(0) }
        for i in 0..<8 { tail.append(UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(i)))) }
        let savedLength = length
        update(tail)
        length = savedLength
        var out = ""
        for word in [state.0, state.1, state.2, state.3] {
            for i in 0..<4 {
                let byte = UInt8(truncatingIfNeeded: word >> (8 * UInt32(i)))
                out += String(format: "%02x", byte)
            }
        }
        return out
    }

    private static let shifts: [UInt32] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
        5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
        6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ]
    private static let constants: [UInt32] = (0..<64).map { i in
        UInt32(truncatingIfNeeded: Int64(abs(sin(Double(i + 1))) * 4_294_967_296.0))
    }

    private mutating func compress(_ block: UnsafeRawPointer) {
        var m = [UInt32](repeating: 0, count: 16)
        for i in 0..<16 { m[i] = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)) }
        var a = state.0, b = state.1, c = state.2, d = state.3
        for i in 0..<64 {
            var f: UInt32
            let g: Int
            switch i {
            case 0..<16: f = (b & c) | (~b & d); g = i
            case 16..<32: f = (d & b) | (~d & c); g = (5 * i + 1) % 16
            case 32..<48: f = b ^ c ^ d; g = (3 * i + 5) % 16
            default: f = c ^ (b | ~d); g = (7 * i) % 16
            }
            f = f &+ a &+ MD5.constants[i] &+ m[g]
            a = d
            d = c
            c = b
            let s = MD5.shifts[i]
            b = b &+ ((f << s) | (f >> (32 - s)))
        }
        state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d)
    }
}

// MARK: - Built products

/// The path of an executable product built alongside the tests (e.g. "snap-probe",
/// "sentient-snap").
///
/// Looks, in order: at the environment variable `override` when given and set; in the directory
/// of the running test binary and its ancestors (SwiftPM puts all products of one build
/// configuration in one directory such as `.build/x86_64-unknown-linux-gnu/debug/`, and the
/// test binary is `<that dir>/<package>PackageTests.xctest`; on macOS it is inside the
/// .xctest bundle, hence the ancestors); then at `.build/debug/<name>` under the current
/// directory (`swift test` runs from the package root).
/// - Throws: `HarnessError` naming the places searched; build with `swift build --build-tests`.
public func builtExecutable(_ name: String, override: String? = nil) throws -> String {
    let env = ProcessInfo.processInfo.environment
    if let override, let path = env[override], !path.isEmpty {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw HarnessError("\(override)=\(path) is not an executable file")
        }
        return path
    }
    var searched: [String] = []
    let selfPath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        ?? Bundle.main.executablePath ?? CommandLine.arguments.first ?? ""
    var dir = URL(fileURLWithPath: selfPath).deletingLastPathComponent()
    for _ in 0..<5 where dir.path != "/" {
        let candidate = dir.appendingPathComponent(name).path
        searched.append(candidate)
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    let fallback = FileManager.default.currentDirectoryPath + "/.build/debug/" + name
    searched.append(fallback)
    if FileManager.default.isExecutableFile(atPath: fallback) { return fallback }
    throw HarnessError(
        "cannot find the built \(name) (looked at \(searched.joined(separator: ", "))):"
            + " run `swift build --build-tests` first" + (override.map { ", or set \($0)" } ?? ""))
}

// MARK: - Deterministic randomness

/// SplitMix64: a fast seeded generator, so test data is the same on every run and a failing
/// round can be replayed from its seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
