import AdminProtocol
import AetherJSON
import IncidentStorage
import PosixIO

/// The admin protocol server (SPEC §4): newline-delimited JSON over TCP, pipelined.
///
/// One epoll thread (`EpollServer`) reads and writes every connection and cuts lines; each
/// connection has one task that runs its requests in order, waits once for the durability of the
/// batch's writes (group commit), and sends all the replies in one write. A line over the limit is
/// answered `too_large` and the connection closed; a partial line that stalls past
/// `partialLineTimeout` is answered `bad_request` and closed; none of it affects other connections.
final class AdminServer: EpollServerDelegate, @unchecked Sendable {
    // @unchecked: `sessions` is touched only on the epoll loop thread (delegate callbacks); the
    // other stored properties are immutable and Sendable.

    enum Inbound: Sendable {
        case lines([[UInt8]])
        case tooLarge
        case stalled(Int)
    }

    final class Session {
        var framer: LineFramer
        let continuation: AsyncStream<Inbound>.Continuation
        var partialSince: UInt64?
        var done = false
        init(framer: LineFramer, continuation: AsyncStream<Inbound>.Continuation) {
            self.framer = framer
            self.continuation = continuation
        }
    }

    private let server: EpollServer
    private let dispatcher: AdminDispatcher
    private let log: EventLog
    private let limits: AdminLimits
    private let logger: Logger
    private var sessions: [EpollServer.ConnectionID: Session] = [:]
    private let newConnections: AsyncStream<(EpollServer.ConnectionID, AsyncStream<Inbound>)>
    private let newConnectionsContinuation: AsyncStream<(EpollServer.ConnectionID, AsyncStream<Inbound>)>.Continuation

    /// The bound address.
    var address: SocketAddress { server.address }

    /// Binds `address`; `makeDispatcher` gets the bound address (the real port when 0 was asked).
    init(
        address: SocketAddress, log: EventLog, limits: AdminLimits, logger: Logger,
        makeDispatcher: (SocketAddress) -> AdminDispatcher
    ) throws(SystemError) {
        var serverLimits = EpollServer.Limits()
        serverLimits.connectionsMax = limits.connectionsMax
        server = try EpollServer(address: address, limits: serverLimits)
        self.dispatcher = makeDispatcher(server.address)
        self.log = log
        self.limits = limits
        self.logger = logger
        (newConnections, newConnectionsContinuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// Serves until `stop()`; one child task per connection.
    func run() async {
        server.start(delegate: self, name: "aether-admin")
        await withDiscardingTaskGroup { group in
            for await (id, stream) in newConnections {
                group.addTask { await self.serve(id, stream) }
            }
        }
    }

    /// Stops accepting and closes every connection.
    func stop() {
        server.stop()
    }

    // MARK: - Per-connection task

    private func serve(_ id: EpollServer.ConnectionID, _ stream: AsyncStream<Inbound>) async {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        for await item in stream {
            switch item {
            case .lines(let lines):
                await answer(lines, into: &out)
                server.send(id, out)
                out.removeAll(keepingCapacity: true)
            case .tooLarge:
                AdminResponse.writeFailure(
                    id: .null, error: AdminError(.tooLarge, "request line exceeds \(limits.lineBytesMax) bytes; closing the connection"),
                    into: &out)
                server.send(id, out, close: true)
                return
            case .stalled(let bytes):
                AdminResponse.writeFailure(
                    id: .null,
                    error: AdminError(.badRequest, "incomplete request line: \(bytes) bytes without a newline for \(Int(limits.partialLineTimeout.seconds)) s; closing the connection"),
                    into: &out)
                server.send(id, out, close: true)
                return
            }
        }
        server.send(id, [], close: true)  // input ended: close once every reply is written
    }

    /// Runs a batch of request lines in order and appends their replies, after making the batch's
    /// writes durable. If durability fails, every write in the batch is answered `unavailable`.
    private func answer(_ lines: [[UInt8]], into out: inout [UInt8]) async {
        var replies: [(JSONValue, Result<JSONValue, AdminError>, UInt64)] = []
        replies.reserveCapacity(lines.count)
        var maxLSN: UInt64 = 0
        var readsNeedDurability = false
        for line in lines {
            let parsed = line.withUnsafeBytes { AdminRequest.parse($0) }
            switch parsed {
            case .failure(let e):
                replies.append((e.id, .failure(e.error), 0))
            case .success(let request):
                let (result, lsn) = await dispatcher.handle(request)
                maxLSN = max(maxLSN, lsn)
                if lsn == 0, case .success = result { readsNeedDurability = true }
                replies.append((request.id, result, lsn))
            }
        }
        // Reads must not show state that could vanish in a crash: wait for what is logged so far.
        if readsNeedDurability { maxLSN = max(maxLSN, log.nextLSN - 1) }
        var failure: (any Error)?
        if maxLSN > 0 {
            do { try await log.waitDurable(maxLSN) } catch { failure = error }
        }
        for (id, result, lsn) in replies {
            if let failure, lsn > 0 || (readsNeedDurability && lsn == 0) {
                if case .success = result {
                    AdminResponse.writeFailure(id: id, error: AdminError(.unavailable, "not durable: \(failure)"), into: &out)
                    continue
                }
            }
            switch result {
            case .success(let v): AdminResponse.writeSuccess(id: id, result: v, into: &out)
            case .failure(let e): AdminResponse.writeFailure(id: id, error: e, into: &out)
            }
        }
    }

    // MARK: - EpollServerDelegate (loop thread)

    func accepted(_ id: EpollServer.ConnectionID, server: EpollServer) {
        let (stream, continuation) = AsyncStream<Inbound>.makeStream(bufferingPolicy: .unbounded)
        sessions[id] = Session(framer: LineFramer(lineBytesMax: limits.lineBytesMax), continuation: continuation)
        newConnectionsContinuation.yield((id, stream))
    }

    func received(_ id: EpollServer.ConnectionID, _ bytes: UnsafeRawBufferPointer, server: EpollServer) {
        guard let s = sessions[id], !s.done else { return }
        switch s.framer.feed(bytes) {
        case .lines(let lines):
            if !lines.isEmpty { s.continuation.yield(.lines(lines)) }
        case .tooLarge(let before):
            if !before.isEmpty { s.continuation.yield(.lines(before)) }
            s.continuation.yield(.tooLarge)
            finishInput(s, id)
            return
        }
        if s.framer.bufferedBytes > 0 {
            if s.partialSince == nil { s.partialSince = monotonicNanos() }
        } else {
            s.partialSince = nil
        }
    }

    func endOfInput(_ id: EpollServer.ConnectionID, server: EpollServer) {
        guard let s = sessions[id] else { return }
        s.done = true
        s.continuation.finish()  // answers what was read, then the task ends
    }

    func closed(_ id: EpollServer.ConnectionID, server: EpollServer) {
        guard let s = sessions.removeValue(forKey: id) else { return }
        s.continuation.finish()
    }

    func tick(server: EpollServer) {
        let now = monotonicNanos()
        let limit = UInt64(limits.partialLineTimeout.wholeMilliseconds) * 1_000_000
        for (id, s) in sessions where !s.done {
            if let since = s.partialSince, now - since > limit {
                s.continuation.yield(.stalled(s.framer.bufferedBytes))
                finishInput(s, id)
            }
        }
    }

    func stopped(server: EpollServer) {
        newConnectionsContinuation.finish()
    }

    private func finishInput(_ s: Session, _ id: EpollServer.ConnectionID) {
        s.done = true
        s.continuation.finish()
        server.stopReading(id)
    }
}
