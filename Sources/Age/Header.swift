import Crypto
import Foundation

/// Reads bytes from a caller's source, with a small buffer for the header's lines.
public typealias AgeByteSource = (UnsafeMutableRawBufferPointer) throws -> Int

/// Buffered reading for the header (line by line) and then the payload (in chunks).
final class ByteReader {
    private let source: AgeByteSource
    private var buffer = [UInt8](repeating: 0, count: 4096)
    private var start = 0
    private var end = 0
    private var atEOF = false
    /// Bytes consumed by the header parser, for the MAC.
    private(set) var consumed: Int64 = 0

    init(_ source: @escaping AgeByteSource) { self.source = source }

    private func fill() throws -> Bool {
        if start < end { return true }
        if atEOF { return false }
        start = 0
        end = try buffer.withUnsafeMutableBytes { try source($0) }
        if end == 0 { atEOF = true }
        return end > 0
    }

    /// One line without its `\n`; nil at end of input before any byte; throws if the input ends
    /// inside a line or a line is longer than `limit`.
    func readLine(limit: Int, what: String) throws -> [UInt8]? {
        var line: [UInt8] = []
        while try fill() {
            if let nl = buffer[start..<end].firstIndex(of: 0x0A) {
                line += buffer[start..<nl]
                consumed += Int64(nl + 1 - start)
                start = nl + 1
                guard line.count <= limit else { throw AgeError.malformedHeader("a \(what) line is longer than \(limit) bytes") }
                return line
            }
            line += buffer[start..<end]
            consumed += Int64(end - start)
            start = end
            guard line.count <= limit else { throw AgeError.malformedHeader("a \(what) line is longer than \(limit) bytes") }
        }
        if line.isEmpty { return nil }
        throw AgeError.truncated("inside the header (a \(what) line has no end)")
    }

    /// Fills `out` unless the input ends first; returns the bytes read.
    func readFully(_ out: UnsafeMutableRawBufferPointer) throws -> Int {
        var n = 0
        while n < out.count {
            if start < end {
                let take = min(end - start, out.count - n)
                buffer.withUnsafeBytes { b in
                    UnsafeMutableRawBufferPointer(rebasing: out[n..<(n + take)]).copyMemory(from: UnsafeRawBufferPointer(rebasing: b[start..<(start + take)]))
                }
                start += take
                n += take
                continue
            }
            if atEOF { break }
            // Large reads go straight to the caller's buffer.
            if out.count - n >= buffer.count {
                let got = try source(UnsafeMutableRawBufferPointer(rebasing: out[n...]))
                if got == 0 { atEOF = true } else { n += got }
                continue
            }
            if try !fill() { break }
        }
        return n
    }
}

/// A recipient stanza: `-> TYPE ARGS...` and a body.
struct Stanza: Equatable {
    var type: String
    var arguments: [String]
    var body: [UInt8]

    func encoded() -> [UInt8] {
        var out = Array("-> ".utf8) + Array(([type] + arguments).joined(separator: " ").utf8) + [0x0A]
        let text = Base64.encode(body)
        var i = 0
        while true {
            let line = text[i..<min(i + 64, text.count)]
            out += line + [0x0A]
            i += 64
            if line.count < 64 { break }
        }
        return out
    }
}

/// The header of an age v1 file.
struct Header {
    static let versionLine = Array("age-encryption.org/v1".utf8)
    /// No real header comes near this; it bounds what a damaged or hostile file can make us hold.
    static let sizeLimit: Int64 = 1 << 20

    var stanzas: [Stanza]
    var mac: [UInt8]
    /// The header's bytes up to and including `---`: what the MAC covers.
    var authenticated: [UInt8]

