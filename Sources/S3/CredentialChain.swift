import Foundation

extension S3Credentials {
    /// The credentials as AWS tools find them: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`
    /// (and `AWS_SESSION_TOKEN`) in `environment`, else the profile `AWS_PROFILE` (default
    /// `default`) in `AWS_SHARED_CREDENTIALS_FILE` (default `~/.aws/credentials`).
    /// - Returns: the credentials and where they came from (never the secret).
    /// - Throws: `S3Error(.accessDenied)` when none are found or a named profile is missing.
    public static func resolve(environment: [String: String]) throws -> (S3Credentials, source: String) {
        func value(_ key: String) -> String? { environment[key].flatMap { $0.isEmpty ? nil : $0 } }
        if let id = value("AWS_ACCESS_KEY_ID"), let secret = value("AWS_SECRET_ACCESS_KEY") {
            return (S3Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN")), "AWS_ACCESS_KEY_ID")
        }
        let profile = value("AWS_PROFILE") ?? "default"
        let home = value("HOME") ?? NSHomeDirectory()
        let file = value("AWS_SHARED_CREDENTIALS_FILE") ?? home + "/.aws/credentials"
        if let text = try? String(contentsOfFile: file, encoding: .utf8) {
            let section = parseINI(text)[profile] ?? [:]
            if let id = section["aws_access_key_id"], let secret = section["aws_secret_access_key"] {
                return (S3Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: section["aws_session_token"]), "profile \(profile) in \(file)")
            }
            if value("AWS_PROFILE") != nil {
                throw S3Error(.accessDenied, "the profile \(profile) (AWS_PROFILE) has no aws_access_key_id and aws_secret_access_key in \(file)")
            }
        } else if value("AWS_PROFILE") != nil || value("AWS_SHARED_CREDENTIALS_FILE") != nil {
            throw S3Error(.accessDenied, "cannot read the credentials file \(file) (for the profile \(profile))")
        }
        throw S3Error(.accessDenied, "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (in the environment or /etc/sentient/offsite.env), or AWS_PROFILE with ~/.aws/credentials")
    }

    /// `[section]` and `key = value` lines; `#` and `;` start comments.
    static func parseINI(_ text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                var name = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                if name.hasPrefix("profile ") { name = String(name.dropFirst(8)).trimmingCharacters(in: .whitespaces) }
                current = name
                continue
            }
            guard let current, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            sections[current, default: [:]][key] = value
        }
        return sections
    }
}
