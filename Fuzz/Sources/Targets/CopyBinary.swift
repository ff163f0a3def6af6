@testable import PGDump

/// COPY text from an archive, as the restore converts it to binary COPY. The first byte picks
/// the column types (a byte each, after it); the rest is the text. What converts must be well
/// formed binary tuples: one per line before a `\.` line, each with a field per column, each
/// length within the tuple, and nothing written past the buffer (ASan).
let copyBinaryTarget = FuzzTarget(name: "copy-binary", maxLen: 16 << 10) { bytes in
    guard let count = bytes.first.map({ Int($0 % 8) + 1 }), bytes.count > count else { return }
    let all: [CopyBinaryEncoder.Kind] = [.bool, .int2, .int4, .int8, .text, .jsonb, .date, .timestamp, .timestamptz, .uuid, .bytea]
    let kinds = bytes[1...count].map { all[Int($0) % all.count] }
    let text = Array(bytes[(count + 1)...])
    var out = ByteBuffer(capacity: 1)
    let ok = text.withUnsafeBytes { CopyBinaryEncoder(kinds: kinds)!.encode($0, into: &out) }
    guard ok else {
        precondition(out.count == 0, "a declined piece left bytes behind")
        return
    }
    var rows = 0
    for line in text.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast() {
        if Array(line) == [0x5C, 0x2E] { break }
        rows += 1
    }
    let binary = Array(out.bytes)
    var at = 0
    func read(_ n: Int) -> Int {
        precondition(at + n <= binary.count, "a tuple runs past the output")
        defer { at += n }
        return binary[at..<(at + n)].reduce(0) { $0 << 8 | Int($1) }
    }
    for _ in 0..<rows {
        precondition(read(2) == kinds.count, "a tuple with the wrong field count")
        for _ in kinds {
            let length = read(4)
            if length != 0xFFFF_FFFF { at += length }
            precondition(at <= binary.count, "a field runs past the output")
        }
    }
    precondition(at == binary.count, "bytes after the last tuple")
}
