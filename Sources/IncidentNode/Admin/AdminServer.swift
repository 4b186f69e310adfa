import AdminProtocol
import AetherJSON
import IncidentStorage
import PosixIO
import Synchronization

/// The admin protocol server (SPEC §4): newline-delimited JSON over TCP, pipelined.
///
/// One epoll thread (`EpollServer`) reads and writes every connection and cuts lines; each
/// connection has one task that runs its requests in order, waits once for the durability of the
/// batch's writes (group commit), and sends all the replies in one write. A line over the limit is
/// answered `too_large` and the connection closed; a partial line that stalls past
/// `partialLineTimeout` is answered `bad_request` and closed; none of it affects other connections.
final class AdminServer: EpollServerDelegate, Sendable {

    enum Inbound: Sendable {
        case lines([[UInt8]])
        case tooLarge
        case stalled(Int)
    }

    final class Session: ConnectionSession {
        // Loop-thread state (only the epoll thread touches these three).
        nonisolated(unsafe) var framer: LineFramer
        nonisolated(unsafe) var partialSince: UInt64?
        nonisolated(unsafe) var done = false
        let continuation: AsyncStream<Inbound>.Continuation
        let cancelled = Flag()
        /// Lines read but not yet answered; reading pauses above `queuedLinesMax`.
        let gate = ReadGate(limit: AdminServer.queuedLinesMax)
        init(framer: LineFramer, continuation: AsyncStream<Inbound>.Continuation) {
            self.framer = framer
            self.continuation = continuation
        }
    }

    /// Lines a connection may have waiting before the server stops reading from it.
    static let queuedLinesMax = 4096

    private let server: EpollServer
    private let dispatcher: AdminDispatcher
    /// Waits for a write's quorum; returns the replica count.
    private let replicas: @Sendable (ClosedRange<UInt64>) async -> Int
    private let log: EventLog
    private let limits: AdminLimits
    private let logger: Logger
    private let sessions = ConnectionSessions<Session>()

    /// The bound address.
    var address: SocketAddress { server.address }

    /// Binds `address`; `makeDispatcher` gets the bound address (the real port when 0 was asked).
    init(
        address: SocketAddress, log: EventLog, limits: AdminLimits, logger: Logger,
        replicas: @escaping @Sendable (ClosedRange<UInt64>) async -> Int,
        makeDispatcher: (SocketAddress) -> AdminDispatcher
    ) throws(SystemError) {
        self.replicas = replicas
        var serverLimits = EpollServer.Limits()
        serverLimits.connectionsMax = limits.connectionsMax
        server = try EpollServer(address: address, limits: serverLimits)
        self.dispatcher = makeDispatcher(server.address)
        self.log = log
        self.limits = limits
        self.logger = logger
    }

    /// Serves until `stop()`; one child task per connection.
    func run() async {
        server.start(delegate: self, name: "aether-admin")
        await sessions.serveAll { id, session, stream in await self.serve(id, session, stream) }
    }

    /// Stops accepting and closes every connection.
    func stop() {
        server.stop()
    }

    // MARK: - Per-connection task

