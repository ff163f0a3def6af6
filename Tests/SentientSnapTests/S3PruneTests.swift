import Foundation
import S3
import SentientSnap
import TestHarness
import Testing

/// `prune s3://` and the multipart uploads a killed sync leaves pending, against `rclone serve s3`
/// (which reports each upload's `Initiated` time). The age threshold is `PruneRequest.staleAfter`.
@Suite("prune s3:// pending uploads", .serialized, .timeLimit(.minutes(5)))
struct S3PruneTests {
    @Test("a multipart upload older than staleAfter is aborted and reported (a dry run only reports it); a younger one is left alone")
    func staleMultipartUpload() throws {
        let server = try TestS3()
        let settings = try S3Settings.resolve(endpoint: nil, region: nil, environment: server.snapEnvironment)
        let client = settings.client()
        let key = "p/sentient-pharaohs-20240101-020000.tar.gz"
        let id = try client.createMultipartUpload(bucket: "venue", key: key, metadata: [:])
        _ = try client.uploadPart(bucket: "venue", key: key, uploadID: id, number: 1, body: Data(repeating: 7, count: 1024))
        let location = try #require(try S3Location.parse("s3://venue/p"))
        let pending = { try client.listMultipartUploads(bucket: "venue", prefix: "p/").map(\.uploadID) }
        #expect(try pending() == [id])

        // The default threshold is a day: a second-old upload may be a running sync's.
        var request = PruneRequest(directory: location.description)
        let young = try S3Remote.prune(request, location: location, settings: settings)
        #expect(young.stale_partials.isEmpty, "\(young.stale_partials)")
        #expect(try pending() == [id])

        request.staleAfter = 0
        request.now = Date()
        request.dryRun = true
        let dry = try S3Remote.prune(request, location: location, settings: settings)
        #expect(dry.stale_partials == ["sentient-pharaohs-20240101-020000.tar.gz (multipart upload \(id))"], "\(dry.stale_partials)")
        #expect(try pending() == [id], "a dry run aborted the upload")

        request.dryRun = false
        let pruned = try S3Remote.prune(request, location: location, settings: settings)
        #expect(pruned.stale_partials == ["sentient-pharaohs-20240101-020000.tar.gz (multipart upload \(id))"], "\(pruned.stale_partials)")
        #expect(try pending().isEmpty, "the stale upload is still pending")
        #expect(try server.objects("venue").isEmpty, "aborting made something visible")
    }
}
