import Age
import Foundation

/// Where `sync-offsite` copies to, as rsync reads it.
public enum OffsiteTarget: Sendable, Equatable {
    /// A local directory or a mounted NFS/SMB share.
    case local(String)
    /// `[user@]host:/path` over SSH.
    case ssh(String)
    /// `rsync://host[:port]/module[/path]` or `host::module`.
    case daemon(String)
    /// `s3://BUCKET/PREFIX` in an S3-compatible object store (our own client, no rsync).
    case s3(String)

    /// `s3://` is an object store; then rsync's own rule: `rsync://` or `::` is a daemon; a colon before the first slash is SSH.
    public init(_ text: String) {
        if text.lowercased().hasPrefix("s3://") {
            self = .s3(text)
        } else if text.hasPrefix("rsync://") || text.contains("::") {
            self = .daemon(text)
        } else if let colon = text.firstIndex(of: ":"), !text[..<colon].contains("/") {
            self = .ssh(text)
        } else {
            self = .local(text)
        }
    }

    public var kind: String {
        switch self {
        case .local: return "local"
        case .ssh: return "ssh"
        case .daemon: return "rsync-daemon"
        case .s3: return "s3"
        }
    }

    var text: String {
        switch self {
        case .local(let s), .ssh(let s), .daemon(let s), .s3(let s): return s
        }
    }
}

/// What to copy where, and how.
public struct OffsiteSyncRequest: Sendable {
    public var source: String
    public var target: OffsiteTarget
    public var dryRun = false
    /// Delete files on the target that the source no longer has (rsync --delete; hidden and
    /// excluded files on the target are left alone).
    public var delete = false
    /// Lets `delete` go ahead when the source holds no archive or when more than half of the
    /// target's archives would go (see `OffsiteSync.massDeleteCheck`).
    public var allowMassDelete = false
    /// KiB per second (rsync --bwlimit).
    public var bandwidthLimit: Int?
    public var sshKey: String?
    public var sshPort: Int?
    /// Extra `-o` options for ssh (e.g. `StrictHostKeyChecking=accept-new`).
    public var sshOptions: [String] = []
    /// rsync filter patterns; a file selected by an include always travels with its sidecar
    /// and its signature (`.sha256`, `.sig`).
    public var includes: [String] = []
    public var excludes: [String] = []
    /// The rsync executable (a name looked up on PATH, or a path).
    public var rsync = "rsync"
    public var environment = ProcessInfo.processInfo.environment
    /// Copy age-encrypted `.tar.gz.age` copies instead of the plain archives (`--encrypt-to`;
    /// see `OffsiteOutbox`). Local archives stay plain.
    public var encryptTo: [AgeRecipient] = []
    /// Signs each encrypted copy into `<copy>.sig` (`--sign-key`, `SENTIENT_SIGN_KEY`); needs
    /// `encryptTo` (plain archives travel with the `.sig` their backup wrote).
    public var signKey: KeyFile?
    /// For an `s3://` target: `--endpoint`, `--region`, `--part-size` (MiB); nil reads the
    /// environment (see `S3Settings.resolve`).
    public var s3Endpoint: String?
    public var s3Region: String?
    public var s3PartSizeMiB: Int?

    public init(source: String, target: OffsiteTarget) {
        self.source = source
        self.target = target
    }
}

/// What a sync did. `--json` prints it.
public struct OffsiteSyncResult: Codable, Sendable {
    public var source: String
    public var target: String
    public var target_kind: String
    public var dry_run: Bool
    /// Files copied (or, in a dry run, that would be), relative to the source.
    public var transferred: [String]
    /// Files deleted on the target (with --delete).
    public var deleted: [String]
    /// Archives whose SHA-256 on a local target was checked against their sidecar.
    public var verified: [String]
    public var duration_seconds: Double
    /// With --encrypt-to: plain archives encrypted for this sync (in a dry run: that would be).
    public var encrypted: [String]? = nil
    /// With --encrypt-to: encrypted copies signed for this sync (in a dry run: that would be).
    public var signed: [String]? = nil
}

