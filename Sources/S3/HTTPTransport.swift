import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// HTTP for the S3 client: Foundation's URLSession (libcurl on Linux).
///
/// Why URLSession and not async-http-client, measured on the 2-core build machine (Dec 2026):
/// a clean debug build of a one-file async-http-client 1.37 probe took 589 s (1191 compile
/// units: SwiftNIO, NIOSSL with BoringSSL) where URLSession adds nothing to ours; both stream a
/// 100 MB GET in bounded memory (peak RSS 32 MB vs 35 MB); and its async API would reach into
/// our synchronous commands. URLSession links and runs with `-static-stdlib` (checked with
/// `swiftc -static-stdlib`; the build needs libcurl4-openssl-dev for `-lcurl`, the .deb then
/// depends on the shared libcurl4, which brings the system's CA store and its security
/// updates). A response streams through the data delegate; an upload body is one bounded part.
/// The cost: `--bwlimit` is paced between requests rather than within one.
final class HTTPTransport: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    struct Response {
        var status: Int
        /// Header names lowercased.
        var headers: [String: String]
        /// The body, unless a sink took it.
        var body: Data
    }

    /// Called with each chunk of a successful (2xx) response's body, in order.
    typealias Sink = (Data) throws -> Void

    private final class TaskState {
        var response: HTTPURLResponse?
        var body = Data()
        var sink: Sink?
        var sinkError: Error?
        var error: Error?
        let done = DispatchSemaphore(value: 0)
    }

    private let lock = NSLock()
    private var states: [Int: TaskState] = [:]
    private var session: URLSession!

    init(timeout: TimeInterval) {
        super.init()
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        session = URLSession(configuration: configuration, delegate: self, delegateQueue: queue)
    }

    func invalidate() { session.finishTasksAndInvalidate() }

    /// Sends one request and waits for its response. A sink gets the body of a 2xx response;
    /// an error response's body is always collected (it is small XML).
    func perform(_ request: URLRequest, body: Data?, sink: Sink?) throws -> Response {
        let task = body.map { session.uploadTask(with: request, from: $0) } ?? session.dataTask(with: request)
        let state = TaskState()
        state.sink = sink
        lock.lock()
        states[task.taskIdentifier] = state
        lock.unlock()
        task.resume()
        state.done.wait()
        lock.lock()
        states[task.taskIdentifier] = nil
        lock.unlock()
        if let error = state.sinkError { throw error }
        if let error = state.error { throw error }
        guard let response = state.response else {
            throw S3Error(.protocolViolation, "no HTTP response from \(request.url?.host ?? "the store")")
        }
        var headers: [String: String] = [:]
        for (name, value) in response.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        return Response(status: response.statusCode, headers: headers, body: state.body)
    }

    private func state(_ task: URLSessionTask) -> TaskState? {
        lock.lock()
        defer { lock.unlock() }
        return states[task.taskIdentifier]
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        state(dataTask)?.response = response as? HTTPURLResponse
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard let state = state(dataTask), state.sinkError == nil else { return }
        if let sink = state.sink, let status = state.response?.statusCode, (200..<300).contains(status) {
            do { try sink(data) } catch {
                state.sinkError = error
                dataTask.cancel()
            }
        } else {
            guard state.body.count < 1 << 20 || state.sink == nil else { return }
            state.body.append(data)
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        guard let state = state(task) else { return }
        if state.response == nil { state.response = task.response as? HTTPURLResponse }
        state.error = error
        state.done.signal()
    }

    /// Never follow a redirect: a signed request is valid for one host only, and S3's own
    /// redirects (a bucket in another region) come back as errors we report.
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
