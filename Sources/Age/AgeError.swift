/// An error reading or writing an age file (age-encryption.org/v1) or an age key.
///
/// Every case's message says what was wrong with the input; none ever contains key material.
public enum AgeError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The header is malformed: bad version line, stanza, base64, MAC line, or an X25519 stanza
    /// that can never be valid (wrong sizes, low-order share). The file is damaged or not age.
    case malformedHeader(String)
    /// The header's version line names a version other than v1.
    case unsupportedVersion(String)
    /// A file key was unwrapped but the header MAC does not match: the header was altered.
    case headerMAC
    /// None of the identities unwraps any recipient stanza. `stanzaTypes` are the stanzas' types
    /// in file order ("X25519", "scrypt", "ssh-ed25519", ...).
    case noMatchingIdentity(stanzaTypes: [String])
    /// The file ends before its end was authenticated (inside the header, nonce or payload).
    case truncated(String)
    /// A payload chunk failed authentication, or the STREAM framing is wrong.
    case damagedPayload(String)
    /// Bytes follow the authenticated last chunk.
    case trailingData
    /// A recipient or identity string (or key file line) is not valid.
    case invalidKey(String)
    /// The byte source or sink failed; `message` is the underlying error's description.
    case io(String)

    public var description: String {
        switch self {
        case .malformedHeader(let why): return "malformed age header: \(why)"
        case .unsupportedVersion(let line): return "unsupported age format version \(line)"
        case .headerMAC: return "the age header MAC does not match: the header was altered"
        case .noMatchingIdentity(let types):
            let list = types.isEmpty ? "no recipient stanzas" : types.joined(separator: ", ")
            return "none of the identities given can decrypt it (it is encrypted to: \(list))"
        case .truncated(let where_): return "the age file is truncated: it ends \(where_)"
        case .damagedPayload(let why): return "the age payload is damaged: \(why)"
        case .trailingData: return "the age file has data after its authenticated end"
        case .invalidKey(let why): return why
        case .io(let message): return message
        }
    }

    /// True for the cases that mean the file's bytes are wrong (not a key or I/O problem).
    public var isDamage: Bool {
        switch self {
        case .malformedHeader, .unsupportedVersion, .headerMAC, .truncated, .damagedPayload, .trailingData: return true
        case .noMatchingIdentity, .invalidKey, .io: return false
        }
    }
}
