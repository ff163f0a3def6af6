import Foundation
import S3
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A one-thread HTTP/1.1 server on 127.0.0.1 that answers each request (read up to its blank
/// line; no bodies expected) with the next canned response and closes the connection.
private final class CannedServer: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var responses: [(status: Int, body: String)]
    private(set) var requests: [String] = []

    init(_ responses: [(status: Int, body: String)]) throws {
        self.responses = responses
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 16) == 0 else { throw S3Error(.io, "cannot listen") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    var count: Int { lock.withLock { requests.count } }

    private func serve() {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { return }
            var data = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !data.suffix(4).elementsEqual(Array("\r\n\r\n".utf8)) {
                let n = read(client, &buffer, buffer.count)
                if n <= 0 { break }
                data += buffer[0..<n]
            }
            let next: (status: Int, body: String) = lock.withLock {
                requests.append(String(decoding: data, as: UTF8.self))
                return responses.isEmpty ? (500, "") : responses.removeFirst()
            }
            let text = "HTTP/1.1 \(next.status) X\r\nContent-Length: \(next.body.utf8.count)\r\nContent-Type: application/xml\r\nConnection: close\r\n\r\n\(next.body)"
            _ = Array(text.utf8).withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            close(client)
        }
    }

    /// Ends the accept loop (its thread holds the server until then).
    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}

private let listing = """
    <?xml version="1.0" encoding="UTF-8"?><ListBucketResult><IsTruncated>false</IsTruncated>\
    <Contents><Key>p/a.tar.gz</Key><Size>3</Size><ETag>"x"</ETag></Contents></ListBucketResult>
    """
private func errorBody(_ code: String) -> String { "<Error><Code>\(code)</Code><Message>m</Message></Error>" }

private func client(_ server: CannedServer, attempts: Int = 4) -> S3Client {
    var config = S3Config(endpoint: URL(string: "http://127.0.0.1:\(server.port)"), region: "us-east-1",
                          credentials: S3Credentials(accessKeyID: "AK", secretAccessKey: "secret"))
    config.maxAttempts = attempts
    return S3Client(config: config)
}

@Suite("S3 client retries and error codes", .serialized)
struct RetryTests {
    @Test("5xx and SlowDown are retried with backoff, then the request succeeds; requests are signed, path-style")
    func retriedThenOK() throws {
        let server = try CannedServer([(503, errorBody("SlowDown")), (500, errorBody("InternalError")), (200, listing)])
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
        let server = try CannedServer(Array(repeating: (503, errorBody("SlowDown")), count: 6))
        defer { server.stop() }
        #expect(throws: S3Error.self) { try client(server, attempts: 3).list(bucket: "venue", prefix: "") }
        #expect(server.count == 3)
    }

    @Test("rejected credentials and a missing bucket are not retried, and carry their codes", arguments: [
        ("SignatureDoesNotMatch", 403, S3Error.Code.accessDenied), ("InvalidAccessKeyId", 403, .accessDenied), ("AccessDenied", 403, .accessDenied),
        ("NoSuchBucket", 404, .notFound), ("NoSuchKey", 404, .notFound),
    ])
    func notRetried(code: String, status: Int, expected: S3Error.Code) throws {
        let server = try CannedServer([(status, errorBody(code)), (200, listing)])
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
