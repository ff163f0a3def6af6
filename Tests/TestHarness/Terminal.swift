import Foundation

/// Runs a command on a pseudo-terminal (stdin, stdout and stderr all the terminal), as a
/// technician at a shell would, and answers one prompt.
///
/// Uses python3's `pty` module (Debian package `python3`): it spawns the command on a new pty,
/// and once the output contains `prompt` writes `answer` (nothing when `answer` is nil). The
/// result's `stdout` is everything the terminal showed (the command's stdout and stderr
/// interleaved, and the echoed answer); `stderr` is the helper's own diagnostics.
/// `columns`: the terminal's width as TIOCGWINSZ reports it (set before the command starts);
/// nil leaves the new terminal's size unset (0 columns).
/// - Throws: `HarnessError` when python3 cannot be started.
public func runInTerminal(
    _ executable: String, _ args: [String], environment: [String: String] = [:],
    prompt: String = "Proceed?", answer: String?, timeout: Double = 300, columns: Int? = nil
) throws -> ToolResult {
    let script = """
        import fcntl, os, pty, select, struct, sys, termios, time
        prompt, answer, timeout, columns = sys.argv[1].encode(), sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
        command = sys.argv[5:]
        pid, fd = pty.fork()
        if pid == 0:
            try:
                if columns > 0:
                    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
                os.execv(command[0], command)
            finally:
                os._exit(127)
        output, answered, deadline = b"", False, time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                sys.stderr.write("runInTerminal: timed out; output so far: %r\\n" % output)
                os.kill(pid, 9)
                break
            ready, _, _ = select.select([fd], [], [], min(left, 0.5))
            if not ready:
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the command exited and closed the terminal
                data = b""
            if not data:
                break
            output += data
            if not answered and answer != "<none>" and prompt in output:
                os.write(fd, answer.encode())
                answered = True
        _, status = os.waitpid(pid, 0)
        sys.stdout.buffer.write(output)
        sys.stdout.flush()
        code = os.waitstatus_to_exitcode(status)
        sys.exit(code if code >= 0 else 128 - code)
        """
    let dir = try TempDir(prefix: "snap-pty")
    // Not "pty.py": the script's own directory comes first on sys.path and would shadow `pty`.
    let path = dir.file("snap_terminal.py")
    try script.write(toFile: path, atomically: true, encoding: .utf8)
    return try runProcess(
        "python3", [path, prompt, answer ?? "<none>", String(timeout), String(columns ?? 0), try resolveExecutable(executable, environment: environment)] + args,
        environment: environment, timeout: timeout + 30)
}