    /// Parses a header strictly (canonical base64, exact line forms), leaving `reader` at the
    /// payload nonce.
    static func parse(_ reader: ByteReader) throws -> Header {
        func line(_ what: String) throws -> [UInt8] {
            guard reader.consumed < sizeLimit else { throw AgeError.malformedHeader("the header is larger than \(sizeLimit) bytes") }
            guard let l = try reader.readLine(limit: 64 << 10, what: what) else {
                throw AgeError.truncated("inside the header (before its MAC line)")
            }
            return l
        }
        guard let first = try reader.readLine(limit: 256, what: "version") else {
            throw AgeError.truncated("before its header (the file is empty)")
        }
        guard first == versionLine else {
            if first.starts(with: Array("age-encryption.org/".utf8)) {
                throw AgeError.unsupportedVersion(String(decoding: first, as: UTF8.self))
            }
            throw AgeError.malformedHeader("it does not start with \"age-encryption.org/v1\" — it is not an age file")
        }
        var authenticated = first + [0x0A]
        var stanzas: [Stanza] = []
        var next = try line("stanza")
        while true {
            if next.starts(with: Array("---".utf8)) {
                guard next.count > 4, next[3] == 0x20, let mac = Base64.decode(next[4...]), mac.count == 32 else {
                    throw AgeError.malformedHeader("the MAC line is not \"--- \" and a canonical base64 32-byte MAC")
                }
                authenticated += Array("---".utf8)
                guard !stanzas.isEmpty else { throw AgeError.malformedHeader("the header has no recipient stanzas") }
                return Header(stanzas: stanzas, mac: mac, authenticated: authenticated)
            }
            guard next.starts(with: Array("-> ".utf8)) else {
                throw AgeError.malformedHeader("a line in the header is neither a stanza (\"-> \") nor the MAC line (\"--- \")")
            }
            authenticated += next + [0x0A]
            let words = next[3...].split(separator: 0x20, omittingEmptySubsequences: false)
            guard !words.isEmpty, words.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0 >= 33 && $0 <= 126 } }) else {
                throw AgeError.malformedHeader("a stanza line has an empty argument or a character outside printable ASCII")
            }
            let strings = words.map { String(decoding: $0, as: UTF8.self) }
            var body: [UInt8] = []
            while true {
                let bodyLine = try line("stanza body")
                guard bodyLine.count <= 64, let bytes = Base64.decode(bodyLine) else {
                    throw AgeError.malformedHeader("a \(strings[0]) stanza body line is not canonical base64 of at most 64 columns")
                }
                authenticated += bodyLine + [0x0A]
                body += bytes
                if bodyLine.count < 64 { break }
            }
            stanzas.append(Stanza(type: strings[0], arguments: Array(strings.dropFirst()), body: body))
            next = try line("stanza")
        }
    }

    /// The header's bytes, MAC line included.
    func encoded() -> [UInt8] {
        authenticated + Array(" ".utf8) + Base64.encode(mac) + [0x0A]
    }

    /// Builds the header for `stanzas` under `fileKey`.
    static func make(_ stanzas: [Stanza], fileKey: SymmetricKey) -> Header {
        var authenticated = versionLine + [0x0A]
        for stanza in stanzas { authenticated += stanza.encoded() }
        authenticated += Array("---".utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: authenticated, using: macKey(fileKey))
        return Header(stanzas: stanzas, mac: Array(mac), authenticated: authenticated)
    }

    static func macKey(_ fileKey: SymmetricKey) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: fileKey, salt: [UInt8](), info: Array("header".utf8), outputByteCount: 32)
    }

    func verifyMAC(_ fileKey: SymmetricKey) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: authenticated, using: Header.macKey(fileKey))
    }
}

/// The X25519 recipient type (age spec, "The X25519 recipient type").
enum X25519Stanza {
    static let type = "X25519"
    static let info = Array("age-encryption.org/v1/X25519".utf8)
    static var zeroNonce: ChaChaPoly.Nonce { try! ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12)) }

    static func wrap(_ fileKey: [UInt8], to recipient: AgeRecipient) throws -> Stanza {
        let ephemeral = Curve25519.KeyAgreement.PrivateKey()
        let share = [UInt8](ephemeral.publicKey.rawRepresentation)
        let theirs = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: recipient.publicKey)
        let shared = try ephemeral.sharedSecretFromKeyAgreement(with: theirs)
        let key = shared.hkdfDerivedSymmetricKey(using: SHA256.self, salt: share + recipient.publicKey, sharedInfo: info, outputByteCount: 32)
        let box = try ChaChaPoly.seal(fileKey, using: key, nonce: zeroNonce)
        return Stanza(type: type, arguments: [String(decoding: Base64.encode(share), as: UTF8.self)], body: Array(box.ciphertext) + Array(box.tag))
    }

    /// The file key if `identity` opens `stanza`, nil if it is not for this identity.
    /// - Throws: `malformedHeader` for a stanza that no identity could ever open.
    static func unwrap(_ stanza: Stanza, with identity: AgeIdentity) throws -> [UInt8]? {
        guard stanza.arguments.count == 1, let share = Base64.decode(Array(stanza.arguments[0].utf8)), share.count == 32 else {
            throw AgeError.malformedHeader("an X25519 stanza's argument is not one canonical base64 32-byte share")
        }
        guard stanza.body.count == 32 else {
            throw AgeError.malformedHeader("an X25519 stanza's body is \(stanza.body.count) bytes, not 32")
        }
        let shared: SharedSecret
        do {
            shared = try identity.privateKey.sharedSecretFromKeyAgreement(with: try Curve25519.KeyAgreement.PublicKey(rawRepresentation: share))
        } catch {
            throw AgeError.malformedHeader("an X25519 stanza's share is a low-order point")
        }
        // BoringSSL refuses the all-zero result itself; checked again so no build depends on it.
        guard shared.withUnsafeBytes({ $0.contains { $0 != 0 } }) else {
            throw AgeError.malformedHeader("an X25519 stanza's share is a low-order point")
        }
        let ours = [UInt8](identity.privateKey.publicKey.rawRepresentation)
        let key = shared.hkdfDerivedSymmetricKey(using: SHA256.self, salt: share + ours, sharedInfo: info, outputByteCount: 32)
        guard let box = try? ChaChaPoly.SealedBox(nonce: zeroNonce, ciphertext: stanza.body[0..<16], tag: stanza.body[16..<32]),
              let fileKey = try? ChaChaPoly.open(box, using: key) else { return nil }
        return [UInt8](fileKey)
    }
}
