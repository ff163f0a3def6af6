// Extraction of a subtree into a new directory that never resolves a path through a link.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Creates archive entries below a new directory, in any order, without ever resolving a path
/// through a symbolic link: every component is opened relative to its parent's descriptor with
/// `O_NOFOLLOW | O_DIRECTORY`, files are created with `O_EXCL | O_NOFOLLOW`, and an entry whose
/// parent path runs through a link (or a file) this extractor created is refused. Checking link
/// targets "on paper" is not enough: `s -> .` makes `s/s/l` a sibling of `s`, not its grandchild.
///
/// Everything is created owner-only (0700 / 0600); `finish()` then applies the recorded modes
/// and times (files first, then directories deepest first, through descriptors) and fsyncs every
/// file and directory, so the tree can be checked (`walk`) while it is still fully readable.
public final class SafeExtractor {
    /// What an entry of the extracted tree is.
    public enum Kind: Equatable, Sendable {
        case directory
        case file
        case symlink(target: String)
    }

    /// One item found on disk by `walk`.
    public struct Item: Equatable, Sendable {
        public enum Kind: Equatable, Sendable {
            case directory
            case file(size: Int64)
            case symlink(target: String)
            /// A socket, FIFO or device: never created here.
            case other
        }

        /// Relative to the root, '/'-separated.
        public var path: String
        public var kind: Kind
    }

    public let root: String
    private var rootFD: Int32
    /// Every path created below the root ("a/b"), including directories made for parents.
    private var created: [String: Kind] = [:]
    /// Mode and mtime per file or directory, from the archive ("" is the root).
    private var attributes: [String: (mode: UInt32, mtime: Int64)] = [:]

    /// Creates `root` (mode 0700; it must not exist).
    /// - Throws: `.io` (`.diskFull`) if it cannot be created or opened.
    public init(creating root: String) throws {
        self.root = root
        guard mkdir(root, 0o700) == 0 else {
            throw Self.error(errno, "cannot create \(root)", path: root)
        }
        rootFD = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard rootFD >= 0 else {
            let code = errno
            rmdir(root)
            throw Self.error(code, "cannot open \(root)", path: root)
        }
    }

    deinit {
        if rootFD >= 0 { close(rootFD) }
    }

    // MARK: - Entries

    /// The components of an entry name: empty and "." components dropped.
    /// - Throws: `.unsafePath` for a ".." component or a NUL byte.
    public static func components(_ name: String) throws -> [String] {
        if name.utf8.contains(0) {
            throw ArchiveError(.unsafePath, "archive entry name \"\(name)\" contains a NUL byte", path: name)
        }
        let parts = name.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." }
        if parts.contains("..") {
            throw ArchiveError(.unsafePath, "archive entry name \"\(name)\" contains a \"..\" component", path: name)
        }
        return parts
    }

    /// A directory entry ("" or "." is the root itself). A directory may be named again, or
    /// after entries below it; anything else in its place is refused.
    public func directory(_ name: String, mode: UInt32, mtime: Int64) throws {
        let parts = try Self.components(name)
        try checkParents(parts, name: name)
        let key = parts.joined(separator: "/")
        if !parts.isEmpty {
            switch created[key] {
            case .directory?:
                break
            case .some:
                throw duplicate(name)
            case nil:
                let parent = try openDirectory(parts.dropLast(), create: true, name: name)
                defer { close(parent) }
                guard mkdirat(parent, parts.last!, 0o700) == 0 else {
                    throw Self.error(errno, "cannot create \(root)/\(key)", path: name)
                }
                created[key] = .directory
            }
        }
        attributes[key] = (mode & 0o777, mtime)
    }

    /// A symbolic link, created as it is (its target is never followed here).
    public func symlink(_ name: String, target: String) throws {
        let parts = try Self.components(name)
        guard let last = parts.last else { throw duplicate(name) }
        try checkParents(parts, name: name)
        let key = parts.joined(separator: "/")
        if created[key] != nil { throw duplicate(name) }
        guard !target.isEmpty, !target.utf8.contains(0) else {
            throw ArchiveError(.unsafePath, "link \(name): its target is empty or contains a NUL byte", path: name)
        }
        let parent = try openDirectory(parts.dropLast(), create: true, name: name)
        defer { close(parent) }
        guard symlinkat(target, parent, last) == 0 else {
            throw Self.error(errno, "cannot create the link \(root)/\(key)", path: name)
        }
        created[key] = .symlink(target: target)
    }