/// Copies a backup directory to another place with rsync, run as a child process with an argv
/// (never through a shell).
public enum OffsiteSync {
    /// rsync's arguments for a request (without the executable).
    /// - Parameter listAll: also list the files that need no transfer (`-ii`), for the
    ///   mass-delete check's dry run.
    public static func arguments(_ request: OffsiteSyncRequest, listAll: Bool = false) -> [String] {
        var args = ["--recursive", "--times", "--perms", "--out-format=%i %n", "--timeout=300"]
        if listAll { args.append("--itemize-changes"); args.append("--itemize-changes") }
        if request.dryRun { args.append("--dry-run") }
        if request.delete { args.append("--delete") }
        if let limit = request.bandwidthLimit { args.append("--bwlimit=\(limit)") }
        switch request.target {
        case .ssh:
            var ssh = ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10"]
            if let port = request.sshPort { ssh += ["-p", String(port)] }
            if let key = request.sshKey { ssh += ["-i", key, "-o", "IdentitiesOnly=yes"] }
            for option in request.sshOptions { ssh += ["-o", option] }
            // rsync splits -e's value itself, honouring quotes.
            args += ["-e", ssh.map(shellQuote).joined(separator: " ")]
        case .daemon:
            args.append("--contimeout=10")
        case .local, .s3:
            break
        }
        // Filters, first match wins: never hidden files (.partial, .tmp); excludes, each with
        // its sidecar and signature; includes, each with its sidecar and signature; then, if
        // anything was included, nothing else.
        args.append("--exclude=.*")
        for pattern in request.excludes {
            args.append("--exclude=\(pattern)")
            if !pattern.hasSuffix("*") { args += ["--exclude=\(pattern).sha256", "--exclude=\(pattern)\(ArchiveSignature.suffix)"] }
        }
        for pattern in request.includes {
            args.append("--include=\(pattern)")
            if !pattern.hasSuffix("*") { args += ["--include=\(pattern).sha256", "--include=\(pattern)\(ArchiveSignature.suffix)"] }
        }
        if !request.includes.isEmpty { args.append("--exclude=*") }
        let source = request.source.hasSuffix("/") ? request.source : request.source + "/"
        let target = request.target.text.hasSuffix("/") ? request.target.text : request.target.text + "/"
        args += ["--", source, target]
        return args
    }

    /// Runs the sync, then (for a local target, not in a dry run) checks every transferred
    /// archive's SHA-256 on the target against its sidecar there. With `delete` (and without
    /// `allowMassDelete`) a dry run first counts what would go, on any kind of target.
    /// - Throws: `SnapError`: `.usage` (a refused mass delete; nothing changed),
    ///   `.inputNotFound` (source, SSH key), `.outputNotCreatable` (local
    ///   target missing), `.unreachable` (host, daemon), `.permission` (authentication),
    ///   `.ioFailure` (partial transfer), `.damagedArchive` (a checksum mismatch on the target),
    ///   `.failure` (rsync missing or other rsync errors).
    public static func run(_ request: OffsiteSyncRequest) throws -> OffsiteSyncResult {
        let started = Date()
        if let key = request.signKey, request.encryptTo.isEmpty {
            throw SnapError(.usage, "--sign-key (\(key.origin)) signs the encrypted offsite copies and needs --encrypt-to: plain archives travel with the .sig their backup wrote (backup --sign-key); nothing was copied")
        }
        guard !request.encryptTo.isEmpty else { return try sync(request, started: started) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: request.source, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SnapError(.inputNotFound, "the source directory \(request.source) does not exist")
        }
        let signingKey = try request.signKey.map(ArchiveSignature.loadSigningKey)
        let prepared = try OffsiteOutbox.prepare(source: request.source, recipients: request.encryptTo, signingKey: signingKey, dryRun: request.dryRun)
        var inner = request
        inner.encryptTo = []
        inner.signKey = nil
        // A dry run before the first encrypted sync has no outbox yet: rsync lists what is there.
        if !request.dryRun || FileManager.default.fileExists(atPath: prepared.outbox) { inner.source = prepared.outbox }
        var result = try sync(inner, started: started)
        result.source = request.source
        result.encrypted = prepared.encrypted
        result.signed = signingKey == nil ? nil : prepared.signed
        return result
    }

