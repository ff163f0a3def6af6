import Foundation
import PGWire

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

extension RoomLock {
    /// The locks a restore holds to its end, so that it never interleaves with a backup or
    /// another restore of the room: the room lock in the archive's directory (where that room's
    /// backups are written: the file a backup there takes), then, with a database to restore, a
    /// PostgreSQL advisory lock on the live database's name (a restore from an archive elsewhere).
    /// A directory where no lock file can be made (read-only media) draws a warning instead.
    static func forRestore(
        room: String, archive: String, database: (Connection, String)?, warn: (String) -> Void
    ) throws -> RoomLock? {
        let directory = (archive as NSString).deletingLastPathComponent
        let place = directory.isEmpty ? "." : directory
        var lock: RoomLock?
        do {
            lock = try RoomLock(room: room, directory: place) {
                warn("a backup or restore of \(room) using \(place) is running; waiting for it to finish")
            }
        } catch let error as SnapError {
            warn("\(error.message): a backup of \(room) into \(place) is not held off during this restore")
        }
        if let (maintenance, live) = database {
            try DatabaseSwap.lockDatabase(maintenance, live: live) {
                warn("another restore of \(room) (database \(live)) is running; waiting for it to finish")
            }
        }
        return lock
    }
}