    /// A regular file with the bytes `source` yields (until it returns 0). Returns its size.
    @discardableResult
    public func file(
        _ name: String, mode: UInt32, mtime: Int64, source: (UnsafeMutableRawBufferPointer) throws -> Int
    ) throws -> Int64 {
        let parts = try Self.components(name)
        guard let last = parts.last else { throw duplicate(name) }
        try checkParents(parts, name: name)
        let key = parts.joined(separator: "/")
        if created[key] != nil { throw duplicate(name) }
        let parent = try openDirectory(parts.dropLast(), create: true, name: name)
        defer { close(parent) }
        let fd = openat(parent, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Self.error(errno, "cannot create \(root)/\(key)", path: name) }
        defer { close(fd) }
        created[key] = .file
        attributes[key] = (mode & 0o777, mtime)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        var size: Int64 = 0
        while true {
            let n = try source(buffer)
            if n == 0 { break }
            try Sys.writeAll(fd, UnsafeRawBufferPointer(rebasing: buffer[0..<n]), path: "\(root)/\(key)", offset: size)
            size += Int64(n)
        }
        return size
    }

    /// Applies the recorded modes and times and fsyncs every file and directory, the root last.
    public func finish() throws {
        for (key, kind) in created where kind == .file {
            let parts = key.split(separator: "/").map(String.init)
            let parent = try openDirectory(parts.dropLast(), create: false, name: key)
            defer { close(parent) }
            let fd = openat(parent, parts.last!, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { throw Self.error(errno, "cannot open \(root)/\(key)", path: key) }
            defer { close(fd) }
            try settle(fd, attributes[key], path: key)
        }
        // Deepest first: a read-only directory must not refuse what still goes below it.
        let directories = created.filter { $0.value == .directory }.map(\.key)
            .sorted { $0.split(separator: "/").count > $1.split(separator: "/").count } + [""]
        for key in directories {
            let parts = key.split(separator: "/").map(String.init)
            let fd = try openDirectory(parts[...], create: false, name: key)
            defer { close(fd) }
            try settle(fd, attributes[key] ?? (0o700, -1), path: key)
        }
    }

    private func settle(_ fd: Int32, _ attribute: (mode: UInt32, mtime: Int64)?, path: String) throws {
        if let attribute {
            fchmod(fd, mode_t(attribute.mode))
            if attribute.mtime >= 0 {
                var times = [timespec(tv_sec: Int(attribute.mtime), tv_nsec: 0), timespec(tv_sec: Int(attribute.mtime), tv_nsec: 0)]
                futimens(fd, &times)
            }
        }
        guard fsync(fd) == 0 else { throw Self.error(errno, "cannot fsync \(root)/\(path)", path: path) }
    }

    // MARK: - Reading the tree back

    /// Lists everything below the root without following links, calling `file` with a read-only
    /// descriptor of each regular file (opened with O_NOFOLLOW, closed afterwards).
    public func walk(file: (String, Int32) throws -> Void) throws -> [Item] {
        var items: [Item] = []
        func visit(_ fd: Int32, _ prefix: String) throws {
            for name in try Self.names(fd) {
                let path = prefix.isEmpty ? name : prefix + "/" + name
                var info = stat()
                guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                    throw Self.error(errno, "cannot read \(root)/\(path)", path: path)
                }
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    items.append(Item(path: path, kind: .directory))
                    let child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    guard child >= 0 else { throw Self.error(errno, "cannot open \(root)/\(path)", path: path) }
                    defer { close(child) }
                    try visit(child, path)
                case S_IFREG:
                    items.append(Item(path: path, kind: .file(size: Int64(info.st_size))))
                    let child = openat(fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
                    guard child >= 0 else { throw Self.error(errno, "cannot open \(root)/\(path)", path: path) }
                    defer { close(child) }
                    try file(path, child)
                case S_IFLNK:
                    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                    let n = readlinkat(fd, name, &buffer, buffer.count - 1)
                    guard n >= 0 else { throw Self.error(errno, "cannot read the link \(root)/\(path)", path: path) }
                    let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    items.append(Item(path: path, kind: .symlink(target: target)))
                default:
                    items.append(Item(path: path, kind: .other))
                }
            }
        }
        try visit(rootFD, "")
        return items.sorted { $0.path < $1.path }
    }

