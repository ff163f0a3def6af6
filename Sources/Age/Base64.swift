/// Unpadded standard base64 as age's header uses it; decoding is strict: no padding, no
/// whitespace, and the unused low bits of the last character must be zero (canonical).
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let reverse: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    static func encode<C: Collection>(_ data: C) -> [UInt8] where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity((data.count * 4 + 2) / 3)
        var it = data.makeIterator()
        while let a = it.next() {
            let b = it.next(), c = it.next()
            out.append(alphabet[Int(a >> 2)])
            out.append(alphabet[Int((a & 3) << 4 | (b ?? 0) >> 4)])
            if let b { out.append(alphabet[Int((b & 15) << 2 | (c ?? 0) >> 6)]) }
            if b != nil, let c { out.append(alphabet[Int(c & 63)]) }
        }
        return out
    }

    /// Nil unless `text` is the canonical unpadded encoding of some bytes.
    static func decode<C: Collection>(_ text: C) -> [UInt8]? where C.Element == UInt8 {
        let chars = Array(text)
        guard chars.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count * 3 / 4)
        var acc: UInt32 = 0, bits = 0
        for c in chars {
            let v = reverse[Int(c)]
            guard v >= 0 else { return nil }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        // Leftover bits (2 or 4) must be zero for the encoding to be canonical.
        guard acc & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }
}
