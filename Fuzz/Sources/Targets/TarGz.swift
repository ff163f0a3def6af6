import ArchiveWriter
import Foundation

/// The gzip member reader and the tar reader together: every entry's header (pax records, GNU
/// long names, sizes, checksums) and body, then the gzip trailers. Input: a .tar.gz, or a bare
/// tar stream (see `asGzip`).
let tarGzTarget = FuzzTarget(name: "tar-gz", maxLen: 64 << 10) { bytes in
    let path = InputFile.write(asGzip(bytes), name: "archive.tar.gz")
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
    defer { buffer.deallocate() }
    do {
        let reader = try TarGzReader(path: path)
        var index = 0
        while let entry = try reader.next() {
            _ = try? SafeExtractor.components(entry.metadata.name)
            // Every other body is read; the others are skipped by next().
            if index % 2 == 0 {
                if entry.size <= 1 << 20 {
                    _ = try reader.readAll(limit: 1 << 20)
                } else {
                    while try reader.read(into: buffer) > 0 {}
                }
            }
            index += 1
        }
        try reader.finishVerification()
    } catch {}
}