    /// The names in a directory (not "." and ".."), read through a duplicate of `fd`.
    private static func names(_ fd: Int32) throws -> [String] {
        let copy = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard copy >= 0, let dir = fdopendir(copy) else {
            let code = errno
            throw error(code, "cannot list a directory", path: nil)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    // MARK: - Removing

    /// Removes the tree at `path` without following any link in it (a link at `path` itself is
    /// removed, not followed). Directories are made writable first so read-only ones can be
    /// emptied. Best effort: what cannot be removed stays.
    public static func removeTree(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 {
            unlink(path)
            return
        }
        fchmod(fd, 0o700)
        empty(fd)
        close(fd)
        rmdir(path)
    }

    private static func empty(_ fd: Int32) {
        for name in (try? names(fd)) ?? [] {
            var info = stat()
            guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFDIR {
                let child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if child >= 0 {
                    fchmod(child, 0o700)
                    empty(child)
                    close(child)
                }
                unlinkat(fd, name, AT_REMOVEDIR)
            } else {
                unlinkat(fd, name, 0)
            }
        }
    }

    /// Removes the whole extracted tree (on failure, or when it is not wanted after all).
    public func remove() {
        if rootFD >= 0 {
            close(rootFD)
            rootFD = -1
        }
        Self.removeTree(root)
    }

    /// fsyncs a directory (after renames in it). Best effort.
    public static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    // MARK: - Helpers

    /// Refuses an entry below a link or a file this extractor created.
    private func checkParents(_ parts: [String], name: String) throws {
        guard parts.count > 1 else { return }
        for end in 1..<parts.count {
            let prefix = parts[0..<end].joined(separator: "/")
            switch created[prefix] {
            case .symlink(let target)?:
                throw ArchiveError(
                    .unsafePath,
                    "entry \(name) lies below the link \(prefix) (-> \(target)); entries are never extracted through links",
                    path: name)
            case .file?:
                throw ArchiveError(.unsafePath, "entry \(name) lies below the file \(prefix)", path: name)
            case .directory?, nil:
                continue
            }
        }
    }

    /// Opens the directory `parts` below the root, one component at a time with O_NOFOLLOW,
    /// creating missing ones (0700) when asked. The caller closes the descriptor.
    private func openDirectory(_ parts: ArraySlice<String>, create: Bool, name: String) throws -> Int32 {
        var fd = openat(rootFD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Self.error(errno, "cannot open \(root)", path: name) }
        var walked: [String] = []
        for part in parts {
            walked.append(part)
            var next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && errno == ENOENT && create {
                if mkdirat(fd, part, 0o700) != 0 && errno != EEXIST {
                    let code = errno
                    close(fd)
                    throw Self.error(code, "cannot create \(root)/\(walked.joined(separator: "/"))", path: name)
                }
                let key = walked.joined(separator: "/")
                if created[key] == nil { created[key] = .directory }
                next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            let code = errno
            close(fd)
            guard next >= 0 else {
                if code == ELOOP || code == ENOTDIR {
                    throw ArchiveError(
                        .unsafePath, "entry \(name) lies below \(walked.joined(separator: "/")), which is not a directory (a link or a file)",
                        path: name)
                }
                throw Self.error(code, "cannot open \(root)/\(walked.joined(separator: "/"))", path: name)
            }
            fd = next
        }
        return fd
    }

    private func duplicate(_ name: String) -> ArchiveError {
        ArchiveError(.unsafePath, "entry \(name) appears twice in the archive (or names the extraction root)", path: name)
    }

    private static func error(_ code: Int32, _ what: String, path: String?) -> ArchiveError {
        if code == ENOSPC || code == EDQUOT {
            return ArchiveError(.diskFull, "\(what): no space left on the device", path: path)
        }
        return ArchiveError(.io, "\(what): \(String(cString: strerror(code)))", path: path)
    }
}
