import ArgumentParser
import Foundation
import SentientSnap

struct SyncOffsite: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-offsite",
        abstract: "Copy a backup directory offsite with rsync or to S3: archives with their sidecars, never partial files.",
        discussion: """
            Runs rsync (a child process, no shell) from <source_dir>/ to the target: a local path \
            or NFS mount, [user@]host:/path over SSH (BatchMode, so a missing key fails instead of \
            asking), or rsync://host[:port]/module. Hidden files (.partial, .tmp) never travel; \
            a file picked by --include always travels with its .sha256 sidecar and its .sig \
            signature. With --encrypt-to the offsite copies are .tar.gz.age files with their own \
            sidecars (a plain archive's .sig stays home: it is over the plain bytes); --sign-key \
            signs each copy into <copy>.sig once. On a local target \
            every copied archive's SHA-256 is checked against its sidecar afterwards. \
            Defaults come from the environment: SENTIENT_OFFSITE_TARGET, SENTIENT_OFFSITE_SSH_KEY, \
            SENTIENT_OFFSITE_BWLIMIT. With --delete, files the source no longer has are removed \
            from the target (hidden and excluded files are kept). Before that, a dry run counts \
            the backup archives: --delete is refused (exit 64, nothing copied or deleted) when the \
            source holds none (a share not mounted, a wrong path) or when more than half of the \
            target's archives would go, unless --allow-mass-delete. --dry-run is never refused.

            An s3://BUCKET/PREFIX target is written with our own S3 client (no rsync): each \
            file the store does not already hold with the same size and checksum is uploaded \
            (above --part-size as a multipart upload, invisible until complete), then checked \
            with a HEAD (size and SHA-256). Credentials: AWS_ACCESS_KEY_ID and \
            AWS_SECRET_ACCESS_KEY (environment or offsite.env), else AWS_PROFILE in \
            ~/.aws/credentials.

            EXAMPLES:
              sentient-snap sync-offsite /var/backups/sentient /mnt/nas/sentient
              sentient-snap sync-offsite /var/backups/sentient backup@vault:/srv/sentient \\
                  --ssh-key /etc/sentient/offsite_ed25519 --bwlimit 2000
              sentient-snap sync-offsite /var/backups/sentient rsync://vault/sentient \\
                  --include 'sentient-pharaohs-*' --dry-run
              SENTIENT_OFFSITE_TARGET=backup@vault:/srv/sentient \\
                  sentient-snap sync-offsite /var/backups/sentient --delete
              sentient-snap sync-offsite /var/backups/sentient s3://venue/sentient \\
                  --endpoint http://minio.lan:9000

            \(exitStatusHelp)
            """
    )

    @Argument(help: "Directory holding the backups.")
    var sourceDir: String

    @Argument(help: "Where to copy to (default: SENTIENT_OFFSITE_TARGET).")
    var target: String?

    @Flag(name: .customLong("dry-run"), help: "Show what would be copied and deleted; change nothing.")
    var dryRun = false

    @Flag(help: "Delete files on the target that the source no longer has.")
    var delete = false

    @Flag(name: .customLong("allow-mass-delete"), help: "With --delete: go ahead even when the source holds no archive or over half of the target's archives would go.")
    var allowMassDelete = false

    @Option(help: "Bandwidth limit in KiB/s (default: SENTIENT_OFFSITE_BWLIMIT, else none).")
    var bwlimit: Int?

    @Option(name: .customLong("ssh-key"), help: "SSH private key (default: SENTIENT_OFFSITE_SSH_KEY, else ssh's own).")
    var sshKey: String?

    @Option(name: .customLong("ssh-port"), help: "SSH port (default: ssh's own, 22).")
    var sshPort: Int?

    @Option(name: .customLong("ssh-option"), help: "An extra ssh -o option, e.g. StrictHostKeyChecking=accept-new (repeatable).")
    var sshOptions: [String] = []

    @Option(help: "Copy only files matching this rsync pattern, with their sidecars (repeatable).")
    var include: [String] = []

    @Option(help: "Do not copy files matching this rsync pattern, nor their sidecars (repeatable).")
    var exclude: [String] = []

    @Option(name: .customLong("encrypt-to"), help: ArgumentHelp("Send age-encrypted .tar.gz.age copies, encrypted to this recipient (repeatable), instead of the plain archives (default: SENTIENT_OFFSITE_ENCRYPT_TO).", valueName: "age1..."))
    var encryptTo: [String] = []

    @Option(name: .customLong("recipients-file"), help: "Encrypt the offsite copies to the age recipients in this file.")
    var recipientsFile: String?

    @Option(name: .customLong("sign-key"), help: ArgumentHelp("With --encrypt-to: sign each encrypted copy into <copy>.sig with this unencrypted OpenSSH Ed25519 key, once (default: SENTIENT_SIGN_KEY).", valueName: "file"))
    var signKey: String?

    @OptionGroup var s3: S3Options

    @Option(name: .customLong("part-size"), help: ArgumentHelp("For s3:// targets: multipart part size in MiB, 5-5120; larger files go in parts (default: SENTIENT_OFFSITE_PART_SIZE, else 16).", valueName: "mib"))
    var partSize: Int?

    @OptionGroup var output: OutputOptions
    @OptionGroup var hooks: HookOptions
    @OptionGroup var metrics: MetricsOptions

    @Flag(name: .customLong("allow-root"), help: "Allow running as root.")
    var allowRoot = false

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    func validate() throws {
        if let sshPort, !(1...65535).contains(sshPort) { throw ValidationError("--ssh-port \(sshPort) is not a port number: use 1-65535.") }
        if let bwlimit, bwlimit <= 0 { throw ValidationError("--bwlimit \(bwlimit) must be a positive number of KiB/s.") }
        if let text = environment["SENTIENT_OFFSITE_BWLIMIT"], !text.isEmpty, bwlimit == nil, Int(text).map({ $0 > 0 }) != true {
            throw ValidationError("SENTIENT_OFFSITE_BWLIMIT=\(text) is not a positive number of KiB/s.")
        }
        if target == nil && (environment["SENTIENT_OFFSITE_TARGET"] ?? "").isEmpty {
            throw ValidationError("name a target: sync-offsite <source_dir> <target>, or set SENTIENT_OFFSITE_TARGET.")
        }
        if output.json && output.quiet { throw ValidationError("--json and --quiet cannot be combined.") }
    }

    func run() throws {
        try hooks.wrap(command: "sync-offsite", room: nil, json: output.json) { try metrics.record(.offsiteSync, room: nil, skip: dryRun) {
            try checkRoot(allowRoot: allowRoot, command: "sync-offsite")
            try runReportingErrors {
                let env = environment
                let targetText = target ?? env["SENTIENT_OFFSITE_TARGET"]!
                var request = OffsiteSyncRequest(source: sourceDir, target: OffsiteTarget(targetText))
                request.dryRun = dryRun
                request.delete = delete
                request.allowMassDelete = allowMassDelete
                request.bandwidthLimit = bwlimit ?? env["SENTIENT_OFFSITE_BWLIMIT"].flatMap { Int($0) }
                request.sshKey = sshKey ?? env["SENTIENT_OFFSITE_SSH_KEY"].flatMap { $0.isEmpty ? nil : $0 }
                request.sshPort = sshPort
                request.sshOptions = sshOptions
                request.includes = include
                request.excludes = exclude
                let recipients = encryptTo.isEmpty && recipientsFile == nil ? env["SENTIENT_OFFSITE_ENCRYPT_TO"].map { [$0] } ?? [] : encryptTo
                request.encryptTo = try ArchiveRecipients.resolve(recipients, file: recipientsFile)
                // SENTIENT_SIGN_KEY also names the backups' key: it signs offsite copies only when they are encrypted.
                request.signKey = KeyFile.resolve(flag: signKey, flagName: "--sign-key", setting: request.encryptTo.isEmpty ? nil : env["SENTIENT_SIGN_KEY"],
                                                  key: "SENTIENT_SIGN_KEY", settings: nil)
                if let warning = request.signKey.flatMap(ArchiveSignature.permissionWarning) {
                    FileHandle.standardError.write(Data("sentient-snap: warning: \(warning)\n".utf8))
                }
                request.s3Endpoint = s3.endpoint
                request.s3Region = s3.region
                request.s3PartSizeMiB = partSize
                HookContext.shared.archive = nil
                let result = try OffsiteSync.run(request)
                MetricsContext.shared.values = result.metricValues
                HookContext.shared.message = "\(dryRun ? "would copy" : "copied") \(result.transferred.count) file(s) to \(result.target)"
                if output.json {
                    print(try jsonString(result))
                } else if !output.quiet {
                    var lines: [String] = []
                    let copyVerb = dryRun ? "would copy" : "copied"
                    for name in result.encrypted ?? [] { lines.append("  \(dryRun ? "would encrypt" : "encrypted") \(name)") }
                    for name in result.signed ?? [] { lines.append("  \(dryRun ? "would sign" : "signed") \(name)") }
                    for name in result.transferred { lines.append("  \(copyVerb) \(name)") }
                    for name in result.deleted { lines.append("  \(dryRun ? "would delete" : "deleted") \(name)") }
                    lines.append("\(dryRun ? "Dry run: " : "")\(copyVerb) \(result.transferred.count) file(s), \(dryRun ? "would delete" : "deleted") \(result.deleted.count) on \(result.target)"
                        + (result.verified.isEmpty ? "" : "; \(result.verified.count) archive(s) checked against their sidecars")
                        + String(format: " (%.1f s)", result.duration_seconds))
                    print(lines.joined(separator: "\n"))
                }
            }
        } }
    }
}
