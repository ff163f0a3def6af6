import ArchiveWriter
import Crypto
import Foundation

/// The config half of a restore, in two steps. `prepare` (before the staging restore, while the
/// room runs) extracts the archive's `config/` into the sibling temp dir `.<room>.restore-<ts>`
/// with `SafeExtractor`, checks the extracted tree against the manifest (each file's size and
/// SHA-256, each link, nothing extra) and fsyncs it. `commit` (inside the swap window) only
/// renames: the current dir aside to `<room>.pre-restore.<ts>`, the new one in, then fsyncs
/// the parent. Until `commit`, `discard` removes the temp dir and nothing has changed.
final class ConfigSwap {
    let configDir: String
    let temp: String
    private let parent: String
    private let room: String
    private let stamp: String
    private var done = false
    /// Directories made for the parent (a new rooms dir), removed again by `discard`.
    private var madeParents: [String] = []
    /// The one pass's extractor (`begin`), filled as the archive is read; `complete` checks it.
    private(set) var extractor: SafeExtractor?

    /// How many pre-restore config dirs are kept (the newest; see `prune`).
    static let keep = 3

    static func tempPath(configDir: String, stamp: String) -> String {
        let parent = (configDir as NSString).deletingLastPathComponent
        return (parent as NSString).appendingPathComponent(".\((configDir as NSString).lastPathComponent).restore-\(stamp)")
    }

    private init(configDir: String, stamp: String) {
        self.configDir = configDir
        self.stamp = stamp
        parent = (configDir as NSString).deletingLastPathComponent
        room = (configDir as NSString).lastPathComponent
        temp = Self.tempPath(configDir: configDir, stamp: stamp)
    }

    /// Extracts and checks the archive's config. Reads entries in any order, stopping once every
    /// entry verify saw under `config/` has been written (ours put them first, so the dump is
    /// not inflated again).
    /// - Throws: `SnapError(.damagedArchive)` when the archive is unsafe or the extracted tree
    ///   differs from the manifest; `.ioFailure` when it cannot be written. The temp dir is
    ///   removed and nothing was changed.
    static func prepare(archive: String, inspection: ArchiveInspection, configDir: String, stamp: String) throws -> ConfigSwap {
        let swap = ConfigSwap(configDir: configDir, stamp: stamp)
        try swap.makeParent()
        let temp = swap.temp
        do {
            let extractor = try SafeExtractor(creating: temp)
            do {
                try swap.extract(archive: archive, inspection: inspection, into: extractor)
                try swap.check(extractor, expected: expectedTree(inspection), archive: archive)
                try extractor.finish()
            } catch {
                extractor.remove()
                throw error
            }
        } catch let error as ArchiveError {
            swap.discard()
            throw Self.classify(error, archive: archive, temp: temp)
        } catch {
            swap.discard()
            throw error
        }
        return swap
    }

    /// The one pass's half of `prepare`: the temp dir and its extractor, which the archive's
    /// config entries fill as the restore reads it (`RestoreStream`); `complete` then checks the
    /// tree. `discard` removes it on any failure.
    static func begin(configDir: String, stamp: String) throws -> ConfigSwap {
        let swap = ConfigSwap(configDir: configDir, stamp: stamp)
        try swap.makeParent()
        do {
            try swap.extracting("") { swap.extractor = try SafeExtractor(creating: swap.temp) }
        } catch {
            swap.discard()
            throw error
        }
        return swap
    }

    /// Checks the tree `begin`'s extractor holds against what the archive was verified to hold,
    /// and fsyncs it.
    func complete(inspection: ArchiveInspection, archive: String) throws {
        guard let extractor else { return }
        try extracting(archive) {
            try check(extractor, expected: Self.expectedTree(inspection), archive: archive)
            try extractor.finish()
        }
    }

    /// Runs an extraction step; its ArchiveError becomes the restore's (I/O or damage).
    func extracting(_ archive: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ArchiveError {
            throw Self.classify(error, archive: archive, temp: temp)
        }
    }

    private static func classify(_ error: ArchiveError, archive: String, temp: String) -> SnapError {
        switch error.code {
        case .io, .diskFull, .usage:
            return SnapError(.ioFailure, "cannot extract the config into \(temp): \(error.message); nothing was changed")
        case .truncated, .corrupt, .unsafePath, .tooLarge, .unsupported:
            return SnapError(.damagedArchive, "\(archive): \(error.message); refusing the archive (nothing was changed)")
        }
    }

