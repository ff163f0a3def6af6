import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where and how to reach a store.
public struct S3Config: Sendable {
    /// A custom endpoint (`http://127.0.0.1:9000`, `https://s3.eu-central-003.backblazeb2.com`);
    /// nil means AWS itself.
    public var endpoint: URL?
    public var region: String
    public var credentials: S3Credentials
    /// Requests per operation before giving up on 5xx, throttling or a dropped connection.
    public var maxAttempts = 4
    /// Seconds without progress before a request fails.
    public var timeout: TimeInterval = 60
    /// Average bytes per second over the run, paced between requests (nil: no limit).
    public var bandwidthLimit: Int?

    public init(endpoint: URL?, region: String, credentials: S3Credentials) {
        self.endpoint = endpoint
        self.region = region
        self.credentials = credentials
    }
}

/// An entry of a listing.
public struct S3Object: Sendable, Equatable {
    public var key: String
    public var size: Int64
    /// Without quotes.
    public var etag: String
}

/// What a HEAD tells about an object.
public struct S3Head: Sendable {
    public var size: Int64
    public var etag: String
    /// `x-amz-meta-*` values, by the name after the prefix, lowercased.
    public var metadata: [String: String]
    /// `x-amz-checksum-sha256` (base64), where the store keeps it.
    public var checksumSHA256: String?
}

/// A multipart upload that was started and not completed or aborted.
public struct S3PendingUpload: Sendable {
    public var key: String
    public var uploadID: String
    public var initiated: Date?
}

/// The S3 REST calls this tool needs, signed with SigV4, retried with backoff, synchronous.
/// Path-style addressing for custom endpoints, virtual-host style for AWS.
public final class S3Client: @unchecked Sendable {
    public let config: S3Config
    private let transport: HTTPTransport
    private var paceStart: Date?
    private var pacedBytes: Int64 = 0

    public init(config: S3Config) {
        self.config = config
        transport = HTTPTransport(timeout: config.timeout)
    }

    deinit { transport.invalidate() }

    // MARK: - Operations

    /// HEAD an object; nil when there is none.
    public func head(bucket: String, key: String) throws -> S3Head? {
        do {
            let response = try send("HEAD", bucket: bucket, key: key, headers: ["x-amz-checksum-mode": "ENABLED"])
            var metadata: [String: String] = [:]
            for (name, value) in response.headers where name.hasPrefix("x-amz-meta-") {
                metadata[String(name.dropFirst("x-amz-meta-".count))] = value
            }
            guard let size = response.headers["content-length"].flatMap({ Int64($0) }) else {
                throw S3Error(.protocolViolation, "HEAD \(describe(bucket, key)): no Content-Length in the store's answer")
            }
            return S3Head(size: size, etag: unquote(response.headers["etag"] ?? ""), metadata: metadata,
                          checksumSHA256: response.headers["x-amz-checksum-sha256"])
        } catch let error as S3Error where error.code == .notFound && error.s3Code != "NoSuchBucket" {
            return nil
        }
    }

    /// A small object or a range of one, in memory.
    public func get(bucket: String, key: String, range: ClosedRange<Int64>? = nil) throws -> Data {
        var headers: [String: String] = [:]
        if let range { headers["range"] = "bytes=\(range.lowerBound)-\(range.upperBound)" }
        return try send("GET", bucket: bucket, key: key, headers: headers).body
    }

    /// Streams an object into `handle` from its current offset, hashing as it goes. A retried
    /// attempt truncates back to where it started.
    /// - Parameter progress: told the bytes written so far (from 0 again when an attempt is retried).
    /// - Returns: the byte count and the SHA-256 (hex) of what was written.
    public func download(bucket: String, key: String, to handle: FileHandle, progress: ((Int64) -> Void)? = nil) throws -> (bytes: Int64, sha256: String) {
        let start = try handle.offset()
        var hasher = SHA256()
        var count: Int64 = 0
        _ = try send("GET", bucket: bucket, key: key, sink: { data in
            try handle.write(contentsOf: data)
            hasher.update(data: data)
            count += Int64(data.count)
            progress?(count)
        }, beforeAttempt: {
            try handle.truncate(atOffset: start)
            hasher = SHA256()
            count = 0
        })
        pace(count)
        return (count, SigV4.hex(hasher.finalize()))
    }

