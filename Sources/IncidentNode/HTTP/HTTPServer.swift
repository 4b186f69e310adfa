import AdminProtocol
import AetherJSON
import IncidentStorage
import PosixIO

/// The HTTP/1.1 server on `--http` (SPEC §5): alert intake (generic, Alertmanager, PagerDuty
/// Events v2) and health endpoints.
///
/// Same shape as the admin server: one epoll thread (`EpollServer`) reads and writes every
/// connection and cuts requests with the pure `HTTPRequestParser`; each connection has one task
/// that answers its requests in order (pipelining allowed). A malformed request is answered with
/// its 4xx/5xx status and a JSON error body, and the connection closed; a request that stalls
/// half-sent past `partialTimeout` gets 408 and is closed (slowloris). None of it affects other
/// connections.
final class HTTPServer: EpollServerDelegate, Sendable {

    enum Inbound: Sendable {
        case requests([HTTPRequest])
        /// The request being read asked `Expect: 100-continue`: answer it after what came before.
        case continueWanted
        case malformed(HTTPParseError)
        case stalled
    }

    final class Session: ConnectionSession {
        nonisolated(unsafe) var parser: HTTPRequestParser
        nonisolated(unsafe) var partialSince: UInt64?
        nonisolated(unsafe) var done = false
        let continuation: AsyncStream<Inbound>.Continuation
        let cancelled = Flag()
        /// Requests read but not yet answered; reading pauses above `queuedRequestsMax`.
        let gate = ReadGate(limit: HTTPServer.queuedRequestsMax)
        init(parser: HTTPRequestParser, continuation: AsyncStream<Inbound>.Continuation) {
            self.parser = parser
            self.continuation = continuation
        }
    }

    /// Requests a connection may have waiting before the server stops reading from it (each holds
    /// its body: 64 × 1 MiB at most).
    static let queuedRequestsMax = 64

    private let server: EpollServer
    private let routes: HTTPRoutes
    private let limits: HTTPRequestParser.Limits
    private let partialTimeout: Duration
    private let sessions = ConnectionSessions<Session>()

    /// The bound address.
    var address: SocketAddress { server.address }

    /// Binds `address`.
    init(address: SocketAddress, routes: HTTPRoutes, bodyBytesMax: Int, partialTimeout: Duration, connectionsMax: Int) throws(SystemError) {
        var serverLimits = EpollServer.Limits()
        serverLimits.connectionsMax = connectionsMax
        server = try EpollServer(address: address, limits: serverLimits)
        self.routes = routes
        var l = HTTPRequestParser.Limits()
        l.bodyBytesMax = bodyBytesMax
        self.limits = l
        self.partialTimeout = partialTimeout
    }

    /// Serves until `stop()`; one child task per connection.
    func run() async {
        server.start(delegate: self, name: "aether-http")
        await sessions.serveAll { id, session, stream in await self.serve(id, session, stream) }
    }

    /// Stops accepting and closes every connection.
    func stop() { server.stop() }

    private func serve(_ id: EpollServer.ConnectionID, _ session: Session, _ stream: AsyncStream<Inbound>) async {
        for await item in stream {
            if session.cancelled.isSet { return }
            switch item {
            case .requests(let requests):
                for request in requests {
                    let response = await routes.handle(request)
                    if session.cancelled.isSet { return }
                    server.send(id, response.serialized(keepAlive: request.keepAlive), close: !request.keepAlive)
                    if !request.keepAlive { return }
                    session.gate.answered(1) { server.resumeReading(id) }
                }
            case .continueWanted:
                server.send(id, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            case .malformed(let error):
                server.send(id, HTTPRoutes.error(error.status, error.message).serialized(keepAlive: false), close: true)
                return
            case .stalled:
                server.send(id, HTTPRoutes.error(408, "request incomplete after \(partialTimeout.seconds) s; closing the connection").serialized(keepAlive: false), close: true)
                return
            }
        }
        server.send(id, [], close: true)
    }

    // MARK: - EpollServerDelegate (loop thread)

    func accepted(_ id: EpollServer.ConnectionID, server: EpollServer) {
        sessions.open(id) { Session(parser: HTTPRequestParser(limits: limits), continuation: $0) }
    }

    func received(_ id: EpollServer.ConnectionID, _ bytes: UnsafeRawBufferPointer, server: EpollServer) {
        guard let s = sessions.reading(id) else { return }
        switch s.parser.feed(bytes) {
        case .requests(let requests):
            if !requests.isEmpty {
                s.continuation.yield(.requests(requests))
                s.partialSince = nil  // progress: what is buffered now belongs to a new request
                s.gate.arrived(requests.count, pause: { server.stopReadingTemporarily(id) }, resume: { server.resumeReading(id) })
                if requests.contains(where: { !$0.keepAlive }) {
                    sessions.finishInput(s, id, server: server)  // the connection closes after that request: read no more
                    return
                }
            }
        case .error(let before, let error):
            if !before.isEmpty { s.continuation.yield(.requests(before)) }
            s.continuation.yield(.malformed(error))
            sessions.finishInput(s, id, server: server)
            return
        }
        if s.parser.takeContinueRequest() { s.continuation.yield(.continueWanted) }
        if s.parser.hasPartialRequest {
            if s.partialSince == nil { s.partialSince = monotonicNanos() }
        } else {
            s.partialSince = nil
        }
    }

    func endOfInput(_ id: EpollServer.ConnectionID, server: EpollServer) {
        guard let s = sessions.reading(id) else { return }
        sessions.endInput(s)
    }

    func closed(_ id: EpollServer.ConnectionID, server: EpollServer) { sessions.closed(id) }

    func tick(server: EpollServer) {
        let now = monotonicNanos()
        let limit = UInt64(partialTimeout.wholeMilliseconds) * 1_000_000
        for (id, s) in sessions.allReading {
            if let since = s.partialSince, now - since > limit {
                s.continuation.yield(.stalled)
                sessions.finishInput(s, id, server: server)
            }
        }
    }

    func stopped(server: EpollServer) { sessions.stopped() }
}
