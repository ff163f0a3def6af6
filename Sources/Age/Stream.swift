import Crypto
import Foundation

/// The STREAM construction of the payload: 64 KiB plaintext chunks sealed with
/// ChaCha20-Poly1305 under nonce = 11-byte big-endian counter ‖ last-chunk flag.
enum PayloadStream {
    static let chunkSize = 64 * 1024
    static let tagSize = 16
    static let encryptedChunkSize = chunkSize + tagSize
    static let nonceSize = 16

    static func key(fileKey: SymmetricKey, nonce: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: fileKey, salt: nonce, info: Array("payload".utf8), outputByteCount: 32)
    }

    static func nonce(_ counter: UInt64, last: Bool) -> ChaChaPoly.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        for i in 0..<8 { bytes[10 - i] = UInt8(truncatingIfNeeded: counter >> (8 * UInt64(i))) }
        bytes[11] = last ? 1 : 0
        return try! ChaChaPoly.Nonce(data: bytes)
    }

    static func open(_ chunk: UnsafeRawBufferPointer, key: SymmetricKey, counter: UInt64, last: Bool) -> Data? {
        let split = chunk.count - tagSize
        guard split >= 0,
              let box = try? ChaChaPoly.SealedBox(
                nonce: nonce(counter, last: last), ciphertext: UnsafeRawBufferPointer(rebasing: chunk[0..<split]),
                tag: UnsafeRawBufferPointer(rebasing: chunk[split...]))
        else { return nil }
        return try? ChaChaPoly.open(box, using: key)
    }
}

/// Decrypts an age file as a stream: the header is read and checked on `init`, the payload chunk
/// by chunk as `read` asks for it. Plaintext is released only after its chunk authenticated; `read`
/// returns 0 only once the last chunk authenticated and the input ended right after it (a
/// truncation or trailing data throws instead, so a reader that reads to the end never takes a
/// damaged file for a whole one). Memory is bounded
/// (one chunk), whatever the file's size.
public final class AgeDecryptor {
    private let reader: ByteReader
    private let payloadKey: SymmetricKey
    /// The recipient stanzas' types in file order ("X25519", ...).
    public let stanzaTypes: [String]
    private var counter: UInt64 = 0
    private var encrypted = UnsafeMutableRawBufferPointer.allocate(byteCount: PayloadStream.encryptedChunkSize, alignment: 16)
    private var plain = Data()
    private var plainStart = 0
    /// The last chunk was decrypted.
    private var finished = false
    /// ...and the input was seen to end after it.
    private var endChecked = false
    private var failure: Error?

    /// Reads and checks the header, unwraps the file key with the first identity that opens a
    /// stanza, checks the header MAC and reads the payload nonce.
    /// - Throws: `AgeError` (`noMatchingIdentity` names the stanza types), or the source's error.
    public init(identities: [AgeIdentity], source: @escaping AgeByteSource) throws {
        let reader = ByteReader(source)
        self.reader = reader
        do {
            let header = try Header.parse(reader)
            stanzaTypes = header.stanzas.map(\.type)
            var fileKey: [UInt8]?
            search: for identity in identities {
                for stanza in header.stanzas where stanza.type == X25519Stanza.type {
                    if let key = try X25519Stanza.unwrap(stanza, with: identity) {
                        fileKey = key
                        break search
                    }
                }
            }
            guard let fileKey else { throw AgeError.noMatchingIdentity(stanzaTypes: stanzaTypes) }
            let key = SymmetricKey(data: fileKey)
            guard header.verifyMAC(key) else { throw AgeError.headerMAC }
            var nonce = [UInt8](repeating: 0, count: PayloadStream.nonceSize)
            let got = try nonce.withUnsafeMutableBytes { try reader.readFully($0) }
            guard got == nonce.count else { throw AgeError.truncated("inside the payload nonce, right after the header") }
            payloadKey = PayloadStream.key(fileKey: key, nonce: nonce)
        } catch {
            encrypted.deallocate()
            throw error
        }
    }

    deinit { encrypted.deallocate() }

    /// Decrypts a whole age file held in memory (tests, fuzzing).
    public static func decrypt(_ bytes: [UInt8], identities: [AgeIdentity]) throws -> [UInt8] {
        var offset = 0
        let decryptor = try AgeDecryptor(identities: identities) { out in
            let n = min(out.count, bytes.count - offset)
            out.copyBytes(from: bytes[offset..<(offset + n)])
            offset += n
            return n
        }
        return try decryptor.readAll()
    }

