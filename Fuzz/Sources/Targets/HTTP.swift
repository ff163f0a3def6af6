@testable import RoomWires

/// The HTTP/1.1 response parser of `/ready` and the Docker API: status line, headers, chunked
/// bodies; and the chunked decoder on the bare input.
let httpTarget = FuzzTarget(name: "http", maxLen: 64 << 10) { bytes in
    _ = try? MiniHTTP.parseResponse(bytes)
    _ = try? MiniHTTP.dechunk(bytes)
}
