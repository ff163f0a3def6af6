@testable import Age
import Compression
import Crypto
import Foundation
import TestHarness
import Testing

/// One vector of the age testkit (Fixtures/age-testkit/README.md).
struct TestkitVector: CustomStringConvertible {
    var name: String
    var expect: String
    var payloadSHA256: String?
    var identities: [String]
    var file: [UInt8]
    var description: String { name }

    static func load(_ name: String) throws -> TestkitVector {
        let raw = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixturePath("age-testkit/" + name))))
        var index = 0
        var vector = TestkitVector(name: name, expect: "", payloadSHA256: nil, identities: [], file: [])
        var compressed = false
        while true {
            let nl = raw[index...].firstIndex(of: 0x0A)!
            let line = String(decoding: raw[index..<nl], as: UTF8.self)
            index = nl + 1
            if line.isEmpty { break }
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            switch parts[0] {
            case "expect": vector.expect = parts[1]
            case "payload": vector.payloadSHA256 = parts[1]
            case "identity": vector.identities.append(parts[1])
            case "compressed": compressed = parts[1] == "zlib"
            default: break
            }
        }
        vector.file = Array(raw[index...])
        if compressed {
            var out: [UInt8] = []
            let inflater = try ZlibInflater()
            _ = try vector.file.withUnsafeBytes { try inflater.inflate($0) { out += $0 } }
            vector.file = out
        }
        return vector
    }

    static var all: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: fixturePath("age-testkit")))?
            .filter { $0 != "README.md" }.sorted() ?? []
    }
}

/// What decrypting a vector did, in the testkit's terms.
func outcome(_ vector: TestkitVector) throws -> (expect: String, released: [UInt8], error: AgeError?) {
    let identities = try vector.identities.map { try AgeIdentity($0) }
    var offset = 0
    let bytes = vector.file
    let decryptor: AgeDecryptor
    do {
        decryptor = try AgeDecryptor(identities: identities) { out in
            let n = min(out.count, bytes.count - offset)
            out.copyBytes(from: bytes[offset..<(offset + n)])
            offset += n
            return n
        }
    } catch let error as AgeError {
        switch error {
        case .noMatchingIdentity: return ("no match", [], error)
        case .headerMAC: return ("HMAC failure", [], error)
        default: return ("header failure", [], error)
        }
    }
    var released: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 10_000)  // not a chunk multiple: exercises partial reads
    do {
        while true {
            let n = try buffer.withUnsafeMutableBytes { try decryptor.read(into: $0) }
            if n == 0 { return ("success", released, nil) }
            released += buffer[0..<n]
        }
    } catch let error as AgeError {
        return ("payload failure", released, error)
    }
}

@Suite struct AgeTestkitTests {
    @Test func vectorsArePresent() {
        #expect(TestkitVector.all.count >= 60)
    }

    /// Every vector gives the outcome it expects, and the plaintext released (all of it on
    /// success, what came before the failure otherwise) has the expected hash.
    @Test(arguments: TestkitVector.all)
    func vector(_ name: String) throws {
        let vector = try TestkitVector.load(name)
        let result = try outcome(vector)
        #expect(result.expect == vector.expect, "\(name): \(result.error.map { "\($0)" } ?? "no error")")
        if let expected = vector.payloadSHA256, result.expect == vector.expect, ["success", "payload failure"].contains(vector.expect) {
            let got = SHA256.hash(data: result.released).map { String(format: "%02x", $0) }.joined()
            #expect(got == expected, "\(name): released plaintext differs")
        }
    }

    /// A header that parses is written back byte for byte (the MAC covers the parsed bytes, so
    /// a lax parser would be caught here).
    @Test(arguments: TestkitVector.all)
    func headerRoundTrip(_ name: String) throws {
        let vector = try TestkitVector.load(name)
        guard vector.expect != "header failure" else { return }
        var offset = 0
        let bytes = vector.file
        let reader = ByteReader { out in
            let n = min(out.count, bytes.count - offset)
            out.copyBytes(from: bytes[offset..<(offset + n)])
            offset += n
            return n
        }
        let header = try Header.parse(reader)
        let encoded = header.encoded()
        #expect(Array(bytes.prefix(encoded.count)) == encoded)
    }
}
