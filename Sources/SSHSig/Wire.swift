import Foundation

/// SSH wire encoding (RFC 4251 section 5): big-endian uint32 and length-prefixed strings.
/// Every read is bounds-checked and throws; malformed input never traps.
struct WireReader {
    private let bytes: [UInt8]
    private(set) var offset = 0
    /// The error a short or malformed read throws (the caller's code and what it was reading).
    private let failure: (String) -> SignatureError

    init(_ bytes: [UInt8], failure: @escaping (String) -> SignatureError) {
        self.bytes = bytes
        self.failure = failure
    }

    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset == bytes.count }

    mutating func readBytes(_ count: Int, _ what: String) throws -> [UInt8] {
        guard count >= 0, count <= remaining else { throw failure("it ends inside \(what)") }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func readUInt32(_ what: String) throws -> UInt32 {
        let b = try readBytes(4, what)
        return UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
    }

    mutating func readString(_ what: String) throws -> [UInt8] {
        let length = try readUInt32("the length of \(what)")
        guard Int(length) <= remaining else { throw failure("\(what) claims \(length) bytes but only \(remaining) follow") }
        return try readBytes(Int(length), what)
    }

    /// A string that must be printable ASCII (names, namespaces, algorithms), at most 255 bytes.
    mutating func readName(_ what: String) throws -> String {
        let raw = try readString(what)
        guard raw.count <= 255, raw.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            throw failure("\(what) is not a printable name")
        }
        return String(decoding: raw, as: UTF8.self)
    }

    func expectEnd(_ what: String) throws {
        guard isAtEnd else { throw failure("\(remaining) unexpected bytes follow \(what)") }
    }
}

struct WireWriter {
    private(set) var bytes: [UInt8] = []

    mutating func append<C: Collection>(raw: C) where C.Element == UInt8 { bytes.append(contentsOf: raw) }

    mutating func append(_ value: UInt32) {
        bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    mutating func append<C: Collection>(string: C) where C.Element == UInt8 {
        append(UInt32(string.count))
        bytes.append(contentsOf: string)
    }

    mutating func append(string: String) { append(string: Array(string.utf8)) }
}

/// PEM-like armor as OpenSSH writes it: a BEGIN line, base64 wrapped at 70 columns, an END line.
enum Armor {
    static func encode(_ bytes: [UInt8], label: String) -> String {
        let base64 = Array(Data(bytes).base64EncodedString().utf8)
        var text = "-----BEGIN \(label)-----\n"
        var start = 0
        while start < base64.count {
            let end = min(start + 70, base64.count)
            text += String(decoding: base64[start..<end], as: UTF8.self) + "\n"
            start = end
        }
        return text + "-----END \(label)-----\n"
    }

    /// The bytes between `-----BEGIN label-----` and `-----END label-----`; whitespace around
    /// the armor and inside the base64 is ignored. nil when the armor is not there or broken.
    static func decode(_ input: [UInt8], label: String) -> Armored {
        let text = String(decoding: input, as: UTF8.self)
        let begin = "-----BEGIN \(label)-----", end = "-----END \(label)-----"
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix(begin) else { return .noBegin }
        guard trimmed.hasSuffix(end), trimmed.count >= begin.count + end.count else { return .noEnd }
        let body = trimmed.dropFirst(begin.count).dropLast(end.count)
        let compact = body.filter { !$0.isWhitespace }
        guard compact.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "/" || $0 == "=") }),
              let data = Data(base64Encoded: String(compact))
        else { return .badBase64 }
        return .bytes(Array(data))
    }

    enum Armored {
        case bytes([UInt8])
        case noBegin, noEnd, badBase64
    }

    /// The first `-----BEGIN X-----` label in `input`, for saying what a file is instead.
    static func firstLabel(_ input: [UInt8]) -> String? {
        let text = String(decoding: input.prefix(4096), as: UTF8.self)
        guard let range = text.range(of: "-----BEGIN ") else { return nil }
        let rest = text[range.upperBound...]
        guard let close = rest.range(of: "-----") else { return nil }
        return String(rest[..<close.lowerBound])
    }
}

/// `SHA256:` and the unpadded base64 of SHA-256, as `ssh-keygen -l` prints fingerprints.
func base64NoPad(_ bytes: some Sequence<UInt8>) -> String {
    var text = Data(Array(bytes)).base64EncodedString()
    while text.hasSuffix("=") { text.removeLast() }
    return text
}
