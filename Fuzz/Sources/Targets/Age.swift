@testable import Age

/// The identities the `age` target decrypts with: the age testkit's (Fixtures/age-testkit,
/// public test keys), which also made the seeds in Fixtures/fuzz-corpus/age/.
private let ageIdentities: [AgeIdentity] = [
    try! AgeIdentity("AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0"),
    try! AgeIdentity("AGE-SECRET-KEY-143WN7DCXU4G8R5AXQSSYD9AEPYDNT3HXSLWSPK36CDU6E8M59SSSAGZ3KG"),
]

/// An age file as it comes from a disk or a store: the header (version, stanzas, MAC) and the
/// STREAM payload. Decrypted twice, once in one piece (`AgeDecryptor.decrypt`) and once from a
/// source that hands out odd-sized pieces into a small read buffer (the ByteReader's refills and
/// the chunk boundaries): both must release the same plaintext or fail with the same error.
let ageTarget = FuzzTarget(name: "age", maxLen: 140_000) { bytes in
    let whole = Result { try AgeDecryptor.decrypt(bytes, identities: ageIdentities) }
    let pieced = Result { () throws -> [UInt8] in
        let piece = 1 + bytes.count % 4093
        var offset = 0
        let decryptor = try AgeDecryptor(identities: ageIdentities) { out in
            let n = min(out.count, piece, bytes.count - offset)
            out.copyBytes(from: bytes[offset..<(offset + n)])
            offset += n
            return n
        }
        var plain: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1000)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try decryptor.read(into: $0) }
            if n == 0 { return plain }
            plain += buffer[0..<n]
        }
    }
    switch (whole, pieced) {
    case (.success(let a), .success(let b)):
        precondition(a == b, "age: the plaintext depends on how the input was read")
    case (.failure(let a as AgeError), .failure(let b as AgeError)):
        precondition(a == b, "age: the error depends on how the input was read: \(a) / \(b)")
    default:
        preconditionFailure("age: success depends on how the input was read: \(whole) / \(pieced)")
    }
}

/// age's key files and key strings: the first byte picks the parser (0 identity file,
/// 1 recipients file, 2 one identity, 3 one recipient); the rest is the text. A key that parses
/// must come back the same from its own encoding.
let ageKeysTarget = FuzzTarget(name: "age-keys", maxLen: 4 << 10) { bytes in
    guard let selector = bytes.first else { return }
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
    var identities: [AgeIdentity] = []
    var recipients: [AgeRecipient] = []
    switch selector % 4 {
    case 0: identities = (try? AgeKeyFile.identities(text)) ?? []
    case 1: recipients = (try? AgeKeyFile.recipients(text)) ?? []
    case 2: identities = (try? AgeIdentity(text)).map { [$0] } ?? []
    default: recipients = (try? AgeRecipient(text)).map { [$0] } ?? []
    }
    for identity in identities {
        let again = try! AgeIdentity(identity.secretString)
        precondition(again.recipient == identity.recipient, "age-keys: an identity does not survive its encoding")
    }
    for recipient in recipients {
        precondition(try! AgeRecipient(recipient.description) == recipient, "age-keys: a recipient does not survive its encoding")
    }
}
