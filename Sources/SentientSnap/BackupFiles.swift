import Foundation

/// A finished backup's file name, `sentient-<room>-YYYYMMDD-HHMMSS.tar.gz` (or `.tar.gz.age`), parsed.
///
/// The timestamp is local time, as `backup` (and the old `backup-room.sh`, `date +%Y%m%d-%H%M%S`)
/// wrote it. Retention works on these calendar fields directly, so daylight-saving changes
/// never move a backup into another day.
public struct BackupFileName: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var fileName: String
    public var room: String
    /// `YYYYMMDD-HHMMSS`.
    public var stamp: String
    public var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
    /// The stamp read in the local time zone.
    public var date: Date

    public var description: String { fileName }
    /// Encrypted with age (`.tar.gz.age`).
    public var isEncrypted: Bool { fileName.hasSuffix(".age") }
    /// The `.sha256` sidecar's name.
    public var sidecarName: String { fileName + ".sha256" }

    /// How far ahead of now a name's timestamp may be (clock skew, a time-zone change) before it
    /// counts as dated in the future.
    public static let futureTolerance: TimeInterval = 86400

    /// Dated more than `futureTolerance` ahead of `now`: written while the clock was wrong. Such
    /// an archive is never deleted by prune and never taken as a room's newest or freshest
    /// backup (it would stay "newest" for years and make retention delete every real backup).
    public func isFutureDated(now: Date) -> Bool { date.timeIntervalSince(now) > Self.futureTolerance }

    /// Oldest first; the room breaks ties.
    public static func < (a: BackupFileName, b: BackupFileName) -> Bool {
        (a.stamp, a.room) < (b.stamp, b.room)
    }

    /// Parses a file name; nil for anything that is not exactly a finished backup's name
    /// (sidecars, hidden `.partial` files, other files, impossible dates).
    public static func parse(_ fileName: String, timeZone: TimeZone = .current) -> BackupFileName? {
        // `.tar.gz.age`: the same archive encrypted with age (`backup --encrypt-to`).
        let suffix = fileName.hasSuffix(".tar.gz.age") ? ".tar.gz.age" : ".tar.gz"
        guard fileName.hasPrefix("sentient-"), fileName.hasSuffix(suffix) else { return nil }
        let core = Array(fileName.dropFirst("sentient-".count).dropLast(suffix.count).utf8)
        // <room>-YYYYMMDD-HHMMSS: the stamp is the last 15 bytes, the room what precedes its dash.
        guard core.count >= 17, core[core.count - 16] == UInt8(ascii: "-"), core[core.count - 7] == UInt8(ascii: "-") else { return nil }
        let digits = Array(core[(core.count - 15)...])
        let room = String(decoding: core[..<(core.count - 16)], as: UTF8.self)
        guard (try? RoomSettings.validateRoomName(room)) != nil else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in digits[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
              let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15)
        else { return nil }
        var calendar = Self.localCalendar
        if calendar.timeZone != timeZone { calendar.timeZone = timeZone }
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60,
              let date = calendar.date(from: components)
        else { return nil }
        // Reject dates the calendar rolled over (Feb 30 -> Mar 2). Checked on a UTC calendar so a
        // local time skipped by a DST change still counts as a valid name.
        let utc = Self.utcCalendar
        guard let check = utc.date(from: components),
              utc.dateComponents([.year, .month, .day], from: check) == DateComponents(year: year, month: month, day: day)
        else { return nil }
        return BackupFileName(
            fileName: fileName, room: room, stamp: String(decoding: digits, as: UTF8.self),
            year: year, month: month, day: day, hour: hour, minute: minute, second: second, date: date)
    }

    /// The name `backup` gives a partial file of this backup: `.sentient-...tar.gz.partial`.
    static func parsePartial(_ fileName: String) -> BackupFileName? {
        guard fileName.hasPrefix("."), fileName.hasSuffix(".partial") else { return nil }
        return parse(String(fileName.dropFirst().dropLast(".partial".count)))
    }

    // MARK: - Calendar buckets (local calendar fields, no time zone arithmetic)

    // Calendars are built once: building one (and its time zone) reads tzdata from disk.
    private static let localCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone.current
        return calendar
    }()

    private static let utcCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    private static let isoCalendar: Calendar = {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// `2024-01-15`.
    public var dayKey: String { String(format: "%04d-%02d-%02d", year, month, day) }
    /// `2024-01`.
    public var monthKey: String { String(format: "%04d-%02d", year, month) }
    /// ISO 8601 week, `2025-W01` (weeks start on Monday; week 1 holds the year's first Thursday).
    public var weekKey: String {
        let calendar = Self.isoCalendar
        let noon = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: 12))!
        let parts = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: noon)
        return String(format: "%04d-W%02d", parts.yearForWeekOfYear!, parts.weekOfYear!)
    }
}