    private func serve(_ id: EpollServer.ConnectionID, _ session: Session, _ stream: AsyncStream<Inbound>) async {
        let sender = OrderedSender(server: server, connection: id)
        /// Answers `error` (request id null) after every earlier reply and closes the connection.
        func refuse(_ error: AdminError) {
            var out: [UInt8] = []
            AdminResponse.writeFailure(id: .null, error: error, into: &out)
            server.send(id, out, close: true)
        }
        // Batches made only of alert ingests may overlap (up to 16): while one waits for its
        // durability, quorum or the deciding node's answer, the next runs. Replies still leave in
        // request order. Any other batch first waits for those in flight, so a connection's
        // commands keep their order.
        await withTaskGroup(of: Void.self) { group in
            var inflight = 0
            var sequence = 0
            var exclusiveInFlight = false  // a non-ingest batch is running: the next one waits for it
            func drain(below limit: Int) async {
                while inflight > limit {
                    await group.next()
                    inflight -= 1
                }
            }
            for await item in stream {
                if session.cancelled.isSet { break }
                switch item {
                case .lines(let lines):
                    // A large batch is decoded, run and answered on the bulk executor: small
                    // requests on other connections never queue behind it.
                    let bulk = lines.reduce(0) { $0 + $1.count } > Self.bulkBytes
                    let parsed = bulk
                        ? await withTaskExecutorPreference(BulkExecutor.shared) { Self.parse(lines) } : Self.parse(lines)
                    let ingestOnly = parsed.allSatisfy { p in
                        if case .success(let r) = p { return r.op == AdminOp.alertIngest.rawValue || r.op == AdminOp.alertIngestBatch.rawValue }
                        return false
                    }
                    await drain(below: ingestOnly && !exclusiveInFlight ? 15 : 0)
                    exclusiveInFlight = !ingestOnly
                    let mine = sequence
                    sequence += 1
                    inflight += 1
                    group.addTask(executorPreference: bulk ? BulkExecutor.shared : nil) {
                        var out: [UInt8] = []
                        out.reserveCapacity(4096)
                        await self.answer(parsed, cancelled: session.cancelled, into: &out)
                        if session.cancelled.isSet { return }
                        sender.deliver(mine, out)
                        session.gate.answered(lines.count) { self.server.resumeReading(id) }
                    }
                case .tooLarge:
                    await drain(below: 0)
                    refuse(AdminError(.tooLarge, "request line exceeds \(limits.lineBytesMax) bytes; closing the connection"))
                    return
                case .stalled(let bytes):
                    await drain(below: 0)
                    refuse(AdminError(.badRequest, "incomplete request line: \(bytes) bytes without a newline for \(limits.partialLineTimeout.seconds) s; closing the connection"))
                    return
                }
            }
            await drain(below: 0)
        }
        server.send(id, [], close: true)  // input ended: close once every reply is written
    }

    /// Request lines above this many bytes in all are bulk work (`BulkExecutor`).
    static let bulkBytes = 16 << 10

    private static func parse(_ lines: [[UInt8]]) -> [Result<AdminRequest, RequestParseError>] {
        lines.map { line in line.withUnsafeBytes { AdminRequest.parse($0) } }
    }

    /// Runs a batch of request lines in order and appends their replies, after making the batch's
    /// writes durable. If durability fails, every write in the batch is answered `unavailable`.
    private func answer(_ parsed: [Result<AdminRequest, RequestParseError>], cancelled: Flag, into out: inout [UInt8]) async {
        var replies: [(JSONValue, Result<AdminReply, AdminError>, UInt64)] = []
        replies.reserveCapacity(parsed.count)
        let firstLSN = log.nextLSN  // every write of this batch is logged at or after it
        var maxLSN: UInt64 = 0
        var readsNeedDurability = false
        var i = 0
        while i < parsed.count {
            if cancelled.isSet { return }  // the peer is gone: stop working for nobody
            switch parsed[i] {
            case .failure(let e):
                replies.append((e.id, .failure(e.error), 0))
                i += 1
            case .success(let request) where request.op == AdminOp.alertIngest.rawValue:
                // A run of pipelined single-alert requests is ingested as one batch: one pass over
                // the actors, one forward per owner node. Each still gets its own reply, in order.
                var run: [AdminRequest] = []
                while i < parsed.count, case .success(let r) = parsed[i], r.op == AdminOp.alertIngest.rawValue {
                    run.append(r)
                    i += 1
                }
                for (request, (result, lsn)) in zip(run, await dispatcher.handleIngestRun(run)) {
                    maxLSN = max(maxLSN, lsn)
                    replies.append((request.id, result, lsn))
                }
            case .success(let request):
                let (result, lsn) = await dispatcher.handle(request)
                maxLSN = max(maxLSN, lsn)
                if lsn == 0, case .success = result { readsNeedDurability = true }
                replies.append((request.id, result, lsn))
                i += 1
            }
        }
        // Reads must not show state that could vanish in a crash: wait for what is logged so far.
        if readsNeedDurability { maxLSN = max(maxLSN, log.nextLSN - 1) }
        var failure: (any Error)?
        if maxLSN > 0 {
            do { try await log.waitDurable(maxLSN) } catch { failure = error }
        }
        // Writes answer once `write_quorum` nodes hold them (or the quorum timeout passed).
        let maxWrite = replies.reduce(UInt64(0)) { max($0, $1.2) }
        var replicaCount = 1
        if failure == nil, maxWrite > 0 { replicaCount = await replicas(min(firstLSN, maxWrite)...maxWrite) }
        for (id, result, lsn) in replies {
            if let failure, lsn > 0 || (readsNeedDurability && lsn == 0) {
                if case .success = result {
                    AdminResponse.writeFailure(id: id, error: AdminError(.unavailable, "not durable: \(failure)"), into: &out)
                    continue
                }
            }
            switch result {
            // `replicas: null` placeholders (writes) get the count; forwarded alerts carry the owner's.
            case .success(let reply): reply.write(id: id, replicas: lsn > 0 ? replicaCount : 1, into: &out)
            case .failure(let e): AdminResponse.writeFailure(id: id, error: e, into: &out)
            }
        }
    }

