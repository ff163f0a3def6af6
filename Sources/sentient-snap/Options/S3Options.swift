import ArgumentParser
import Foundation
import SentientSnap

/// How to reach an `s3://` location; ignored for local paths. Credentials are never options:
/// they come from the environment, `~/.aws/credentials` or `offsite.env`.
struct S3Options: ParsableArguments {
    @Option(help: ArgumentHelp("For s3:// locations: the store's URL, e.g. http://127.0.0.1:9000 (default: SENTIENT_OFFSITE_ENDPOINT, else AWS).", valueName: "url"))
    var endpoint: String?

    @Option(help: ArgumentHelp("For s3:// locations: the region (default: AWS_REGION, else us-east-1).", valueName: "region"))
    var region: String?

    func settings(partSizeMiB: Int? = nil) throws -> S3Settings {
        try S3Settings.resolve(endpoint: endpoint, region: region, partSizeMiB: partSizeMiB, environment: ProcessInfo.processInfo.environment)
    }
}

/// `S3Options` and where to download an `s3://` archive to, for the commands that read a whole
/// archive (verify, restore, export).
struct S3ArchiveOptions: ParsableArguments {
    @OptionGroup var store: S3Options

    @Option(name: .customLong("work-dir"), help: ArgumentHelp("For s3:// archives: where to download them to, with room checked first (default: the system temp dir).", valueName: "dir"))
    var workDir: String?

    /// The download of `archive` when it is `s3://` (nil for a local path); the caller removes it.
    func fetch(_ archive: String) throws -> FetchedArchive? {
        try S3Fetch.fetch(archive, settings: { try store.settings() }, workDir: workDir)
    }

    /// Runs `body` on a local path: `archive` itself, or for `s3://` a checked download that is
    /// removed afterwards (errors name the `s3://` location, not the temp file).
    func withLocalArchive<T>(_ archive: String, _ body: (String) throws -> T) throws -> T {
        guard let fetched = try fetch(archive) else { return try body(archive) }
        defer { fetched.remove() }
        do {
            return try body(fetched.path)
        } catch {
            throw fetched.rename(error)
        }
    }
}
