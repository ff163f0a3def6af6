import Foundation

// Every fuzz target in one libFuzzer executable (scripts/fuzz.sh builds it
// with -sanitize=fuzzer,address and runs it once per target). SENTIENT_FUZZ_TARGET picks the
// target; SENTIENT_FUZZ_LIST=1 prints "name max_len" per target and exits.

/// One fuzz target: a parser of bytes we did not write, run on one input.
struct FuzzTarget: Sendable {
    /// What SENTIENT_FUZZ_TARGET names; also Fixtures/fuzz-corpus/<name>/ and Fuzz/dict/<name>.dict.
    let name: String
    /// libFuzzer's -max_len for it.
    let maxLen: Int
    /// Runs the parser on one input. Errors are expected; a crash, a leak or a hang is a bug.
    let run: @Sendable ([UInt8]) -> Void
}

/// Every target. Adding one: a file in Fuzz/Sources/Targets/ that defines a `FuzzTarget`, and
/// its name in this list (seeds in Fixtures/fuzz-corpus/<name>/ and Fuzz/dict/<name>.dict are optional).
let allTargets: [FuzzTarget] = [
    tarGzTarget, verifyTarget, manifestTarget, customDumpTarget, plainSQLTarget, envFileTarget,
    mqttTarget, httpTarget, retainedJSONTarget, ageTarget, ageKeysTarget, sshsigTarget, s3XMLTarget, copyBinaryTarget,
]

nonisolated(unsafe) private var selected: FuzzTarget?

/// libFuzzer's driver (compiler-rt, linked by -sanitize=fuzzer): parses the libFuzzer flags in
/// argv and calls `callback` per input.
@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// The executable's entry point. SwiftPM links an executable's `main` to `<target>_main`, so
/// this calls libFuzzer's driver itself instead of using libFuzzer's `main`.
@_cdecl("sentient_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let environment = ProcessInfo.processInfo.environment
    if environment["SENTIENT_FUZZ_LIST"] == "1" {
        for target in allTargets { print("\(target.name) \(target.maxLen)") }
        return 0
    }
    let names = allTargets.map(\.name).joined(separator: " ")
    guard let name = environment["SENTIENT_FUZZ_TARGET"] else {
        FileHandle.standardError.write(Data("sentient-fuzz: set SENTIENT_FUZZ_TARGET to one of: \(names)\n".utf8))
        return 2
    }
    guard let target = allTargets.first(where: { $0.name == name }) else {
        FileHandle.standardError.write(Data("sentient-fuzz: no target \(name); the targets are: \(names)\n".utf8))
        return 2
    }
    selected = target
    var count = argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return withUnsafeMutablePointer(to: &arguments) { argvPointer in
        runDriver(&count, argvPointer) { data, size in
            let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
            selected!.run(bytes)
            return 0
        }
    }
}

/// libFuzzer's own `main` (linked in, but `main` is `sentient_fuzz_main` above) refers to this.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    selected!.run(bytes)
    return 0
}
