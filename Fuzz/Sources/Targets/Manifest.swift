import SentientSnap

/// manifest.json, ours and the old scripts' (one type reads both). What decodes must encode and
/// decode to the same manifest.
let manifestTarget = FuzzTarget(name: "manifest", maxLen: 16 << 10) { bytes in
    guard let manifest = try? Manifest.decode(bytes) else { return }
    let again = try! Manifest.decode(try! manifest.encoded())
    precondition(again == manifest, "manifest.json does not survive encoding and decoding")
}
