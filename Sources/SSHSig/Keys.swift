import Crypto
import Foundation

/// An OpenSSH Ed25519 public key (`ssh-ed25519 AAAA... comment`).
public struct SSHPublicKey: Sendable, Hashable, CustomStringConvertible {
    public static let ed25519 = "ssh-ed25519"

    /// The 32 raw key bytes.
    public let raw: [UInt8]

    init(raw: [UInt8]) {
        self.raw = raw
    }

    /// The wire blob: string "ssh-ed25519", string key.
    public var blob: [UInt8] {
        var writer = WireWriter()
        writer.append(string: Self.ed25519)
        writer.append(string: raw)
        return writer.bytes
    }

    /// `SHA256:...`, as `ssh-keygen -l` prints it.
    public var fingerprint: String { "SHA256:" + base64NoPad(SHA256.hash(data: blob)) }

    /// `ssh-ed25519 AAAA...` (no comment), as an authorized_keys or allowed_signers line takes it.
    public var openSSH: String { "\(Self.ed25519) \(Data(blob).base64EncodedString())" }

    public var description: String { "ED25519 key \(fingerprint)" }

    /// Parses a wire blob. `code` says whose bytes they are: a key in a signature is the
    /// signature's problem, a key in a file the user gave is the file's.
    static func parse(blob: [UInt8], code: SignatureError.Code, context: String) throws -> SSHPublicKey {
        var reader = WireReader(blob) { SignatureError(code, "\(context): the public key is malformed (\($0))") }
        let type = try reader.readName("the key type")
        guard type == ed25519 else {
            let unsupported: SignatureError.Code = code == .malformedSignature ? .unsupportedSignature : .unsupportedKey
            throw SignatureError(unsupported, "\(context): the key is of type \(type); only Ed25519 keys (ssh-ed25519) are supported")
        }
        let raw = try reader.readString("the Ed25519 key")
        guard raw.count == 32 else { throw SignatureError(code, "\(context): the Ed25519 key has \(raw.count) bytes, not 32") }
        try reader.expectEnd("the public key")
        return SSHPublicKey(raw: raw)
    }

    /// Parses one public key line, `ssh-ed25519 AAAA... [comment]` (a `.pub` file's content).
    /// - Throws: `SignatureError` `.malformedKey` or `.unsupportedKey`.
    public init(line bytes: some Collection<UInt8>) throws {
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count >= 2 else {
            throw SignatureError(.malformedKey, "not an OpenSSH public key line (expected 'ssh-ed25519 AAAA... [comment]')")
        }
        try self.init(type: fields[0], base64: fields[1])
    }

    /// The key of `type` and `base64` blob fields (an allowed_signers or authorized_keys line's).
    init(type: String, base64: String) throws {
        guard type == Self.ed25519 else {
            throw SignatureError(.unsupportedKey, "the key is of type \(type.prefix(64)); only Ed25519 keys (ssh-ed25519) are supported")
        }
        guard let data = Data(base64Encoded: base64) else {
            throw SignatureError(.malformedKey, "the key's base64 text is broken")
        }
        self = try Self.parse(blob: Array(data), code: .malformedKey, context: "the key line")
    }
}

/// An unencrypted OpenSSH Ed25519 private key (`-----BEGIN OPENSSH PRIVATE KEY-----`,
/// openssh-key-v1 with cipher "none", as `ssh-keygen -t ed25519 -N ''` writes it).
///
/// The key bytes live only inside the Crypto key; nothing here prints them.
public struct SSHPrivateKey: CustomStringConvertible {
    public let publicKey: SSHPublicKey
    /// The key's comment (often user@host); not secret.
    public let comment: String
    private let key: Curve25519.Signing.PrivateKey

    public var description: String { "private \(publicKey.description)" }

    private static let label = "OPENSSH PRIVATE KEY"
    private static let magic = Array("openssh-key-v1\0".utf8)

