import Foundation

/// A minimal HTTP/1.1 client over TCP or a unix socket: enough for a room's `/ready` and
/// the Docker Engine API, without pulling in a networking stack.
public enum MiniHTTP {
    public enum Endpoint {
        case tcp(host: String, port: Int)
        case unix(path: String)
    }

    public struct Response: Sendable {
        public var status: Int
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// The request failed: no connection, a timeout, or a response that is not HTTP/1.1.
    /// `description` says which, for people.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Largest response read: the Docker API's and `/ready`'s answers are a few KiB.
    public static let maxResponse = 16 << 20

    /// Sends one request and reads the whole response (Connection: close). `timeout` bounds
    /// the whole exchange, connect included: a server that answers a byte at a time cannot
    /// hold the caller past it.
    public static func request(
        _ method: String, _ path: String, at endpoint: Endpoint, body: [UInt8] = [], timeout: Double = 10
    ) throws -> Response {
        let deadline = Deadline(seconds: timeout)
        let fd = try connect(endpoint, deadline: deadline)
        defer { close(fd) }
        let host: String
        switch endpoint {
        case .tcp(let h, let p): host = "\(h):\(p)"
        case .unix: host = "docker"
        }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: sentient-snap\r\nConnection: close\r\n"
        if !body.isEmpty || method == "POST" {
            head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        let request = Array(head.utf8) + body
        var sent = 0
        while sent < request.count {
            try deadline.wait(for: fd, events: Int16(POLLOUT), doing: "sending the request")
            let n = request.withUnsafeBytes { send(fd, $0.baseAddress! + sent, request.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard n > 0 else { throw Failure(description: "sending the request failed: \(String(cString: strerror(errno)))") }
            sent += n
        }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            try deadline.wait(for: fd, events: Int16(POLLIN), doing: "reading the response")
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            if n < 0 { throw Failure(description: "reading the response failed: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            data.append(contentsOf: buffer[0..<n])
            if data.count > maxResponse { throw Failure(description: "the response is larger than \(maxResponse >> 20) MiB") }
        }
        return try parseResponse(data)
    }

    /// Parses a whole response as read from the socket (status line, headers, body; a chunked
    /// body is decoded). Separate from `request` so it can be fuzzed without a server.
    static func parseResponse(_ data: [UInt8]) throws -> Response {
        guard let headerEnd = data.firstRange(of: Array("\r\n\r\n".utf8)) else {
            throw Failure(description: "the server sent no HTTP response")
        }
        let headerText = String(decoding: data[..<headerEnd.lowerBound], as: UTF8.self)
        let statusLine = headerText.split(separator: "\r\n").first ?? ""
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else {
            throw Failure(description: "the server sent a malformed status line: \(statusLine.prefix(200))")
        }
        var payload = Array(data[headerEnd.upperBound...])
        if headerText.lowercased().contains("transfer-encoding: chunked") { payload = try dechunk(payload) }
        return Response(status: status, body: payload)
    }

    /// Decodes a chunked body; a size that is not hex, does not fit, or runs past the data is
    /// an error (the body is never guessed at).
    static func dechunk(_ data: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        let crlf = Array("\r\n".utf8)
        while true {
            guard let lineEnd = data[i...].firstRange(of: crlf) else {
                throw Failure(description: "the chunked response ends before its last chunk")
            }
            let sizeText = (String(decoding: data[i..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";", omittingEmptySubsequences: false).first ?? "")
                .trimmingCharacters(in: .whitespaces)
            // 15 hex digits at most: any size that fits stays far from Int's limits.
            guard !sizeText.isEmpty, sizeText.count <= 15, sizeText.allSatisfy(\.isHexDigit), let size = Int(sizeText, radix: 16) else {
                throw Failure(description: "the chunked response has an invalid chunk size '\(sizeText.prefix(40))'")
            }
            if size == 0 { return out }
            let start = lineEnd.upperBound
            guard size <= data.count - start - 2, data[start + size] == 0x0D, data[start + size + 1] == 0x0A else {
                throw Failure(description: "the chunked response has a chunk of \(size) bytes that runs past the data")
            }
            out.append(contentsOf: data[start..<(start + size)])
            i = start + size + 2
        }
    }

    /// A point in time all of a request's waits count against.
    struct Deadline {
        let end: Double

        init(seconds: Double) { end = Self.now() + max(0, seconds) }

        static func now() -> Double {
            var ts = timespec()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        }

        /// Waits until `fd` is ready for `events`, or throws when the deadline passes first.
        func wait(for fd: Int32, events: Int16, doing what: String) throws {
            while true {
                let left = end - Self.now()
                guard left > 0 else { throw Failure(description: "\(what) timed out") }
                var pfd = pollfd(fd: fd, events: events, revents: 0)
                let rc = poll(&pfd, 1, Int32(min(left * 1000, 86_400_000).rounded(.up)))
                if rc > 0 { return }
                if rc < 0 && errno != EINTR { throw Failure(description: "\(what) failed: \(String(cString: strerror(errno)))") }
            }
        }
    }

    private static func connect(_ endpoint: Endpoint, deadline: Deadline) throws -> Int32 {
        switch endpoint {
        case .unix(let path):
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
                close(fd)
                throw Failure(description: "socket path too long: \(path)")
            }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            do {
                try finishConnect(fd, deadline: deadline) {
                    withUnsafePointer(to: &address) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
                    }
                }
            } catch let failure as Failure {
                close(fd)
                throw Failure(description: "cannot connect to \(path): \(failure.description)")
            }
            return fd
        case .tcp(let host, let port):
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var result: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else {
                throw Failure(description: "cannot resolve \(host)")
            }
            defer { freeaddrinfo(result) }
            var info: UnsafeMutablePointer<addrinfo>? = first
            var lastError = "no address"
            while let current = info {
                let fd = socket(current.pointee.ai_family, current.pointee.ai_socktype, current.pointee.ai_protocol)
                if fd >= 0 {
                    do {
                        try finishConnect(fd, deadline: deadline) { Glibc.connect(fd, current.pointee.ai_addr, current.pointee.ai_addrlen) }
                        return fd
                    } catch let failure as Failure {
                        lastError = failure.description
                        close(fd)
                    }
                }
                info = current.pointee.ai_next
            }
            throw Failure(description: "cannot connect to \(host):\(port): \(lastError)")
        }
    }

    /// Makes `fd` non-blocking and runs `connect`, waiting for it within the deadline.
    private static func finishConnect(_ fd: Int32, deadline: Deadline, _ connect: () -> Int32) throws {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        if connect() == 0 { return }
        guard errno == EINPROGRESS || errno == EINTR || errno == EAGAIN else {
            throw Failure(description: String(cString: strerror(errno)))
        }
        try deadline.wait(for: fd, events: Int16(POLLOUT), doing: "connecting")
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        guard error == 0 else { throw Failure(description: String(cString: strerror(error))) }
    }
}
