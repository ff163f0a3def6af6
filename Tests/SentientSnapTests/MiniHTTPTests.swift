import Foundation
@testable import RoomWires
import SentientSnap
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A one-connection HTTP server on a loopback port, in this process: reads the request head,
/// then hands the socket to `respond` and closes it.
private final class OneShotServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let done = DispatchSemaphore(value: 0)

    init(respond: @escaping @Sendable (Int32) -> Void) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        guard bound, listen(listener, 1) == 0 else { throw SnapError(.failure, "cannot listen: \(String(cString: strerror(errno)))") }
        port = Int(UInt16(bigEndian: address.sin_port))
        let done = done
        Thread.detachNewThread {
            defer { done.signal() }
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { return }
            defer { close(fd) }
            var head: [UInt8] = []
            var byte: UInt8 = 0
            while !head.suffix(4).elementsEqual(Array("\r\n\r\n".utf8)), recv(fd, &byte, 1, 0) == 1 { head.append(byte) }
            respond(fd)
        }
    }

    /// Waits for the handler to finish.
    func finish() {
        done.wait()
        close(listener)
    }
}

private func sendAll(_ fd: Int32, _ text: String) -> Bool {
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBytes { send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
}

@Suite("MiniHTTP", .timeLimit(.minutes(30)))
struct MiniHTTPTests {
    @Test("a chunked body decodes; a chunk size that does not fit, or runs past the data, is an error")
    func chunkSizes() throws {
        let ok = try OneShotServer { fd in
            _ = sendAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nready\r\n1;ext=1\r\n!\r\n0\r\n\r\n")
        }
        let response = try MiniHTTP.request("GET", "/ready", at: .tcp(host: "127.0.0.1", port: ok.port), timeout: 5)
        ok.finish()
        #expect(response.status == 200)
        #expect(response.text == "ready!")

        for size in ["ffffffffffffffffff", "7fffffffffffffff", "fffffffffffffff", "40", "-5", "zz", ""] {
            let server = try OneShotServer { fd in
                _ = sendAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\(size)\r\nready\r\n0\r\n\r\n")
            }
            let error = #expect(throws: MiniHTTP.Failure.self, "size \(size)") {
                _ = try MiniHTTP.request("GET", "/ready", at: .tcp(host: "127.0.0.1", port: server.port), timeout: 5)
            }
            #expect(error?.description.contains("chunk") == true, "size \(size): \(error?.description ?? "")")
            server.finish()
        }
    }

    @Test("a server that drips one byte every 100 ms is cut off at the deadline")
    func slowDrip() throws {
        // The drip ends by itself after 6 s (so a client without a deadline returns, late).
        let server = try OneShotServer { fd in
            let text = Array(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + String(repeating: "x", count: 60)).utf8)
            for byte in text.prefix(60) {
                var b = byte
                guard send(fd, &b, 1, Int32(MSG_NOSIGNAL)) == 1 else { return }
                usleep(100_000)
            }
        }
        defer { server.finish() }
        let started = Date()
        let error = #expect(throws: MiniHTTP.Failure.self) {
            _ = try MiniHTTP.request("GET", "/ready", at: .tcp(host: "127.0.0.1", port: server.port), timeout: 1)
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(error?.description.contains("timed out") == true, "\(error?.description ?? "")")
        #expect(elapsed >= 0.9 && elapsed < 2, "took \(elapsed) s with a 1 s timeout")
    }
}