    /// Parses a private key file's content.
    /// - Throws: `SignatureError` `.encryptedKey` for a passphrase-protected key,
    ///   `.unsupportedKey` for other key types, `.malformedKey` for anything else.
    public init(fileContent bytes: some Collection<UInt8>) throws {
        let input = Array(bytes)
        let body: [UInt8]
        switch Armor.decode(input, label: Self.label) {
        case .bytes(let decoded):
            body = decoded
        case .noBegin:
            let text = String(decoding: input.prefix(64), as: UTF8.self)
            if text.hasPrefix("ssh-") || text.hasPrefix("ecdsa-") || text.hasPrefix("sk-") {
                throw SignatureError(.malformedKey, "this is a public key; the signing key is the private key file (the one without .pub)")
            }
            if let label = Armor.firstLabel(input) {
                throw SignatureError(.unsupportedKey, "this is a '\(label)' file; only OpenSSH Ed25519 private keys are supported (make one with ssh-keygen -t ed25519 -N '' -f FILE)")
            }
            throw SignatureError(.malformedKey, "not an OpenSSH private key (no '-----BEGIN OPENSSH PRIVATE KEY-----' line)")
        case .noEnd:
            throw SignatureError(.malformedKey, "the OpenSSH private key is cut short (no '-----END OPENSSH PRIVATE KEY-----' line)")
        case .badBase64:
            throw SignatureError(.malformedKey, "the OpenSSH private key's base64 text is broken")
        }
        guard body.starts(with: Self.magic) else {
            throw SignatureError(.malformedKey, "not an openssh-key-v1 private key")
        }
        var reader = WireReader(Array(body.dropFirst(Self.magic.count))) {
            SignatureError(.malformedKey, "the OpenSSH private key is malformed (\($0))")
        }
        let cipher = try reader.readName("the cipher name")
        let kdf = try reader.readName("the KDF name")
        _ = try reader.readString("the KDF options")
        guard cipher == "none" else {
            throw SignatureError(.encryptedKey, "the private key is protected by a passphrase (cipher \(cipher), KDF \(kdf)); signing runs unattended and needs an unencrypted key: remove the passphrase with ssh-keygen -p -N '' -f FILE, or make a new key with ssh-keygen -t ed25519 -N '' -f FILE")
        }
        guard kdf == "none" else { throw SignatureError(.malformedKey, "the OpenSSH private key has no cipher but KDF \(kdf)") }
        let count = try reader.readUInt32("the number of keys")
        guard count == 1 else { throw SignatureError(.malformedKey, "the file holds \(count) keys; expected exactly 1") }
        let outerPublic = try SSHPublicKey.parse(blob: try reader.readString("the public key"), code: .malformedKey, context: "the private key file")
        let section = try reader.readString("the private section")
        try reader.expectEnd("the private section")
        guard section.count % 8 == 0 else {
            throw SignatureError(.malformedKey, "the OpenSSH private key is malformed (its private section is not padded to 8 bytes)")
        }
        var inner = WireReader(section) { SignatureError(.malformedKey, "the OpenSSH private key is malformed (\($0))") }
        let check1 = try inner.readUInt32("the check number")
        let check2 = try inner.readUInt32("the check number")
        guard check1 == check2 else { throw SignatureError(.malformedKey, "the OpenSSH private key is damaged (its check numbers differ)") }
        let type = try inner.readName("the key type")
        guard type == SSHPublicKey.ed25519 else {
            throw SignatureError(.unsupportedKey, "the private key is of type \(type); only Ed25519 keys are supported (make one with ssh-keygen -t ed25519 -N '' -f FILE)")
        }
        let publicRaw = try inner.readString("the public half")
        let secret = try inner.readString("the private half")
        let comment = try inner.readString("the comment")
        let padding = Array(section[inner.offset...])
        guard padding.count < 8, padding.enumerated().allSatisfy({ $0.element == UInt8($0.offset + 1) }) else {
            throw SignatureError(.malformedKey, "the OpenSSH private key is malformed (bad padding after the key)")
        }
        guard publicRaw.count == 32, secret.count == 64, Array(secret[32...]) == publicRaw, publicRaw == outerPublic.raw else {
            throw SignatureError(.malformedKey, "the OpenSSH private key is damaged (its halves do not belong together)")
        }
        let key: Curve25519.Signing.PrivateKey
        do {
            key = try Curve25519.Signing.PrivateKey(rawRepresentation: secret[0..<32])
        } catch {
            throw SignatureError(.malformedKey, "the Ed25519 private key is not usable")
        }
        guard Array(key.publicKey.rawRepresentation) == publicRaw else {
            throw SignatureError(.malformedKey, "the OpenSSH private key is damaged (its private half does not give its public half)")
        }
        self.key = key
        self.publicKey = outerPublic
        self.comment = String(decoding: comment, as: UTF8.self)
    }

    /// The raw 64-byte Ed25519 signature of `data`.
    func sign(_ data: [UInt8]) throws -> [UInt8] {
        Array(try key.signature(for: data))
    }
}
