import Foundation

/// The rooms a host backs up: one `<room>.env` file each in the env dir.
public enum RoomDirectory {
    /// Room names with an env file in `envDir`, sorted. Files whose name is not a valid room
    /// name (`backup.env.bak`, `.hidden.env`) are skipped.
    /// - Throws: `SnapError(.inputNotFound)` when the directory does not exist.
    public static func rooms(envDir: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: envDir, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SnapError(.inputNotFound, "the env directory \(envDir) does not exist: name the directory holding <room>.env files with --env-dir")
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: envDir)) ?? []
        return names.compactMap { name -> String? in
            guard name.hasSuffix(".env") else { return nil }
            let room = String(name.dropLast(4))
            return (try? RoomSettings.validateRoomName(room)) != nil ? room : nil
        }.sorted()
    }
}

/// Runs `body` for each item on up to `parallel` threads, in order of `items`; returns the
/// results in the same order.
public func runBounded<T, R>(_ items: [T], parallel: Int, _ body: @escaping (T) -> R) -> [R] {
    nonisolated(unsafe) var results = [R?](repeating: nil, count: items.count)
    let lock = NSLock()
    nonisolated(unsafe) var next = 0
    let group = DispatchGroup()
    for _ in 0..<max(1, min(parallel, items.count)) {
        group.enter()
        Thread.detachNewThread {
            defer { group.leave() }
            while true {
                let index: Int = lock.withLock {
                    defer { next += 1 }
                    return next
                }
                guard index < items.count else { return }
                let result = body(items[index])
                lock.withLock { results[index] = result }
            }
        }
    }
    group.wait()
    return results.map { $0! }
}
