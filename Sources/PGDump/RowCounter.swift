import Foundation

/// Counts COPY text rows: lines up to the `\.` end marker.
public struct RowCounter: Sendable {
    public private(set) var lines: Int64 = 0
    private var tail: [UInt8] = []

    public init() {}

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard var cursor = bytes.baseAddress else { return }
        let end = cursor + bytes.count
        while cursor < end, let hit = memchr(cursor, 0x0A, end - cursor) {
            lines += 1
            cursor = UnsafeRawPointer(hit) + 1
        }
        tail.append(contentsOf: bytes.suffix(8))
        if tail.count > 8 { tail.removeFirst(tail.count - 8) }
    }

    /// Lines the end marker and the blank lines after it take (0 when there is no marker).
    /// The marker counts only at the start of a line (a value may end in an escaped "\\.").
    public var markerLines: Int64 {
        let text = String(decoding: tail, as: UTF8.self)
        if text.hasSuffix("\n\\.\n\n\n") || text == "\\.\n\n\n" { return 3 }
        if text.hasSuffix("\n\\.\n") || text == "\\.\n" { return 1 }
        return 0
    }

    /// Whether the data ends with a line break.
    public var endsWithNewline: Bool { tail.last == 0x0A }

    /// Lines minus the end marker and the blank lines after it.
    public var rows: Int64 { lines - markerLines }
}
