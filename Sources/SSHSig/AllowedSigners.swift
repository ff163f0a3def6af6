import Foundation

/// An `allowed_signers` file, as `ssh-keygen -Y verify -f FILE` reads it (ssh-keygen(1),
/// "ALLOWED SIGNERS"): one key per line, `principals [options] keytype base64 [comment]`.
///
/// Options honoured: `namespaces="pattern,..."`, `valid-after="time"`, `valid-before="time"`
/// (YYYYMMDD[HHMM[SS]], local time unless it ends in Z). `cert-authority` lines are read but
/// never match: certificates are not supported, and a CA key's own signature is not accepted
/// by ssh-keygen either. Lines with keys of other known types (RSA, ECDSA, security keys) are
/// skipped and named in `skipped`; anything malformed refuses the whole file.
public struct AllowedSigners: Sendable {
    public struct Entry: Sendable {
        /// 1-based line number in the file.
        public var line: Int
        /// The principals field split at commas (patterns, as ssh-keygen matches `-I`).
        public var principals: [String]
        public var key: SSHPublicKey
        public var certAuthority = false
        /// The `namespaces=` pattern list; nil allows every namespace.
        public var namespaces: String?
        public var validAfter: Date?
        public var validBefore: Date?
    }

    public private(set) var entries: [Entry] = []
    /// Lines that were skipped, with the reason ("line 3: ssh-rsa key: only Ed25519 keys ...").
    public private(set) var skipped: [String] = []

    /// Key types OpenSSH knows: a line with one of these is skipped, not refused.
    static let otherKeyTypes: Set<String> = [
        "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
        "sk-ecdsa-sha2-nistp256@openssh.com", "sk-ssh-ed25519@openssh.com", "ssh-xmss@openssh.com",
        "ssh-rsa-cert-v01@openssh.com", "ssh-dss-cert-v01@openssh.com", "ssh-ed25519-cert-v01@openssh.com",
        "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
        "ecdsa-sha2-nistp521-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
        "sk-ssh-ed25519-cert-v01@openssh.com", "ssh-xmss-cert-v01@openssh.com",
    ]

