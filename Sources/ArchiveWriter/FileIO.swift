// The system calls of this module, each turning errno into an ArchiveError in one place.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

enum Sys {
    private static func errnoText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// Maps a failed write's errno: a full disk or quota is `.diskFull`, the rest `.io`.
    static func writeError(_ code: Int32, path: String, offset: Int64) -> ArchiveError {
        if code == ENOSPC || code == EDQUOT {
            return ArchiveError(
                .diskFull,
                "no space left on the device while writing \(path) (\(offset) bytes written) — free space on that filesystem or write the archive elsewhere",
                path: path, offset: offset)
        }
        return ArchiveError(.io, "cannot write \(path): \(errnoText(code))", path: path, offset: offset)
    }

    /// Creates a new file for writing, mode 0600; fails if it exists. Wraps `open(2)` with
    /// O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC.
    static func createExclusive(_ path: String) throws -> Int32 {
        while true {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(0o600))
            if fd >= 0 { return fd }
            let e = errno
            if e == EINTR { continue }
            if e == EEXIST {
                throw ArchiveError(.io, "cannot create \(path): the file already exists — remove it or choose another name", path: path)
            }
            if e == ENOSPC || e == EDQUOT {
                throw writeError(e, path: path, offset: 0)
            }
            throw ArchiveError(.io, "cannot create \(path): \(errnoText(e)) — check that the directory exists and is writable", path: path)
        }
    }

    /// Opens an existing file read-only. Wraps `open(2)` with O_RDONLY|O_CLOEXEC.
    static func openReadOnly(_ path: String) throws -> Int32 {
        while true {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 { return fd }
            let e = errno
            if e == EINTR { continue }
            throw ArchiveError(.io, "cannot open \(path): \(errnoText(e))", path: path)
        }
    }

    /// Writes all of `bytes` at the current file position. Wraps `write(2)`.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String, offset: Int64) throws {
        guard var base = bytes.baseAddress else { return }
        var left = bytes.count
        var written: Int64 = 0
        while left > 0 {
            let n = write(fd, base, left)
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                throw writeError(e, path: path, offset: offset + written)
            }
            if n == 0 { throw writeError(ENOSPC, path: path, offset: offset + written) }
            base += n
            left -= n
            written += Int64(n)
        }
    }

    /// Writes all of `bytes` at `offset` without moving the file position. Wraps `pwrite(2)`.
    static func pwriteAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64, path: String) throws {
        guard var base = bytes.baseAddress else { return }
        var left = bytes.count
        var position = offset
        while left > 0 {
            let n = pwrite(fd, base, left, off_t(position))
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                throw writeError(e, path: path, offset: position)
            }
            if n == 0 { throw writeError(ENOSPC, path: path, offset: position) }
            base += n
            left -= n
            position += Int64(n)
        }
    }

    /// Reads up to `buffer.count` bytes; 0 at end of file. Wraps `read(2)`.
    static func readSome(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws -> Int {
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            let e = errno
            if e == EINTR { continue }
            throw ArchiveError(.io, "cannot read \(path): \(errnoText(e))", path: path)
        }
    }

    /// Flushes the file to stable storage. Wraps `fsync(2)`.
    static func sync(_ fd: Int32, path: String) throws {
        while true {
            if fsync(fd) == 0 { return }
            let e = errno
            if e == EINTR { continue }
            throw writeError(e, path: path, offset: 0)
        }
    }

    /// Closes a descriptor, reporting a deferred write error. Wraps `close(2)`.
    static func closeChecked(_ fd: Int32, path: String) throws {
        if close(fd) != 0 {
            let e = errno
            if e != EINTR { throw writeError(e, path: path, offset: 0) }
        }
    }

    /// Closes a descriptor, ignoring errors (cleanup after another error).
    static func closeQuietly(_ fd: Int32) {
        _ = close(fd)
    }

    /// True if `fd` is a regular file. Wraps `fstat(2)`.
    static func isRegularFile(_ fd: Int32) -> Bool {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return false }
        return (st.st_mode & S_IFMT) == S_IFREG
    }
}