    /// Makes the parent (noting what it made, for `discard`), clears an old temp dir, and has
    /// SIGINT/SIGTERM remove the temp dir.
    private func makeParent() throws {
        var missing = parent
        while !missing.isEmpty, missing != "/", !FileManager.default.fileExists(atPath: missing) {
            madeParents.append(missing)
            missing = (missing as NSString).deletingLastPathComponent
        }
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        SafeExtractor.removeTree(temp)
        let temp = temp
        PartialFiles.shared.registerAction("config-temp") {
            SafeExtractor.removeTree(temp)
            return "the extracted config \(temp) was removed"
        }
    }

    /// What the extracted tree must hold: for archives of ours, the manifest's config files and
    /// (when recorded) links; verify has checked that the archive holds exactly those. For the
    /// old scripts' archives, what verify read.
    static func expectedTree(_ inspection: ArchiveInspection) -> ConfigTree {
        var tree = inspection.configTree
        guard !inspection.isLegacy, let manifest = inspection.manifest else { return tree }
        tree.files = [:]
        for file in manifest.files ?? [] where file.path.hasPrefix(ArchiveLayout.configPrefix) {
            tree.files[String(file.path.dropFirst(7))] = .init(size: file.size, sha256: file.sha256)
        }
        if let links = manifest.links {
            tree.links = [:]
            for link in links where link.path.hasPrefix(ArchiveLayout.configPrefix) {
                tree.links[String(link.path.dropFirst(7))] = link.target
            }
        }
        return tree
    }

    private func extract(archive: String, inspection: ArchiveInspection, into extractor: SafeExtractor) throws {
        let tree = inspection.configTree
        var pending = Set(tree.files.keys).union(tree.links.keys).union(tree.directories)
        var configBytes: Int64 = 0
        let reader = try ArchiveFile.reader(archive, keys: inspection.keys).reader
        while !pending.isEmpty, let entry = try reader.next() {
            let parts = try SafeExtractor.components(entry.metadata.name)
            guard parts.count >= 2, parts[0] == inspection.topDirectory, parts[1] == ArchiveLayout.configDirectory else { continue }
            let relative = parts.dropFirst(2).joined(separator: "/")
            let name = ArchiveLayout.configPrefix + relative
            switch entry.metadata.kind {
            case .directory:
                try extractor.directory(relative, mode: entry.metadata.mode, mtime: entry.metadata.mtime)
            case .symlink(let target):
                try ArchiveInspector.checkLink(name: name, target: target, archive: archive)
                try extractor.symlink(relative, target: target)
            case .file:
                try ConfigLimits.add(name: name, size: entry.size, to: &configBytes, archive: archive)
                try extractor.file(relative, mode: entry.metadata.mode, mtime: entry.metadata.mtime) { try reader.read(into: $0) }
            case .hardlink, .other:
                throw SnapError(.damagedArchive, "\(archive): entry \(entry.metadata.name) is not a file, directory or link; nothing was changed")
            }
            pending.remove(relative)
        }
    }

