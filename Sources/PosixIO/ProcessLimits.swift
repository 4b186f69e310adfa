import CEpoll

#if canImport(Glibc)
import Glibc
#endif

/// Process-wide settings made once at start-up.
public enum ProcessLimits {
    /// Raises the open-file limit to its hard maximum (1,000+ connections need more than 1,024 fds).
    /// Returns the new soft limit.
    @discardableResult
    public static func raiseOpenFileLimit() -> Int {
        var rl = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &rl) == 0 else { return -1 }
        if rl.rlim_cur < rl.rlim_max {
            rl.rlim_cur = rl.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &rl)
        }
        return Int(rl.rlim_cur)
    }

    /// Keeps the heap compact for a long-lived node: at most two malloc arenas (glibc's default is
    /// eight per core, and a node's twenty-odd threads spread a large incident set over them), and
    /// free memory above 128 KiB at the heap's top goes back to the system. With 100,000 open
    /// incidents this measured 263–265 MiB RSS against 286–315 MiB with glibc's defaults
    /// (Docs/PERFORMANCE.md, S6). Returns false when glibc refused a setting.
    @discardableResult
    public static func compactAllocator() -> Bool {
        cepoll_tune_malloc(2, 128 << 10) == 1
    }

    /// Resident set size of this process in bytes, from /proc/self/statm.
    public static func residentBytes() -> Int {
        guard let f = fopen("/proc/self/statm", "r") else { return -1 }
        defer { fclose(f) }
        var size = 0
        var resident = 0
        guard withUnsafeMutablePointer(to: &size, { s in withUnsafeMutablePointer(to: &resident) { r in
            withVaList([s, r]) { vfscanf(f, "%ld %ld", $0) }
        } }) == 2 else { return -1 }
        return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Writes a line to stdout immediately (the `aetherd ready` line must not sit in a buffer).
    public static func printLine(_ s: String) {
        var bytes = Array((s + "\n").utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(1, $0.baseAddress, $0.count) }
    }

    /// Writes a line to stderr.
    public static func printError(_ s: String) {
        var bytes = Array((s + "\n").utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

/// Ends the process with a status code.
public func exit(_ code: Int32) -> Never {
    Glibc.exit(code)
}

extension ProcessLimits {
    /// Writes text to stderr without a newline (progress lines).
    public static func printErrorInline(_ s: String) {
        var bytes = Array(s.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
