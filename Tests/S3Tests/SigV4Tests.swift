import Crypto
import Foundation
import S3
import TestHarness
import Testing

/// A file of signing cases (Fixtures/sigv4).
private struct VectorFile: Decodable {
    struct Case: Decodable {
        var name: String
        var method: String
        var path: String
        var query: [[String]]
        var headers: [String: String]
        var body: String
        var authorization: String
    }
    var accessKeyID: String
    var secretAccessKey: String
    var region: String
    var service: String
    var date: String
    var cases: [Case]

    static func load(_ name: String) throws -> VectorFile {
        try JSONDecoder().decode(VectorFile.self, from: Data(contentsOf: URL(fileURLWithPath: fixturePath("sigv4/" + name))))
    }
}

private func signed(_ file: VectorFile, _ test: VectorFile.Case) -> String {
    let date = ISO8601DateFormatter().date(from: file.date)!
    return SigV4.authorization(
        method: test.method, path: test.path, query: test.query.map { ($0[0], $0[1]) }, headers: test.headers,
        payloadHash: SigV4.hex(SHA256.hash(data: Data(test.body.utf8))),
        credentials: S3Credentials(accessKeyID: file.accessKeyID, secretAccessKey: file.secretAccessKey),
        region: file.region, service: file.service, date: date)
}

@Suite struct SigV4Tests {
    @Test("AWS's SigV4 test suite: each case's Authorization header", arguments: try VectorFile.load("vectors.json").cases.map(\.name))
    func testSuite(name: String) throws {
        let file = try VectorFile.load("vectors.json")
        let test = try #require(file.cases.first { $0.name == name })
        #expect(signed(file, test) == test.authorization)
    }

    @Test("The S3 reference's GET Object with Range (examplebucket, 2013-05-24)")
    func s3GetObjectExample() throws {
        let file = try VectorFile.load("s3-get-object-range.json")
        for test in file.cases { #expect(signed(file, test) == test.authorization) }
    }

    @Test("A changed secret, header or path changes the signature")
    func sensitivity() throws {
        let file = try VectorFile.load("s3-get-object-range.json")
        let test = file.cases[0]
        var other = file
        other.secretAccessKey += "x"
        #expect(signed(other, test) != test.authorization)
        var moved = test
        moved.path = "/test.txt2"
        #expect(signed(file, moved) != test.authorization)
        var ranged = test
        ranged.headers["range"] = "bytes=0-10"
        #expect(signed(file, ranged) != test.authorization)
    }

    @Test("Credentials never show their secret")
    func credentialsHideTheSecret() {
        let credentials = S3Credentials(accessKeyID: "AKID", secretAccessKey: "very-secret")
        #expect(!"\(credentials)".contains("very-secret"))
    }

    @Test("The credential chain: environment first, then the named profile in the shared file")
    func credentialChain() throws {
        let dir = try TempDir(prefix: "s3-cred")
        let file = dir.path + "/credentials"
        try "[default]\naws_access_key_id = DEF\naws_secret_access_key = defsecret\n\n[profile venue]\naws_access_key_id=VEN\naws_secret_access_key=vensecret\naws_session_token=tok\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let fromEnv = try S3Credentials.resolve(environment: ["AWS_ACCESS_KEY_ID": "ENV", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SHARED_CREDENTIALS_FILE": file]).0
        #expect(fromEnv.accessKeyID == "ENV")
        let fromDefault = try S3Credentials.resolve(environment: ["AWS_SHARED_CREDENTIALS_FILE": file]).0
        #expect(fromDefault.accessKeyID == "DEF" && fromDefault.secretAccessKey == "defsecret")
        let fromProfile = try S3Credentials.resolve(environment: ["AWS_SHARED_CREDENTIALS_FILE": file, "AWS_PROFILE": "venue"]).0
        #expect(fromProfile.accessKeyID == "VEN" && fromProfile.sessionToken == "tok")
        #expect(throws: S3Error.self) { try S3Credentials.resolve(environment: ["AWS_SHARED_CREDENTIALS_FILE": file, "AWS_PROFILE": "nope"]) }
        #expect(throws: S3Error.self) { try S3Credentials.resolve(environment: ["HOME": dir.path]) }
    }
}

@Suite struct S3XMLTests {
    @Test("A ListObjectsV2 page: entries, entities, namespace and the continuation token")
    func listPage() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><IsTruncated>true</IsTruncated>
            <Contents><Key>a&amp;b.tar.gz</Key><Size>12</Size><ETag>&quot;abc&quot;</ETag></Contents>
            <Contents><Key><![CDATA[c<d]]></Key><Size>3</Size></Contents><!-- note -->
            <NextContinuationToken>tok&#x2F;en</NextContinuationToken></ListBucketResult>
            """
        let root = try S3XML.parse(Data(xml.utf8))
        #expect(root.name == "ListBucketResult")
        #expect(root.all("Contents").map { $0["Key"] } == ["a&b.tar.gz", "c<d"])
        #expect(root.all("Contents").first?["ETag"] == "\"abc\"")
        #expect(root["NextContinuationToken"] == "tok/en")
    }

    @Test("Malformed documents are refused, never crash", arguments: [
        "", "<", "<a>", "<a></b>", "<a>&bogus;</a>", "<a x=1></a>", "text", "<a/><b/>", "<a>&#xFFFFFFFF;</a>",
        String(repeating: "<a>", count: 100) + String(repeating: "</a>", count: 100),
    ])
    func malformed(text: String) {
        #expect(throws: S3Error.self) { try S3XML.parse(Data(text.utf8)) }
    }

    @Test("Random bytes and truncations of a real document only ever throw S3Error")
    func fuzzish() {
        let xml = Array("<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>x &lt; y</Message></Error>".utf8)
        for cut in 0..<xml.count {
            _ = try? S3XML.parse(Array(xml[..<cut]))
        }
        var state: UInt64 = 42
        for _ in 0..<2000 {
            var bytes = xml
            for _ in 0..<3 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                bytes[Int(state >> 33) % bytes.count] = UInt8(truncatingIfNeeded: state >> 17)
            }
            do { _ = try S3XML.parse(bytes) } catch { #expect(error is S3Error) }
        }
    }
}

@Suite struct FingerprintTests {
    @Test("A file's ETag: plain MD5 up to the threshold, MD5 of part MD5s with -N above it")
    func etags() throws {
        let dir = try TempDir(prefix: "s3-etag")
        let path = dir.path + "/f"
        let bytes = Data((0..<(2500)).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        try bytes.write(to: URL(fileURLWithPath: path))
        let single = try FileFingerprint.of(path: path, partSize: 1000, multipartThreshold: 4000)
        #expect(single.etag == SigV4.hex(Insecure.MD5.hash(data: bytes)))
        #expect(single.sha256 == SigV4.hex(SHA256.hash(data: bytes)))
        let multi = try FileFingerprint.of(path: path, partSize: 1000, multipartThreshold: 1000)
        var digests = Data()
        for start in stride(from: 0, to: bytes.count, by: 1000) {
            digests.append(contentsOf: Insecure.MD5.hash(data: bytes[start..<min(start + 1000, bytes.count)]))
        }
        #expect(multi.etag == SigV4.hex(Insecure.MD5.hash(data: digests)) + "-3")
        #expect(multi.size == 2500)
    }
}
