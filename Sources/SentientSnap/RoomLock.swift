import Foundation

/// `.sentient-<room>.lock` in an output directory, held with `flock(LOCK_EX)` for the length of
/// one backup, so two backups of a room into one directory run one after the other instead of
/// racing for the same archive name.
///
/// The file is removed on release. That is safe with flock only because a taker checks, after
/// locking, that the path still names the inode it locked (else someone released and removed it
/// meanwhile, and it tries again on the new file). The signal handler removes it too (it is
/// registered with `PartialFiles`).
final class RoomLock {
    let path: String
    private var fd: Int32

    /// Takes the lock, calling `waiting` once if another process holds it, then blocking.
    /// - Throws: `SnapError(.outputNotCreatable)` when the lock file cannot be created.
    init(room: String, directory: String, waiting: () -> Void) throws {
        path = (directory as NSString).appendingPathComponent(".sentient-\(room).lock")
        var toldWaiting = false
        while true {
            let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                throw SnapError(.outputNotCreatable, "cannot create the lock file \(path): \(String(cString: strerror(errno)))")
            }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                if !toldWaiting {
                    toldWaiting = true
                    waiting()
                }
                while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
            }
            var held = stat(), named = stat()
            if fstat(fd, &held) == 0, stat(path, &named) == 0, held.st_ino == named.st_ino, held.st_dev == named.st_dev {
                self.fd = fd
                PartialFiles.shared.register(path)
                return
            }
            close(fd)
        }
    }

    /// Removes the file, then unlocks. Idempotent.
    func release() {
        guard fd >= 0 else { return }
        PartialFiles.shared.unregister(path)
        unlink(path)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
