import Foundation

/// What `sync-offsite` is doing, for progress: encrypting the offsite copies (`--encrypt-to`),
/// then sending files (rsync or S3 uploads).
public enum OffsitePhase: String, Sendable {
    case encrypt
    case send
}

/// A file a phase will move, with its size.
public struct OffsiteFile: Sendable, Equatable {
    public var name: String
    public var bytes: Int64

    public init(name: String, bytes: Int64) {
        self.name = name
        self.bytes = bytes
    }
}

/// What a sync tells while it runs (`OffsiteSyncRequest.events`).
public enum OffsiteEvent: Sendable, Equatable {
    /// The files a phase will move, known once the sync has looked: the outbox's index for the
    /// encryption, rsync's dry run or the store's listing for the sending.
    case planned(OffsitePhase, [OffsiteFile])
    /// `bytes` of `name` are done (encrypted, sent) in `phase`.
    case file(OffsitePhase, name: String, bytes: Int64)
}

/// Reads rsync's stdout with `--out-format=%i %n` and `--info=progress1` as it comes: the item
/// lines (kept for the result) and, for the file being sent, its bytes so far.
///
/// Why per-file progress and not `--info=progress2`: progress2's percentage is of every file in
/// the transfer list, the ones rsync skips as up to date included, so a sync that sends one new
/// archive beside fifty old ones ends at 2 % (measured with rsync 3.5: a 30 MB file sent beside
/// a 2 MB one already there ends at 93 %), and it never names the file. The total to send comes
/// from a dry run instead (`OffsiteSync.transferPlan`), and each file's bytes from its own
/// progress lines.
///
/// rsync writes the item line (`>f+++++++++ name`) when the file starts, then progress lines
/// separated by `\r` (`     21,200,896  66%   19.54MB/s    0:00:00`), the last one ending in
/// `(xfr#1, to-chk=2/4)` and a newline.
struct RsyncProgressReader {
    /// The item lines seen so far, newline-terminated, as `OffsiteSync.items` reads them.
    private(set) var itemText = ""
    private var pending: [UInt8] = []
    private var current: String?
    private let events: @Sendable (OffsiteEvent) -> Void

    init(events: @escaping @Sendable (OffsiteEvent) -> Void) {
        self.events = events
    }

    /// Takes the next piece of stdout; reports what complete segments say.
    mutating func feed(_ data: Data) {
        for byte in data {
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                segment(String(decoding: pending, as: UTF8.self))
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(byte)
            }
        }
    }

    /// stdout ended: a last segment without a newline counts too.
    mutating func finish() {
        if !pending.isEmpty { segment(String(decoding: pending, as: UTF8.self)) }
        pending.removeAll()
    }

    private mutating func segment(_ text: String) {
        guard !text.isEmpty else { return }
        if let bytes = Self.progressBytes(text) {
            if let current { events(.file(.send, name: current, bytes: bytes)) }
            return
        }
        itemText += text + "\n"
        // A regular file being sent: `<f` (to a remote) or `>f` (received locally), then the name.
        if text.count > 12, let first = text.first, first == "<" || first == ">", text.dropFirst().first == "f" {
            let name = String(text.dropFirst(12))
            current = name
            events(.file(.send, name: name, bytes: 0))
        }
    }

    /// The bytes of a progress line (`     21,200,896  66%   19.54MB/s    0:00:00 (xfr#1, to-chk=2/4)`),
    /// nil when the segment is not one. rsync groups digits with `,` (or the locale's `.`/`'`).
    static func progressBytes(_ text: String) -> Int64? {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 4, fields[1].hasSuffix("%"), Int(fields[1].dropLast()) != nil,
              fields[3].split(separator: ":").count == 3 else { return nil }
        let number = fields[0]
        guard let first = number.first, first.isNumber, number.allSatisfy({ $0.isNumber || ",.'".contains($0) }) else { return nil }
        return Int64(String(number.filter(\.isNumber)))
    }
}

extension OffsiteSync {
    /// The files a run of `request` would send and their sizes (from the source: it is local),
    /// from the items of an rsync dry run.
    static func transferPlan(_ items: [(item: String, name: String)], source: String) -> [OffsiteFile] {
        items.compactMap { item, name in
            guard item.count >= 2, item.first == "<" || item.first == ">", item.dropFirst().first == "f" else { return nil }
            var info = stat()
            let size = stat((source as NSString).appendingPathComponent(name), &info) == 0 ? Int64(info.st_size) : 0
            return OffsiteFile(name: name, bytes: size)
        }
    }

    /// Plans the sending for progress when the request asks for events: from the mass-delete
    /// preview's items when there was one, else from a dry run of its own (one listing of the
    /// target, the price of a total to plan by).
    static func planTransfer(_ request: OffsiteSyncRequest, rsync: String, preview: [(item: String, name: String)]?) throws {
        guard let events = request.events, !request.dryRun else { return }
        var items = preview
        if items == nil {
            var dry = request
            dry.dryRun = true
            let outcome = try ChildProcess.run(rsync, arguments(dry), environment: request.environment)
            guard outcome.status == 0 || outcome.status == 24 else { throw classify(outcome, request: request) }
            items = Self.items(outcome.stdout)
        }
        events(.planned(.send, transferPlan(items ?? [], source: request.source)))
    }
}

extension OffsiteS3Sync {
    /// The files an S3 sync will upload, for progress: those the store lacks or holds with
    /// another size (a same-size object is nearly always the same archive; one that is not is
    /// added to the plan when its upload starts).
    static func transferPlan(_ local: [String], remote: [String: Int64], source: String) -> [OffsiteFile] {
        local.compactMap { name in
            var info = stat()
            let size = stat((source as NSString).appendingPathComponent(name), &info) == 0 ? Int64(info.st_size) : 0
            return remote[name] == size ? nil : OffsiteFile(name: name, bytes: size)
        }
    }
}

extension ProgressPlans {
    /// `sync-offsite`'s steps before it has looked at anything: none; `apply(_: OffsiteEvent)`
    /// plans each phase when the sync knows it.
    public static func offsite() -> [ProgressStep] { [] }

    /// A phase's steps: one per file, each weighing its bytes. The encryption is followed by a
    /// placeholder for the sending, as heavy as what is encrypted now (each new copy is sent),
    /// until the sending is planned.
    static func offsite(_ phase: OffsitePhase, _ files: [OffsiteFile]) -> [ProgressStep] {
        var steps = files.map { ProgressStep(phase: phase.rawValue, name: $0.name, total: Double($0.bytes)) }
        if phase == .encrypt {
            steps.append(ProgressStep(phase: OffsitePhase.send.rawValue, total: 0, weight: files.reduce(0.0) { $0 + Double($1.bytes) }))
        }
        return steps
    }
}

extension ProgressModel {
    /// Feeds one `sync-offsite` event into the model.
    @discardableResult
    public mutating func apply(_ event: OffsiteEvent) -> Bool {
        switch event {
        case .planned(let phase, let files):
            replan(from: phase.rawValue, with: ProgressPlans.offsite(phase, files))
        case .file(let phase, let name, let bytes):
            // Not planned (an S3 object of the same size that differs): counted from now on.
            let index = self.index(phase: phase.rawValue, name: name) ?? insert(ProgressStep(phase: phase.rawValue, name: name, total: 0))
            update(index, done: Double(bytes))
        }
        return true
    }
}