/// A backup file found in a directory.
public struct BackupFile: Sendable {
    public var name: BackupFileName
    public var path: String
    public var size: Int64
    public var hasSidecar: Bool
    /// `<archive>.sig` is there (not checked: `verify` does that).
    public var hasSignature = false
}

/// Finding backups in a directory.
public enum BackupDirectory {
    /// The finished backups in `directory` (regular files with a backup's name), optionally of
    /// one room, newest first.
    /// - Throws: `SnapError(.inputNotFound)` when the directory does not exist or cannot be read.
    public static func scan(_ directory: String, room: String? = nil) throws -> [BackupFile] {
        let names = try entries(directory)
        let present = Set(names)
        var files: [BackupFile] = []
        for entry in names {
            guard let name = BackupFileName.parse(entry), room == nil || name.room == room else { continue }
            let path = (directory as NSString).appendingPathComponent(entry)
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            files.append(BackupFile(
                name: name, path: path, size: Int64(info.st_size), hasSidecar: present.contains(name.sidecarName),
                hasSignature: present.contains(name.fileName + ArchiveSignature.suffix)))
        }
        return files.sorted { $1.name < $0.name }
    }

    /// The names in `directory`.
    static func entries(_ directory: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SnapError(.inputNotFound, "the backup directory \(directory) does not exist")
        }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw SnapError(.inputNotFound, "cannot read the backup directory \(directory): \(error.localizedDescription)", underlying: error)
        }
    }
}

/// Durations as operators write them: `90s`, `30m`, `36h`, `7d`, `2w`, or combined (`1d12h`).
public enum DurationText {
    /// - Throws: `SnapError(.usage)` naming the text and the accepted forms.
    public static func seconds(_ text: String) throws -> TimeInterval {
        let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800]
        var total: TimeInterval = 0
        var number = ""
        var sawUnit = false
        for character in text.trimmingCharacters(in: .whitespaces).lowercased() {
            if character.isASCII && character.isNumber {
                number.append(character)
            } else if let unit = units[character], let value = Double(number) {
                total += value * unit
                number = ""
                sawUnit = true
            } else {
                throw SnapError(.usage, "'\(text)' is not a duration: use a number with s, m, h, d or w (for example 36h, 7d, 2w)")
            }
        }
        guard number.isEmpty, sawUnit else {
            throw SnapError(.usage, "'\(text)' is not a duration: use a number with s, m, h, d or w (for example 36h, 7d, 2w)")
        }
        return total
    }

    /// `3d 4h`, `5h 2m`, `40s`: an age for people.
    public static func describe(_ seconds: TimeInterval) -> String {
        let s = Int(max(0, seconds))
        if s >= 86400 { return "\(s / 86400)d \((s % 86400) / 3600)h" }
        if s >= 3600 { return "\(s / 3600)h \((s % 3600) / 60)m" }
        if s >= 60 { return "\(s / 60)m" }
        return "\(s)s"
    }
}
