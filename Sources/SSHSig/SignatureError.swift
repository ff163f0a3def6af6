/// An error reading a key, an `allowed_signers` file or an SSH signature, or a signature that
/// does not hold.
///
/// Programs match on `code`; `message` is for people. No message ever holds secret key bytes.
public struct SignatureError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Code: Equatable, Sendable {
        /// The signature is not a well-formed SSH signature (armor, base64, structure, truncation).
        case malformedSignature
        /// A well-formed signature this module cannot check (version, key type, hash algorithm).
        case unsupportedSignature
        /// The signature was made for another namespace (another program's signatures).
        case wrongNamespace
        /// The signature does not match the data (data or signature changed, or another key's).
        case badSignature
        /// The signature holds, but its key is not one the allowed_signers file trusts (for
        /// this namespace, at this time).
        case notTrusted
        /// A key file or key line is not a well-formed OpenSSH key.
        case malformedKey
        /// The private key is protected by a passphrase.
        case encryptedKey
        /// A well-formed key of a type other than Ed25519.
        case unsupportedKey
        /// An allowed_signers line that cannot be understood.
        case malformedAllowedSigners
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
