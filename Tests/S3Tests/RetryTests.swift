import Foundation
import S3
import TestHarness
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The canned server with (status, body) answers.
private func canned(_ responses: [(status: Int, body: String)]) throws -> CannedHTTPServer {
    try CannedHTTPServer(responses.map { CannedHTTPServer.Response($0.status, $0.body) })
}

private let listing = """
    <?xml version="1.0" encoding="UTF-8"?><ListBucketResult><IsTruncated>false</IsTruncated>\
    <Contents><Key>p/a.tar.gz</Key><Size>3</Size><ETag>"x"</ETag></Contents></ListBucketResult>
    """
private func errorBody(_ code: String) -> String { "<Error><Code>\(code)</Code><Message>m</Message></Error>" }

private func client(_ server: CannedHTTPServer, attempts: Int = 4) -> S3Client {
    var config = S3Config(endpoint: URL(string: "http://127.0.0.1:\(server.port)"), region: "us-east-1",
                          credentials: S3Credentials(accessKeyID: "AK", secretAccessKey: "secret"))
    config.maxAttempts = attempts
    return S3Client(config: config)
}

@Suite("S3 client retries and error codes", .serialized)
struct RetryTests {
    @Test("5xx and SlowDown are retried with backoff, then the request succeeds; requests are signed, path-style")
    func retriedThenOK() throws {
        let server = try canned([(503, errorBody("SlowDown")), (500, errorBody("InternalError")), (200, listing)])
        defer { server.stop() }
        let objects = try client(server).list(bucket: "venue", prefix: "p/")
        #expect(objects.map(\.key) == ["p/a.tar.gz"] && objects.map(\.size) == [3] && objects.map(\.etag) == ["x"])
        #expect(server.count == 3)
        let first = server.requests.first ?? ""
        #expect(first.hasPrefix("GET /venue/?list-type=2&prefix=p%2F&max-keys=1000 HTTP/1.1"), "\(first)")
        #expect(first.lowercased().contains("authorization: aws4-hmac-sha256 credential=ak/"), "\(first)")
        #expect(!first.contains("secret"))
    }

    @Test("retries are bounded: after maxAttempts the store's error is thrown")
    func bounded() throws {
        let server = try canned(Array(repeating: (503, errorBody("SlowDown")), count: 6))
        defer { server.stop() }
        #expect(throws: S3Error.self) { try client(server, attempts: 3).list(bucket: "venue", prefix: "") }
        #expect(server.count == 3)
    }

    @Test("rejected credentials and a missing bucket are not retried, and carry their codes", arguments: [
        ("SignatureDoesNotMatch", 403, S3Error.Code.accessDenied), ("InvalidAccessKeyId", 403, .accessDenied), ("AccessDenied", 403, .accessDenied),
        ("NoSuchBucket", 404, .notFound), ("NoSuchKey", 404, .notFound),
    ])
    func notRetried(code: String, status: Int, expected: S3Error.Code) throws {
        let server = try canned([(status, errorBody(code)), (200, listing)])
        defer { server.stop() }
        do {
            _ = try client(server).list(bucket: "venue", prefix: "")
            Issue.record("no error for \(code)")
        } catch let failure as S3Error {
            #expect(failure.code == expected && failure.s3Code == code)
        }
        #expect(server.count == 1)
    }

    @Test("a closed port is unreachable after the retries")
    func unreachable() throws {
        var config = S3Config(endpoint: nil, region: "us-east-1", credentials: S3Credentials(accessKeyID: "AK", secretAccessKey: "secret"))
        config.maxAttempts = 2
        // A port nobody listens on: bind one and close it again.
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(probe, $0, &length) } }
        close(probe)
        config.endpoint = URL(string: "http://127.0.0.1:\(UInt16(bigEndian: addr.sin_port))")
        do {
            _ = try S3Client(config: config).list(bucket: "venue", prefix: "")
            Issue.record("no error")
        } catch let failure as S3Error {
            #expect(failure.code == .unreachable, "\(failure)")
        }
    }
}
