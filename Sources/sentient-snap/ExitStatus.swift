import ArgumentParser
import Foundation
import SentientSnap
import Synchronization

/// The one table from errors to exit statuses (sysexits(3), DESIGN.md "Exit codes").
enum ExitStatus {
    static let success: Int32 = 0
    static let failure: Int32 = 1
    static let usage: Int32 = 64
    static let damagedArchive: Int32 = 65
    static let inputNotFound: Int32 = 66
    static let unreachable: Int32 = 69
    static let cannotCreateOutput: Int32 = 73
    static let ioError: Int32 = 74
    static let attention: Int32 = 75
    static let permission: Int32 = 77
    static let interrupted: Int32 = 130
    static let terminated: Int32 = 143

    /// The exit status of any error: `SnapError.classify` names its code, this table its number.
    static func code(for error: Error) -> Int32 {
        switch SnapError.classify(error) {
        case .usage: return usage
        case .inputNotFound: return inputNotFound
        case .outputNotCreatable: return cannotCreateOutput
        case .ioFailure: return ioError
        case .unreachable: return unreachable
        case .permission: return permission
        case .damagedArchive: return damagedArchive
        case .attention: return attention
        case .interrupted: return interrupted
        case .failure: return failure
        }
    }
}

let exitStatusHelp = """
    EXIT STATUS:
      0    success
      1    failure not covered below (e.g. an object the dump cannot reproduce)
      64   usage error
      65   damaged, unreadable or unsafe archive (nothing was changed)
      66   input not found (archive, rooms dir, env file named by a flag, database)
      69   a server could not be reached (PostgreSQL, MQTT when required, Docker)
      73   output could not be created (output dir missing or not writable)
      74   I/O error while writing (disk full, ...); partial output removed
      75   done, but something needs attention
      77   running as root without --allow-root, or authentication failed
      130  interrupted (SIGINT); 143 terminated (SIGTERM); partial output removed
    """

/// Runs a command body: prints a failure as one message on stderr and exits with its status.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        if PartialFiles.shared.interrupted { SignalCleanup.awaitExit(after: error) }
        let message = String(describing: error)
        HookContext.shared.message = message
        FileHandle.standardError.write(Data("sentient-snap: error: \(message)\n".utf8))
        if GlobalFlags.verbose {
            let chain = SnapError.causeChain(error).enumerated().map { "  \($0.offset == 0 ? "error" : "cause"): \($0.element)" }
            FileHandle.standardError.write(Data(("sentient-snap: cause chain (--verbose):\n" + chain.joined(separator: "\n") + "\n").utf8))
        }
        throw ExitCode(ExitStatus.code(for: error))
    }
}

/// Refuses root unless --allow-root (exit 77).
func checkRoot(allowRoot: Bool, command: String) throws {
    if geteuid() == 0 && !allowRoot {
        HookContext.shared.message = "refusing to run \(command) as root without --allow-root"
        FileHandle.standardError.write(Data("sentient-snap: error: refusing to run \(command) as root: run it as the backup user, or pass --allow-root if you really mean it\n".utf8))
        throw ExitCode(ExitStatus.permission)
    }
}

/// Removes partial output and exits 130/143 on SIGINT/SIGTERM. The handlers run on a
/// dispatch queue, not in signal context, so they may take locks and unlink files.
///
/// The handler owns the outcome: one message (what its cleanup did) and the signal's status.
/// The work it cut short (a load into the staging database it dropped) fails meanwhile; the
/// main path sees `PartialFiles.interrupted` and waits here for the handler's exit instead of
/// reporting that failure as a second message with status 1.
enum SignalCleanup {
    /// Kept so the sources live as long as the process.
    private static let sources = Mutex<[DispatchSourceSignal]>([])

    /// Called with the main path's error once a signal was caught: waits for the handler to exit
    /// the process. A state report that needs a human (exit 75) is printed first, so it is never
    /// lost. Returns only if the handler has not exited within a minute (its cleanup hangs).
    static func awaitExit(after error: Error) {
        if let error = error as? SnapError, error.code == .attention {
            FileHandle.standardError.write(Data("sentient-snap: error: \(error.message)\n".utf8))
        }
        _ = DispatchSemaphore(value: 0).wait(timeout: .now() + 60)
    }

    static func install() {
        for (sig, status) in [(SIGINT, ExitStatus.interrupted), (SIGTERM, ExitStatus.terminated)] {
            signal(sig, SIG_IGN)
            sources.withLock { sources in
                let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                source.setEventHandler {
                    let notes = PartialFiles.shared.removeAll()
                    let message = (["interrupted; partial output removed"] + notes).joined(separator: "; ")
                    FileHandle.standardError.write(Data("\nsentient-snap: \(message)\n".utf8))
                    _exit(status)
                }
                source.resume()
                sources.append(source)
            }
        }
    }
}
