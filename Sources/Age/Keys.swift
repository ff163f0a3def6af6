import Crypto
import Foundation

/// An X25519 recipient, `age1...`: the public half an archive is encrypted to.
public struct AgeRecipient: Sendable, Equatable, CustomStringConvertible {
    public let publicKey: [UInt8]

    public init(publicKey: [UInt8]) throws {
        guard publicKey.count == 32 else { throw AgeError.invalidKey("an X25519 recipient is 32 bytes, not \(publicKey.count)") }
        self.publicKey = publicKey
    }

    /// Parses `age1...` (lower case, as age-keygen prints it).
    public init(_ string: String) throws {
        guard let (hrp, data) = Bech32.decode(string), hrp == "age", string == string.lowercased() else {
            throw AgeError.invalidKey("\"\(string)\" is not an age X25519 recipient (age1... as age-keygen prints it)")
        }
        try self.init(publicKey: data)
    }

    public var description: String { Bech32.encode(hrp: "age", data: publicKey) }
}

/// An X25519 identity, `AGE-SECRET-KEY-1...`: the secret that decrypts. Its `description` never
/// shows the key.
public struct AgeIdentity: Sendable, CustomStringConvertible {
    /// The raw scalar (swift-crypto's key type is not Sendable; it is rebuilt when used).
    private let secret: [UInt8]
    var privateKey: Curve25519.KeyAgreement.PrivateKey { try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: secret) }

    public init(secretKey: [UInt8]) throws {
        guard secretKey.count == 32 else { throw AgeError.invalidKey("an X25519 identity is 32 bytes, not \(secretKey.count)") }
        _ = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: secretKey)
        secret = secretKey
    }

    /// Parses `AGE-SECRET-KEY-1...` (upper case, as age-keygen writes it). The message of the
    /// error never repeats the string.
    public init(_ string: String) throws {
        guard let (hrp, data) = Bech32.decode(string), hrp == "age-secret-key-", string == string.uppercased() else {
            throw AgeError.invalidKey("not an age X25519 identity (AGE-SECRET-KEY-1... as age-keygen writes it)")
        }
        try self.init(secretKey: data)
    }

    /// A new random identity.
    public static func generate() -> AgeIdentity {
        // The raw representation of a fresh key is 32 bytes: cannot fail.
        try! AgeIdentity(secretKey: [UInt8](Curve25519.KeyAgreement.PrivateKey().rawRepresentation))
    }

    public var recipient: AgeRecipient {
        try! AgeRecipient(publicKey: [UInt8](privateKey.publicKey.rawRepresentation))
    }

    /// The Bech32 secret, for writing an identity file (tests, key generation). Never log it.
    public var secretString: String {
        Bech32.encode(hrp: "age-secret-key-", data: [UInt8](privateKey.rawRepresentation)).uppercased()
    }

    public var description: String { "age identity for \(recipient)" }
}

/// age's key file formats: one key per line; blank lines and lines starting with `#` are ignored.
public enum AgeKeyFile {
    /// The identities of an identity file (as `age-keygen -o` writes it).
    /// - Throws: `AgeError.invalidKey` naming the line number (never its content).
    public static func identities(_ text: String, name: String = "the identity file") throws -> [AgeIdentity] {
        var found: [AgeIdentity] = []
        for (number, line) in lines(text) {
            do {
                found.append(try AgeIdentity(line))
            } catch {
                throw AgeError.invalidKey(
                    "\(name) line \(number) is not an age X25519 identity (AGE-SECRET-KEY-1...); only X25519 identities are supported")
            }
        }
        guard !found.isEmpty else { throw AgeError.invalidKey("\(name) holds no identities") }
        return found
    }

    /// The recipients of a recipients file (one `age1...` per line, as `age -R` reads).
    public static func recipients(_ text: String, name: String = "the recipients file") throws -> [AgeRecipient] {
        var found: [AgeRecipient] = []
        for (number, line) in lines(text) {
            do {
                found.append(try AgeRecipient(line))
            } catch {
                // The line is not shown: it may be a secret key put in the wrong file.
                throw AgeError.invalidKey(
                    "\(name) line \(number) is not an age X25519 recipient (age1...); only X25519 recipients are supported")
            }
        }
        guard !found.isEmpty else { throw AgeError.invalidKey("\(name) holds no recipients") }
        return found
    }

    private static func lines(_ text: String) -> [(Int, String)] {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, raw in
            var line = Substring(raw)
            if line.hasSuffix("\r") { line = line.dropLast() }
            line = line.drop { $0 == " " || $0 == "\t" }
            while let last = line.last, last == " " || last == "\t" { line = line.dropLast() }
            if line.isEmpty || line.hasPrefix("#") { return nil }
            return (index + 1, String(line))
        }
    }
}
