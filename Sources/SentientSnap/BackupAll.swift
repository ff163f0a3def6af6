import Foundation

/// The rooms a host backs up: one `<room>.env` file each in the env dir.
///
/// The same directory holds other env files (the README puts `offsite.env` there), so a file is a
/// room's only when its name is `<room>.env` with a valid room name other than `offsite`, and it
/// sets at least one room setting: a `SENTIENT_PG_*` or `SENTIENT_*_PORT` key, or
/// `SENTIENT_HOST`, `SENTIENT_ROOMS_DIR`, `SENTIENT_CONTAINER`, `SENTIENT_MAINTENANCE_DB`,
/// `SENTIENT_MQTT_*` (the keys of README "Settings"). A file that cannot be read counts as a
/// room, so its failure is reported rather than the room silently left out.
public enum RoomDirectory {
    /// An env file in the env dir that is not a room's, and why.
    public struct Skipped: Codable, Sendable, Equatable {
        public var file: String
        public var reason: String
    }

    /// Names that are never rooms: the offsite sync's settings.
    public static let reservedNames: Set<String> = ["offsite"]

    /// True when `key` is one of a room's settings.
    public static func isRoomKey(_ key: String) -> Bool {
        if key.hasPrefix("SENTIENT_OFFSITE_") { return false }
        if key.hasPrefix("SENTIENT_PG_") || key.hasPrefix("SENTIENT_MQTT_") { return true }
        if key.hasPrefix("SENTIENT_") && key.hasSuffix("_PORT") { return true }
        return ["SENTIENT_HOST", "SENTIENT_ROOMS_DIR", "SENTIENT_CONTAINER", "SENTIENT_MAINTENANCE_DB"].contains(key)
    }

    /// The rooms with an env file in `envDir`, sorted, and the `<name>.env` files that are not
    /// rooms (`offsite.env`, files setting no room key), each with the reason. Files whose name
    /// is not a valid room name (`backup.env.bak`, `.hidden.env`) are ignored.
    /// - Throws: `SnapError(.inputNotFound)` when the directory does not exist.
    public static func scan(envDir: String) throws -> (rooms: [String], skipped: [Skipped]) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: envDir, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SnapError(.inputNotFound, "the env directory \(envDir) does not exist: name the directory holding <room>.env files with --env-dir")
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: envDir)) ?? []).sorted()
        var rooms: [String] = []
        var skipped: [Skipped] = []
        for name in names where name.hasSuffix(".env") {
            let room = String(name.dropLast(4))
            guard (try? RoomSettings.validateRoomName(room)) != nil else { continue }
            if reservedNames.contains(room) {
                skipped.append(Skipped(file: name, reason: "the offsite sync's settings, not a room"))
                continue
            }
            let path = (envDir as NSString).appendingPathComponent(name)
            if let file = try? EnvFile(path: path), !file.values.keys.contains(where: isRoomKey) {
                skipped.append(Skipped(file: name, reason: "sets no room setting (SENTIENT_PG_*, SENTIENT_*_PORT, SENTIENT_HOST, SENTIENT_ROOMS_DIR, ...)"))
                continue
            }
            rooms.append(room)
        }
        return (rooms, skipped)
    }
}

/// Runs `body` for each item on up to `parallel` threads, in order of `items`; returns the
/// results in the same order.
public func runBounded<T: Sendable, R: Sendable>(_ items: [T], parallel: Int, _ body: @escaping @Sendable (T) -> R) -> [R] {
    let state = Locked((results: [R?](repeating: nil, count: items.count), next: 0))
    let group = DispatchGroup()
    for _ in 0..<max(1, min(parallel, items.count)) {
        group.enter()
        Thread.detachNewThread {
            defer { group.leave() }
            while true {
                let index: Int = state.withLock { state in
                    defer { state.next += 1 }
                    return state.next
                }
                guard index < items.count else { return }
                let result = body(items[index])
                state.withLock { $0.results[index] = result }
            }
        }
    }
    group.wait()
    return state.withLock { $0.results }.map { $0! }
}
