#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM/SIGINT handed to a thread of its own, so that handlers may do real work (unlike
/// async-signal-safe C handlers).
///
/// The C handler is installed with `sigaction` before `onTerminate` returns and only writes the
/// signal's number to a pipe, which the thread reads. So a signal that comes right after — a
/// supervisor's SIGTERM just after the ready line — is never lost. (Dispatch signal sources,
/// used before, left a window: the signal was already ignored while the source was not yet
/// registered, and a SIGTERM sent then left the node running.)
public enum Signals {
    /// Calls `handler` on a thread of its own for every SIGTERM or SIGINT from now on. Call it once
    /// per process. Returns false, changing nothing, when the pipe cannot be made.
    @discardableResult
    public static func onTerminate(_ handler: @escaping @Sendable () -> Void) -> Bool {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return false }
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)  // a full pipe never blocks the handler
        terminationPipe = fds[1]
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { sig in
            var byte = UInt8(truncatingIfNeeded: sig)
            _ = write(terminationPipe, &byte, 1)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = Int32(SA_RESTART)
        sigaction(SIGTERM, &action, nil)
        sigaction(SIGINT, &action, nil)
        let readEnd = fds[0]
        startThread(name: "aether-signals") {
            var byte: UInt8 = 0
            while true {
                let n = read(readEnd, &byte, 1)
                if n == 1 {
                    handler()
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
        return true
    }
}

/// The pipe's write end, for the C signal handler (set once, before the handler is installed).
nonisolated(unsafe) private var terminationPipe: Int32 = -1
