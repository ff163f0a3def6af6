import Crypto
import Foundation

/// The digests of a message an SSH signature can cover (`ssh-keygen -Y` uses SHA-512 by
/// default, SHA-256 on request). Computed once, in one pass, by `MessageHasher`.
public struct MessageDigests: Sendable, Equatable {
    public var sha256: [UInt8]
    /// nil when it was not computed (nothing to sign or verify).
    public var sha512: [UInt8]?

    public init(sha256: [UInt8], sha512: [UInt8]?) {
        self.sha256 = sha256
        self.sha512 = sha512
    }

    /// Both digests of `bytes` (small messages and tests).
    public init(of bytes: some Collection<UInt8>) {
        var hasher = MessageHasher()
        Array(bytes).withUnsafeBytes { hasher.update(bufferPointer: $0) }
        self = hasher.finalize()
    }

    func digest(for algorithm: String) -> [UInt8]? {
        switch algorithm {
        case "sha256": return sha256
        case "sha512": return sha512
        default: return nil
        }
    }
}

/// SHA-256 and (unless told not to) SHA-512 of a stream, fed piece by piece: the message is
/// never held in memory.
public struct MessageHasher {
    private var sha256 = SHA256()
    private var sha512: SHA512?

    /// - Parameter sha512: also compute SHA-512 (needed to sign, or to check a signature).
    public init(sha512: Bool = true) {
        self.sha512 = sha512 ? SHA512() : nil
    }

    public mutating func update(bufferPointer bytes: UnsafeRawBufferPointer) {
        sha256.update(bufferPointer: bytes)
        sha512?.update(bufferPointer: bytes)
    }

    public func finalize() -> MessageDigests {
        MessageDigests(sha256: Array(sha256.finalize()), sha512: sha512.map { Array($0.finalize()) })
    }
}

/// An SSH signature in OpenSSH's SSHSIG format (PROTOCOL.sshsig): what `ssh-keygen -Y sign`
/// writes and `ssh-keygen -Y verify` checks.
public struct SSHSignature: Sendable, Equatable {
    public static let label = "SSH SIGNATURE"
    static let magic = Array("SSHSIG".utf8)

    public var publicKey: SSHPublicKey
    /// Which program's signatures these are (ours: `sentient-snap`); a signature for another
    /// namespace is never accepted, so one made for git or for e-mail cannot pass as an archive's.
    public var namespace: String
    /// "sha512" or "sha256".
    public var hashAlgorithm: String
    /// The raw 64-byte Ed25519 signature of `signedData`.
    public var signature: [UInt8]

    /// Signs the message whose digests are given (SHA-512, as `ssh-keygen -Y sign` does).
    public static func sign(_ digests: MessageDigests, namespace: String, key: SSHPrivateKey) throws -> SSHSignature {
        guard let sha512 = digests.sha512 else { preconditionFailure("signing needs the message's SHA-512") }
        let data = signedData(namespace: namespace, hashAlgorithm: "sha512", digest: sha512)
        do {
            return SSHSignature(publicKey: key.publicKey, namespace: namespace, hashAlgorithm: "sha512", signature: try key.sign(data))
        } catch {
            throw SignatureError(.malformedKey, "signing with \(key.publicKey) failed: \(error)")
        }
    }

    /// What the key signs: the magic, the namespace, a reserved string, the hash algorithm and
    /// the message's digest.
    static func signedData(namespace: String, hashAlgorithm: String, digest: [UInt8]) -> [UInt8] {
        var writer = WireWriter()
        writer.append(raw: magic)
        writer.append(string: namespace)
        writer.append(string: [UInt8]())
        writer.append(string: hashAlgorithm)
        writer.append(string: digest)
        return writer.bytes
    }

    /// The binary signature blob (before armoring).
    public var blob: [UInt8] {
        var signatureBlob = WireWriter()
        signatureBlob.append(string: SSHPublicKey.ed25519)
        signatureBlob.append(string: signature)
        var writer = WireWriter()
        writer.append(raw: Self.magic)
        writer.append(UInt32(1))
        writer.append(string: publicKey.blob)
        writer.append(string: namespace)
        writer.append(string: [UInt8]())
        writer.append(string: hashAlgorithm)
        writer.append(string: signatureBlob.bytes)
        return writer.bytes
    }

