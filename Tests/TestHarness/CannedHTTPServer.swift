import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A one-thread HTTP/1.1 server on 127.0.0.1 that answers each request (its head, and a body
/// of the Content-Length it announces) with the next canned response, then closes the
/// connection; 500 once they run out. For exact request sequences no real store produces (a
/// throttling store, an object whose HEAD disagrees with what was uploaded).
public final class CannedHTTPServer: @unchecked Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var body: String
        /// Extra headers; a `Content-Length` here is sent as is, without the body (a HEAD answer).
        public var headers: [String: String]

        public init(_ status: Int, _ body: String = "", headers: [String: String] = [:]) {
            self.status = status
            self.body = body
            self.headers = headers
        }
    }

    public let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var responses: [Response]
    private var received: [String] = []

    /// - Throws: `HarnessError` when it cannot listen.
    public init(_ responses: [Response]) throws {
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
        guard bound == 0, listen(fd, 16) == 0 else { throw HarnessError("cannot listen on 127.0.0.1: \(String(cString: strerror(errno)))") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    public var endpoint: String { "http://127.0.0.1:\(port)" }
    /// Each request's head (request line and headers), in order.
    public var requests: [String] { lock.withLock { received } }
    public var count: Int { lock.withLock { received.count } }

    private func serve() {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { return }
            var data = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 4096)
            var headEnd: Int?
            while headEnd == nil {
                let n = read(client, &buffer, buffer.count)
                if n <= 0 { break }
                data += buffer[0..<n]
                headEnd = Self.find(Array("\r\n\r\n".utf8), in: data)
            }
            let head = String(decoding: data[..<(headEnd ?? data.count)], as: UTF8.self)
            // Read the body the client announced, so closing never resets a connection it still writes to.
            let announced = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces)) } ?? 0
            var bodyBytes = data.count - ((headEnd ?? data.count) + 4)
            while bodyBytes < announced {
                let n = read(client, &buffer, buffer.count)
                if n <= 0 { break }
                bodyBytes += n
            }
            let next: Response = lock.withLock {
                received.append(head)
                return responses.isEmpty ? Response(500) : responses.removeFirst()
            }
            var lines = ["HTTP/1.1 \(next.status) X", "Connection: close", "Content-Type: application/xml"]
            let headLength = next.headers.first { $0.key.lowercased() == "content-length" }?.value
            lines.append("Content-Length: \(headLength ?? String(next.body.utf8.count))")
            for (name, value) in next.headers where name.lowercased() != "content-length" { lines.append("\(name): \(value)") }
            let text = lines.joined(separator: "\r\n") + "\r\n\r\n" + (headLength == nil ? next.body : "")
            _ = Array(text.utf8).withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            close(client)
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) { return start }
        return nil
    }

    /// Ends the accept loop (its thread holds the server until then).
    public func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}
