import Foundation
import Synchronization

/// A progress line on stderr that rewrites itself, at most ten times a second.
final class ProgressLine: Sendable {
    private let enabled: Bool
    private let state = Mutex<(last: Date, shown: Bool)>((Date.distantPast, false))

    init(enabled: Bool) { self.enabled = enabled }

    /// `text` is built only when the line is shown (the backup reports every COPY chunk).
    func update(_ text: @autoclosure () -> String) {
        guard enabled else { return }
        state.withLock { state in
            let now = Date()
            guard now.timeIntervalSince(state.last) >= 0.1 else { return }
            state.last = now
            FileHandle.standardError.write(Data("\r\u{1B}[K\(text())".utf8))
            state.shown = true
        }
    }

    func clear() {
        guard enabled else { return }
        state.withLock { state in
            if state.shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            state.shown = false
        }
    }
}

func formatBytes(_ bytes: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}

func formatCount(_ count: Int64) -> String {
    let formatter = NumberFormatter()
    formatter.numberStyle = .decimal
    formatter.groupingSeparator = ","
    formatter.usesGroupingSeparator = true
    return formatter.string(from: NSNumber(value: count)) ?? String(count)
}

func jsonString<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