    /// Reads the extracted tree back (links not followed) and compares it with `expected`.
    private func check(_ extractor: SafeExtractor, expected: ConfigTree, archive: String) throws {
        var differences: [String] = []
        var digests: [String: ConfigTree.File] = [:]
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        let items = try extractor.walk { path, fd in
            var hasher = SHA256()
            var size: Int64 = 0
            while true {
                let n = read(fd, buffer.baseAddress, buffer.count)
                if n < 0 && errno == EINTR { continue }
                guard n >= 0 else { throw SnapError(.ioFailure, "cannot read back \(temp)/\(path): \(String(cString: strerror(errno))); nothing was changed") }
                if n == 0 { break }
                hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                size += Int64(n)
            }
            digests[path] = .init(size: size, sha256: BackupJob.hex(hasher.finalize()))
        }
        let directories = expected.allPaths.subtracting(expected.files.keys).subtracting(expected.links.keys).subtracting([""])
        var seen = Set<String>()
        for item in items {
            seen.insert(item.path)
            let name = ArchiveLayout.configPrefix + item.path
            switch item.kind {
            case .file:
                if let want = expected.files[item.path] {
                    let got = digests[item.path]
                    if got?.size != want.size {
                        differences.append("\(name) has \(got?.size ?? -1) bytes, manifest.json says \(want.size)")
                    } else if got?.sha256 != want.sha256 {
                        differences.append("\(name) does not match its SHA-256 in manifest.json")
                    }
                } else {
                    differences.append("\(name) was extracted but manifest.json does not list it")
                }
            case .symlink(let target):
                if let want = expected.links[item.path] {
                    if want != target { differences.append("link \(name) points to \(target), manifest.json records \(want)") }
                } else {
                    differences.append("link \(name) was extracted but is not recorded")
                }
            case .directory:
                if !directories.contains(item.path) { differences.append("directory \(name) was extracted but the archive has nothing there") }
            case .other:
                differences.append("\(name) is a special file")
            }
        }
        for path in expected.allPaths.subtracting([""]).subtracting(seen).sorted() {
            differences.append("config/\(path) is missing from the extracted config")
        }
        guard differences.isEmpty else {
            let shown = differences.prefix(10).map { "  - \($0)" }.joined(separator: "\n")
            let more = differences.count > 10 ? "\n  - ... and \(differences.count - 10) more" : ""
            throw SnapError(.damagedArchive, "\(archive): the config extracted into \(temp) differs from what the archive was verified to hold (did the file change during the restore?):\n\(shown)\(more)\nRefusing the archive; nothing was changed")
        }
    }

    /// Renames the current config dir aside and the new one in, fsyncs the parent, and keeps
    /// the newest pre-restore dirs. Returns the aside path (nil when there was none) and warnings.
    func commit(now: Date) throws -> (previous: String?, warnings: [String]) {
        var previous: String?
        var info = stat()
        if lstat(configDir, &info) == 0 {
            let aside = "\(configDir).pre-restore.\(stamp)"
            guard rename(configDir, aside) == 0 else {
                throw SnapError(.ioFailure, "cannot move \(configDir) aside: \(String(cString: strerror(errno)))")
            }
            previous = aside
        }
        guard rename(temp, configDir) == 0 else {
            let reason = String(cString: strerror(errno))
            if let previous { rename(previous, configDir) }
            throw SnapError(.ioFailure, "cannot move the restored config into \(configDir): \(reason)")
        }
        done = true
        PartialFiles.shared.unregisterAction("config-temp")
        SafeExtractor.syncDirectory(parent)
        let warnings = Self.prune(parent: parent, room: room, keep: previous.map { ($0 as NSString).lastPathComponent }, now: now)
        return (previous, warnings)
    }

    /// Removes the temp dir unless it was committed.
    func discard() {
        guard !done else { return }
        done = true
        SafeExtractor.removeTree(temp)
        for made in madeParents { rmdir(made) }
        PartialFiles.shared.unregisterAction("config-temp")
    }

    /// Keeps the `keep` newest `<room>.pre-restore.<ts>` dirs (and `keep` itself). One dated more
    /// than a day after `now` (a clock jump) is never removed and never counts among the newest;
    /// names that are not such a stamp are left alone.
    static func prune(parent: String, room: String, keep current: String?, now: Date) -> [String] {
        let prefix = "\(room).pre-restore."
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd_HHmmss"
        var warnings: [String] = []
        var dated: [(name: String, date: Date)] = []
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []) where name.hasPrefix(prefix) {
            let stamp = String(name.dropFirst(prefix.count))
            guard let date = formatter.date(from: stamp), formatter.string(from: date) == stamp else { continue }
            if date.timeIntervalSince(now) > 86_400 {
                warnings.append("\((parent as NSString).appendingPathComponent(name)) is dated more than a day in the future (a clock jump?): it is kept and not counted among the \(keep) newest pre-restore copies; remove it by hand once it is not needed")
                continue
            }
            dated.append((name, date))
        }
        let newest = dated.sorted { $0.date > $1.date }
        for entry in newest.dropFirst(keep) where entry.name != current {
            SafeExtractor.removeTree((parent as NSString).appendingPathComponent(entry.name))
        }
        return warnings
    }
}