    // MARK: - EpollServerDelegate (loop thread)

    func accepted(_ id: EpollServer.ConnectionID, server: EpollServer) {
        sessions.open(id) { Session(framer: LineFramer(lineBytesMax: limits.lineBytesMax), continuation: $0) }
    }

    func received(_ id: EpollServer.ConnectionID, _ bytes: UnsafeRawBufferPointer, server: EpollServer) {
        guard let s = sessions.reading(id) else { return }
        switch s.framer.feed(bytes) {
        case .lines(let lines):
            if !lines.isEmpty {
                s.continuation.yield(.lines(lines))
                s.partialSince = nil  // progress: what is buffered now starts a new line
                s.gate.arrived(lines.count, pause: { server.stopReadingTemporarily(id) }, resume: { server.resumeReading(id) })
            }
        case .tooLarge(let before):
            if !before.isEmpty { s.continuation.yield(.lines(before)) }
            s.continuation.yield(.tooLarge)
            sessions.finishInput(s, id, server: server)
            return
        }
        if s.framer.bufferedBytes > 0 {
            if s.partialSince == nil { s.partialSince = monotonicNanos() }
        } else {
            s.partialSince = nil
        }
    }

    func endOfInput(_ id: EpollServer.ConnectionID, server: EpollServer) {
        guard let s = sessions.reading(id) else { return }
        // A last line without a newline is still a request: answer it.
        if let last = s.framer.finish() { s.continuation.yield(.lines([last])) }
        sessions.endInput(s)  // answers what was read, then the task ends
    }

    func closed(_ id: EpollServer.ConnectionID, server: EpollServer) { sessions.closed(id) }

    func tick(server: EpollServer) {
        let now = monotonicNanos()
        let limit = UInt64(limits.partialLineTimeout.wholeMilliseconds) * 1_000_000
        for (id, s) in sessions.allReading {
            if let since = s.partialSince, now - since > limit {
                s.continuation.yield(.stalled(s.framer.bufferedBytes))
                sessions.finishInput(s, id, server: server)
            }
        }
    }

    func stopped(server: EpollServer) { sessions.stopped() }
}

/// Sends batch replies in batch order, whichever batch finishes first.
final class OrderedSender: Sendable {
    private let server: EpollServer
    private let connection: EpollServer.ConnectionID
    private let state = Mutex<(next: Int, done: [Int: [UInt8]])>((0, [:]))

    init(server: EpollServer, connection: EpollServer.ConnectionID) {
        self.server = server
        self.connection = connection
    }

    /// Batch `sequence` is answered; sends it and any later ones that were waiting for it.
    func deliver(_ sequence: Int, _ bytes: [UInt8]) {
        state.withLock { s in
            s.done[sequence] = bytes
            while let next = s.done.removeValue(forKey: s.next) {
                server.send(connection, next)  // queued to the loop thread in this order
                s.next += 1
            }
        }
    }
}
