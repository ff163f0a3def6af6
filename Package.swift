// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "sentient-snap",
    platforms: [.macOS(.v15)],  // Synchronization (Mutex, Atomic)
    products: [
        .executable(name: "sentient-snap", targets: ["sentient-snap"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // MARK: - C libraries (only PGWire sees libpq, only Compression sees zlib and ISA-L)
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),

        .systemLibrary(
            name: "CISAL",
            pkgConfig: "libisal",
            providers: [.apt(["libisal-dev"]), .brew(["isa-l"])]
        ),

        // MARK: - Libraries
        .target(name: "PGWire", dependencies: ["CLibPQ"]),
        /// zlib deflate/inflate and CRC-32, for the archive's gzip and pg_dump's compressed blocks;
        /// ISA-L's inflate for reading archives, the restore's hot path.
        .target(name: "Compression", dependencies: ["CZlib", "CISAL"]),
        .target(name: "ArchiveWriter", dependencies: ["Compression"]),
        .target(
            name: "PGDump",
            dependencies: ["PGWire", "Compression"]
        ),
        /// age (age-encryption.org/v1) X25519 encryption and decryption, streamed. No SentientSnap types.
        .target(name: "Age", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        /// The room's other wires: MQTT 3.1.1, HTTP/1.1 (TCP and unix socket), the Docker Engine API.
        /// No SQL, no archives.
        .target(name: "RoomWires"),
        /// OpenSSH signatures (SSHSIG, `ssh-keygen -Y sign/verify`), keys and allowed_signers,
        /// on swift-crypto's Ed25519 and SHA-512. Knows nothing of archives.
        .target(name: "SSHSig", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        /// An S3 client of our own (SigV4 over URLSession): no AWS SDK for Swift resolves here.
        .target(name: "S3", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "SentientSnap",
            dependencies: [
                "PGWire", "Compression", "ArchiveWriter", "PGDump", "RoomWires", "SSHSig", "Age", "S3",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),

        // MARK: - Executables
        .executableTarget(
            name: "sentient-snap",
            dependencies: [
                "SentientSnap",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        /// Development probe: runs one memory-bounded workload so tests can read its peak RSS.
        .executableTarget(name: "snap-probe", dependencies: ["PGWire", "ArchiveWriter", "Age"]),

        // MARK: - Tests
        .target(name: "TestHarness", dependencies: ["PGWire", "PGDump"], path: "Tests/TestHarness"),
        .testTarget(name: "PGWireTests", dependencies: ["PGWire", "TestHarness"]),
        /// Peak RSS of the streaming paths, measured in a child process (snap-probe).
        .testTarget(name: "MemoryTests", dependencies: ["PGWire", "ArchiveWriter", "TestHarness"]),
        .testTarget(name: "ArchiveWriterTests", dependencies: ["ArchiveWriter", "Compression", "TestHarness"]),
        .testTarget(name: "SSHSigTests", dependencies: ["SSHSig", "TestHarness"]),
        /// The age testkit vectors (Fixtures/age-testkit) and round trips against /usr/bin/age.
        .testTarget(name: "AgeTests", dependencies: ["Age", "Compression", "TestHarness"]),
        .testTarget(name: "PGDumpTests", dependencies: ["PGDump", "PGWire", "TestHarness"]),
        .testTarget(
            name: "SentientSnapTests",
            dependencies: ["SentientSnap", "RoomWires", "PGWire", "PGDump", "ArchiveWriter", "Compression", "SSHSig", "Age", "S3", "TestHarness"]
        ),
        /// SigV4 against AWS's published vectors (Fixtures/sigv4), the XML reader, the ETag rules.
        .testTarget(name: "S3Tests", dependencies: ["S3", "TestHarness"]),
        /// HelpSnapshots/ is read from the source tree by path, not bundled.
        .testTarget(name: "CLITests", dependencies: ["PGWire", "TestHarness"], exclude: ["HelpSnapshots"]),
    ],
    swiftLanguageModes: [.v6]
)

// `make fuzz` (scripts/fuzz.sh) sets SENTIENT_FUZZ=1: one libFuzzer executable over every library
// under Sources/ (a new module needs no line here). Without it the package is as above.
if Context.environment["SENTIENT_FUZZ"] == "1" {
    let libraries = package.targets.filter { $0.type == .regular && $0.path == nil }.map { Target.Dependency.target(name: $0.name) }
    package.targets.append(.executableTarget(name: "sentient-fuzz", dependencies: libraries, path: "Fuzz/Sources"))
}