    /// PUT a whole object from memory. The body's SHA-256 is signed (the store rejects a body
    /// that changed on the way) and sent as `x-amz-checksum-sha256` and `x-amz-meta-sha256`.
    @discardableResult
    /// `sent` is told the body's bytes sent so far, as they go.
    public func put(bucket: String, key: String, body: Data, metadata: [String: String] = [:], contentType: String? = nil,
                    sent: ((Int64) -> Void)? = nil) throws -> String {
        let digest = SHA256.hash(data: body)
        var headers = metaHeaders(metadata)
        headers["x-amz-meta-sha256"] = SigV4.hex(digest)
        headers["x-amz-checksum-sha256"] = Data(digest).base64EncodedString()
        if let contentType { headers["content-type"] = contentType }
        let response = try send("PUT", bucket: bucket, key: key, headers: headers, body: body, payloadHash: SigV4.hex(digest), sent: sent)
        pace(Int64(body.count))
        return unquote(response.headers["etag"] ?? "")
    }

    public func delete(bucket: String, key: String) throws {
        do {
            _ = try send("DELETE", bucket: bucket, key: key)
        } catch let error as S3Error where error.code == .notFound && error.s3Code == "NoSuchKey" {
            return
        }
    }

    /// Every object under `prefix` (ListObjectsV2, all pages).
    public func list(bucket: String, prefix: String) throws -> [S3Object] {
        var objects: [S3Object] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", prefix), ("max-keys", "1000")]
            if let token { query.append(("continuation-token", token)) }
            let root = try S3XML.parse(try send("GET", bucket: bucket, key: "", query: query).body)
            for entry in root.all("Contents") {
                guard let key = entry["Key"], let size = entry["Size"].flatMap({ Int64($0) }) else {
                    throw S3Error(.protocolViolation, "a listing of \(describe(bucket, prefix)) has an entry without Key or Size")
                }
                objects.append(S3Object(key: key, size: size, etag: unquote(entry["ETag"] ?? "")))
            }
            token = root["IsTruncated"] == "true" ? root["NextContinuationToken"] : nil
        } while token != nil
        return objects
    }

    public func createMultipartUpload(bucket: String, key: String, metadata: [String: String], contentType: String? = nil) throws -> String {
        var headers = metaHeaders(metadata)
        if let contentType { headers["content-type"] = contentType }
        let root = try S3XML.parse(try send("POST", bucket: bucket, key: key, query: [("uploads", "")], headers: headers).body)
        guard let id = root["UploadId"], !id.isEmpty else {
            throw S3Error(.protocolViolation, "the store started a multipart upload of \(describe(bucket, key)) without an UploadId")
        }
        return id
    }

    /// `sent` is told the part's bytes sent so far, as they go.
    /// - Returns: the part's ETag (without quotes).
    public func uploadPart(bucket: String, key: String, uploadID: String, number: Int, body: Data, sent: ((Int64) -> Void)? = nil) throws -> String {
        let hash = SigV4.hex(SHA256.hash(data: body))
        let response = try send("PUT", bucket: bucket, key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)],
                                body: body, payloadHash: hash, sent: sent)
        pace(Int64(body.count))
        guard let etag = response.headers["etag"] else {
            throw S3Error(.protocolViolation, "the store took part \(number) of \(describe(bucket, key)) without an ETag")
        }
        return unquote(etag)
    }

    /// - Returns: the object's ETag.
    @discardableResult
    public func completeMultipartUpload(bucket: String, key: String, uploadID: String, parts: [(number: Int, etag: String)]) throws -> String {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts { xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\"\(part.etag)\"</ETag></Part>" }
        xml += "</CompleteMultipartUpload>"
        let body = Data(xml.utf8)
        let response = try send("POST", bucket: bucket, key: key, query: [("uploadId", uploadID)], body: body,
                                payloadHash: SigV4.hex(SHA256.hash(data: body)))
        // A 200 can still carry an <Error> (the store failed while assembling).
        let root = try S3XML.parse(response.body)
        if root.name == "Error" {
            let code = root["Code"]
            throw S3Error(S3Error.code(status: 500, s3Code: code), "completing the upload of \(describe(bucket, key)) failed: \(code ?? "?") \(root["Message"] ?? "")", s3Code: code, status: 200)
        }
        return unquote(root["ETag"] ?? "")
    }

    public func abortMultipartUpload(bucket: String, key: String, uploadID: String) throws {
        do {
            _ = try send("DELETE", bucket: bucket, key: key, query: [("uploadId", uploadID)])
        } catch let error as S3Error where error.code == .notFound && error.s3Code == "NoSuchUpload" {
            return
        }
    }

    /// Uploads started under `prefix` and neither completed nor aborted (all pages).
    public func listMultipartUploads(bucket: String, prefix: String) throws -> [S3PendingUpload] {
        var uploads: [S3PendingUpload] = []
        var keyMarker: String?, idMarker: String?
        repeat {
            var query = [("uploads", ""), ("prefix", prefix)]
            if let keyMarker { query.append(("key-marker", keyMarker)) }
            if let idMarker { query.append(("upload-id-marker", idMarker)) }
            let body: Data
            do {
                body = try send("GET", bucket: bucket, key: "", query: query).body
            } catch let error as S3Error where error.s3Code == "NoSuchUpload" {
                // gofakes3 (rclone serve s3) answers a bucket without uploads this way.
                break
            }
            let root = try S3XML.parse(body)
            for entry in root.all("Upload") {
                guard let key = entry["Key"], let id = entry["UploadId"] else { continue }
                uploads.append(S3PendingUpload(key: key, uploadID: id, initiated: entry["Initiated"].flatMap(Self.parseDate)))
            }
            if root["IsTruncated"] == "true" {
                keyMarker = root["NextKeyMarker"]
                idMarker = root["NextUploadIdMarker"]
                if keyMarker == nil { break }
            } else {
                keyMarker = nil
            }
        } while keyMarker != nil
        return uploads
    }

    // MARK: - Requests

    /// `s3://bucket/key` for messages.
    public func describe(_ bucket: String, _ key: String) -> String { "s3://\(bucket)/\(key)" }

    /// The URL, the Host header and the path to sign for a bucket and key.
    func address(bucket: String, key: String, query: [(String, String)]) throws -> (url: URL, host: String, path: String) {
        let scheme: String, host: String, path: String
        var port: Int?
        if let endpoint = config.endpoint {
            guard let endpointHost = endpoint.host, let endpointScheme = endpoint.scheme else {
                throw S3Error(.usage, "the endpoint \(endpoint.absoluteString) is not a URL like https://host[:port]")
            }
            scheme = endpointScheme
            host = endpointHost
            port = endpoint.port
            path = "/" + bucket + (key.isEmpty ? "/" : "/" + key)
        } else if bucket.contains(".") {
            // A dotted bucket name does not fit the wildcard certificate of the virtual host.
            scheme = "https"
            host = "s3.\(config.region).amazonaws.com"
            path = "/" + bucket + (key.isEmpty ? "/" : "/" + key)
        } else {
            scheme = "https"
            host = "\(bucket).s3.\(config.region).amazonaws.com"
            path = "/" + key
        }
        let hostHeader: String
        if let port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) {
            hostHeader = "\(host):\(port)"
        } else {
            hostHeader = host
        }
        let queryText = query.map { $0.1.isEmpty && ["uploads"].contains($0.0) ? SigV4.encode($0.0) : "\(SigV4.encode($0.0))=\(SigV4.encode($0.1))" }
            .joined(separator: "&")
        let text = "\(scheme)://\(hostHeader)\(SigV4.encode(path, keepSlash: true))" + (queryText.isEmpty ? "" : "?" + queryText)
        guard let url = URL(string: text) else { throw S3Error(.usage, "cannot make a URL of \(text)") }
        return (url, hostHeader, path)
    }

    /// Signs and sends a request, retrying 5xx, throttling and dropped connections with
    /// exponential backoff; an error response becomes an `S3Error` by the store's code.
    func send(_ method: String, bucket: String, key: String, query: [(String, String)] = [], headers: [String: String] = [:],
              body: Data? = nil, payloadHash: String? = nil, sink: HTTPTransport.Sink? = nil,
              beforeAttempt: (() throws -> Void)? = nil, sent: ((Int64) -> Void)? = nil) throws -> HTTPTransport.Response {
        let (url, host, path) = try address(bucket: bucket, key: key, query: query)
        let what = "\(method) \(describe(bucket, key))"
        var attempt = 0
        while true {
            attempt += 1
            try beforeAttempt?()
            let now = Date()
            var signed = headers
            signed["host"] = host
            signed["x-amz-date"] = SigV4.timestamp(now)
            signed["x-amz-content-sha256"] = payloadHash ?? SigV4.emptyPayloadHash
            if let token = config.credentials.sessionToken { signed["x-amz-security-token"] = token }
            let authorization = SigV4.authorization(
                method: method, path: path, query: query, headers: signed, payloadHash: payloadHash ?? SigV4.emptyPayloadHash,
                credentials: config.credentials, region: config.region, date: now)
            var request = URLRequest(url: url)
            request.httpMethod = method
            for (name, value) in signed where name != "host" { request.setValue(value, forHTTPHeaderField: name) }
            request.setValue(authorization, forHTTPHeaderField: "Authorization")
            if method == "PUT" || method == "POST" { request.setValue(body.map { String($0.count) } ?? "0", forHTTPHeaderField: "Content-Length") }
            let response: HTTPTransport.Response
            do {
                response = try transport.perform(request, body: body ?? (method == "PUT" || method == "POST" ? Data() : nil), sink: sink, sent: sent)
            } catch let error as URLError {
                let unreachable = S3Error(.unreachable, "cannot reach the store at \(host) (\(what)): \(Self.explain(error)); is the endpoint right (--endpoint / SENTIENT_OFFSITE_ENDPOINT) and the store up?", underlying: error)
                if Self.retryable(error), attempt < config.maxAttempts { backoff(attempt); continue }
                throw unreachable
            }
            if (200..<300).contains(response.status) { return response }
            let root = try? S3XML.parse(response.body)
            let s3Code = root?["Code"]
            let retryableCodes: Set<String> = ["SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "Throttling"]
            if (response.status >= 500 || response.status == 429 || s3Code.map(retryableCodes.contains) == true), attempt < config.maxAttempts {
                backoff(attempt)
                continue
            }
            let code = S3Error.code(status: response.status, s3Code: s3Code)
            var message = "\(what): the store answered HTTP \(response.status)"
            if let s3Code { message += " \(s3Code)" }
            if let text = root?["Message"], !text.isEmpty { message += " (\(text))" }
            switch code {
            case .accessDenied:
                message += ": the store rejected the credentials or their rights; check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), the region (--region, AWS_REGION) and the bucket policy"
            case .notFound:
                message += s3Code == "NoSuchBucket" || (key.isEmpty && s3Code == nil) ? ": the bucket \(bucket) does not exist at this endpoint" : ": no such object"
            default:
                break
            }
            throw S3Error(code, message, s3Code: s3Code, status: response.status)
        }
    }

    static func retryable(_ error: URLError) -> Bool {
        [.networkConnectionLost, .timedOut, .cannotConnectToHost, .notConnectedToInternet, .dnsLookupFailed, .cannotFindHost].contains(error.code)
    }

    static func explain(_ error: URLError) -> String {
        switch error.code {
        case .cannotConnectToHost: return "connection refused"
        case .cannotFindHost, .dnsLookupFailed: return "host not found"
        case .timedOut: return "timed out"
        case .networkConnectionLost: return "connection reset"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot:
            return "TLS failed (is the certificate trusted by this system's CA store?)"
        default: return error.localizedDescription
        }
    }

    /// 0.25 s, 0.5 s, 1 s, ... capped at 8 s, with up to a quarter of jitter.
    private func backoff(_ attempt: Int) {
        let base = min(8.0, 0.25 * pow(2.0, Double(attempt - 1)))
        Thread.sleep(forTimeInterval: base * (1 + Double.random(in: 0..<0.25)))
    }

    /// Keeps the average rate since the first paced transfer at or under the limit.
    private func pace(_ bytes: Int64) {
        guard let limit = config.bandwidthLimit, limit > 0 else { return }
        let start = paceStart ?? Date()
        paceStart = start
        pacedBytes += bytes
        let due = Double(pacedBytes) / Double(limit) - Date().timeIntervalSince(start)
        if due > 0 { Thread.sleep(forTimeInterval: due) }
    }

    private func metaHeaders(_ metadata: [String: String]) -> [String: String] {
        var headers: [String: String] = [:]
        for (name, value) in metadata { headers["x-amz-meta-\(name.lowercased())"] = value }
        return headers
    }

    func unquote(_ etag: String) -> String {
        etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    /// An ISO 8601 time as stores write them (`2024-01-01T00:00:00.000Z`). The shape is checked
    /// first: ICU's parser dies of SIGFPE on a fraction of some 30 digits from a broken store.
    static func parseDate(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func digits(_ range: Range<Int>) -> Bool { range.allSatisfy { $0 < bytes.count && bytes[$0] >= 0x30 && bytes[$0] <= 0x39 } }
        guard bytes.count >= 20, digits(0..<4), digits(5..<7), digits(8..<10), digits(11..<13), digits(14..<16), digits(17..<19)
        else { return nil }
        var end = 19
        if bytes[end] == UInt8(ascii: ".") {
            end += 1
            while end < bytes.count, bytes[end] >= 0x30, bytes[end] <= 0x39 { end += 1 }
            guard end - 20 >= 1, end - 20 <= 9 else { return nil }
        }
        guard bytes.count - end == 1 || bytes.count - end == 6 else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