    /// `-----BEGIN SSH SIGNATURE-----`, base64 at 70 columns, `-----END SSH SIGNATURE-----`,
    /// byte for byte as `ssh-keygen -Y sign` writes it.
    public var armored: String { Armor.encode(blob, label: Self.label) }

    init(publicKey: SSHPublicKey, namespace: String, hashAlgorithm: String, signature: [UInt8]) {
        self.publicKey = publicKey
        self.namespace = namespace
        self.hashAlgorithm = hashAlgorithm
        self.signature = signature
    }

    /// Parses an armored signature (a `.sig` file's content).
    /// - Throws: `SignatureError` `.malformedSignature`, or `.unsupportedSignature` for a
    ///   version, key type or hash algorithm this module cannot check.
    public init(armored bytes: some Collection<UInt8>) throws {
        switch Armor.decode(Array(bytes), label: Self.label) {
        case .bytes(let blob):
            try self.init(blob: blob)
        case .noBegin:
            throw SignatureError(.malformedSignature, "not an SSH signature (no '-----BEGIN SSH SIGNATURE-----' line)")
        case .noEnd:
            throw SignatureError(.malformedSignature, "the SSH signature is cut short (no '-----END SSH SIGNATURE-----' line)")
        case .badBase64:
            throw SignatureError(.malformedSignature, "the SSH signature's base64 text is broken")
        }
    }

    /// Parses a binary signature blob.
    public init(blob: [UInt8]) throws {
        guard blob.starts(with: Self.magic) else {
            throw SignatureError(.malformedSignature, "not an SSH signature (no SSHSIG magic)")
        }
        var reader = WireReader(Array(blob.dropFirst(Self.magic.count))) {
            SignatureError(.malformedSignature, "the SSH signature is malformed (\($0))")
        }
        let version = try reader.readUInt32("the version")
        guard version == 1 else {
            throw SignatureError(.unsupportedSignature, "the SSH signature has version \(version); only version 1 is supported")
        }
        let key = try SSHPublicKey.parse(blob: try reader.readString("the public key"), code: .malformedSignature, context: "the SSH signature")
        let namespace = try reader.readName("the namespace")
        _ = try reader.readString("the reserved field")
        let hash = try reader.readName("the hash algorithm")
        guard hash == "sha512" || hash == "sha256" else {
            throw SignatureError(.unsupportedSignature, "the SSH signature uses hash \(hash); only sha512 and sha256 are supported")
        }
        var inner = WireReader(try reader.readString("the signature")) {
            SignatureError(.malformedSignature, "the SSH signature's signature field is malformed (\($0))")
        }
        try reader.expectEnd("the signature")
        let type = try inner.readName("the signature type")
        guard type == SSHPublicKey.ed25519 else {
            throw SignatureError(.unsupportedSignature, "the SSH signature is of type \(type); only ssh-ed25519 is supported")
        }
        let raw = try inner.readString("the Ed25519 signature")
        guard raw.count == 64 else {
            throw SignatureError(.malformedSignature, "the Ed25519 signature has \(raw.count) bytes, not 64")
        }
        try inner.expectEnd("the Ed25519 signature")
        self.init(publicKey: key, namespace: namespace, hashAlgorithm: hash, signature: raw)
    }

    /// Checks that this signature, for `namespace`, covers the message with `digests`. It says
    /// nothing about whether its key is trusted: see `AllowedSigners`.
    /// - Throws: `SignatureError` `.wrongNamespace` or `.badSignature`.
    public func verify(_ digests: MessageDigests, namespace expected: String) throws {
        guard namespace == expected else {
            throw SignatureError(.wrongNamespace, "the signature is for namespace '\(namespace)', not '\(expected)': it was not made for this purpose")
        }
        guard let digest = digests.digest(for: hashAlgorithm) else {
            preconditionFailure("checking a signature needs the message's \(hashAlgorithm)")
        }
        let data = Self.signedData(namespace: namespace, hashAlgorithm: hashAlgorithm, digest: digest)
        let valid: Bool
        do {
            valid = try Curve25519.Signing.PublicKey(rawRepresentation: publicKey.raw).isValidSignature(signature, for: data)
        } catch {
            valid = false
        }
        guard valid else {
            throw SignatureError(.badSignature, "the signature by \(publicKey) does not match the data: the data or the signature was changed")
        }
    }
}
