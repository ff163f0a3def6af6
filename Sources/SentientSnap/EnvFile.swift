import Foundation

/// A parsed `KEY=VALUE` env file (the file the room's systemd unit also reads).
///
/// Parsed, never executed: `$(...)`, backticks and `;` are plain characters in values.
public struct EnvFile: Sendable {
    public let path: String
    public private(set) var values: [String: String] = [:]
    /// Lines that could not be understood, as "line N: reason".
    public private(set) var problems: [String] = []
    /// The file's permission bits.
    public let mode: UInt32

    /// Reads and parses `path`.
    /// - Throws: `SnapError(.inputNotFound)` if it cannot be read.
    public init(path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw SnapError(.inputNotFound, "cannot read the env file \(path): \(String(cString: strerror(errno)))")
        }
        let mode = UInt32(info.st_mode) & 0o7777
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SnapError(.inputNotFound, "cannot read the env file \(path): permission denied or not a file")
        }
        self.init(path: path, text: String(decoding: data, as: UTF8.self), mode: mode)
    }

    public init(path: String, text: String, mode: UInt32 = 0o600) {
        self.path = path
        self.mode = mode
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "=") else {
                problems.append("line \(index + 1): no '=' (expected KEY=VALUE)")
                continue
            }
            let key = String(line[..<equals]).trimmingCharacters(in: .whitespaces)
            guard key.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil else {
                problems.append("line \(index + 1): '\(key)' is not a valid key name")
                continue
            }
            let rawValue = String(line[line.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
            guard let value = EnvFile.unquote(rawValue) else {
                problems.append("line \(index + 1): unterminated quote in the value of \(key)")
                continue
            }
            values[key] = value
        }
    }

    /// Removes one level of single or double quotes; double quotes honour \" \\ \$ \` escapes.
    static func unquote(_ raw: String) -> String? {
        guard let first = raw.first, first == "\"" || first == "'" else { return raw }
        guard raw.count >= 2, raw.last == first else { return nil }
        let inner = raw.dropFirst().dropLast()
        if first == "'" { return String(inner) }
        var out = ""
        var escaping = false
        for ch in inner {
            if escaping {
                if !"\"\\$`".contains(ch) { out.append("\\") }
                out.append(ch)
                escaping = false
            } else if ch == "\\" {
                escaping = true
            } else {
                out.append(ch)
            }
        }
        if escaping { out.append("\\") }
        return out
    }

    public subscript(key: String) -> String? { values[key] }
}
