import SentientSnap

/// mqtt/retained.json from an archive. What decodes must encode and decode to the same snapshot.
let retainedJSONTarget = FuzzTarget(name: "retained-json", maxLen: 16 << 10) { bytes in
    guard let snapshot = try? RetainedSnapshot.decode(bytes) else { return }
    let again = try! RetainedSnapshot.decode(try! snapshot.encodedJSON())
    precondition(again == snapshot, "retained.json does not survive encoding and decoding")
}
