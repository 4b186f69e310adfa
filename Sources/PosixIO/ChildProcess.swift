#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, its stdout readable line by line (benchmarks and
/// process tests start `aetherd` and Alertmanager this way and stop them by PID).
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: the pid is immutable; the stdout buffer is used by one reader at a time.
    /// The process id.
    public let pid: pid_t
    private let stdoutFD: Int32
    private var buffer: [UInt8] = []
    private var exited: Int32?

    /// Starts `path` with `arguments`; stdout is captured, stderr goes to `stderrPath` (or /dev/null).
    /// - Throws: `SystemError` when the program cannot be started.
    public init(path: String, arguments: [String], stderrPath: String? = nil) throws(SystemError) {
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else { throw .current("pipe") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipeFDs[0])
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
        Glibc.close(pipeFDs[1])
        guard rc == 0 else {
            Glibc.close(pipeFDs[0])
            throw SystemError(errno: rc, call: "posix_spawn", subject: path)
        }
        self.pid = pid
        stdoutFD = pipeFDs[0]
    }

    deinit { Glibc.close(stdoutFD) }

    /// The next stdout line, or nil at end of output or after `timeoutMillis`.
    public func readLine(timeoutMillis: Int) -> String? {
        let deadline = monotonicNanos() + UInt64(timeoutMillis) * 1_000_000
        while true {
            if let nl = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeFirst(nl + 1)
                return line
            }
            let now = monotonicNanos()
            guard now < deadline else { return nil }
            var p = pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)
            let n = poll(&p, 1, Int32((deadline - now) / 1_000_000) + 1)
            if n <= 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let got = chunk.withUnsafeMutableBytes { Glibc.read(stdoutFD, $0.baseAddress, $0.count) }
            if got <= 0 { return nil }
            buffer += chunk[0..<got]
        }
    }

    /// Sends a signal.
    public func signal(_ sig: Int32) {
        _ = kill(pid, sig)
    }

    /// Waits for exit and returns the status code (128+signal when killed).
    @discardableResult
    public func wait() -> Int32 {
        if let exited { return exited }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        exited = code
        return code
    }

    /// Kills with SIGKILL and reaps.
    public func kill9() {
        signal(SIGKILL)
        wait()
    }

    /// Resident set size in bytes, from /proc/<pid>/status.
    public func residentBytes() -> Int {
        guard let f = fopen("/proc/\(pid)/status", "r") else { return -1 }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, 256, f) != nil {
            let s = String(cString: line)
            if s.hasPrefix("VmRSS:") {
                let digits = s.filter { $0.isNumber }
                return (Int(digits) ?? -1) * 1024
            }
        }
        return -1
    }
}