    /// Everything that is left (tests, small files).
    public func readAll() throws -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: PayloadStream.chunkSize)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try read(into: $0) }
            if n == 0 { return out }
            out += buffer[0..<n]
        }
    }

    /// Plaintext into `out`; 0 only at the authenticated end. After an error every call throws it.
    public func read(into out: UnsafeMutableRawBufferPointer) throws -> Int {
        if let failure { throw failure }
        guard out.count > 0 else { return 0 }
        do {
            while plainStart == plain.count {
                if endChecked { return 0 }
                try nextChunk()
            }
            let n = min(out.count, plain.count - plainStart)
            plain.withUnsafeBytes { p in
                out.copyMemory(from: UnsafeRawBufferPointer(rebasing: p[plainStart..<(plainStart + n)]))
            }
            plainStart += n
            return n
        } catch {
            failure = error
            throw error
        }
    }

    /// Decrypts the next chunk as age's reference implementation does: a full-size chunk is
    /// tried as a middle chunk, then as the last; a short one can only be the last. After the last
    /// chunk the input must end (checked before `read` returns 0).
    private func nextChunk() throws {
        if finished {
            // The last chunk was released; nothing may follow it.
            var probe: UInt8 = 0
            let extra = try withUnsafeMutableBytes(of: &probe) { try reader.readFully($0) }
            if extra > 0 { throw AgeError.trailingData }
            endChecked = true
            return
        }
        let n = try reader.readFully(UnsafeMutableRawBufferPointer(rebasing: encrypted[0..<PayloadStream.encryptedChunkSize]))
        let index = counter + 1
        if n == 0 {
            if counter == 0 { throw AgeError.truncated("right after the payload nonce (no chunks; even an empty payload has one)") }
            throw AgeError.truncated("after payload chunk \(counter), which is not marked last: chunks are missing")
        }
        guard n >= PayloadStream.tagSize else {
            throw AgeError.truncated("inside payload chunk \(index) (\(n) bytes, shorter than its tag)")
        }
        let chunk = UnsafeRawBufferPointer(rebasing: encrypted[0..<n])
        var last = n < PayloadStream.encryptedChunkSize
        var opened = PayloadStream.open(chunk, key: payloadKey, counter: counter, last: last)
        if opened == nil && !last {
            opened = PayloadStream.open(chunk, key: payloadKey, counter: counter, last: true)
            last = true
        }
        guard let opened else {
            if last && PayloadStream.open(chunk, key: payloadKey, counter: counter, last: false) != nil {
                throw AgeError.truncated("after payload chunk \(index), which is not marked last: chunks are missing")
            }
            throw AgeError.damagedPayload("payload chunk \(index) fails authentication (bytes changed)")
        }
        if last && opened.isEmpty && counter > 0 {
            throw AgeError.damagedPayload("the last chunk (\(index)) is empty; only an empty payload may end with an empty chunk")
        }
        plain = opened
        plainStart = 0
        finished = last
        guard counter < (1 << 63) else { throw AgeError.damagedPayload("too many chunks") }
        counter += 1
    }
}

/// Encrypts a stream to X25519 recipients: the header is written on `init`, the payload as
/// `write` fills 64 KiB chunks, the last chunk on `finish`. Holds one chunk in memory.
public final class AgeEncryptor {
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private let payloadKey: SymmetricKey
    private var counter: UInt64 = 0
    private var buffer = [UInt8]()
    private var finished = false

    /// - Throws: `AgeError.invalidKey` without recipients; the sink's errors.
    public init(recipients: [AgeRecipient], sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !recipients.isEmpty else { throw AgeError.invalidKey("no recipients to encrypt to") }
        self.sink = sink
        let fileKey = SymmetricKey(size: .bits128)
        let fileKeyBytes = fileKey.withUnsafeBytes { [UInt8]($0) }
        let stanzas = try recipients.map { try X25519Stanza.wrap(fileKeyBytes, to: $0) }
        var nonce = [UInt8](repeating: 0, count: PayloadStream.nonceSize)
        SymmetricKey(size: .bits128).withUnsafeBytes { nonce = [UInt8]($0) }
        payloadKey = PayloadStream.key(fileKey: fileKey, nonce: nonce)
        buffer.reserveCapacity(PayloadStream.chunkSize)
        try (Header.make(stanzas, fileKey: fileKey).encoded() + nonce).withUnsafeBytes { try sink($0) }
    }

    /// Encrypts a whole plaintext held in memory (tests).
    public static func encrypt(_ bytes: [UInt8], to recipients: [AgeRecipient]) throws -> [UInt8] {
        var out: [UInt8] = []
        let encryptor = try AgeEncryptor(recipients: recipients) { out += $0 }
        try bytes.withUnsafeBytes { try encryptor.write($0) }
        try encryptor.finish()
        return out
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!finished, "write after finish")
        var rest = bytes[...]
        while !rest.isEmpty {
            // A full chunk is sealed only once more data arrives: the last chunk may be full.
            if buffer.count == PayloadStream.chunkSize { try seal(last: false) }
            let take = min(rest.count, PayloadStream.chunkSize - buffer.count)
            buffer += rest.prefix(take)
            rest = rest.dropFirst(take)
        }
    }

    /// Seals the last chunk (empty only if nothing was written).
    public func finish() throws {
        precondition(!finished, "finish called twice")
        try seal(last: true)
        finished = true
    }

    private func seal(last: Bool) throws {
        let box = try ChaChaPoly.seal(buffer, using: payloadKey, nonce: PayloadStream.nonce(counter, last: last))
        try box.ciphertext.withUnsafeBytes { try sink($0) }
        try box.tag.withUnsafeBytes { try sink($0) }
        buffer.removeAll(keepingCapacity: true)
        counter += 1
    }
}
