import Foundation

/// The package's root directory (where Package.swift is).
public let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            return url.path
        }
    }
    fatalError("Package.swift not found above \(#filePath)")
}()

/// A file under `Fixtures/`.
public func fixturePath(_ relative: String) -> String {
    packageRoot + "/Fixtures/" + relative
}

/// The path of an executable built with the tests (`sentient-snap`, `snap-probe`): it sits
/// beside the test bundle, which is this process's executable. `SENTIENT_SNAP_BIN_DIR`
/// overrides the directory.
public func productPath(_ name: String) throws -> String {
    let dir: String
    if let override = ProcessInfo.processInfo.environment["SENTIENT_SNAP_BIN_DIR"], !override.isEmpty {
        dir = override
    } else {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe)
        // Walk up out of a bundle directory (…/xyz.xctest/…) if there is one.
        while url.path != "/" && !FileManager.default.isExecutableFile(atPath: url.deletingLastPathComponent().appendingPathComponent(name).path) {
            url.deleteLastPathComponent()
        }
        dir = url.deletingLastPathComponent().path
    }
    let path = dir + "/" + name
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw HarnessError("the built product \(name) was not found in \(dir): run `swift build` first (or set SENTIENT_SNAP_BIN_DIR)")
    }
    return path
}
