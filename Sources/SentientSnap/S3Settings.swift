import Foundation
import S3

/// `s3://BUCKET/PREFIX`: a backup directory in a bucket.
public struct S3Location: Sendable, Equatable, CustomStringConvertible {
    public var bucket: String
    /// Empty, or ending in `/`.
    public var prefix: String

    /// Parses `s3://bucket`, `s3://bucket/`, `s3://bucket/a/b[/]`; nil when `text` is not an
    /// `s3://` location.
    /// - Throws: `SnapError(.usage)` for `s3://` without a valid bucket name.
    public static func parse(_ text: String) throws -> S3Location? {
        guard text.lowercased().hasPrefix("s3://") else { return nil }
        let rest = text.dropFirst(5)
        let bucket = String(rest.prefix { $0 != "/" })
        guard bucket.range(of: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", options: .regularExpression) != nil else {
            throw SnapError(.usage, "\(text) does not name a bucket: write s3://BUCKET/PREFIX (bucket names are 3-63 lowercase letters, digits, dots and hyphens)")
        }
        var prefix = String(rest.dropFirst(bucket.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if !prefix.isEmpty { prefix += "/" }
        return S3Location(bucket: bucket, prefix: prefix)
    }

    /// The location of an object: `s3://bucket/dir/ARCHIVE` splits into `s3://bucket/dir/` and
    /// `ARCHIVE`.
    /// - Throws: `SnapError(.usage)` when it names no object.
    public static func parseObject(_ text: String) throws -> (S3Location, name: String)? {
        guard let whole = try parse(text) else { return nil }
        let trimmed = whole.prefix.hasSuffix("/") ? String(whole.prefix.dropLast()) : whole.prefix
        guard !trimmed.isEmpty, !text.hasSuffix("/") else {
            throw SnapError(.usage, "\(text) names no archive: write s3://BUCKET/PREFIX/sentient-ROOM-YYYYMMDD-HHMMSS.tar.gz")
        }
        let name = (trimmed as NSString).lastPathComponent
        let dir = String(trimmed.dropLast(name.count))
        return (S3Location(bucket: whole.bucket, prefix: dir), name)
    }

    public func key(_ name: String) -> String { prefix + name }
    public var description: String { "s3://\(bucket)/\(prefix)" }
    public func url(_ name: String) -> String { "s3://\(bucket)/\(prefix)\(name)" }
}

/// How to reach the store, from flags, the environment and `offsite.env`.
public struct S3Settings: Sendable {
    public var config: S3Config
    /// Where the credentials came from (for --verbose; never the secret).
    public var credentialSource: String
    public var partSize = 16 << 20
    /// Files above this go as multipart uploads.
    public var multipartThreshold = 16 << 20

    /// - Parameters:
    ///   - endpoint: `--endpoint`, else `SENTIENT_OFFSITE_ENDPOINT`, else AWS.
    ///   - region: `--region`, else `AWS_REGION`, `AWS_DEFAULT_REGION`, else us-east-1.
    ///   - environment: the process's; `offsite.env` in `SENTIENT_ENV_DIR` (default
    ///     /etc/sentient) fills in keys the environment does not set, as systemd's
    ///     EnvironmentFile would.
    /// - Throws: `SnapError(.usage)` for a bad endpoint or part size; `.permission` without credentials.
    public static func resolve(endpoint: String?, region: String?, partSizeMiB: Int? = nil, environment: [String: String]) throws -> S3Settings {
        var env = environment
        let envDir = environment["SENTIENT_ENV_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? RoomSettings.defaultEnvDir
        if let file = try? EnvFile(path: envDir + "/offsite.env") {
            for (key, value) in file.values where (env[key] ?? "").isEmpty { env[key] = value }
        }
        func value(_ key: String) -> String? { env[key].flatMap { $0.isEmpty ? nil : $0 } }
        var url: URL?
        if let text = endpoint ?? value("SENTIENT_OFFSITE_ENDPOINT") {
            guard let parsed = URL(string: text), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https", parsed.host != nil else {
                throw SnapError(.usage, "the endpoint \(text) is not a URL like https://host[:port] (from --endpoint or SENTIENT_OFFSITE_ENDPOINT)")
            }
            url = parsed
        }
        let credentials: (S3Credentials, source: String)
        do {
            credentials = try S3Credentials.resolve(environment: env)
        } catch let error as S3Error {
            throw SnapError(.permission, error.message + "; nothing was changed", underlying: error)
        }
        var settings = S3Settings(
            config: S3Config(endpoint: url, region: region ?? value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? "us-east-1", credentials: credentials.0),
            credentialSource: credentials.source)
        if let text = partSizeMiB.map(String.init) ?? value("SENTIENT_OFFSITE_PART_SIZE") {
            guard let mib = Int(text), (5...5120).contains(mib) else {
                throw SnapError(.usage, "the part size \(text) MiB is out of S3's range 5-5120 (--part-size / SENTIENT_OFFSITE_PART_SIZE)")
            }
            settings.partSize = mib << 20
            settings.multipartThreshold = mib << 20
        }
        return settings
    }

    public func client(bandwidthLimit: Int? = nil) -> S3Client {
        var config = config
        config.bandwidthLimit = bandwidthLimit
        return S3Client(config: config)
    }
}
