import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM/SIGINT delivered through dispatch signal sources (so handlers may do real work, unlike
/// async-signal-safe C handlers).
public enum Signals {
    /// Calls `handler` on SIGTERM or SIGINT. Keep the returned sources alive.
    public static func onTerminate(_ handler: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler(handler: handler)
            s.resume()
            sources.append(s)
        }
        return sources
    }
}
