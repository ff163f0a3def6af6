import Foundation
@testable import SentientSnap

/// `verify` without a server: ArchiveInspector.inspect on the input as a file (manifest, file
/// list, links, dump structure). Input: a .tar.gz, or a bare tar stream (see `asGzip`).
let verifyTarget = FuzzTarget(name: "verify", maxLen: 64 << 10) { bytes in
    let path = InputFile.write(asGzip(bytes), name: "sentient-room-20240101-000000.tar.gz")
    _ = try? ArchiveInspector.inspect(path)
}
