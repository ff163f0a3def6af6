import Crypto
import Foundation

/// A local file's fingerprints, read in one pass: its SHA-256 and the ETag a store gives it when
/// it is uploaded by `S3Client.upload` with the same part size (MD5 of the body, or for a
/// multipart upload the MD5 of the parts' MD5s and `-<parts>`).
public struct FileFingerprint: Sendable, Equatable {
    public var size: Int64
    public var sha256: String
    public var etag: String

    public static func of(path: String, partSize: Int, multipartThreshold: Int) throws -> FileFingerprint {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw S3Error(.io, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        var sha = SHA256()
        var whole = Insecure.MD5()
        var partDigests = Data()
        var size: Int64 = 0, parts = 0
        while true {
            // One part at a time, in 1 MiB reads, so memory stays at a read buffer.
            var partMD5 = Insecure.MD5()
            var partBytes = 0
            while partBytes < partSize {
                let chunk = try handle.read(upToCount: min(1 << 20, partSize - partBytes)) ?? Data()
                if chunk.isEmpty { break }
                sha.update(data: chunk)
                whole.update(data: chunk)
                partMD5.update(data: chunk)
                partBytes += chunk.count
            }
            if partBytes == 0 { break }
            size += Int64(partBytes)
            parts += 1
            partDigests.append(contentsOf: partMD5.finalize())
            if partBytes < partSize { break }
        }
        let etag = size > Int64(multipartThreshold)
            ? SigV4.hex(Insecure.MD5.hash(data: partDigests)) + "-\(parts)"
            : SigV4.hex(whole.finalize())
        return FileFingerprint(size: size, sha256: SigV4.hex(sha.finalize()), etag: etag)
    }
}

extension S3Client {
    /// Uploads a file: one PUT up to `multipartThreshold` bytes, else a multipart upload of
    /// `partSize` parts read one at a time (memory: one part). The object becomes visible only
    /// when complete; a failed multipart upload is aborted before the error is thrown (a killed
    /// process leaves it pending for `abortStale`). Carries the file's SHA-256 as
    /// `x-amz-meta-sha256` (and `x-amz-checksum-sha256` on a single PUT), then checks the stored
    /// object with a HEAD: size, and every checksum the store reports.
    /// - Parameter expected: the fingerprint read before (the file must not change meanwhile).
    /// - Throws: `S3Error(.checksumMismatch)` when the stored object differs; others as `send`.
    public func upload(path: String, bucket: String, key: String, expected: FileFingerprint, partSize: Int, multipartThreshold: Int,
                       contentType: String? = nil) throws {
        let metadata = ["sha256": expected.sha256]
        if expected.size <= Int64(multipartThreshold) {
            guard let body = FileManager.default.contents(atPath: path) else { throw S3Error(.io, "cannot read \(path)") }
            guard Int64(body.count) == expected.size, SigV4.hex(SHA256.hash(data: body)) == expected.sha256 else {
                throw S3Error(.io, "\(path) changed while it was being uploaded; nothing was uploaded for it")
            }
            try put(bucket: bucket, key: key, body: body, metadata: [:], contentType: contentType)
        } else {
            guard let handle = FileHandle(forReadingAtPath: path) else { throw S3Error(.io, "cannot read \(path)") }
            defer { try? handle.close() }
            let uploadID = try createMultipartUpload(bucket: bucket, key: key, metadata: metadata, contentType: contentType)
            do {
                var parts: [(number: Int, etag: String)] = []
                var sha = SHA256()
                while true {
                    let body = try handle.read(upToCount: partSize) ?? Data()
                    if body.isEmpty { break }
                    sha.update(data: body)
                    parts.append((parts.count + 1, try uploadPart(bucket: bucket, key: key, uploadID: uploadID, number: parts.count + 1, body: body)))
                }
                guard SigV4.hex(sha.finalize()) == expected.sha256 else {
                    throw S3Error(.io, "\(path) changed while it was being uploaded; its upload was aborted")
                }
                try completeMultipartUpload(bucket: bucket, key: key, uploadID: uploadID, parts: parts)
            } catch {
                try? abortMultipartUpload(bucket: bucket, key: key, uploadID: uploadID)
                throw error
            }
        }
        try check(bucket: bucket, key: key, against: expected)
    }

    /// HEADs an object just uploaded and compares it with the local file's fingerprint. An
    /// object the store does not hold as sent is deleted: nothing unchecked stays visible under
    /// an archive's name (the next sync uploads it again).
    /// - Throws: `S3Error(.checksumMismatch)` naming what differs; `.notFound` when it is gone.
    public func check(bucket: String, key: String, against expected: FileFingerprint) throws {
        guard let head = try head(bucket: bucket, key: key) else {
            throw S3Error(.notFound, "\(describe(bucket, key)) is missing right after its upload")
        }
        if let problem = Self.mismatch(head, expected) {
            let removed = (try? delete(bucket: bucket, key: key)) != nil
            throw S3Error(.checksumMismatch, "\(describe(bucket, key)) does not match the local file after upload: \(problem); "
                + (removed ? "the object was deleted again" : "deleting it failed too, so delete it by hand"))
        }
    }

    /// Why a stored object is not the file, or nil when every reported checksum agrees.
    public static func mismatch(_ head: S3Head, _ expected: FileFingerprint) -> String? {
        if head.size != expected.size { return "\(head.size) bytes stored, \(expected.size) local" }
        if let sum = head.metadata["sha256"], sum.lowercased() != expected.sha256 { return "SHA-256 metadata \(sum), local \(expected.sha256)" }
        if let sum = head.checksumSHA256, let bytes = Data(base64Encoded: sum), SigV4.hex(bytes) != expected.sha256 {
            return "x-amz-checksum-sha256 differs"
        }
        // An ETag is an MD5 only when it looks like one (not with SSE-KMS, not for copies).
        if head.etag.range(of: "^[0-9a-f]{32}(-[0-9]+)?$", options: .regularExpression) != nil,
           head.etag.contains("-") == expected.etag.contains("-"), head.etag != expected.etag {
            return "ETag \(head.etag), expected \(expected.etag)"
        }
        return nil
    }

    /// Whether the store already holds this file: same size and a matching checksum (the ETag
    /// as we would produce it, else the SHA-256 metadata). Needs no HEAD when the ETag agrees.
    public func holds(_ object: S3Object, bucket: String, _ expected: FileFingerprint) throws -> Bool {
        guard object.size == expected.size else { return false }
        if object.etag == expected.etag { return true }
        guard let head = try head(bucket: bucket, key: object.key) else { return false }
        if let sum = head.metadata["sha256"] { return sum.lowercased() == expected.sha256 }
        if let sum = head.checksumSHA256, let bytes = Data(base64Encoded: sum) { return SigV4.hex(bytes) == expected.sha256 }
        return false
    }
}
