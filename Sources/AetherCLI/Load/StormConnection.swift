import PosixIO

#if canImport(Glibc)
import Glibc
#endif

/// One pipelined load connection: builds requests, keeps up to `window` in flight, reads replies
/// in order and records each request's latency. Driven by a `StormDriver` thread with `poll`.
final class StormConnection {
    let fd: Int32
    let index: Int
    let config: StormConfiguration
    let host: String
    var out: [UInt8] = []
    var outOffset = 0
    var input: [UInt8] = []
    var inflight: [(sentAt: UInt64, alerts: Int)] = []
    var inflightHead = 0
    var nextRequest: Int
    let requestStride: Int
    let requestCount: Int
    var closed = false
    // Results.
    var accepted = 0
    var failed = 0
    var created = 0
    var sent = 0
    var requestsSent = 0
    var firstError: String?
    var latencies: [UInt32] = []

    init(fd: Int32, index: Int, config: StormConfiguration, host: String, requestCount: Int) {
        self.fd = fd
        self.index = index
        self.config = config
        self.host = host
        self.nextRequest = index
        self.requestStride = config.connections
        self.requestCount = requestCount
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        out.reserveCapacity(1 << 20)
        latencies.reserveCapacity(requestCount / max(1, config.connections) + 1)
    }

    var inflightCount: Int { inflight.count - inflightHead }
    var hasMoreRequests: Bool { nextRequest < requestCount }
    var finished: Bool { closed || (!hasMoreRequests && inflightCount == 0) }

    /// Alerts in request `r`.
    func alertsIn(_ r: Int) -> Int { min(config.batch, config.total - r * config.batch) }

    /// Appends the next request; returns its alert count.
    func enqueueNext(now: UInt64) -> Int {
        let r = nextRequest
        nextRequest += requestStride
        let n = alertsIn(r)
        switch config.target {
        case .aether: StormEncoding.adminRequest(r, firstAlert: r * config.batch, count: n, config: config, into: &out)
        case .alertmanager: StormEncoding.alertmanagerRequest(firstAlert: r * config.batch, count: n, config: config, host: host, into: &out)
        case .pagerDuty(let key): StormEncoding.pagerDutyRequest(r * config.batch, routingKey: key, config: config, host: host, into: &out)
        case .adminRequests(let make): make(r, &out)
        }
        inflight.append((now, n))
        sent += n
        requestsSent += 1
        return n
    }

    /// Writes what it can; false when the connection broke.
    func flush() -> Bool {
        while outOffset < out.count {
            let n = out.withUnsafeBytes { send(fd, $0.baseAddress! + outOffset, $0.count - outOffset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK { return true }
                if errno == EINTR { continue }
                return false
            }
            outOffset += n
        }
        out.removeAll(keepingCapacity: true)
        outOffset = 0
        return true
    }

    /// Reads and handles replies; false when the connection broke.
    func readReplies(now: () -> UInt64, buffer: inout [UInt8]) -> Bool {
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK { break }
                if errno == EINTR { continue }
                return false
            }
            if n == 0 { return false }
            input.append(contentsOf: buffer[0..<n])
            if n < buffer.count { break }
        }
        let t = now()
        var consumed = 0
        input.withUnsafeBytes { b in
            while inflightCount > 0 {
                let used: Int
                switch config.target {
                case .aether, .adminRequests: used = StormEncoding.consumeAdminReply(b, from: consumed, into: self)
                case .alertmanager, .pagerDuty: used = StormEncoding.consumeHTTPReply(b, from: consumed, into: self)
                }
                if used == 0 { break }
                consumed += used
                let (sentAt, _) = inflight[inflightHead]
                inflightHead += 1
                latencies.append(UInt32(min(UInt64(UInt32.max), (t - sentAt) / 1000)))
            }
        }
        if consumed > 0 { input.removeFirst(consumed) }
        if inflightHead > 4096 {
            inflight.removeFirst(inflightHead)
            inflightHead = 0
        }
        return true
    }

    /// Records the outcome of one reply for the request at the head of the queue.
    func recordReply(ok: Bool, created: Int, error: String?) {
        let alerts = inflight[inflightHead].alerts
        if ok {
            accepted += alerts
            self.created += created
        } else {
            failed += 1
            if firstError == nil { firstError = error }
        }
    }
}
