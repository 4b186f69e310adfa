import PosixIO
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The alert-storm load generator behind `aether storm` and `aether bench`.
///
/// `threads` driver threads each `poll` their share of the connections: every connection keeps
/// `window` requests in flight, pacing (when `rate` is set) is a token bucket per thread, and every
/// reply's latency is recorded. A progress callback runs about four times a second.
public enum Storm {
    /// Live counters for the progress line.
    public struct Progress: Sendable {
        /// Alerts sent.
        public var sent = 0
        /// Alerts accepted.
        public var accepted = 0
        /// Failed requests.
        public var failed = 0
        /// Seconds so far.
        public var seconds = 0.0
    }

    /// Runs a storm to completion.
    /// - Throws: `.connect` when a node cannot be reached.
    public static func run(_ config: StormConfiguration, progress: (@Sendable (Progress) -> Void)? = nil) throws(CLIError) -> StormReport {
        try config.validate()
        let requestCount = (config.total + config.batch - 1) / config.batch
        var connections: [StormConnection] = []
        for c in 0..<config.connections {
            let node = config.nodes[c % config.nodes.count]
            let fd: Int32
            do { fd = try Socket.connect(node, timeoutMillis: 3000) } catch {
                throw CLIError(.connect("cannot connect to \(node): \(error.reason) — is the node running?"))
            }
            connections.append(StormConnection(fd: fd, index: c, config: config, host: node.description, requestCount: requestCount))
        }
        defer { for c in connections { Socket.close(c.fd) } }
        let threads = max(1, min(config.threads, connections.count))
        let live = Shared(Progress())
        let start = monotonicNanos()
        let groups = (0..<threads).map { t in stride(from: t, to: connections.count, by: threads).map { connections[$0] } }
        // Threads finished, and when the last one did (the storm's end: the progress loop below
        // only looks every 100 ms).
        let done = Shared((count: 0, at: start))
        let boxes = groups.map { UncheckedBox($0) }
        for t in 0..<threads {
            let box = boxes[t]
            let share = config.rate == 0 ? 0 : max(1, config.rate / threads)
            startThread(name: "storm-\(t)") {
                drive(box.value, alertsPerSecond: share, start: start, live: live)
                let now = monotonicNanos()
                done.withLock { d in
                    d.count += 1
                    d.at = max(d.at, now)
                }
            }
        }
        while done.withLock({ $0.count }) < threads {
            usleep(100_000)
            if let progress {
                var p = live.withLock { $0 }
                p.seconds = Double(monotonicNanos() - start) / 1e9
                progress(p)
            }
        }
        var report = StormReport()
        report.seconds = Double(done.withLock { $0.at } - start) / 1e9
        for c in connections {
            report.sent += c.sent
            report.accepted += c.accepted
            report.failedRequests += c.failed
            report.incidentsCreated += c.created
            report.requests += c.requestsSent
            report.latenciesMicros += c.latencies
            if report.firstError == nil { report.firstError = c.firstError }
            if c.closed, report.firstError == nil { report.firstError = "connection \(c.index) to \(c.host) closed early" }
        }
        report.latenciesMicros.sort()
        return report
    }

    /// One driver thread's loop.
    static func drive(_ conns: [StormConnection], alertsPerSecond: Int, start: UInt64, live: Shared<Progress>) {
        var fds = conns.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        var buffer = [UInt8](repeating: 0, count: 256 << 10)
        var budgetSent = 0
        var turn = 0
        while true {
            var active = false
            let now = monotonicNanos()
            let allowed = alertsPerSecond > 0 ? Int(Double(now - start) / 1e9 * Double(alertsPerSecond)) + 1 : Int.max
            // Round-robin, one request per connection per pass, so paced load spreads evenly.
            var progress = true
            fill: while progress {
                progress = false
                for i in 0..<conns.count {
                    let c = conns[(turn + i) % conns.count]
                    guard !c.finished, c.hasMoreRequests, c.inflightCount < c.config.window else { continue }
                    if budgetSent >= allowed { break fill }
                    budgetSent += c.enqueueNext(now: now)
                    progress = true
                }
            }
            turn += 1
            for (k, c) in conns.enumerated() where !c.finished {
                active = true
                if !c.flush() { c.closed = true }
                fds[k].events = Int16(POLLIN) | (c.out.isEmpty ? 0 : Int16(POLLOUT))
                fds[k].fd = c.finished ? -1 : c.fd
            }
            if !active { break }
            let timeout: Int32 = alertsPerSecond > 0 ? 1 : 50
            let n = poll(&fds, nfds_t(fds.count), timeout)
            if n <= 0 { continue }
            var accepted = 0
            var sent = 0
            var failed = 0
            for (k, c) in conns.enumerated() where fds[k].revents != 0 && !c.closed {
                let before = (c.accepted, c.failed)
                if fds[k].revents & Int16(POLLOUT) != 0, !c.flush() { c.closed = true }
                if fds[k].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                    if !c.readReplies(now: monotonicNanos, buffer: &buffer) { c.closed = true }
                }
                accepted += c.accepted - before.0
                failed += c.failed - before.1
                sent += 0
            }
            if accepted > 0 || failed > 0 {
                let s = conns.reduce(0) { $0 + $1.sent }
                live.withLock {
                    $0.accepted += accepted
                    $0.failed += failed
                    $0.sent = max($0.sent, s)
                }
            }
            _ = sent
        }
        let s = conns.reduce(0) { $0 + $1.sent }
        live.withLock { $0.sent = max($0.sent, s) }
    }
}

/// A mutex-protected value shared between threads.
final class Shared<T: Sendable>: Sendable {
    private let mutex: Mutex<T>
    init(_ value: T) { mutex = Mutex(value) }
    func withLock<R>(_ body: (inout T) -> R) -> R { mutex.withLock { body(&$0) } }
}

/// Hands non-Sendable values to a thread that becomes their only user.
struct UncheckedBox<T>: @unchecked Sendable {
    // @unchecked: the creating thread stops touching `value` once the box is handed over.
    let value: T
    init(_ value: T) { self.value = value }
}