    private static func sync(_ request: OffsiteSyncRequest, started: Date) throws -> OffsiteSyncResult {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: request.source, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SnapError(.inputNotFound, "the source directory \(request.source) does not exist")
        }
        if case .s3(let text) = request.target, let location = try S3Location.parse(text) {
            return try OffsiteS3Sync.run(request, location: location, started: started)
        }
        if let key = request.sshKey, !FileManager.default.isReadableFile(atPath: key) {
            throw SnapError(.inputNotFound, "the SSH key \(key) does not exist or is not readable (from --ssh-key or SENTIENT_OFFSITE_SSH_KEY)")
        }
        if case .local(let path) = request.target {
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw SnapError(.outputNotCreatable, "the target directory \(path) does not exist: create it, or mount the share it lives on")
            }
        }
        guard let rsync = ChildProcess.find(request.rsync, environment: request.environment) else {
            throw SnapError(.failure, "rsync is not installed (not found on PATH): install it (apt-get install rsync) on this host and on the target")
        }
        if request.delete && !request.dryRun && !request.allowMassDelete {
            var preview = request
            preview.dryRun = true
            let outcome = try ChildProcess.run(rsync, arguments(preview, listAll: true), environment: request.environment)
            guard outcome.status == 0 || outcome.status == 24 else { throw classify(outcome, request: request) }
            if let refusal = massDeleteCheck(items(outcome.stdout), request: request) { throw refusal }
        }
        let outcome = try ChildProcess.run(rsync, arguments(request), environment: request.environment)
        var transferred: [String] = []
        var deleted: [String] = []
        for (item, name) in items(outcome.stdout) {
            if item == "*deleting" {
                deleted.append(name)
            } else if item.count >= 2, item.first == "<" || item.first == ">", item.dropFirst().first == "f" {
                transferred.append(name)
            }
        }
        switch outcome.status {
        case 0:
            break
        case 24:
            break  // files vanished on the source during the transfer (a concurrent prune)
        default:
            throw classify(outcome, request: request)
        }

        var verified: [String] = []
        if case .local(let target) = request.target, !request.dryRun {
            var failures: [String] = []
            for name in transferred where name.hasSuffix(".tar.gz") || name.hasSuffix(".tar.gz.age") {
                let path = (target as NSString).appendingPathComponent(name)
                guard let text = try? String(contentsOfFile: path + ".sha256", encoding: .utf8) else {
                    failures.append("\(name): no .sha256 sidecar on the target")
                    continue
                }
                let recorded = text.split(separator: " ").first.map(String.init) ?? ""
                let actual = try BackupJob.sha256(ofFile: path)
                if recorded == actual { verified.append(name) } else { failures.append("\(name): SHA-256 on the target does not match its sidecar") }
            }
            if !failures.isEmpty {
                throw SnapError(.damagedArchive, "the copies on \(target) failed their checksum check:\n" + failures.map { "  - \($0)" }.joined(separator: "\n"))
            }
        }
        return OffsiteSyncResult(
            source: request.source, target: request.target.text, target_kind: request.target.kind, dry_run: request.dryRun,
            transferred: transferred, deleted: deleted, verified: verified, duration_seconds: Date().timeIntervalSince(started))
    }

    /// The `%i %n` lines of rsync's output as (item, name). `%i` is 11 characters wide
    /// (`*deleting  `, `>f+++++++++`), so the name starts at the 13th.
    static func items(_ stdout: String) -> [(item: String, name: String)] {
        stdout.split(separator: "\n").compactMap { line in
            guard line.count > 12, let space = line.firstIndex(of: " ") else { return nil }
            let item = String(line[..<space])
            return (item, String(line.dropFirst(12)))
        }
    }

    /// Why a `--delete` run must not go ahead, from a dry run that listed every file (`-ii`):
    /// a source without any archive (a share that is not mounted, a wrong path) would empty the
    /// target, and losing more than half of the target's archives at once is rarely meant.
    /// Counts only backup archives (`sentient-<room>-<stamp>.tar.gz`) within the filters.
    /// - Returns: `SnapError(.usage)` naming the source, the counts and `--allow-mass-delete`; nil
    ///   when the run may go ahead.
    static func massDeleteCheck(_ items: [(item: String, name: String)], request: OffsiteSyncRequest) -> SnapError? {
        var sourceArchives = 0, targetArchives = 0, doomed = 0
        for (item, name) in items where BackupFileName.parse((name as NSString).lastPathComponent) != nil {
            if item == "*deleting" {
                doomed += 1
                targetArchives += 1
            } else if item.count >= 2, item.dropFirst().first == "f" {
                sourceArchives += 1
                // New on the target: `>f+++++++++`; anything else is already there.
                if !item.hasSuffix("+++++++") { targetArchives += 1 }
            }
        }
        return massDeleteRefusal(sourceArchives: sourceArchives, targetArchives: targetArchives, doomed: doomed, request: request)
    }

    /// The refusal for counts of backup archives on the source, on the target, and to be deleted.
    static func massDeleteRefusal(sourceArchives: Int, targetArchives: Int, doomed: Int, request: OffsiteSyncRequest) -> SnapError? {
        let target = request.target.text
        if sourceArchives == 0 {
            return SnapError(.usage, "refusing --delete: the source \(request.source) holds no backup archive, so all \(targetArchives) archive(s) on \(target) would be deleted (is the share mounted, the path right?); nothing was copied or deleted. Pass --allow-mass-delete if you mean to empty the target.")
        }
        if doomed * 2 > targetArchives {
            return SnapError(.usage, "refusing --delete: \(doomed) of the \(targetArchives) archives on \(target) would be deleted (more than half), as the source \(request.source) holds only \(sourceArchives); nothing was copied or deleted. Check the source, or pass --allow-mass-delete if you mean it.")
        }
        return nil
    }

    /// rsync's exit status and stderr, as our exit codes (rsync(1) "EXIT VALUES").
    static func classify(_ outcome: ChildProcess.Outcome, request: OffsiteSyncRequest) -> SnapError {
        let stderr = outcome.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        let detail = stderr.split(separator: "\n").suffix(4).joined(separator: "\n  ")
        let target = request.target.text
        let lower = stderr.lowercased()
        if lower.contains("permission denied (publickey") || lower.contains("auth failed") || lower.contains("host key verification failed") {
            return SnapError(.permission, "authentication to \(target) failed (rsync exit \(outcome.status)): check the SSH key (--ssh-key / SENTIENT_OFFSITE_SSH_KEY), the target's authorized_keys or the daemon's secrets\n  \(detail)")
        }
        // ssh's own failure may surface as rsync's exit 12 (protocol stream closed) rather than 255.
        let unreachable = ["connection refused", "could not resolve", "no route to host", "connection timed out", "network is unreachable"]
        if unreachable.contains(where: { lower.contains($0) }) {
            return SnapError(.unreachable, "cannot reach \(target) (rsync exit \(outcome.status)): is the host up and the port right (--ssh-port)?\n  \(detail)")
        }
        switch outcome.status {
        case 5, 10, 35, 255:
            return SnapError(.unreachable, "cannot reach \(target) (rsync exit \(outcome.status)): is the host up and the port right (--ssh-port)?\n  \(detail)")
        case 11, 23:
            return SnapError(.ioFailure, "the transfer to \(target) was incomplete (rsync exit \(outcome.status)): some files could not be read or written\n  \(detail)")
        default:
            return SnapError(.failure, "rsync to \(target) failed (exit \(outcome.status))\n  \(detail)")
        }
    }

    /// Quotes a word for rsync's -e splitting (and a POSIX shell's).
    static func shellQuote(_ word: String) -> String {
        if !word.isEmpty, word.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:@,+".contains($0) }) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// Runs a child process with an argv, capturing its output.
public enum ChildProcess {
    public struct Outcome: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// `name` itself when it contains a slash, else the first executable match on PATH.
    public static func find(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for dir in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `executable` with `arguments` and waits; stdin is /dev/null.
    /// - Throws: `SnapError(.failure)` when it cannot be started.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        do {
            try process.run()
        } catch {
            throw SnapError(.failure, "cannot start \(executable): \(error.localizedDescription)", underlying: error)
        }
        // Read both pipes at once so neither can fill up and stall the child.
        let errBox = Locked(Data())
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            let data = err.fileHandleForReading.readDataToEndOfFile()
            errBox.withLock { $0 = data }
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let errData = errBox.withLock { $0 }
        process.waitUntilExit()
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return Outcome(status: status, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }
}