    /// Parses a file's content.
    /// - Parameter timeZone: the zone of `valid-after`/`valid-before` times without a Z.
    /// - Throws: `SignatureError(.malformedAllowedSigners)` naming the first bad line.
    public init(fileContent bytes: some Collection<UInt8>, timeZone: TimeZone = .current) throws {
        let text = String(decoding: bytes, as: UTF8.self)
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            do {
                switch try Self.parseLine(Substring(rawLine), number: number, timeZone: timeZone) {
                case .blank: continue
                case .entry(let entry): entries.append(entry)
                case .skipped(let reason): skipped.append("line \(number): \(reason)")
                }
            } catch let error as LineError {
                throw SignatureError(.malformedAllowedSigners, "line \(number): \(error.reason)")
            }
        }
    }

    /// The entry that trusts `key` for `namespace` at `date` (ssh-keygen's checks: the key
    /// itself, not a CA; the namespace within `namespaces=`; `date` within the validity).
    /// - Throws: `SignatureError(.notTrusted)` saying, for each line that lists the key, why it
    ///   did not count.
    public func trusting(_ key: SSHPublicKey, namespace: String, at date: Date = Date()) throws -> Entry {
        var reasons: [String] = []
        for entry in entries where entry.key == key {
            if entry.certAuthority {
                reasons.append("line \(entry.line) lists it as a cert-authority, which trusts certificates it signs, not its own signatures (certificates are not supported)")
                continue
            }
            if let namespaces = entry.namespaces, Self.matchPatternList(namespace, namespaces) != 1 {
                reasons.append("line \(entry.line) allows it only for namespaces \"\(namespaces)\", not \(namespace)")
                continue
            }
            if let after = entry.validAfter, date < after {
                reasons.append("line \(entry.line) makes it valid only after \(Self.format(after))")
                continue
            }
            if let before = entry.validBefore, date > before {
                reasons.append("line \(entry.line) made it valid only until \(Self.format(before))")
                continue
            }
            return entry
        }
        let why = reasons.isEmpty ? "it is not listed" : reasons.joined(separator: "; ")
        throw SignatureError(.notTrusted, "the signature was made by \(key), which is not trusted: \(why)")
    }

    // MARK: - Lines

    enum Line {
        case blank
        case entry(Entry)
        case skipped(String)
    }

    struct LineError: Error {
        var reason: String
    }

    static func parseLine(_ line: Substring, number: Int, timeZone: TimeZone) throws -> Line {
        var rest = line.drop(while: { $0 == " " || $0 == "\t" })
        if rest.hasSuffix("\r") { rest = rest.dropLast() }
        if rest.isEmpty || rest.first == "#" { return .blank }
        // Principals: one word, or a double-quoted string.
        let principals: Substring
        if rest.first == "\"" {
            let inner = rest.dropFirst()
            guard let close = inner.firstIndex(of: "\"") else { throw LineError(reason: "the quoted principals have no closing quote") }
            principals = inner[..<close]
            rest = inner[inner.index(after: close)...]
        } else {
            let end = rest.firstIndex(where: { $0 == " " || $0 == "\t" }) ?? rest.endIndex
            principals = rest[..<end]
            rest = rest[end...]
        }
        rest = rest.drop(while: { $0 == " " || $0 == "\t" })
        guard !principals.isEmpty, !rest.isEmpty else { throw LineError(reason: "expected 'principals [options] ssh-ed25519 AAAA...'") }
        // Options come before the key when the next word is not a key type.
        var options: Substring = ""
        if !isKeyType(firstWord(rest)) {
            let end = try optionsEnd(rest)
            options = rest[..<end]
            rest = rest[end...].drop(while: { $0 == " " || $0 == "\t" })
            guard !rest.isEmpty else { throw LineError(reason: "no key after the options") }
        }
        let type = firstWord(rest)
        rest = rest.dropFirst(type.count).drop(while: { $0 == " " || $0 == "\t" })
        let base64 = firstWord(rest)
        guard !base64.isEmpty else { throw LineError(reason: "the \(type) key has no base64 text") }
        var entry = Entry(line: number, principals: principals.split(separator: ",").map(String.init), key: SSHPublicKey(raw: []))
        try parseOptions(options, into: &entry, timeZone: timeZone)
        guard type == SSHPublicKey.ed25519 else {
            guard otherKeyTypes.contains(String(type)) else { throw LineError(reason: "'\(type.prefix(64))' is not a key type") }
            return .skipped("\(type) key skipped: only Ed25519 keys (ssh-ed25519) are supported")
        }
        do {
            entry.key = try SSHPublicKey(type: String(type), base64: String(base64))
        } catch let error as SignatureError {
            throw LineError(reason: error.message)
        }
        return .entry(entry)
    }

    static func firstWord(_ text: Substring) -> Substring {
        text[..<(text.firstIndex(where: { $0 == " " || $0 == "\t" }) ?? text.endIndex)]
    }

    static func isKeyType(_ word: Substring) -> Bool {
        word == SSHPublicKey.ed25519 || otherKeyTypes.contains(String(word))
    }

    /// Where the options field ends: at the first blank outside double quotes.
    static func optionsEnd(_ text: Substring) throws -> Substring.Index {
        var quoted = false
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            if c == "\\" && quoted, text.index(after: index) < text.endIndex, text[text.index(after: index)] == "\"" {
                index = text.index(index, offsetBy: 2)
                continue
            }
            if c == "\"" { quoted.toggle() }
            if !quoted && (c == " " || c == "\t") { return index }
            index = text.index(after: index)
        }
        if quoted { throw LineError(reason: "an option's quoted value has no closing quote") }
        return text.endIndex
    }

    /// `cert-authority`, `namespaces="..."`, `valid-after="..."`, `valid-before="..."`,
    /// comma-separated, names case-insensitive (as sshsigopt_parse reads them).
    static func parseOptions(_ options: Substring, into entry: inout Entry, timeZone: TimeZone) throws {
        var rest = options
        while !rest.isEmpty {
            let lower = rest.lowercased()
            if lower.hasPrefix("cert-authority") && (rest.count == 14 || rest.dropFirst(14).first == ",") {
                entry.certAuthority = true
                rest = rest.dropFirst(14)
            } else if let name = ["namespaces", "valid-after", "valid-before"].first(where: { lower.hasPrefix($0 + "=") }) {
                rest = rest.dropFirst(name.count + 1)
                let value = try dequote(&rest, option: name)
                switch name {
                case "namespaces":
                    guard entry.namespaces == nil else { throw LineError(reason: "more than one namespaces= option") }
                    entry.namespaces = value
                case "valid-after":
                    guard entry.validAfter == nil else { throw LineError(reason: "more than one valid-after= option") }
                    entry.validAfter = try time(value, option: name, timeZone: timeZone)
                default:
                    guard entry.validBefore == nil else { throw LineError(reason: "more than one valid-before= option") }
                    entry.validBefore = try time(value, option: name, timeZone: timeZone)
                }
            } else {
                throw LineError(reason: "unknown option '\(firstOption(rest).prefix(64))' (known: cert-authority, namespaces=, valid-after=, valid-before=)")
            }
            guard !rest.isEmpty else { break }
            guard rest.first == "," else { throw LineError(reason: "unknown option '\(firstOption(rest).prefix(64))'") }
            rest = rest.dropFirst()
            guard !rest.isEmpty else { throw LineError(reason: "the options end with a comma") }
        }
        if let after = entry.validAfter, let before = entry.validBefore, before <= after {
            throw LineError(reason: "valid-before is not after valid-after")
        }
    }

    static func firstOption(_ text: Substring) -> Substring { text[..<(text.firstIndex(of: ",") ?? text.endIndex)] }

    /// A double-quoted option value; `\"` stands for a quote.
    static func dequote(_ rest: inout Substring, option: String) throws -> String {
        guard rest.first == "\"" else { throw LineError(reason: "the value of \(option) must be in double quotes") }
        rest = rest.dropFirst()
        var value = ""
        while let c = rest.first {
            rest = rest.dropFirst()
            if c == "\"" { return value }
            if c == "\\", rest.first == "\"" {
                value.append("\"")
                rest = rest.dropFirst()
                continue
            }
            value.append(c)
        }
        throw LineError(reason: "the value of \(option) has no closing quote")
    }

    /// YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, in `timeZone` unless it ends in Z (UTC).
    static func time(_ text: String, option: String, timeZone: TimeZone) throws -> Date {
        var digits = text
        var zone = timeZone
        if digits.hasSuffix("Z") || digits.hasSuffix("z") {
            digits.removeLast()
            zone = TimeZone(identifier: "UTC")!
        }
        let numbers = Array(digits.utf8)
        guard [8, 12, 14].contains(numbers.count), numbers.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw LineError(reason: "\(option)=\"\(text.prefix(32))\" is not a time (YYYYMMDD[HHMM[SS]][Z])")
        }
        func field(_ range: Range<Int>) -> Int { numbers[range].reduce(0) { $0 * 10 + Int($1 - 0x30) } }
        let components = DateComponents(
            year: field(0..<4), month: field(4..<6), day: field(6..<8),
            hour: numbers.count >= 12 ? field(8..<10) : 0, minute: numbers.count >= 12 ? field(10..<12) : 0,
            second: numbers.count == 14 ? field(12..<14) : 0)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        guard (1...12).contains(components.month!), (1...31).contains(components.day!), components.hour! < 24,
              components.minute! < 60, components.second! < 60, let date = calendar.date(from: components),
              calendar.dateComponents([.year, .month, .day], from: date) == DateComponents(year: components.year, month: components.month, day: components.day)
        else {
            throw LineError(reason: "\(option)=\"\(text.prefix(32))\" is not a valid date")
        }
        return date
    }

    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: date)
    }

    // MARK: - Patterns (OpenSSH match.c)

    /// `*` and `?` glob.
    static func matchPattern(_ string: [UInt8], _ pattern: [UInt8]) -> Bool {
        var s = 0, p = 0
        var star = -1, mark = 0
        while s < string.count {
            if p < pattern.count && (pattern[p] == UInt8(ascii: "?") || pattern[p] == string[s]) {
                s += 1; p += 1
            } else if p < pattern.count && pattern[p] == UInt8(ascii: "*") {
                star = p; mark = s; p += 1
            } else if star >= 0 {
                p = star + 1; mark += 1; s = mark
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }

    /// 1 when a pattern of the comma-separated list matches and none negated (`!pattern`)
    /// does; -1 when a negated one matches; 0 otherwise.
    static func matchPatternList(_ string: String, _ list: String) -> Int {
        var positive = 0
        let subject = Array(string.utf8)
        for raw in list.split(separator: ",", omittingEmptySubsequences: false) {
            var pattern = Array(raw.utf8)
            let negated = pattern.first == UInt8(ascii: "!")
            if negated { pattern.removeFirst() }
            if matchPattern(subject, pattern) {
                if negated { return -1 }
                positive = 1
            }
        }
        return positive
    }
}
