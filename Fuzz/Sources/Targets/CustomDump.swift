import PGDump
@testable import SentientSnap

/// The custom-format reader: header, TOC (and its validation), data blocks, compressed blocks,
/// large objects; once walked as `verify` does, once skipping every block as restore does.
let customDumpTarget = FuzzTarget(name: "custom-dump", maxLen: 64 << 10) { bytes in
    _ = try? ArchiveInspector.checkDump(CustomArchiveDecoder(source: byteSource(bytes)))
    let decoder = CustomArchiveDecoder(source: byteSource(bytes))
    do {
        _ = try decoder.readHeader()
        _ = try decoder.readTOC()
        while let block = try decoder.nextBlock() { try decoder.skipBlock(isBlobs: block.isBlobs) }
    } catch {}
}
